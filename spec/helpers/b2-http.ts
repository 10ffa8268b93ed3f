/**
 * A small raw B2 test client over node:http / node:net, used by the emulator specs.
 * It is deliberately NOT the product client: every header and byte is under the spec's control,
 * so specs can also send malformed requests. Only exports functions and types (jasmine loads this
 * file as a helper; it must not have side effects: the fixtures register their hooks only when a
 * describe block calls them).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator';

export type Emu = RunningEmulator;

export interface EmuLike {
  url: string;
  keyId: string;
  applicationKey: string;
  accountId: string;
}

export type HeaderValue = string | number | string[];
export type Headers = Record<string, HeaderValue | undefined>;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: any;
  /** Body as text (utf-8). */
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Headers;
  body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), in pieces of this size. */
  chunked?: boolean;
  /** Do not set Content-Length automatically. */
  omitContentLength?: boolean;
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// hashing / encoding

export function sha1hex(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

export function md5hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function md5b64(data: Buffer | string): string {
  return createHash('md5').update(data).digest('base64');
}

/** Percent-encode every UTF-8 byte except A–Z a–z 0–9 - . _ ~ / (uppercase hex), per https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding. */
export function encodeName(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~/]/.test(c)) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Decode %XX (either case) and + → space. */
export function decodeName(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

export function randomData(n: number): Buffer {
  return randomBytes(n);
}

let nameCounter = 0;
/** A fresh valid bucket name (6–63 chars, letters, digits, '-'). */
export function uniqueBucketName(prefix = 'spec'): string {
  nameCounter++;
  return `${prefix}-${Date.now().toString(36)}-${nameCounter}-${randomBytes(3).toString('hex')}`.slice(0, 63);
}

// ---------------------------------------------------------------------------------------------
// transport

function normHeaders(h: Headers | undefined): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = v;
  }
  return out;
}

function hasHeader(h: http.OutgoingHttpHeaders, name: string): boolean {
  return Object.keys(h).some((k) => k.toLowerCase() === name.toLowerCase());
}

function toResponse(status: number, headers: http.IncomingHttpHeaders, body: Buffer): RawResponse {
  const text = body.toString('utf8');
  let json: any;
  if (text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, headers, body, json, text };
}

/**
 * One HTTP request with node:http, no connection reuse. Rejects on socket errors (reset, abort
 * mid-body, timeout) — fault specs rely on that.
 */
export function request(url: string, opts: RequestOptions = {}): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const u = new URL(url);
    const headers = normHeaders(opts.headers);
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    if (body !== undefined && !opts.chunked && !opts.omitContentLength && !hasHeader(headers, 'content-length')) {
      headers['Content-Length'] = body.length;
    }
    if (opts.chunked) headers['Transfer-Encoding'] = 'chunked';
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let failed = false;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('aborted', () => {
          failed = true;
          reject(new Error('response aborted'));
        });
        res.on('error', (e) => {
          failed = true;
          reject(e);
        });
        res.on('end', () => {
          if (failed) return;
          if (!res.complete) {
            reject(new Error('response incomplete'));
            return;
          }
          resolve(toResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)));
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body !== undefined) {
      if (opts.chunked) {
        const step = Math.max(1, Math.ceil(body.length / 3));
        for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      } else {
        req.write(body);
      }
    }
    req.end();
  });
}

/** A POST whose body is only partly sent; it keeps its upload token busy until finish(). */
export interface HeldRequest {
  /** Sends the rest of the body and resolves with the response. */
  finish(): Promise<RawResponse>;
}

/**
 * Starts a POST of `body` with a Content-Length covering all of it but sends only the first
 * `sentBytes`; the server waits for the rest until finish() (for specs on concurrent use of one
 * upload URL).
 */
export function startHeldPost(url: string, headers: Headers, body: Buffer, sentBytes: number): HeldRequest {
  const u = new URL(url);
  let req!: http.ClientRequest;
  const response = new Promise<RawResponse>((resolve, reject) => {
    req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        agent: false,
        headers: { ...normHeaders(headers), 'Content-Length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve(toResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, sentBytes));
  });
  response.catch(() => undefined); // an early failure surfaces through finish(), not as an unhandled rejection
  return {
    finish(): Promise<RawResponse> {
      req.end(body.subarray(sentBytes));
      return response;
    },
  };
}

/**
 * Sends raw bytes on a TCP socket (for requests node:http would not produce, e.g. a POST with
 * neither Content-Length nor Transfer-Encoding) and parses the reply. The request should carry
 * `Connection: close`; the reply is read until the server closes or Content-Length is satisfied.
 */
export function rawSocketRequest(baseUrl: string, raw: Buffer | string, timeoutMs = 10000): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const u = new URL(baseUrl);
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) {
        done = true;
        reject(new Error('no complete response head: ' + JSON.stringify(all.toString('latin1'))));
        return;
      }
      const head = all.subarray(0, sep).toString('latin1').split('\r\n');
      const statusLine = head.shift() ?? '';
      const status = Number(statusLine.split(' ')[1]);
      const headers: http.IncomingHttpHeaders = {};
      for (const line of head) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body: Buffer = Buffer.from(all.subarray(sep + 4));
      if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) body = dechunk(body);
      done = true;
      sock.destroy();
      resolve(toResponse(status, headers, body));
    };
    sock.setTimeout(timeoutMs, () => {
      if (chunks.length) finish();
      else {
        done = true;
        sock.destroy();
        reject(new Error('raw socket timeout'));
      }
    });
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // Stop early once Content-Length bytes arrived.
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep >= 0) {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, sep).toString('latin1'));
        if (m && all.length - sep - 4 >= Number(m[1])) finish();
      }
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => {
      if (chunks.length) finish();
      else if (!done) {
        done = true;
        reject(e);
      }
    });
    sock.write(raw);
  });
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const n = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!n) break;
    out.push(b.subarray(eol + 2, eol + 2 + n));
    i = eol + 2 + n + 2;
  }
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// emulator fixtures

/** What every emulator spec starts from: a free port and tiny part sizes (so large files stay small). */
export const SPEC_EMULATOR_OPTIONS: EmulatorOptions = { port: 0, absoluteMinimumPartSize: 1000, recommendedPartSize: 2000 };

/** Starts an emulator with SPEC_EMULATOR_OPTIONS plus `extra`. The caller closes it. */
export function startSpecEmulator(extra: EmulatorOptions = {}): Promise<Emu> {
  return startEmulator({ ...SPEC_EMULATOR_OPTIONS, ...extra });
}

/** Runs `fn` against a fresh emulator (SPEC_EMULATOR_OPTIONS plus `extra`) and closes it afterwards, also when `fn` fails. */
export async function withEmulator<T>(extra: EmulatorOptions, fn: (emu: Emu) => Promise<T>): Promise<T> {
  const emu = await startSpecEmulator(extra);
  try {
    return await fn(emu);
  } finally {
    await emu.close();
  }
}

export interface FixtureOptions {
  /** 'all' (default): one emulator for the whole describe block (beforeAll/afterAll); 'each': a fresh one for every spec (beforeEach/afterEach). */
  per?: 'all' | 'each';
  /** Emulator options on top of SPEC_EMULATOR_OPTIONS. */
  emulator?: EmulatorOptions;
  /** Authorize the master key into `auth` (default true). */
  auth?: boolean;
  /** Create `bucket` with the master key (needs auth); an object gives extra b2_create_bucket fields. */
  bucket?: boolean | Record<string, unknown>;
}

/** The emulator of a describe block; the fields are filled in by the set-up hook, so read them inside specs and hooks only. */
export interface EmuFixture {
  emu: Emu;
  /** The master key's authorization (undefined with `auth: false`). */
  auth: Auth;
  /** The bucket created by the `bucket` option (undefined without it). */
  bucket: any;
  /** Closes the emulator and starts a new one with `extra` options, then authorizes and creates the bucket again as configured; the tear-down hook closes the new one. */
  restart(extra?: EmulatorOptions): Promise<void>;
}

/**
 * Registers set-up and tear-down hooks in the calling describe block (beforeAll/afterAll, or
 * beforeEach/afterEach with `per: 'each'`) that start an emulator, authorize the master key and
 * optionally create a bucket, and close the emulator afterwards. Returns the object those hooks fill
 * in. Hooks the describe block registers after this call run after the fixture's set-up.
 */
export function useEmulator(options: FixtureOptions = {}): EmuFixture {
  const { per = 'all', emulator = {}, auth = true, bucket = false } = options;
  if (bucket && !auth) throw new Error('useEmulator: the bucket option needs auth');
  const start = async (extra: EmulatorOptions): Promise<void> => {
    fx.emu = await startSpecEmulator({ ...emulator, ...extra });
    if (auth) fx.auth = await authorize(fx.emu);
    if (bucket) fx.bucket = await createBucket(fx.auth, bucket === true ? {} : bucket);
  };
  const fx: EmuFixture = {
    emu: undefined as unknown as Emu,
    auth: undefined as unknown as Auth,
    bucket: undefined,
    async restart(extra: EmulatorOptions = {}): Promise<void> {
      await fx.emu.close();
      await start(extra);
    },
  };
  const [setUp, tearDown] = per === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  setUp(() => start({}));
  tearDown(async () => {
    await fx.emu?.close();
  });
  return fx;
}

// ---------------------------------------------------------------------------------------------
// B2 calls

export interface Auth {
  /** the raw authorize response body */
  raw: any;
  version: number;
  accountId: string;
  token: string;
  apiUrl: string;
  downloadUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
}

export interface AuthorizeOptions {
  version?: number;
  keyId?: string;
  key?: string;
  method?: 'GET' | 'POST';
  headers?: Headers;
}

export function basicAuth(keyId: string, key: string): string {
  return 'Basic ' + Buffer.from(`${keyId}:${key}`).toString('base64');
}

export function authorizeRaw(emu: EmuLike, opts: AuthorizeOptions = {}): Promise<RawResponse> {
  const version = opts.version ?? 2;
  const method = opts.method ?? 'GET';
  return request(`${emu.url}/b2api/v${version}/b2_authorize_account`, {
    method,
    headers: {
      Authorization: basicAuth(opts.keyId ?? emu.keyId, opts.key ?? emu.applicationKey),
      ...(opts.headers ?? {}),
    },
    body: method === 'POST' ? '{}' : undefined,
  });
}

/** Authorizes and normalizes the v1/v2 flat or v3/v4 apiInfo.storageApi shapes. Throws unless 200. */
export async function authorize(emu: EmuLike, opts: AuthorizeOptions = {}): Promise<Auth> {
  const version = opts.version ?? 2;
  const res = await authorizeRaw(emu, opts);
  if (res.status !== 200) throw new Error(`authorize v${version} failed: ${res.status} ${res.text}`);
  const j = res.json;
  const s = version >= 3 ? j.apiInfo.storageApi : j;
  return {
    raw: j,
    version,
    accountId: j.accountId,
    token: j.authorizationToken,
    apiUrl: s.apiUrl,
    downloadUrl: s.downloadUrl,
    recommendedPartSize: s.recommendedPartSize,
    absoluteMinimumPartSize: s.absoluteMinimumPartSize,
  };
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  /** API version in the path (default: the auth's version, else 2). */
  version?: number;
  /** Override the token; null = send no Authorization header. */
  token?: string | null;
  headers?: Headers;
  /** Send this exact body text instead of JSON.stringify(body) (POST). */
  rawBody?: string | Buffer;
  /** Content-Type of a POST (default application/json; null = none). */
  contentType?: string | null;
}

/** Query string from an object: strings/numbers/booleans as-is; objects/arrays JSON-encoded. */
export function toQuery(body: Record<string, unknown> | undefined): string {
  if (!body) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    const s = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** A JSON API call: POST JSON (default) or GET with the fields as query parameters. */
export function call(auth: Auth, name: string, body?: Record<string, unknown>, opts: CallOptions = {}): Promise<RawResponse> {
  const version = opts.version ?? auth.version ?? 2;
  const method = opts.method ?? 'POST';
  const token = opts.token === undefined ? auth.token : opts.token;
  const headers: Headers = { ...(opts.headers ?? {}) };
  if (token !== null) headers['Authorization'] = token;
  let url = `${auth.apiUrl}/b2api/v${version}/${name}`;
  let payload: string | Buffer | undefined;
  if (method === 'GET') {
    url += toQuery(body);
  } else {
    payload = opts.rawBody ?? JSON.stringify(body ?? {});
    const ct = opts.contentType === undefined ? 'application/json' : opts.contentType;
    if (ct !== null) headers['Content-Type'] = ct;
  }
  return request(url, { method, headers, body: payload });
}

/** call() that throws unless 200 and returns the JSON. */
export async function callOk(auth: Auth, name: string, body?: Record<string, unknown>, opts: CallOptions = {}): Promise<any> {
  const res = await call(auth, name, body, opts);
  if (res.status !== 200) throw new Error(`${name} failed: ${res.status} ${res.text}`);
  return res.json;
}

// ---------------------------------------------------------------------------------------------
// buckets

export async function createBucket(auth: Auth, extra: Record<string, unknown> = {}): Promise<any> {
  return callOk(auth, 'b2_create_bucket', {
    accountId: auth.accountId,
    bucketName: uniqueBucketName(),
    bucketType: 'allPrivate',
    ...extra,
  });
}

/**
 * Raw b2_create_bucket with the caller's accountId and bucketType allPrivate filled in (body
 * overrides both). No bucketName is added: specs that expect success pass one, and a spec may
 * leave it out on purpose.
 */
export function createBucketRaw(auth: Auth, body: Record<string, unknown>): Promise<RawResponse> {
  return call(auth, 'b2_create_bucket', { accountId: auth.accountId, bucketType: 'allPrivate', ...body });
}

// ---------------------------------------------------------------------------------------------
// uploads

export interface UploadUrl {
  uploadUrl: string;
  authorizationToken: string;
}

export async function getUploadUrl(auth: Auth, bucketId: string): Promise<UploadUrl> {
  const j = await callOk(auth, 'b2_get_upload_url', { bucketId });
  return { uploadUrl: j.uploadUrl, authorizationToken: j.authorizationToken };
}

export interface UploadOptions {
  /** file name; percent-encoded with encodeName() unless rawName is given */
  name?: string;
  /** exact X-Bz-File-Name header value */
  rawName?: string;
  data?: Buffer | string;
  contentType?: string | null;
  /** X-Bz-Content-Sha1 value (default: the SHA-1 of data); null = omit */
  sha1?: string | null;
  /** info key → value; values encoded with encodeName() */
  info?: Record<string, string>;
  /** extra / overriding headers (undefined values are dropped) */
  headers?: Headers;
  /** override the token (null = no Authorization) */
  token?: string | null;
  chunked?: boolean;
  timeoutMs?: number;
}

export function uploadHeaders(up: UploadUrl | null, o: UploadOptions): Headers {
  const data = o.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.data) ? o.data : Buffer.from(o.data);
  const h: Headers = {};
  const token = o.token === undefined ? up?.authorizationToken : o.token;
  if (token !== null && token !== undefined) h['Authorization'] = token;
  if (o.rawName !== undefined) h['X-Bz-File-Name'] = o.rawName;
  else if (o.name !== undefined) h['X-Bz-File-Name'] = encodeName(o.name);
  const ct = o.contentType === undefined ? 'application/octet-stream' : o.contentType;
  if (ct !== null) h['Content-Type'] = ct;
  const sha = o.sha1 === undefined ? sha1hex(data) : o.sha1;
  if (sha !== null) h['X-Bz-Content-Sha1'] = sha;
  for (const [k, v] of Object.entries(o.info ?? {})) h[`X-Bz-Info-${k}`] = encodeName(v);
  for (const [k, v] of Object.entries(o.headers ?? {})) h[k] = v;
  return h;
}

/** Raw b2_upload_file against an upload URL. */
export function uploadFile(up: UploadUrl, o: UploadOptions): Promise<RawResponse> {
  const data = o.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.data) ? o.data : Buffer.from(o.data);
  return request(up.uploadUrl, {
    method: 'POST',
    headers: uploadHeaders(up, o),
    body: data,
    chunked: o.chunked,
    timeoutMs: o.timeoutMs,
  });
}

/** get_upload_url + upload; throws unless 200; returns the file object. */
export async function uploadOk(auth: Auth, bucketId: string, name: string, data: Buffer | string, o: UploadOptions = {}): Promise<any> {
  const up = await getUploadUrl(auth, bucketId);
  const res = await uploadFile(up, { name, data, ...o });
  if (res.status !== 200) throw new Error(`upload of ${name} failed: ${res.status} ${res.text}`);
  return res.json;
}

// ---------------------------------------------------------------------------------------------
// large files

export async function startLarge(auth: Auth, bucketId: string, fileName: string, extra: Record<string, unknown> = {}): Promise<any> {
  return callOk(auth, 'b2_start_large_file', { bucketId, fileName, contentType: 'application/octet-stream', ...extra });
}

export async function getPartUrl(auth: Auth, fileId: string): Promise<UploadUrl> {
  const j = await callOk(auth, 'b2_get_upload_part_url', { fileId });
  return { uploadUrl: j.uploadUrl, authorizationToken: j.authorizationToken };
}

export interface PartOptions {
  sha1?: string | null;
  partNumber?: number | string | null;
  headers?: Headers;
  token?: string | null;
}

export function uploadPart(pu: UploadUrl, partNumber: number, data: Buffer, o: PartOptions = {}): Promise<RawResponse> {
  const h: Headers = {};
  const token = o.token === undefined ? pu.authorizationToken : o.token;
  if (token !== null) h['Authorization'] = token;
  const pn = o.partNumber === undefined ? partNumber : o.partNumber;
  if (pn !== null) h['X-Bz-Part-Number'] = String(pn);
  const sha = o.sha1 === undefined ? sha1hex(data) : o.sha1;
  if (sha !== null) h['X-Bz-Content-Sha1'] = sha;
  for (const [k, v] of Object.entries(o.headers ?? {})) h[k] = v;
  return request(pu.uploadUrl, { method: 'POST', headers: h, body: data });
}

/** start_large_file, then uploads `parts` as parts 1…N through one part URL (each must answer 200); returns the fileId and the parts' SHA-1s. */
export async function startLargeWithParts(auth: Auth, bucketId: string, fileName: string, parts: Buffer[]): Promise<{ fileId: string; sha1s: string[] }> {
  const s = await startLarge(auth, bucketId, fileName);
  const pu = await getPartUrl(auth, s.fileId);
  const sha1s: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    expectOk(await uploadPart(pu, i + 1, parts[i]), `part ${i + 1}`);
    sha1s.push(sha1hex(parts[i]));
  }
  return { fileId: s.fileId, sha1s };
}

// ---------------------------------------------------------------------------------------------
// downloads

export interface DownloadOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  /** Authorization header value; null/undefined = none */
  token?: string | null;
  headers?: Headers;
  /** extra query parameters */
  query?: Record<string, string>;
  body?: string | Buffer;
}

function withQuery(url: string, q: Record<string, string> | undefined): string {
  if (!q || Object.keys(q).length === 0) return url;
  const s = Object.entries(q)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return url + (url.includes('?') ? '&' : '?') + s;
}

export function download(url: string, o: DownloadOptions = {}): Promise<RawResponse> {
  const h: Headers = { ...(o.headers ?? {}) };
  if (o.token) h['Authorization'] = o.token;
  return request(withQuery(url, o.query), { method: o.method ?? 'GET', headers: h, body: o.body });
}

/** URL of download-by-name; the name is percent-encoded unless rawPath is true. */
export function byNameUrl(auth: { downloadUrl: string }, bucketName: string, fileName: string, rawPath = false): string {
  return `${auth.downloadUrl}/file/${bucketName}/${rawPath ? fileName : encodeName(fileName)}`;
}

export function byIdUrl(auth: { downloadUrl: string }, fileId: string, version = 2): string {
  return `${auth.downloadUrl}/b2api/v${version}/b2_download_file_by_id?fileId=${encodeURIComponent(fileId)}`;
}

export function downloadByName(auth: Auth, bucketName: string, fileName: string, o: DownloadOptions = {}): Promise<RawResponse> {
  return download(byNameUrl(auth, bucketName, fileName), { token: auth.token, ...o });
}

export function downloadById(auth: Auth, fileId: string, o: DownloadOptions = {}): Promise<RawResponse> {
  return download(byIdUrl(auth, fileId, auth.version), { token: auth.token, ...o });
}

// ---------------------------------------------------------------------------------------------
// paging

export interface Page<T, S> {
  items: T[];
  /** where the next page starts; null on the last page */
  next: S | null;
}

/**
 * Follows a paged listing: calls `page` with undefined (JSON bodies drop it: no start field), then
 * with every `next` it returns, until `next` is null or `maxPages` pages were fetched. Returns the
 * items of all pages in order. Per-page expectations belong in `page`.
 */
export async function collectPages<T, S>(page: (start: S | undefined) => Promise<Page<T, S>>, maxPages = 100): Promise<T[]> {
  const all: T[] = [];
  let start: S | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await page(start);
    all.push(...p.items);
    if (p.next === null) break;
    start = p.next;
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// assertions

/** Expects a B2 JSON error with this status and code (code may be a list of acceptable codes). */
export function expectError(res: RawResponse, status: number | number[], code?: string | string[], context = ''): void {
  const statuses = Array.isArray(status) ? status : [status];
  const where = `${context ? context + ': ' : ''}got ${res.status} ${res.text.slice(0, 300)}`;
  expect(statuses).withContext(where).toContain(res.status);
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    expect(res.json).withContext(where).toBeDefined();
    expect(codes).withContext(where).toContain(res.json?.code);
    expect(res.json?.status)
      .withContext(where + ' (body status)')
      .toBe(res.status);
    expect(typeof res.json?.message)
      .withContext(where + ' (message)')
      .toBe('string');
  }
}

/** Expects every named response header (lower-case name) to be exactly this value; undefined = absent. */
export function expectHeaders(res: RawResponse, expected: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(expected)) {
    expect(res.headers[name]).withContext(`header ${name}`).toBe(value);
  }
}

/** Expects 200 and returns the JSON. */
export function expectOk(res: RawResponse, context = ''): any {
  expect(res.status)
    .withContext(`${context ? context + ': ' : ''}got ${res.status} ${res.text.slice(0, 300)}`)
    .toBe(200);
  return res.json;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a key and authorizes with it. */
export async function keyAuth(emu: EmuLike, master: Auth, capabilities: string[], extra: Record<string, unknown> = {}, version = 2): Promise<{ key: any; auth: Auth }> {
  const key = await callOk(master, 'b2_create_key', {
    accountId: master.accountId,
    capabilities,
    keyName: 'k-' + randomBytes(4).toString('hex'),
    ...extra,
  });
  const auth = await authorize({ url: emu.url, keyId: key.applicationKeyId, applicationKey: key.applicationKey, accountId: master.accountId }, { version });
  return { key, auth };
}
