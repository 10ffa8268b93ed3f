/** Typed reads of JSON-call parameters; JSON `null` counts as absent (https://www.backblaze.com/apidocs/introduction-to-the-b2-native-api). */
import { fail } from './errors';

export type Params = Record<string, unknown>;

export function optString(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw fail.badRequest(`${name} must be a string`);
  return v;
}

export function reqString(p: Params, name: string): string {
  const v = optString(p, name);
  if (v === undefined || v === '') throw fail.badRequest(`required field ${name} is missing`);
  return v;
}

/** Integers may come as JSON numbers or, from GET query strings, as decimal text. */
export function optInt(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw fail.badRequest(`${name} must be an integer`);
  return n;
}

export function optBool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (typeof v !== 'boolean') throw fail.badRequest(`${name} must be a boolean`);
  return v;
}

/** Objects and arrays may come as JSON, or JSON text in a GET query parameter. */
function structured(p: Params, name: string): unknown {
  const v = p[name];
  if (typeof v === 'string' && /^[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      throw fail.badRequest(`${name} is not valid JSON`);
    }
  }
  return v ?? undefined;
}

export function optObject(p: Params, name: string): Record<string, unknown> | undefined {
  const v = structured(p, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || v === null) throw fail.badRequest(`${name} must be an object`);
  return v as Record<string, unknown>;
}

export function optArray(p: Params, name: string): unknown[] | undefined {
  const v = structured(p, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw fail.badRequest(`${name} must be an array`);
  return v as unknown[];
}

export function stringMap(value: Record<string, unknown> | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) {
    if (typeof v !== 'string') throw fail.badRequest(`${name}.${k} must be a string`);
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v)) throw fail.badRequest(`${name}.${k} is not valid Unicode`);
    // defineProperty: a key named "__proto__" is data, not the prototype.
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A count within [1, max], defaulting when absent; out of range → 400 out_of_range. */
export function countParam(p: Params, name: string, fallback: number, max: number): number {
  const n = optInt(p, name) ?? fallback;
  if (n < 1 || n > max) throw fail.outOfRange(`${name} out of range: must be between 1 and ${max}`);
  return n;
}
