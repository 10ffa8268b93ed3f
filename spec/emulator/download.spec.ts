import * as b2 from '../helpers/b2-http';

const CONTENT = Buffer.from('Hello, B2 emulator! 0123456789'); // 30 bytes
const NAME = 'dir/hello world+.txt';

// https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api
describe('emu-http downloads', () => {
  const fx = b2.useEmulator();
  let priv: any;
  let pub: any;
  let file: any;
  let pubFile: any;

  beforeAll(async () => {
    priv = await b2.createBucket(fx.auth, { bucketType: 'allPrivate' });
    pub = await b2.createBucket(fx.auth, { bucketType: 'allPublic' });
    file = await b2.uploadOk(fx.auth, priv.bucketId, NAME, CONTENT, {
      contentType: 'text/plain',
      info: { author: 'Jürgen M', src_last_modified_millis: '1600000000000' },
    });
    pubFile = await b2.uploadOk(fx.auth, pub.bucketId, 'public.txt', 'public bytes', { contentType: 'text/plain' });
  });

  describe('by name', () => {
    // https://www.backblaze.com/apidocs/b2-download-file-by-name
    it('GET with the account token: body and x-bz-* headers', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME);
      expect(d.status).toBe(200);
      expect(d.body.equals(CONTENT)).toBeTrue();
      b2.expectHeaders(d, {
        'content-length': String(CONTENT.length),
        'content-type': 'text/plain',
        'accept-ranges': 'bytes',
        'content-range': undefined,
        'x-bz-file-id': file.fileId,
        'x-bz-file-name': 'dir/hello%20world%2B.txt',
        'x-bz-content-sha1': b2.sha1hex(CONTENT),
        'x-bz-upload-timestamp': String(file.uploadTimestamp),
        'x-bz-info-author': 'J%C3%BCrgen%20M',
        'x-bz-info-src_last_modified_millis': '1600000000000',
      });
    });

    it('?Authorization= query parameter works instead of the header', async () => {
      const d = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { query: { Authorization: fx.auth.token } });
      expect(d.status).toBe(200);
      expect(d.body.equals(CONTENT)).toBeTrue();
    });

    it('the path accepts + for space and %2B for plus, and any hex case', async () => {
      const d = await b2.download(`${fx.auth.downloadUrl}/file/${priv.bucketName}/dir/hello+world%2b.txt`, { token: fx.auth.token });
      expect(d.status).toBe(200);
      expect(d.headers['x-bz-file-id']).toBe(file.fileId);
    });

    it('UTF-8 names round-trip; x-bz-file-name is percent-encoded with %20 for spaces', async () => {
      const name = '自由/ü x.txt';
      const f = await b2.uploadOk(fx.auth, priv.bucketId, name, 'unicode');
      const d = await b2.downloadByName(fx.auth, priv.bucketName, name);
      expect(d.status).toBe(200);
      expect(d.headers['x-bz-file-id']).toBe(f.fileId);
      expect(d.headers['x-bz-file-name']).toBe('%E8%87%AA%E7%94%B1/%C3%BC%20x.txt');
    });

    it('serves the newest version', async () => {
      await b2.uploadOk(fx.auth, priv.bucketId, 'multi.txt', 'old');
      const nf = await b2.uploadOk(fx.auth, priv.bucketId, 'multi.txt', 'new');
      const d = await b2.downloadByName(fx.auth, priv.bucketName, 'multi.txt');
      expect(d.text).toBe('new');
      expect(d.headers['x-bz-file-id']).toBe(nf.fileId);
    });

    it('HEAD: same headers, no body', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { method: 'HEAD' });
      expect(d.status).toBe(200);
      expect(d.body.length).toBe(0);
      expect(d.headers['content-length']).toBe(String(CONTENT.length));
      expect(d.headers['x-bz-file-id']).toBe(file.fileId);
      expect(d.headers['x-bz-content-sha1']).toBe(b2.sha1hex(CONTENT));
    });

    it('missing file / unknown bucket → 404 not_found; HEAD 404 without body', async () => {
      b2.expectError(await b2.downloadByName(fx.auth, priv.bucketName, 'dir/nope.txt'), 404, 'not_found');
      b2.expectError(await b2.downloadByName(fx.auth, 'no-such-bucket-xyz', 'x'), 404, 'not_found');
      const h = await b2.downloadByName(fx.auth, priv.bucketName, 'dir/nope.txt', { method: 'HEAD' });
      expect(h.status).toBe(404);
      expect(h.body.length).toBe(0);
      const h401 = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { method: 'HEAD', token: 'bogus' });
      expect(h401.status).toBe(401);
      expect(h401.body.length).toBe(0);
    });

    it('private bucket without a token → 401; bad token → 401 bad_auth_token', async () => {
      const none = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME));
      b2.expectError(none, 401, ['missing_auth_token', 'bad_auth_token', 'unauthorized']);
      b2.expectError(await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: 'bogus' }), 401, 'bad_auth_token');
    });

    it('public bucket needs no token (by name and by id)', async () => {
      const d = await b2.download(b2.byNameUrl(fx.auth, pub.bucketName, 'public.txt'));
      expect(d.status).toBe(200);
      expect(d.text).toBe('public bytes');
      const e = await b2.download(b2.byIdUrl(fx.auth, pubFile.fileId));
      expect(e.status).toBe(200);
      expect(e.text).toBe('public bytes');
    });
  });

  describe('by id', () => {
    it('GET with header', async () => {
      const d = await b2.downloadById(fx.auth, file.fileId);
      expect(d.status).toBe(200);
      expect(d.body.equals(CONTENT)).toBeTrue();
      expect(d.headers['x-bz-file-name']).toBe('dir/hello%20world%2B.txt');
      expect(d.headers['x-bz-file-id']).toBe(file.fileId);
    });

    it('HEAD', async () => {
      const d = await b2.downloadById(fx.auth, file.fileId, { method: 'HEAD' });
      expect(d.status).toBe(200);
      expect(d.body.length).toBe(0);
      expect(d.headers['content-length']).toBe(String(CONTENT.length));
    });

    it('POST with JSON {fileId}', async () => {
      const d = await b2.download(`${fx.auth.downloadUrl}/b2api/v2/b2_download_file_by_id`, {
        method: 'POST',
        token: fx.auth.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ fileId: file.fileId }),
      });
      expect(d.status).toBe(200);
      expect(d.body.equals(CONTENT)).toBeTrue();
    });

    // https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api
    it('by id the token must be a header: ?Authorization= alone → 401', async () => {
      const d = await b2.download(b2.byIdUrl(fx.auth, file.fileId), { query: { Authorization: fx.auth.token } });
      b2.expectError(d, 401, ['missing_auth_token', 'bad_auth_token', 'unauthorized']);
    });

    it('older versions stay downloadable by id', async () => {
      const old = await b2.uploadOk(fx.auth, priv.bucketId, 'ver.txt', 'v-old');
      await b2.uploadOk(fx.auth, priv.bucketId, 'ver.txt', 'v-new');
      const d = await b2.downloadById(fx.auth, old.fileId);
      expect(d.text).toBe('v-old');
    });

    it('unknown id → 404 not_found (or 400 for a malformed id); no token → 401', async () => {
      const gone = await b2.uploadOk(fx.auth, priv.bucketId, 'gone.txt', 'x');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'gone.txt', fileId: gone.fileId }));
      b2.expectError(await b2.downloadById(fx.auth, gone.fileId), 404, 'not_found');
      b2.expectError(await b2.downloadById(fx.auth, 'bad-id'), [400, 404], ['bad_request', 'not_found']);
      b2.expectError(await b2.download(b2.byIdUrl(fx.auth, file.fileId)), 401, ['missing_auth_token', 'bad_auth_token', 'unauthorized']);
    });
  });

  // https://www.backblaze.com/apidocs/b2-download-file-by-name
  describe('Range', () => {
    const N = CONTENT.length;

    it('bytes=a-b → 206 with Content-Range and the whole-file SHA-1', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: 'bytes=0-4' } });
      expect(d.status).toBe(206);
      expect(d.body.equals(CONTENT.subarray(0, 5))).toBeTrue();
      expect(d.headers['content-range']).toBe(`bytes 0-4/${N}`);
      expect(d.headers['content-length']).toBe('5');
      expect(d.headers['x-bz-content-sha1']).toBe(b2.sha1hex(CONTENT));
    });

    it('by id too', async () => {
      const d = await b2.downloadById(fx.auth, file.fileId, { headers: { Range: 'bytes=7-8' } });
      expect(d.status).toBe(206);
      expect(d.body.equals(CONTENT.subarray(7, 9))).toBeTrue();
      expect(d.headers['content-range']).toBe(`bytes 7-8/${N}`);
    });

    it('open range a- and suffix range -n', async () => {
      const a = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: 'bytes=25-' } });
      expect(a.status).toBe(206);
      expect(a.body.equals(CONTENT.subarray(25))).toBeTrue();
      expect(a.headers['content-range']).toBe(`bytes 25-${N - 1}/${N}`);
      const s = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: 'bytes=-4' } });
      expect(s.status).toBe(206);
      expect(s.body.equals(CONTENT.subarray(N - 4))).toBeTrue();
      expect(s.headers['content-range']).toBe(`bytes ${N - 4}-${N - 1}/${N}`);
    });

    it('end beyond EOF is clamped', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: 'bytes=20-100000' } });
      expect(d.status).toBe(206);
      expect(d.body.equals(CONTENT.subarray(20))).toBeTrue();
      expect(d.headers['content-range']).toBe(`bytes 20-${N - 1}/${N}`);
    });

    it('start beyond the end → 416 range_not_satisfiable', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: `bytes=${N}-${N + 10}` } });
      b2.expectError(d, 416, 'range_not_satisfiable');
      const e = await b2.downloadById(fx.auth, file.fileId, { headers: { Range: 'bytes=1000-2000' } });
      b2.expectError(e, 416, 'range_not_satisfiable');
    });

    it('unparseable range → 200 with the full body and no Content-Range', async () => {
      for (const r of ['bytes=abc', 'pages=1-2', 'bytes=5-2']) {
        const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: r } });
        expect(d.status).withContext(r).toBe(200);
        expect(d.body.equals(CONTENT)).withContext(r).toBeTrue();
        expect(d.headers['content-range']).withContext(r).toBeUndefined();
      }
    });

    it('a range covering the whole file → 200 full body without Content-Range', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: `bytes=0-${N - 1}` } });
      expect(d.status).toBe(200);
      expect(d.body.equals(CONTENT)).toBeTrue();
      expect(d.headers['content-range']).toBeUndefined();
    });

    it('bytes=0- and a suffix longer than the file cover the whole file → 200 without Content-Range', async () => {
      for (const r of ['bytes=0-', 'bytes=-1000']) {
        const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { headers: { Range: r } });
        expect(d.status).withContext(r).toBe(200);
        expect(d.body.equals(CONTENT)).withContext(r).toBeTrue();
        expect(d.headers['content-range']).withContext(r).toBeUndefined();
      }
    });

    it('any range on an empty file → 416', async () => {
      const e = await b2.uploadOk(fx.auth, priv.bucketId, 'empty.bin', Buffer.alloc(0));
      b2.expectError(await b2.downloadById(fx.auth, e.fileId, { headers: { Range: 'bytes=0-0' } }), 416, 'range_not_satisfiable');
    });

    it('HEAD with a range → 206 headers, no body', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, NAME, { method: 'HEAD', headers: { Range: 'bytes=0-4' } });
      expect(d.status).toBe(206);
      expect(d.body.length).toBe(0);
      expect(d.headers['content-range']).toBe(`bytes 0-4/${N}`);
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api, https://www.backblaze.com/apidocs/b2-download-file-by-name
  describe('b2-* infos, bucket Cache-Control and query overrides', () => {
    let infoFile: any;
    let ccBucket: any;

    beforeAll(async () => {
      infoFile = await b2.uploadOk(fx.auth, priv.bucketId, 'b2info.txt', 'with headers', {
        info: {
          'b2-content-disposition': 'attachment; filename="report.txt"',
          'b2-content-language': 'de-DE',
          'b2-expires': 'Thu, 01 Dec 2044 16:00:00 GMT',
          'b2-cache-control': 'max-age=86400',
          'b2-content-encoding': 'identity',
          plain: 'p',
        },
      });
      ccBucket = await b2.createBucket(fx.auth, { bucketInfo: { 'Cache-Control': 'max-age=3600' } });
    });

    it('b2-* infos become real headers and are not echoed as x-bz-info-*', async () => {
      const d = await b2.downloadById(fx.auth, infoFile.fileId);
      expect(d.status).toBe(200);
      b2.expectHeaders(d, {
        'content-disposition': 'attachment; filename="report.txt"',
        'content-language': 'de-DE',
        expires: 'Thu, 01 Dec 2044 16:00:00 GMT',
        'cache-control': 'max-age=86400',
        'content-encoding': 'identity',
        'x-bz-info-plain': 'p',
      });
      expect(Object.keys(d.headers).filter((h) => h.startsWith('x-bz-info-b2-'))).toEqual([]);
    });

    it('bucket info Cache-Control is the default; file b2-cache-control overrides it', async () => {
      await b2.uploadOk(fx.auth, ccBucket.bucketId, 'plain.txt', 'x');
      await b2.uploadOk(fx.auth, ccBucket.bucketId, 'own.txt', 'x', { info: { 'b2-cache-control': 'no-store' } });
      const a = await b2.downloadByName(fx.auth, ccBucket.bucketName, 'plain.txt');
      expect(a.headers['cache-control']).toBe('max-age=3600');
      const b = await b2.downloadByName(fx.auth, ccBucket.bucketName, 'own.txt');
      expect(b.headers['cache-control']).toBe('no-store');
    });

    // https://www.backblaze.com/apidocs/b2-download-file-by-name
    it('b2Content* overrides need an authorization token even on a public bucket', async () => {
      const d = await b2.download(b2.byNameUrl(fx.auth, pub.bucketName, 'public.txt'), { query: { b2ContentDisposition: 'attachment' } });
      b2.expectError(d, 401, ['unauthorized', 'missing_auth_token', 'bad_auth_token']);
    });

    it('b2Content* query parameters override the headers', async () => {
      const d = await b2.downloadByName(fx.auth, priv.bucketName, 'b2info.txt', {
        query: {
          b2ContentDisposition: 'inline',
          b2ContentLanguage: 'fr',
          b2Expires: 'Fri, 02 Dec 2044 16:00:00 GMT',
          b2CacheControl: 'private',
          b2ContentEncoding: 'gzip',
          b2ContentType: 'application/x-override',
        },
      });
      expect(d.status).toBe(200);
      b2.expectHeaders(d, {
        'content-disposition': 'inline',
        'content-language': 'fr',
        expires: 'Fri, 02 Dec 2044 16:00:00 GMT',
        'cache-control': 'private',
        'content-encoding': 'gzip',
        'content-type': 'application/x-override',
      });
    });
  });

  // https://www.backblaze.com/apidocs/b2-get-download-authorization
  describe('b2_get_download_authorization', () => {
    it('returns {authorizationToken, bucketId, fileNamePrefix}', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: 'dir/', validDurationInSeconds: 60 }));
      expect(j.bucketId).toBe(priv.bucketId);
      expect(j.fileNamePrefix).toBe('dir/');
      expect(typeof j.authorizationToken).toBe('string');
    });

    it('the token downloads names under its prefix (header or query), nothing else', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: 'dir/hello', validDurationInSeconds: 600 }));
      const tok = j.authorizationToken;
      const h = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: tok });
      expect(h.status).toBe(200);
      expect(h.body.equals(CONTENT)).toBeTrue();
      const q = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { query: { Authorization: tok } });
      expect(q.status).toBe(200);
      // outside the prefix
      await b2.uploadOk(fx.auth, priv.bucketId, 'outside-prefix.txt', 'x');
      b2.expectError(await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, 'outside-prefix.txt'), { token: tok }), 401, 'unauthorized');
      // never by id
      b2.expectError(await b2.download(b2.byIdUrl(fx.auth, file.fileId), { token: tok }), 401, ['unauthorized', 'bad_auth_token']);
      // never for another bucket
      const other = await b2.createBucket(fx.auth);
      await b2.uploadOk(fx.auth, other.bucketId, NAME, 'other bucket');
      b2.expectError(await b2.download(b2.byNameUrl(fx.auth, other.bucketName, NAME), { token: tok }), 401, ['unauthorized', 'bad_auth_token']);
      // and not for JSON calls
      b2.expectError(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }, { token: tok }), 401, ['bad_auth_token', 'unauthorized']);
    });

    it('empty prefix covers the whole bucket', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: '', validDurationInSeconds: 60 }));
      expect((await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: j.authorizationToken })).status).toBe(200);
      expect((await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, 'multi-prefix-check.txt'), { token: j.authorizationToken })).status).toBe(404);
    });

    it('a token minted with b2ContentDisposition requires the same value on the download', async () => {
      const j = b2.expectOk(
        await b2.call(fx.auth, 'b2_get_download_authorization', {
          bucketId: priv.bucketId,
          fileNamePrefix: '',
          validDurationInSeconds: 60,
          b2ContentDisposition: 'attachment',
        }),
      );
      const ok = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: j.authorizationToken, query: { b2ContentDisposition: 'attachment' } });
      expect(ok.status).toBe(200);
      expect(ok.headers['content-disposition']).toBe('attachment');
      const missing = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: j.authorizationToken });
      b2.expectError(missing, [400, 401], ['unauthorized', 'bad_request']);
      const different = await b2.download(b2.byNameUrl(fx.auth, priv.bucketName, NAME), { token: j.authorizationToken, query: { b2ContentDisposition: 'inline' } });
      b2.expectError(different, [400, 401], ['unauthorized', 'bad_request']);
    });

    it('validDurationInSeconds outside 1…604800, missing prefix or bucket → 400', async () => {
      for (const v of [0, 604801]) {
        b2.expectError(
          await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: '', validDurationInSeconds: v }),
          400,
          'bad_request',
          `duration ${v}`,
        );
      }
      b2.expectOk(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: '', validDurationInSeconds: 604800 }));
      b2.expectError(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: priv.bucketId, validDurationInSeconds: 60 }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: '000000000000000000000000', fileNamePrefix: '', validDurationInSeconds: 60 }), 400, [
        'bad_bucket_id',
        'bad_request',
      ]);
    });
  });
});

// https://www.backblaze.com/apidocs/b2-get-download-authorization
describe('emu-http download authorization expiry', () => {
  const fx = b2.useEmulator({ per: 'each', bucket: true });

  it('expires after validDurationInSeconds on the emulator clock → 401 expired_auth_token', async () => {
    await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'p/f.txt', 'x');
    const j = b2.expectOk(await b2.call(fx.auth, 'b2_get_download_authorization', { bucketId: fx.bucket.bucketId, fileNamePrefix: 'p/', validDurationInSeconds: 60 }));
    const url = b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'p/f.txt');
    fx.emu.advanceClock(59_000);
    expect((await b2.download(url, { token: j.authorizationToken })).status).toBe(200);
    fx.emu.advanceClock(2_000);
    b2.expectError(await b2.download(url, { token: j.authorizationToken }), 401, 'expired_auth_token');
  });
});
