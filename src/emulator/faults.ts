/**
 * The fault plan: rules that make matching requests fail in B2's real ways (https://www.backblaze.com/docs/cloud-storage-integration-checklist),
 * counted per kind so tests and the soak can report what was injected.
 */
import type { Fault, FaultRule } from './options';

interface LiveRule {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultPlan {
  private live: LiveRule[] = [];
  private readonly counts: Record<string, number> = {};
  private random: () => number;

  constructor(rules: FaultRule[] = [], seed = 1) {
    this.random = mulberry32(seed);
    for (const rule of rules) this.add(rule);
  }

  add(rule: FaultRule): void {
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError('fault probability must be between 0 and 1');
    }
    this.live.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.live = [];
  }

  /** Sets every injected() count back to zero. */
  resetCounts(): void {
    for (const kind of Object.keys(this.counts)) delete this.counts[kind];
  }

  /** The rules in effect, each with how many requests it has hit so far (for the console page). */
  rules(): Array<FaultRule & { fired: number }> {
    return this.live.map(({ rule, fired }) => ({ ...rule, fired }));
  }

  /** How many faults of each kind were injected (`status:503`, `expiredToken`, `resetRequest`, …). */
  injected(): Record<string, number> {
    return { ...this.counts };
  }

  /** The fault for this request, if a rule fires. Each rule is consulted in order; the first that fires wins. */
  take(call: string): Fault | undefined {
    for (const live of this.live) {
      const { rule } = live;
      if (rule.call !== '*' && rule.call !== call) continue;
      if (live.fired >= (rule.times ?? 1)) continue;
      live.seen++;
      if (live.seen <= (rule.skip ?? 0)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      live.fired++;
      const name = rule.fault.kind === 'status' ? `status:${rule.fault.status}` : rule.fault.kind;
      this.counts[name] = (this.counts[name] ?? 0) + 1;
      return rule.fault;
    }
    return undefined;
  }
}

/** A small seeded PRNG (mulberry32) so probabilistic fault runs repeat; tests reuse it. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every call name a fault rule may name ('*' matches them all). */
export function faultCallNames(jsonCalls: readonly string[]): string[] {
  return ['*', ...jsonCalls, 'b2_upload_file', 'b2_upload_part', 'b2_download_file_by_id', 'b2_download_file_by_name'];
}

const FAULT_KINDS = ['status', 'expiredToken', 'resetRequest', 'resetResponse', 'delay', 'stall'];

/**
 * Parses a fault plan file: a JSON array of rules (`[{"call": "b2_upload_file", "fault": {"kind": "status", "status": 503}, "times": 2}]`).
 * Throws an Error whose message starts with `file:line:` for text that is not JSON, a rule of the
 * wrong shape, or a call name the emulator does not serve.
 */
export function parseFaultPlan(text: string, file: string, callNames: readonly string[]): FaultRule[] {
  const lineAt = (offset: number): number => text.slice(0, offset).split('\n').length;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorOffset(text);
    throw new Error(`${file}:${lineAt(at)}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(value)) throw new Error(`${file}:1: a fault plan is a JSON array of rules`);
  const starts = arrayElementOffsets(text);
  return value.map((rule: unknown, i) => {
    const problem = checkRule(rule, callNames);
    if (problem) throw new Error(`${file}:${lineAt(starts[i] ?? 0)}: rule ${i + 1}: ${problem}`);
    const r = rule as FaultRule;
    return r.times === null ? { ...r, times: Infinity } : r;
  });
}

function checkRule(rule: unknown, callNames: readonly string[]): string | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return 'a rule is an object {"call", "fault", "times"?, "skip"?, "probability"?}';
  const r = rule as Record<string, unknown>;
  if (typeof r.call !== 'string') return '"call" must be a B2 call name or "*"';
  if (!callNames.includes(r.call)) return `unknown B2 call "${r.call}" (known: ${callNames.join(', ')})`;
  const f = r.fault as Record<string, unknown> | undefined;
  if (typeof f !== 'object' || f === null || !FAULT_KINDS.includes(f.kind as string)) return `"fault.kind" must be one of ${FAULT_KINDS.join(', ')}`;
  if (f.kind === 'status' && ![408, 429, 500, 503].includes(f.status as number)) return '"fault.status" must be 408, 429, 500 or 503';
  for (const [key, value] of Object.entries({ times: r.times, skip: r.skip, afterBytes: f.afterBytes, ms: f.ms, retryAfterSeconds: f.retryAfterSeconds })) {
    if (value !== undefined && !(key === 'times' && value === null) && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      return `"${key}" must be a whole number${key === 'times' ? ' (or null for every matching request)' : ''}`;
    }
  }
  if ((f.kind === 'resetRequest' || f.kind === 'resetResponse') && f.afterBytes === undefined) return '"fault.afterBytes" is required';
  if (f.kind === 'delay' && f.ms === undefined) return '"fault.ms" is required';
  if (r.probability !== undefined && !(typeof r.probability === 'number' && r.probability >= 0 && r.probability <= 1)) return '"probability" must be between 0 and 1';
  return undefined;
}

/** Offset where JSON text stops being valid (JSON.parse's messages do not always say). */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const string = (): void => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i;
  } catch (at) {
    return typeof at === 'number' ? Math.min(at, text.length) : 0;
  }
}

/** Offsets of the top-level array's elements (for line numbers in messages). */
function arrayElementOffsets(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (' \t\r\n'.includes(c)) continue;
    if (depth === 1 && expectValue) {
      out.push(i);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectValue = true;
  }
  return out;
}
