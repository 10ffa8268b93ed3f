/**
 * The Node axios adapter (src/http/node-http-adapter.ts) driven through axios, as
 * AxiosTransport drives it, against a local node:http server on 127.0.0.1: headers and bodies as
 * sent, streamed bodies with backpressure, streamed answers, abort, timeouts, statuses, redirects,
 * and network failures as AxiosErrors.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import axios, { AxiosError, AxiosHeaders, CanceledError, isCancel, type AxiosInstance } from 'axios';
import { createNodeHttpAdapter } from '../../src/http/node-http-adapter';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  length: number;
  sha1: string;
}

describe('node:http axios adapter', () => {
  let server: http.Server;
  let base: string;
  let agent: http.Agent;
  let ax: AxiosInstance;
  /** Requests the server saw end before it answered them (aborted by the client). */
  let closedEarly: string[];
  /** Per URL path: resolves when the server got the request. */
  let arrived: Map<string, () => void>;
  /** Bytes the slow reader has taken so far. */
  let received = 0;

  const waitArrival = (path: string) => new Promise<void>((resolve) => arrived.set(path, resolve));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      arrived.get(path)?.();
      res.on('close', () => {
        if (!res.writableEnded) closedEarly.push(path);
      });
      switch (path) {
        case '/echo': {
          const hash = createHash('sha1');
          let length = 0;
          req.on('data', (c: Buffer) => {
            hash.update(c);
            length += c.length;
          });
          req.on('end', () => {
            const seen: Seen = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, length, sha1: hash.digest('hex') };
            res.writeHead(200, { 'Content-Type': 'application/json', 'X-Custom': 'yes' }).end(JSON.stringify(seen));
          });
          return;
        }
        case '/slow-read': {
          // Takes 64 KiB, then waits, so a sender that ignores backpressure runs far ahead.
          req.on('data', (c: Buffer) => {
            received += c.length;
            req.pause();
            setTimeout(() => req.resume(), 2);
          });
          req.on('end', () => res.end(String(received)));
          return;
        }
        case '/stream': {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          let sent = 0;
          const more = () => {
            if (res.destroyed) return;
            if (sent++ >= 200) return void res.end();
            res.write(Buffer.alloc(64 * 1024, sent));
            setTimeout(more, 5);
          };
          more();
          return;
        }
        case '/hang':
          req.resume();
          return; // never answers
        case '/status/503':
          req.resume();
          res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '7' }).end('{"status":503,"code":"service_unavailable","message":"busy"}');
          return;
        case '/redirect':
          res.writeHead(302, { Location: '/echo' }).end();
          return;
        case '/reset':
          req.socket.destroy();
          return;
        case '/cut':
          res.writeHead(200, { 'Content-Length': '1000' });
          res.write('0123456789', () => setTimeout(() => req.socket.destroy(), 10));
          return;
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = new http.Agent({ keepAlive: true });
    const adapter = createNodeHttpAdapter({ httpAgent: agent, httpsAgent: new https.Agent({ keepAlive: true }), axios: { AxiosError, AxiosHeaders, CanceledError } });
    ax = axios.create({ adapter, transformRequest: [], transformResponse: [] });
  });

  afterAll(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    closedEarly = [];
    arrived = new Map();
    received = 0;
  });

  const seenOf = (data: unknown) => JSON.parse(data as string) as Seen;
  const header = (seen: Seen, name: string) => {
    const at = seen.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name.toLowerCase());
    return at < 0 ? undefined : { name: seen.rawHeaders[at], value: seen.rawHeaders[at + 1] };
  };

  it('sends the headers as configured (names as written), Host, and a Buffer body in one piece with its Content-Length', async () => {
    const body = Buffer.from('hello, bytes');
    const res = await ax.request({ method: 'POST', url: `${base}/echo?x=1`, headers: { 'X-Bz-File-Name': 'a%20b', Authorization: 'token-1' }, data: body });
    expect(res.status).toBe(200);
    const seen = seenOf(res.data);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/echo?x=1');
    expect(header(seen, 'x-bz-file-name')).toEqual({ name: 'X-Bz-File-Name', value: 'a%20b' });
    expect(header(seen, 'authorization')?.value).toBe('token-1');
    expect(header(seen, 'host')?.value).toBe(new URL(base).host);
    expect(header(seen, 'content-length')?.value).toBe(String(body.length));
    // It decompresses nothing, so it asks for no encoding.
    expect(header(seen, 'accept-encoding')).toBeUndefined();
    expect(seen.sha1).toBe(createHash('sha1').update(body).digest('hex'));
    // The answer's headers arrive as AxiosHeaders, names in lower case.
    expect(res.headers instanceof AxiosHeaders).toBeTrue();
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('sends a string body as UTF-8 with its byte length, and a view of bytes as just those bytes', async () => {
    const text = '{"name":"päivää"}';
    const seen = seenOf((await ax.request({ method: 'POST', url: `${base}/echo`, headers: { 'Content-Type': 'application/json' }, data: text })).data);
    expect(seen.length).toBe(Buffer.byteLength(text));
    expect(header(seen, 'content-length')?.value).toBe(String(Buffer.byteLength(text)));
    const whole = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const view = whole.subarray(2, 5);
    const seen2 = seenOf((await ax.request({ method: 'POST', url: `${base}/echo`, data: view })).data);
    expect(seen2.length).toBe(3);
    expect(seen2.sha1).toBe(createHash('sha1').update(view).digest('hex'));
  });

  it('strips from header values what cannot go on the wire, as axios does', async () => {
    const seen = seenOf((await ax.request({ method: 'GET', url: `${base}/echo`, headers: { 'X-Odd': ' a\u0100b ' } })).data);
    expect(header(seen, 'x-odd')?.value).toBe('ab');
  });

  it('pipes a streamed body with backpressure: it never runs far ahead of a slow reader', async () => {
    const chunk = 64 * 1024;
    const total = 32 * 1024 * 1024;
    let produced = 0;
    let ahead = 0;
    const body = Readable.from(
      (async function* () {
        while (produced < total) {
          produced += chunk;
          ahead = Math.max(ahead, produced - received);
          yield Buffer.alloc(chunk, 7);
        }
      })(),
      { objectMode: false },
    );
    const res = await ax.request({ method: 'POST', url: `${base}/slow-read`, headers: { 'Content-Length': String(total) }, data: body });
    expect(Number(res.data)).toBe(total);
    // Loopback socket buffers hold a few MiB; without backpressure the whole body would be ahead.
    expect(ahead).toBeLessThan(total / 3);
  });

  it('a body that fails destroys the request; the failure rides on as the cause', async () => {
    const failure = new Error('the file went away');
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000);
        throw failure;
      })(),
      { objectMode: false },
    );
    const err = await ax.request({ method: 'POST', url: `${base}/hang`, headers: { 'Content-Length': '100000' }, data: body }).catch((e: unknown) => e);
    expect(err instanceof AxiosError).toBeTrue();
    expect((err as AxiosError).cause).toBe(failure);
  });

  it('aborting mid-request rejects with a CanceledError and closes the connection', async () => {
    const abort = new AbortController();
    const there = waitArrival('/hang');
    const pending = ax.request({ method: 'GET', url: `${base}/hang`, signal: abort.signal }).catch((e: unknown) => e);
    await there;
    abort.abort();
    const err = await pending;
    expect(isCancel(err)).toBeTrue();
    expect((err as AxiosError).code).toBe('ERR_CANCELED');
    await until(() => closedEarly.includes('/hang'));
  });

  it('a signal aborted before the request sends nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    let asked = false;
    arrived.set('/echo', () => (asked = true));
    const err = await ax.request({ method: 'GET', url: `${base}/echo`, signal: abort.signal }).catch((e: unknown) => e);
    expect(isCancel(err)).toBeTrue();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBeFalse();
  });

  it('hands over a streamed answer unread; aborting later cuts it and tells its reader', async () => {
    const abort = new AbortController();
    const res = await ax.request({ method: 'GET', url: `${base}/stream`, responseType: 'stream', signal: abort.signal });
    expect(res.status).toBe(200);
    const stream = res.data as Readable;
    expect(stream instanceof Readable).toBeTrue();
    const chunks: Buffer[] = [];
    const ended = new Promise<unknown>((resolve) => {
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (chunks.length === 2) abort.abort();
      });
      stream.on('error', resolve);
      stream.on('close', () => resolve('closed'));
    });
    const how = await ended;
    expect(how === 'closed' || isCancel(how)).toBeTrue();
    expect(stream.destroyed).toBeTrue();
    await until(() => closedEarly.includes('/stream'));
  });

  it('reads a streamed answer to its end when nothing aborts', async () => {
    const res = await ax.request({ method: 'GET', url: `${base}/stream`, responseType: 'stream' });
    let bytes = 0;
    for await (const c of res.data as Readable) bytes += (c as Buffer).length;
    expect(bytes).toBe(200 * 64 * 1024);
  });

  it('settles statuses by validateStatus: an error status rejects as an AxiosError carrying the answer', async () => {
    const err = (await ax.request({ method: 'GET', url: `${base}/status/503` }).catch((e: unknown) => e)) as AxiosError;
    expect(err instanceof AxiosError).toBeTrue();
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    expect(err.response?.status).toBe(503);
    expect(err.response?.headers['retry-after']).toBe('7');
    expect(JSON.parse(err.response?.data as string)).toEqual({ status: 503, code: 'service_unavailable', message: 'busy' });
    // Every status resolves when validateStatus says so (AxiosTransport's setting).
    const res = await ax.request({ method: 'GET', url: `${base}/status/503`, validateStatus: () => true });
    expect(res.status).toBe(503);
  });

  it('never follows a redirect', async () => {
    const res = await ax.request({ method: 'GET', url: `${base}/redirect`, validateStatus: () => true });
    expect(res.status).toBe(302);
    expect(res.headers['location']).toBe('/echo');
  });

  it('a connection reset before the answer rejects as an AxiosError with the socket code', async () => {
    const err = (await ax.request({ method: 'GET', url: `${base}/reset` }).catch((e: unknown) => e)) as AxiosError;
    expect(err instanceof AxiosError).toBeTrue();
    expect(err.code).toBe('ECONNRESET');
    expect(err.response).toBeUndefined();
  });

  it('an answer cut short rejects as an AxiosError (a buffered answer is never handed over half)', async () => {
    const err = (await ax.request({ method: 'GET', url: `${base}/cut` }).catch((e: unknown) => e)) as AxiosError;
    expect(err instanceof AxiosError).toBeTrue();
    expect(['ERR_BAD_RESPONSE', 'ECONNRESET']).toContain(err.code as string);
  });

  it('a timeout fails the request with ETIMEDOUT and closes it', async () => {
    const err = (await ax.request({ method: 'GET', url: `${base}/hang`, timeout: 50 }).catch((e: unknown) => e)) as AxiosError;
    expect(err instanceof AxiosError).toBeTrue();
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.message).toContain('50ms');
    await until(() => closedEarly.includes('/hang'));
  });

  it('reuses its keep-alive connections', async () => {
    const own = new http.Agent({ keepAlive: true });
    const adapter = createNodeHttpAdapter({ httpAgent: own, httpsAgent: new https.Agent({ keepAlive: true }), axios: { AxiosError, AxiosHeaders, CanceledError } });
    const sockets = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      const res = await ax.request({ adapter, method: 'POST', url: `${base}/echo`, data: 'x' });
      sockets.add(res.request.socket ?? res.request);
    }
    own.destroy();
    expect(sockets.size).toBe(1);
  });

  it('refuses what it cannot send as an AxiosError, before any request', async () => {
    const bad = (await ax.request({ method: 'GET', url: 'ftp://127.0.0.1/x' }).catch((e: unknown) => e)) as AxiosError;
    expect(bad instanceof AxiosError).toBeTrue();
    const badHeader = (await ax.request({ method: 'GET', url: `${base}/echo`, headers: { 'Bad Name': 'x' } }).catch((e: unknown) => e)) as AxiosError;
    expect(badHeader instanceof AxiosError).toBeTrue();
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
