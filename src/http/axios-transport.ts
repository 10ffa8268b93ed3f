/**
 * rxb2's transport: the only module that loads axios, and only when a request needs it. In Node
 * without proxy variables, requests go straight to the lean node:http adapter (node-http-adapter.ts,
 * handed over by node-axios.ts) and axios is never loaded; in a browser, or behind a proxy, through
 * one axios instance (loaded with the first request) and axios' own adapters. Either way the same
 * transport: keep-alive, no redirects (B2 never redirects), unlimited body sizes, the same
 * timeouts, our own status handling and `B2Error`s (an `AxiosError` never reaches a caller), the
 * same request log.
 */
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse, AxiosStatic } from 'axios';
import { Observable } from 'rxjs';
import { platform } from '../platform';
import { B2Error, idleTimeout, invalidArgument } from './b2-error';
import type { B2Event } from './events';
import { axiosPlatform } from './node-axios';
import type { NodeHttpRequest, NodeHttpSend } from './node-http-adapter';
import type { B2HttpRequest, B2Transport } from './transport';

/**
 * How long a request may go without progress. Neither limits a request's whole duration: an
 * upload or download of many GB runs as long as its bytes keep moving.
 */
export interface B2Timeouts {
  /**
   * Most time to make a connection, DNS look-up included (default 10,000 ms; 0: none). Past it the
   * request fails with `connect_timeout` (retryable). Node only, and not behind an HTTP proxy
   * (axios' own adapter has none): a browser does not expose connecting, so there the idle
   * timeout covers it.
   */
  connectMs?: number;
  /**
   * Most time without a byte either way while the server owes one (default 120,000 ms; 0: none):
   * waiting for an answer, an upload blocked on the network, a download whose next bytes do not
   * come. Past it the request is aborted and fails with `idle_timeout` (retryable, so retried).
   * Waiting on your side (a body you have not produced yet, a download you have not read) is not
   * idle. `b2_copy_file` and `b2_copy_part`, which B2 answers only once the copy is done, wait at
   * least 20 minutes. An upload's bytes count when the operating system takes them: what it still
   * buffers once the body is all written (a few MB at most) must go out within `idleMs`, so keep it
   * well above that buffer's sending time on a slow uplink (the default allows ~35 KB/s for 4 MB).
   */
  idleMs?: number;
}

/** The default timeouts: 10 s to connect, 2 minutes without a byte. */
export const DEFAULT_TIMEOUTS: Readonly<Required<B2Timeouts>> = { connectMs: 10_000, idleMs: 120_000 };

/** B2 calls answered only once the work is done: a copy of up to 5 GB (b2sdk allows 20 minutes too). */
const SLOW_ANSWERS = new Set(['b2_copy_file', 'b2_copy_part']);
const SLOW_ANSWER_IDLE_MS = 1_200_000;

/** How to build an `AxiosTransport`. */
export interface AxiosTransportOptions {
  /** Connect and idle timeouts (default `DEFAULT_TIMEOUTS`); checked by `checkTimeouts`. */
  timeouts?: B2Timeouts;
  /** The `User-Agent` header of every request (default: axios'). */
  userAgent?: string;
  /** Called once per request when it ends (answered, failed or aborted: debugging); never given a key, a token or a body. */
  log?: (entry: B2RequestLogEntry) => void;
}

/** One line of the request log: what was asked and how it ended. */
export interface B2RequestLogEntry {
  /** The B2 call, e.g. `b2_upload_file`. */
  operation: string;
  /** The HTTP method. */
  method: string;
  /** The URL without its query string (a download-authorization token may ride there). */
  url: string;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  /** B2 error code when the request failed. */
  code?: string;
  /** Milliseconds from sending to the end (answered, failed or aborted). */
  durationMs: number;
}

/**
 * rxb2's transport (the default `B2Options.transport`), with keep-alive and no redirects: in Node the
 * lean node:http adapter (axios' own adapter behind a proxy), in a browser XHR (uploads) and fetch
 * (streamed downloads) through axios. `request()` is cold: it sends on subscribe, emits `sent`,
 * progress, `responseHeader` and `response` last, then completes; fails with a `B2Error` (B2's
 * answer, a network failure, a timeout); unsubscribing aborts the request.
 */
export class AxiosTransport implements B2Transport {
  /** Node without a proxy: the platform's own adapter, called directly (axios is never loaded). */
  private readonly direct: NodeHttpSend | undefined;
  /** Otherwise the axios instance, made with the first request. */
  private http: Promise<AxiosInstance> | undefined;
  /** The `User-Agent` header, when one was given. */
  private readonly userAgent: string | undefined;
  private readonly log: AxiosTransportOptions['log'];
  private readonly connectMs: number;
  private readonly idleMs: number;

  constructor(options: AxiosTransportOptions = {}) {
    this.log = options.log;
    this.userAgent = options.userAgent;
    ({ connectMs: this.connectMs, idleMs: this.idleMs } = checkTimeouts(options.timeouts));
    this.direct = axiosPlatform.directSend();
  }

  /** The axios instance (axios loaded on first use): axios' adapters with this transport's settings. */
  private axios(): Promise<AxiosInstance> {
    return (this.http ??= loadAxios().then((axios) =>
      axios.create({
        ...axiosPlatform.axiosDefaults(),
        maxRedirects: 0,
        // maxBodyLength and maxContentLength left unset (-1) on purpose: any limit, even Infinity,
        // pipes every streamed upload / download through an extra Transform (+ a pipeline whose
        // AbortController throws a DOMException per request): ~90 µs per small upload.
        validateStatus,
        decompress: false,
        transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
        headers: this.userAgent ? { 'User-Agent': this.userAgent } : {},
      }),
    ));
  }

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return new Observable<B2Event<T, unknown>>((subscriber) => {
      const abort = browser ? new AbortController() : new AbortFlag();
      let done = false;
      let streamBody: unknown;
      // Copied only when this transport adds to them (axios copies them again anyway).
      let headers = req.headers ?? {};
      const body = req.body;
      const stream = req.responseType === 'stream';
      const attempt = req.attempt ?? 1;
      let data: unknown;
      if (req.json !== undefined) {
        data = JSON.stringify(req.json);
        headers = { ...headers, 'Content-Type': 'application/json' };
      } else if (body?.bytes) {
        // Bytes in memory: the adapter sets Content-Length itself (and a browser refuses it from scripts).
        data = axiosPlatform.uploadBytes(body.bytes);
      } else if (body) {
        // A browser sets Content-Length itself (and refuses it from scripts); it sends a Blob
        // gathered first, so there progress comes from XHR's upload events, not from reading.
        if (!browser) headers = { ...headers, 'Content-Length': String(body.length) };
        data = axiosPlatform.uploadData(browser ? body.open() : countPulled(body.open(), body.onProgress), body.length);
      }
      subscriber.next({ type: 'sent', attempt });
      let log = this.log;
      const started = log ? Date.now() : 0;
      /** Logs how the request ended, once: an aborted request's rejection comes after its teardown logged it. */
      const logEnd = (status: number, code?: string) => {
        if (!log) return;
        const entry = { operation: req.operation, method: req.method, url: req.url.split('?')[0], attempt, status, code, durationMs: Date.now() - started };
        const write = log;
        log = undefined;
        write(entry);
      };
      const fail = (err: unknown) => {
        done = true;
        watchdog?.stop();
        if (data) platform.destroyStream(data as AsyncIterable<Uint8Array>);
        const error = watchdog?.fired ? idleTimeout(idleMs, req.operation, originOf(req.url)) : toB2Error(req.operation, req.url, idleMs, err);
        logEnd(error.status, error.code);
        if (!subscriber.closed) subscriber.error(error);
      };
      const answer = (res: AxiosResponse): Promise<void> | void => {
        // A browser's streamed answer is the reader's from here (see the README's Retry section).
        watchdog?.stop();
        // The body may be only partly sent when B2 answers early (an error): release it.
        if (data) platform.destroyStream(data as AsyncIterable<Uint8Array>);
        // A body sent in one write was all sent once an answer came.
        if (body?.bytes) body.onProgress?.(body.bytes.length);
        const status = res.status;
        const responseHeaders = flatHeaders(res.headers);
        if (status >= 400) {
          if (!stream) throw errorFromResponse(req.operation, status, res.data as string, responseHeaders);
          return readText(res.data).then((text) => {
            throw errorFromResponse(req.operation, status, text, responseHeaders);
          });
        }
        logEnd(status);
        if (subscriber.closed) return;
        if (stream) {
          streamBody = res.data;
          subscriber.next({ type: 'responseHeader', status, headers: responseHeaders });
          done = true;
          subscriber.next({ type: 'response', status, headers: responseHeaders, body: res.data as T });
        } else {
          subscriber.next({ type: 'responseHeader', status, headers: responseHeaders });
          const parsed = parseJson(req.operation, res.data as string);
          done = true;
          subscriber.next({ type: 'response', status, headers: responseHeaders, body: parsed as T });
        }
        subscriber.complete();
      };
      const idleMs = this.idleMs > 0 && SLOW_ANSWERS.has(req.operation) ? Math.max(this.idleMs, SLOW_ANSWER_IDLE_MS) : this.idleMs;
      // In a browser the transport watches for stalls itself, through XHR's and fetch's progress
      // events (a browser exposes nothing lower); in Node the adapter watches the socket.
      const watchdog = browser && idleMs > 0 ? new Watchdog(idleMs, () => abort.abort()) : undefined;
      const direct = this.direct;
      const send = (payload: unknown): Promise<AxiosResponse> => {
        if (direct) {
          // The node:http adapter as it is: no redirects, no decompression, every status resolved,
          // text answers; it watches the socket for the connect and idle timeouts.
          const config: NodeHttpRequest = {
            method: req.method,
            url: req.url,
            headers: this.userAgent ? { 'User-Agent': this.userAgent, ...headers } : headers,
            data: payload,
            signal: abort.signal,
          };
          if (stream) config.responseType = 'stream';
          if (this.connectMs > 0) config.connectTimeoutMs = this.connectMs;
          if (idleMs > 0) config.idleTimeoutMs = idleMs;
          return direct(config);
        }
        const config: AxiosRequestConfig = { method: req.method, url: req.url, headers, data: payload, signal: abort.signal, responseType: stream ? 'stream' : 'text' };
        // Behind a proxy, axios' Node adapter: its `timeout` is the socket's idle timeout there.
        if (!browser && idleMs > 0) Object.assign(config, { timeout: idleMs, timeoutErrorMessage: AXIOS_IDLE_TIMEOUT });
        watchdog?.poke();
        return this.axios().then((http) =>
          abort.signal.aborted ? Promise.reject(canceled()) : http.request(browser ? Object.assign(config, browserOptions(req, watchdog)) : config),
        );
      };
      // The browser platform gathers an upload body asynchronously (a Promise of a Blob).
      (isPromise(data) ? data.then(send) : send(data)).then(answer).catch(fail);
      return () => {
        // Unsubscribed before the end: abort the request in flight.
        watchdog?.stop();
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

/**
 * A one-shot abort signal in the shape axios accepts (its `GenericAbortSignal`): a flag and the
 * listeners its adapter adds. Node's AbortController runs EventTarget machinery worth ~10 µs of
 * CPU per request; the browser keeps the real one (its fetch adapter needs an AbortSignal).
 */
class AbortFlag {
  aborted = false;
  private listeners: (() => void)[] = [];

  /** Controller and signal in one, as AbortController's `signal`. */
  get signal(): this {
    return this;
  }

  addEventListener(type: string, listener: () => void): void {
    if (type === 'abort' && !this.aborted) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

let axiosModule: Promise<AxiosStatic> | undefined;

/** axios, loaded once, on the first request that goes through it (in a browser, or behind a proxy). */
function loadAxios(): Promise<AxiosStatic> {
  return (axiosModule ??= import('axios').then((mod) => mod.default));
}

/** A request aborted before axios was loaded. */
function canceled(): Error {
  return Object.assign(new Error('canceled'), { name: 'CanceledError', code: 'ERR_CANCELED' });
}

/** The message axios' own Node adapter (behind a proxy) fails with when its socket timeout, our idle timeout, fires. */
const AXIOS_IDLE_TIMEOUT = 'rxb2 idle timeout';

/** Every status is ours to handle: axios never throws for one. */
const validateStatus = () => true;

/** In a browser, uploads go through XHR and are counted by its upload events. */
const browser = platform.name === 'browser';

/**
 * Browser-only request options: XHR upload progress events, and streamed downloads through the
 * fetch adapter (XHR cannot hand over a response as a stream).
 */
function browserOptions(req: B2HttpRequest, watchdog: Watchdog | undefined): Record<string, unknown> {
  const onProgress = req.body?.onProgress;
  const poke = watchdog ? () => watchdog.poke() : undefined;
  return {
    ...(onProgress || poke
      ? {
          onUploadProgress: (e: { loaded: number }) => {
            poke?.();
            onProgress?.(e.loaded);
          },
        }
      : {}),
    // A streamed answer is handed over at its headers (which end the watch): no progress wrapper.
    ...(req.responseType === 'stream' ? { adapter: 'fetch' } : poke ? { onDownloadProgress: poke } : {}),
  };
}

/**
 * The browser's idle timeout: fires `onStall` once no progress event came for `idleMs`. XHR
 * reports upload and download progress while bytes move (xhr.timeout would cap the whole request).
 */
class Watchdog {
  fired = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly idleMs: number,
    private readonly onStall: () => void,
  ) {}

  poke(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.stopped = true;
      this.onStall();
    }, this.idleMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/**
 * Timeouts as given, checked (`invalid_argument` naming `timeouts.connectMs` / `timeouts.idleMs`),
 * with the defaults filled in.
 */
export function checkTimeouts(timeouts: B2Timeouts | undefined): Required<B2Timeouts> {
  if (timeouts === undefined) return { ...DEFAULT_TIMEOUTS };
  if (typeof timeouts !== 'object' || timeouts === null || Array.isArray(timeouts)) throw invalidArgument('timeouts', 'must be an object { connectMs?, idleMs? }');
  for (const key of Object.keys(timeouts)) {
    if (key !== 'connectMs' && key !== 'idleMs') throw invalidArgument(`timeouts.${key}`, 'is not an option (connectMs, idleMs)');
  }
  const out = { ...DEFAULT_TIMEOUTS };
  for (const key of ['connectMs', 'idleMs'] as const) {
    const value = timeouts[key];
    if (value === undefined) continue;
    // setTimeout's ceiling is 2^31 - 1 ms (about 24.8 days).
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
      throw invalidArgument(`timeouts.${key}`, 'must be a whole number of ms from 0 (none) to 2147483647');
    }
    out[key] = value;
  }
  return out;
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
  if (!headers) return out;
  for (const k of Object.keys(headers)) {
    const v: unknown = headers[k];
    if (v !== undefined && v !== null) out[k.toLowerCase()] = typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : String(v);
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
  return new TextDecoder().decode(
    platform.concat(
      chunks,
      chunks.reduce((n, c) => n + c.length, 0),
    ),
  );
}

function parseJson(operation: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new B2Error({ status: 0, code: 'bad_response', message: "the server's answer is not JSON", operation });
  }
}

/** B2's `{status, code, message}`; an empty or foreign body falls back to the HTTP status (https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes). */
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

/**
 * Network-level failures become `network_error` (with the system's code as `osCode`; a
 * connection that could not be made names the server), `connect_timeout` or `idle_timeout`, all
 * retryable; our own B2Errors pass through.
 */
function toB2Error(operation: string, url: string, idleMs: number, err: unknown): B2Error {
  if (err instanceof B2Error) return err;
  // axios wraps what the request body threw (a stream cut short, a file gone): hand it on as it was.
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof B2Error) return cause;
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'CanceledError' || e?.code === 'ERR_CANCELED') {
    return new B2Error({ status: 0, code: 'aborted', message: 'the request was aborted', operation });
  }
  const origin = originOf(url);
  if (e?.code === 'ERR_CONNECT_TIMEOUT') {
    return new B2Error({ status: 0, code: 'connect_timeout', message: `cannot reach ${origin}: ${e.message ?? 'no connection'}`, operation });
  }
  if (e?.code === 'ERR_IDLE_TIMEOUT' || (e?.code === 'ETIMEDOUT' && e.message === AXIOS_IDLE_TIMEOUT)) return idleTimeout(idleMs, operation, origin);
  const why = e?.code ?? 'unknown';
  const osCode = /^E[A-Z0-9_]+$/.test(why) && !why.startsWith('ERR_') ? why : undefined;
  const error = new B2Error({ status: 0, code: 'network_error', message: `network error (${why})`, operation, osCode });
  // Nothing reached the server: say which one (the realm, for b2_authorize_account).
  return error.isUnreachable ? new B2Error({ status: 0, code: 'network_error', message: `cannot reach ${origin} (${why})`, operation, osCode }) : error;
}

/** `scheme://host:port` of a URL: never its path or query (a download token may ride there). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the server';
  }
}

/** B2 echoes an upload token in `auth_token_limit` messages: never pass a token on. */
function redactTokens(message: string): string {
  // Tokens start "4_" like file ids ("4_z<bucketId>_f…"), which are no secret and name the file.
  return message.replace(/(auth token\s+)\S+/gi, '$1[redacted]').replace(/\b4_(?!z[0-9a-f]{24}_[fb])[A-Za-z0-9_-]{20,}/g, '[redacted]');
}
