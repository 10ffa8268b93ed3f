/**
 * A lean axios adapter over node:http / node:https, for Node only (the browser bundle never
 * reaches this file: it gets `./browser-axios` instead of `./node-axios`). axios' own 'http' adapter spends most of a small request's CPU on
 * features rxb2 never uses (redirects, proxies, decompression, progress transforms, form data,
 * data: URLs, HTTP/2); this one sends the request as given and hands back the answer:
 *
 * - the headers exactly as configured (names keep their casing; values sanitized to byte strings
 *   as axios does), `Content-Length` added for in-memory bodies;
 * - bodies: none, a string, bytes (one write with the headers), or a Readable piped with
 *   backpressure (a body that fails destroys the request; the error rides on as `cause`);
 * - answers: `responseType: 'stream'` hands over the IncomingMessage unread; `arraybuffer` a
 *   Buffer; anything else the body as UTF-8 text;
 * - never follows redirects, never decompresses (and so asks for no encoding);
 * - `signal` aborts (a `CanceledError`; a streamed answer already handed over is destroyed),
 *   `timeout` > 0 fails with `ETIMEDOUT`, `validateStatus` settles as axios does;
 * - rxb2's own timeouts (`NodeAdapterTimeouts` in the config): no connection within
 *   `connectTimeoutMs` fails with `ERR_CONNECT_TIMEOUT`; no byte either way on the socket for
 *   `idleTimeoutMs` while the other side owes one fails with `ERR_IDLE_TIMEOUT`, or, once a
 *   streamed answer was handed over, destroys it with an `idle_timeout` B2Error. Never a limit on
 *   the whole duration: a long transfer that keeps moving runs as long as it needs;
 * - network failures reject with an `AxiosError` carrying the socket's code (`ECONNRESET`…), a cut
 *   buffered answer with `ERR_BAD_RESPONSE`.
 *
 * It imports no axios at run time. Driven by axios (given axios' classes), it answers and fails with
 * axios' own `AxiosHeaders`, `AxiosError` and `CanceledError`; called directly, as the transport does
 * in Node without a proxy (so that axios is never loaded), with plain objects of the same shape: the
 * answer's headers as node:http gives them, errors carrying the same `code`, `name`, `cause`,
 * `config`, `request` and `response`.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { AxiosAdapter, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { idleTimeout } from './b2-error';

/** rxb2's timeouts, read from a request's config (0 or absent: none). */
export interface NodeAdapterTimeouts {
  /** Most time from the request's start until its TCP connection is made (a reused keep-alive connection is made already). */
  connectTimeoutMs?: number;
  /**
   * Most time without a byte read or written on the connection while the other side owes one:
   * while a request body is blocked on the network, or an answer (or the rest of one) is awaited.
   * Time spent waiting for the caller (a body not produced yet, a streamed answer not read) is not idle.
   */
  idleTimeoutMs?: number;
}

/** The axios classes an adapter builds its answers and errors with, handed over by whoever loaded axios. */
export type AxiosClasses = Pick<import('axios').AxiosStatic, 'AxiosError' | 'AxiosHeaders' | 'CanceledError'>;

export interface NodeHttpAdapterOptions {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  /** The axios classes answers and errors are made of, when axios drives the adapter (absent: plain ones, see `NodeHttpSend`). */
  axios?: AxiosClasses;
}

/** What the adapter reads of a request's config, whether axios or the transport hands it over. */
export type NodeHttpRequest = Pick<AxiosRequestConfig, 'url' | 'method' | 'data' | 'signal' | 'responseType' | 'timeout' | 'timeoutErrorMessage' | 'validateStatus'> &
  NodeAdapterTimeouts & {
    /** Header names and values, sent as written (`undefined`, `null` and `false` values left out). */
    headers?: Record<string, unknown>;
  };

/**
 * The adapter called directly, without axios: resolves with the answer (status, headers as node:http
 * gives them, lower-case names; data as `responseType` asks), rejects with an `Error` carrying
 * axios' error `code`s (`ERR_CANCELED` with the name `CanceledError` when aborted, the socket's
 * code for a network failure, `ERR_CONNECT_TIMEOUT`, `ERR_IDLE_TIMEOUT`…) and what the body threw as `cause`.
 */
export type NodeHttpSend = (config: NodeHttpRequest) => Promise<AxiosResponse>;

/** How the adapter makes its answers' headers and its errors: axios' classes, or plain ones. */
interface Makers {
  error(message: string, code: string | undefined, config: NodeHttpRequest, req?: http.ClientRequest, res?: AxiosResponse): Error;
  from(err: unknown, code: string | undefined, config: NodeHttpRequest, req?: http.ClientRequest, res?: AxiosResponse): Error;
  canceled(message: string | undefined, config: NodeHttpRequest, req?: http.ClientRequest): Error;
  headers(incoming: http.IncomingHttpHeaders): AxiosResponse['headers'];
}

/** A failed request in the shape of an AxiosError, for the adapter called without axios. */
class NodeHttpError extends Error {
  code?: string;
  config?: NodeHttpRequest;
  request?: http.ClientRequest;
  response?: AxiosResponse;
  status?: number;

  constructor(message: string, code?: string, config?: NodeHttpRequest, request?: http.ClientRequest, response?: AxiosResponse) {
    super(message);
    this.name = 'NodeHttpError';
    if (code) this.code = code;
    this.config = config;
    this.request = request;
    if (response) {
      this.response = response;
      this.status = response.status;
    }
  }
}

/** Plain answers and errors, as axios would make them (AxiosError.from: the wrapped error's message, code, name, and itself as `cause`). */
const plainMakers: Makers = {
  error: (message, code, config, req, res) => new NodeHttpError(message, code, config, req, res),
  from(err, code, config, req, res) {
    const e = (err ?? {}) as { message?: string; code?: string; name?: string };
    const error = new NodeHttpError(e.message || 'Error', code || e.code, config, req, res);
    Object.defineProperty(error, 'cause', { value: err, writable: true, enumerable: false, configurable: true });
    if (e.name) error.name = e.name;
    return error;
  },
  canceled(message, config, req) {
    const error = new NodeHttpError(message ?? 'canceled', ERR_CANCELED, config, req);
    error.name = 'CanceledError';
    return error;
  },
  headers: (incoming) => incoming as AxiosResponse['headers'],
};

/** The same, with axios' classes. */
function axiosMakers({ AxiosError, AxiosHeaders, CanceledError }: AxiosClasses): Makers {
  // The config axios hands the adapter is its own InternalAxiosRequestConfig: given back as it came.
  const internal = (config: NodeHttpRequest) => config as InternalAxiosRequestConfig;
  return {
    error: (message, code, config, req, res) => new AxiosError(message, code, internal(config), req, res),
    from: (err, code, config, req, res) => AxiosError.from(err, code, internal(config), req, res),
    canceled: (message, config, req) => new CanceledError(message, internal(config), req),
    // Already AxiosHeaders, so axios does not rebuild them (twice) header by header: node:http
    // hands over names in lower case, values trimmed, which is what AxiosHeaders holds.
    headers: (incoming) => Object.assign(new AxiosHeaders(), incoming),
  };
}

const ERR_CANCELED = 'ERR_CANCELED';
const ERR_INVALID_URL = 'ERR_INVALID_URL';
const ERR_BAD_REQUEST = 'ERR_BAD_REQUEST';
const ERR_BAD_RESPONSE = 'ERR_BAD_RESPONSE';
const ETIMEDOUT = 'ETIMEDOUT';

/** Characters a header value may not carry as a byte string (axios strips them; node:http would throw). */
const INVALID_HEADER_CHARS = /[^\t\x20-\x7e\x80-\xff]/;
const INVALID_HEADER_CHARS_G = /[^\t\x20-\x7e\x80-\xff]+/g;

/** An axios adapter sending through node:http(s) with the given keep-alive agents (`options.axios`: the classes of the axios that drives it). */
export function createNodeHttpAdapter(options: NodeHttpAdapterOptions & { axios: AxiosClasses }): AxiosAdapter {
  return createNodeHttpSend(options);
}

/** The adapter, to call directly (`NodeHttpSend`); with `options.axios`, it answers as an axios adapter. */
export function createNodeHttpSend(options: NodeHttpAdapterOptions): NodeHttpSend {
  const { httpAgent, httpsAgent } = options;
  const make = options.axios ? axiosMakers(options.axios) : plainMakers;

  return (config: NodeHttpRequest) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const signal = config.signal as AbortSignal | undefined;
      if (signal?.aborted) return reject(make.canceled(undefined, config));

      let url: Target;
      try {
        url = target(config.url ?? '');
      } catch (err) {
        return reject(make.from(err, ERR_INVALID_URL, config));
      }
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        return reject(make.error(`Unsupported protocol ${url.protocol}`, ERR_BAD_REQUEST, config));
      }

      let data: unknown = config.data;
      const headers = requestHeaders(config.headers, url.host);
      let stream: Readable | undefined;
      if (data instanceof Readable) stream = data;
      else if (data != null) {
        if (typeof data === 'string') data = Buffer.from(data, 'utf8');
        else if (data instanceof ArrayBuffer) data = Buffer.from(data);
        else if (ArrayBuffer.isView(data) && !Buffer.isBuffer(data)) data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        else if (!Buffer.isBuffer(data)) {
          return reject(make.error('Data after transformation must be a string, an ArrayBuffer, a Buffer, or a Stream', ERR_BAD_REQUEST, config));
        }
        if (!headers.hasLength) headers.raw.push('Content-Length', String((data as Buffer).length));
      }

      const responseType = config.responseType;
      const validateStatus = config.validateStatus;
      let settled = false;
      let req: http.ClientRequest;
      let res: http.IncomingMessage | undefined;
      /** Whether the exchange is over: nothing more is owed either way. */
      let over = false;
      /** Ends the timeouts' watch (the timers, once the request has a socket). */
      let watchEnd = () => {
        over = true;
      };

      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        watchEnd();
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const settle = (response: AxiosResponse) => {
        settled = true;
        if (!validateStatus || validateStatus(response.status)) resolve(response);
        else {
          const code = response.status < 500 ? ERR_BAD_REQUEST : ERR_BAD_RESPONSE;
          reject(make.error(`Request failed with status code ${response.status}`, code, config, req, response));
        }
      };
      function onAbort() {
        const error = make.canceled(undefined, config, req);
        if (!settled) {
          fail(error);
          req.destroy();
        } else if (res && !res.destroyed) {
          // A streamed answer already handed over: cut it, telling whoever reads it.
          res.destroy(res.listenerCount('error') > 0 ? error : undefined);
        }
      }

      try {
        req = (secure ? https : http).request(
          {
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port,
            path: url.path,
            method: (config.method ?? 'get').toUpperCase(),
            // Name/value pairs: node:http takes them as they are (after checking them) instead
            // of storing each through setHeader; it then adds no Host, so requestHeaders did.
            headers: headers.raw,
            agent: secure ? httpsAgent : httpAgent,
          },
          (incoming) => onResponse(incoming),
        );
      } catch (err) {
        // An invalid header name or value, refused by node:http before anything is sent.
        return reject(make.from(err, ERR_BAD_REQUEST, config));
      }
      signal?.addEventListener('abort', onAbort);

      req.on('error', (err) => fail(make.from(err, undefined, config, req)));

      const { connectTimeoutMs = 0, idleTimeoutMs = 0 } = config as NodeAdapterTimeouts;
      if (connectTimeoutMs > 0 || idleTimeoutMs > 0) req.once('socket', (socket: Socket) => watch(socket));
      /** Whether a streamed request body has ended (a body in memory goes in one write). */
      let bodyEnded = !stream;

      /** Connect and idle timeouts on the request's socket, until the exchange is over. */
      function watch(socket: Socket) {
        // The watch ends with the exchange: fail(), a buffered answer's end, a streamed one's end or close.
        if (over) return;
        let connectTimer: NodeJS.Timeout | undefined;
        /** Bytes through the socket so far, either way. */
        const traffic = () => socket.bytesRead + socket.bytesWritten;
        const onIdle = () => {
          // Over, or an answer all in (a streamed one its reader has not finished): nothing is owed.
          if (over || res?.complete) return;
          // The other side owes a byte unless this side is the one waiting: for the caller's
          // body to produce (not blocked on the network) or for the caller to read a streamed
          // answer (the socket paused by backpressure). Then keep watching.
          const owed = res ? !socket.isPaused() : bodyEnded || req.writableNeedDrain;
          if (!owed) {
            socket.setTimeout(idleTimeoutMs);
            return;
          }
          // After the event loop was held up (a long task, a busy machine), timers run before the
          // reads that waited meanwhile: look again once those ran. Traffic refreshes the timer.
          const before = traffic();
          setImmediate(() => {
            if (!over && traffic() === before) stalled();
          });
        };
        const stalled = () => {
          if (!settled) {
            fail(make.error(`no data either way for ${idleTimeoutMs} ms`, 'ERR_IDLE_TIMEOUT', config, req));
            req.destroy();
          } else if (res && !res.destroyed) {
            // A streamed answer already handed over: its reader learns of the stall.
            res.destroy(idleTimeout(idleTimeoutMs));
          }
        };
        const startIdle = () => {
          if (connectTimer) clearTimeout(connectTimer);
          if (idleTimeoutMs > 0 && !over) {
            socket.setTimeout(idleTimeoutMs);
            socket.on('timeout', onIdle);
          }
        };
        const stop = () => {
          over = true;
          if (connectTimer) clearTimeout(connectTimer);
          socket.removeListener('timeout', onIdle);
          socket.removeListener('connect', startIdle);
          // The socket's timer is left as it is: the keep-alive agent resets it when it takes the
          // socket back (and a socket it does not keep is destroyed).
        };
        watchEnd = stop;
        if (socket.connecting) {
          if (connectTimeoutMs > 0) {
            connectTimer = setTimeout(() => {
              if (settled) return;
              fail(make.error(`no connection within ${connectTimeoutMs} ms`, 'ERR_CONNECT_TIMEOUT', config, req));
              req.destroy();
            }, connectTimeoutMs);
          }
          socket.once('connect', startIdle);
        } else startIdle();
      }

      const timeout = Number(config.timeout ?? 0);
      if (timeout > 0) {
        req.setTimeout(timeout, () => {
          if (settled) return;
          fail(make.error(config.timeoutErrorMessage || `timeout of ${timeout}ms exceeded`, ETIMEDOUT, config, req));
          req.destroy();
        });
      }

      function onResponse(incoming: http.IncomingMessage) {
        res = incoming;
        if (settled) {
          incoming.destroy();
          return;
        }
        const response: AxiosResponse = {
          data: undefined,
          status: incoming.statusCode ?? 0,
          statusText: incoming.statusMessage ?? '',
          headers: make.headers(incoming.headers),
          config: config as InternalAxiosRequestConfig,
          request: req,
        };
        if (responseType === 'stream') {
          response.data = incoming;
          incoming.once('end', () => watchEnd());
          incoming.once('close', () => {
            watchEnd();
            signal?.removeEventListener('abort', onAbort);
          });
          settle(response);
          return;
        }
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('aborted', () => {
          fail(make.error('stream has been aborted', ERR_BAD_RESPONSE, config, req, response));
          incoming.destroy();
        });
        incoming.on('error', (err) => fail(make.from(err, undefined, config, req, response)));
        incoming.on('end', () => {
          watchEnd();
          if (settled) return;
          signal?.removeEventListener('abort', onAbort);
          const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          if (responseType === 'arraybuffer') response.data = body;
          else {
            const text = body.toString('utf8');
            response.data = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
          }
          settle(response);
        });
      }

      if (stream) {
        let ended = false;
        stream.once('end', () => (ended = bodyEnded = true));
        stream.once('error', (err) => {
          // What the body threw (a file gone, a stream cut short) fails the request as its cause.
          if (!req.destroyed) req.destroy(err);
        });
        stream.once('close', () => {
          // Destroyed before its end (the caller gave up on it): the request cannot complete.
          if (!ended && !req.destroyed) {
            fail(make.canceled('Request stream has been aborted', config, req));
            req.destroy();
          }
        });
        stream.pipe(req);
      } else {
        req.end(data as Buffer | undefined);
      }
    });
}

/** Where a URL points, as node:http takes it. */
interface Target {
  protocol: string;
  /** `hostname[:port]`, the port only when not the scheme's: the Host header. */
  host: string;
  hostname: string;
  port: string;
  path: string;
}

/**
 * Parsed URLs without a query (upload URLs are reused for many requests, API URLs for every
 * call): parsing one costs more than the look-up. URLs with a query (it may carry a download
 * token) are parsed each time and never kept.
 */
const targets = new Map<string, Target>();
const MAX_TARGETS = 256;

function target(href: string): Target {
  const known = targets.get(href);
  if (known) return known;
  const url = new URL(href);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const parsed = { protocol: url.protocol, host: url.host, hostname, port: url.port, path: url.pathname + url.search };
  if (!href.includes('?')) {
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(href, parsed);
  }
  return parsed;
}

/**
 * The configured headers as node:http's flat list of names and values, values sanitized to byte
 * strings, with `Host` (from the URL, as node:http writes it) unless configured.
 */
function requestHeaders(source: Record<string, unknown> | undefined, host: string): { raw: string[]; hasLength: boolean } {
  const raw: string[] = [];
  let hasHost = false;
  let hasLength = false;
  if (source) {
    for (const name of Object.keys(source)) {
      const value = source[name];
      if (value == null || value === false || typeof value === 'function') continue;
      const lower = name.toLowerCase();
      if (lower === 'host') hasHost = true;
      else if (lower === 'content-length') hasLength = true;
      if (Array.isArray(value)) for (const v of value) raw.push(name, byteString(String(v)));
      else raw.push(name, byteString(String(value)));
    }
  }
  if (!hasHost) raw.unshift('Host', host);
  return { raw, hasLength };
}

function byteString(value: string): string {
  return INVALID_HEADER_CHARS.test(value) ? value.replace(INVALID_HEADER_CHARS_G, '').replace(/^[\t ]+|[\t ]+$/g, '') : value;
}
