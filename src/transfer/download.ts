/**
 * The download pipeline: one GET (by id or by name) retried by B2's rules until the response
 * headers arrive; then the body is handed to the subscriber as a stream that counts progress,
 * verifies the whole-file SHA-1, and — when the connection drops mid-body — carries on from the
 * next byte with a ranged request.
 */
import { Observable, defer, filter, firstValueFrom, map, switchMap } from 'rxjs';
import type { B2Authorization } from '../api/account';
import { downloadFile } from '../api/transfers';
import { B2Error } from '../http/b2-error';
import type { B2Event, B2ResponseEvent } from '../http/events';
import { platform } from '../platform';
import type { B2Session } from '../session/session';
import type { RetryB2Options } from '../operators/retry-b2';
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

/** What a finished download reports in its `response` event. */
export interface B2DownloadResult {
  /** Bytes delivered. */
  bytes: number;
  /** Whole-file SHA-1 that was verified, or null for ranges and unverifiable files. */
  verifiedSha1: string | null;
}

/** The body of a download: in Node a `stream.Readable`; iterate it or pipe it. */
export type B2ByteStream = AsyncIterable<Uint8Array>;

export type B2DownloadEvent = B2Event<B2DownloadResult, B2ByteStream>;

interface Attempt {
  status: number;
  headers: Record<string, string>;
  raw: unknown;
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
  const request = (auth: B2Authorization, from: number | undefined, attempt: number) => {
    const headers: Record<string, string> = { ...options.headers, ...customerKeyHeaders(options.serverSideEncryption) };
    const start = from ?? options.range?.start;
    if (start !== undefined) headers.Range = `bytes=${start}-${options.range?.end ?? ''}`;
    return downloadFile(
      { transport: session.transport, downloadUrl: auth.downloadUrl, authorizationToken: options.authorizationToken ?? auth.authorizationToken },
      by,
      headers,
      'GET',
      attempt,
    );
  };
  /** One request, retried until its headers arrive (the body is not read here). */
  const open = (from: number | undefined, onSent?: (e: B2Event<unknown, unknown>) => void) => {
    let attempt = 0;
    return session
      .call((_t, auth) => {
        attempt++;
        return request(auth, from, attempt);
      }, retry)
      .pipe(
        filter((e) => {
          if (e.type === 'sent') onSent?.(e);
          return e.type === 'response';
        }),
        map((e) => {
          const r = e as B2ResponseEvent<unknown>;
          return { status: r.status, headers: r.headers, raw: r.body } as Attempt;
        }),
      );
  };

  return defer(() => {
    let current: unknown;
    return new Observable<B2DownloadEvent>((subscriber) => {
      const sub = open(undefined, (e) => subscriber.next(e as B2DownloadEvent))
        .pipe(
          switchMap(
            (first) =>
              new Observable<B2DownloadEvent>((inner) => {
                current = first.raw;
                const total = Number(first.headers['content-length'] ?? NaN);
                const expectedSha1 = options.range ? null : wholeFileSha1(first.headers);
                let delivered = 0;
                let aborted = false;
                let finished = false;
                const body = async function* (): AsyncGenerator<Uint8Array> {
                  const hash = expectedSha1 ? platform.createSha1() : null;
                  let resumes = 0;
                  let raw = first.raw;
                  for (;;) {
                    try {
                      for await (const chunk of platform.responseChunks(raw)) {
                        if (aborted) return;
                        hash?.update(chunk);
                        delivered += chunk.length;
                        inner.next({ type: 'downloadProgress', loaded: delivered, total: Number.isNaN(total) ? undefined : total });
                        yield chunk;
                      }
                    } catch (err) {
                      // The connection dropped mid-body: continue from the next byte.
                      if (aborted || resumes++ >= (retry.maxAttempts ?? 8) - 1 || !(delivered < total)) throw asB2Error(err);
                      const resumeAt = (options.range?.start ?? 0) + delivered;
                      const next = await firstValueFrom(open(resumeAt));
                      if (next.headers['x-bz-file-id'] !== first.headers['x-bz-file-id']) {
                        throw new B2Error({ status: 0, code: 'file_changed', message: 'the file changed while it was being downloaded' });
                      }
                      raw = current = next.raw;
                      continue;
                    }
                    break;
                  }
                  if (!Number.isNaN(total) && delivered !== total) {
                    throw new B2Error({ status: 0, code: 'truncated', message: `download ended after ${delivered} of ${total} bytes` });
                  }
                  const actual = hash?.digest() ?? null;
                  if (expectedSha1 && actual !== expectedSha1) {
                    throw new B2Error({ status: 0, code: 'checksum_mismatch', message: `SHA-1 of the downloaded bytes (${actual}) does not match the file's (${expectedSha1})` });
                  }
                  finished = true;
                  inner.next({ type: 'response', status: first.status, headers: first.headers, body: { bytes: delivered, verifiedSha1: actual } });
                  inner.complete();
                };
                const stream = platform.toByteStream(observed(body(), (err) => inner.error(err)));
                inner.next({ type: 'responseHeader', status: first.status, headers: first.headers, body: stream });
                return () => {
                  // Unsubscribed before the body ended: abort the request and end the reader's stream.
                  if (finished) return;
                  aborted = true;
                  platform.destroyResponse(current);
                  platform.destroyStream(stream);
                };
              }),
          ),
          throttleProgress<B2DownloadEvent>(progressIntervalMs, retry.scheduler),
        )
        .subscribe(subscriber);
      return sub;
    });
  });
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

/** The SHA-1 to verify a whole download against: the header, or `large_file_sha1` for large files. */
function wholeFileSha1(headers: Record<string, string>): string | null {
  const header = headers['x-bz-content-sha1'];
  const candidate = header && header !== 'none' ? header.replace(/^unverified:/, '') : headers['x-bz-info-large_file_sha1'];
  return candidate && /^[0-9a-f]{40}$/i.test(candidate) ? candidate.toLowerCase() : null;
}

function asB2Error(err: unknown): B2Error {
  if (err instanceof B2Error) return err;
  return new B2Error({ status: 0, code: 'network_error', message: `download interrupted (${(err as { code?: string })?.code ?? 'connection lost'})` });
}
