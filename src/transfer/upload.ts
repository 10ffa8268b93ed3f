/**
 * Sending one upload body (a small file or one part of a large file): take an upload URL from the
 * pool, send the body with byte-level progress, give the URL back after success or drop it after
 * a failure, and retry by B2's rules with a fresh URL each time (reference §6.3, §11).
 */
import { Observable, Subject, defer, filter, finalize, map, merge, switchMap, tap } from 'rxjs';
import type { B2FileWire } from '../api/wire';
import { getUploadUrl } from '../api/files';
import { uploadFile } from '../api/transfers';
import type { B2Event } from '../http/events';
import type { B2UploadBody } from '../http/transport';
import type { B2Session } from '../session/session';
import type { UploadUrl, UploadUrlPool } from '../session/upload-url-pool';
import { retryB2, type RetryB2Options } from '../operators/retry-b2';
import { throttleProgress } from '../operators/throttle-progress';
import { wireBody, type UploadSource } from './upload-source';
import { uploadProtectionHeaders, type B2FileProtection } from '../resources/protection';

export interface UploadMetadata {
  fileName: string;
  contentType: string;
  fileInfo: Record<string, string>;
  /** Encryption, retention and legal hold of the new version. */
  protection: B2FileProtection;
}

export interface TransferContext {
  session: B2Session;
  uploadUrls: UploadUrlPool;
  retry: RetryB2Options;
  progressIntervalMs: number;
}

export interface BodyUpload<T> {
  /** Pool key: the bucket id for files, the large file's id for parts. */
  poolKey: string;
  /** Gets a fresh upload URL when the pool has none idle. */
  fetchUrl: () => Observable<UploadUrl>;
  /** Content bytes (progress total). */
  size: number;
  /** Sends one attempt's body to a URL. */
  send: (url: UploadUrl, body: B2UploadBody, sha1Header: string, attempt: number) => Observable<B2Event<T, unknown>>;
  /** The source range to send. */
  source: UploadSource;
  offset: number;
  knownSha1: string | undefined;
}

/**
 * Emits `sent` per attempt, `uploadProgress` (content bytes, never going back when a retry
 * re-sends), `responseHeader` and `response`. Not throttled: callers aggregate or throttle.
 */
export function uploadBody<T>(ctx: TransferContext, u: BodyUpload<T>): Observable<B2Event<T, unknown>> {
  return defer(() => {
    const progress = new Subject<number>();
    let attempt = 0;
    let reported = 0;
    const attempts = defer(() => {
      attempt++;
      return ctx.uploadUrls.take(u.poolKey, u.fetchUrl).pipe(
        switchMap((url) => {
          const body = wireBody(u.source, u.offset, u.size, u.knownSha1);
          return u
            .send(url, { length: body.length, bytes: body.bytes, open: () => body.open(), onProgress: (loaded) => progress.next(Math.min(loaded, u.size)) }, body.sha1Header, attempt)
            // Back to the pool only after a complete success; any failure drops the URL (§6.3).
            .pipe(tap({ complete: () => ctx.uploadUrls.release(u.poolKey, url) }));
        }),
      );
    }).pipe(retryB2<B2Event<T, unknown>>({ ...ctx.retry, alsoRetry: (e) => e.needsNewUploadUrl }));
    const progressEvents = progress.pipe(
      filter((loaded) => loaded > reported),
      map((loaded) => {
        reported = loaded;
        return { type: 'uploadProgress' as const, loaded, total: u.size };
      }),
    );
    return merge(progressEvents, attempts.pipe(finalize(() => progress.complete())));
  });
}

/** Uploads one source as a small file (b2_upload_file); progress throttled for UIs. */
export function uploadSmallFile(
  ctx: TransferContext,
  bucketId: string,
  source: UploadSource,
  meta: UploadMetadata,
): Observable<B2Event<B2FileWire, unknown>> {
  const headers = uploadProtectionHeaders(meta.protection);
  return uploadBody<B2FileWire>(ctx, {
    poolKey: bucketId,
    fetchUrl: () => ctx.session.call((t) => getUploadUrl(t, { bucketId })),
    size: source.size,
    source,
    offset: 0,
    knownSha1: source.sha1,
    send: (url, body, sha1Header, attempt) =>
      uploadFile(
        ctx.session.transport,
        url,
        { fileName: meta.fileName, contentType: meta.contentType, contentSha1: sha1Header, fileInfo: meta.fileInfo, extra: headers },
        body,
        attempt,
      ),
  }).pipe(throttleProgress<B2Event<B2FileWire, unknown>>(ctx.progressIntervalMs, ctx.retry.scheduler));
}
