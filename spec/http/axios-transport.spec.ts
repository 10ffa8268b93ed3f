/**
 * AxiosTransport over the Node platform's adapter, against a local node:http server on 127.0.0.1:
 * the events of a request, unsubscribe aborting it, B2's error answers and network failures as
 * B2Errors, and upload bodies (bytes in one write, streams counted as they are pulled).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { AxiosTransport, B2Error, type B2Event, type B2RequestLogEntry } from '../../src';

describe('AxiosTransport (Node)', () => {
  let server: http.Server;
  let base: string;
  let closedEarly: string[];
  let arrived: Map<string, () => void>;
  let log: B2RequestLogEntry[];
  let transport: AxiosTransport;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      arrived.get(path)?.();
      res.on('close', () => {
        if (!res.writableEnded) closedEarly.push(path);
      });
      if (path === '/b2api/v3/b2_echo') {
        const hash = createHash('sha1');
        let length = 0;
        req.on('data', (c: Buffer) => {
          hash.update(c);
          length += c.length;
        });
        req.on('end', () =>
          res
            .writeHead(200, { 'Content-Type': 'application/json', 'X-Bz-Thing': 'x' })
            .end(JSON.stringify({ length, sha1: hash.digest('hex'), contentType: req.headers['content-type'] ?? null, auth: req.headers.authorization ?? null })),
        );
      } else if (path === '/b2api/v3/b2_hang') {
        req.resume();
      } else if (path === '/b2api/v3/b2_busy') {
        req.resume();
        res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '3' }).end('{"status":503,"code":"service_unavailable","message":"try later"}');
      } else if (path === '/b2api/v3/b2_expired') {
        req.resume();
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"status":401,"code":"expired_auth_token","message":"Authorization token has expired"}');
      } else if (path === '/b2api/v3/b2_proxy_page') {
        req.resume();
        res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
      } else if (path === '/b2api/v3/b2_not_json') {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
      } else if (path === '/b2api/v3/b2_reset') {
        req.socket.destroy();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/b2api/v3`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    closedEarly = [];
    arrived = new Map();
    log = [];
    transport = new AxiosTransport({ userAgent: 'rxb2-spec', log: (e) => log.push(e) });
  });

  const run = <T>(o: Observable<B2Event<unknown, unknown>>) => lastValueFrom(o.pipe(toArray<B2Event<unknown, unknown>>())) as Promise<B2Event<T, unknown>[]>;

  it('a JSON call emits sent, responseHeader and the parsed response last', async () => {
    const events = await run<{ length: number; contentType: string; auth: string }>(
      transport.request({ method: 'POST', url: `${base}/b2_echo`, operation: 'b2_echo', headers: { Authorization: 'acct-token' }, json: { a: 1, b: 'ü' }, attempt: 2 }),
    );
    expect(events.map((e) => e.type)).toEqual(['sent', 'responseHeader', 'response']);
    expect(events[0]).toEqual({ type: 'sent', attempt: 2 });
    const response = events[2] as Extract<B2Event<{ length: number; contentType: string; auth: string }, unknown>, { type: 'response' }>;
    expect(response.status).toBe(200);
    expect(response.headers['x-bz-thing']).toBe('x');
    expect(response.body.contentType).toBe('application/json');
    expect(response.body.auth).toBe('acct-token');
    expect(response.body.length).toBe(Buffer.byteLength(JSON.stringify({ a: 1, b: 'ü' })));
    expect(log).toEqual([jasmine.objectContaining({ operation: 'b2_echo', method: 'POST', url: `${base}/b2_echo`, attempt: 2, status: 200 })]);
  });

  it('sends bytes in memory whole, reporting them sent once the answer came', async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    const progress: number[] = [];
    const events = await run<{ length: number; sha1: string }>(
      transport.request({
        method: 'POST',
        url: `${base}/b2_echo`,
        operation: 'b2_upload_file',
        headers: { 'Content-Type': 'b2/x-auto' },
        body: {
          length: bytes.length,
          bytes,
          open: () => {
            throw new Error('not opened');
          },
          onProgress: (n) => progress.push(n),
        },
      }),
    );
    const body = (events[events.length - 1] as { body: { length: number; sha1: string } }).body;
    expect(body.length).toBe(bytes.length);
    expect(body.sha1).toBe(createHash('sha1').update(bytes).digest('hex'));
    expect(progress).toEqual([bytes.length]);
  });

  it('streams a body, counting bytes as they are pulled', async () => {
    const chunk = new Uint8Array(256 * 1024).fill(3);
    const progress: number[] = [];
    let opened = 0;
    const events = await run<{ length: number }>(
      transport.request({
        method: 'POST',
        url: `${base}/b2_echo`,
        operation: 'b2_upload_part',
        body: {
          length: chunk.length * 8,
          open: () => {
            opened++;
            return (async function* () {
              for (let i = 0; i < 8; i++) yield chunk;
            })();
          },
          onProgress: (n) => progress.push(n),
        },
      }),
    );
    expect(opened).toBe(1);
    expect((events[events.length - 1] as { body: { length: number } }).body.length).toBe(chunk.length * 8);
    expect(progress[progress.length - 1]).toBe(chunk.length * 8);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('unsubscribing before the answer aborts the request and emits nothing more', async () => {
    const there = new Promise<void>((resolve) => arrived.set('/b2api/v3/b2_hang', resolve));
    const seen: string[] = [];
    const sub = transport.request({ method: 'POST', url: `${base}/b2_hang`, operation: 'b2_hang', json: {} }).subscribe({
      next: (e) => seen.push(e.type),
      error: () => seen.push('error'),
      complete: () => seen.push('complete'),
    });
    await there;
    sub.unsubscribe();
    await until(() => closedEarly.includes('/b2api/v3/b2_hang'));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['sent']);
    expect(log[0]).toEqual(jasmine.objectContaining({ operation: 'b2_hang', status: 0, code: 'aborted' }));
  });

  it('logs each request exactly once: answered, refused by B2, cut by the network, and aborted', async () => {
    await run(transport.request({ method: 'POST', url: `${base}/b2_echo`, operation: 'b2_echo', json: {} }));
    await run(transport.request({ method: 'POST', url: `${base}/b2_busy`, operation: 'b2_busy', json: {} })).catch(() => undefined);
    await run(transport.request({ method: 'POST', url: `${base}/b2_reset`, operation: 'b2_reset', json: {} })).catch(() => undefined);
    const there = new Promise<void>((resolve) => arrived.set('/b2api/v3/b2_hang', resolve));
    const sub = transport.request({ method: 'POST', url: `${base}/b2_hang`, operation: 'b2_hang', json: {} }).subscribe({ error: () => undefined });
    await there;
    sub.unsubscribe();
    // The aborted request's rejection arrives after the teardown: let it, and the server see the close.
    await until(() => closedEarly.includes('/b2api/v3/b2_hang'));
    await new Promise((r) => setTimeout(r, 20));
    expect(log.map((e) => [e.operation, e.status, e.code])).toEqual([
      ['b2_echo', 200, undefined],
      ['b2_busy', 503, 'service_unavailable'],
      ['b2_reset', 0, 'network_error'],
      ['b2_hang', 0, 'aborted'],
    ]);
  });

  it("maps B2's error answers to B2Errors: status, code, message and Retry-After", async () => {
    const busy = await run(transport.request({ method: 'POST', url: `${base}/b2_busy`, operation: 'b2_busy', json: {} })).catch((e: unknown) => e);
    expect(busy instanceof B2Error).toBeTrue();
    expect(busy).toEqual(jasmine.objectContaining({ status: 503, code: 'service_unavailable', message: 'try later', retryAfter: 3, operation: 'b2_busy' }));
    expect((busy as B2Error).isRetryable).toBeTrue();
    const expired = (await run(transport.request({ method: 'POST', url: `${base}/b2_expired`, operation: 'b2_x', json: {} })).catch((e: unknown) => e)) as B2Error;
    expect(expired.isExpiredAuth).toBeTrue();
    // A foreign body falls back to the HTTP status.
    const page = (await run(transport.request({ method: 'GET', url: `${base}/b2_proxy_page`, operation: 'b2_y' })).catch((e: unknown) => e)) as B2Error;
    expect(page).toEqual(jasmine.objectContaining({ status: 502, code: 'http_502' }));
    const streamed = (await run(transport.request({ method: 'GET', url: `${base}/b2_busy`, operation: 'b2_download_file_by_id', responseType: 'stream' })).catch(
      (e: unknown) => e,
    )) as B2Error;
    expect(streamed).toEqual(jasmine.objectContaining({ status: 503, code: 'service_unavailable', retryAfter: 3 }));
  });

  it('a connection reset is a retryable network_error naming the socket code, never the HTTP library', async () => {
    const err = (await run(transport.request({ method: 'POST', url: `${base}/b2_reset`, operation: 'b2_reset', json: {} })).catch((e: unknown) => e)) as B2Error;
    expect(err instanceof B2Error).toBeTrue();
    expect(err.code).toBe('network_error');
    expect(err.message).toBe('network error (ECONNRESET)');
    expect(err.isRetryable).toBeTrue();
    expect(err.needsNewUploadUrl).toBeTrue();
    expect(String(err)).not.toMatch(/axios/i);
  });

  it("behind a proxy (axios' own Node adapter) a proxy that never answers is an idle_timeout too", async () => {
    const sockets: net.Socket[] = [];
    const hole = net.createServer((socket) => {
      sockets.push(socket);
      socket.resume(); // reads the request, never answers
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const proxy = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = proxy;
      delete process.env.NO_PROXY;
      const proxied = new AxiosTransport({ timeouts: { idleMs: 100 } });
      const err = (await run(proxied.request({ method: 'POST', url: `${base}/b2_echo`, operation: 'b2_echo', json: {} })).catch((e: unknown) => e)) as B2Error;
      expect(err).toBeInstanceOf(B2Error);
      expect(err).toEqual(jasmine.objectContaining({ status: 0, code: 'idle_timeout', operation: 'b2_echo' }));
      expect(err.message).toBe(`the connection to ${new URL(base).origin} stalled: no data either way for 100 ms`);
      expect(sockets.length).toBe(1); // it went through the proxy
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hole.close(resolve));
    }
  });

  it('an answer that is not JSON is a bad_response', async () => {
    const err = (await run(transport.request({ method: 'GET', url: `${base}/b2_not_json`, operation: 'b2_z' })).catch((e: unknown) => e)) as B2Error;
    expect(err).toEqual(jasmine.objectContaining({ status: 0, code: 'bad_response' }));
  });

  it('a server that never answers is a retryable idle_timeout naming the server, and the request is closed', async () => {
    const slow = new AxiosTransport({ timeouts: { idleMs: 50 } });
    const err = (await run(slow.request({ method: 'POST', url: `${base}/b2_hang`, operation: 'b2_hang', json: {} })).catch((e: unknown) => e)) as B2Error;
    expect(err).toBeInstanceOf(B2Error);
    expect(err).toEqual(jasmine.objectContaining({ status: 0, code: 'idle_timeout', operation: 'b2_hang' }));
    expect(err.message).toBe(`the connection to ${new URL(base).origin} stalled: no data either way for 50 ms`);
    expect(err.isRetryable).toBeTrue();
    expect(err.needsNewUploadUrl).toBeTrue();
    await until(() => closedEarly.includes('/b2api/v3/b2_hang'));
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
