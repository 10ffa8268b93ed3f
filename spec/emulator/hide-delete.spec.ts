import * as b2 from '../helpers/b2-http';

// https://www.backblaze.com/apidocs/b2-get-file-info, https://www.backblaze.com/apidocs/b2-hide-file, https://www.backblaze.com/apidocs/b2-delete-file-version, https://www.backblaze.com/apidocs/b2-list-file-versions
describe('emu-http hide, delete and get_file_info', () => {
  const fx = b2.useEmulator({ bucket: true });

  async function listedNames(prefix: string): Promise<string[]> {
    const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix }));
    return j.files.map((f: any) => f.fileName);
  }

  describe('b2_hide_file', () => {
    it('creates a hide version with the documented fields', async () => {
      await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h1/file.txt', 'to be hidden');
      const before = Date.now();
      const h = b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h1/file.txt' }));
      expect(h).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          action: 'hide',
          bucketId: fx.bucket.bucketId,
          contentLength: 0,
          contentType: 'application/x-bz-hide-marker',
          fileInfo: {},
          fileName: 'h1/file.txt',
        }),
      );
      expect(typeof h.fileId).toBe('string');
      expect(h.uploadTimestamp).toBeGreaterThanOrEqual(before - 5000);
      expect('fileRetention' in h).toBeFalse();
      expect('legalHold' in h).toBeFalse();
      expect('serverSideEncryption' in h).toBeFalse();
    });

    it('hidden: gone from list_file_names, download by name → 404, by id still 200; versions show hide first', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h2/file.txt', 'older content');
      const h = b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h2/file.txt' }));
      expect(await listedNames('h2/')).toEqual([]);
      b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'h2/file.txt'), 404, 'not_found');
      const byId = await b2.downloadById(fx.auth, f.fileId);
      expect(byId.status).toBe(200);
      expect(byId.text).toBe('older content');
      const v = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'h2/' }));
      expect(v.files.map((x: any) => [x.action, x.fileId])).toEqual([
        ['hide', h.fileId],
        ['upload', f.fileId],
      ]);
      const info = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: h.fileId }));
      expect(info.action).toBe('hide');
    });

    it('hiding again → 400 already_hidden', async () => {
      await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h3/file.txt', 'x');
      b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h3/file.txt' }));
      b2.expectError(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h3/file.txt' }), 400, 'already_hidden');
    });

    it('no version with that name → 400 no_such_file', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h4/never-uploaded' }), 400, 'no_such_file');
    });

    it('unknown bucket → 400 bad_bucket_id', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_hide_file', { bucketId: '000000000000000000000000', fileName: 'x' }), 400, 'bad_bucket_id');
    });

    it('deleting the hide marker makes the previous version current again', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h5/file.txt', 'restored');
      const h = b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h5/file.txt' }));
      const del = b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'h5/file.txt', fileId: h.fileId }));
      expect(del).toEqual(jasmine.objectContaining({ fileId: h.fileId, fileName: 'h5/file.txt' }));
      expect(await listedNames('h5/')).toEqual(['h5/file.txt']);
      const d = await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'h5/file.txt');
      expect(d.status).toBe(200);
      expect(d.text).toBe('restored');
      expect(d.headers['x-bz-file-id']).toBe(f.fileId);
    });

    it('uploading after a hide makes the name visible again', async () => {
      await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h6/file.txt', 'first');
      b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'h6/file.txt' }));
      const g = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'h6/file.txt', 'second');
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'h6/' }));
      expect(j.files.map((x: any) => x.fileId)).toEqual([g.fileId]);
    });
  });

  describe('b2_delete_file_version', () => {
    it('returns {fileId, fileName}; deleting the newest version promotes the next older one', async () => {
      const v1 = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd1/file.txt', 'version 1');
      const v2 = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd1/file.txt', 'version 2');
      const del = b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd1/file.txt', fileId: v2.fileId }));
      expect(del.fileId).toBe(v2.fileId);
      expect(del.fileName).toBe('d1/file.txt');
      const d = await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'd1/file.txt');
      expect(d.text).toBe('version 1');
      expect(d.headers['x-bz-file-id']).toBe(v1.fileId);
      b2.expectError(await b2.downloadById(fx.auth, v2.fileId), 404, 'not_found');
    });

    it('deleting the last version removes the name', async () => {
      const v = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd2/file.txt', 'only');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd2/file.txt', fileId: v.fileId }));
      expect(await listedNames('d2/')).toEqual([]);
      b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'd2/file.txt'), 404, 'not_found');
    });

    it('fileName not matching the version → 400 file_not_present; nothing deleted', async () => {
      const v = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd3/file.txt', 'x');
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd3/other.txt', fileId: v.fileId }), 400, 'file_not_present');
      expect(await listedNames('d3/')).toEqual(['d3/file.txt']);
    });

    it('already deleted version → 400 file_not_present', async () => {
      const v = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd4/file.txt', 'x');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd4/file.txt', fileId: v.fileId }));
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd4/file.txt', fileId: v.fileId }), 400, 'file_not_present');
    });

    it('missing fileName or fileId → 400 bad_request', async () => {
      const v = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'd5/file.txt', 'x');
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileId: v.fileId }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd5/file.txt' }), 400, 'bad_request');
    });

    it('on an unfinished large file it acts like cancel', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'd6/large.bin');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'd6/large.bin', fileId: s.fileId }));
      const u = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: fx.bucket.bucketId, namePrefix: 'd6/' }));
      expect(u.files).toEqual([]);
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_part_url', { fileId: s.fileId }), [400, 404], ['bad_request', 'not_found']);
    });
  });

  describe('b2_get_file_info', () => {
    it('returns the version by id (upload, hide, start)', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'g1/file.txt', 'abc', { contentType: 'text/plain', info: { k: 'v' } });
      const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi).toEqual(
        jasmine.objectContaining({
          fileId: f.fileId,
          fileName: 'g1/file.txt',
          action: 'upload',
          contentLength: 3,
          contentSha1: b2.sha1hex('abc'),
          contentMd5: b2.md5hex('abc'),
          contentType: 'text/plain',
          fileInfo: { k: 'v' },
          uploadTimestamp: f.uploadTimestamp,
          bucketId: fx.bucket.bucketId,
          accountId: fx.auth.accountId,
        }),
      );
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'g1/large');
      const gs = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: s.fileId }));
      expect(gs.action).toBe('start');
    });

    it('unknown (deleted) id → 404 not_found; malformed id → 400 bad_request', async () => {
      const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'g2/file.txt', 'abc');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'g2/file.txt', fileId: f.fileId }));
      b2.expectError(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }), 404, 'not_found');
      b2.expectError(await b2.call(fx.auth, 'b2_get_file_info', { fileId: 'bad-id' }), 400, 'bad_request');
    });

    it('missing fileId → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_get_file_info', {}), 400, 'bad_request');
    });
  });
});
