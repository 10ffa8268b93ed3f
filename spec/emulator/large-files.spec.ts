import * as b2 from '../helpers/b2-http';

// absoluteMinimumPartSize is 1000 in these specs
const P1 = Buffer.alloc(1000, 0x41);
const P2 = Buffer.alloc(1200, 0x42);
const P3 = Buffer.alloc(300, 0x43);

// https://www.backblaze.com/docs/cloud-storage-large-files
describe('emu-http large files', () => {
  const fx = b2.useEmulator({ bucket: true });

  const startWithParts = (name: string, parts: Buffer[]) => b2.startLargeWithParts(fx.auth, fx.bucket.bucketId, name, parts);

  describe('b2_start_large_file', () => {
    it('returns a start version (contentSha1 "none", contentMd5 null, length 0)', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'start/a.bin', {
        contentType: 'application/x-thing',
        fileInfo: { large_file_sha1: 'a'.repeat(40), who: 'me' },
      });
      expect(s).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          action: 'start',
          bucketId: fx.bucket.bucketId,
          contentLength: 0,
          contentSha1: 'none',
          contentMd5: null,
          contentType: 'application/x-thing',
          fileName: 'start/a.bin',
          fileInfo: { large_file_sha1: 'a'.repeat(40), who: 'me' },
        }),
      );
      expect(typeof s.fileId).toBe('string');
    });

    it('unknown reserved b2-* fileInfo key → 400', async () => {
      const res = await b2.call(fx.auth, 'b2_start_large_file', {
        bucketId: fx.bucket.bucketId,
        fileName: 'start/reserved.bin',
        contentType: 'text/plain',
        fileInfo: { 'b2-not-a-thing': 'x' },
      });
      b2.expectError(res, 400, 'bad_request');
    });

    it('accepts b2/x-auto', async () => {
      const s = b2.expectOk(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'start/auto.txt', contentType: 'b2/x-auto' }));
      expect(s.action).toBe('start');
    });

    it('unknown bucket → 400 bad_bucket_id; illegal name → 400; >10 fileInfo → 400; missing contentType → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: '000000000000000000000000', fileName: 'x', contentType: 'text/plain' }), 400, 'bad_bucket_id');
      b2.expectError(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'bad\u0002', contentType: 'text/plain' }), 400, 'bad_request');
      const eleven: Record<string, string> = {};
      for (let i = 0; i < 11; i++) eleven[`k${i}`] = 'v';
      b2.expectError(
        await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'start/eleven', contentType: 'text/plain', fileInfo: eleven }),
        400,
        'bad_request',
      );
      b2.expectError(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'start/noct' }), 400, 'bad_request');
    });
  });

  describe('b2_get_upload_part_url / b2_upload_part', () => {
    it('part URL has the documented shape; upload_part returns the part object', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/shape.bin');
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_get_upload_part_url', { fileId: s.fileId }));
      expect(j.fileId).toBe(s.fileId);
      expect(j.uploadUrl).toContain('/b2_upload_part/' + s.fileId + '/');
      expect(j.uploadUrl.startsWith(fx.emu.url + '/b2api/v')).toBeTrue();
      expect(typeof j.authorizationToken).toBe('string');
      expect(j.authorizationToken).not.toBe(fx.auth.token);
      const before = Date.now();
      const p = b2.expectOk(await b2.uploadPart(j, 1, P1));
      expect(p).toEqual(jasmine.objectContaining({ fileId: s.fileId, partNumber: 1, contentLength: P1.length, contentSha1: b2.sha1hex(P1) }));
      if (p.contentMd5 !== null && p.contentMd5 !== undefined) expect(p.contentMd5).toBe(b2.md5hex(P1));
      expect(p.uploadTimestamp).toBeGreaterThanOrEqual(before - 5000);
    });

    it('part number outside 1…10000 or missing → 400 bad_request', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/range.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectError(await b2.uploadPart(pu, 0, P3), 400, 'bad_request');
      b2.expectError(await b2.uploadPart(pu, 10001, P3), 400, 'bad_request');
      b2.expectError(await b2.uploadPart(pu, 1, P3, { partNumber: 'one' }), 400, 'bad_request');
      b2.expectError(await b2.uploadPart(pu, 1, P3, { partNumber: null }), 400, 'bad_request');
      b2.expectOk(await b2.uploadPart(pu, 10000, P3));
    });

    it('SHA-1 mismatch → 400 and the part is not stored', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/sha.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectError(await b2.uploadPart(pu, 1, P1, { sha1: b2.sha1hex(P2) }), 400, 'bad_request');
      const lp = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId: s.fileId }));
      expect(lp.parts).toEqual([]);
    });

    it('hex_digits_at_end works for parts', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/hexend.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      const body = Buffer.concat([P1, Buffer.from(b2.sha1hex(P1))]);
      const p = b2.expectOk(await b2.uploadPart(pu, 1, body, { sha1: 'hex_digits_at_end' }));
      expect(p.contentLength).toBe(P1.length);
      expect(p.contentSha1).toBe(b2.sha1hex(P1));
    });

    it('re-uploading a part number replaces the earlier part', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/replace.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectOk(await b2.uploadPart(pu, 1, P1));
      b2.expectOk(await b2.uploadPart(pu, 1, P2));
      const lp = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId: s.fileId }));
      expect(lp.parts.length).toBe(1);
      expect(lp.parts[0].contentSha1).toBe(b2.sha1hex(P2));
      expect(lp.parts[0].contentLength).toBe(P2.length);
    });

    it('account token on a part URL → 401; unknown token → 401', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/token.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectError(await b2.uploadPart(pu, 1, P1, { token: fx.auth.token }), 401, ['unauthorized', 'bad_auth_token']);
      b2.expectError(await b2.uploadPart(pu, 1, P1, { token: 'bogus' }), 401, ['unauthorized', 'bad_auth_token']);
    });

    it('get_upload_part_url for an unknown / finished file → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_part_url', { fileId: 'bad-id' }), [400, 404], ['bad_request', 'not_found']);
      const { fileId, sha1s } = await startWithParts('parts/done.bin', [P1]);
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_part_url', { fileId }), [400, 404], ['bad_request', 'not_found']);
    });

    it('a second concurrent part upload on the same part URL → 400 auth_token_limit', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'parts/concurrent.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      const big = Buffer.alloc(200_000, 9);
      const headers = { Authorization: pu.authorizationToken, 'X-Bz-Part-Number': '1', 'X-Bz-Content-Sha1': b2.sha1hex(big) };
      const first = b2.startHeldPost(pu.uploadUrl, headers, big, 1000);
      await b2.sleep(200);
      const second = await b2.uploadPart(pu, 2, P1);
      b2.expectError(second, 400, 'auth_token_limit');
      expect((await first.finish()).status).toBe(200);
    });
  });

  describe('b2_list_parts', () => {
    let fileId = '';
    const parts: Buffer[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 5; i++) parts.push(Buffer.alloc(1000 + i, i));
      fileId = (await startWithParts('lp/five.bin', parts)).fileId;
    });

    it('lists parts ascending with the part fields', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId }));
      expect(j.parts.map((p: any) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
      expect(j.parts[2]).toEqual(jasmine.objectContaining({ fileId, partNumber: 3, contentLength: 1002, contentSha1: b2.sha1hex(parts[2]) }));
      expect(j.nextPartNumber).toBeNull();
    });

    it('pages with maxPartCount / nextPartNumber (inclusive startPartNumber), visiting every part once', async () => {
      const seen = await b2.collectPages(async (start: number | undefined) => {
        const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId, maxPartCount: 2, startPartNumber: start }));
        expect(j.parts.length).toBeLessThanOrEqual(2);
        return { items: j.parts.map((p: any) => p.partNumber), next: j.nextPartNumber };
      }, 20);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      const from3 = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId, startPartNumber: 3, maxPartCount: 1 }));
      expect(from3.parts.map((p: any) => p.partNumber)).toEqual([3]);
      expect(from3.nextPartNumber).toBe(4);
    });

    it('maxPartCount above 1000 or 0 → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_parts', { fileId, maxPartCount: 1001 }), 400, ['bad_request', 'out_of_range']);
      b2.expectError(await b2.call(fx.auth, 'b2_list_parts', { fileId, maxPartCount: 0 }), 400, ['bad_request', 'out_of_range']);
    });

    it('unknown file → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_parts', { fileId: 'bad-id' }), [400, 404], ['bad_request', 'not_found']);
    });
  });

  describe('b2_finish_large_file', () => {
    it('assembles parts; keeps the fileId; contentSha1 "none"; uploadTimestamp = start time', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'fin/ok.bin', { fileInfo: { large_file_sha1: b2.sha1hex(Buffer.concat([P1, P2, P3])) } });
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      // upload out of order
      b2.expectOk(await b2.uploadPart(pu, 3, P3));
      b2.expectOk(await b2.uploadPart(pu, 1, P1));
      b2.expectOk(await b2.uploadPart(pu, 2, P2));
      const f = b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId: s.fileId, partSha1Array: [P1, P2, P3].map((p) => b2.sha1hex(p)) }));
      expect(f).toEqual(
        jasmine.objectContaining({
          action: 'upload',
          fileId: s.fileId,
          fileName: 'fin/ok.bin',
          contentLength: P1.length + P2.length + P3.length,
          contentSha1: 'none',
          contentMd5: null,
          uploadTimestamp: s.uploadTimestamp,
        }),
      );
      const d = await b2.downloadById(fx.auth, s.fileId);
      expect(d.status).toBe(200);
      expect(d.body.equals(Buffer.concat([P1, P2, P3]))).toBeTrue();
      expect(d.headers['x-bz-content-sha1']).toBe('none');
      expect(d.headers['x-bz-info-large_file_sha1']).toBe(b2.sha1hex(Buffer.concat([P1, P2, P3])));
      const ln = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'fin/ok.bin' }));
      expect(ln.files.map((x: any) => [x.fileId, x.action])).toEqual([[s.fileId, 'upload']]);
      const lu = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: fx.bucket.bucketId, namePrefix: 'fin/ok.bin' }));
      expect(lu.files).toEqual([]);
    });

    it('a one-part large file is allowed', async () => {
      const { fileId, sha1s } = await startWithParts('fin/one.bin', [P3]);
      const f = b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
      expect(f.contentLength).toBe(P3.length);
    });

    it('missing part (gap) → 400', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'fin/gap.bin');
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectOk(await b2.uploadPart(pu, 1, P1));
      b2.expectOk(await b2.uploadPart(pu, 3, P3));
      const res = await b2.call(fx.auth, 'b2_finish_large_file', { fileId: s.fileId, partSha1Array: [b2.sha1hex(P1), b2.sha1hex(P2), b2.sha1hex(P3)] });
      b2.expectError(res, 400, ['bad_request', 'missing_part']);
      const res2 = await b2.call(fx.auth, 'b2_finish_large_file', { fileId: s.fileId, partSha1Array: [b2.sha1hex(P1), b2.sha1hex(P3)] });
      b2.expectError(res2, 400, ['bad_request', 'part_sha1_mismatch', 'missing_part']);
    });

    it('SHA-1s in the wrong order → 400; the file stays unfinished', async () => {
      const { fileId, sha1s } = await startWithParts('fin/order.bin', [P1, P2]);
      const res = await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: [sha1s[1], sha1s[0]] });
      b2.expectError(res, 400, ['bad_request', 'part_sha1_mismatch']);
      const lu = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: fx.bucket.bucketId, namePrefix: 'fin/order.bin' }));
      expect(lu.files.map((x: any) => x.fileId)).toEqual([fileId]);
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
    });

    it('a part other than the last below absoluteMinimumPartSize → 400; the last may be small', async () => {
      const small = Buffer.alloc(999, 1);
      const { fileId, sha1s } = await startWithParts('fin/small.bin', [small, P1]);
      b2.expectError(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }), 400, 'bad_request');
    });

    it('partSha1Array omitting a stored trailing part is refused', async () => {
      const { fileId, sha1s } = await startWithParts('fin/extra.bin', [P1, P2, P3]);
      const res = await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s.slice(0, 2) });
      // B2 requires every uploaded part to be listed (https://www.backblaze.com/apidocs/b2-finish-large-file: every part from 1 to N must be listed)
      b2.expectError(res, 400, ['bad_request', 'missing_part', 'part_sha1_mismatch']);
    });

    it('finishing twice / unknown id → 400', async () => {
      const { fileId, sha1s } = await startWithParts('fin/twice.bin', [P1]);
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
      b2.expectError(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_finish_large_file', { fileId: 'bad-id', partSha1Array: sha1s }), 400, ['bad_request', 'bad_bucket_id']);
    });

    it('list_parts after finish → 400 (only while unfinished)', async () => {
      const { fileId, sha1s } = await startWithParts('fin/lp.bin', [P1]);
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
      b2.expectError(await b2.call(fx.auth, 'b2_list_parts', { fileId }), 400, 'bad_request');
    });
  });

  describe('b2_cancel_large_file', () => {
    it('returns {accountId, bucketId, fileId, fileName} and removes file and parts', async () => {
      const { fileId } = await startWithParts('cancel/a.bin', [P1]);
      const c = b2.expectOk(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId }));
      expect(c).toEqual(jasmine.objectContaining({ accountId: fx.auth.accountId, bucketId: fx.bucket.bucketId, fileId, fileName: 'cancel/a.bin' }));
      const lu = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: fx.bucket.bucketId, namePrefix: 'cancel/a.bin' }));
      expect(lu.files).toEqual([]);
      const lv = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'cancel/a.bin' }));
      expect(lv.files).toEqual([]);
      b2.expectError(await b2.call(fx.auth, 'b2_list_parts', { fileId }), [400, 404], ['bad_request', 'not_found']);
    });

    it('a part URL of a cancelled file refuses uploads', async () => {
      const { fileId } = await startWithParts('cancel/stale-url.bin', []);
      const pu = await b2.getPartUrl(fx.auth, fileId);
      b2.expectOk(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId }));
      const r = await b2.uploadPart(pu, 1, P1);
      expect(r.status).withContext(r.text).toBeGreaterThanOrEqual(400);
      expect(r.status).withContext(r.text).toBeLessThan(500);
    });

    it('cancel twice / bad id → 400 bad_request', async () => {
      const { fileId } = await startWithParts('cancel/b.bin', []);
      b2.expectOk(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId }));
      b2.expectError(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId: 'bad-id' }), 400, 'bad_request');
    });

    it('cancel of a finished file → 400', async () => {
      const { fileId, sha1s } = await startWithParts('cancel/done.bin', [P1]);
      b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
      b2.expectError(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId }), 400, 'bad_request');
    });
  });

  describe('b2_list_unfinished_large_files', () => {
    let ub: any;
    const started: string[] = [];

    beforeAll(async () => {
      ub = await b2.createBucket(fx.auth);
      // names deliberately not in start order
      for (const n of ['u/zeta', 'u/alpha', 'u/mid', 'other/x', 'u/beta']) {
        started.push((await b2.startLarge(fx.auth, ub.bucketId, n)).fileId);
      }
      await b2.uploadOk(fx.auth, ub.bucketId, 'u/finished-small', 'x');
    });

    it('lists only start versions, oldest first', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId }));
      expect(j.files.map((f: any) => f.fileId)).toEqual(started);
      expect(j.files.every((f: any) => f.action === 'start')).toBeTrue();
      expect(j.nextFileId).toBeNull();
    });

    it('namePrefix filters', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId, namePrefix: 'u/' }));
      expect(j.files.map((f: any) => f.fileName)).toEqual(['u/zeta', 'u/alpha', 'u/mid', 'u/beta']);
    });

    it('pages with maxFileCount / nextFileId (inclusive startFileId), each file once', async () => {
      const seen = await b2.collectPages(async (start: string | undefined) => {
        const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId, maxFileCount: 2, startFileId: start }));
        expect(j.files.length).toBeLessThanOrEqual(2);
        return { items: j.files.map((f: any) => f.fileId), next: j.nextFileId };
      }, 20);
      expect(seen).toEqual(started);
      const from = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId, startFileId: started[2], maxFileCount: 1 }));
      expect(from.files.map((f: any) => f.fileId)).toEqual([started[2]]);
    });

    it('the cursor survives its own file being cancelled (or finished) between pages', async () => {
      const cb = await b2.createBucket(fx.auth);
      const ids: string[] = [];
      for (const n of ['c/one', 'c/two', 'c/three', 'c/four', 'c/five']) ids.push((await b2.startLarge(fx.auth, cb.bucketId, n)).fileId);
      const page1 = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: cb.bucketId, maxFileCount: 2 }));
      expect(page1.files.map((f: any) => f.fileId)).toEqual(ids.slice(0, 2));
      expect(page1.nextFileId).toBe(ids[2]);
      b2.expectOk(await b2.call(fx.auth, 'b2_cancel_large_file', { fileId: ids[2] }));
      const page2 = b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: cb.bucketId, maxFileCount: 2, startFileId: page1.nextFileId }));
      expect(page2.files.map((f: any) => f.fileId)).toEqual(ids.slice(3, 5));
      expect(page2.nextFileId).toBeNull();
    });

    it('maxFileCount 101 or 0 → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId, maxFileCount: 101 }), 400, ['bad_request', 'out_of_range']);
      b2.expectError(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: ub.bucketId, maxFileCount: 0 }), 400, ['bad_request', 'out_of_range']);
    });

    it('unknown bucket → 400 bad_bucket_id', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: '000000000000000000000000' }), 400, ['bad_bucket_id', 'invalid_bucket_id']);
    });
  });

  describe('b2_copy_part', () => {
    let source: any;
    const SRC = Buffer.concat([Buffer.alloc(1500, 0x61), Buffer.alloc(1500, 0x62)]);

    beforeAll(async () => {
      source = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'cp/source.bin', SRC);
    });

    it('copies ranges of a file as parts; finish assembles them', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'cp/dest.bin');
      const p1 = b2.expectOk(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: s.fileId, partNumber: 1, range: 'bytes=0-1199' }));
      const slice1 = SRC.subarray(0, 1200);
      expect(p1).toEqual(jasmine.objectContaining({ fileId: s.fileId, partNumber: 1, contentLength: 1200, contentSha1: b2.sha1hex(slice1) }));
      const p2 = b2.expectOk(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: s.fileId, partNumber: 2, range: 'bytes=1200-2999' }));
      const slice2 = SRC.subarray(1200);
      expect(p2.contentSha1).toBe(b2.sha1hex(slice2));
      // mixed with an uploaded part
      const pu = await b2.getPartUrl(fx.auth, s.fileId);
      b2.expectOk(await b2.uploadPart(pu, 3, P3));
      const lp = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId: s.fileId }));
      expect(lp.parts.map((p: any) => p.partNumber)).toEqual([1, 2, 3]);
      const f = b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId: s.fileId, partSha1Array: [b2.sha1hex(slice1), b2.sha1hex(slice2), b2.sha1hex(P3)] }));
      expect(f.contentLength).toBe(SRC.length + P3.length);
      const d = await b2.downloadById(fx.auth, s.fileId);
      expect(d.body.equals(Buffer.concat([SRC, P3]))).toBeTrue();
    });

    it('without range the whole source becomes the part', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'cp/whole.bin');
      const p = b2.expectOk(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: s.fileId, partNumber: 1 }));
      expect(p.contentLength).toBe(SRC.length);
      expect(p.contentSha1).toBe(b2.sha1hex(SRC));
    });

    // https://www.backblaze.com/apidocs/b2-copy-part
    it('destinationServerSideEncryption SSE-B2 cannot be requested on copy_part → 400', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'cp/sseb2.bin');
      const res = await b2.call(fx.auth, 'b2_copy_part', {
        sourceFileId: source.fileId,
        largeFileId: s.fileId,
        partNumber: 1,
        destinationServerSideEncryption: { mode: 'SSE-B2', algorithm: 'AES256' },
      });
      b2.expectError(res, 400, 'bad_request');
    });

    it('bad part number / unknown large file → 400', async () => {
      const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'cp/bad.bin');
      b2.expectError(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: s.fileId, partNumber: 0 }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: s.fileId, partNumber: 10001 }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: 'bad-id', partNumber: 1 }), [400, 404], ['bad_request', 'not_found']);
    });
  });
});
