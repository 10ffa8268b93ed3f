/**
 * The fault soak: many uploads (small and multi-part), listings and downloads through the rxb2
 * client against the in-process emulator while every B2 call fails in B2's real ways with a seeded
 * probability; then, with the faults cleared, a check that no acknowledged byte was lost or
 * corrupted, that no unfinished large file was left behind, and that nothing crashed.
 *
 * A storage client is trusted with data: it must finish the job or fail loudly. The report
 * separates what may happen under faults (loud failures, duplicate versions when a response was
 * lost after the server stored the file) from what must never happen (lost, corrupt, orphans,
 * unhandled rejections, hangs).
 *
 * @example
 * const report = await runSoak({ smallUploads: 500, largeUploads: 10, seed: 7 });
 * console.log(formatReport(report));
 */
import { mulberry32 } from '../../src/emulator/faults';
import { createHash } from 'node:crypto';
import http from 'node:http';
import {
  EMPTY, Observable, catchError, concat, defer, filter, finalize, ignoreElements, lastValueFrom, mergeMap, of, take,
  takeUntil, tap, timer, toArray,
} from 'rxjs';
import {
  AxiosTransport, B2, B2Error, intoBuffer, toResponseBody, type B2Event, type B2File, type B2HttpRequest, type B2Transport,
} from '../../src';
import { startEmulator, type Fault, type FaultRule, type RunningEmulator } from '../../src/emulator';

// ---------------------------------------------------------------------------------------------
// options and report

export interface SoakOptions {
  /** Small uploads (b2_upload_file), 0–`smallMaxBytes` bytes each. Default 500. */
  smallUploads?: number;
  /** Multi-part uploads, `largeMinBytes`–`largeMaxBytes` each; every third is interrupted, then resumed. Default 10. */
  largeUploads?: number;
  /** Large uploads abandoned (unsubscribed) after their first part: the client must cancel them. Default 2. */
  abandonedUploads?: number;
  /** listFiles / listFileVersions runs during the uploads (alternating). Default 40. */
  listings?: number;
  /** Upload-then-hide and upload-then-delete pairs (each). Default 10. */
  churn?: number;
  /** Downloads with faults after the uploads (alternately by id and by name, cycling through the acknowledged files). Default 0: each file once. */
  downloads?: number;
  /** Operations in flight at once (mergeMap concurrency). Default 16. */
  concurrency?: number;
  /** Chance that any one request meets a fault (spread over the fault kinds). Default 0.15, at least 0.1 for the full soak. */
  faultProbability?: number;
  /** Seed of the emulator's fault plan and of names, sizes and contents. Default 1. */
  seed?: number;
  /** Bound on the whole run (faulty phases + verification) in ms. Default 150,000. */
  timeLimitMs?: number;
  smallMaxBytes?: number;
  largeMinBytes?: number;
  largeMaxBytes?: number;
  /** Progress lines (phase changes). */
  log?: (line: string) => void;
}

export interface OperationCount {
  ok: number;
  failed: number;
}

export interface SoakFailure {
  op: string;
  name: string;
  code: string;
  message: string;
  /** The operation failed loudly, yet (checked without faults) it had taken effect. */
  tookEffect?: boolean;
}

/** An unfinished large file left behind, and what the client saw of it. */
export interface SoakOrphan {
  fileName: string;
  fileId: string;
  /** Which upload it belongs to (small, large, resumed, abandoned, …). */
  kind: string;
  /** The large-file calls the client made for this name and this id: `call: outcome`, in order. */
  history: string[];
  /**
   * `lostStart`: a b2_start_large_file answer was lost (the server had started a file) and the
   * client's retry started another. `cancelFailed`: every b2_cancel_large_file attempt failed.
   * `unknown`: neither.
   */
  cause: 'lostStart' | 'cancelFailed' | 'unknown';
}

export interface SoakReport {
  seed: number;
  options: Required<Omit<SoakOptions, 'log'>>;
  durationMs: number;
  /** The faulty phases hit the time bound: operations still in flight then (a hang). */
  timedOut: boolean;
  inFlightAtTimeout: string[];
  /** Operations per kind: ok / failed (failed = the client reported an error). */
  operations: Record<string, OperationCount>;
  /** Faults the emulator injected, per kind (`status:503`, `resetResponse`, …). */
  faultsInjected: Record<string, number>;
  /** Requests the client sent, per B2 call, and how many of them failed (the client saw an error). */
  requests: Record<string, { sent: number; failed: number }>;
  /** `sent` events with attempt > 1 in the upload and download event streams. */
  retries: number;
  /** Every failed request (all calls), each of which was retried unless its operation failed. */
  failedRequests: number;
  /** Acknowledged uploads missing afterwards (not listed, or not downloadable). */
  lost: number;
  /** Bytes that differ from the source: downloads that succeeded with wrong bytes, stored SHA-1s or lengths that differ. */
  corrupt: number;
  /** Unfinished large files left behind (b2_list_unfinished_large_files, raw, master key). */
  orphans: number;
  orphanDetails: SoakOrphan[];
  /** Unfinished large files kept on purpose (keepOnFailure) by a resumable upload whose resume failed loudly. */
  keptForResume: number;
  /** Calls the client sent during the faulty phases that had no fault rules (should be empty). */
  callsWithoutFaults: string[];
  /** Extra versions of a name (a response lost after the server stored the file). */
  duplicates: number;
  /** Unhandled promise rejections and uncaught exceptions during the run. */
  unhandled: number;
  /** Listings that missed an acknowledged file, repeated a name or broke name order. */
  listingAnomalies: number;
  /** "internal error" lines the emulator wrote to stderr (a 500 it did not mean to send). */
  emulatorInternalErrors: number;
  /** Loud failures whose operation had in fact taken effect (the client's answer was wrong). */
  failedButDone: number;
  failures: SoakFailure[];
  failuresByCode: Record<string, number>;
  slowestOperation: { label: string; ms: number };
  /** Names behind the counts above (at most 20 each). */
  details: { lost: string[]; corrupt: string[]; orphans: string[]; duplicates: string[]; listingAnomalies: string[]; unhandled: string[] };
  /** lost, corrupt, orphans, unhandled, listing anomalies, emulator internal errors and timeouts are all zero. */
  passed: boolean;
}

// ---------------------------------------------------------------------------------------------
// the fault plan

/** Every call the soak exercises; each gets faults of every kind that applies to it. */
export const SOAK_CALLS = [
  'b2_authorize_account',
  'b2_get_upload_url',
  'b2_upload_file',
  'b2_start_large_file',
  'b2_get_upload_part_url',
  'b2_upload_part',
  'b2_finish_large_file',
  'b2_cancel_large_file',
  'b2_list_unfinished_large_files',
  'b2_list_parts',
  'b2_list_file_names',
  'b2_list_file_versions',
  'b2_download_file_by_id',
  'b2_download_file_by_name',
  'b2_delete_file_version',
  'b2_hide_file',
  // Not called today; a client that checks a lost b2_finish_large_file answer would call it.
  'b2_get_file_info',
] as const;

/** The fault kinds as `emu.faults.injected()` names them. */
export const FAULT_KINDS = ['status:503', 'status:429', 'status:500', 'status:408', 'expiredToken', 'resetRequest', 'resetResponse', 'delay'] as const;

const UPLOADS = new Set(['b2_upload_file', 'b2_upload_part']);
const DOWNLOADS = new Set(['b2_download_file_by_id', 'b2_download_file_by_name']);

/** The faults one call can meet, with relative weights. */
function faultMenu(call: string): { fault: Fault; weight: number }[] {
  const menu: { fault: Fault; weight: number }[] = [
    { fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, weight: 1 },
    // Each costs a real second: rarer.
    { fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, weight: 0.3 },
    { fault: { kind: 'status', status: 429 }, weight: 1 },
    { fault: { kind: 'status', status: 500 }, weight: 1 },
    { fault: { kind: 'status', status: 408 }, weight: 1 },
    { fault: { kind: 'delay', ms: 3 }, weight: 0.5 },
    { fault: { kind: 'delay', ms: 20 }, weight: 0.5 },
  ];
  // B2 never answers b2_authorize_account with expired_auth_token (a 401 there means bad
  // credentials) and the client rightly gives up at once on it: not a fault to inject there.
  if (call !== 'b2_authorize_account') menu.push({ fault: { kind: 'expiredToken' }, weight: 1 });
  if (UPLOADS.has(call)) {
    // Part-way through the body (small files: often past their end, which resets before any answer).
    menu.push({ fault: { kind: 'resetRequest', afterBytes: 0 }, weight: 0.3 }, { fault: { kind: 'resetRequest', afterBytes: 700 }, weight: 0.4 }, { fault: { kind: 'resetRequest', afterBytes: 3000 }, weight: 0.3 });
    // The server stored the upload; its answer is cut: the client cannot know (duplicates).
    menu.push({ fault: { kind: 'resetResponse', afterBytes: 30 }, weight: 1 });
  } else if (DOWNLOADS.has(call)) {
    // A GET has no body: the connection drops before any answer.
    menu.push({ fault: { kind: 'resetRequest', afterBytes: 0 }, weight: 0.5 });
    menu.push({ fault: { kind: 'resetResponse', afterBytes: 1 }, weight: 0.4 }, { fault: { kind: 'resetResponse', afterBytes: 1500 }, weight: 0.3 }, { fault: { kind: 'resetResponse', afterBytes: 9000 }, weight: 0.3 });
  } else {
    // JSON bodies are 50–300 bytes; authorize is a GET (no body).
    menu.push({ fault: { kind: 'resetRequest', afterBytes: call === 'b2_authorize_account' ? 0 : 20 }, weight: 1 });
    menu.push({ fault: { kind: 'resetResponse', afterBytes: 30 }, weight: 1 });
  }
  return menu;
}

/**
 * Rules for every call and kind: probabilities chosen so that a request of any call meets some
 * fault with probability `p` overall (the plan consults its rules in order, each with its own draw).
 */
export function soakFaultRules(p: number, calls: readonly string[] = SOAK_CALLS): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const call of calls) {
    const menu = faultMenu(call);
    const total = menu.reduce((n, m) => n + m.weight, 0);
    for (const { fault, weight } of menu) {
      // Π(1 − pᵢ) = 1 − p
      rules.push({ call, fault, times: Infinity, probability: 1 - Math.pow(1 - p, weight / total) });
    }
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------
// seeded data

function randomBytes(size: number, random: () => number): Buffer {
  const out = Buffer.alloc(size);
  let x = (Math.floor(random() * 0xffffffff) | 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Name pieces: ASCII punctuation that needs encoding, accents, CJK, emoji (surrogate pairs), and U+E000–U+FFFF (which order after them in UTF-16 but before them in UTF-8). */
const PIECES = [
  'a', 'Q', '7', ' ', '-', '_', '.', '~', '%', '+', '#', '?', '&', '=', "'", '(', ')', '!', '@', '$', ',', ';', ':', '[', ']', '"', '<', '>',
  '|', '^', '`', '{', '}', '\\', '*', 'é', 'ß', 'Ω', 'ж', 'ψ', '日本', '中文', '한국어', '🙂', '🚀', '𝄞', '％', '｡', '\uE000', '\uFFFD', '/',
];
const EXTENSIONS = ['', '.txt', '.bin', '.json', '.日本', '.tar.gz'];

function randomName(prefix: string, index: number, random: () => number): string {
  let middle = '';
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const piece = PIECES[Math.floor(random() * PIECES.length)];
    // No empty folder names ("//") and no trailing "/".
    if (piece === '/' && (middle === '' || middle.endsWith('/'))) continue;
    middle += piece;
  }
  if (middle.endsWith('/')) middle += 'x';
  return `${prefix}${String(index).padStart(4, '0')}-${middle}${EXTENSIONS[Math.floor(random() * EXTENSIONS.length)]}`;
}

const sha1 = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

interface SourceFile {
  kind: 'small' | 'large' | 'resumed' | 'hide' | 'delete' | 'abandoned';
  name: string;
  data: Buffer;
  sha1: string;
  partSize?: number;
  partConcurrency?: number;
  /** The version the client acknowledged. */
  acked?: B2File;
  /** The upload failed loudly. */
  failed?: SoakFailure;
  /** hide/delete churn: the second step succeeded. */
  churned?: boolean;
}

type Op =
  | { type: 'upload'; file: SourceFile }
  | { type: 'listNames' | 'listVersions'; index: number };

// ---------------------------------------------------------------------------------------------
// instrumentation

/** Large-file calls whose outcomes are kept per file name, to explain an orphan. */
const TRACED = new Set(['b2_start_large_file', 'b2_finish_large_file', 'b2_cancel_large_file', 'b2_list_unfinished_large_files']);

class CountingTransport implements B2Transport {
  readonly stats: Record<string, { sent: number; failed: number }> = {};
  /** file name or id → `call: outcome` in order. */
  readonly trace = new Map<string, string[]>();
  constructor(private readonly inner: B2Transport) {}

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return defer(() => {
      const s = (this.stats[req.operation] ??= { sent: 0, failed: 0 });
      s.sent++;
      const body = (req.json ?? {}) as { fileName?: string; fileId?: string; namePrefix?: string };
      const key = TRACED.has(req.operation) ? (body.fileName ?? body.namePrefix ?? body.fileId) : undefined;
      const record = (outcome: string) => {
        if (key !== undefined) (this.trace.get(key) ?? this.trace.set(key, []).get(key)!).push(`${req.operation.replace(/^b2_/, '')}: ${outcome}`);
      };
      return this.inner.request<T>(req).pipe(
        tap({
          next: (e) => {
            if (e.type === 'response') record(`ok${(e.body as { fileId?: string })?.fileId ? ` ${(e.body as { fileId: string }).fileId}` : ''}`);
          },
          error: (err: unknown) => {
            s.failed++;
            record(errorOf(err).code);
          },
          unsubscribe: () => record('aborted'),
        }),
      );
    });
  }
}

/** POSTs a JSON call with node:http and no keep-alive agent (independent of the client under test). */
function rawJson<T>(url: string, headers: Record<string, string>, body?: object): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method: payload ? 'POST' : 'GET',
      agent: false,
      headers: { ...headers, Connection: 'close', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`${url}: HTTP ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every unfinished large file of a bucket, by the raw API with the emulator's master key. */
export async function rawUnfinishedLargeFiles(emu: RunningEmulator, bucketId: string): Promise<{ fileId: string; fileName: string }[]> {
  const basic = `Basic ${Buffer.from(`${emu.keyId}:${emu.applicationKey}`).toString('base64')}`;
  const auth = await rawJson<{ authorizationToken: string; apiInfo: { storageApi: { apiUrl: string } } }>(`${emu.url}/b2api/v3/b2_authorize_account`, { Authorization: basic });
  const out: { fileId: string; fileName: string }[] = [];
  let startFileId: string | undefined;
  do {
    const page = await rawJson<{ files: { fileId: string; fileName: string }[]; nextFileId: string | null }>(
      `${auth.apiInfo.storageApi.apiUrl}/b2api/v3/b2_list_unfinished_large_files`,
      { Authorization: auth.authorizationToken },
      { bucketId, maxFileCount: 100, ...(startFileId ? { startFileId } : {}) },
    );
    out.push(...page.files);
    startFileId = page.nextFileId ?? undefined;
  } while (startFileId);
  return out;
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof B2Error) return { code: err.code, message: `${err.status} ${err.operation ?? ''}: ${err.message}`.trim() };
  const e = err as Error;
  return { code: `non_b2_error:${e?.name ?? typeof err}`, message: String(e?.stack ?? e?.message ?? err) };
}

// ---------------------------------------------------------------------------------------------
// the run

const DEFAULTS: Required<Omit<SoakOptions, 'log'>> = {
  smallUploads: 500,
  largeUploads: 10,
  abandonedUploads: 2,
  listings: 40,
  churn: 10,
  downloads: 0,
  concurrency: 16,
  faultProbability: 0.15,
  seed: 1,
  timeLimitMs: 150_000,
  smallMaxBytes: 20_000,
  largeMinBytes: 50_000,
  largeMaxBytes: 200_000,
};

/** Small uploads stay one b2_upload_file up to this size. */
const SMALL_THRESHOLD = 10_000_000;

/** Time kept back from the faulty phases for the verification: a third of the bound, at most 20 s. */
const verifyReserveMs = (timeLimitMs: number) => Math.min(20_000, Math.floor(timeLimitMs / 3));

/**
 * Runs the soak: starts an emulator (127.0.0.1, port 0, parts of 1,000/5,000 bytes) with the
 * fault plan, drives a client through it, verifies without faults, closes the emulator. Resolves
 * with the report (never rejects for what the soak finds; rejects only if it cannot run at all).
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const o: Required<Omit<SoakOptions, 'log'>> = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'log')) };
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const deadline = started + o.timeLimitMs;
  const random = mulberry32(o.seed ^ 0x5eed);

  // --- watch for what must never happen
  const unhandled: string[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(`unhandledRejection: ${errorOf(reason).code} ${errorOf(reason).message}`);
  const onUncaught = (err: unknown) => void unhandled.push(`uncaughtException: ${errorOf(err).code} ${errorOf(err).message}`);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  let emulatorInternalErrors = 0;
  const stderrWrite = process.stderr.write;
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (String(chunk).includes('rxb2 emulator: internal error')) emulatorInternalErrors++;
    return (stderrWrite as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
  } as typeof process.stderr.write;

  const restoreHooks = () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    process.stderr.write = stderrWrite;
  };
  let emu: RunningEmulator;
  try {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 1000, recommendedPartSize: 5000, faultSeed: o.seed });
  } catch (err) {
    restoreHooks();
    throw err;
  }
  const transport = new CountingTransport(new AxiosTransport());
  const b2 = new B2({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    realm: emu.url,
    transport,
    retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 10 },
  });

  const operations: Record<string, OperationCount> = {};
  const count = (kind: string, ok: boolean) => {
    const c = (operations[kind] ??= { ok: 0, failed: 0 });
    if (ok) c.ok++;
    else c.failed++;
  };
  const failures: SoakFailure[] = [];
  const fail = (op: string, name: string, err: unknown): SoakFailure => {
    const f: SoakFailure = { op, name, ...errorOf(err) };
    failures.push(f);
    count(op, false);
    return f;
  };
  let retries = 0;
  const countRetries = <E extends { type: string }>(e: E) => {
    if (e.type === 'sent' && (e as unknown as { attempt: number }).attempt > 1) retries++;
  };
  const details = { lost: [] as string[], corrupt: [] as string[], orphans: [] as string[], duplicates: [] as string[], listingAnomalies: [] as string[], unhandled };
  let lost = 0;
  let corrupt = 0;
  let listingAnomalies = 0;
  const note = (list: string[], line: string) => {
    if (list.length < 20) list.push(line);
  };
  const inFlight = new Set<string>();
  let slowest = { label: '', ms: 0 };
  const tracked = <T>(label: string, work: Observable<T>): Observable<T> =>
    defer(() => {
      const t0 = Date.now();
      inFlight.add(label);
      return work.pipe(
        finalize(() => {
          inFlight.delete(label);
          const ms = Date.now() - t0;
          if (ms > slowest.ms) slowest = { label, ms };
        }),
      );
    });

  let timedOut = false;
  let inFlightAtTimeout: string[] = [];
  let orphans: { fileId: string; fileName: string }[];
  const orphanDetails: SoakOrphan[] = [];
  let keptForResume = 0;
  let duplicates = 0;
  let failedButDone = 0;
  let faultsInjected: Record<string, number>;

  try {
    const bucket = await lastValueFrom(b2.buckets.create(`soak-${o.seed}-${Date.now().toString(36)}`));

    // --- the data
    const files: SourceFile[] = [];
    for (let i = 0; i < o.smallUploads; i++) {
      const size = i === 0 ? 0 : i === 1 ? 1 : random() < 0.05 ? 0 : Math.floor(random() * (o.smallMaxBytes + 1));
      const data = randomBytes(size, random);
      files.push({ kind: 'small', name: randomName('files/s', i, random), data, sha1: sha1(data) });
    }
    const partSizes = [5000, 5000, 8000, 12_000, 20_000];
    for (let i = 0; i < o.largeUploads; i++) {
      const partSize = partSizes[Math.floor(random() * partSizes.length)];
      // One size an exact multiple of the part size; the others anywhere in the range.
      let size = o.largeMinBytes + Math.floor(random() * (o.largeMaxBytes - o.largeMinBytes + 1));
      if (i === 1) size = Math.max(2, Math.ceil(o.largeMinBytes / partSize)) * partSize;
      const data = randomBytes(size, random);
      files.push({ kind: i % 3 === 2 ? 'resumed' : 'large', name: randomName('files/L', i, random), data, sha1: sha1(data), partSize, partConcurrency: 2 + Math.floor(random() * 5) });
    }
    for (let i = 0; i < o.abandonedUploads; i++) {
      const data = randomBytes(o.largeMinBytes, random);
      files.push({ kind: 'abandoned', name: randomName('abandon/', i, random), data, sha1: sha1(data), partSize: 5000, partConcurrency: 2 });
    }
    for (let i = 0; i < o.churn; i++) {
      for (const kind of ['hide', 'delete'] as const) {
        const data = randomBytes(Math.floor(random() * 3000), random);
        files.push({ kind, name: randomName(`churn/${kind}-`, i, random), data, sha1: sha1(data) });
      }
    }

    // --- the schedule: large uploads early (to overlap the small ones), listings and churn spread out
    const ops: Op[] = [];
    const smalls = files.filter((f) => f.kind === 'small');
    const others = files.filter((f) => f.kind !== 'small');
    const bigs = others.filter((f) => f.kind !== 'hide' && f.kind !== 'delete');
    const churns = others.filter((f) => f.kind === 'hide' || f.kind === 'delete');
    const slots = smalls.length;
    const at = (k: number, n: number, span: number) => Math.floor(((k + 0.5) * span) / Math.max(1, n));
    const extra = new Map<number, Op[]>();
    const put = (slot: number, op: Op) => (extra.get(slot) ?? extra.set(slot, []).get(slot)!).push(op);
    bigs.forEach((f, k) => put(at(k, bigs.length, Math.max(1, Math.floor(slots / 2))), { type: 'upload', file: f }));
    churns.forEach((f, k) => put(at(k, churns.length, slots), { type: 'upload', file: f }));
    for (let k = 0; k < o.listings; k++) put(at(k, o.listings, slots), { type: k % 2 === 0 ? 'listNames' : 'listVersions', index: k });
    for (let i = 0; i <= slots; i++) {
      ops.push(...(extra.get(i) ?? []));
      if (i < slots) ops.push({ type: 'upload', file: smalls[i] });
    }
    for (const [slot, list] of extra) if (slot > slots) ops.push(...list);

    const acked = () => files.filter((f) => f.acked && (f.kind === 'small' || f.kind === 'large' || f.kind === 'resumed'));

    // --- the operations (each catches its own failure: one op failing never stops the others)
    const upload = (f: SourceFile, extraOptions: Record<string, unknown> = {}) =>
      (f.kind === 'small' || f.kind === 'hide' || f.kind === 'delete'
        ? // One b2_upload_file whatever the size (the emulator's recommendedPartSize, the default threshold, is only 5,000).
          bucket.uploadFile({ contents: f.data, fileName: f.name, largeFileThreshold: SMALL_THRESHOLD, ...extraOptions })
        : bucket.uploadLargeFile({ contents: f.data, fileName: f.name, partSize: f.partSize, concurrency: f.partConcurrency, ...extraOptions })
      ).pipe(tap((e) => countRetries(e)));

    const runUpload = (f: SourceFile): Observable<unknown> => {
      const kind = { small: 'smallUpload', large: 'largeUpload', resumed: 'largeUploadResumed', abandoned: 'largeUploadAbandoned', hide: 'churnUpload', delete: 'churnUpload' }[f.kind];
      let work: Observable<unknown>;
      if (f.kind === 'abandoned') {
        // Unsubscribed after its first part: the client must cancel the large file on B2.
        work = upload(f).pipe(
          filter((e) => e.type === 'partUploaded'),
          take(1),
          tap(() => count('largeUploadAbandoned', true)),
          catchError((err) => {
            fail('largeUploadAbandoned', f.name, err);
            return EMPTY;
          }),
        );
      } else {
        const interrupted: Observable<never> =
          f.kind === 'resumed'
            ? upload(f, { keepOnFailure: true }).pipe(
                // Stopped after two parts, kept for resuming.
                filter((e) => e.type === 'partUploaded'),
                take(2),
                ignoreElements(),
                catchError(() => EMPTY),
              )
            : EMPTY;
        const finished = defer(() => upload(f, f.kind === 'resumed' ? { resume: true } : {})).pipe(toResponseBody<B2File>());
        work = concat(interrupted, finished).pipe(
          tap((file) => {
            f.acked = file;
            count(kind, true);
          }),
          mergeMap((file) => {
            if (f.kind === 'hide') return file.hide().pipe(tap({ next: () => (f.churned = true) }));
            if (f.kind === 'delete') return file.delete().pipe(tap({ next: () => (f.churned = true) }));
            return EMPTY;
          }),
          tap(() => count(f.kind === 'hide' ? 'hideFile' : 'deleteFileVersion', true)),
          catchError((err) => {
            f.failed = fail(f.acked ? (f.kind === 'hide' ? 'hideFile' : 'deleteFileVersion') : kind, f.name, err);
            return EMPTY;
          }),
        );
      }
      return tracked(`${kind} ${JSON.stringify(f.name)}`, work);
    };

    const runListing = (op: Extract<Op, { index: number }>): Observable<unknown> => {
      const kind = op.type === 'listNames' ? 'listFiles' : 'listFileVersions';
      const before = acked();
      const pageSize = 50 + Math.floor(random() * 400);
      const source = op.type === 'listNames' ? bucket.listFiles({ prefix: 'files/', pageSize }) : bucket.listFileVersions({ prefix: 'files/', pageSize });
      return tracked(
        `${kind} #${op.index}`,
        source.pipe(
          toArray(),
          tap((listed) => {
            count(kind, true);
            const problems: string[] = [];
            for (let i = 1; i < listed.length; i++) {
              const order = byUtf8(listed[i - 1].fileName, listed[i].fileName);
              if (order > 0 || (order === 0 && op.type === 'listNames')) problems.push(`order at ${i}: ${JSON.stringify(listed[i - 1].fileName)} then ${JSON.stringify(listed[i].fileName)}`);
            }
            const ids = new Set(listed.map((f) => f.fileId));
            const names = new Set(listed.map((f) => f.fileName));
            // listFiles shows the newest version: a duplicate stored after the acknowledged one is fine.
            for (const f of before) if (!ids.has(f.acked!.fileId) && !(op.type === 'listNames' && names.has(f.name))) problems.push(`missing acknowledged ${JSON.stringify(f.name)}`);
            if (problems.length > 0) {
              listingAnomalies++;
              note(details.listingAnomalies, `${kind} #${op.index}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3})` : ''}`);
            }
          }),
          catchError((err) => {
            fail(kind, `#${op.index}`, err);
            return EMPTY;
          }),
        ),
      );
    };

    /** Downloads one file (by id or by name) and compares every byte with the source. */
    const runDownload = (f: SourceFile, byName: boolean, phase: string): Observable<unknown> => {
      const kind = `${byName ? 'downloadByName' : 'downloadById'}${phase}`;
      const source = byName ? bucket.downloadFileByName(f.name).pipe(tap((e) => countRetries(e)), intoBuffer()) : f.acked!.downloadToBuffer().pipe(tap((e) => countRetries(e)));
      return tracked(
        `${kind} ${JSON.stringify(f.name)}`,
        source.pipe(
          toResponseBody(),
          tap((result) => {
            const data = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
            if (!data.equals(f.data)) {
              corrupt++;
              note(details.corrupt, `${kind} ${JSON.stringify(f.name)}: got ${data.length} bytes sha1 ${sha1(data)}, expected ${f.data.length} bytes sha1 ${f.sha1}`);
              count(kind, false);
            } else count(kind, true);
          }),
          catchError((err) => {
            const failure = fail(kind, f.name, err);
            if (failure.code === 'checksum_mismatch' || failure.code === 'truncated') {
              // The client caught wrong bytes (loud, as it should); without faults they would be stored corruption.
              if (phase === 'Verify') {
                corrupt++;
                note(details.corrupt, `${kind} ${JSON.stringify(f.name)}: ${failure.code}`);
              }
            } else if (phase === 'Verify' && (failure.code === 'not_found' || failure.code === 'file_not_present')) {
              lost++;
              note(details.lost, `${JSON.stringify(f.name)}: download ${failure.code}`);
            }
            return EMPTY;
          }),
        ),
      );
    };

    // --- phase 1 and 2: with faults
    for (const rule of soakFaultRules(o.faultProbability)) emu.faults.add(rule);
    const faultyBudget = Math.max(1000, deadline - verifyReserveMs(o.timeLimitMs) - Date.now());
    const timeout$ = timer(faultyBudget).pipe(
      tap(() => {
        timedOut = true;
        inFlightAtTimeout = [...inFlight];
      }),
    );
    log(`phase 1: ${ops.length} operations (${o.smallUploads} small, ${o.largeUploads} large, ${o.abandonedUploads} abandoned, ${o.listings} listings, ${o.churn * 2} churn) at concurrency ${o.concurrency}, fault probability ${o.faultProbability}`);
    const phase1 = defer(() => of(...ops)).pipe(
      mergeMap((op) => (op.type === 'upload' ? runUpload(op.file) : runListing(op)), o.concurrency),
    );
    const phase2 = defer(() => {
      const files = acked();
      const targets = o.downloads > 0 && files.length > 0 ? Array.from({ length: o.downloads }, (_, i) => files[i % files.length]) : files;
      log(`phase 2: ${targets.length} downloads of ${files.length} files with faults`);
      return of(...targets).pipe(mergeMap((f, i) => runDownload(f, i % 2 === 1, ''), o.concurrency));
    });
    await lastValueFrom(concat(phase1, phase2).pipe(takeUntil(timeout$)), { defaultValue: undefined });

    // --- phase 3: without faults, verify
    emu.faults.clear();
    const verifyDeadline = Math.max(Date.now() + 5000, deadline);
    const bounded = <T>(what: string, p: Observable<T>): Promise<T> =>
      lastValueFrom(p.pipe(takeUntil(timer(Math.max(1000, verifyDeadline - Date.now())).pipe(tap(() => {
        timedOut = true;
        inFlightAtTimeout.push(`verify: ${what}`, ...inFlight);
      })))), { defaultValue: undefined as T });
    // Cancels of abandoned (or, at the time bound, unsubscribed) uploads run in the background,
    // perhaps in a retry wait (Retry-After: 1): give them up to 3 s to land.
    const settleBy = Date.now() + 3000;
    while (Date.now() < settleBy && (await rawUnfinishedLargeFiles(emu, bucket.bucketId)).length > 0) await new Promise((r) => setTimeout(r, 100));
    log('phase 3: verifying without faults');

    const current = (await bounded('listFiles', bucket.listFiles({ pageSize: 1000 }).pipe(toArray()))) ?? [];
    const versions = (await bounded('listFileVersions', bucket.listFileVersions({ pageSize: 1000 }).pipe(toArray()))) ?? [];
    const currentByName = new Map(current.map((f) => [f.fileName, f]));
    const versionsByName = new Map<string, B2File[]>();
    for (const v of versions) (versionsByName.get(v.fileName) ?? versionsByName.set(v.fileName, []).get(v.fileName)!).push(v);
    const sources = new Map(files.map((f) => [f.name, f]));

    for (const f of files) {
      const listed = currentByName.get(f.name);
      const all = versionsByName.get(f.name) ?? [];
      const uploads = all.filter((v) => v.action === 'upload');
      if (f.acked && (f.kind === 'small' || f.kind === 'large' || f.kind === 'resumed')) {
        if (!listed || !all.some((v) => v.fileId === f.acked!.fileId)) {
          lost++;
          note(details.lost, `${JSON.stringify(f.name)}: acknowledged ${f.acked.fileId}, ${listed ? `listed as ${listed.fileId}` : 'not listed'}`);
        }
      }
      if (f.kind === 'hide' && f.churned && listed) {
        listingAnomalies++;
        note(details.listingAnomalies, `hidden ${JSON.stringify(f.name)} still listed`);
      }
      if (f.kind === 'delete' && f.churned && all.some((v) => v.fileId === f.acked!.fileId)) {
        listingAnomalies++;
        note(details.listingAnomalies, `deleted version of ${JSON.stringify(f.name)} still listed`);
      }
      // Every stored version must hold the source bytes (by its SHA-1 / large_file_sha1 and length).
      for (const v of uploads) {
        const stored = v.contentSha1 && v.contentSha1 !== 'none' ? v.contentSha1.replace(/^unverified:/, '') : v.fileInfo.large_file_sha1;
        if (v.contentLength !== f.data.length || stored !== f.sha1) {
          corrupt++;
          note(details.corrupt, `${JSON.stringify(f.name)} version ${v.fileId}: ${v.contentLength} bytes sha1 ${stored}, expected ${f.data.length} bytes sha1 ${f.sha1}`);
        }
      }
      const extraVersions = f.kind === 'delete' && f.churned ? uploads.length : Math.max(0, uploads.length - 1);
      if (extraVersions > 0) {
        duplicates += extraVersions;
        note(details.duplicates, `${JSON.stringify(f.name)}: ${uploads.length} versions${f.kind === 'delete' ? ' (after deleting the acknowledged one)' : ''}`);
      }
      // A loud failure that nevertheless took effect: the client's answer was wrong.
      if (f.failed) {
        const done =
          (f.failed.op === 'hideFile' && !listed && all.some((v) => v.action === 'hide')) ||
          (f.failed.op === 'deleteFileVersion' && !all.some((v) => v.fileId === f.acked!.fileId)) ||
          (!f.acked && f.kind !== 'abandoned' && uploads.length > 0);
        if (done) {
          f.failed.tookEffect = true;
          failedButDone++;
        }
      }
    }
    for (const v of versions) {
      if (!sources.has(v.fileName)) {
        corrupt++;
        note(details.corrupt, `unexpected name ${JSON.stringify(v.fileName)} (${v.action})`);
      }
    }

    // Every acknowledged file, downloaded again without faults (by id), byte for byte.
    const targets = acked();
    await bounded('downloads', of(...targets).pipe(mergeMap((f) => runDownload(f, false, 'Verify'), o.concurrency)));

    // A resumable upload whose resume then failed loudly leaves the file its first run kept on
    // purpose (keepOnFailure): the caller's to resume or cancel, not the client's orphan. One per name.
    const keptAllowed = new Map(files.filter((f) => f.kind === 'resumed' && !f.acked).map((f) => [f.name, 1]));
    const unfinished = await rawUnfinishedLargeFiles(emu, bucket.bucketId);
    // The kept one is the file whose start the client saw succeed; any other of that name is an orphan.
    const startedOk = (x: { fileId: string; fileName: string }) => (transport.trace.get(x.fileName) ?? []).includes(`start_large_file: ok ${x.fileId}`);
    orphans = [...unfinished.filter(startedOk), ...unfinished.filter((x) => !startedOk(x))].filter((x) => {
      const allowed = keptAllowed.get(x.fileName) ?? 0;
      if (allowed === 0) return true;
      keptAllowed.set(x.fileName, allowed - 1);
      keptForResume++;
      return false;
    });
    const listedStarts = versions.filter((v) => v.action === 'start');
    for (const x of orphans) {
      const f = sources.get(x.fileName);
      const byName = transport.trace.get(x.fileName) ?? [];
      const byId = transport.trace.get(x.fileId) ?? [];
      const history = [...byName, ...byId];
      const cancels = byId.filter((h) => h.startsWith('cancel_large_file:'));
      const cause: SoakOrphan['cause'] =
        cancels.length > 0 && !cancels.some((h) => h.startsWith('cancel_large_file: ok'))
          ? 'cancelFailed'
          : byName.some((h) => h === 'start_large_file: network_error') && !byName.some((h) => h === `start_large_file: ok ${x.fileId}`)
            ? 'lostStart'
            : 'unknown';
      orphanDetails.push({ fileName: x.fileName, fileId: x.fileId, kind: f?.kind ?? '?', history, cause });
      note(details.orphans, `${JSON.stringify(x.fileName)} ${x.fileId} [${cause}] (${f?.kind ?? '?'} upload, ${f?.acked ? `acknowledged as ${f.acked.fileId}` : f?.failed ? `failed loudly: ${f.failed.code}` : 'not acknowledged'}); client saw: ${history.join(', ')}`);
    }
    if (listedStarts.length !== unfinished.length) {
      listingAnomalies++;
      note(details.listingAnomalies, `listFileVersions shows ${listedStarts.length} unfinished large files, b2_list_unfinished_large_files ${unfinished.length}`);
    }
  } finally {
    emu.faults.clear();
    faultsInjected = emu.faults.injected();
    await emu.close();
    // Late rejections (a fire-and-forget cancel, a body stream) would surface within a tick or two.
    await new Promise((r) => setImmediate(r));
    restoreHooks();
  }

  const failuresByCode: Record<string, number> = {};
  for (const f of failures) failuresByCode[`${f.op} ${f.code}`] = (failuresByCode[`${f.op} ${f.code}`] ?? 0) + 1;
  const failedRequests = Object.values(transport.stats).reduce((n, s) => n + s.failed, 0);
  const report: SoakReport = {
    seed: o.seed,
    options: o,
    durationMs: Date.now() - started,
    timedOut,
    inFlightAtTimeout,
    operations,
    faultsInjected,
    requests: transport.stats,
    retries,
    failedRequests,
    lost,
    corrupt,
    orphans: orphans.length,
    orphanDetails,
    keptForResume,
    callsWithoutFaults: Object.keys(transport.stats).filter((c) => c !== 'b2_create_bucket' && !(SOAK_CALLS as readonly string[]).includes(c)),
    duplicates,
    unhandled: unhandled.length,
    listingAnomalies,
    emulatorInternalErrors,
    failedButDone,
    failures,
    failuresByCode,
    slowestOperation: slowest,
    details,
    passed: false,
  };
  report.passed = lost === 0 && corrupt === 0 && orphans.length === 0 && unhandled.length === 0 && listingAnomalies === 0 && emulatorInternalErrors === 0 && !timedOut;
  return report;
}

// ---------------------------------------------------------------------------------------------
// the table

function table(rows: (string | number)[][], header: string[]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** The report as plain-text tables: verdict, operations, requests and faults per call, findings. */
export function formatReport(r: SoakReport): string {
  const out: string[] = [];
  out.push(`rxb2 fault soak — seed ${r.seed}, fault probability ${r.options.faultProbability}, concurrency ${r.options.concurrency}, ${(r.durationMs / 1000).toFixed(1)} s`);
  out.push('');
  out.push(table(Object.entries(r.operations).sort().map(([k, c]) => [k, c.ok, c.failed]), ['operation', 'ok', 'failed']));
  out.push('');
  out.push(table(Object.entries(r.requests).sort().map(([k, s]) => [k, s.sent, s.failed]), ['call', 'requests', 'failed']));
  out.push('');
  const kinds = [...new Set([...FAULT_KINDS, ...Object.keys(r.faultsInjected)])];
  out.push(table(kinds.map((k) => [k, r.faultsInjected[k] ?? 0]), ['fault injected', 'count']));
  if (r.callsWithoutFaults.length > 0) out.push(`calls sent without fault rules: ${r.callsWithoutFaults.join(', ')}`);
  out.push('');
  const verdict = (n: number) => (n === 0 ? 'ok' : 'FAIL');
  out.push(
    table(
      [
        ['retries (sent, attempt > 1)', r.retries, ''],
        ['failed requests (all calls)', r.failedRequests, ''],
        ['duplicates (extra versions)', r.duplicates, 'reported'],
        ['loud failures', r.failures.length, 'reported'],
        ['  of which had taken effect', r.failedButDone, 'reported'],
        ['lost', r.lost, verdict(r.lost)],
        ['corrupt', r.corrupt, verdict(r.corrupt)],
        ['orphans (unfinished large files)', r.orphans, verdict(r.orphans)],
        ['kept for resume by the caller', r.keptForResume, 'reported'],
        ['unhandled rejections / exceptions', r.unhandled, verdict(r.unhandled)],
        ['listing anomalies', r.listingAnomalies, verdict(r.listingAnomalies)],
        ['emulator internal errors', r.emulatorInternalErrors, verdict(r.emulatorInternalErrors)],
        ['timed out', r.timedOut ? 'yes' : 'no', r.timedOut ? 'FAIL' : 'ok'],
        ['slowest operation (ms)', r.slowestOperation.ms, ''],
      ],
      ['result', 'value', 'verdict'],
    ),
  );
  if (Object.keys(r.failuresByCode).length > 0) {
    out.push('');
    out.push(table(Object.entries(r.failuresByCode).sort().map(([k, n]) => [k, n, r.failures.filter((f) => `${f.op} ${f.code}` === k && f.tookEffect).length]), ['loud failure (operation code)', 'count', 'took effect']));
  }
  const lines: [string, string[]][] = [
    ['lost', r.details.lost],
    ['corrupt', r.details.corrupt],
    ['orphans', r.details.orphans],
    ['duplicates', r.details.duplicates],
    ['listing anomalies', r.details.listingAnomalies],
    ['unhandled', r.details.unhandled],
    ['in flight at the time bound', r.inFlightAtTimeout],
  ];
  for (const [title, items] of lines) {
    if (items.length === 0) continue;
    out.push('', `${title}:`, ...items.slice(0, 20).map((i) => `  ${i}`));
  }
  const sample = r.failures.slice(0, 8);
  if (sample.length > 0) out.push('', 'first loud failures:', ...sample.map((f) => `  ${f.op} ${JSON.stringify(f.name)}: ${f.code} (${f.message.split('\n')[0]})${f.tookEffect ? ' [took effect]' : ''}`));
  out.push('', r.passed ? 'PASSED: nothing lost, corrupt or orphaned; no unhandled rejections.' : 'FAILED: see the FAIL rows above.');
  return out.join('\n');
}
