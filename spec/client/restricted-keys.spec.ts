/**
 * Application keys restricted by capability, by bucket and by name prefix, used through the client:
 * each refusal is a typed B2Error 401 `unauthorized` (not retried, no re-authorization), and
 * everything the key allows works.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { B2, B2Error, intoBuffer, toResponseBody, type B2CreatedKeyWire, type Bucket, type B2File, type CreateKeyOptions } from '../../src';
import { all, bucketName, bytes, countRequests, failure, onlyOnEmulator, sha1, startClientEmulator, upload, type Emu } from './support';

describe('client restricted application keys', () => {
  onlyOnEmulator('makes keys restricted to two buckets of its own');
  let emu: Emu;
  let master: B2;
  let mine: Bucket;
  let other: Bucket;
  let otherFile: B2File;
  let privFile: B2File;

  /** A client for a key made by the master client. */
  async function keyClient(options: Omit<CreateKeyOptions, 'keyName'>): Promise<{ key: B2CreatedKeyWire; b2: B2 }> {
    const key = await firstValueFrom(master.keys.create({ keyName: `rk-${Math.random().toString(36).slice(2, 10)}`, ...options }));
    const b2 = new B2({ applicationKeyId: key.applicationKeyId, applicationKey: key.applicationKey, realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    return { key, b2 };
  }

  /** The refusal every restricted-key failure should be: typed, 401 unauthorized, final. */
  function expectUnauthorized(err: B2Error, operation?: string): void {
    expect(err).toBeInstanceOf(B2Error);
    expect([err.status, err.code]).toEqual([401, 'unauthorized']);
    expect(err.isRetryable).toBeFalse();
    expect(err.isExpiredAuth).toBeFalse();
    expect(err.needsNewUploadUrl).toBeFalse();
    if (operation) expect(err.operation).toBe(operation);
  }

  beforeAll(async () => {
    emu = await startClientEmulator();
    master = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    mine = await firstValueFrom(master.buckets.create(bucketName('rk-mine')));
    other = await firstValueFrom(master.buckets.create(bucketName('rk-other')));
    await upload(mine, 'pub/a.txt', 'public a');
    await upload(mine, 'pub/b.txt', 'public b');
    privFile = await upload(mine, 'priv/x.txt', 'private x');
    otherFile = await upload(other, 'other.txt', 'other bucket');
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  describe('limited by capability (listBuckets, listFiles, readFiles only)', () => {
    let ro: B2;
    let roMine: Bucket;

    beforeAll(async () => {
      ({ b2: ro } = await keyClient({ capabilities: ['listBuckets', 'listFiles', 'readFiles'] }));
      roMine = await firstValueFrom(ro.buckets.get(mine.bucketName));
    });

    it('lists every bucket and every file, and downloads', async () => {
      const names = (await all(ro.buckets.all())).map((b) => b.bucketName);
      expect(names).toEqual(jasmine.arrayContaining([mine.bucketName, other.bucketName]));
      expect((await all(roMine.listFiles())).map((f) => f.fileName)).toEqual(['priv/x.txt', 'pub/a.txt', 'pub/b.txt']);
      const [a] = await all(roMine.listFiles({ prefix: 'pub/a' }));
      const read = await lastValueFrom(a.downloadToBuffer().pipe(toResponseBody()));
      expect(Buffer.from(read.data).toString()).toBe('public a');
      const byName = await lastValueFrom(roMine.downloadFileByName('priv/x.txt').pipe(intoBuffer(), toResponseBody()));
      expect(byName.verifiedSha1).toBe(sha1('private x'));
    });

    it('uploading without writeFiles: 401 unauthorized on b2_get_upload_url, no retries, no re-authorization', async () => {
      // (countRequests counts every `delay` rule together: one counter at a time.)
      const requests = countRequests(emu, '*');
      const err = await failure(roMine.uploadFile({ fileName: 'pub/new.txt', contents: 'nope' }));
      expectUnauthorized(err, 'b2_get_upload_url');
      expect(requests()).toBe(1); // one b2_get_upload_url: not retried, no b2_authorize_account
      // A large upload is refused at its start.
      const large = await failure(roMine.uploadLargeFile({ fileName: 'pub/large.bin', contents: bytes(3000) }));
      expectUnauthorized(large, 'b2_start_large_file');
      expect((await all(mine.listFileVersions({ prefix: 'pub/' }))).map((f) => f.fileName)).toEqual(['pub/a.txt', 'pub/b.txt']);
    });

    it('deleting without deleteFiles: 401 unauthorized; the file stays', async () => {
      const [x] = await all(roMine.listFiles({ prefix: 'priv/' }));
      const err = await failure(x.delete());
      expectUnauthorized(err, 'b2_delete_file_version');
      expect(x.deleted).toBeFalse();
      const all$ = await failure(roMine.deleteAllVersions('priv/x.txt'));
      expectUnauthorized(all$, 'b2_delete_file_version');
      expect((await firstValueFrom(mine.getFile({ id: privFile.fileId }))).fileId).toBe(privFile.fileId);
    });

    it('hiding and copying need writeFiles: 401 unauthorized', async () => {
      const [a] = await all(roMine.listFiles({ prefix: 'pub/a' }));
      expectUnauthorized(await failure(a.hide()), 'b2_hide_file');
      expectUnauthorized(await failure(a.copy({ fileName: 'pub/copy.txt' })), 'b2_copy_file');
    });

    it('creating buckets and keys: 401 unauthorized', async () => {
      expectUnauthorized(await failure(ro.buckets.create(bucketName('rk-nope'))), 'b2_create_bucket');
      expectUnauthorized(await failure(ro.keys.create({ keyName: 'nope', capabilities: ['listFiles'] })), 'b2_create_key');
      expectUnauthorized(await failure(ro.keys.list()), 'b2_list_keys');
    });

    it('bucket changes need writeBuckets/deleteBuckets: 401 unauthorized', async () => {
      expectUnauthorized(await failure(roMine.update({ bucketInfo: { a: 'b' } })), 'b2_update_bucket');
      expectUnauthorized(await failure(roMine.delete()), 'b2_delete_bucket');
      expect(roMine.deleted).toBeFalse();
    });
  });

  describe('a key with listBuckets and writeFiles only', () => {
    it('uploads, but listing, reading and file info are 401 unauthorized', async () => {
      const { b2: wo } = await keyClient({ capabilities: ['listBuckets', 'writeFiles'], bucketId: mine.bucketId });
      const view = await firstValueFrom(wo.buckets.get({ bucketId: mine.bucketId }));
      const file = await lastValueFrom(view.uploadFile({ fileName: 'wo/new.txt', contents: 'write only' }).pipe(toResponseBody()));
      expect(file.contentSha1).toBe(sha1('write only'));
      expectUnauthorized(await failure(view.listFiles({ prefix: 'wo/' })), 'b2_list_file_names');
      expectUnauthorized(await failure(file.downloadToBuffer()), 'b2_download_file_by_id');
      expectUnauthorized(await failure(view.downloadFileByName('wo/new.txt')), 'b2_download_file_by_name');
      expectUnauthorized(await failure(view.getFile({ id: file.fileId })), 'b2_get_file_info');
      await firstValueFrom((await firstValueFrom(mine.getFile({ id: file.fileId }))).delete());
    });

    it('a key without listBuckets cannot look its bucket up: 401 unauthorized', async () => {
      const { b2: blind } = await keyClient({ capabilities: ['writeFiles', 'listFiles'], bucketId: mine.bucketId });
      expectUnauthorized(await failure(blind.buckets.get(mine.bucketName)), 'b2_list_buckets');
      expectUnauthorized(await failure(blind.buckets.all()), 'b2_list_buckets');
    });
  });

  describe('limited to one bucket', () => {
    let one: B2;
    let oneMine: Bucket;

    beforeAll(async () => {
      ({ b2: one } = await keyClient({ capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles'], bucketId: mine.bucketId }));
      oneMine = await firstValueFrom(one.buckets.get(mine.bucketName));
    });

    it('authorizes with that bucket; buckets.all() returns just that bucket', async () => {
      const auth = await firstValueFrom(one.authorize());
      expect(auth.allowed.buckets).toEqual([{ id: mine.bucketId, name: mine.bucketName }]);
      expect(auth.allowed.namePrefix).toBeNull();
      const buckets = await all(one.buckets.all());
      expect(buckets.map((b) => [b.bucketId, b.bucketName])).toEqual([[mine.bucketId, mine.bucketName]]);
      expect(oneMine.bucketId).toBe(mine.bucketId);
    });

    it('listing another bucket: 401 unauthorized, by name and by id', async () => {
      expectUnauthorized(await failure(one.buckets.get(other.bucketName)), 'b2_list_buckets');
      expectUnauthorized(await failure(one.buckets.get({ bucketId: other.bucketId })), 'b2_list_buckets');
    });

    it("reading another bucket's file by id: 401 unauthorized", async () => {
      expectUnauthorized(await failure(oneMine.getFile({ id: otherFile.fileId })), 'b2_get_file_info');
    });

    it('copying into or out of another bucket: 401 unauthorized', async () => {
      const [a] = await all(oneMine.listFiles({ prefix: 'pub/a' }));
      expectUnauthorized(await failure(a.copy({ fileName: 'stolen.txt', bucketId: other.bucketId })), 'b2_copy_file');
      expect(await all(other.listFiles({ prefix: 'stolen' }))).toEqual([]);
    });

    it('uploads, lists, downloads and deletes within its bucket', async () => {
      const file = await lastValueFrom(oneMine.uploadFile({ fileName: 'one/new.txt', contents: 'in my bucket' }).pipe(toResponseBody()));
      expect(file.bucketId).toBe(mine.bucketId);
      const large = await lastValueFrom(oneMine.uploadLargeFile({ fileName: 'one/large.bin', contents: bytes(4500, 3) }).pipe(toResponseBody()));
      expect(large.contentLength).toBe(4500);
      expect((await all(oneMine.listFiles({ prefix: 'one/' }))).map((f) => f.fileName)).toEqual(['one/large.bin', 'one/new.txt']);
      const read = await lastValueFrom(large.downloadToBuffer().pipe(toResponseBody()));
      expect(Buffer.from(read.data).equals(bytes(4500, 3))).toBeTrue();
      const deleted = await all(oneMine.deleteAllVersions('one/new.txt'));
      expect(deleted.map((f) => f.fileId)).toEqual([file.fileId]);
      await firstValueFrom(large.delete());
      expect(await all(mine.listFileVersions({ prefix: 'one/' }))).toEqual([]);
    });

    it('cannot create buckets (no writeBuckets)', async () => {
      expectUnauthorized(await failure(one.buckets.create(bucketName('rk-one'))), 'b2_create_bucket');
    });
  });

  describe('limited to a name prefix (in one bucket)', () => {
    let pre: B2;
    let preMine: Bucket;

    beforeAll(async () => {
      ({ b2: pre } = await keyClient({
        capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles'],
        bucketId: mine.bucketId,
        namePrefix: 'pub/',
      }));
      preMine = await firstValueFrom(pre.buckets.get({ bucketId: mine.bucketId }));
    });

    it('authorizes with its prefix', async () => {
      const auth = await firstValueFrom(pre.authorize());
      expect(auth.allowed.namePrefix).toBe('pub/');
      expect((await all(pre.buckets.all())).map((b) => b.bucketId)).toEqual([mine.bucketId]);
    });

    it('lists under its prefix with listFiles({ prefix }) (and a deeper prefix)', async () => {
      expect((await all(preMine.listFiles({ prefix: 'pub/' }))).map((f) => f.fileName)).toEqual(jasmine.arrayContaining(['pub/a.txt', 'pub/b.txt']));
      expect((await all(preMine.listFiles({ prefix: 'pub/a' }))).map((f) => f.fileName)).toEqual(['pub/a.txt']);
      expect((await all(preMine.listFileVersions({ prefix: 'pub/b' }))).map((f) => f.fileName)).toEqual(['pub/b.txt']);
    });

    it('listing without a prefix, or with one outside it: 401 unauthorized', async () => {
      expectUnauthorized(await failure(preMine.listFiles()), 'b2_list_file_names');
      expectUnauthorized(await failure(preMine.listFiles({ prefix: 'priv/' })), 'b2_list_file_names');
      expectUnauthorized(await failure(preMine.listFiles({ prefix: 'pu' })), 'b2_list_file_names');
      expectUnauthorized(await failure(preMine.listFileVersions()), 'b2_list_file_versions');
      // getFile by name lists with the name as its prefix: outside the key's prefix it is refused too.
      expectUnauthorized(await failure(preMine.getFile({ name: 'priv/x.txt' })), 'b2_list_file_names');
    });

    it('uploads, downloads and deletes inside its prefix', async () => {
      const file = await lastValueFrom(preMine.uploadFile({ fileName: 'pub/mine.txt', contents: 'inside' }).pipe(toResponseBody()));
      const found = await firstValueFrom(preMine.getFile({ name: 'pub/mine.txt' }));
      expect(found.fileId).toBe(file.fileId);
      const read = await lastValueFrom(found.downloadToBuffer().pipe(toResponseBody()));
      expect(Buffer.from(read.data).toString()).toBe('inside');
      const byName = await lastValueFrom(preMine.downloadFileByName('pub/mine.txt').pipe(intoBuffer(), toResponseBody()));
      expect(byName.bytes).toBe(6);
      const large = await lastValueFrom(preMine.uploadLargeFile({ fileName: 'pub/large.bin', contents: bytes(2500, 9) }).pipe(toResponseBody()));
      expect(large.contentLength).toBe(2500);
      await firstValueFrom(found.delete());
      await firstValueFrom(large.delete());
      expect((await all(mine.listFileVersions({ prefix: 'pub/' }))).map((f) => f.fileName)).toEqual(['pub/a.txt', 'pub/b.txt']);
    });

    it('uploading outside its prefix: 401 unauthorized (small, large, copy), nothing written', async () => {
      expectUnauthorized(await failure(preMine.uploadFile({ fileName: 'priv/new.txt', contents: 'x' })), 'b2_upload_file');
      expectUnauthorized(await failure(preMine.uploadLargeFile({ fileName: 'priv/large.bin', contents: bytes(2500) })), 'b2_start_large_file');
      const [a] = await all(preMine.listFiles({ prefix: 'pub/a' }));
      expectUnauthorized(await failure(a.copy({ fileName: 'priv/copy.txt' })), 'b2_copy_file');
      expect((await all(mine.listFileVersions({ prefix: 'priv/' }))).map((f) => f.fileName)).toEqual(['priv/x.txt']);
      expect(await all(mine.listFileVersions({ prefix: 'pub/' })).then((fs) => fs.map((f) => f.fileName))).toEqual(['pub/a.txt', 'pub/b.txt']);
    });

    it('reading, hiding or deleting outside its prefix: 401 unauthorized', async () => {
      expectUnauthorized(await failure(preMine.getFile({ id: privFile.fileId })), 'b2_get_file_info');
      expectUnauthorized(await failure(preMine.downloadFileByName('priv/x.txt')), 'b2_download_file_by_name');
      expectUnauthorized(await failure(preMine.deleteAllVersions('priv/x.txt')), 'b2_list_file_versions');
      // Untouched.
      expect((await firstValueFrom(mine.getFile({ id: privFile.fileId }))).fileName).toBe('priv/x.txt');
    });
  });

  describe('limited by capability inside its bucket (no deleteFiles)', () => {
    it('uploads but cannot delete what it uploaded: 401 unauthorized', async () => {
      const { b2: writer } = await keyClient({ capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles'], bucketId: mine.bucketId });
      const view = await firstValueFrom(writer.buckets.get(mine.bucketName));
      const file = await lastValueFrom(view.uploadFile({ fileName: 'w/kept.txt', contents: 'kept' }).pipe(toResponseBody()));
      expectUnauthorized(await failure(file.delete()), 'b2_delete_file_version');
      // Hiding is a write, not a delete: allowed.
      const marker = await firstValueFrom(file.hide());
      expect(marker.action).toBe('hide');
      expect((await all(mine.listFileVersions({ prefix: 'w/' }))).map((f) => f.action)).toEqual(['hide', 'upload']);
      await all(mine.deleteAllVersions('w/kept.txt'));
    });
  });

  it('a deleted key stops working: its clients get 401 from re-authorization', async () => {
    const { key, b2: doomed } = await keyClient({ capabilities: ['listBuckets'], bucketId: mine.bucketId });
    expect((await all(doomed.buckets.all())).length).toBe(1);
    await firstValueFrom(master.keys.delete(key.applicationKeyId));
    const err = await failure(doomed.buckets.all());
    expect(err.status).toBe(401);
    expect(err.operation).toBe('b2_authorize_account');
  });
});
