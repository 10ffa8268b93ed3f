/**
 * Sending one upload body (a small file or one part of a large file): take an upload URL from the
 * pool, send the body with byte-level progress, give the URL back after success or drop it after
 * a failure, and retry by B2's rules with a fresh URL each time (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api, https://www.backblaze.com/docs/cloud-storage-integration-checklist).
 */
import { Observable, defer, switchMap, throwError } from 'rxjs';
import type { B2FileWire } from '../api/wire';
import type { B2Event } from '../http/events';
import type { B2UploadBody } from '../http/transport';
import type { UploadUrl } from '../session/upload-url-pool';
import { retryB2 } from '../operators/retry-b2';
import { throttleProgress } from '../operators/throttle-progress';
import { oneWriteBytes, wireBody, type UploadSource } from './upload-source';
import type { TransferDeps } from './transfer-deps';
import { uploadProtectionHeaders, type B2ProtectionWire } from '../api/protection-wire';

export interface UploadMetadata {
  fileName: string;
  contentType: string;
  fileInfo: Record<string, string>;
  /** Encryption, retention and legal hold of the new version, as B2 takes them (checked and encoded by resources). */
  protection: B2ProtectionWire;
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
 * re-sends), `responseHeader` and `response` (its body through `mapBody` when given). Not
 * throttled: callers aggregate or throttle.
 */
export function uploadBody<T, R = T>(ctx: Pick<TransferDeps, 'uploadUrls' | 'retry'>, u: BodyUpload<T>, mapBody?: (body: T) => R): Observable<B2Event<R, unknown>> {
  // One Observable per upload with the attempts inside: a small upload is mostly plumbing, so
  // progress goes straight to the subscriber instead of through a Subject merged in, and the
  // retry machinery is built only once an attempt has failed.
  return new Observable<B2Event<R, unknown>>((subscriber) => {
    let attempt = 0;
    let reported = 0;
    /** The URL the current attempt holds. */
    let url: UploadUrl | undefined;
    const onProgress = (loaded: number) => {
      if (loaded > u.size) loaded = u.size;
      if (loaded > reported) {
        reported = loaded;
        subscriber.next({ type: 'uploadProgress', loaded, total: u.size });
      }
    };
    const sendTo = (to: UploadUrl): Observable<B2Event<T, unknown>> => {
      url = to;
      const body = wireBody(u.source, u.offset, u.size, u.knownSha1);
      return u.send(to, { length: body.length, bytes: body.bytes, open: () => body.open(), onProgress }, body.sha1Header, attempt);
    };
    const tryOnce = (): Observable<B2Event<T, unknown>> => {
      attempt++;
      url = undefined;
      const idle = ctx.uploadUrls.takeIdle(u.poolKey);
      return idle ? sendTo(idle) : u.fetchUrl().pipe(switchMap(sendTo));
    };
    const next = (event: B2Event<T, unknown>) => subscriber.next(mapBody && event.type === 'response' ? { ...event, body: mapBody(event.body) } : (event as B2Event<R, unknown>));
    const complete = () => {
      // Back to the pool only after a complete success; any failure drops the URL (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api).
      if (url) ctx.uploadUrls.release(u.poolKey, url);
      subscriber.complete();
    };
    const retryAfter = (firstFailure: unknown) => {
      // B2's rules take over from the first failure, which they see first: its wait, and the
      // attempt count, are theirs.
      let replayed = false;
      const attempts = defer(() => {
        if (replayed) return tryOnce();
        replayed = true;
        return throwError(() => firstFailure);
      });
      subscriber.add(
        attempts
          .pipe(retryB2<B2Event<T, unknown>>({ ...ctx.retry, alsoRetry: (e) => e.needsNewUploadUrl }))
          .subscribe({ next, complete, error: (err: unknown) => subscriber.error(err) }),
      );
    };
    let first: Observable<B2Event<T, unknown>>;
    try {
      first = tryOnce();
    } catch (err) {
      first = throwError(() => err);
    }
    return first.subscribe({ next, complete, error: retryAfter });
  });
}

/**
 * Uploads one source as a small file (b2_upload_file); progress throttled for UIs. The response's
 * file goes through `toFile` when given.
 */
export function uploadSmallFile<F = B2FileWire>(
  deps: TransferDeps,
  bucketId: string,
  source: UploadSource,
  meta: UploadMetadata,
  toFile?: (wire: B2FileWire) => F,
): Observable<B2Event<F, unknown>> {
  const headers = uploadProtectionHeaders(meta.protection);
  const events = uploadBody<B2FileWire, F>(
    deps,
    {
      poolKey: bucketId,
      fetchUrl: () => deps.api.getUploadUrl({ bucketId }),
      size: source.size,
      source,
      offset: 0,
      knownSha1: source.sha1,
      send: (url, body, sha1Header, attempt) =>
        deps.api.uploadFile(url, { fileName: meta.fileName, contentType: meta.contentType, contentSha1: sha1Header, fileInfo: meta.fileInfo, extra: headers }, body, attempt),
    },
    toFile,
  );
  // A body sent in one write has one progress event, the final one, which throttling always
  // passes: nothing to throttle.
  if (oneWriteBytes(source, 0, source.size, source.sha1)) return events;
  return events.pipe(throttleProgress<B2Event<F, unknown>>(deps.progressIntervalMs, deps.scheduler));
}
