/**
 * Parallel download of one file version: ranged GETs, `concurrency` at a time, each retried and
 * resumed on its own. A part is requested only once the part `concurrency` places before it is
 * done. The whole-file SHA-1 is computed in one pass, in file order:
 *
 * - to a path, bytes are written at their offsets as they arrive and nothing is held: each part,
 *   once written and its turn come, is read back (from the page cache, into one reused buffer) and
 *   hashed — which also checks the bytes on disk. Holding later parts' chunks until their turn
 *   made them survive young-generation GCs and cost ~0.3 CPU-s per GiB in full collections;
 * - as a stream, the first unfinished part is hashed and handed out as it arrives, later parts
 *   are held until their turn (at most `concurrency` parts in memory).
 */
import { Observable } from 'rxjs';
import { B2Error, invalidArgument, isOsError, localIoError } from '../http/b2-error';
import type { B2Event } from '../http/events';
import { platform, type PositionalFile } from '../platform';
import type { B2Session } from '../session/session';
import type { RetryB2Options } from '../operators/retry-b2';
import { throttleProgress } from '../operators/throttle-progress';
import { checksumMismatch, downloadResult, openDownload, type B2ByteStream, type B2DownloadResult, type DownloadOptions, type OpenedDownload } from './download';
import { planParts, type PartDescriptor } from './part-plan';

export interface ParallelDownloadOptions {
  /** Ranged requests in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per ranged request (default 16 MiB). */
  partSize?: number;
}

export interface ParallelDownloadTarget {
  fileId: string;
  contentLength: number;
  /** Whole-file SHA-1 to check (contentSha1, or large_file_sha1); null when unknown. */
  expectedSha1: string | null;
}

const DEFAULT_PART = 16 << 20;
/** Positional writes are batched to about this many bytes (one writev each); read-backs read this much at a time. */
const WRITE_BATCH = 1 << 20;
/** Bytes of one part being written while its socket is read on. */
const WRITES_PENDING = 8 << 20;

/** The chunks of one part as they arrive, read once, in order, by the ordered consumer. */
class PartChunks {
  private readonly chunks: Uint8Array[] = [];
  private next = 0;
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.wake?.();
  }

  end(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.wake?.();
  }

  async *drain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.next < this.chunks.length) {
        const chunk = this.chunks[this.next];
        // Released as soon as it is handed on.
        this.chunks[this.next++] = undefined as unknown as Uint8Array;
        yield chunk;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export function parallelDownload(
  session: B2Session,
  target: ParallelDownloadTarget,
  options: ParallelDownloadOptions & Pick<DownloadOptions, 'headers' | 'serverSideEncryption'>,
  retry: RetryB2Options,
  progressIntervalMs: number,
  into: { path: string } | 'stream',
): Observable<B2Event<B2DownloadResult & { path?: string }, B2ByteStream>> {
  return new Observable<B2Event<B2DownloadResult & { path?: string }, B2ByteStream>>((subscriber) => {
    const concurrency = options.concurrency ?? 4;
    const partSize = options.partSize ?? DEFAULT_PART;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      subscriber.error(invalidArgument('concurrency', 'must be a whole number from 1 to 64'));
      return;
    }
    if (!Number.isSafeInteger(partSize) || partSize < 1) {
      subscriber.error(invalidArgument('partSize', 'must be a positive whole number of bytes'));
      return;
    }
    const parts = planParts(target.contentLength, partSize).parts;
    const perPart = new Map<number, number>();
    const fetches = new Map<number, { chunks: PartChunks; abort: () => void }>();
    let file: PositionalFile | undefined;
    let stopped = false;
    let reported = 0;

    const progress = () => {
      let loaded = 0;
      for (const n of perPart.values()) loaded += n;
      if (loaded > reported) {
        reported = loaded;
        subscriber.next({ type: 'downloadProgress', loaded, total: target.contentLength });
      }
    };

    /** Reads one part's body: chunks go to its queue and (to a path) straight to their offsets. */
    const consume = async (part: PartDescriptor, body: AsyncIterable<Uint8Array>, chunks: PartChunks) => {
      let position = part.offset;
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      let got = 0;
      // Writes run while the socket is read on (up to WRITES_PENDING bytes): waiting for each one
      // stalled the connection and made the server send in many small bursts.
      const writes = new Set<Promise<void>>();
      let pendingBytes = 0;
      let writeError: unknown;
      const flush = (target: PositionalFile) => {
        const bytes = batchBytes;
        const write = target.writeAt(batch, position).then(
          () => {
            pendingBytes -= bytes;
            writes.delete(write);
          },
          (err: unknown) => {
            writeError ??= err;
            writes.delete(write);
          },
        );
        writes.add(write);
        pendingBytes += bytes;
        position += bytes;
        batch = [];
        batchBytes = 0;
      };
      try {
        for await (const chunk of body) {
          if (stopped) return;
          got += chunk.length;
          if (!file) chunks.push(chunk);
          perPart.set(part.partNumber, got);
          progress();
          if (file) {
            batch.push(chunk);
            batchBytes += chunk.length;
            if (batchBytes >= WRITE_BATCH) flush(file);
            while (pendingBytes >= WRITES_PENDING && writeError === undefined) await Promise.race(writes);
            if (writeError !== undefined) throw writeError;
          }
        }
        if (file && batchBytes > 0) flush(file);
      } finally {
        // Never leave a write running behind a finished or failed part.
        await Promise.all(writes);
      }
      if (writeError !== undefined) throw writeError;
      if (got !== part.length) throw new B2Error({ status: 0, code: 'truncated', message: `part ${part.partNumber}: got ${got} of ${part.length} bytes` });
    };

    const fetch = (part: PartDescriptor) => {
      const chunks = new PartChunks();
      let opened: OpenedDownload | undefined;
      const sub = openDownload(
        session,
        { fileId: target.fileId },
        { headers: options.headers, serverSideEncryption: options.serverSideEncryption, range: { start: part.offset, end: part.offset + part.length - 1 } },
        retry,
      ).subscribe({
        next: (o) => {
          opened = o;
          // The part's raw chunks, read here directly: no stream wrapper per part.
          consume(part, o.chunks, chunks).then(
            () => chunks.end(),
            (err) => chunks.end(err),
          );
        },
        error: (err) => chunks.end(err),
      });
      fetches.set(part.partNumber, {
        chunks,
        abort: () => {
          sub.unsubscribe();
          opened?.abort();
        },
      });
    };

    /** A part already written to the file, read back and hashed. */
    const hashWritten = async (written: PositionalFile, part: PartDescriptor, hash: ReturnType<typeof platform.createSha1>, memory: Uint8Array) => {
      for (let at = part.offset, end = part.offset + part.length; at < end;) {
        const n = await written.readAt(memory.subarray(0, Math.min(memory.length, end - at)), at);
        if (n === 0) throw new B2Error({ status: 0, code: 'truncated', message: `part ${part.partNumber}: the file ends ${end - at} bytes short` });
        hash.update(memory.subarray(0, n));
        at += n;
      }
    };

    /** Every byte in file order, hashed once (a stream's bytes yielded); the next request starts as each part completes. */
    async function* ordered(): AsyncGenerator<Uint8Array, string | null | undefined> {
      const hash = target.expectedSha1 ? platform.createSha1() : null;
      const readBack = file && hash ? new Uint8Array(WRITE_BATCH) : undefined;
      for (let i = 0; i < Math.min(concurrency, parts.length); i++) fetch(parts[i]);
      for (let i = 0; i < parts.length; i++) {
        // To a file, a part's queue stays empty: this waits for the part to be written.
        for await (const chunk of fetches.get(parts[i].partNumber)!.chunks.drain()) {
          if (stopped) return;
          hash?.update(chunk);
          yield chunk;
        }
        if (stopped) return;
        if (file && hash && readBack) await hashWritten(file, parts[i], hash, readBack);
        fetches.delete(parts[i].partNumber);
        if (i + concurrency < parts.length) fetch(parts[i + concurrency]);
      }
      const actual = hash?.digest() ?? null;
      if (target.expectedSha1 && actual !== target.expectedSha1) {
        throw checksumMismatch(actual, target.expectedSha1);
      }
      return actual;
    }

    // Never a range (those go as one request): unverified only for want of a SHA-1.
    const result = (verifiedSha1: string | null): B2DownloadResult & { path?: string } =>
      into === 'stream' ? downloadResult(target.contentLength, verifiedSha1, 'noSha1') : { ...downloadResult(target.contentLength, verifiedSha1, 'noSha1'), path: into.path };
    const fail = (err: unknown) => {
      if (!stopped) subscriber.error(err);
    };

    subscriber.next({ type: 'sent', attempt: 1 });
    if (into === 'stream') {
      const body = platform.toByteStream(
        (async function* () {
          try {
            const verified = yield* ordered();
            subscriber.next({ type: 'response', status: 200, headers: {}, body: result(verified ?? null) });
            subscriber.complete();
          } catch (err) {
            fail(err);
            throw err;
          }
        })(),
      );
      subscriber.next({ type: 'responseHeader', status: 200, headers: { 'content-length': String(target.contentLength) }, body });
    } else {
      (async () => {
        file = await openLocalFile(into.path);
        const walk = ordered();
        let step = await walk.next();
        // Bytes are written at their offsets as they arrive; walking drives hashing and read-ahead.
        while (!step.done) step = await walk.next();
        if (stopped) return;
        await file.commit();
        file = undefined;
        subscriber.next({ type: 'response', status: 200, headers: {}, body: result(step.value ?? null) });
        subscriber.complete();
      })().catch(async (err) => {
        await file?.abort();
        file = undefined;
        fail(err);
      });
    }
    return () => {
      stopped = true;
      for (const f of fetches.values()) f.abort();
      fetches.clear();
      void file?.abort();
    };
  }).pipe(throttleProgress(progressIntervalMs, retry.scheduler));
}

/**
 * The platform's positional file at `path`, its local failures (full disk, missing folder, no
 * permission) turned into B2Errors `local_io_error` that name `path`, not the temporary name.
 */
async function openLocalFile(path: string): Promise<PositionalFile> {
  const local =
    <A extends unknown[], R>(doing: string, operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await operation(...args);
      } catch (err) {
        throw isOsError(err) ? localIoError(err, path, doing) : err;
      }
    };
  const file = await local('cannot write', (p: string) => platform.openPositionalFile(p))(path);
  return {
    writeAt: local('cannot write', file.writeAt.bind(file)),
    readAt: local('cannot read back', file.readAt.bind(file)),
    commit: local('cannot write', file.commit.bind(file)),
    abort: local('cannot remove the unfinished download of', file.abort.bind(file)),
  };
}
