import * as b2 from '../helpers/b2-http';

// https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api, https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding, https://www.backblaze.com/apidocs/b2-upload-file
describe('emu-http uploads', () => {
  const fx = b2.useEmulator({ bucket: true });

  async function versionsOf(name: string): Promise<any[]> {
    const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: name, maxFileCount: 1000 }));
    return j.files.filter((f: any) => f.fileName === name);
  }

  describe('b2_get_upload_url', () => {
    it('returns bucketId, an upload URL of the documented shape and a token; every call is a new pair', async () => {
      const a = b2.expectOk(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }));
      const b = b2.expectOk(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }));
      expect(a.bucketId).toBe(fx.bucket.bucketId);
      expect(a.uploadUrl.startsWith(fx.emu.url + '/b2api/v2/b2_upload_file/' + fx.bucket.bucketId + '/'))
        .withContext(a.uploadUrl)
        .toBeTrue();
      expect(typeof a.authorizationToken).toBe('string');
      expect(a.authorizationToken).not.toBe(fx.auth.token);
      expect(a.authorizationToken).not.toBe(b.authorizationToken);
    });

    it('unknown bucket → 400 bad_bucket_id', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: '000000000000000000000000' }), 400, 'bad_bucket_id');
    });
  });

  describe('b2_upload_file basics', () => {
    // https://www.backblaze.com/apidocs/b2-list-file-versions
    it('stores the bytes and returns the file object', async () => {
      const data = Buffer.from('The quick brown fox');
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const before = Date.now();
      const res = await b2.uploadFile(up, {
        name: 'basic/fox.txt',
        data,
        contentType: 'text/plain',
        info: { src_last_modified_millis: '1700000000000', author: 'someone' },
      });
      const f = b2.expectOk(res);
      expect(f).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          action: 'upload',
          bucketId: fx.bucket.bucketId,
          contentLength: data.length,
          contentSha1: b2.sha1hex(data),
          contentMd5: b2.md5hex(data),
          contentType: 'text/plain',
          fileName: 'basic/fox.txt',
          fileInfo: { src_last_modified_millis: '1700000000000', author: 'someone' },
        }),
      );
      expect(f.uploadTimestamp).toBeGreaterThanOrEqual(before - 5000);
      expect(f.uploadTimestamp).toBeLessThanOrEqual(Date.now() + 5000);
      const info = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(info).toEqual(jasmine.objectContaining({ fileId: f.fileId, action: 'upload', contentSha1: b2.sha1hex(data), fileName: 'basic/fox.txt' }));
      const d = await b2.downloadById(fx.auth, f.fileId);
      expect(d.status).toBe(200);
      expect(d.body.equals(data)).toBeTrue();
    });

    it('zero-byte files are allowed', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'basic/empty', Buffer.alloc(0));
      expect(f.contentLength).toBe(0);
      expect(f.contentSha1).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    });

    it('an upload URL may be reused sequentially', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      for (let i = 0; i < 3; i++) {
        b2.expectOk(await b2.uploadFile(up, { name: `basic/seq-${i}`, data: `n${i}` }), `upload ${i}`);
      }
    });

    it('Content-Type with parameters is stored verbatim', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'basic/ct-params.txt', 'x', { contentType: 'text/plain; charset=utf-8' });
      expect(f.contentType).toBe('text/plain; charset=utf-8');
    });

    it('concurrent uploads on different upload URLs all succeed', async () => {
      const urls = await Promise.all([0, 1, 2, 3].map(() => b2.getUploadUrl(fx.auth, fx.bucket.bucketId)));
      const results = await Promise.all(urls.map((u, i) => b2.uploadFile(u, { name: `basic/par-${i}`, data: Buffer.alloc(50_000, i) })));
      for (const r of results) b2.expectOk(r);
    });

    it('info keys are lower-cased', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const f = b2.expectOk(await b2.uploadFile(up, { name: 'basic/case', data: 'x', headers: { 'X-Bz-Info-MixedCase_Key': 'v' } }));
      expect(f.fileInfo).toEqual({ mixedcase_key: 'v' });
    });

    it('b2/x-auto picks the type from the extension (.txt → text/plain, unknown → application/octet-stream)', async () => {
      const t = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'auto/readme.txt', 'x', { contentType: 'b2/x-auto' });
      expect(t.contentType).toBe('text/plain');
      const u = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'auto/blob.qqqzzz', 'x', { contentType: 'b2/x-auto' });
      expect(u.contentType).toBe('application/octet-stream');
    });

    it('b2/x-auto knows the common extensions (mime-types), in any case, from the last segment only', async () => {
      const expected: Record<string, string> = {
        'a.html': 'text/html',
        'a.css': 'text/css',
        'a.csv': 'text/csv',
        'a.js': 'application/javascript',
        'a.json': 'application/json',
        'a.xml': 'application/xml',
        'a.pdf': 'application/pdf',
        'a.zip': 'application/zip',
        'a.tar.gz': 'application/gzip',
        'a.png': 'image/png',
        'a.JPG': 'image/jpeg',
        'a.jpeg': 'image/jpeg',
        'a.gif': 'image/gif',
        'a.webp': 'image/webp',
        'a.svg': 'image/svg+xml',
        'a.avif': 'image/avif',
        'a.mp3': 'audio/mpeg',
        'a.mp4': 'video/mp4',
        'a.webm': 'video/webm',
        'a.md': 'text/markdown',
        'a.wasm': 'application/wasm',
        'a.7z': 'application/x-7z-compressed',
        'a.epub': 'application/epub+zip',
        'a.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'a.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'a.yaml': 'text/yaml',
        'a.woff2': 'font/woff2',
        // no extension in the last segment: octet-stream
        txt: 'application/octet-stream',
        'dir.txt/file': 'application/octet-stream',
        '.txt': 'application/octet-stream',
      };
      const actual: Record<string, string> = {};
      for (const name of Object.keys(expected)) {
        actual[name] = (await b2.uploadOk(fx.auth, fx.bucket.bucketId, `auto2/${name}`, 'x', { contentType: 'b2/x-auto' })).contentType;
      }
      expect(actual).toEqual(expected);
      const large = b2.expectOk(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'auto2/big.docx', contentType: 'b2/x-auto' }));
      expect(large.contentType).toBe(expected['a.docx']);
    });

    it('X-Bz-Custom-Upload-Timestamp in the past overrides uploadTimestamp; a future one → 400', async () => {
      const past = Date.now() - 86_400_000;
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'basic/custom-ts', 'x', { headers: { 'X-Bz-Custom-Upload-Timestamp': String(past) } });
      expect(f.uploadTimestamp).toBe(past);
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const res = await b2.uploadFile(up, { name: 'basic/custom-ts-future', data: 'x', headers: { 'X-Bz-Custom-Upload-Timestamp': String(Date.now() + 3_600_000) } });
      b2.expectError(res, 400, 'bad_request');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding
  describe('percent-encoding of X-Bz-File-Name and X-Bz-Info-*', () => {
    async function upRaw(rawName: string, headers: b2.Headers = {}): Promise<b2.RawResponse> {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      return b2.uploadFile(up, { rawName, data: 'enc', headers });
    }

    it('fully encoded names decode to the UTF-8 name', async () => {
      const name = 'enc/自由 ü 𐐀 !$\'()*;=:@,&"#<>?[]^{}|`~%+.txt';
      const f = b2.expectOk(await upRaw(b2.encodeName(name)));
      expect(f.fileName).toBe(name);
    });

    it('+ decodes to a space and %2B to a plus', async () => {
      const a = b2.expectOk(await upRaw('enc/a+b'));
      expect(a.fileName).toBe('enc/a b');
      const b = b2.expectOk(await upRaw('enc/a%2Bb'));
      expect(b.fileName).toBe('enc/a+b');
      const c = b2.expectOk(await upRaw('enc/a%20b%2bc'));
      expect(c.fileName).toBe('enc/a b+c');
    });

    it('lower-case hex and fully-encoded unreserved characters are accepted', async () => {
      const f = b2.expectOk(await upRaw('enc/%e8%87%aa%e7%94%b1%2D%2E%5F%7E'));
      expect(f.fileName).toBe('enc/自由-._~');
    });

    it('minimally encoded punctuation may be sent literally', async () => {
      const f = b2.expectOk(await upRaw("enc/!$'()*;=:@"));
      expect(f.fileName).toBe("enc/!$'()*;=:@");
    });

    it('info values are percent-decoded the same way (+ → space, %2B → +)', async () => {
      const f = b2.expectOk(
        await upRaw('enc/info', {
          'X-Bz-Info-author': 'J%C3%BCrgen+M%2B',
          'X-Bz-Info-note': 'a%20b',
        }),
      );
      expect(f.fileInfo).toEqual({ author: 'Jürgen M+', note: 'a b' });
    });

    it('malformed % sequence in an info value → 400 bad_request', async () => {
      b2.expectError(await upRaw('enc/bad-info', { 'X-Bz-Info-a': 'b%zz' }), 400, 'bad_request');
    });

    it('malformed % sequence in the name → 400 bad_request', async () => {
      b2.expectError(await upRaw('enc/bad%zzname'), 400, 'bad_request');
      b2.expectError(await upRaw('enc/trailing%'), 400, 'bad_request');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-files
  describe('name rules', () => {
    async function upName(name: string): Promise<b2.RawResponse> {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      return b2.uploadFile(up, { name, data: 'n' });
    }

    it('control characters → 400 bad_request', async () => {
      b2.expectError(await upName('bad/\u0001name'), 400, 'bad_request');
      b2.expectError(await upName('bad/tab\tname'), 400, 'bad_request');
      b2.expectError(await upName('bad/nl\nname'), 400, 'bad_request');
    });

    it('DEL (0x7F) → 400 bad_request', async () => {
      b2.expectError(await upName('bad/del\u007fname'), 400, 'bad_request');
    });

    it('1024 bytes OK, 1025 bytes → 400 (counted in UTF-8 bytes)', async () => {
      const n1024 = 'n/' + 'x'.repeat(1022);
      b2.expectOk(await upName(n1024));
      b2.expectError(await upName(n1024 + 'y'), 400, 'bad_request');
      // 342 × '€' = 1026 bytes but only 342 UTF-16 units
      b2.expectError(await upName('€'.repeat(342)), 400, 'bad_request');
      // 341 × '€' = 1023 bytes
      b2.expectOk(await upName('€'.repeat(341)));
    });

    it('empty name or missing X-Bz-File-Name → 400 bad_request', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { rawName: '', data: 'x' }), 400, 'bad_request');
      b2.expectError(await b2.uploadFile(up, { data: 'x' }), 400, 'bad_request');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api
  describe('file info rules', () => {
    it('10 infos OK, 11 → 400 bad_request', async () => {
      const ten: Record<string, string> = {};
      for (let i = 0; i < 10; i++) ten[`k${i}`] = `v${i}`;
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'info/ten', 'x', { info: ten });
      expect(Object.keys(f.fileInfo).length).toBe(10);
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'info/eleven', data: 'x', info: { ...ten, k10: 'v10' } }), 400, 'bad_request');
      expect(await versionsOf('info/eleven')).toEqual([]);
    });

    it('info key longer than 50 bytes → 400', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectOk(await b2.uploadFile(up, { name: 'info/key50', data: 'x', info: { ['k'.repeat(50)]: 'v' } }));
      b2.expectError(await b2.uploadFile(up, { name: 'info/key51', data: 'x', info: { ['k'.repeat(51)]: 'v' } }), 400, 'bad_request');
    });

    it('name + infos over the 7000-byte header budget → 400; under it → 200', async () => {
      const under: Record<string, string> = {};
      const over: Record<string, string> = {};
      for (let i = 0; i < 10; i++) {
        under[`k${i}`] = 'u'.repeat(500);
        over[`k${i}`] = 'o'.repeat(800);
      }
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectOk(await b2.uploadFile(up, { name: 'info/budget-under', data: 'x', info: under }));
      b2.expectError(await b2.uploadFile(up, { name: 'info/budget-over', data: 'x', info: over }), 400, 'bad_request');
      expect(await versionsOf('info/budget-over')).toEqual([]);
    });

    it('reserved b2-* infos: the five known ones are accepted, unknown b2-* → 400', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'info/reserved', 'x', {
        info: {
          'b2-content-disposition': 'attachment; filename="r.txt"',
          'b2-content-language': 'en-US',
          'b2-expires': 'Thu, 01 Dec 2044 16:00:00 GMT',
          'b2-cache-control': 'max-age=300',
          'b2-content-encoding': 'gzip',
        },
      });
      expect(f.fileInfo['b2-content-disposition']).toBe('attachment; filename="r.txt"');
      expect(f.fileInfo['b2-cache-control']).toBe('max-age=300');
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'info/reserved-bad', data: 'x', info: { 'b2-something-else': 'v' } }), 400, 'bad_request');
    });

    it('invalid value for a reserved b2-* info → 400', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'info/bad-expires', data: 'x', info: { 'b2-expires': 'not a date' } }), 400, 'bad_request');
    });

    const forbidden: Record<string, string> = {
      'Content-Disposition': 'attachment',
      'Content-Language': 'en',
      Expires: 'Thu, 01 Dec 2044 16:00:00 GMT',
      'Content-Encoding': 'identity',
      'Content-Location': '/elsewhere',
      'Content-Range': 'bytes 0-0/1',
    };
    for (const h of Object.keys(forbidden)) {
      it(`request header ${h} is forbidden on upload → 400`, async () => {
        const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
        const v = forbidden[h];
        b2.expectError(await b2.uploadFile(up, { name: `info/forbidden-${h}`, data: 'x', headers: { [h]: v } }), 400, 'bad_request');
      });
    }
  });

  // https://www.backblaze.com/apidocs/b2-upload-file
  describe('required headers and SHA-1', () => {
    it('missing Content-Type → 400', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'req/no-ct', data: 'x', contentType: null }), 400, 'bad_request');
    });

    it('missing X-Bz-Content-Sha1 → 400; malformed value → 400', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'req/no-sha', data: 'x', sha1: null }), 400, 'bad_request');
      b2.expectError(await b2.uploadFile(up, { name: 'req/bad-sha', data: 'x', sha1: 'abc123' }), 400, 'bad_request');
    });

    it('SHA-1 mismatch → 400 bad_request and nothing is stored', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const res = await b2.uploadFile(up, { name: 'req/mismatch', data: 'actual bytes', sha1: b2.sha1hex('other bytes') });
      b2.expectError(res, 400, 'bad_request');
      expect(await versionsOf('req/mismatch')).toEqual([]);
      // the same URL is still usable afterwards (the server may also demand a new one — then get one)
      const up2 = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectOk(await b2.uploadFile(up2, { name: 'req/mismatch', data: 'actual bytes' }));
    });

    it('uppercase hex SHA-1 is accepted', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const f = b2.expectOk(await b2.uploadFile(up, { name: 'req/upper', data: 'abc', sha1: b2.sha1hex('abc').toUpperCase() }));
      expect(f.contentSha1.toLowerCase()).toBe(b2.sha1hex('abc'));
    });

    it('hex_digits_at_end: last 40 body bytes are the SHA-1, stored length excludes them', async () => {
      const data = Buffer.from('payload with trailing sha');
      const body = Buffer.concat([data, Buffer.from(b2.sha1hex(data))]);
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const f = b2.expectOk(await b2.uploadFile(up, { name: 'req/hexend', data: body, sha1: 'hex_digits_at_end' }));
      expect(f.contentLength).toBe(data.length);
      expect(f.contentSha1).toBe(b2.sha1hex(data));
      const d = await b2.downloadById(fx.auth, f.fileId);
      expect(d.body.equals(data)).toBeTrue();
    });

    it('hex_digits_at_end with wrong trailing digits → 400, nothing stored', async () => {
      const data = Buffer.from('payload');
      const body = Buffer.concat([data, Buffer.from(b2.sha1hex('different'))]);
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'req/hexend-bad', data: body, sha1: 'hex_digits_at_end' }), 400, 'bad_request');
      expect(await versionsOf('req/hexend-bad')).toEqual([]);
    });

    it('do_not_verify stores contentSha1 "unverified:<sha1>" and serves it on download', async () => {
      const data = Buffer.from('unverified data');
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const f = b2.expectOk(await b2.uploadFile(up, { name: 'req/dnv', data, sha1: 'do_not_verify' }));
      expect(f.contentSha1).toBe('unverified:' + b2.sha1hex(data));
      const d = await b2.downloadById(fx.auth, f.fileId);
      expect(d.headers['x-bz-content-sha1']).toBe('unverified:' + b2.sha1hex(data));
    });

    it('Transfer-Encoding: chunked is rejected with 400 and nothing is stored', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const res = await b2.uploadFile(up, { name: 'req/chunked', data: Buffer.alloc(3000, 7), chunked: true });
      b2.expectError(res, 400, 'bad_request');
      expect(await versionsOf('req/chunked')).toEqual([]);
    });

    it('missing Content-Length (no body framing at all) → 400, nothing stored', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const u = new URL(up.uploadUrl);
      const raw =
        `POST ${u.pathname} HTTP/1.1\r\n` +
        `Host: ${u.host}\r\n` +
        `Authorization: ${up.authorizationToken}\r\n` +
        `X-Bz-File-Name: req/no-length\r\n` +
        `Content-Type: text/plain\r\n` +
        `X-Bz-Content-Sha1: ${b2.sha1hex('')}\r\n` +
        `Connection: close\r\n\r\n`;
      const res = await b2.rawSocketRequest(fx.emu.url, raw);
      expect([400, 411]).withContext(res.text).toContain(res.status);
      expect(res.json?.code).withContext(res.text).toBe('bad_request');
      expect(await versionsOf('req/no-length')).toEqual([]);
    });
  });

  describe('truncated body', () => {
    it('a body shorter than Content-Length (client half-closes) stores nothing', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const u = new URL(up.uploadUrl);
      const net = await import('node:net');
      await new Promise<void>((resolve) => {
        const sock = net.connect({ host: u.hostname, port: Number(u.port) }, () => {
          sock.write(
            `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${up.authorizationToken}\r\nX-Bz-File-Name: req/truncated\r\n` +
              `Content-Type: text/plain\r\nX-Bz-Content-Sha1: do_not_verify\r\nContent-Length: 100\r\n\r\n` +
              'a'.repeat(50),
          );
          setTimeout(() => sock.end(), 100);
        });
        sock.on('data', () => undefined);
        sock.on('close', () => resolve());
        sock.on('error', () => resolve());
      });
      await b2.sleep(100);
      expect(await versionsOf('req/truncated')).toEqual([]);
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api
  describe('upload tokens', () => {
    it('an upload token is not an account token: JSON calls with it → 401', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }, { token: up.authorizationToken }), 401, ['bad_auth_token', 'unauthorized']);
    });

    it('account token on an upload URL → 401', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'tok/acct', data: 'x', token: fx.auth.token }), 401, ['unauthorized', 'bad_auth_token']);
    });

    it('unknown / missing token → 401', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'tok/bogus', data: 'x', token: 'bogus-token' }), 401, ['bad_auth_token', 'unauthorized']);
      b2.expectError(await b2.uploadFile(up, { name: 'tok/none', data: 'x', token: null }), 401, ['missing_auth_token', 'bad_auth_token', 'unauthorized']);
    });

    it('a token is bound to its URL: token of URL A on URL B → 401', async () => {
      const a = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const b = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      b2.expectError(await b2.uploadFile(b, { name: 'tok/cross', data: 'x', token: a.authorizationToken }), 401, ['bad_auth_token', 'unauthorized']);
    });

    it('a second concurrent upload on the same URL → 400 auth_token_limit; the first completes', async () => {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const data = Buffer.alloc(4000, 3);
      const first = b2.startHeldPost(up.uploadUrl, b2.uploadHeaders(up, { name: 'tok/first', data }), data, 1000);
      await b2.sleep(200);
      const second = await b2.uploadFile(up, { name: 'tok/second', data: 'y' });
      b2.expectError(second, 400, 'auth_token_limit');
      expect(second.json?.message).toContain('more than one upload using auth token');
      const r1 = await first.finish();
      expect(r1.status).withContext(r1.text).toBe(200);
      expect(await versionsOf('tok/second')).toEqual([]);
      // sequential reuse after the first finished is fine
      b2.expectOk(await b2.uploadFile(up, { name: 'tok/third', data: 'z' }));
    });
  });
});

// https://www.backblaze.com/apidocs/b2-authorize-account
describe('emu-http upload token expiry', () => {
  const fx = b2.useEmulator({ per: 'each', bucket: true });

  it('an upload token older than 24 h → 401 expired_auth_token; a fresh URL works', async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    b2.expectOk(await b2.uploadFile(up, { name: 'early', data: 'x' }));
    fx.emu.advanceClock(24 * 3600 * 1000 + 1000);
    b2.expectError(await b2.uploadFile(up, { name: 'late', data: 'x' }), 401, 'expired_auth_token');
    const auth1 = await b2.authorize(fx.emu);
    const up2 = await b2.getUploadUrl(auth1, fx.bucket.bucketId);
    b2.expectOk(await b2.uploadFile(up2, { name: 'late', data: 'x' }));
  });

  it('a part upload token older than 24 h → 401 expired_auth_token', async () => {
    const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'big.bin');
    const pu = await b2.getPartUrl(fx.auth, s.fileId);
    fx.emu.advanceClock(24 * 3600 * 1000 + 1000);
    b2.expectError(await b2.uploadPart(pu, 1, Buffer.alloc(1000, 1)), 401, 'expired_auth_token');
  });

  it('downloads with an expired account token → 401 expired_auth_token', async () => {
    const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd.txt', 'x');
    fx.emu.advanceClock(24 * 3600 * 1000 + 1000);
    b2.expectError(await b2.downloadById(fx.auth, f.fileId), 401, 'expired_auth_token');
    b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'd.txt'), 401, 'expired_auth_token');
  });
});
