import * as b2 from '../helpers/b2-http';

function expectGoodDate(res: b2.RawResponse, context: string): void {
  const d = res.headers['date'];
  expect(d).withContext(`${context}: Date header`).toBeDefined();
  // RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT"
  expect(String(d))
    .withContext(`${context}: RFC 1123`)
    .toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  const t = Date.parse(String(d));
  expect(Math.abs(t - Date.now()))
    .withContext(`${context}: within 10 min of real clock`)
    .toBeLessThan(10 * 60 * 1000);
}

// https://www.backblaze.com/apidocs/introduction-to-the-b2-native-api, https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes
describe('emu-http protocol', () => {
  const fx = b2.useEmulator({ bucket: true });
  let file: any;

  beforeAll(async () => {
    file = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'proto/hello.txt', 'hello protocol', { contentType: 'text/plain' });
  });

  describe('Date header on every response', () => {
    it('on authorize, JSON success and JSON error', async () => {
      expectGoodDate(await b2.authorizeRaw(fx.emu), 'authorize');
      expectGoodDate(await b2.authorizeRaw(fx.emu, { key: 'wrong' }), 'authorize 401');
      expectGoodDate(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }), 'list_buckets');
      expectGoodDate(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }, { token: 'bogus' }), 'list_buckets 401');
      expectGoodDate(await b2.call(fx.auth, 'b2_list_file_names', {}), 'list_file_names 400');
    });

    it('on unknown calls, downloads (incl. HEAD and 404) and uploads', async () => {
      expectGoodDate(await b2.call(fx.auth, 'b2_nope', {}), 'unknown call');
      expectGoodDate(await b2.request(`${fx.emu.url}/nothing/here`), 'unknown path');
      expectGoodDate(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'proto/hello.txt'), 'download');
      expectGoodDate(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'proto/hello.txt', { method: 'HEAD' }), 'HEAD');
      expectGoodDate(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'proto/missing.txt'), 'download 404');
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      expectGoodDate(await b2.uploadFile(up, { name: 'proto/d.txt', data: 'x' }), 'upload');
      expectGoodDate(await b2.uploadFile(up, { name: 'proto/d.txt', data: 'x', sha1: '0'.repeat(40) }), 'upload 400');
    });
  });

  describe('response conventions', () => {
    it('success JSON: 200, application/json content type, Cache-Control max-age=0, no-cache, no-store', async () => {
      const res = await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId });
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type']).toLowerCase()).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('max-age=0, no-cache, no-store');
    });

    it('error JSON: {status, code, message} with status equal to the HTTP status, JSON content type', async () => {
      const res = await b2.call(fx.auth, 'b2_get_file_info', { fileId: 'bad-id' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(String(res.headers['content-type']).toLowerCase()).toMatch(/^application\/json/);
      expect(Object.keys(res.json).sort()).toEqual(jasmine.arrayContaining(['code', 'message', 'status']));
      expect(res.json.status).toBe(res.status);
    });

    it('fileName comes back raw UTF-8 in JSON (not percent-encoded)', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'proto/ü 自由+%.txt', 'x');
      expect(f.fileName).toBe('proto/ü 自由+%.txt');
      const info = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(info.fileName).toBe('proto/ü 自由+%.txt');
    });

    it('timestamps are integer milliseconds', async () => {
      expect(Number.isInteger(file.uploadTimestamp)).toBeTrue();
      expect(Math.abs(file.uploadTimestamp - Date.now())).toBeLessThan(10 * 60 * 1000);
    });
  });

  describe('request encoding', () => {
    it('JSON null is treated exactly like an absent field', async () => {
      const lb = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: null, bucketName: null, bucketTypes: null }));
      expect(lb.buckets.map((b: any) => b.bucketId)).toContain(fx.bucket.bucketId);
      const lf = b2.expectOk(
        await b2.call(fx.auth, 'b2_list_file_names', {
          bucketId: fx.bucket.bucketId,
          startFileName: null,
          maxFileCount: null,
          prefix: null,
          delimiter: null,
        }),
      );
      expect(lf.files.map((f: any) => f.fileName)).toContain('proto/hello.txt');
      const lv = b2.expectOk(
        await b2.call(fx.auth, 'b2_list_file_versions', {
          bucketId: fx.bucket.bucketId,
          startFileName: null,
          startFileId: null,
          maxFileCount: null,
          prefix: null,
          delimiter: null,
        }),
      );
      expect(lv.files.length).toBeGreaterThan(0);
      const up = b2.expectOk(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId, foo: null }));
      expect(up.uploadUrl).toBeDefined();
    });

    it('unknown JSON fields are ignored', async () => {
      b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, someFutureField: 'x', another: 3 }));
    });

    it('POST without Content-Type is accepted (b2sdk does not send one)', async () => {
      const res = await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }, { contentType: null });
      b2.expectOk(res);
    });

    it('GET with query parameters works for JSON calls', async () => {
      const lb = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketName: fx.bucket.bucketName }, { method: 'GET' }));
      expect(lb.buckets.length).toBe(1);
      expect(lb.buckets[0].bucketId).toBe(fx.bucket.bucketId);
      const lf = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, maxFileCount: 1, prefix: 'proto/' }, { method: 'GET' }));
      expect(lf.files.length).toBe(1);
      const up = b2.expectOk(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }, { method: 'GET' }));
      expect(up.bucketId).toBe(fx.bucket.bucketId);
      const fi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: file.fileId }, { method: 'GET' }));
      expect(fi.fileId).toBe(file.fileId);
    });

    it('GET query maxFileCount out of range → 400 out_of_range like POST', async () => {
      const res = await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, maxFileCount: 0 }, { method: 'GET' });
      b2.expectError(res, 400, 'out_of_range');
    });

    it('malformed JSON body → 400 (bad_request / bad_json)', async () => {
      const res = await b2.call(fx.auth, 'b2_list_buckets', undefined, { rawBody: '{"accountId": ' });
      b2.expectError(res, 400, ['bad_request', 'bad_json']);
      const res2 = await b2.call(fx.auth, 'b2_list_buckets', undefined, { rawBody: '[1,2,3]' });
      b2.expectError(res2, 400, ['bad_request', 'bad_json']);
    });

    it('wrong field types → 400', async () => {
      const res = await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, maxFileCount: 'lots' });
      b2.expectError(res, 400, ['bad_request', 'bad_json', 'out_of_range']);
      const res2 = await b2.call(fx.auth, 'b2_list_buckets', { accountId: 12345 });
      b2.expectError(res2, [400, 401], ['bad_request', 'bad_json', 'unauthorized']);
    });

    it('missing required field → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_file_names', {}), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_url', {}), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId }), 400, 'bad_request');
    });
  });

  describe('routing', () => {
    /** b2_list_buckets sent raw, so the path version and the method can be anything. */
    function rawListBuckets(version: string, method: string): Promise<b2.RawResponse> {
      return b2.request(`${fx.emu.url}/b2api/${version}/b2_list_buckets`, {
        method,
        headers: { Authorization: fx.auth.token },
        body: JSON.stringify({ accountId: fx.auth.accountId }),
      });
    }

    it('unknown call → 404 B2 JSON error', async () => {
      const res = await b2.call(fx.auth, 'b2_no_such_call', {});
      b2.expectError(res, 404, 'not_found');
    });

    it('unknown API version → 404', async () => {
      b2.expectError(await rawListBuckets('v9', 'POST'), 404, 'not_found');
    });

    it('unknown path → 404 B2 JSON error; never a 3xx', async () => {
      const res = await b2.request(`${fx.emu.url}/some/where`);
      b2.expectError(res, 404, 'not_found');
      const res2 = await b2.request(`${fx.emu.url}/`);
      expect(res2.status).toBeGreaterThanOrEqual(400);
    });

    // https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes
    it('a method other than GET/POST on a JSON call → 405 method_not_allowed', async () => {
      b2.expectError(await rawListBuckets('v2', 'PUT'), 405, 'method_not_allowed');
    });

    it('v3 and v4 paths serve the other calls exactly like v2', async () => {
      for (const v of [3, 4]) {
        const lf = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'proto/hello' }, { version: v }));
        expect(lf.files.length).toBe(1);
        expect(lf.files[0].contentLength).toBe(14);
        expect(lf.files[0].size).toBeUndefined();
      }
    });
  });

  describe('API v1 file objects', () => {
    it('v1 upload response, get_file_info and lists carry size = contentLength', async () => {
      const a1 = await b2.authorize(fx.emu, { version: 1 });
      const upj = b2.expectOk(await b2.call(a1, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }));
      expect(upj.uploadUrl).toMatch(/\/b2api\/v\d\/b2_upload_file\/[^/]+\/[^/]+$/);
      const res = await b2.uploadFile(upj, { name: 'proto/v1.bin', data: Buffer.alloc(77, 1) });
      const f = b2.expectOk(res);
      expect(f.size).toBe(77);
      expect(f.contentLength).toBe(77);
      const gi = b2.expectOk(await b2.call(a1, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi.size).toBe(77);
      const lf = b2.expectOk(await b2.call(a1, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'proto/v1.bin' }));
      expect(lf.files[0].size).toBe(77);
      const lv = b2.expectOk(await b2.call(a1, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'proto/v1.bin' }));
      expect(lv.files[0].size).toBe(77);
    });

    it('v2 file objects do not carry size', async () => {
      const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: file.fileId }));
      expect(gi.size).toBeUndefined();
      expect(gi.contentLength).toBe(14);
    });
  });

  // https://www.backblaze.com/apidocs/b2-list-file-versions
  describe('file object shape', () => {
    it('upload result has every v2 field', async () => {
      expect(file).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          action: 'upload',
          bucketId: fx.bucket.bucketId,
          contentLength: 14,
          contentMd5: b2.md5hex('hello protocol'),
          contentSha1: b2.sha1hex('hello protocol'),
          contentType: 'text/plain',
          fileInfo: {},
          fileName: 'proto/hello.txt',
        }),
      );
      expect(typeof file.fileId).toBe('string');
      expect(file.fileId.length).toBeLessThanOrEqual(200);
      expect(file.fileRetention).toEqual(jasmine.objectContaining({ isClientAuthorizedToRead: true }));
      expect(file.legalHold).toEqual(jasmine.objectContaining({ isClientAuthorizedToRead: true, value: null }));
      if (file.serverSideEncryption !== undefined) {
        expect(file.serverSideEncryption).toEqual(jasmine.objectContaining({ mode: null }));
      }
    });
  });
});

// https://www.backblaze.com/apidocs/introduction-to-the-b2-native-api
describe('emu-http Date header vs emulator clock', () => {
  it('the Date header keeps the real clock after advanceClock (b2sdk rejects > 10 min skew)', async () => {
    await b2.withEmulator({}, async (emu) => {
      emu.advanceClock(25 * 3600 * 1000);
      const res = await b2.authorizeRaw(emu);
      expect(res.status).toBe(200);
      expectGoodDate(res, 'after advanceClock');
    });
  });
});

describe('emu-http persistence (dataDir)', () => {
  it('a restarted emulator with the same dataDir keeps the master key, buckets and file bytes', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-emu-spec-'));
    try {
      const first = await b2.withEmulator({ dataDir: dir }, async (emu) => {
        const auth = await b2.authorize(emu);
        const bucket = await b2.createBucket(auth);
        const f = await b2.uploadOk(auth, bucket.bucketId, 'persist/a.txt', 'persisted bytes');
        return { keyId: emu.keyId, secret: emu.applicationKey, bucket, f };
      });

      await b2.withEmulator({ dataDir: dir }, async (emu) => {
        expect(emu.keyId).toBe(first.keyId);
        expect(emu.applicationKey).toBe(first.secret);
        const auth = await b2.authorize(emu);
        const lb = b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketId: first.bucket.bucketId }));
        expect(lb.buckets.length).toBe(1);
        const d = await b2.downloadById(auth, first.f.fileId);
        expect(d.status).toBe(200);
        expect(d.text).toBe('persisted bytes');
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
