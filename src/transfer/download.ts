/**
 * The download pipeline: one GET (by id or by name) retried by B2's rules until the response
 * headers arrive; then the body is handed to the subscriber as a stream that counts progress,
 * verifies the whole-file SHA-1, and — when the connection drops mid-body — carries on from the
 * next byte with a ranged request.
 */
import { Observable, filter, firstValueFrom, map, switchMap } from 'rxjs';
import { downloadFile } from '../api/transfers';
import { B2Error } from '../http/b2-error';
import type { B2Event, B2ResponseEvent, B2SentEvent } from '../http/events';
import { platform } from '../platform';
import type { B2Session } from '../session/session';
import { retryB2, type RetryB2Options } from '../operators/retry-b2';
import type { B2Authorization } from '../api/account';
import { customerKeyHeaders, type B2Encryption } from '../resources/protection';
import { throttleProgress } from '../operators/throttle-progress';

export interface DownloadOptions {
  /** Inclusive byte range; absent = the whole file (then its SHA-1 is verified). */
  range?: { start: number; end?: number };
  /** The SSE-C key of an SSE-C file (needed to read it). */
  serverSideEncryption?: B2Encryption;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** A download-authorization token to use instead of the account token (by name only). */
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

/** The body of a download: in Node a `stream.Readable`; iterate it or pipe it. */
export type B2ByteStream = AsyncIterable<Uint8Array>;

export type B2DownloadEvent = B2Event<B2DownloadResult, B2ByteStream>;

/** A download whose headers arrived: its body as chunks that carry on after a dropped connection. */
export interface OpenedDownload {
  status: number;
  headers: Record<string, string>;
  /** Content length of this response (the range's, for a ranged request); NaN when not said. */
  length: number;
  /**
   * The body, read once. A connection lost or stalled mid-body is resumed from the next byte with
   * a ranged request, at once, each resume told to `onRetry` as a retry of the download call.
   */
  chunks: AsyncGenerator<Uint8Array>;
  /** Aborts the request in flight (the chunks then end with an error). */
  abort(): void;
}

/**
 * Sends the GET (by id or by name), retried by B2's rules until its headers arrive; emits it
 * once, opened. Unsubscribing before then aborts the request. A body cut or stalled later is
 * resumed (see `OpenedDownload.chunks`): up to `maxAttempts - 1` resumes, each told to
 * `onRetry` (with no wait); then the body fails with that error, named as the download call's.
 */
export function openDownload(
  session: B2Session,
  by: { fileId: string } | { bucketName: string; fileName: string },
  options: DownloadOptions,
  retry: RetryB2Options,
  onSent?: (event: B2SentEvent) => void,
): Observable<OpenedDownload> {
  const headersFor = (from: number | undefined) => {
    const headers: Record<string, string> = { ...options.headers, ...customerKeyHeaders(options.serverSideEncryption) };
    const start = from ?? options.range?.start;
    if (start !== undefined) headers.Range = `bytes=${start}-${options.range?.end ?? ''}`;
    return headers;
  };
  /** One request, retried until its headers arrive (the body is not read here). */
  const send = (from: number | undefined, report?: (event: B2SentEvent) => void) => {
    let attempt = 0;
    const attemptWith = (auth: B2Authorization) => {
      attempt++;
      const target = { transport: session.transport, downloadUrl: auth.downloadUrl, authorizationToken: options.authorizationToken ?? auth.authorizationToken };
      return downloadFile(target, by, headersFor(from), 'GET', attempt);
    };
    // With a download-authorization token, an expired token is that token's: the account's
    // authorization stays, and re-authorizing would not help.
    const response$ = options.authorizationToken
      ? session.authorization().pipe(switchMap(attemptWith), retryB2<B2Event<unknown, unknown>>({ ...session.retryOptions, ...retry }))
      : session.call((_t, auth) => attemptWith(auth), retry);
    return response$.pipe(
      filter((e): e is B2ResponseEvent<unknown> => {
        if (e.type === 'sent') report?.(e);
        return e.type === 'response';
      }),
    );
  };
  return send(undefined, onSent).pipe(
    map((first): OpenedDownload => {
      const operation = 'fileId' in by ? 'b2_download_file_by_id' : 'b2_download_file_by_name';
      const onRetry = retry.onRetry ?? session.retryOptions.onRetry;
      let current: unknown = first.body;
      let aborted = false;
      const length = Number(first.headers['content-length'] ?? NaN);
      async function* chunks(): AsyncGenerator<Uint8Array> {
        let delivered = 0;
        let resumes = 0;
        for (;;) {
          try {
            for await (const chunk of platform.responseChunks(current)) {
              delivered += chunk.length;
              yield chunk;
            }
          } catch (err) {
            // The connection dropped or stalled mid-body: continue from the next byte, at once.
            const error = asB2Error(err, operation);
            if (aborted || resumes++ >= (retry.maxAttempts ?? 8) - 1 || !(delivered < length)) throw error;
            // A retry of the call like any other, for a log or a CLI's -v (what it throws fails the download).
            onRetry?.({ operation, attempt: resumes, delayMs: 0, error });
            const next = await firstValueFrom(send((options.range?.start ?? 0) + delivered));
            if (next.headers['x-bz-file-id'] !== first.headers['x-bz-file-id']) {
              throw new B2Error({ status: 0, code: 'file_changed', message: 'the file changed while it was being downloaded' });
            }
            current = next.body;
            continue;
          }
          break;
        }
        if (!Number.isNaN(length) && delivered !== length) {
          throw new B2Error({ status: 0, code: 'truncated', message: `download ended after ${delivered} of ${length} bytes` });
        }
      }
      return {
        status: first.status,
        headers: first.headers,
        length,
        chunks: chunks(),
        abort: () => {
          aborted = true;
          platform.destroyResponse(current);
        },
      };
    }),
  );
}

/**
 * Emits `sent`, `responseHeader` carrying `body`, `downloadProgress` while the subscriber reads
 * the body, and `response` last once the body was read to its end and verified. A SHA-1 mismatch
 * errors both the body stream and the Observable with `checksum_mismatch`. Unsubscribing aborts.
 */
export function downloadPipeline(
  session: B2Session,
  by: { fileId: string } | { bucketName: string; fileName: string },
  options: DownloadOptions,
  retry: RetryB2Options,
  progressIntervalMs: number,
): Observable<B2DownloadEvent> {
  return new Observable<B2DownloadEvent>((subscriber) =>
    openDownload(session, by, options, retry, (e) => subscriber.next(e))
      .pipe(
        switchMap(
          (opened) =>
            new Observable<B2DownloadEvent>((inner) => {
              const total = Number.isNaN(opened.length) ? undefined : opened.length;
              const expectedSha1 = options.range ? null : wholeFileSha1(opened.headers);
              let finished = false;
              async function* body(): AsyncGenerator<Uint8Array> {
                const hash = expectedSha1 ? platform.createSha1() : null;
                let delivered = 0;
                for await (const chunk of opened.chunks) {
                  hash?.update(chunk);
                  delivered += chunk.length;
                  inner.next({ type: 'downloadProgress', loaded: delivered, total });
                  yield chunk;
                }
                const actual = hash?.digest() ?? null;
                if (expectedSha1 && actual !== expectedSha1) {
                  throw checksumMismatch(actual, expectedSha1);
                }
                finished = true;
                inner.next({ type: 'response', status: opened.status, headers: opened.headers, body: downloadResult(delivered, actual, options.range ? 'range' : 'noSha1') });
                inner.complete();
              }
              const stream = platform.toByteStream(observed(body(), (err) => inner.error(err)));
              inner.next({ type: 'responseHeader', status: opened.status, headers: opened.headers, body: stream });
              return () => {
                // Unsubscribed before the body ended: abort the request and end the reader's stream.
                if (finished) return;
                opened.abort();
                platform.destroyStream(stream);
              };
            }),
        ),
        throttleProgress<B2DownloadEvent>(progressIntervalMs, retry.scheduler),
      )
      .subscribe(subscriber),
  );
}

/** Reports a failure of the body iteration to the Observable too, then rethrows it to the reader. */
async function* observed(body: AsyncGenerator<Uint8Array>, onError: (err: unknown) => void): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    onError(err);
    throw err;
  }
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
