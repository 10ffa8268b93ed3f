/**
 * The emulator's HTTP layer: routes B2 URLs to handlers, parses JSON calls, streams upload and
 * download bodies, applies the fault plan and CORS, and writes B2 JSON errors. One listener
 * serves every role (API, download and upload hosts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { B2ApiVersion } from '../api/wire';
import { Engine, header, type JsonCall } from './engine';
import { B2Failure, fail } from './errors';
import type { FaultPlan } from './faults';
import type { Fault } from './options';
import { readSegments } from './content';
import { percentDecode } from './names';
import type { Params } from './params';
import { actualHeaders, apiCorsHeaders, matchRule, preflightHeaders, requestedHeaders, type CorsOperation } from './cors';
import { JSON_CALLS } from './routes';
import { uploadFile, uploadPart, type UploadCall } from './handlers/uploads';
import { downloadFile, type DownloadRequest } from './handlers/downloads';
import { isLoopbackAddress, RequestLog, serveConsole, type ConsoleSource } from './console/routes';

const MAX_JSON_BODY = 1 << 20;
/** Unread upload bytes drained after an early error answer; beyond this the connection is closed. */
const MAX_DRAIN = 8 << 20;

type Route =
  | { kind: 'json'; version: B2ApiVersion; call: string }
  | { kind: 'upload'; version: B2ApiVersion; call: 'b2_upload_file' | 'b2_upload_part'; target: string; tokenId: string }
  | { kind: 'download'; version: B2ApiVersion; call: 'b2_download_file_by_id' | 'b2_download_file_by_name'; bucketName?: string; fileName?: string }
  | { kind: 'unknown'; call: string };

export class EmulatorServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private baseUrl = '';
  private loopback = false;
  /** Listening on every interface: URLs handed out (apiUrl, downloadUrl, upload URLs) follow the request's Host. */
  private wildcard = false;
  /** The recent requests, for the console page's live log. */
  readonly log = new RequestLog();
  private consoleBundle: Promise<string | undefined> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly faults: FaultPlan,
    private readonly consolePage = true,
  ) {
    this.server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 60_000, headersTimeout: 70_000 }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Malformed HTTP gets a B2-shaped 400 rather than a bare close.
    this.server.on('clientError', (err, socket) => {
      if (!socket.writable) return socket.destroy();
      // Garbage after a request whose answer is still pending: never write into that answer;
      // let it finish, then close the connection.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (inFlight && !inFlight.req.complete) {
        // The client half-closed before sending Content-Length bytes: the body can never be whole.
        // B2 answers 400 on the still-open half (node's HTTP server keeps sockets allowHalfOpen);
        // closing the socket afterwards aborts the handler still waiting for the rest.
        if ((err as NodeJS.ErrnoException).code === 'HPE_INVALID_EOF_STATE' && !inFlight.headersSent) {
          const failure = fail.badRequest(`request body ended before Content-Length (${inFlight.req.headers['content-length']}) bytes arrived`);
          inFlight.once('finish', () => {
            inFlight.req.destroy(); // ends the handler's wait for the rest (an upload releases its token)
            socket.destroy();
          });
          sendJson(inFlight, failure.status, failure.toBody(), { Connection: 'close' }, false, 'application/json;charset=utf-8');
          return;
        }
        return socket.destroy(); // its body was cut by a reset: abort it
      }
      if (inFlight) {
        inFlight.shouldKeepAlive = false;
        inFlight.once('finish', () => socket.destroy());
        return;
      }
      const body = JSON.stringify(fail.badRequest(`malformed HTTP request: ${(err as Error).message}`).toBody());
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.loopback = isLoopbackAddress(address.address);
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${hostPart}:${address.port}`;
    this.wildcard = address.address === '0.0.0.0' || address.address === '::';
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let cors: Record<string, string> = {};
    try {
      const url = parseTarget(req.url ?? '/');
      if (url.pathname === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
        return sendJson(res, 200, { status: 'ok' }, {}, req.method === 'HEAD');
      }
      if (this.consolePage && (await serveConsole(req, res, url.pathname, this.consoleSource(), () => this.loadConsoleBundle()))) return;
      const route = this.route(url.pathname);
      this.logRequest(req, res, route.call);
      const origin = header(req.headers, 'origin');
      if (req.method === 'OPTIONS') return this.preflight(req, res, route, url, origin);
      cors = origin ? this.corsFor(route, url, origin, req) : {};
      await this.dispatch(req, res, route, url, cors);
    } catch (err) {
      this.sendError(req, res, err, cors);
    }
  }

  /** The base URL to hand this client: the bound address, or on a wildcard address the one it reached us by. */
  private urlFor(req: IncomingMessage): string {
    const host = req.headers.host;
    return this.wildcard && host && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host) ? `http://${host}` : this.baseUrl;
  }

  private logRequest(req: IncomingMessage, res: ServerResponse, call: string): void {
    const started = Date.now();
    res.once('close', () => {
      this.log.add({ at: new Date(started).toISOString(), method: req.method ?? '', call, status: res.headersSent ? res.statusCode : 0, ms: Date.now() - started });
    });
  }

  private consoleSource(): ConsoleSource {
    const account = this.engine.state.account;
    return {
      keyId: account.accountId,
      applicationKey: account.masterKey,
      loopback: this.loopback,
      faults: () => this.faults.rules(),
      injected: () => this.faults.injected(),
      log: this.log,
    };
  }

  /** The console page's script, built at build time next to this file (console/bundle.js); undefined if absent. */
  private loadConsoleBundle(): Promise<string | undefined> {
    // A computed specifier: TypeScript leaves it alone, so a build without the bundle still compiles.
    const specifier = ['.', 'console', 'bundle.js'].join('/');
    this.consoleBundle ??= import(specifier).then(
      (mod: { default?: unknown }) => (typeof mod.default === 'string' ? mod.default : undefined),
      () => undefined,
    );
    return this.consoleBundle;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, route: Route, url: RequestTarget, cors: Record<string, string>): Promise<void> {
    const fault = this.faults.take(route.call);
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'resetResponse') limitResponse(res, fault.afterBytes, 'reset');
    if (fault?.kind === 'stall') {
      if (fault.afterBytes === undefined) return drain(req); // close() destroys the socket
      limitResponse(res, fault.afterBytes, 'stall');
    }
    if (fault && fault.kind !== 'delay' && fault.kind !== 'resetResponse' && fault.kind !== 'stall') {
      if (fault.kind === 'resetRequest') return resetAfter(req, fault.afterBytes);
      throw faultFailure(fault);
    }

    switch (route.kind) {
      case 'unknown':
        throw fail.notFound(`unknown URL: ${url.pathname}`);
      case 'json':
        return this.jsonCall(req, res, route, url, cors);
      case 'upload':
        return this.upload(req, res, route, cors);
      case 'download':
        return this.download(req, res, route, url, cors);
    }
  }

  private route(path: string): Route {
    let m = /^\/b2api\/v([1-4])\/(b2_upload_file|b2_upload_part)\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) return { kind: 'upload', version: Number(m[1]) as B2ApiVersion, call: m[2] as 'b2_upload_file', target: decodePathPart(m[3]), tokenId: m[4] };
    m = /^\/b2api\/v([1-4])\/b2_download_file_by_id$/.exec(path);
    if (m) return { kind: 'download', version: Number(m[1]) as B2ApiVersion, call: 'b2_download_file_by_id' };
    m = /^\/file\/([^/]+)\/(.+)$/.exec(path);
    if (m) return { kind: 'download', version: 4, call: 'b2_download_file_by_name', bucketName: m[1], fileName: m[2] };
    m = /^\/b2api\/v([1-4])\/(b2_[a-z_]+)$/.exec(path);
    if (m && JSON_CALLS[m[2]]) return { kind: 'json', version: Number(m[1]) as B2ApiVersion, call: m[2] };
    return { kind: 'unknown', call: m?.[2] ?? path };
  }

  private async jsonCall(req: IncomingMessage, res: ServerResponse, route: Extract<Route, { kind: 'json' }>, url: RequestTarget, cors: Record<string, string>) {
    const method = req.method!;
    if (method !== 'GET' && method !== 'POST') {
      drain(req);
      throw fail.methodNotAllowed(method);
    }
    const params = method === 'POST' ? await readJsonBody(req) : {};
    for (const [k, v] of url.searchParams) if (params[k] === undefined) params[k] = v;
    for (const k of Object.keys(params)) if (params[k] === null) delete params[k];
    const call: JsonCall = {
      version: route.version,
      params,
      authorization: header(req.headers, 'authorization'),
      headers: req.headers,
      testModes: testModes(req),
      baseUrl: this.urlFor(req),
    };
    const result = await JSON_CALLS[route.call](this.engine, call);
    sendJson(res, 200, result, cors, false);
  }

  private async upload(req: IncomingMessage, res: ServerResponse, route: Extract<Route, { kind: 'upload' }>, cors: Record<string, string>) {
    if (req.method !== 'POST') {
      drain(req);
      throw fail.methodNotAllowed(req.method ?? '');
    }
    if (header(req.headers, 'transfer-encoding') !== undefined) {
      throw fail.badRequest('chunked transfer encoding is not supported: send Content-Length');
    }
    const call: UploadCall = {
      version: route.version,
      target: route.target,
      urlTokenId: route.tokenId,
      headers: req.headers,
      // An error thrown mid-body (disk full) must not destroy the request: the answer still goes out.
      body: req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>,
      testModes: testModes(req),
    };
    const result = route.call === 'b2_upload_file' ? await uploadFile(this.engine, call) : await uploadPart(this.engine, call);
    sendJson(res, 200, result, cors, false);
  }

  private async download(req: IncomingMessage, res: ServerResponse, route: Extract<Route, { kind: 'download' }>, url: RequestTarget, cors: Record<string, string>) {
    const method = req.method!;
    let fileId = url.searchParams.get('fileId') ?? undefined;
    if (route.call === 'b2_download_file_by_id') {
      if (method === 'POST') fileId = ((await readJsonBody(req)).fileId as string | undefined) ?? fileId;
      else if (method !== 'GET' && method !== 'HEAD') throw fail.methodNotAllowed(method);
      if (typeof fileId !== 'string' || fileId === '') throw fail.badRequest('required field fileId is missing');
    } else if (method !== 'GET' && method !== 'HEAD') {
      throw fail.methodNotAllowed(method);
    }
    const request: DownloadRequest = {
      version: route.version,
      by: route.call === 'b2_download_file_by_id' ? { fileId: fileId! } : { bucketName: route.bucketName!, fileName: percentDecode(route.fileName!, 'file name in URL') },
      headers: req.headers,
      query: url.searchParams,
    };
    const result = downloadFile(this.engine, request);
    res.writeHead(result.status, { ...result.headers, ...cors });
    if (method === 'HEAD' || result.length === 0) {
      res.end();
      return;
    }
    await pipeline(Readable.from(readSegments(this.engine.store.blobs, result.segments)), res).catch(() => {
      // The client went away or a reset fault cut the body: nothing more to send.
      res.destroy();
    });
  }

  private preflight(req: IncomingMessage, res: ServerResponse, route: Route, url: RequestTarget, origin: string | undefined) {
    const method = header(req.headers, 'access-control-request-method');
    if (!origin || !method) throw fail.badRequest('OPTIONS needs Origin and Access-Control-Request-Method');
    if (route.kind === 'json') {
      res.writeHead(200, { ...apiCorsHeaders(origin, req.headers), 'Content-Length': '0' });
      res.end();
      return;
    }
    const requested = requestedHeaders(req.headers);
    const rule = this.corsRule(route, url, origin, requested);
    const allowedMethod = route.kind === 'upload' ? method === 'POST' : method === 'GET' || method === 'HEAD';
    if (!rule || !allowedMethod) {
      res.writeHead(403, { 'Content-Length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, { ...preflightHeaders(rule, origin, method, requested), 'Content-Length': '0' });
    res.end();
  }

  private corsFor(route: Route, url: RequestTarget, origin: string, req: IncomingMessage): Record<string, string> {
    if (route.kind === 'json') return apiCorsHeaders(origin, req.headers);
    const rule = this.corsRule(route, url, origin, []);
    return rule ? actualHeaders(rule, origin) : {};
  }

  /** The bucket's CORS rule for this upload/download URL, if one admits the origin. */
  private corsRule(route: Route, url: RequestTarget, origin: string, requested: string[]) {
    let bucketId: string | undefined;
    let operation: CorsOperation;
    const state = this.engine.state;
    if (route.kind === 'upload') {
      operation = route.call;
      bucketId = route.call === 'b2_upload_file' ? route.target : state.files.get(route.target)?.bucketId;
    } else if (route.kind === 'download') {
      operation = route.call;
      bucketId = route.call === 'b2_download_file_by_name' ? state.bucketByName(route.bucketName!)?.bucketId : state.files.get(url.searchParams.get('fileId') ?? '')?.bucketId;
    } else return undefined;
    const bucket = bucketId ? state.buckets.get(bucketId) : undefined;
    return bucket ? matchRule(bucket.corsRules, origin, operation, requested) : undefined;
  }

  private sendError(req: IncomingMessage, res: ServerResponse, err: unknown, cors: Record<string, string>): void {
    const noSpace = (err as NodeJS.ErrnoException)?.code === 'ENOSPC' || (err as NodeJS.ErrnoException)?.code === 'EDQUOT';
    // The client went away mid-request (reset, half-close): nobody to answer, nothing to log.
    // (A request read to its end is destroyed too, by autoDestroy: that one still gets its answer.)
    const code = (err as NodeJS.ErrnoException)?.code;
    if (!(err instanceof B2Failure) && ((req.destroyed && !req.complete) || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as Error)?.message === 'aborted')) {
      res.destroy();
      return;
    }
    const failure = err instanceof B2Failure ? err : noSpace ? fail.outOfDiskSpace(code!) : fail.internalError();
    if (!(err instanceof B2Failure) && !noSpace) process.stderr.write(`rxb2 emulator: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const origin = header(req.headers, 'origin');
    const corsHeaders = origin ? { ...apiCorsHeaders(origin, req.headers), ...cors } : cors;
    // An answer before the whole upload body arrived: drain a little, else close (B2's "broken pipe").
    // Out of disk space, the whole body is drained (and thrown away) so the client surely reads the
    // answer instead of a reset it would retry.
    const unread = !req.complete;
    const remaining = Number(req.headers['content-length'] ?? 0);
    const close = unread && !noSpace && !(remaining <= MAX_DRAIN);
    if (unread && !close) drain(req);
    sendJson(
      res,
      failure.status,
      failure.toBody(),
      { ...corsHeaders, ...failure.headers, ...(close ? { Connection: 'close' } : {}) },
      req.method === 'HEAD',
      'application/json;charset=utf-8',
    );
    if (close) res.on('finish', () => req.socket.destroy());
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, head: boolean, type = 'application/json;charset=UTF-8'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': type,
    'Cache-Control': 'max-age=0, no-cache, no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(head ? undefined : text);
}

async function readJsonBody(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw fail.badRequest(`request body is too large (at most ${MAX_JSON_BODY} bytes)`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail.badJson('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail.badJson('request body must be a JSON object');
  return parsed as Params;
}

/** `X-Bz-Test-Mode` values, repeated headers and comma-joined lists alike (https://www.backblaze.com/docs/cloud-storage-integration-checklist). */
function testModes(req: IncomingMessage): ReadonlySet<string> {
  const raw = header(req.headers, 'x-bz-test-mode');
  return new Set(
    (raw ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function drain(req: IncomingMessage): void {
  req.resume();
}

function faultFailure(fault: Fault): B2Failure {
  switch (fault.kind) {
    case 'expiredToken':
      return fail.expiredAuthToken();
    case 'status':
      switch (fault.status) {
        case 408:
          return fail.requestTimeout();
        case 429:
          return fail.tooManyRequests(fault.retryAfterSeconds);
        case 500:
          return fail.internalError('injected fault');
        case 503:
          return fail.serviceUnavailable(fault.retryAfterSeconds);
      }
  }
  return fail.internalError('unknown fault');
}

/** Cuts the connection once `afterBytes` of the request body have arrived. */
function resetAfter(req: IncomingMessage, afterBytes: number): void {
  if (afterBytes <= 0) {
    req.socket.destroy();
    return;
  }
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen >= afterBytes) req.socket.destroy();
  });
  req.on('end', () => req.socket.destroy());
}

/**
 * Once `afterBytes` of the response body have been sent, cuts the connection ('reset') or sends
 * nothing more while keeping it open ('stall': the status line and headers are flushed even when no
 * body byte is; close() destroys the socket).
 */
function limitResponse(res: ServerResponse, afterBytes: number, then: 'reset' | 'stall'): void {
  let sent = 0;
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const cut = (chunk: unknown): boolean => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return false;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (sent + buf.length < afterBytes) {
      sent += buf.length;
      write(buf);
      return false;
    }
    write(buf.subarray(0, afterBytes - sent));
    sent = afterBytes;
    if (then === 'stall') res.flushHeaders();
    // Let the partial bytes leave before the reset.
    else setImmediate(() => res.socket?.destroy());
    return true;
  };
  res.write = ((chunk: unknown) => {
    cut(chunk);
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (cut(chunk)) return res;
    if (sent < afterBytes) return end(); // the whole body fit before the cut
    if (then === 'stall') res.flushHeaders();
    else setImmediate(() => res.socket?.destroy());
    return res;
  }) as typeof res.end;
}

/** A request's path (raw: not normalized, so a file named "a/../b" stays that) and its query. */
interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

function parseTarget(raw: string): RequestTarget {
  const q = raw.indexOf('?');
  return { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw fail.badRequest('malformed percent-encoding in the URL path');
  }
}
