/**
 * The Node adapter's own timeouts (src/http/node-http-adapter.ts), against local servers on
 * 127.0.0.1: a connection never made (connectTimeoutMs), a server that owes a byte and sends none
 * (idleTimeoutMs: before the answer, mid-body of a streamed answer, an upload the server does not
 * read), and what is NOT a stall: a slow producer of the request body, a slow reader of the
 * answer, an answer that trickles in faster than the idle timeout.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import axios, { AxiosError, AxiosHeaders, CanceledError, type AxiosInstance } from 'axios';
import { B2Error } from '../../src';
import type { NodeAdapterTimeouts } from '../../src/http/node-http-adapter';
import { createNodeHttpAdapter } from '../../src/http/node-http-adapter';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('node:http axios adapter timeouts', () => {
  let server: http.Server;
  let base: string;
  let agent: http.Agent;
  let ax: AxiosInstance;
  /** Requests the server saw closed before it answered them. */
  let closedEarly: string[];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      res.on('close', () => {
        if (!res.writableEnded) closedEarly.push(path);
      });
      switch (path) {
        case '/hang':
          req.resume();
          return; // never answers
        case '/no-read':
          return; // never reads the body, never answers
        case '/echo-length': {
          let length = 0;
          req.on('data', (c: Buffer) => (length += c.length));
          req.on('end', () => res.end(String(length)));
          return;
        }
        case '/stall-mid-body':
          res.writeHead(200, { 'Content-Length': '100000' });
          res.write(Buffer.alloc(1000, 7));
          return; // the other 99,000 bytes never come
        case '/trickle': {
          // 40 chunks of 1 KiB, one every 20 ms: slow, but never quiet for long.
          res.writeHead(200, { 'Content-Length': String(40 * 1024) });
          let sent = 0;
          const more = () => {
            if (res.destroyed) return;
            res.write(Buffer.alloc(1024, sent));
            if (++sent === 40) res.end();
            else setTimeout(more, 20);
          };
          more();
          return;
        }
        case '/small':
          res.writeHead(200, { 'Content-Length': '1000' }).end(Buffer.alloc(1000, 1));
          return;
        case '/big':
          res.writeHead(200, { 'Content-Length': String(64 * 65536) });
          for (let i = 0; i < 64; i++) res.write(Buffer.alloc(65536, i));
          res.end();
          return;
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = new http.Agent({ keepAlive: true });
    ax = axiosOver(agent);
  });

  afterAll(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    closedEarly = [];
  });

  function axiosOver(httpAgent: http.Agent): AxiosInstance {
    const adapter = createNodeHttpAdapter({ httpAgent, httpsAgent: new https.Agent(), axios: { AxiosError, AxiosHeaders, CanceledError } });
    return axios.create({ adapter, transformRequest: [], transformResponse: [] });
  }

  const request = (config: Parameters<AxiosInstance['request']>[0] & NodeAdapterTimeouts) => ax.request(config);

  async function readAll(stream: Readable): Promise<number> {
    let n = 0;
    for await (const chunk of stream) n += (chunk as Buffer).length;
    return n;
  }

  it('no connection within connectTimeoutMs fails with ERR_CONNECT_TIMEOUT and closes the attempt', async () => {
    // A connection whose DNS look-up never answers: it stays "connecting" for ever.
    let socket: net.Socket | undefined;
    const stuck = new http.Agent();
    stuck.createConnection = ((options: net.NetConnectOpts) => {
      socket = net.connect({ ...(options as net.TcpNetConnectOpts), lookup: () => undefined });
      return socket;
    }) as typeof stuck.createConnection;
    const err = (await axiosOver(stuck)
      .request({ url: 'http://never.example:80/', connectTimeoutMs: 100 } as Parameters<AxiosInstance['request']>[0])
      .catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe('ERR_CONNECT_TIMEOUT');
    expect(err.message).toBe('no connection within 100 ms');
    expect(socket?.destroyed).toBeTrue();
  });

  it('a connection made in time is not cut by connectTimeoutMs later', async () => {
    const res = await request({ url: `${base}/trickle`, connectTimeoutMs: 50 });
    expect((res.data as string).length).toBe(40 * 1024);
  });

  it('a server that never answers fails with ERR_IDLE_TIMEOUT after idleTimeoutMs, and the request is closed', async () => {
    const err = (await request({ method: 'POST', url: `${base}/hang`, data: '{}', idleTimeoutMs: 100 }).catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe('ERR_IDLE_TIMEOUT');
    expect(err.message).toBe('no data either way for 100 ms');
    await until(() => closedEarly.includes('/hang'));
  });

  it('an upload the server stops reading fails with ERR_IDLE_TIMEOUT (writes blocked on the network)', async () => {
    let pulled = 0;
    // 1 MiB chunks up to 256 MiB: far more than the socket buffers hold, so writing blocks.
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 256; i++) {
          pulled++;
          yield Buffer.alloc(1 << 20, i);
        }
      })(),
    );
    const err = (await request({ method: 'POST', url: `${base}/no-read`, data: body, headers: { 'Content-Length': String(256 << 20) }, idleTimeoutMs: 200 }).catch(
      (e: unknown) => e,
    )) as AxiosError;
    expect(err.code).toBe('ERR_IDLE_TIMEOUT');
    expect(pulled).toBeLessThan(256);
  });

  it('a body produced slowly by the caller is not a stall (the server owes nothing meanwhile)', async () => {
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000, 1);
        await sleep(400); // 4 × the idle timeout, waiting for the caller's own bytes
        yield Buffer.alloc(1000, 2);
      })(),
    );
    const res = await request({ method: 'POST', url: `${base}/echo-length`, data: body, headers: { 'Content-Length': '2000' }, idleTimeoutMs: 100 });
    expect(res.data).toBe('2000');
  });

  it('a streamed answer that stops mid-body is destroyed with an idle_timeout B2Error its reader sees', async () => {
    const res = await request({ url: `${base}/stall-mid-body`, responseType: 'stream', idleTimeoutMs: 150 });
    let got = 0;
    const err = await (async () => {
      for await (const chunk of res.data as Readable) got += (chunk as Buffer).length;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(B2Error);
    expect(err).toEqual(jasmine.objectContaining({ code: 'idle_timeout', status: 0, message: 'the connection stalled: no data either way for 150 ms' }));
    expect((err as B2Error).isRetryable).toBeTrue();
    expect(got).toBe(1000);
  });

  it('a buffered answer that stops mid-body fails with ERR_IDLE_TIMEOUT', async () => {
    const err = (await request({ url: `${base}/stall-mid-body`, idleTimeoutMs: 100 }).catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe('ERR_IDLE_TIMEOUT');
  });

  it('an answer trickling in faster than the idle timeout is not killed, however long it takes in all', async () => {
    // 40 chunks 20 ms apart: ~800 ms in all, 8 × the idle timeout, never 100 ms quiet.
    const streamed = await request({ url: `${base}/trickle`, responseType: 'stream', idleTimeoutMs: 100 });
    expect(await readAll(streamed.data as Readable)).toBe(40 * 1024);
    const buffered = await request({ url: `${base}/trickle`, idleTimeoutMs: 100 });
    expect((buffered.data as string).length).toBe(40 * 1024);
  });

  it('a streamed answer all received but not read yet is not a stall', async () => {
    // 1,000 bytes: under the stream's buffer, so the socket is never paused by backpressure.
    const res = await request({ url: `${base}/small`, responseType: 'stream', idleTimeoutMs: 100 });
    await sleep(400);
    expect(await readAll(res.data as Readable)).toBe(1000);
  });

  it('a reader that pauses longer than the idle timeout is not a stall (backpressure, not the server)', async () => {
    const res = await request({ url: `${base}/big`, responseType: 'stream', idleTimeoutMs: 100 });
    const stream = res.data as Readable;
    let n = 0;
    for await (const chunk of stream) {
      n += (chunk as Buffer).length;
      if (n === (chunk as Buffer).length) await sleep(400); // after the first chunk: 4 × the idle timeout
    }
    expect(n).toBe(64 * 65536);
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
