/**
 * Failing fast and visibly: an unreachable realm before the first authorization (connection
 * refused, unknown host) fails in seconds with an error naming it; a server that accepts and never
 * answers, or stops mid-download, fails with `idle_timeout` after the retries; a transfer that is
 * slow but moving is not killed. Real sockets on 127.0.0.1: a closed port, a black-hole server,
 * and a TCP proxy in front of the emulator that stalls or trickles downloads.
 */
import net, { type AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { AxiosTransport, B2, B2Error, intoBuffer, toResponseBody, type B2Event, type B2HttpRequest, type B2RetryEvent, type B2Transport, type Bucket } from '../../src';
import { bucketName, bytes, client, failure, needsEmulator, sha1, startClientEmulator, upload, type Emu } from './support';

/** A port on 127.0.0.1 nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP server that accepts connections, reads what comes and never answers. */
async function blackHole(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type DownloadMode = 'pass' | 'stallHeaders' | 'stallBody' | 'trickle';

/**
 * A TCP proxy to `target` that passes everything through, except the answers to download
 * requests, by `mode()`: `stallHeaders` sends nothing back, `stallBody` the headers and the first
 * 1,000 body bytes then nothing, `trickle` 1 KiB every 20 ms. Counts download requests.
 */
async function downloadProxy(target: string, mode: () => DownloadMode) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let downloads = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let current: DownloadMode = 'pass';
    let seen = Buffer.alloc(0);
    let allowed = Infinity;
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    client.on('data', (chunk: Buffer) => {
      // A new request on this connection (no pipelining: the previous answer is complete).
      const text = chunk.toString('latin1');
      if (/^(GET|POST|HEAD) /.test(text)) {
        current = /^GET \/(file\/|b2api\/v\d\/b2_download_file_by)/.test(text) ? mode() : 'pass';
        if (current !== 'pass') downloads++;
        seen = Buffer.alloc(0);
        allowed = current === 'stallHeaders' ? 0 : Infinity;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (current === 'pass') return void client.write(chunk);
      if (current === 'trickle') {
        for (let at = 0; at < chunk.length; at += 1024) queue.push(chunk.subarray(at, at + 1024));
        timer ??= setInterval(() => {
          const next = queue.shift();
          if (next) client.write(next);
        }, 20);
        return;
      }
      if (current === 'stallBody' && allowed === Infinity) {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('\r\n\r\n');
        if (end >= 0) allowed = end + 4 + 1000;
        // Headers and the first 1,000 body bytes go through; the rest is swallowed.
        const pass = seen.subarray(0, Math.min(seen.length, allowed));
        client.write(pass);
        allowed -= pass.length;
        return;
      }
      const pass = chunk.subarray(0, Math.max(0, allowed));
      if (pass.length > 0) client.write(pass);
      allowed -= pass.length;
    });
    const end = () => {
      if (timer) clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    downloads: () => downloads,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The real transport (with these idle timeouts), sending everything meant for `from` to `to`. */
function redirected(from: string, to: string, idleMs: number): B2Transport {
  const inner = new AxiosTransport({ timeouts: { idleMs } });
  return { request: <T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> => inner.request<T>({ ...req, url: req.url.replace(from, to) }) };
}

describe('fail fast: an unreachable realm before the first authorization', () => {
  it('connection refused: fails within seconds (3 attempts), naming the realm and ECONNREFUSED', async () => {
    const port = await closedPort();
    const realm = `http://127.0.0.1:${port}`;
    const retries: B2RetryEvent[] = [];
    // The default retry settings: without the rule this waits out 8 attempts (~1–2 minutes).
    const b2 = new B2({ applicationKeyId: 'id', applicationKey: 'key', realm, onRetry: (e) => retries.push(e) });
    const err = await failure(b2.buckets.all());
    expect(err).toEqual(jasmine.objectContaining({ status: 0, code: 'network_error', osCode: 'ECONNREFUSED', operation: 'b2_authorize_account' }));
    expect(err.message).toBe(`cannot reach ${realm} (ECONNREFUSED)`);
    expect(err.isUnreachable).toBeTrue();
    expect(retries.map((r) => [r.operation, r.attempt, r.error.osCode])).toEqual([
      ['b2_authorize_account', 1, 'ECONNREFUSED'],
      ['b2_authorize_account', 2, 'ECONNREFUSED'],
    ]);
  }, 10_000);

  it('unknown host (DNS): fails within seconds, naming the realm and ENOTFOUND', async () => {
    const realm = 'http://rxb2-no-such-host.invalid';
    let retries = 0;
    const b2 = new B2({ applicationKeyId: 'id', applicationKey: 'key', realm, onRetry: () => retries++ });
    const err = await failure(b2.authorize());
    expect(err.code).toBe('network_error');
    // A resolver that cannot be asked at all says EAI_AGAIN; one that answers says ENOTFOUND.
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(err.osCode as string);
    expect(err.message).toBe(`cannot reach ${realm} (${err.osCode})`);
    expect(retries).toBe(2);
  }, 10_000);

  it('after a first authorization, an unreachable server is an outage: retried in full', async () => {
    needsEmulator('stops its server mid-spec');
    const emu = await startClientEmulator();
    const retries: B2RetryEvent[] = [];
    const b2 = client(emu, { retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 20 }, onRetry: (e) => retries.push(e) });
    await firstValueFrom(b2.authorize());
    await emu.close();
    const err = await failure(b2.buckets.all());
    expect(err.code).toBe('network_error');
    expect(err.osCode).toBe('ECONNREFUSED');
    expect(err.operation).toBe('b2_list_buckets');
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('retry: false still means one attempt', async () => {
    const realm = `http://127.0.0.1:${await closedPort()}`;
    let retries = 0;
    const b2 = new B2({ applicationKeyId: 'id', applicationKey: 'key', realm, retry: false, onRetry: () => retries++ });
    expect((await failure(b2.authorize())).osCode).toBe('ECONNREFUSED');
    expect(retries).toBe(0);
  });
});

describe('idle timeouts', () => {
  it('a server that accepts and never answers: idle_timeout after the retries, each attempt a new connection', async () => {
    const hole = await blackHole();
    try {
      const retries: B2RetryEvent[] = [];
      const b2 = new B2({
        applicationKeyId: 'id',
        applicationKey: 'key',
        realm: hole.url,
        timeouts: { idleMs: 200 },
        retry: { maxAttempts: 3, baseDelayMs: 10 },
        onRetry: (e) => retries.push(e),
      });
      const err = await failure(b2.buckets.all());
      expect(err).toEqual(jasmine.objectContaining({ status: 0, code: 'idle_timeout', operation: 'b2_authorize_account' }));
      expect(err.message).toBe(`the connection to ${hole.url} stalled: no data either way for 200 ms`);
      expect(err.isRetryable).toBeTrue();
      expect(retries.map((r) => [r.attempt, r.error.code])).toEqual([
        [1, 'idle_timeout'],
        [2, 'idle_timeout'],
      ]);
      expect(hole.connections()).toBe(3);
    } finally {
      await hole.close();
    }
  }, 10_000);

  describe('downloads through a proxy that stalls or trickles them', () => {
    let emu: Emu;
    let proxy: Awaited<ReturnType<typeof downloadProxy>>;
    let mode: DownloadMode;
    let bucketId: string;
    const data = bytes(40 * 1024, 11);

    beforeAll(async () => {
      emu = await startClientEmulator();
      proxy = await downloadProxy(emu.url, () => mode);
      const direct = client(emu);
      const bucket = await firstValueFrom(direct.buckets.create(bucketName('idle')));
      bucketId = bucket.bucketId;
      await upload(bucket, 'idle/data.bin', data);
    });
    afterAll(async () => {
      await proxy.close();
      await emu.close();
    });

    async function proxiedBucket(idleMs: number, onRetry?: (e: B2RetryEvent) => void): Promise<Bucket> {
      const b2 = client(emu, { transport: redirected(emu.url, proxy.url, idleMs), retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 }, onRetry });
      return firstValueFrom(b2.buckets.get({ bucketId }));
    }

    const download = (bucket: Bucket) => lastValueFrom(bucket.downloadFileByName('idle/data.bin').pipe(intoBuffer(), toResponseBody()));

    it('the answer never starts: each attempt is retried as idle_timeout, then the download fails with it', async () => {
      mode = 'stallHeaders';
      const retries: B2RetryEvent[] = [];
      const bucket = await proxiedBucket(200, (e) => retries.push(e));
      const before = proxy.downloads();
      const err = (await download(bucket).catch((e: unknown) => e)) as B2Error;
      expect(err).toBeInstanceOf(B2Error);
      expect(err.code).toBe('idle_timeout');
      expect(err.operation).toBe('b2_download_file_by_name');
      expect(retries.map((r) => [r.operation, r.attempt, r.error.code])).toEqual([
        ['b2_download_file_by_name', 1, 'idle_timeout'],
        ['b2_download_file_by_name', 2, 'idle_timeout'],
      ]);
      expect(proxy.downloads() - before).toBe(3);
    }, 10_000);

    it('the answer stops mid-body: resumed from the next byte, then fails with idle_timeout after the retries', async () => {
      mode = 'stallBody';
      const bucket = await proxiedBucket(200);
      const before = proxy.downloads();
      const err = (await download(bucket).catch((e: unknown) => e)) as B2Error;
      expect(err).toBeInstanceOf(B2Error);
      expect(err.code).toBe('idle_timeout');
      expect(err.isRetryable).toBeTrue();
      // The first request and two resumes (maxAttempts 3), each cut after 1,000 body bytes.
      expect(proxy.downloads() - before).toBe(3);
    }, 10_000);

    it('each resume after a mid-body stall is a retry told to onRetry (no wait), and the final error names the download call', async () => {
      mode = 'stallBody';
      const retries: B2RetryEvent[] = [];
      const bucket = await proxiedBucket(200, (e) => retries.push(e));
      const err = (await download(bucket).catch((e: unknown) => e)) as B2Error;
      expect(err).toBeInstanceOf(B2Error);
      expect(err.code).toBe('idle_timeout');
      expect(err.operation).toBe('b2_download_file_by_name');
      expect(retries.map((r) => [r.operation, r.attempt, r.delayMs, r.error.code])).toEqual([
        ['b2_download_file_by_name', 1, 0, 'idle_timeout'],
        ['b2_download_file_by_name', 2, 0, 'idle_timeout'],
      ]);
    }, 10_000);

    it('what onRetry throws at a mid-body resume fails the download with it, with no further request', async () => {
      mode = 'stallBody';
      const bucket = await proxiedBucket(200, () => {
        throw new Error('stop here');
      });
      const before = proxy.downloads();
      const err = (await download(bucket).catch((e: unknown) => e)) as Error;
      expect(err.message).toBe('stop here');
      expect(proxy.downloads() - before).toBe(1);
    }, 10_000);

    it('a download trickling in faster than the idle timeout completes, whatever its whole duration', async () => {
      mode = 'trickle';
      // 40 KiB at 1 KiB per 20 ms: ~0.8 s in all, 4 × the idle timeout, never 200 ms quiet.
      const bucket = await proxiedBucket(200);
      const before = proxy.downloads();
      const result = await download(bucket);
      expect(result.data.length).toBe(data.length);
      expect(sha1(result.data)).toBe(sha1(data));
      expect(proxy.downloads() - before).toBe(1);
    }, 10_000);

    it('passing through untouched, the same download completes with one request', async () => {
      mode = 'pass';
      const bucket = await proxiedBucket(200);
      const before = proxy.downloads();
      expect(sha1((await download(bucket)).data)).toBe(sha1(data));
      expect(proxy.downloads() - before).toBe(0);
    });
  });
});

describe('B2Options.timeouts', () => {
  const make =
    (timeouts: unknown, extra: object = {}) =>
    () =>
      new B2({ applicationKeyId: 'id', applicationKey: 'key', realm: 'http://127.0.0.1:1', timeouts: timeouts as never, ...extra });
  const invalid = (field: string) => (e: B2Error) => e instanceof B2Error && e.code === 'invalid_argument' && e.field === field;

  it('takes whole, non-negative ms (0 switches one off)', () => {
    expect(make({ connectMs: 5000, idleMs: 0 })).not.toThrow();
    expect(make({})).not.toThrow();
  });

  it('refuses anything else with invalid_argument naming the option', () => {
    expect(make({ idleMs: -1 })).toThrowMatching(invalid('timeouts.idleMs'));
    expect(make({ idleMs: 1.5 })).toThrowMatching(invalid('timeouts.idleMs'));
    expect(make({ connectMs: '10s' })).toThrowMatching(invalid('timeouts.connectMs'));
    expect(make({ connectMs: Infinity })).toThrowMatching(invalid('timeouts.connectMs'));
    expect(make({ readMs: 5 })).toThrowMatching(invalid('timeouts.readMs'));
    expect(make(5)).toThrowMatching(invalid('timeouts'));
    expect(make({ idleMs: 1000 }, { transport: new AxiosTransport() })).toThrowMatching(invalid('timeouts'));
  });
});
