/**
 * Shared pieces of the fuzz specs: fast-check settings (fixed seed, bounded runs), Backblaze's documented
 * input rules written out independently of src/ (https://www.backblaze.com/docs/cloud-storage-files), timeouts so a hang fails instead
 * of stalling the suite, and the switch for the known-bug specs.
 *
 * Known bugs: each bug the fuzzers found is kept as a plain spec asserting the CORRECT behaviour
 * (knownBugSpec). Once fixed it passes like any spec; while open it is reported as pending with
 * its first failed check, so the suite stays green, and the properties accept the bug's current
 * outcome for exactly that class of input (and nothing else). `RXB2_FUZZ_KNOWN_BUGS=1 npm test`
 * makes both strict: open bugs then fail. `RXB2_FUZZ_VERBOSE=1` prints how often each known-bug class
 * of input came up. `RXB2_FUZZ_SEED` and `RXB2_FUZZ_RUNS` override the seed and the run count.
 */
import { isDeepStrictEqual } from 'node:util';
import * as fc from 'fast-check';

export const CHECK_KNOWN_BUGS = process.env.RXB2_FUZZ_KNOWN_BUGS === '1';

const SEED = process.env.RXB2_FUZZ_SEED !== undefined ? Number(process.env.RXB2_FUZZ_SEED) : 42;
const RUNS = process.env.RXB2_FUZZ_RUNS !== undefined ? Number(process.env.RXB2_FUZZ_RUNS) : undefined;

/** fast-check parameters: a fixed seed, and `numRuns` (or RXB2_FUZZ_RUNS). */
export function fuzz(numRuns: number): fc.Parameters<any> {
  return { seed: SEED, numRuns: RUNS ?? numRuns };
}

/**
 * A spec of the correct behaviour for a known bug (`title` starts with its id, e.g. "BUG-x: …").
 * Its checks are want()s: when they all hold, the bug is fixed and the spec simply passes; while
 * any fails, the spec is marked pending with the first failure ("still open"), or fails outright
 * under RXB2_FUZZ_KNOWN_BUGS=1.
 */
export function knownBugSpec(title: string, summary: string, body: () => Promise<void>, timeoutMs?: number): void {
  const id = title.split(':')[0];
  it(
    title,
    async () => {
      problems.length = 0;
      await body();
      const found = problems.splice(0, problems.length);
      if (found.length === 0) return;
      if (CHECK_KNOWN_BUGS) {
        expect(found).withContext(`known bug ${id} (${summary})`).toEqual([]);
        return;
      }
      pending(`known bug ${id} still open: ${summary}. First failed check: ${found[0].slice(0, 400)}`);
    },
    timeoutMs,
  );
}

/** How many times each known-bug class was hit by the properties (printed by the specs). */
export const knownBugHits: Record<string, number> = {};

/** In a property: true (tolerate the buggy outcome) while the bug is open, false in strict mode. */
export function tolerateKnownBug(id: string): boolean {
  knownBugHits[id] = (knownBugHits[id] ?? 0) + 1;
  return !CHECK_KNOWN_BUGS;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Collects unhandled rejections while a describe block runs; `take()` returns and clears them. */
export function watchUnhandledRejections(): { take(): unknown[] } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', listener);
  });
  afterAll(() => {
    process.off('unhandledRejection', listener);
  });
  return { take: () => seen.splice(0, seen.length) };
}

// ---------------------------------------------------------------------------------------------
// soft checks (fast-check shrinks on a throw; jasmine expectations do not throw)

/** Short JSON for messages (numbers like NaN and undefined spelled out). */
export function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x === undefined ? '<undefined>' : x))?.slice(0, 300) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Failed checks of the current property run (or plain spec); see want(). */
export const problems: string[] = [];

/**
 * A soft expectation: records a failed check instead of throwing, so a property can run all its
 * checks and then fail as a whole (fast-check needs a throw to shrink; see prop()).
 */
export function want(actual: unknown) {
  let context = '';
  const fail = (message: string) => problems.push(`${context ? `${context}: ` : ''}${message}`);
  const api = {
    as(c: string) {
      context = c;
      return api;
    },
    toBe(expected: unknown) {
      if (!Object.is(actual, expected)) fail(`expected ${show(actual)} to be ${show(expected)}`);
    },
    toEqual(expected: unknown) {
      if (!isDeepStrictEqual(actual, expected)) fail(`expected ${show(actual)} to equal ${show(expected)}`);
    },
    toBeTrue() {
      api.toBe(true);
    },
    toBeFalse() {
      api.toBe(false);
    },
    toMatch(re: RegExp) {
      if (typeof actual !== 'string' || !re.test(actual)) fail(`expected ${show(actual)} to match ${re}`);
    },
    toBeInstanceOf(type: abstract new (...args: any[]) => unknown) {
      if (!(actual instanceof type)) fail(`expected an instance of ${type.name}, got ${show(actual)}`);
    },
    toBeGreaterThan(n: number) {
      if (!((actual as number) > n)) fail(`expected ${show(actual)} to be greater than ${n}`);
    },
  };
  return api;
}

/** A property body: its failed checks make the run fail (so fast-check shrinks to a minimal input). */
export function prop<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    problems.length = 0;
    await body(...args);
    const found = problems.splice(0, problems.length);
    if (found.length > 0) throw new Error(found.join('\n'));
  };
}

// ---------------------------------------------------------------------------------------------
// Backblaze's documented rules (https://www.backblaze.com/docs/cloud-storage-files, https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding, https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api), independent of src/

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A UTF-16 code unit of a surrogate that is not part of a pair (the `u` flag pairs surrogates). */
export function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDFFF]/u.test(s);
}

/** File name: a string of 1–1024 UTF-8 bytes, no code point below 0x20, no DEL, valid Unicode. */
export function isValidFileName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && !hasLoneSurrogate(v) && utf8Length(v) <= 1024 && !/[\x00-\x1f\x7f]/.test(v);
}

/** Bucket name: 6–63 of letters, digits and '-', not starting with "b2-" (any case). */
export function isValidBucketName(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9-]{6,63}$/.test(v) && !/^b2-/i.test(v);
}

/** File-info key characters (current docs): letters, digits and - _ . ~ ! # $ % ^ & * ' + ` | */
export const INFO_KEY = /^[A-Za-z0-9\-_.~!#$%^&*'+`|]+$/;

export const RESERVED_INFO_KEYS = ['b2-content-disposition', 'b2-content-language', 'b2-expires', 'b2-cache-control', 'b2-content-encoding'];

/** Percent-encoding by the practical client rule of https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding: every byte but A–Z a–z 0–9 - . _ ~ /. */
export function encodeForHeader(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~/]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The header budget of name + info (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api): encoded header lines, 7000 bytes without SSE / Object Lock. */
export function headerBytes(fileName: string, info: Record<string, string>): number {
  let n = `X-Bz-File-Name: ${encodeForHeader(fileName)}\r\n`.length;
  for (const [k, v] of Object.entries(info)) n += `X-Bz-Info-${k.toLowerCase()}: ${encodeForHeader(v)}\r\n`.length;
  return n;
}

/** UTF-8 byte order = code-point order (the order B2 lists names in). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Whether a name has a "." or ".." path segment (URL parsers remove those from a by-name URL). */
export function hasDotSegment(name: string): boolean {
  return name.split('/').some((s) => s === '.' || s === '..');
}

// ---------------------------------------------------------------------------------------------
// arbitraries

const SPECIALS = [...`%+ \\/.?#&=:;@!$'()*,"<>[]^\`{}|~-_`];

/** One "character" of a nasty name: ASCII, URL specials, controls, DEL, BMP, astral, lone surrogates, oddities. */
export const nastyChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyzABZ0129') },
  { weight: 6, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\x7f') },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('é', 'e\u0301', '日本', '😀', '\u200b', '\u202e', '\ufeff', '\u00a0', '\uffff', '\ufffd', 'ß', 'İ') },
);

/** Characters that are fine in a file name (no controls, no DEL, no lone surrogates). */
export const cleanChar: fc.Arbitrary<string> = nastyChar.filter((c) => isValidFileName(c));

/** A string of exactly `target` UTF-8 bytes made of `ch` padded with 'a'. */
function ofBytes(ch: string, target: number): string {
  const per = utf8Length(ch);
  const n = Math.floor(target / per);
  return ch.repeat(n) + 'a'.repeat(target - n * per);
}

/** Names at the 1024-byte limit, in 1- to 4-byte characters. */
export const nearLimitName: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('a', 'é', '日', '😀', '%', ' '), fc.integer({ min: 1021, max: 1027 }), fc.constantFrom('', 'dir/'))
  .map(([ch, target, dir]) => dir + ofBytes(ch, target - utf8Length(dir)));

/** Anything a caller might pass where a string is expected (via `as any`). */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, 0, -1, NaN, Infinity, true, false, [], {}, ['a'], { name: 'a' }, ''),
  fc.integer(),
  fc.double(),
);

/** Numbers a caller might pass for a count or a size: negative, NaN, fractional, huge, strings. */
export const nonsenseNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, -0, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 - 1, 1e21, Number.MAX_VALUE, Number.MIN_VALUE, '5', '', null, true, [], {}),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e6, max: 1e6 }),
);
