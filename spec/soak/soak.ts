/**
 * The fault soak: many uploads (small and multi-part, from memory and from `{ path }` files),
 * listings and downloads through the rxb2 client against the in-process emulator while every B2
 * call fails in B2's real ways with a seeded probability — 408, 429, 500, 503, expired tokens,
 * connections reset while sending or answering, delays, and stalls (nothing answered, or the
 * answer's head and a few body bytes, then silence), which the client, given short idle and
 * connect timeouts, gives up on and retries. Meanwhile a share of the path uploads have their file
 * truncated, rewritten in place, grown or replaced while the upload reads it, triggered by the
 * upload's own events (never a timer). Then, with the faults cleared, a check that no acknowledged
 * byte was lost or corrupted, that no unfinished large file was left behind, that nothing crashed,
 * and that each file changed while read was refused with `source_changed` with nothing of it
 * stored (any version of its name is downloaded and compared with the old and the new bytes).
 *
 * A storage client is trusted with data: it must finish the job or fail loudly. The report
 * separates what may happen under faults (loud failures, duplicate versions when a response was
 * lost after the server stored the file, `source_changed` for a file that changed) from what must
 * never happen (lost, corrupt, orphans, unhandled rejections, hangs, a changed file stored).
 *
 * @example
 * const report = await runSoak({ smallUploads: 500, largeUploads: 10, seed: 7 });
 * console.log(formatReport(report));
 */
import { mulberry32 } from '../../src/emulator/faults';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import nodePath from 'node:path';
import { EMPTY, Observable, catchError, concat, defer, filter, finalize, ignoreElements, lastValueFrom, map, mergeMap, of, take, takeUntil, tap, timer, toArray } from 'rxjs';
import { AxiosTransport, B2, B2Error, intoBuffer, toResponseBody, type B2Event, type B2File, type B2HttpRequest, type B2Transport, type B2UploadEvent } from '../../src';
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
  /**
   * Uploads from `{ path }` files written to a temporary folder, in three equal shares: files read
   * whole when opened (up to 1 MiB, b2_upload_file), files streamed into one b2_upload_file (just
   * over 1 MiB) and multi-part uploads of such files. Default 24.
   */
  pathUploads?: number;
  /**
   * Share of the path uploads whose file is truncated, rewritten in place, grown or replaced by
   * another one (renamed over it) while the upload reads it — triggered by the upload's own events
   * (its first `sent`, its first `uploadProgress`, `largeFileStarted` or its k-th `partUploaded`),
   * never by a timer. A streamed one must fail with `source_changed` and store nothing; one read
   * whole when opened must store what was read. Default 0.5 (of each kind, the first included).
   */
  changingShare?: number;
  /**
   * Stalls made certain on top of those drawn at random (which are rare: each costs `idleMs`): one
   * request each, spread over the busiest calls in turn (b2_upload_file, downloads, b2_upload_part,
   * b2_get_upload_url, b2_list_file_names), both forms alternating. Default 6.
   */
  stalls?: number;
  /** The client's idle timeout (`timeouts.idleMs`): how long a stall costs before it is retried. Default 300. */
  idleMs?: number;
  /** The client's connect timeout (`timeouts.connectMs`). Default 1,000. */
  connectMs?: number;
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

/** What became of the path uploads whose file changed while the upload read it (see `SoakOptions.changingShare`). */
export interface SoakChangedFiles {
  /**
   * Files streamed as sent (over 1 MiB: one b2_upload_file, or parts): `changed` of the `planned`
   * were changed (the rest failed before their trigger). Each must fail with `source_changed`
   * (`refused`); `failedOtherwise` (another loud error), `storedAnyway` (the client acknowledged
   * it, or a version of the name exists), `mixed` (a stored version's bytes, downloaded, are neither
   * the old nor the new ones) and `unfinishedLeft` (an unfinished large file of the name) must all be 0.
   */
  whileRead: { planned: number; changed: number; refused: number; failedOtherwise: number; storedAnyway: number; mixed: number; unfinishedLeft: number };
  /**
   * Files read whole when the upload opened them (up to 1 MiB), changed after its first `sent`:
   * the upload sends what it read, so `storedAsRead` (acknowledged, with the bytes read) is right;
   * `storedOther` (any version with other bytes) must be 0; `failed` is a loud failure.
   */
  afterRead: { planned: number; changed: number; storedAsRead: number; failed: number; storedOther: number };
  /** Changes made, by how (`truncate`, `rewrite`, `grow`, `replace`) and by trigger (`sent`, `progress`, `started`, `part`). */
  byHow: Record<string, number>;
  byTrigger: Record<string, number>;
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
  /** Requests the client sent, per B2 call, how many of them failed (the client saw an error), and with which codes. */
  requests: Record<string, { sent: number; failed: number; codes: Record<string, number> }>;
  /** `sent` events with attempt > 1 in the upload and download event streams. */
  retries: number;
  /** Every retry the client made (its `onRetry` hook), by the code of the failure retried (`idle_timeout`, `status:503`, …). */
  retriesByCode: Record<string, number>;
  /** The path uploads whose file changed while read, and what became of them. */
  changed: SoakChangedFiles;
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
  details: { lost: string[]; corrupt: string[]; orphans: string[]; duplicates: string[]; listingAnomalies: string[]; unhandled: string[]; changed: string[] };
  /**
   * lost, corrupt, orphans, unhandled, listing anomalies, emulator internal errors and timeouts are
   * all zero, and every file changed while read was refused with nothing of it stored.
   */
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
export const FAULT_KINDS = ['status:503', 'status:429', 'status:500', 'status:408', 'expiredToken', 'resetRequest', 'resetResponse', 'delay', 'stall'] as const;

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
    menu.push(
      { fault: { kind: 'resetRequest', afterBytes: 0 }, weight: 0.3 },
      { fault: { kind: 'resetRequest', afterBytes: 700 }, weight: 0.4 },
      { fault: { kind: 'resetRequest', afterBytes: 3000 }, weight: 0.3 },
    );
    // The server stored the upload; its answer is cut: the client cannot know (duplicates).
    menu.push({ fault: { kind: 'resetResponse', afterBytes: 30 }, weight: 1 });
  } else if (DOWNLOADS.has(call)) {
    // A GET has no body: the connection drops before any answer.
    menu.push({ fault: { kind: 'resetRequest', afterBytes: 0 }, weight: 0.5 });
    menu.push(
      { fault: { kind: 'resetResponse', afterBytes: 1 }, weight: 0.4 },
      { fault: { kind: 'resetResponse', afterBytes: 1500 }, weight: 0.3 },
      { fault: { kind: 'resetResponse', afterBytes: 9000 }, weight: 0.3 },
    );
  } else {
    // JSON bodies are 50–300 bytes; authorize is a GET (no body).
    menu.push({ fault: { kind: 'resetRequest', afterBytes: call === 'b2_authorize_account' ? 0 : 20 }, weight: 1 });
    menu.push({ fault: { kind: 'resetResponse', afterBytes: 30 }, weight: 1 });
  }
  // Stalls: the connection stays open and goes silent, until the client's idle timeout gives up on
  // it (each costs `idleMs`: rarer). Either nothing is answered (an upload's body is still taken,
  // and nothing is stored), or the answer's head and a few body bytes go out first (the call was
  // done: an upload was stored, its answer never completes — a duplicate when retried). A
  // download stalls after its head, or part-way through its body (files shorter than 1,500 bytes
  // are sent whole: no stall).
  menu.push({ fault: { kind: 'stall' }, weight: 0.3 });
  if (DOWNLOADS.has(call)) menu.push({ fault: { kind: 'stall', afterBytes: 0 }, weight: 0.15 }, { fault: { kind: 'stall', afterBytes: 1500 }, weight: 0.15 });
  else menu.push({ fault: { kind: 'stall', afterBytes: 10 }, weight: 0.3 });
  return menu;
}

/** Calls that get the certain stalls, in turn, and how each stalls (`afterBytes`; none: nothing answered). */
const CERTAIN_STALLS: { call: string; afterBytes?: number }[] = [
  { call: 'b2_upload_file' },
  { call: 'b2_download_file_by_id', afterBytes: 0 },
  { call: 'b2_upload_part' },
  { call: 'b2_download_file_by_name' },
  { call: 'b2_get_upload_url', afterBytes: 10 },
  { call: 'b2_upload_file', afterBytes: 10 },
  { call: 'b2_list_file_names', afterBytes: 10 },
  { call: 'b2_upload_part', afterBytes: 10 },
];

/**
 * `n` stalls that will happen (given enough requests): each on one request of its call, the
 * 3rd to the 7th of it (seeded), then 8 requests further on for the next round of the same call.
 * They go before the random rules, so they see every request of their call.
 */
export function certainStallRules(n: number, random: () => number): FaultRule[] {
  return Array.from({ length: n }, (_, k) => {
    const { call, afterBytes } = CERTAIN_STALLS[k % CERTAIN_STALLS.length];
    const round = Math.floor(k / CERTAIN_STALLS.length);
    return { call, fault: afterBytes === undefined ? { kind: 'stall' } : { kind: 'stall', afterBytes }, skip: 2 + round * 8 + Math.floor(random() * 5), times: 1 };
  });
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
  'a',
  'Q',
  '7',
  ' ',
  '-',
  '_',
  '.',
  '~',
  '%',
  '+',
  '#',
  '?',
  '&',
  '=',
  "'",
  '(',
  ')',
  '!',
  '@',
  '$',
  ',',
  ';',
  ':',
  '[',
  ']',
  '"',
  '<',
  '>',
  '|',
  '^',
  '`',
  '{',
  '}',
  '\\',
  '*',
  'é',
  'ß',
  'Ω',
  'ж',
  'ψ',
  '日本',
  '中文',
  '한국어',
  '🙂',
  '🚀',
  '𝄞',
  '％',
  '｡',
  '\uE000',
  '\uFFFD',
  '/',
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

/**
 * A change made to a path upload's file while the upload reads it, decided (seeded) when the data
 * is made and made, synchronously, when the upload emits its trigger event: before the reading
 * goes on. `sent`: the first request of a small upload is about to send its body (a file over
 * 1 MiB is then read as sent; one of up to 1 MiB was read whole when opened). `progress`: the
 * first `uploadProgress`, once the first chunk of a body (a streamed small upload's first MiB, or
 * a part) was taken and before the rest is read. `started`: `largeFileStarted` (the file was
 * hashed ahead, no part read yet). `part`: the `afterParts`-th `partUploaded`.
 */
interface PlannedChange {
  how: 'truncate' | 'rewrite' | 'grow' | 'replace';
  trigger: 'sent' | 'progress' | 'started' | 'part';
  afterParts?: number;
  /** For `rewrite`: the bytes overwritten in place, [at, at+length). */
  at?: number;
  length?: number;
  /** The file's whole contents after the change. */
  data: Buffer;
  sha1: string;
  applied?: boolean;
}

/** The path kinds: read whole when opened (up to 1 MiB), streamed into one b2_upload_file, or sent in parts. */
const PATH_KINDS = ['pathWhole', 'pathStreamed', 'pathLarge'] as const;
type PathKind = (typeof PATH_KINDS)[number];
const isPathKind = (kind: string): kind is PathKind => (PATH_KINDS as readonly string[]).includes(kind);
/** Kinds whose acknowledged upload must stay stored and intact. */
const isKeptKind = (kind: string) => kind === 'small' || kind === 'large' || kind === 'resumed' || isPathKind(kind);

/** Makes a planned change to a file, synchronously (node:fs): the upload reads on only after it. */
function applyChange(path: string, old: Buffer, change: PlannedChange): void {
  switch (change.how) {
    case 'truncate':
      fs.truncateSync(path, change.data.length);
      break;
    case 'grow':
      fs.appendFileSync(path, change.data.subarray(old.length));
      break;
    case 'rewrite': {
      // In place: same size, same inode; only the modification time tells.
      const fd = fs.openSync(path, 'r+');
      try {
        fs.writeSync(fd, change.data, change.at!, change.length!, change.at!);
      } finally {
        fs.closeSync(fd);
      }
      break;
    }
    case 'replace':
      // As editors save: another file renamed over the path.
      fs.writeFileSync(`${path}.new`, change.data);
      fs.renameSync(`${path}.new`, path);
      break;
  }
  change.applied = true;
}

/** A change to a file of `old` bytes (seeded): its kind, trigger and resulting bytes. */
function planChange(kind: PathKind, old: Buffer, partSize: number | undefined, random: () => number): PlannedChange {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const how = pick(['truncate', 'rewrite', 'grow', 'replace'] as const);
  const trigger = kind === 'pathWhole' ? 'sent' : kind === 'pathStreamed' ? pick(['sent', 'progress'] as const) : pick(['progress', 'started', 'part'] as const);
  const parts = partSize ? Math.ceil(old.length / partSize) : 1;
  const afterParts = trigger === 'part' ? 1 + Math.floor(random() * (parts - 1)) : undefined;
  let data: Buffer;
  let at: number | undefined;
  let length: number | undefined;
  if (how === 'truncate') data = old.subarray(0, Math.floor(random() * old.length));
  else if (how === 'grow') data = Buffer.concat([old, randomBytes(1 + Math.floor(random() * 5000), random)]);
  else if (how === 'rewrite') {
    at = Math.floor(random() * old.length);
    length = Math.min(old.length - at, 1 + Math.floor(random() * 4096));
    data = Buffer.from(old);
    // Each byte changed (xor with a non-zero byte): the rewrite always differs.
    const patch = randomBytes(length, random);
    for (let i = 0; i < length; i++) data[at + i] ^= patch[i] | 1;
  } else {
    // The same size half the time: then only the inode tells.
    data = randomBytes(random() < 0.5 ? old.length : Math.max(1, old.length + Math.floor((random() - 0.5) * 20_000)), random);
  }
  return { how, trigger, afterParts, at, length, data, sha1: sha1(data) };
}

interface SourceFile {
  kind: 'small' | 'large' | 'resumed' | 'hide' | 'delete' | 'abandoned' | PathKind;
  name: string;
  /** A path upload's file (its bytes are `data` until `change` is made). */
  path?: string;
  change?: PlannedChange;
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

type Op = { type: 'upload'; file: SourceFile } | { type: 'listNames' | 'listVersions'; index: number };

// ---------------------------------------------------------------------------------------------
// instrumentation

/** Large-file calls whose outcomes are kept per file name, to explain an orphan. */
const TRACED = new Set(['b2_start_large_file', 'b2_finish_large_file', 'b2_cancel_large_file', 'b2_list_unfinished_large_files']);

class CountingTransport implements B2Transport {
  readonly stats: Record<string, { sent: number; failed: number; codes: Record<string, number> }> = {};
  /** file name or id → `call: outcome` in order. */
  readonly trace = new Map<string, string[]>();
  constructor(private readonly inner: B2Transport) {}

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return defer(() => {
      const s = (this.stats[req.operation] ??= { sent: 0, failed: 0, codes: {} });
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
            const { code } = errorOf(err);
            s.codes[code] = (s.codes[code] ?? 0) + 1;
            record(code);
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
    const req = http.request(
      url,
      {
        method: payload ? 'POST' : 'GET',
        agent: false,
        headers: { ...headers, Connection: 'close', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 400) reject(new Error(`${url}: HTTP ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as T);
        });
        res.on('error', reject);
      },
    );
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
  pathUploads: 24,
  changingShare: 0.5,
  stalls: 6,
  idleMs: 300,
  connectMs: 1000,
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
  // Short timeouts: a stalled request is given up on and retried after `idleMs`.
  const transport = new CountingTransport(new AxiosTransport({ timeouts: { idleMs: o.idleMs, connectMs: o.connectMs } }));
  const retriesByCode: Record<string, number> = {};
  const b2 = new B2({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    realm: emu.url,
    transport,
    retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 10 },
    onRetry: ({ error }) => void (retriesByCode[error.code] = (retriesByCode[error.code] ?? 0) + 1),
  });
  // The path uploads' files; removed at the end.
  const folder = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'rxb2-soak-'));

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
  const changed: SoakChangedFiles = {
    whileRead: { planned: 0, changed: 0, refused: 0, failedOtherwise: 0, storedAnyway: 0, mixed: 0, unfinishedLeft: 0 },
    afterRead: { planned: 0, changed: 0, storedAsRead: 0, failed: 0, storedOther: 0 },
    byHow: {},
    byTrigger: {},
  };
  const changedDetails: string[] = [];
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
      files.push({
        kind: i % 3 === 2 ? 'resumed' : 'large',
        name: randomName('files/L', i, random),
        data,
        sha1: sha1(data),
        partSize,
        partConcurrency: 2 + Math.floor(random() * 5),
      });
    }
    for (let i = 0; i < o.abandonedUploads; i++) {
      const data = randomBytes(o.largeMinBytes, random);
      files.push({ kind: 'abandoned', name: randomName('abandon/', i, random), data, sha1: sha1(data), partSize: 5000, partConcurrency: 2 });
    }
    // Path uploads: a third each read whole when opened, streamed into one b2_upload_file, or in parts.
    for (let i = 0; i < o.pathUploads; i++) {
      const kind = PATH_KINDS[i % 3];
      const size = kind === 'pathWhole' ? 1 + Math.floor(random() * 50_000) : (1 << 20) + 1 + Math.floor(random() * (kind === 'pathStreamed' ? 300_000 : 400_000));
      const data = randomBytes(size, random);
      const partSize = kind === 'pathLarge' ? [100_000, 150_000, 250_000][Math.floor(random() * 3)] : undefined;
      const path = nodePath.join(folder, `p${String(i).padStart(4, '0')}.bin`);
      fs.writeFileSync(path, data);
      // Exactly `changingShare` of each kind, spread out, the first of each changed.
      const j = Math.floor(i / 3);
      const change = Math.ceil((j + 1) * o.changingShare) > Math.ceil(j * o.changingShare) ? planChange(kind, data, partSize, random) : undefined;
      files.push({
        kind,
        name: randomName(`files/p${kind === 'pathWhole' ? 'w' : kind === 'pathStreamed' ? 's' : 'L'}`, i, random),
        data,
        sha1: sha1(data),
        path,
        change,
        partSize,
        partConcurrency: 2 + Math.floor(random() * 2),
      });
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
    const bigs = others.filter((f) => f.kind !== 'hide' && f.kind !== 'delete' && !isPathKind(f.kind));
    const churns = others.filter((f) => f.kind === 'hide' || f.kind === 'delete');
    const paths = others.filter((f) => isPathKind(f.kind));
    const slots = smalls.length;
    const at = (k: number, n: number, span: number) => Math.floor(((k + 0.5) * span) / Math.max(1, n));
    const extra = new Map<number, Op[]>();
    const put = (slot: number, op: Op) => (extra.get(slot) ?? extra.set(slot, []).get(slot)!).push(op);
    bigs.forEach((f, k) => put(at(k, bigs.length, Math.max(1, Math.floor(slots / 2))), { type: 'upload', file: f }));
    churns.forEach((f, k) => put(at(k, churns.length, slots), { type: 'upload', file: f }));
    paths.forEach((f, k) => put(at(k, paths.length, slots), { type: 'upload', file: f }));
    for (let k = 0; k < o.listings; k++) put(at(k, o.listings, slots), { type: k % 2 === 0 ? 'listNames' : 'listVersions', index: k });
    for (let i = 0; i <= slots; i++) {
      ops.push(...(extra.get(i) ?? []));
      if (i < slots) ops.push({ type: 'upload', file: smalls[i] });
    }
    for (const [slot, list] of extra) if (slot > slots) ops.push(...list);

    const acked = () => files.filter((f) => f.acked && isKeptKind(f.kind));

    // --- the operations (each catches its own failure: one op failing never stops the others)
    const upload = (f: SourceFile, extraOptions: Record<string, unknown> = {}) => {
      const contents = f.path ? { path: f.path } : f.data;
      return (
        f.kind === 'small' || f.kind === 'hide' || f.kind === 'delete' || f.kind === 'pathWhole' || f.kind === 'pathStreamed'
          ? // One b2_upload_file whatever the size (the emulator's recommendedPartSize, the default threshold, is only 5,000).
            bucket.uploadFile({ contents, fileName: f.name, largeFileThreshold: SMALL_THRESHOLD, ...extraOptions })
          : bucket.uploadLargeFile({ contents, fileName: f.name, partSize: f.partSize, concurrency: f.partConcurrency, ...extraOptions })
      ).pipe(
        tap(changeOnTrigger(f)),
        tap((e) => countRetries(e)),
      );
    };

    /** Makes the file's planned change, once, on its trigger event (synchronously, before the upload reads on). */
    const changeOnTrigger = (f: SourceFile) => {
      let partsUploaded = 0;
      return (e: B2UploadEvent) => {
        const c = f.change;
        if (!c || c.applied) return;
        const fire =
          c.trigger === 'sent'
            ? e.type === 'sent'
            : c.trigger === 'progress'
              ? e.type === 'uploadProgress' && e.total !== undefined && e.loaded < e.total
              : c.trigger === 'started'
                ? e.type === 'largeFileStarted'
                : e.type === 'partUploaded' && ++partsUploaded >= c.afterParts!;
        if (!fire) return;
        applyChange(f.path!, f.data, c);
        changed.byHow[c.how] = (changed.byHow[c.how] ?? 0) + 1;
        changed.byTrigger[c.trigger] = (changed.byTrigger[c.trigger] ?? 0) + 1;
      };
    };

    const runUpload = (f: SourceFile): Observable<unknown> => {
      const kind = {
        small: 'smallUpload',
        large: 'largeUpload',
        resumed: 'largeUploadResumed',
        abandoned: 'largeUploadAbandoned',
        hide: 'churnUpload',
        delete: 'churnUpload',
        pathWhole: 'pathUploadReadWhole',
        pathStreamed: 'pathUploadStreamed',
        pathLarge: 'pathUploadLarge',
      }[f.kind];
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
              if (order > 0 || (order === 0 && op.type === 'listNames'))
                problems.push(`order at ${i}: ${JSON.stringify(listed[i - 1].fileName)} then ${JSON.stringify(listed[i].fileName)}`);
            }
            const ids = new Set(listed.map((f) => f.fileId));
            const names = new Set(listed.map((f) => f.fileName));
            // listFiles shows the newest version: a duplicate stored after the acknowledged one is fine.
            for (const f of before)
              if (!ids.has(f.acked!.fileId) && !(op.type === 'listNames' && names.has(f.name))) problems.push(`missing acknowledged ${JSON.stringify(f.name)}`);
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
      const source = byName
        ? bucket.downloadFileByName(f.name).pipe(
            tap((e) => countRetries(e)),
            intoBuffer(),
          )
        : f.acked!.downloadToBuffer().pipe(tap((e) => countRetries(e)));
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
    for (const rule of [...certainStallRules(o.stalls, random), ...soakFaultRules(o.faultProbability)]) emu.faults.add(rule);
    const faultyBudget = Math.max(1000, deadline - verifyReserveMs(o.timeLimitMs) - Date.now());
    const timeout$ = timer(faultyBudget).pipe(
      tap(() => {
        timedOut = true;
        inFlightAtTimeout = [...inFlight];
      }),
    );
    log(
      `phase 1: ${ops.length} operations (${o.smallUploads} small, ${o.largeUploads} large, ${o.abandonedUploads} abandoned, ${o.listings} listings, ${o.churn * 2} churn) at concurrency ${o.concurrency}, fault probability ${o.faultProbability}`,
    );
    const phase1 = defer(() => of(...ops)).pipe(mergeMap((op) => (op.type === 'upload' ? runUpload(op.file) : runListing(op)), o.concurrency));
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
      lastValueFrom(
        p.pipe(
          takeUntil(
            timer(Math.max(1000, verifyDeadline - Date.now())).pipe(
              tap(() => {
                timedOut = true;
                inFlightAtTimeout.push(`verify: ${what}`, ...inFlight);
              }),
            ),
          ),
        ),
        { defaultValue: undefined as T },
      );
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
      if (f.acked && isKeptKind(f.kind)) {
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
      const changedWhileRead = f.change?.applied && (f.kind === 'pathStreamed' || f.kind === 'pathLarge');
      for (const v of uploads) {
        const stored = v.contentSha1 && v.contentSha1 !== 'none' ? v.contentSha1.replace(/^unverified:/, '') : v.fileInfo.large_file_sha1;
        // Checked by their bytes below: a large file's large_file_sha1 was hashed before the change.
        if (changedWhileRead) continue;
        if (v.contentLength !== f.data.length || stored !== f.sha1) {
          corrupt++;
          note(details.corrupt, `${JSON.stringify(f.name)} version ${v.fileId}: ${v.contentLength} bytes sha1 ${stored}, expected ${f.data.length} bytes sha1 ${f.sha1}`);
        }
      }
      const extraVersions = changedWhileRead ? 0 : f.kind === 'delete' && f.churned ? uploads.length : Math.max(0, uploads.length - 1);
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
    // The path uploads whose file changed while read (streamed) or after (read whole when opened).
    for (const f of files) {
      if (!f.change) continue;
      const c = f.change;
      const uploads = (versionsByName.get(f.name) ?? []).filter((v) => v.action === 'upload');
      const storedSha1 = (v: B2File) => (v.contentSha1 && v.contentSha1 !== 'none' ? v.contentSha1.replace(/^unverified:/, '') : v.fileInfo.large_file_sha1);
      const what = `${JSON.stringify(f.name)} (${f.kind}, ${c.how} on ${c.trigger}${c.afterParts ? ` ${c.afterParts}` : ''})`;
      if (f.kind === 'pathWhole') {
        const w = changed.afterRead;
        w.planned++;
        if (!c.applied) continue;
        w.changed++;
        if (f.failed) w.failed++;
        const other = uploads.filter((v) => v.contentLength !== f.data.length || storedSha1(v) !== f.sha1).length;
        w.storedOther += other;
        if (f.acked && uploads.length > 0 && other === 0) w.storedAsRead++;
        if (other > 0) note(changedDetails, `${what}: ${other} stored version(s) hold other bytes than were read`);
        continue;
      }
      const w = changed.whileRead;
      w.planned++;
      if (!c.applied) continue;
      w.changed++;
      // Refused as it should be, nothing of it is stored; were anything, it must hold the old or the
      // new bytes, whole: downloaded (without faults) and compared.
      for (const v of uploads) {
        const got = await bounded(
          `download ${v.fileId}`,
          v.downloadToBuffer().pipe(
            toResponseBody(),
            map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength)),
            catchError((err) => of(errorOf(err).code)),
          ),
        );
        if (Buffer.isBuffer(got) && (got.equals(f.data) || got.equals(c.data))) continue;
        w.mixed++;
        corrupt++;
        const seen = Buffer.isBuffer(got) ? `${got.length} bytes sha1 ${sha1(got)}` : `a download failing with ${got}`;
        note(
          details.corrupt,
          `${what} version ${v.fileId}: ${seen}, neither the old ${f.data.length} bytes sha1 ${f.sha1} nor the new ${f.change!.data.length} bytes sha1 ${f.change!.sha1}`,
        );
      }
      if (f.failed?.code === 'source_changed') w.refused++;
      else if (f.failed) {
        w.failedOtherwise++;
        note(changedDetails, `${what}: failed with ${f.failed.code}, not source_changed: ${f.failed.message}`);
      }
      if (f.acked || uploads.length > 0) {
        w.storedAnyway++;
        note(changedDetails, `${what}: stored anyway (${f.acked ? `acknowledged ${f.acked.fileId}` : 'not acknowledged'}; ${uploads.length} version(s))`);
      }
      const left = unfinished.filter((x) => x.fileName === f.name).length;
      if (left > 0) {
        w.unfinishedLeft += left;
        note(changedDetails, `${what}: ${left} unfinished large file(s) left`);
      }
    }

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
      note(
        details.orphans,
        `${JSON.stringify(x.fileName)} ${x.fileId} [${cause}] (${f?.kind ?? '?'} upload, ${f?.acked ? `acknowledged as ${f.acked.fileId}` : f?.failed ? `failed loudly: ${f.failed.code}` : 'not acknowledged'}); client saw: ${history.join(', ')}`,
      );
    }
    if (listedStarts.length !== unfinished.length) {
      listingAnomalies++;
      note(details.listingAnomalies, `listFileVersions shows ${listedStarts.length} unfinished large files, b2_list_unfinished_large_files ${unfinished.length}`);
    }
  } finally {
    emu.faults.clear();
    faultsInjected = emu.faults.injected();
    await emu.close();
    fs.rmSync(folder, { recursive: true, force: true });
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
    retriesByCode,
    changed,
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
    details: { ...details, changed: changedDetails },
    passed: false,
  };
  const w = changed.whileRead;
  report.passed =
    lost === 0 &&
    corrupt === 0 &&
    orphans.length === 0 &&
    unhandled.length === 0 &&
    listingAnomalies === 0 &&
    emulatorInternalErrors === 0 &&
    !timedOut &&
    w.failedOtherwise === 0 &&
    w.storedAnyway === 0 &&
    w.mixed === 0 &&
    w.unfinishedLeft === 0 &&
    changed.afterRead.storedOther === 0;
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
  out.push(
    table(
      Object.entries(r.operations)
        .sort()
        .map(([k, c]) => [k, c.ok, c.failed]),
      ['operation', 'ok', 'failed'],
    ),
  );
  out.push('');
  out.push(
    table(
      Object.entries(r.requests)
        .sort()
        .map(([k, s]) => [k, s.sent, s.failed]),
      ['call', 'requests', 'failed'],
    ),
  );
  out.push('');
  const kinds = [...new Set([...FAULT_KINDS, ...Object.keys(r.faultsInjected)])];
  out.push(
    table(
      kinds.map((k) => [k, r.faultsInjected[k] ?? 0]),
      ['fault injected', 'count'],
    ),
  );
  out.push('');
  out.push(
    table(
      Object.entries(r.retriesByCode)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, n]),
      ['retried by the client (code)', 'count'],
    ),
  );
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
        ['stalls injected / idle_timeout retries', `${r.faultsInjected.stall ?? 0} / ${r.retriesByCode.idle_timeout ?? 0}`, ''],
        ['slowest operation (ms)', r.slowestOperation.ms, ''],
      ],
      ['result', 'value', 'verdict'],
    ),
  );
  const w = r.changed.whileRead;
  const a = r.changed.afterRead;
  out.push('');
  out.push(
    table(
      [
        ['changed while read (streamed)', `${w.changed} of ${w.planned}`, ''],
        ['  refused with source_changed', w.refused, w.refused === w.changed ? 'ok' : ''],
        ['  failed with another error', w.failedOtherwise, verdict(w.failedOtherwise)],
        ['  stored anyway', w.storedAnyway, verdict(w.storedAnyway)],
        ['  stored as a mix of old and new', w.mixed, verdict(w.mixed)],
        ['  unfinished large file left', w.unfinishedLeft, verdict(w.unfinishedLeft)],
        ['changed after read (read whole)', `${a.changed} of ${a.planned}`, ''],
        ['  stored as read', a.storedAsRead, ''],
        ['  failed loudly', a.failed, 'reported'],
        ['  stored with other bytes', a.storedOther, verdict(a.storedOther)],
        [
          'changes by how',
          Object.entries(r.changed.byHow)
            .sort()
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
          '',
        ],
        [
          'changes by trigger',
          Object.entries(r.changed.byTrigger)
            .sort()
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
          '',
        ],
      ],
      ['files changed while uploaded', 'value', 'verdict'],
    ),
  );
  if (Object.keys(r.failuresByCode).length > 0) {
    out.push('');
    out.push(
      table(
        Object.entries(r.failuresByCode)
          .sort()
          .map(([k, n]) => [k, n, r.failures.filter((f) => `${f.op} ${f.code}` === k && f.tookEffect).length]),
        ['loud failure (operation code)', 'count', 'took effect'],
      ),
    );
  }
  const lines: [string, string[]][] = [
    ['lost', r.details.lost],
    ['corrupt', r.details.corrupt],
    ['orphans', r.details.orphans],
    ['duplicates', r.details.duplicates],
    ['listing anomalies', r.details.listingAnomalies],
    ['unhandled', r.details.unhandled],
    ['files changed while uploaded', r.details.changed],
    ['in flight at the time bound', r.inFlightAtTimeout],
  ];
  for (const [title, items] of lines) {
    if (items.length === 0) continue;
    out.push('', `${title}:`, ...items.slice(0, 20).map((i) => `  ${i}`));
  }
  const sample = r.failures.slice(0, 8);
  if (sample.length > 0)
    out.push(
      '',
      'first loud failures:',
      ...sample.map((f) => `  ${f.op} ${JSON.stringify(f.name)}: ${f.code} (${f.message.split('\n')[0]})${f.tookEffect ? ' [took effect]' : ''}`),
    );
  out.push(
    '',
    r.passed
      ? 'PASSED: nothing lost, corrupt or orphaned; no unhandled rejections; every file changed while read refused, nothing of it stored.'
      : 'FAILED: see the FAIL rows above.',
  );
  return out.join('\n');
}
