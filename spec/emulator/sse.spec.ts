import { randomBytes } from 'node:crypto';
import * as b2 from '../helpers/b2-http';

function ssecHeaders(key: Buffer): b2.Headers {
  return {
    'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256',
    'X-Bz-Server-Side-Encryption-Customer-Key': key.toString('base64'),
    'X-Bz-Server-Side-Encryption-Customer-Key-Md5': b2.md5b64(key),
  };
}

function ssecJson(key: Buffer): Record<string, string> {
  return { mode: 'SSE-C', algorithm: 'AES256', customerKey: key.toString('base64'), customerKeyMd5: b2.md5b64(key) };
}

// https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api
describe('emu-http server-side encryption', () => {
  const fx = b2.useEmulator({ bucket: true });
  const KEY = randomBytes(32);
  const OTHER_KEY = randomBytes(32);

  describe('SSE-B2', () => {
    it('X-Bz-Server-Side-Encryption: AES256 → serverSideEncryption SSE-B2; download carries the header', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'b2/enc.txt', 'secret-ish', { headers: { 'X-Bz-Server-Side-Encryption': 'AES256' } });
      expect(f.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const d = await b2.downloadById(fx.auth, f.fileId);
      expect(d.status).toBe(200);
      expect(d.text).toBe('secret-ish');
      expect(d.headers['x-bz-server-side-encryption']).toBe('AES256');
    });

    it('unknown algorithm → 400 bad_request', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'b2/bad.txt', data: 'x', headers: { 'X-Bz-Server-Side-Encryption': 'AES128' } }), 400, 'bad_request');
    });

    it('unencrypted files report mode null (or omit the field)', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'b2/plain.txt', 'x');
      if (f.serverSideEncryption !== undefined) expect(f.serverSideEncryption).toEqual(jasmine.objectContaining({ mode: null }));
      const d = await b2.downloadById(fx.auth, f.fileId);
      expect(d.headers['x-bz-server-side-encryption']).toBeUndefined();
    });

    it('bucket default SSE-B2 applies to uploads without the header and to large files', async () => {
      const b = await b2.createBucket(fx.auth, { defaultServerSideEncryption: { mode: 'SSE-B2', algorithm: 'AES256' } });
      expect(b.defaultServerSideEncryption).toEqual({ isClientAuthorizedToRead: true, value: { mode: 'SSE-B2', algorithm: 'AES256' } });
      const f = await b2.uploadOk(fx.auth, b.bucketId, 'default.txt', 'x');
      expect(f.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const s = await b2.startLarge(fx.auth, b.bucketId, 'default-large.bin');
      expect(s.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const u = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, defaultServerSideEncryption: { mode: null } }));
      expect(u.defaultServerSideEncryption.value.mode).toBeNull();
    });

    it('SSE-C cannot be a bucket default → 400', async () => {
      const res = await b2.createBucketRaw(fx.auth, { bucketName: b2.uniqueBucketName('ssec'), defaultServerSideEncryption: { mode: 'SSE-C', algorithm: 'AES256' } });
      b2.expectError(res, 400, 'bad_request');
    });

    it('the header budget drops to 2048 bytes with SSE', async () => {
      const infos: Record<string, string> = {};
      for (let i = 0; i < 10; i++) infos[`k${i}`] = 'v'.repeat(250);
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectOk(await b2.uploadFile(up, { name: 'b2/budget-plain', data: 'x', info: infos }));
      b2.expectError(await b2.uploadFile(up, { name: 'b2/budget-sse', data: 'x', info: infos, headers: { 'X-Bz-Server-Side-Encryption': 'AES256' } }), 400, 'bad_request');
      b2.expectError(await b2.uploadFile(up, { name: 'b2/budget-ssec', data: 'x', info: infos, headers: ssecHeaders(KEY) }), 400, 'bad_request');
    });
  });

  describe('SSE-C', () => {
    let file: any;
    const DATA = Buffer.from('customer-key protected bytes');

    beforeAll(async () => {
      file = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'c/file.bin', DATA, { headers: ssecHeaders(KEY) });
    });

    it('upload reports SSE-C', () => {
      expect(file.serverSideEncryption).toEqual(jasmine.objectContaining({ mode: 'SSE-C', algorithm: 'AES256' }));
    });

    it('download with the same key → 200 and echoes algorithm and key MD5', async () => {
      for (const d of [
        await b2.downloadById(fx.auth, file.fileId, { headers: ssecHeaders(KEY) }),
        await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'c/file.bin', { headers: ssecHeaders(KEY) }),
      ]) {
        expect(d.status).toBe(200);
        expect(d.body.equals(DATA)).toBeTrue();
        expect(d.headers['x-bz-server-side-encryption-customer-algorithm']).toBe('AES256');
        expect(d.headers['x-bz-server-side-encryption-customer-key-md5']).toBe(b2.md5b64(KEY));
      }
    });

    it('download without a key → 400 bad_request (GET and HEAD)', async () => {
      b2.expectError(await b2.downloadById(fx.auth, file.fileId), 400, 'bad_request');
      b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'c/file.bin'), 400, 'bad_request');
      const h = await b2.downloadById(fx.auth, file.fileId, { method: 'HEAD' });
      expect(h.status).toBe(400);
      expect(h.body.length).toBe(0);
      const hk = await b2.downloadById(fx.auth, file.fileId, { method: 'HEAD', headers: ssecHeaders(KEY) });
      expect(hk.status).toBe(200);
    });

    it('download with a different (well-formed) key → 403 access_denied (b2sdk mapping)', async () => {
      const d = await b2.downloadById(fx.auth, file.fileId, { headers: ssecHeaders(OTHER_KEY) });
      b2.expectError(d, 403, 'access_denied');
    });

    it('malformed SSE-C headers on upload → 400 (MD5 mismatch, short key, missing part, bad algorithm)', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const h = ssecHeaders(KEY);
      const cases: b2.Headers[] = [
        { ...h, 'X-Bz-Server-Side-Encryption-Customer-Key-Md5': b2.md5b64(OTHER_KEY) },
        { ...ssecHeaders(randomBytes(16)) },
        { 'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256', 'X-Bz-Server-Side-Encryption-Customer-Key': KEY.toString('base64') },
        { ...h, 'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES128' },
      ];
      for (const c of cases) {
        b2.expectError(await b2.uploadFile(up, { name: 'c/bad.bin', data: 'x', headers: c }), 400, 'bad_request', JSON.stringify(Object.keys(c)));
      }
    });

    it('large file with SSE-C: every part must repeat the key', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'c/large.bin', { serverSideEncryption: ssecJson(KEY) });
      expect(s.serverSideEncryption).toEqual(jasmine.objectContaining({ mode: 'SSE-C', algorithm: 'AES256' }));
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      const p1 = Buffer.alloc(1000, 5);
      const p2 = Buffer.alloc(10, 6);
      b2.expectError(await b2.uploadPart(pu, 1, p1), 400, 'bad_request');
      b2.expectError(await b2.uploadPart(pu, 1, p1, { headers: ssecHeaders(OTHER_KEY) }), [400, 403], ['bad_request', 'access_denied']);
      b2.expectOk(await b2.uploadPart(pu, 1, p1, { headers: ssecHeaders(KEY) }));
      b2.expectOk(await b2.uploadPart(pu, 2, p2, { headers: ssecHeaders(KEY) }));
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId: s.fileId, partSha1Array: [b2.sha1hex(p1), b2.sha1hex(p2)] }));
      b2.expectError(await b2.downloadById(fx.auth, s.fileId), 400, 'bad_request');
      const d = await b2.downloadById(fx.auth, s.fileId, { headers: ssecHeaders(KEY) });
      expect(d.status).toBe(200);
      expect(d.body.equals(Buffer.concat([p1, p2]))).toBeTrue();
    });

    it('copy_file from an SSE-C source needs sourceServerSideEncryption with the right key', async () => {
      const missing = await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: file.fileId, fileName: 'c/copy-nokey.bin' });
      b2.expectError(missing, [400, 403], ['bad_request', 'access_denied']);
      const wrong = await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: file.fileId, fileName: 'c/copy-wrong.bin', sourceServerSideEncryption: ssecJson(OTHER_KEY) });
      b2.expectError(wrong, [400, 403], ['bad_request', 'access_denied']);
      const ok = b2.expectOk(
        await b2.call(fx.auth, 'b2_copy_file', {
          sourceFileId: file.fileId,
          fileName: 'c/copy-b2.bin',
          sourceServerSideEncryption: ssecJson(KEY),
          destinationServerSideEncryption: { mode: 'SSE-B2', algorithm: 'AES256' },
        }),
      );
      expect(ok.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const d = await b2.downloadById(fx.auth, ok.fileId);
      expect(d.status).toBe(200);
      expect(d.body.equals(DATA)).toBeTrue();
    });

    it('copy_file to an SSE-C destination with a new key', async () => {
      const c = b2.expectOk(
        await b2.call(fx.auth, 'b2_copy_file', {
          sourceFileId: file.fileId,
          fileName: 'c/copy-rekey.bin',
          sourceServerSideEncryption: ssecJson(KEY),
          destinationServerSideEncryption: ssecJson(OTHER_KEY),
        }),
      );
      expect(c.serverSideEncryption).toEqual(jasmine.objectContaining({ mode: 'SSE-C' }));
      b2.expectError(await b2.downloadById(fx.auth, c.fileId, { headers: ssecHeaders(KEY) }), 403, 'access_denied');
      const d = await b2.downloadById(fx.auth, c.fileId, { headers: ssecHeaders(OTHER_KEY) });
      expect(d.status).toBe(200);
      expect(d.body.equals(DATA)).toBeTrue();
    });
  });
});
