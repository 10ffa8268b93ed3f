import * as http from 'node:http';
import * as b2 from '../helpers/b2-http';

/** What a client saw of a request the emulator stalled: the answer's head (if any) and the body bytes, once the connection ended. */
interface Seen {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body: Buffer;
  /** Resolves when the connection ends (here: when the emulator is closed). */
  ended: Promise<void>;
  /** Resolves once the head and at least `bodyBytes` body bytes arrived. */
  reached(bodyBytes: number): Promise<void>;
}

function watch(url: string, options: http.RequestOptions, body?: Buffer): Seen {
  const chunks: Buffer[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const seen: Seen = { body: Buffer.alloc(0), ended: undefined as unknown as Promise<void>, reached: () => Promise.resolve() };
  let headed = false;
  const wake = () => {
    seen.body = Buffer.concat(chunks);
    for (const w of [...waiters]) {
      if (headed && seen.body.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  seen.reached = (n) =>
    new Promise<void>((resolve) => {
      waiters.push({ n, resolve });
      wake();
    });
  seen.ended = new Promise<void>((resolve) => {
    const req = http.request(url, { ...options, agent: false }, (res) => {
      seen.status = res.statusCode;
      seen.headers = res.headers;
      headed = true;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        wake();
      });
      res.on('error', () => resolve());
      res.on('close', () => resolve());
      wake();
    });
    req.on('error', () => resolve());
    req.end(body);
  });
  return seen;
}

async function injectedStalls(emu: b2.Emu, n: number): Promise<void> {
  // The emulator counts a fault when it takes it; wait for the request to get there.
  while ((emu.faults.injected().stall ?? 0) < n) await new Promise((r) => setTimeout(r, 5));
}

describe('emu-http stall fault', () => {
  const data = b2.randomData(5000);

  async function withFile(fn: (emu: b2.Emu, auth: b2.Auth, bucket: any) => Promise<void>): Promise<void> {
    const emu = await b2.startSpecEmulator();
    let closed = false;
    try {
      const auth = await b2.authorize(emu);
      const bucket = await b2.createBucket(auth);
      await b2.uploadOk(auth, bucket.bucketId, 'stall/file.bin', data);
      await fn(emu, auth, bucket);
      closed = true;
    } finally {
      if (!closed) await emu.close();
    }
  }

  it('without afterBytes: the request is taken and nothing is answered; close() ends it and does not hang', async () => {
    await withFile(async (emu, auth) => {
      emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'stall' } });
      const body = Buffer.from(JSON.stringify({ accountId: auth.accountId }));
      const seen = watch(`${auth.apiUrl}/b2api/v3/b2_list_buckets`, { method: 'POST', headers: { Authorization: auth.token, 'Content-Length': body.length } }, body);
      await injectedStalls(emu, 1);
      // Other connections are served meanwhile.
      b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId }));
      await emu.close();
      await seen.ended;
      expect(seen.status).toBeUndefined();
      expect(seen.body.length).toBe(0);
    });
  });

  it('afterBytes on a download: the status, headers and that many body bytes, then nothing until close()', async () => {
    await withFile(async (emu, auth, bucket) => {
      emu.faults.add({ call: 'b2_download_file_by_name', fault: { kind: 'stall', afterBytes: 1200 } });
      const seen = watch(`${auth.downloadUrl}/file/${bucket.bucketName}/stall/file.bin`, { headers: { Authorization: auth.token } });
      await seen.reached(1200);
      expect(seen.status).toBe(200);
      expect(seen.headers!['content-length']).toBe('5000');
      expect(seen.headers!['x-bz-content-sha1']).toBe(b2.sha1hex(data));
      await emu.close();
      await seen.ended;
      expect(seen.body.equals(data.subarray(0, 1200)))
        .withContext(`got ${seen.body.length} bytes`)
        .toBeTrue();
    });
  });

  it('afterBytes 0 on a JSON call: the head only', async () => {
    await withFile(async (emu, auth) => {
      emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'stall', afterBytes: 0 } });
      const body = Buffer.from(JSON.stringify({ accountId: auth.accountId }));
      const seen = watch(`${auth.apiUrl}/b2api/v3/b2_list_buckets`, { method: 'POST', headers: { Authorization: auth.token, 'Content-Length': body.length } }, body);
      await seen.reached(0);
      expect(seen.status).toBe(200);
      expect(Number(seen.headers!['content-length'])).toBeGreaterThan(0);
      await emu.close();
      await seen.ended;
      expect(seen.body.length).toBe(0);
    });
  });

  it('a stalled upload stores nothing; the next upload works', async () => {
    await withFile(async (emu, auth, bucket) => {
      emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'stall' } });
      const up = await b2.getUploadUrl(auth, bucket.bucketId);
      const seen = watch(
        up.uploadUrl,
        {
          method: 'POST',
          headers: {
            Authorization: up.authorizationToken,
            'X-Bz-File-Name': 'stall/up.bin',
            'Content-Type': 'b2/x-auto',
            'X-Bz-Content-Sha1': b2.sha1hex(data),
            'Content-Length': data.length,
          },
        },
        data,
      );
      await injectedStalls(emu, 1);
      const versions = b2.expectOk(await b2.call(auth, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'stall/up' }));
      expect(versions.files).toEqual([]);
      b2.expectOk(await b2.uploadFile(await b2.getUploadUrl(auth, bucket.bucketId), { name: 'stall/up.bin', data }));
      await emu.close();
      await seen.ended;
      expect(seen.status).toBeUndefined();
    });
  });
});
