import * as b2 from '../helpers/b2-http';

/** Byte-wise UTF-8 comparison (what B2 sorts by; https://www.backblaze.com/apidocs/b2-list-file-names). */
function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const NAMES = [
  'a.txt',
  'b/1.txt',
  'b/2.txt',
  'b/c/3.txt',
  'b/c/4.txt',
  'b/d/5.txt',
  'c.txt',
  'd/x',
  'd/y',
  'e',
  'photos/alice.jpg',
  'photos/cats/fluffy.jpg',
  'photos/cats/mittens.jpg',
  'photos/dogs/spot.jpg',
  'photos/lilly.jpg',
  'z\uFFFD', // EF BF BD
  'z\u{1F600}', // F0 9F 98 80 — sorts after U+FFFD in UTF-8, before it in UTF-16
];

// https://www.backblaze.com/apidocs/b2-list-file-names, https://www.backblaze.com/apidocs/b2-list-file-versions
describe('emu-http listing', () => {
  const fx = b2.useEmulator({ bucket: true });

  beforeAll(async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    // upload in scrambled order
    for (const n of [...NAMES].reverse()) {
      b2.expectOk(await b2.uploadFile(up, { name: n, data: `data of ${n}` }), n);
    }
  });

  function names(body: Record<string, unknown>): Promise<any> {
    return b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, ...body }).then((r) => b2.expectOk(r, JSON.stringify(body)));
  }
  function versions(body: Record<string, unknown>, b = fx.bucket): Promise<any> {
    return b2.call(fx.auth, 'b2_list_file_versions', { bucketId: b.bucketId, ...body }).then((r) => b2.expectOk(r, JSON.stringify(body)));
  }

  describe('b2_list_file_names', () => {
    it('returns every name once, ascending in UTF-8 byte order, as upload rows', async () => {
      const j = await names({ maxFileCount: 1000 });
      const got: string[] = j.files.map((f: any) => f.fileName);
      expect(got).toEqual([...NAMES].sort(utf8Compare));
      expect(got.slice(-2)).toEqual(['z\uFFFD', 'z\u{1F600}']);
      expect(j.files.every((f: any) => f.action === 'upload')).toBeTrue();
      expect(j.nextFileName).toBeNull();
    });

    it('prefix filters names', async () => {
      const j = await names({ prefix: 'b/' });
      expect(j.files.map((f: any) => f.fileName)).toEqual(['b/1.txt', 'b/2.txt', 'b/c/3.txt', 'b/c/4.txt', 'b/d/5.txt']);
    });

    it('delimiter produces one folder row per sub-folder (documented photos example)', async () => {
      const j = await names({ prefix: 'photos/', delimiter: '/' });
      expect(j.files.map((f: any) => [f.action, f.fileName])).toEqual([
        ['upload', 'photos/alice.jpg'],
        ['folder', 'photos/cats/'],
        ['folder', 'photos/dogs/'],
        ['upload', 'photos/lilly.jpg'],
      ]);
      const folder = j.files[1];
      expect(folder).toEqual(jasmine.objectContaining({ action: 'folder', fileId: null, contentLength: 0, fileName: 'photos/cats/' }));
      expect(folder.contentSha1 ?? null).toBeNull();
      expect(folder.contentType ?? null).toBeNull();
      expect(folder.uploadTimestamp).toBe(0);
    });

    it('prefix "photos/c" without delimiter returns the photos/cats/ files', async () => {
      const a = await names({ prefix: 'photos/c' });
      const b = await names({ prefix: 'photos/cats/' });
      expect(a.files.map((f: any) => f.fileName)).toEqual(b.files.map((f: any) => f.fileName));
      expect(a.files.length).toBe(2);
    });

    it('delimiter at the top level', async () => {
      const j = await names({ delimiter: '/', maxFileCount: 1000 });
      expect(j.files.map((f: any) => f.fileName)).toEqual(['a.txt', 'b/', 'c.txt', 'd/', 'e', 'photos/', 'z\uFFFD', 'z\u{1F600}']);
      expect(j.files.filter((f: any) => f.action === 'folder').map((f: any) => f.fileName)).toEqual(['b/', 'd/', 'photos/']);
    });

    it('startFileName is inclusive; a non-existent start begins at the next name', async () => {
      const j = await names({ startFileName: 'c.txt', maxFileCount: 2 });
      expect(j.files.map((f: any) => f.fileName)).toEqual(['c.txt', 'd/x']);
      const k = await names({ startFileName: 'bb', maxFileCount: 1 });
      expect(k.files.map((f: any) => f.fileName)).toEqual(['c.txt']);
    });

    it('maxFileCount bounds: 0 and 10001 → 400 out_of_range; 1 and 10000 OK', async () => {
      for (const n of [0, 10001, -1]) {
        b2.expectError(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, maxFileCount: n }), 400, 'out_of_range', `maxFileCount ${n}`);
      }
      expect((await names({ maxFileCount: 1 })).files.length).toBe(1);
      expect((await names({ maxFileCount: 10000 })).files.length).toBe(NAMES.length);
    });

    it('nextFileName paging visits every name exactly once', async () => {
      for (const pageSize of [1, 2, 3, 5]) {
        const seen = await b2.collectPages(async (start: string | undefined) => {
          const j = await names({ maxFileCount: pageSize, startFileName: start });
          expect(j.files.length).toBeLessThanOrEqual(pageSize);
          if (j.nextFileName !== null) expect(typeof j.nextFileName).toBe('string');
          return { items: j.files.map((f: any) => f.fileName), next: j.nextFileName };
        });
        expect(seen)
          .withContext(`page size ${pageSize}`)
          .toEqual([...NAMES].sort(utf8Compare));
      }
    });

    it('paging with a delimiter visits each folder once and skips its content', async () => {
      const seen = await b2.collectPages(async (start: string | undefined) => {
        const j = await names({ maxFileCount: 1, delimiter: '/', startFileName: start });
        return { items: j.files.map((f: any) => f.fileName), next: j.nextFileName };
      });
      expect(seen).toEqual(['a.txt', 'b/', 'c.txt', 'd/', 'e', 'photos/', 'z\uFFFD', 'z\u{1F600}']);
    });

    it('paging with prefix + delimiter', async () => {
      const seen = await b2.collectPages(async (start: string | undefined) => {
        const j = await names({ prefix: 'b/', delimiter: '/', maxFileCount: 1, startFileName: start });
        return { items: j.files.map((f: any) => f.fileName), next: j.nextFileName };
      });
      expect(seen).toEqual(['b/1.txt', 'b/2.txt', 'b/c/', 'b/d/']);
    });

    it('unknown bucket → 400 bad_bucket_id / invalid_bucket_id', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: '000000000000000000000000' }), 400, ['bad_bucket_id', 'invalid_bucket_id']);
    });

    it('default maxFileCount is 100', async () => {
      const many = await b2.createBucket(fx.auth);
      const up = await b2.getUploadUrl(fx.auth, many.bucketId);
      for (let i = 0; i < 105; i++) {
        b2.expectOk(await b2.uploadFile(up, { name: `n${String(i).padStart(3, '0')}`, data: 'x' }));
      }
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: many.bucketId }));
      expect(j.files.length).toBe(100);
      expect(j.files[99].fileName).toBe('n099');
      expect(j.nextFileName).not.toBeNull();
      const rest = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: many.bucketId, startFileName: j.nextFileName }));
      expect(rest.files.map((f: any) => f.fileName)).toEqual(['n100', 'n101', 'n102', 'n103', 'n104']);
      const v = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: many.bucketId }));
      expect(v.files.length).toBe(100);
    });
  });

  describe('current version selection', () => {
    let vb: any;
    beforeAll(async () => {
      vb = await b2.createBucket(fx.auth);
    });

    it('only the newest version of a name is listed', async () => {
      await b2.uploadOk(fx.auth, vb.bucketId, 'multi', 'v1');
      await b2.uploadOk(fx.auth, vb.bucketId, 'multi', 'v2');
      const last = await b2.uploadOk(fx.auth, vb.bucketId, 'multi', 'v3');
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: vb.bucketId, prefix: 'multi' }));
      expect(j.files.length).toBe(1);
      expect(j.files[0].fileId).toBe(last.fileId);
    });

    it('an unfinished large file never appears and does not mask the older upload', async () => {
      const f = await b2.uploadOk(fx.auth, vb.bucketId, 'lf-masked', 'small');
      await b2.startLarge(fx.auth, vb.bucketId, 'lf-masked');
      await b2.startLarge(fx.auth, vb.bucketId, 'lf-only');
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: vb.bucketId, prefix: 'lf-' }));
      expect(j.files.map((x: any) => [x.fileName, x.fileId, x.action])).toEqual([['lf-masked', f.fileId, 'upload']]);
      const d = await b2.downloadByName(fx.auth, vb.bucketName, 'lf-masked');
      expect(d.status).toBe(200);
      expect(d.text).toBe('small');
    });

    it('hidden names are omitted', async () => {
      await b2.uploadOk(fx.auth, vb.bucketId, 'hid/den', 'x');
      await b2.uploadOk(fx.auth, vb.bucketId, 'hid/visible', 'x');
      b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: vb.bucketId, fileName: 'hid/den' }));
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: vb.bucketId, prefix: 'hid/' }));
      expect(j.files.map((x: any) => x.fileName)).toEqual(['hid/visible']);
      // a folder whose only file is hidden is not shown either
      await b2.uploadOk(fx.auth, vb.bucketId, 'hidfolder/only', 'x');
      b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: vb.bucketId, fileName: 'hidfolder/only' }));
      const k = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: vb.bucketId, prefix: 'hidfolder', delimiter: '/' }));
      expect(k.files).toEqual([]);
    });
  });

  describe('b2_list_file_versions', () => {
    let vb: any;
    const ids: Record<string, string[]> = {};
    let hideId = '';
    let startId = '';

    beforeAll(async () => {
      vb = await b2.createBucket(fx.auth);
      const up = await b2.getUploadUrl(fx.auth, vb.bucketId);
      for (const n of ['v/b', 'v/a', 'v/c', 'v/a', 'v/b', 'v/a']) {
        const f = b2.expectOk(await b2.uploadFile(up, { name: n, data: n }));
        (ids[n] ??= []).unshift(f.fileId); // newest first
      }
      hideId = b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: vb.bucketId, fileName: 'v/c' })).fileId;
      startId = (await b2.startLarge(fx.auth, vb.bucketId, 'v/d')).fileId;
    });

    it('lists every version: name ascending, newest first within a name, with hide and start rows', async () => {
      const j = await versions({ maxFileCount: 1000 }, vb);
      expect(j.files.map((f: any) => f.fileId)).toEqual([...ids['v/a'], ...ids['v/b'], hideId, ...ids['v/c'], startId]);
      expect(j.files.map((f: any) => f.action)).toEqual(['upload', 'upload', 'upload', 'upload', 'upload', 'hide', 'upload', 'start']);
      expect(j.nextFileName).toBeNull();
      expect(j.nextFileId).toBeNull();
      // uploadTimestamp never increases going down one name's versions
      const a = j.files.filter((f: any) => f.fileName === 'v/a').map((f: any) => f.uploadTimestamp);
      expect(a[0]).toBeGreaterThanOrEqual(a[1]);
      expect(a[1]).toBeGreaterThanOrEqual(a[2]);
    });

    it('hide rows omit fileRetention/legalHold/serverSideEncryption and carry the hide-marker type', async () => {
      const j = await versions({ prefix: 'v/c' }, vb);
      const hide = j.files[0];
      expect(hide).toEqual(jasmine.objectContaining({ action: 'hide', fileId: hideId, contentLength: 0, contentType: 'application/x-bz-hide-marker', fileInfo: {} }));
      expect('fileRetention' in hide).toBeFalse();
      expect('legalHold' in hide).toBeFalse();
      expect('serverSideEncryption' in hide).toBeFalse();
    });

    it('paging with nextFileName + nextFileId visits every version exactly once, in order', async () => {
      const all = (await versions({ maxFileCount: 1000 }, vb)).files.map((f: any) => f.fileId);
      for (const pageSize of [1, 2, 3]) {
        const seen = await b2.collectPages(async (start: { name: string; id: string | null } | undefined) => {
          const j = await versions({ maxFileCount: pageSize, startFileName: start?.name, startFileId: start?.id ?? undefined }, vb);
          expect(j.files.length).toBeLessThanOrEqual(pageSize);
          return { items: j.files.map((f: any) => f.fileId), next: j.nextFileName === null ? null : { name: j.nextFileName, id: j.nextFileId } };
        });
        expect(seen).withContext(`page size ${pageSize}`).toEqual(all);
      }
    });

    it('(startFileName, startFileId) is inclusive', async () => {
      const j = await versions({ startFileName: 'v/a', startFileId: ids['v/a'][1], maxFileCount: 2 }, vb);
      expect(j.files.map((f: any) => f.fileId)).toEqual([ids['v/a'][1], ids['v/a'][2]]);
      const k = await versions({ startFileName: 'v/b', maxFileCount: 1 }, vb);
      expect(k.files.map((f: any) => f.fileId)).toEqual([ids['v/b'][0]]);
    });

    it('prefix + delimiter produce folder rows', async () => {
      const j = await versions({ delimiter: '/', maxFileCount: 100 }, vb);
      expect(j.files.map((f: any) => [f.action, f.fileName])).toEqual([['folder', 'v/']]);
    });

    it('maxFileCount 0 / 10001 → 400 out_of_range', async () => {
      for (const n of [0, 10001]) {
        b2.expectError(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: vb.bucketId, maxFileCount: n }), 400, 'out_of_range', `maxFileCount ${n}`);
      }
    });

    // https://www.backblaze.com/apidocs/b2-list-file-versions
    it('malformed startFileId → 400 invalid_file_id', async () => {
      const res = await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: vb.bucketId, startFileName: 'v/a', startFileId: '!!! not an id !!!' });
      b2.expectError(res, 400, ['invalid_file_id', 'bad_request']);
    });

    it('startFileId without startFileName → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: vb.bucketId, startFileId: ids['v/a'][0] }), 400, 'bad_request');
    });

    it('unknown bucket → 400', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: '000000000000000000000000' }), 400, ['bad_bucket_id', 'invalid_bucket_id']);
    });

    // https://www.backblaze.com/apidocs/b2-upload-file
    it('uploadTimestamp strictly increases across rapid uploads of one name', async () => {
      const rb = await b2.createBucket(fx.auth);
      const up = await b2.getUploadUrl(fx.auth, rb.bucketId);
      const got: number[] = [];
      for (let i = 0; i < 6; i++) got.push(b2.expectOk(await b2.uploadFile(up, { name: 'rapid', data: String(i) })).uploadTimestamp);
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]);
      const j = await versions({ prefix: 'rapid' }, rb);
      const ts = j.files.map((f: any) => f.uploadTimestamp);
      expect(ts).toEqual([...got].reverse());
    });
  });
});
