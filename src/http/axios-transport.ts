/**
 * The transport over axios: the only module that imports it. One axios instance with keep-alive,
 * no redirects (B2 never redirects), unlimited body sizes, and our own status handling, so an
 * `AxiosError` never reaches a caller.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Observable } from 'rxjs';
import { platform } from '../platform';
import { B2Error } from './b2-error';
import type { B2Event } from './events';
import type { B2HttpRequest, B2Transport } from './transport';

export interface AxiosTransportOptions {
  /** Per-request timeout in ms (0 = none, the default: uploads of GBs take long). */
  timeoutMs?: number;
  userAgent?: string;
  /** Called once per finished request (debugging); never given a key, a token or a body. */
  log?: (entry: B2RequestLogEntry) => void;
}

/** One line of the request log: what was asked and how it ended. */
export interface B2RequestLogEntry {
  operation: string;
  method: string;
  /** The URL without its query string (a download-authorization token may ride there). */
  url: string;
  attempt: number;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  /** B2 error code when the request failed. */
  code?: string;
  durationMs: number;
}

export class AxiosTransport implements B2Transport {
  private readonly http: AxiosInstance;
  private readonly log: AxiosTransportOptions['log'];

  constructor(options: AxiosTransportOptions = {}) {
    this.log = options.log;
    this.http = axios.create({
      ...platform.axiosDefaults(),
      maxRedirects: 0,
      // maxBodyLength and maxContentLength left unset (-1) on purpose: any limit, even Infinity,
      // pipes every streamed upload / download through an extra Transform (+ a pipeline whose
      // AbortController throws a DOMException per request): ~90 µs per small upload.
      timeout: options.timeoutMs ?? 0,
      validateStatus: () => true,
      decompress: false,
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
      headers: options.userAgent ? { 'User-Agent': options.userAgent } : {},
    });
  }

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return new Observable<B2Event<T, unknown>>((subscriber) => {
      const abort = new AbortController();
      let done = false;
      let streamBody: unknown;
      const headers: Record<string, string> = { ...req.headers };
      let data: unknown;
      if (req.json !== undefined) {
        data = JSON.stringify(req.json);
        headers['Content-Type'] = 'application/json';
      } else if (req.body?.bytes) {
        if (!browser) headers['Content-Length'] = String(req.body.length);
        data = platform.uploadBytes(req.body.bytes);
      } else if (req.body) {
        // A browser sets Content-Length itself (and refuses it from scripts); it sends a Blob
        // gathered first, so there progress comes from XHR's upload events, not from reading.
        if (!browser) headers['Content-Length'] = String(req.body.length);
        data = platform.uploadData(browser ? req.body.open() : countPulled(req.body.open(), req.body.onProgress), req.body.length);
      }
      subscriber.next({ type: 'sent', attempt: req.attempt ?? 1 });
      const started = Date.now();
      const logEnd = (status: number, code?: string) =>
        this.log?.({ operation: req.operation, method: req.method, url: req.url.split('?')[0], attempt: req.attempt ?? 1, status, code, durationMs: Date.now() - started });
      const send = (body: unknown) =>
        this.http.request({
          method: req.method,
          url: req.url,
          headers,
          data: body,
          signal: abort.signal,
          responseType: req.responseType === 'stream' ? 'stream' : 'text',
          ...(browser ? browserOptions(req) : {}),
        });
      // The browser platform gathers an upload body asynchronously (a Promise of a Blob).
      (isPromise(data) ? data.then(send) : send(data))
        .then(
          async (res: AxiosResponse) => {
            // The body may be only partly sent when B2 answers early (an error): release it.
            if (data) platform.destroyStream(data as AsyncIterable<Uint8Array>);
            // A body sent in one write was all sent once an answer came.
            if (req.body?.bytes) req.body.onProgress?.(req.body.bytes.length);
            const responseHeaders = flatHeaders(res.headers);
            if (res.status >= 400) {
              const text = req.responseType === 'stream' ? await readText(res.data) : (res.data as string);
              throw errorFromResponse(req.operation, res.status, text, responseHeaders);
            }
            logEnd(res.status);
            if (subscriber.closed) return;
            if (req.responseType === 'stream') {
              streamBody = res.data;
              subscriber.next({ type: 'responseHeader', status: res.status, headers: responseHeaders });
              done = true;
              subscriber.next({ type: 'response', status: res.status, headers: responseHeaders, body: res.data as T });
            } else {
              subscriber.next({ type: 'responseHeader', status: res.status, headers: responseHeaders });
              const body = parseJson(req.operation, res.data as string);
              done = true;
              subscriber.next({ type: 'response', status: res.status, headers: responseHeaders, body: body as T });
            }
            subscriber.complete();
          },
        )
        .catch((err: unknown) => {
          done = true;
          if (data) platform.destroyStream(data as AsyncIterable<Uint8Array>);
          const error = toB2Error(req.operation, err);
          logEnd(error.status, error.code);
          if (!subscriber.closed) subscriber.error(error);
        });
      return () => {
        // Unsubscribed before the end: abort the request in flight.
        if (!done) {
          logEnd(0, 'aborted');
          abort.abort();
          // axios leaves a piped request body open on abort: close it (and the file behind it).
          if (data) platform.destroyStream(data as AsyncIterable<Uint8Array>);
          if (streamBody) platform.destroyResponse(streamBody);
        }
      };
    });
  }
}

/** In a browser, uploads go through XHR and are counted by its upload events. */
const browser = platform.name === 'browser';

/**
 * Browser-only request options: XHR upload progress events, and streamed downloads through the
 * fetch adapter (XHR cannot hand over a response as a stream).
 */
function browserOptions(req: B2HttpRequest): Record<string, unknown> {
  const onProgress = req.body?.onProgress;
  return {
    ...(onProgress ? { onUploadProgress: (e: { loaded: number }) => onProgress(e.loaded) } : {}),
    ...(req.responseType === 'stream' ? { adapter: 'fetch' } : {}),
  };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

/** Passes chunks through, reporting the running byte count as the transport pulls them. */
async function* countPulled(chunks: AsyncIterable<Uint8Array>, onProgress?: (loaded: number) => void): AsyncGenerator<Uint8Array> {
  let loaded = 0;
  for await (const chunk of chunks) {
    yield chunk;
    loaded += chunk.length;
    onProgress?.(loaded);
  }
}

function flatHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined && v !== null) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

async function readText(stream: unknown): Promise<string> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of platform.responseChunks(stream)) chunks.push(chunk);
  } catch {
    // A cut error body: fall back to the status alone.
  }
  return new TextDecoder().decode(concat(chunks));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function parseJson(operation: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new B2Error({ status: 0, code: 'bad_response', message: "the server's answer is not JSON", operation });
  }
}

/** B2's `{status, code, message}`; an empty or foreign body falls back to the HTTP status (reference §10.1). */
export function errorFromResponse(operation: string, status: number, text: string | undefined, headers: Record<string, string>): B2Error {
  let code = `http_${status}`;
  let message = `${operation} failed with HTTP ${status}`;
  try {
    const body = JSON.parse(text ?? '') as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string' && body.message !== '') message = body.message;
  } catch {
    // Not JSON (HEAD, a proxy): keep the status-derived code.
  }
  const retryAfterRaw = headers['retry-after'];
  const retryAfter = retryAfterRaw !== undefined && /^\d+$/.test(retryAfterRaw.trim()) ? Number(retryAfterRaw) : undefined;
  return new B2Error({ status, code, message: redactTokens(message), retryAfter, operation });
}

/** Network-level failures become `network_error` (retryable); our own B2Errors pass through. */
function toB2Error(operation: string, err: unknown): B2Error {
  if (err instanceof B2Error) return err;
  // axios wraps what the request body threw (a stream cut short, a file gone): hand it on as it was.
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof B2Error) return cause;
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'CanceledError' || e?.code === 'ERR_CANCELED') {
    return new B2Error({ status: 0, code: 'aborted', message: 'the request was aborted', operation });
  }
  const why = e?.code ?? 'unknown';
  return new B2Error({ status: 0, code: 'network_error', message: `network error (${why})`, operation });
}

/** B2 echoes an upload token in `auth_token_limit` messages: never pass a token on. */
function redactTokens(message: string): string {
  // Tokens start "4_" like file ids ("4_z<bucketId>_f…"), which are no secret and name the file.
  return message.replace(/(auth token\s+)\S+/gi, '$1[redacted]').replace(/\b4_(?!z[0-9a-f]{24}_[fb])[A-Za-z0-9_-]{20,}/g, '[redacted]');
}
