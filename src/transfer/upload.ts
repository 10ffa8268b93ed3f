/**
 * The simple upload pipeline (b2_upload_file): take an upload URL from the pool, send the body
 * with byte-level progress, give the URL back after success or drop it after a failure, and retry
 * by B2's rules with a fresh URL each time.
 */
import { Observable, Subject, defer, filter, finalize, map, merge, switchMap, tap } from 'rxjs';
import type { B2FileWire } from '../api/wire';
import { getUploadUrl } from '../api/files';
import { uploadFile } from '../api/transfers';
import type { B2Event } from '../http/events';
import type { B2Session } from '../session/session';
import type { UploadUrlPool } from '../session/upload-url-pool';
import { retryB2, type RetryB2Options } from '../operators/retry-b2';
import { throttleProgress } from '../operators/throttle-progress';
import { wireBody, type UploadSource } from './upload-source';

export interface UploadMetadata {
  fileName: string;
  contentType: string;
  fileInfo: Record<string, string>;
  /** Raw headers for SSE, retention, legal hold. */
  extraHeaders: Record<string, string>;
}

export interface TransferContext {
  session: B2Session;
  uploadUrls: UploadUrlPool;
  retry: RetryB2Options;
  progressIntervalMs: number;
}

/**
 * Uploads one source as a small file. Emits `sent` per attempt, monotonic `uploadProgress`
 * (content bytes, throttled), `responseHeader`, and `response` with the file last. Unsubscribing
 * aborts the request in flight.
 */
export function uploadSmallFile(
  ctx: TransferContext,
  bucketId: string,
  openSource: () => Promise<UploadSource>,
  meta: UploadMetadata,
): Observable<B2Event<B2FileWire, unknown>> {
  return defer(async () => openSource()).pipe(
    switchMap((source) => {
      const progress = new Subject<number>();
      let attempt = 0;
      let reported = 0;
      const attempts = defer(() => {
        attempt++;
        return ctx.uploadUrls
          .take(bucketId, () => ctx.session.call((t) => getUploadUrl(t, { bucketId })))
          .pipe(
            switchMap((url) => {
              const body = wireBody(source, 0, source.size, source.sha1);
              return uploadFile(
                ctx.session.transport,
                url,
                { fileName: meta.fileName, contentType: meta.contentType, contentSha1: body.sha1Header, fileInfo: meta.fileInfo, extra: meta.extraHeaders },
                { length: body.length, open: () => body.open(), onProgress: (loaded) => progress.next(Math.min(loaded, source.size)) },
                attempt,
              ).pipe(
                // Back to the pool only after a complete success; any failure drops the URL (§6.3).
                tap({ complete: () => ctx.uploadUrls.release(bucketId, url) }),
              );
            }),
          );
      }).pipe(retryB2({ ...ctx.retry, alsoRetry: (e) => e.needsNewUploadUrl }));
      const progressEvents = progress.pipe(
        // Bytes re-sent by a retry are not counted twice: progress never goes back.
        filter((loaded) => loaded > reported),
        map((loaded) => {
          reported = loaded;
          return { type: 'uploadProgress' as const, loaded: reported, total: source.size };
        }),
      );
      return merge(progressEvents, attempts.pipe(finalize(() => progress.complete()))).pipe(
        throttleProgress<B2Event<B2FileWire, unknown>>(ctx.progressIntervalMs, ctx.retry.scheduler),
      );
    }),
  );
}
