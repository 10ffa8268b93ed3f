/**
 * The page's side of "keys stay on the server": upload a Blob, bytes or text with only the upload
 * authorizations a server hands out (see `Bucket.getUploadAuthorization` and friends for its side).
 */
import { Observable, defer, from, switchMap, of } from 'rxjs';
import type { B2FileWire } from '../api/wire';
import { AxiosTransport } from '../http/axios-transport';
import { invalidArgument } from '../http/b2-error';
import type { B2Transport } from '../http/transport';
import type { RetryB2Options } from '../operators/retry-b2';
import { authorizedUpload, type B2UploadAuthorizer } from '../transfer/authorized-upload';
import type { B2LargeUploadEvent } from '../transfer/large-file-pipeline';
import { MAX_PART_SIZE, RECOMMENDED_PART_SIZE } from '../transfer/part-plan';
import { openBytesSource, openUploadSource, type UploadSource } from '../transfer/upload-source';
import { checkConcurrency, checkContentType, checkFileInfo, checkFileName, checkOptions, checkPositiveInt } from './validate';

/**
 * Options of `uploadWithAuthorization`. Bad values fail with `invalid_argument` naming the option,
 * on subscribe, before any request.
 */
export interface AuthorizedUploadOptions {
  /** What to upload: a Blob (a browser `File`), bytes, or text (UTF-8). */
  contents: Blob | Uint8Array | string;
  /** The file's name in the bucket, checked as `UploadFileOptions.fileName` (the authorization allows any name). */
  fileName: string;
  /** Default `b2/x-auto`: B2 picks by extension. */
  contentType?: string;
  /** Custom file info (default none), checked as `UploadFileOptions.fileInfo`. */
  fileInfo?: Record<string, string>;
  /** How to reach the server that holds the key: upload URLs, and large files' start, part URLs, finish and cancel. */
  authorizer: B2UploadAuthorizer;
  /** Above this many bytes the upload goes as a large file, when `authorizer.largeFile` is given (default 100,000,000). */
  largeFileThreshold?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Retry settings, or `false` to switch retrying off. */
  retry?: RetryB2Options | false;
  /** Least time between two progress events (default 100 ms). */
  progressIntervalMs?: number;
  /** The HTTP seam (default: axios; in a browser, XHR for upload progress). */
  transport?: B2Transport;
}

/** The events of an authorized upload: `Bucket.uploadFile`'s, with the file's wire fields in `response`. */
export type B2AuthorizedUploadEvent = B2LargeUploadEvent<B2FileWire>;

let sharedTransport: B2Transport | undefined;

/**
 * Uploads one file with server-issued authorizations only: no application key and no `B2` object
 * in the page. A small file asks `authorizer.uploadUrl()`; above `largeFileThreshold` (with
 * `authorizer.largeFile`) the server starts a large file, the page sends its parts to part URLs it
 * asks for, and the server finishes it.
 *
 * Emits `sent` per attempt, `uploadProgress` (throttled, never going back), for large files
 * `largeFileStarted` and a `partUploaded` per part, and `response` last with the file (B2's wire
 * fields: `fileId`, `fileName`, `contentLength`, …); then completes. A failed attempt (network,
 * 408, 429, 5xx, or 401 for an expired upload token) asks the authorizer for a fresh
 * authorization and tries again by B2's rules. Errors with a `B2Error`: `invalid_argument` for bad
 * options or for a server answer that is not an authorization (before any upload request with it);
 * a 401 whose message says to ask the server for a new authorization when B2 refused every one;
 * whatever the authorizer failed with. Cold: nothing is asked or sent before subscribe.
 * Unsubscribing aborts the requests in flight and asks the server to cancel a started large file.
 *
 * @example
 * uploadWithAuthorization({
 *   contents: file,
 *   fileName: `uploads/${file.name}`,
 *   authorizer: { uploadUrl: () => http.post<B2UploadUrlWire>('/api/upload-url', {}) },
 * }).subscribe((event) => { if (event.type === 'uploadProgress') bar.value = event.loaded / event.total!; });
 */
export function uploadWithAuthorization(options: AuthorizedUploadOptions): Observable<B2AuthorizedUploadEvent> {
  return defer(() => {
    options = checkOptions(options);
    const fileName = checkFileName(options.fileName);
    const contentType = checkContentType(options.contentType ?? 'b2/x-auto');
    const fileInfo = checkFileInfo(options.fileInfo);
    const authorizer = options.authorizer;
    if (typeof authorizer !== 'object' || authorizer === null || typeof authorizer.uploadUrl !== 'function') {
      throw invalidArgument('authorizer', 'must be an object with uploadUrl() (and largeFile for large files): the way to the server that holds the key');
    }
    const large = authorizer.largeFile;
    if (
      large !== undefined &&
      (typeof large !== 'object' ||
        large === null ||
        !['start', 'partUrl', 'finish', 'cancel'].every((m) => typeof (large as unknown as Record<string, unknown>)[m] === 'function'))
    ) {
      throw invalidArgument('authorizer.largeFile', 'must have start(), partUrl(), finish() and cancel()');
    }
    const threshold = options.largeFileThreshold === undefined ? RECOMMENDED_PART_SIZE : checkPositiveInt(options.largeFileThreshold, 'largeFileThreshold');
    const concurrency = checkConcurrency(options.concurrency);
    const progressIntervalMs = options.progressIntervalMs ?? 100;
    if (!Number.isFinite(progressIntervalMs) || progressIntervalMs < 0) throw invalidArgument('progressIntervalMs', 'must be a number of milliseconds, 0 or more');
    const contents = options.contents;
    const isBlob = typeof Blob !== 'undefined' && contents instanceof Blob;
    if (!isBlob && typeof contents !== 'string' && !(contents instanceof Uint8Array)) {
      throw invalidArgument('contents', 'expected a Blob (a File), a Uint8Array or a string');
    }
    const retry: RetryB2Options = options.retry === false ? { maxAttempts: 1 } : { ...options.retry };
    const transport = options.transport ?? (sharedTransport ??= new AxiosTransport());
    const opened: Observable<UploadSource> = isBlob ? from(openUploadSource(contents)) : of(openBytesSource(contents as Uint8Array | string));
    return opened.pipe(
      switchMap((source) => {
        if (!large && source.size > MAX_PART_SIZE) {
          throw invalidArgument('authorizer.largeFile', `is needed for ${source.size} bytes (one upload request takes at most ${MAX_PART_SIZE})`);
        }
        return authorizedUpload({
          source,
          fileName,
          contentType,
          fileInfo,
          authorizer,
          transport,
          retry,
          progressIntervalMs,
          large: !!large && source.size > threshold,
          concurrency,
        });
      }),
    );
  });
}
