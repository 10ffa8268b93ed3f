/**
 * Parallel download of one file version: ranged GETs, `concurrency` at a time, each retried and
 * resumed on its own. Parts are written at their offsets as they arrive (to a path) or handed out
 * in order (as a stream); the whole-file SHA-1 is computed in one pass as parts come in order and
 * checked at the end. A part is requested only once the part `concurrency` places before it was
 * hashed, so at most `concurrency` parts are in memory.
 */
import { Observable, type Subscription } from 'rxjs';
import { B2Error, invalidArgument } from '../http/b2-error';
import { platform, type PositionalFile } from '../platform';
import type { B2Session } from '../session/session';
import type { RetryB2Options } from '../operators/retry-b2';
import { throttleProgress } from '../operators/throttle-progress';
import { downloadPipeline, type B2ByteStream, type B2DownloadResult, type DownloadOptions } from './download';
import { intoBuffer } from './download-sinks';
import { planParts, type PartDescriptor } from './part-plan';
import type { B2Event } from '../http/events';

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
    const fetches = new Map<number, { bytes: Promise<Uint8Array>; sub: Subscription }>();
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

    const fetch = (part: PartDescriptor) => {
      let sub!: Subscription;
      const bytes = new Promise<Uint8Array>((resolve, reject) => {
        sub = downloadPipeline(session, { fileId: target.fileId }, { headers: options.headers, serverSideEncryption: options.serverSideEncryption, range: { start: part.offset, end: part.offset + part.length - 1 } }, retry, 0)
          .pipe(intoBuffer())
          .subscribe({
            next: (e) => {
              if (e.type === 'downloadProgress') {
                perPart.set(part.partNumber, Math.max(perPart.get(part.partNumber) ?? 0, e.loaded));
                progress();
              } else if (e.type === 'response') {
                const data = e.body.data;
                if (data.length !== part.length) reject(new B2Error({ status: 0, code: 'truncated', message: `part ${part.partNumber}: got ${data.length} of ${part.length} bytes` }));
                // Written at its offset as soon as it arrives; hashing waits for order.
                else if (file) file.writeAt(data, part.offset).then(() => resolve(data), reject);
                else resolve(data);
              }
            },
            error: reject,
          });
      });
      bytes.catch(() => undefined);
      fetches.set(part.partNumber, { bytes, sub });
    };

    /** Parts in order, hashed once; the next request starts as each part is handed on. */
    async function* ordered(): AsyncGenerator<Uint8Array> {
      const hash = target.expectedSha1 ? platform.createSha1() : null;
      for (let i = 0; i < Math.min(concurrency, parts.length); i++) fetch(parts[i]);
      for (let i = 0; i < parts.length; i++) {
        const bytes = await fetches.get(parts[i].partNumber)!.bytes;
        fetches.delete(parts[i].partNumber);
        if (stopped) return;
        hash?.update(bytes);
        if (i + concurrency < parts.length) fetch(parts[i + concurrency]);
        yield bytes;
      }
      const actual = hash?.digest() ?? null;
      if (target.expectedSha1 && actual !== target.expectedSha1) {
        throw new B2Error({ status: 0, code: 'checksum_mismatch', message: `SHA-1 of the downloaded bytes (${actual}) does not match the file's (${target.expectedSha1})` });
      }
      finish(actual);
    }

    const result = (verifiedSha1: string | null): B2DownloadResult & { path?: string } =>
      typeof into === 'string' ? { bytes: target.contentLength, verifiedSha1 } : { bytes: target.contentLength, verifiedSha1, path: into.path };
    let finish = (verifiedSha1: string | null) => {
      subscriber.next({ type: 'response', status: 200, headers: {}, body: result(verifiedSha1) });
      subscriber.complete();
    };
    const fail = (err: unknown) => {
      if (!stopped) subscriber.error(err);
    };

    subscriber.next({ type: 'sent', attempt: 1 });
    if (into === 'stream') {
      const body = platform.toByteStream(
        (async function* () {
          try {
            yield* ordered();
          } catch (err) {
            fail(err);
            throw err;
          }
        })(),
      );
      subscriber.next({ type: 'responseHeader', status: 200, headers: { 'content-length': String(target.contentLength) }, body });
    } else {
      let verified: string | null = null;
      finish = (sha1) => void (verified = sha1);
      (async () => {
        file = await platform.openPositionalFile(into.path);
        for await (const _ of ordered()) {
          // Bytes are already written at their offsets; iterating drives hashing and read-ahead.
        }
        if (stopped) return;
        await file.commit();
        file = undefined;
        subscriber.next({ type: 'response', status: 200, headers: {}, body: result(verified) });
        subscriber.complete();
      })().catch(async (err) => {
        await file?.abort();
        file = undefined;
        fail(err);
      });
    }
    return () => {
      stopped = true;
      for (const f of fetches.values()) f.sub.unsubscribe();
      fetches.clear();
      void file?.abort();
    };
  }).pipe(throttleProgress(progressIntervalMs, retry.scheduler));
}
