/** Client-side checks of user input, so bad input fails with a typed error before any request. */
import { invalidArgument } from '../http/b2-error';

const utf8 = new TextEncoder();

export function checkFileName(name: unknown, field = 'fileName'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument(field, 'must be a non-empty string');
  // A UTF-16 unit is 1 to 3 bytes of UTF-8 (a surrogate pair 4): most names need no encoding to tell.
  if (name.length > 1024 || (name.length > 341 && utf8.encode(name).length > 1024)) throw invalidArgument(field, 'is longer than 1024 bytes of UTF-8');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw invalidArgument(field, `contains the control character 0x${c.toString(16).padStart(2, '0')}`);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw invalidArgument(field, 'contains a lone surrogate (not valid Unicode)');
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw invalidArgument(field, 'contains a lone surrogate (not valid Unicode)');
  }
  return name;
}

export function checkBucketName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9-]{6,63}$/.test(name)) {
    throw invalidArgument('bucketName', 'must be 6 to 63 letters, digits or "-"');
  }
  if (/^b2-/i.test(name)) throw invalidArgument('bucketName', 'may not start with "b2-"');
  return name;
}

/** Sets an own property even for names like `__proto__` (a plain assignment would change the prototype). */
export function setOwn(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Whether a string is well-formed Unicode (no lone surrogates), so it survives UTF-8. */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export function checkFileInfo(info: unknown): Record<string, string> {
  if (info === undefined) return {};
  const proto: unknown = typeof info === 'object' && info !== null ? Object.getPrototypeOf(info) : undefined;
  if (proto !== Object.prototype && proto !== null) throw invalidArgument('fileInfo', 'must be a plain object of strings');
  const entries = Object.entries(info as Record<string, unknown>);
  if (entries.length > 10) throw invalidArgument('fileInfo', `has ${entries.length} entries; B2 allows at most 10`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalidArgument(`fileInfo.${key}`, 'must be a string');
    if (!isWellFormed(value)) throw invalidArgument(`fileInfo.${key}`, 'is not valid Unicode (a lone surrogate)');
    if (!/^[A-Za-z0-9\-_.~!#$%^&*'+`|]+$/.test(key)) throw invalidArgument(`fileInfo.${key}`, 'key has characters B2 does not allow');
    if (utf8.encode(key).length > 50) throw invalidArgument(`fileInfo.${key}`, 'key is longer than 50 bytes');
    const lower = key.toLowerCase();
    // B2 lower-cases keys: two that differ only in case would silently become one.
    if (Object.prototype.hasOwnProperty.call(out, lower)) throw invalidArgument(`fileInfo.${key}`, `differs from another key only in case (B2 lower-cases keys)`);
    setOwn(out, lower, value);
  }
  return out;
}

/** An options object: absent is `{}`; anything but a plain object is refused. */
export function checkOptions<T extends object>(options: T | undefined | null, field = 'options'): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgument(field, 'must be an object');
  return options;
}

/** HTTP header names and values a request may carry (no CR/LF, a token as name). */
export function checkHeaders(headers: unknown, field = 'headers'): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(checkOptions(headers as Record<string, unknown>, field))) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw invalidArgument(`${field}.${name}`, 'is not a valid HTTP header name');
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw invalidArgument(`${field}.${name}`, 'must be a string without line breaks');
    setOwn(out, name, value);
  }
  return out;
}

/** A download range: whole, non-negative byte offsets with end ≥ start. */
export function checkRange(range: unknown): { start: number; end?: number } | undefined {
  if (range === undefined) return undefined;
  const r = checkOptions(range as { start?: unknown; end?: unknown }, 'range');
  if (typeof r.start !== 'number' || !Number.isSafeInteger(r.start) || r.start < 0) throw invalidArgument('range.start', 'must be a whole number ≥ 0');
  if (r.end !== undefined && (typeof r.end !== 'number' || !Number.isSafeInteger(r.end) || r.end < r.start)) {
    throw invalidArgument('range.end', 'must be a whole number ≥ range.start');
  }
  return { start: r.start, end: r.end as number | undefined };
}

export function checkPositiveInt(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalidArgument(field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

/**
 * A `concurrency` option (requests in flight at once): a whole number from 1 to 64, or `fallback`
 * when not given. Errors with `invalid_argument` naming `concurrency`.
 */
export function checkConcurrency(value: unknown, fallback = 4): number {
  return value === undefined ? fallback : checkPositiveInt(value, 'concurrency', 64);
}

export function checkContentType(value: unknown): string {
  // No leading or trailing space: HTTP trims header values, JSON does not (small and large files would differ).
  if (typeof value !== 'string' || !/^[\x21-\x7e]+\/([\x20-\x7e]*[\x21-\x7e])$/.test(value)) {
    throw invalidArgument('contentType', 'must be a MIME type such as text/plain (or b2/x-auto)');
  }
  return value;
}
