/**
 * Parallel download of one file version: ranged GETs through the raw-API seam, `concurrency` at a
 * time (`mergeMap`), each retried and resumed on its own. A range is requested only once the
 * range `concurrency` places before it is done, so at most `concurrency` ranges are in flight or
 * held. The whole-file SHA-1 is computed in one pass, in file order:
 *
 * - to a path, bytes are written at their offsets as they arrive and nothing is held; the file's
 *   SHA-1 is computed off the main thread (`PositionalFile.sha1FromStart`: in Node a worker thread
 *   reads back what was written, in file order), told how far the file is written with nothing
 *   missing (`writtenInOrder`). The main thread only moves bytes from sockets to the file;
 * - as a stream, chunks are put back in file order (`inFileOrder`: later ranges held until their
 *   turn), hashed (`hashInOrder`) and handed to the reader.
 */
import {
  Observable,
  Subject,
  catchError,
  concat,
  defer,
  endWith,
  filter,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  range,
  switchMap,
  take,
  tap,
  throwError,
  zip,
} from 'rxjs';
import { B2Error, isOsError, localIoError } from '../http/b2-error';
import type { B2Event } from '../http/events';
import { platform, type PositionalFile } from '../platform';
import { throttleProgress } from '../operators/throttle-progress';
import { checksumMismatch, downloadResult, openDownload, type B2ByteStream, type B2DownloadResult, type DownloadDeps, type OpenedDownload } from './download';
import { pullStream } from './download-body';
import { hashInOrder, inFileOrder, writtenInOrder, type RangeChunk, type RangeWritten } from './download-order';
import { planParts, type PartDescriptor } from './part-plan';

/**
 * How a whole-file download goes as parallel ranged requests (https://www.backblaze.com/apidocs/b2-download-file-by-id
 * with `Range`): used for a file above two parts, without `range` or `authorizationToken`, when
 * `concurrency` is above 1. Bad values fail with `invalid_argument` naming the option, before any request.
 */
export interface ParallelDownloadOptions {
  /** Ranged requests in flight at once, 1 to 64 (default: 4 for `downloadToFile`; 1, a single request, for `download` and `downloadToBuffer`). */
  concurrency?: number;
  /** Bytes per ranged request (default 16 MiB). */
  partSize?: number;
}

export interface ParallelDownloadTarget {
  fileId: string;
  contentLength: number;
  /** Whole-file SHA-1 to check (contentSha1, or large_file_sha1); null when unknown. */
  expectedSha1: string | null;
  /** Request headers ready to send (SSE-C key headers, b2-content-* overrides); each range adds its `Range`. */
  headers: Record<string, string>;
}

export type ParallelDownloadEvent = B2Event<B2DownloadResult & { path?: string }, B2ByteStream>;

const DEFAULT_PART = 16 << 20;
/** Positional writes are batched to about this many bytes (one writev each). */
const WRITE_BATCH = 1 << 20;
/**
 * Bytes of one range being written while its socket is read on; beyond, its socket waits. A chunk
 * still waiting for its write when V8 scavenges is promoted and freed only by a later mark-compact:
 * with 4 MiB a 1 GiB download peaked at 134–157 MiB RSS here, with 2 MiB at 115–132 MiB, at the
 * same speed (paired runs of bench/download-profile.ts).
 */
const WRITES_PENDING = 2 << 20;

/**
 * Downloads `target` in ranges, into the file at `into.path` (written under a temporary name,
 * renamed once complete and verified) or as a stream (`'stream'`).
 *
 * Emits `sent` once; as a stream, `responseHeader` with the body to read; `downloadProgress` as
 * bytes arrive (throttled, never going back); `response` last with the result (and `path`), then
 * completes. `concurrency` and `partSize` come checked by the caller (B2File). Errors with a
 * range's failure (its siblings are then aborted), `checksum_mismatch`, or `local_io_error` naming
 * `into.path` (the temporary file is removed). Unsubscribing aborts every range in flight and
 * removes the temporary file.
 */
export function parallelDownload(
  deps: DownloadDeps,
  target: ParallelDownloadTarget,
  options: ParallelDownloadOptions,
  into: { path: string } | 'stream',
): Observable<ParallelDownloadEvent> {
  return defer(() => {
    const concurrency = options.concurrency ?? 4;
    const partSize = options.partSize ?? DEFAULT_PART;
    const parts = planParts(target.contentLength, partSize).parts;
    /** One per range done in file order: each lets the range `concurrency` places after it start. */
    const turns = new Subject<void>();
    const fetch = (part: PartDescriptor, wanted?: () => Promise<void> | undefined) => rangeBody(deps, target, part, wanted);
    // Never a range (those go as one request): unverified only for want of a SHA-1.
    const result = (verifiedSha1: string | null) => downloadResult(target.contentLength, verifiedSha1, 'noSha1');
    const events = into === 'stream' ? toStream(parts, turns, concurrency, fetch, target, result) : toFile(into.path, parts, turns, concurrency, fetch, target, result);
    return concat(of<ParallelDownloadEvent>({ type: 'sent', attempt: 1 }), events);
  }).pipe(throttleProgress<ParallelDownloadEvent>(deps.progressIntervalMs, deps.scheduler));
}

/**
 * Runs `each` for every range, at most `concurrency` at once (`mergeMap`), the range `concurrency`
 * places after the first ones starting only at a `turns` emission (one per range done in file
 * order). Emits what they emit; errors with the first failure (the others unsubscribed);
 * unsubscribing reaches every range in flight.
 */
export function rangesInTurn<T>(parts: readonly PartDescriptor[], concurrency: number, turns: Observable<unknown>, each: (part: PartDescriptor) => Observable<T>): Observable<T> {
  return zip(from(parts), concat(range(0, concurrency), turns)).pipe(mergeMap(([part]) => each(part), concurrency));
}

/** One range's body: its ranged GET (retried until its headers arrive), its chunks (resumed after a cut), checked to be whole. */
export function rangeBody(deps: DownloadDeps, target: ParallelDownloadTarget, part: PartDescriptor, wanted?: () => Promise<void> | undefined): Observable<Uint8Array> {
  return defer(() => {
    let got = 0;
    return openDownload(deps, { by: { fileId: target.fileId }, headers: target.headers, range: { start: part.offset, end: part.offset + part.length - 1 } }).pipe(
      filter((e): e is OpenedDownload => e.type === 'opened'),
      take(1),
      switchMap((opened) => opened.body(wanted)),
      tap({
        next: (chunk) => (got += chunk.length),
        complete: () => {
          if (got !== part.length) throw new B2Error({ status: 0, code: 'truncated', message: `part ${part.partNumber}: got ${got} of ${part.length} bytes` });
        },
      }),
    );
  });
}

type Fetch = (part: PartDescriptor, wanted?: () => Promise<void> | undefined) => Observable<Uint8Array>;
type Result = (verifiedSha1: string | null) => B2DownloadResult;

/** Progress across ranges: the bytes received so far (only ever growing). */
function progressOf(target: ParallelDownloadTarget) {
  let loaded = 0;
  return (bytes: number): ParallelDownloadEvent => ({ type: 'downloadProgress', loaded: (loaded += bytes), total: target.contentLength });
}

/** As a stream: chunks in file order, hashed, relayed to the reader; a range's turn passes once the reader took its last chunk. */
function toStream(
  parts: PartDescriptor[],
  turns: Subject<void>,
  concurrency: number,
  fetch: Fetch,
  target: ParallelDownloadTarget,
  result: Result,
): Observable<ParallelDownloadEvent> {
  return new Observable<ParallelDownloadEvent>((subscriber) => {
    const hash = target.expectedSha1 ? platform.createSha1() : null;
    const progress = progressOf(target);
    /** The last chunk of each range, to tell when the reader took it. */
    const lastChunks = new Map<Uint8Array, number>();
    const { stream, feed } = pullStream();
    const sub = feed(
      () =>
        rangesInTurn(parts, concurrency, turns, (part) =>
          fetch(part).pipe(
            tap((chunk) => subscriber.next(progress(chunk.length))),
            map((chunk): RangeChunk => ({ index: part.partNumber - 1, chunk })),
            endWith<RangeChunk>({ index: part.partNumber - 1, end: true }),
          ),
        ).pipe(
          inFileOrder(),
          hashInOrder(hash),
          // A range that ended with no chunk (never: ranges are not empty) would hold its turn.
          lastChunkOf(lastChunks),
        ),
      {
        onChunk: () => undefined,
        onTaken: (chunk) => {
          if (lastChunks.delete(chunk)) turns.next();
        },
        onEnd: () => {
          const actual = hash?.digest() ?? null;
          if (target.expectedSha1 && actual !== target.expectedSha1) return checksumMismatch(actual, target.expectedSha1);
          subscriber.next({ type: 'response', status: 200, headers: {}, body: result(actual) });
          subscriber.complete();
          return undefined;
        },
        onError: (err) => subscriber.error(err),
      },
    );
    subscriber.next({ type: 'responseHeader', status: 200, headers: { 'content-length': String(target.contentLength) }, body: stream });
    return () => sub.unsubscribe();
  });
}

/** The chunks of ranges in file order, each range's last chunk noted in `lastChunks` (with its index). */
function lastChunkOf(lastChunks: Map<Uint8Array, number>) {
  return (source: Observable<RangeChunk>): Observable<Uint8Array> =>
    new Observable<Uint8Array>((subscriber) => {
      let previous: { index: number; chunk: Uint8Array } | undefined;
      return source.subscribe({
        next(item) {
          if ('end' in item) {
            if (previous) lastChunks.set(previous.chunk, item.index);
            if (previous) subscriber.next(previous.chunk);
            previous = undefined;
            return;
          }
          if (previous) subscriber.next(previous.chunk);
          previous = item;
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** Into a file: ranges written at their offsets as they arrive, hashed in file order off the main thread, committed once verified. */
function toFile(
  path: string,
  parts: PartDescriptor[],
  turns: Subject<void>,
  concurrency: number,
  fetch: Fetch,
  target: ParallelDownloadTarget,
  result: Result,
): Observable<ParallelDownloadEvent> {
  return defer(() => {
    let file: PositionalFile | undefined;
    let sha1: ReturnType<PositionalFile['sha1FromStart']> | undefined;
    const progress = progressOf(target);
    let turnsGiven = 0;
    const settle = () => {
      sha1?.abort();
      const f = file;
      file = undefined;
      return f ? from(f.abort()) : of(undefined);
    };
    return openLocalFile(path).pipe(
      switchMap((opened) => {
        file = opened;
        sha1 = target.expectedSha1 ? opened.sha1FromStart() : undefined;
        const written = new Subject<RangeWritten>();
        const hashing = written.pipe(
          writtenInOrder(parts.map((p) => p.length)),
          tap(({ through, ranges }) => {
            sha1?.through(through);
            while (turnsGiven < ranges) {
              turnsGiven++;
              turns.next();
            }
          }),
          ignoreElements(),
        );
        const ranges = rangesInTurn(parts, concurrency, turns, (part) =>
          writeRange(opened, part, fetch, (n) => written.next({ index: part.partNumber - 1, written: n })).pipe(map(progress)),
        ).pipe(tap({ complete: () => written.complete(), error: (err: unknown) => written.error(err) }));
        const finish = defer(() => (sha1 ? from(sha1.digest(target.contentLength)) : of(null))).pipe(
          catchError((err: unknown) =>
            throwError(() =>
              isOsError(err) ? localIoError(err, path, 'cannot read back') : new B2Error({ status: 0, code: 'truncated', message: String((err as Error)?.message ?? err) }),
            ),
          ),
          switchMap((actual) => {
            if (target.expectedSha1 && actual !== target.expectedSha1) throw checksumMismatch(actual, target.expectedSha1);
            sha1 = undefined;
            const f = file!;
            file = undefined;
            return from(f.commit()).pipe(map((): ParallelDownloadEvent => ({ type: 'response', status: 200, headers: {}, body: { ...result(actual), path } })));
          }),
        );
        return concat(merge(ranges, hashing), finish);
      }),
      // A failure removes the temporary file first, then is reported.
      catchError((err: unknown) => settle().pipe(switchMap(() => throwError(() => err)))),
      // Unsubscribed (or failed) with the file still open: the hashing stops and the file goes.
      finalize(() => void settle().subscribe()),
    );
  });
}

/**
 * Reads one range and writes its chunks at their offsets as they arrive, in ~1 MiB batches (one
 * writev each), up to WRITES_PENDING bytes being written while the socket is read on (waiting for
 * each write stalled the connection and made the server send in many small bursts). Emits the
 * bytes of each batch received, as it goes to be written; tells `onWritten` how far the range is written with nothing
 * missing; completes once every write is done, errors with the first failure. Unsubscribing aborts
 * the request (writes already started finish: the file's close waits for them).
 */
function writeRange(file: PositionalFile, part: PartDescriptor, fetch: Fetch, onWritten: (written: number) => void): Observable<number> {
  return new Observable<number>((subscriber) => {
    let position = part.offset;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    let pendingBytes = 0;
    /** Writes in flight, in range order: where each ends (from the range's start), and whether it is done. */
    const writes: { end: number; done: boolean }[] = [];
    let bodyDone = false;
    let wake: (() => void) | undefined;
    const wanted = () => (pendingBytes < WRITES_PENDING ? undefined : new Promise<void>((resolve) => (wake = resolve)));
    const flush = () => {
      const bytes = batchBytes;
      const write = { end: position + bytes - part.offset, done: false };
      writes.push(write);
      pendingBytes += bytes;
      file.writeAt(batch, position).then(
        () => {
          if (subscriber.closed) return;
          write.done = true;
          pendingBytes -= bytes;
          let through = -1;
          while (writes.length > 0 && writes[0].done) through = writes.shift()!.end;
          if (through >= 0) onWritten(through);
          const w = wake;
          wake = undefined;
          w?.();
          if (bodyDone && writes.length === 0) subscriber.complete();
        },
        (err: unknown) => subscriber.error(err),
      );
      position += bytes;
      batch = [];
      batchBytes = 0;
    };
    const sub = fetch(part, wanted).subscribe({
      next: (chunk) => {
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH) {
          subscriber.next(batchBytes);
          flush();
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        if (batchBytes > 0) {
          subscriber.next(batchBytes);
          flush();
        }
        bodyDone = true;
        if (writes.length === 0) subscriber.complete();
      },
    });
    return () => sub.unsubscribe();
  });
}

/**
 * The platform's positional file at `path`, its local failures (full disk, missing folder, no
 * permission) turned into B2Errors `local_io_error` that name `path`, not the temporary name.
 */
function openLocalFile(path: string): Observable<PositionalFile> {
  const local =
    <A extends unknown[], R>(doing: string, operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await operation(...args);
      } catch (err) {
        throw isOsError(err) ? localIoError(err, path, doing) : err;
      }
    };
  return defer(() => local('cannot write', (p: string) => platform.openPositionalFile(p))(path)).pipe(
    map((file) => ({
      writeAt: local('cannot write', file.writeAt.bind(file)),
      commit: local('cannot write', file.commit.bind(file)),
      abort: local('cannot remove the unfinished download of', file.abort.bind(file)),
      sha1FromStart: file.sha1FromStart.bind(file),
    })),
  );
}
