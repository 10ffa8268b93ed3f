/**
 * Sending one upload body (a small file or one part of a large file): take an upload URL from the
 * pool, send the body with byte-level progress, give the URL back after success or drop it after
 * a failure, and retry by B2's rules with a fresh URL each time (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api, https://www.backblaze.com/docs/cloud-storage-integration-checklist).
 */
import { Observable, defer } from 'rxjs';
import type { B2Api } from '../api/b2-api';
import { uploadProtectionHeaders, type B2ProtectionWire } from '../api/protection-wire';
import type { B2FileWire, B2PartWire } from '../api/wire';
import type { B2Event } from '../http/events';
import type { B2UploadBody } from '../http/transport';
import type { UploadUrl } from '../session/upload-url-pool';
import { throttleProgress } from '../operators/throttle-progress';
import { toPartEvents, type PartEvent } from './large-file-pipeline';
import { neverBack } from './progress';
import type { TransferDeps } from './transfer-deps';
import { oneWriteBytes, wireBody, type UploadSource } from './upload-source';

export interface UploadMetadata {
  fileName: string;
  contentType: string;
  fileInfo: Record<string, string>;
  /** Encryption, retention and legal hold of the new version, as B2 takes them (checked and encoded by resources). */
  protection: B2ProtectionWire;
}

/** The B2 calls an upload body needs: upload URLs and the bodies themselves (what a server's authorizer can stand in for). */
export type UploadApi = Pick<B2Api, 'getUploadUrl' | 'getUploadPartUrl' | 'uploadFile' | 'uploadPart'>;

/** What upload pipelines are handed: `TransferDeps`, or the same with an authorizer's `UploadApi`. */
export type UploadDeps = Omit<TransferDeps, 'api'> & { api: UploadApi };

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
 * re-sends), `responseHeader` and `response` (its body through `mapBody` when given). Each
 * attempt takes a URL from the pool (an idle one, or a fresh one from `fetchUrl`), gives it back
 * after a complete success and drops it after any failure; failures are retried by B2's rules,
 * every `needsNewUploadUrl` included (see `UploadUrlPool.upload`). Errors with the last failure.
 * Not throttled: callers aggregate or throttle. Cold; unsubscribing aborts the attempt in flight
 * or the wait.
 */
export function uploadBody<T, R = T>(deps: Pick<UploadDeps, 'uploadUrls' | 'retry' | 'scheduler'>, u: BodyUpload<T>, mapBody?: (body: T) => R): Observable<B2Event<R, unknown>> {
  return defer(() => {
    const advance = neverBack();
    return deps.uploadUrls.upload(u.poolKey, u.fetchUrl, (url, attempt) => sendBody(u, url, attempt, advance, mapBody), deps.retry, deps.scheduler);
  });
}

/** One attempt: the body opened for it, its progress (capped at its size, never going back) among the transport's events. */
function sendBody<T, R>(u: BodyUpload<T>, to: UploadUrl, attempt: number, advance: (loaded: number) => boolean, mapBody?: (body: T) => R): Observable<B2Event<R, unknown>> {
  return new Observable<B2Event<R, unknown>>((subscriber) => {
    const body = wireBody(u.source, u.offset, u.size, u.knownSha1);
    const onProgress = (loaded: number) => {
      if (loaded > u.size) loaded = u.size;
      if (advance(loaded)) subscriber.next({ type: 'uploadProgress', loaded, total: u.size });
    };
    return u.send(to, { length: body.length, bytes: body.bytes, open: () => body.open(), onProgress }, body.sha1Header, attempt).subscribe({
      next: (event) => subscriber.next(mapBody && event.type === 'response' ? { ...event, body: mapBody(event.body) } : (event as B2Event<R, unknown>)),
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}

/**
 * Uploads one source as a small file (b2_upload_file); progress throttled for UIs. The response's
 * file goes through `toFile` when given. Events and errors as `uploadBody`.
 */
export function uploadSmallFile<F = B2FileWire>(
  deps: UploadDeps,
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

/** One part of a large file: where its bytes are, and the SHA-1 when it is known before sending. */
export interface PartBody {
  partNumber: number;
  source: UploadSource;
  offset: number;
  length: number;
  knownSha1: string | undefined;
  /** SSE-C key headers: every part of an SSE-C large file repeats the key. */
  extra?: Record<string, string>;
}

/**
 * Uploads one part (b2_upload_part) through the part-URL pool of `fileId`, retried with a fresh
 * URL as `uploadBody`: emits the part's progress, then `done` with the SHA-1 B2 checked. Cold;
 * unsubscribing aborts the attempt in flight.
 */
export function uploadPartBody(deps: UploadDeps, fileId: string, part: PartBody): Observable<PartEvent> {
  return uploadBody<B2PartWire>(deps, {
    poolKey: fileId,
    fetchUrl: () => deps.api.getUploadPartUrl({ fileId }),
    size: part.length,
    source: part.source,
    offset: part.offset,
    knownSha1: part.knownSha1,
    send: (url, body, sha1Header, attempt) => deps.api.uploadPart(url, { partNumber: part.partNumber, contentSha1: sha1Header, extra: part.extra }, body, attempt),
  }).pipe(toPartEvents());
}
