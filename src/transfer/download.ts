/**
 * The download pipeline: one GET (by id or by name) through the raw-API seam, retried by B2's
 * rules until the response headers arrive; then the body is handed to the subscriber as a stream
 * that counts progress, verifies the whole-file SHA-1, and — when the connection drops mid-body —
 * carries on from the next byte with a ranged request
 * (https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api).
 */
import { Observable, catchError, concat, defer, filter, map, of, switchMap, take, tap, throwError } from 'rxjs';
import type { B2Api, B2DownloadBy } from '../api/b2-api';
import { B2Error } from '../http/b2-error';
import type { B2Event, B2ResponseEvent, B2SentEvent } from '../http/events';
import { platform } from '../platform';
import { throttleProgress } from '../operators/throttle-progress';
import { bodyChunks, pullStream, type B2ByteStream } from './download-body';

export type { B2ByteStream } from './download-body';
import type { TransferDeps } from './transfer-deps';

/**
 * What a download pipeline uses of the `TransferDeps` every pipeline is handed (a `TransferDeps`
 * is one): `api.downloadFile`, the retry rules for resuming a body, the progress interval, time.
 */
export type DownloadDeps = Pick<TransferDeps, 'retry' | 'progressIntervalMs' | 'scheduler'> & { api: Pick<B2Api, 'downloadFile'> };

/** One download as the pipeline sends it: which file, the request headers ready to send, the range. */
export interface DownloadRequest {
  by: B2DownloadBy;
  /** Request headers ready to send (SSE-C key headers, b2-content-* overrides); the pipeline adds `Range`. */
  headers: Record<string, string>;
  /** Inclusive byte range; absent = the whole file (then its SHA-1 is verified). */
  range?: { start: number; end?: number };
  /** A download-authorization token to send instead of the account's (by name only). */
  authorizationToken?: string;
}

/**
 * What a finished download reports in its `response` event, including what was verified: the
 * whole file against its SHA-1, or nothing, and why.
 */
export interface B2DownloadResult {
  /** Bytes delivered. */
  bytes: number;
  /** The whole-file SHA-1 the bytes were verified against; null when nothing was verified. */
  verifiedSha1: string | null;
  /** `wholeFile`: every byte was checked against `verifiedSha1`. `nothing`: see `unverifiedReason`. */
  verified: 'wholeFile' | 'nothing';
  /**
   * Why nothing was verified (absent when the whole file was): `range` — a range was asked for,
   * and a SHA-1 covers the whole file only; `noSha1` — B2 holds no SHA-1 for this file (a large
   * file uploaded without `large_file_sha1`, e.g. from a stream or with `largeFileSha1: false`).
   */
  unverifiedReason?: 'range' | 'noSha1';
}

/** A download's result: verified against `verifiedSha1`, or (null) not, for `reason`. */
export function downloadResult(bytes: number, verifiedSha1: string | null, reason: 'range' | 'noSha1'): B2DownloadResult {
  return verifiedSha1 ? { bytes, verifiedSha1, verified: 'wholeFile' } : { bytes, verifiedSha1: null, verified: 'nothing', unverifiedReason: reason };
}

/**
 * The events of a download: `sent` (per attempt), `responseHeader` with `body` (the byte stream to
 * read), `downloadProgress` as the body is read, and `response` last with a `B2DownloadResult`.
 */
export type B2DownloadEvent = B2Event<B2DownloadResult, B2ByteStream>;

/** A download whose headers arrived. */
export interface OpenedDownload {
  type: 'opened';
  status: number;
  headers: Record<string, string>;
  /** Content length of this response (the range's, for a ranged request); NaN when not said. */
  length: number;
  /**
   * The body's chunks, to subscribe to once. A connection lost or stalled mid-body is resumed
   * from the next byte with a ranged request, at once, each resume told to `retry.onRetry` as a
   * retry of the download call (up to `maxAttempts - 1` resumes); a resume answered by another
   * file version errors with `file_changed`, a body that ends short with `truncated`.
   * Unsubscribing aborts the request in flight. `wanted`, when given, is asked before each read:
   * a Promise it returns holds the reading until it settles (backpressure).
   */
  body(wanted?: () => Promise<void> | undefined): Observable<Uint8Array>;
}

/**
 * Sends the GET through `deps.api.downloadFile` (retried there until its headers arrive): emits
 * each attempt's `sent`, then the `OpenedDownload` once, and completes. Unsubscribing before then
 * aborts the request; an opened body left unread is the subscriber's to read or abort.
 */
export function openDownload(deps: DownloadDeps, request: DownloadRequest): Observable<B2SentEvent | OpenedDownload> {
  const operation = 'fileId' in request.by ? 'b2_download_file_by_id' : 'b2_download_file_by_name';
  /** The request from byte `from` of the file (absent: as asked). */
  const send = (from?: number) => {
    const headers = { ...request.headers };
    const start = from ?? request.range?.start;
    if (start !== undefined) headers.Range = `bytes=${start}-${request.range?.end ?? ''}`;
    return deps.api.downloadFile({ by: request.by, headers, authorizationToken: request.authorizationToken });
  };
  return defer(() => send()).pipe(
    filter((e): e is B2SentEvent | B2ResponseEvent<unknown> => e.type === 'sent' || e.type === 'response'),
    map((e): B2SentEvent | OpenedDownload => {
      if (e.type === 'sent') return e;
      const first = e;
      const length = Number(first.headers['content-length'] ?? NaN);
      return {
        type: 'opened',
        status: first.status,
        headers: first.headers,
        length,
        body: (wanted) =>
          defer(() => {
            let delivered = 0;
            let resumes = 0;
            /** One response's body, and after a cut the next one's, from the next byte. */
            const fromBody = (body: unknown): Observable<Uint8Array> =>
              bodyChunks(body, wanted).pipe(
                tap((chunk) => (delivered += chunk.length)),
                catchError((err: unknown) => {
                  // The connection dropped or stalled mid-body: continue from the next byte, at once.
                  const error = asB2Error(err, operation);
                  if (resumes++ >= (deps.retry.maxAttempts ?? 8) - 1 || !(delivered < length)) return throwError(() => error);
                  // A retry of the call like any other, for a log or a CLI's -v (what it throws fails the download).
                  deps.retry.onRetry?.({ operation, attempt: resumes, delayMs: 0, error });
                  return send((request.range?.start ?? 0) + delivered).pipe(
                    filter((next): next is B2ResponseEvent<unknown> => next.type === 'response'),
                    take(1),
                    switchMap((next) =>
                      next.headers['x-bz-file-id'] !== first.headers['x-bz-file-id']
                        ? (platform.destroyResponse(next.body),
                          throwError(() => new B2Error({ status: 0, code: 'file_changed', message: 'the file changed while it was being downloaded' })))
                        : fromBody(next.body),
                    ),
                  );
                }),
              );
            return concat(
              fromBody(first.body),
              defer(() =>
                !Number.isNaN(length) && delivered !== length
                  ? throwError(() => new B2Error({ status: 0, code: 'truncated', message: `download ended after ${delivered} of ${length} bytes` }))
                  : [],
              ),
            );
          }),
      };
    }),
  );
}

/**
 * Emits `sent`, `responseHeader` carrying `body`, `downloadProgress` while the subscriber reads
 * the body, and `response` last once the body was read to its end and verified. A SHA-1 mismatch
 * errors both the body stream and the Observable with `checksum_mismatch`. Unsubscribing aborts
 * the request and ends the body stream.
 */
export function downloadPipeline(deps: DownloadDeps, request: DownloadRequest): Observable<B2DownloadEvent> {
  return openDownload(deps, request).pipe(
    switchMap((opened): Observable<B2DownloadEvent> => {
      if (opened.type === 'sent') return of(opened);
      const total = Number.isNaN(opened.length) ? undefined : opened.length;
      const expectedSha1 = request.range ? null : wholeFileSha1(opened.headers);
      return new Observable<B2DownloadEvent>((subscriber) => {
        const hash = expectedSha1 ? platform.createSha1() : null;
        let delivered = 0;
        // The reader pulls: the body is read only as fast as the stream handed out is read.
        const { stream, feed } = pullStream();
        const sub = feed(opened.body, {
          onChunk: (chunk) => {
            hash?.update(chunk);
            delivered += chunk.length;
            subscriber.next({ type: 'downloadProgress', loaded: delivered, total });
          },
          onEnd: () => {
            const actual = hash?.digest() ?? null;
            if (expectedSha1 && actual !== expectedSha1) return checksumMismatch(actual, expectedSha1);
            subscriber.next({ type: 'response', status: opened.status, headers: opened.headers, body: downloadResult(delivered, actual, request.range ? 'range' : 'noSha1') });
            subscriber.complete();
            return undefined;
          },
          onError: (err) => subscriber.error(err),
        });
        subscriber.next({ type: 'responseHeader', status: opened.status, headers: opened.headers, body: stream });
        return () => sub.unsubscribe();
      });
    }),
    throttleProgress<B2DownloadEvent>(deps.progressIntervalMs, deps.scheduler),
  );
}

/** The SHA-1 to verify a whole download against, from the answer's headers. */
function wholeFileSha1(headers: Record<string, string>): string | null {
  return expectedWholeFileSha1(headers['x-bz-content-sha1'], headers['x-bz-info-large_file_sha1']);
}

/**
 * The one rule for the SHA-1 a whole download is verified against: the file's `contentSha1`
 * (without its `unverified:` mark), or for a large file (`none`) its `large_file_sha1`; in lower
 * case, or null when neither is 40 hex digits (nothing can be verified).
 */
export function expectedWholeFileSha1(contentSha1: string | null | undefined, largeFileSha1: string | undefined): string | null {
  const candidate = contentSha1 && contentSha1 !== 'none' ? contentSha1.replace(/^unverified:/, '') : largeFileSha1;
  return candidate && /^[0-9a-f]{40}$/i.test(candidate) ? candidate.toLowerCase() : null;
}

/** The one error for downloaded bytes whose SHA-1 is not the file's. */
export function checksumMismatch(actual: string | null, expected: string): B2Error {
  return new B2Error({ status: 0, code: 'checksum_mismatch', message: `SHA-1 of the downloaded bytes (${actual}) does not match the file's (${expected})` });
}

/** A body's failure as a B2Error of the download call (the transport's body errors do not know it). */
function asB2Error(err: unknown, operation: string): B2Error {
  if (err instanceof B2Error) {
    if (err.operation !== undefined) return err;
    const { status, code, message, retryAfter, field, osCode, path } = err;
    return new B2Error({ status, code, message, retryAfter, field, osCode, path, operation });
  }
  return new B2Error({ status: 0, code: 'network_error', message: `download interrupted (${(err as { code?: string })?.code ?? 'connection lost'})`, operation });
}
