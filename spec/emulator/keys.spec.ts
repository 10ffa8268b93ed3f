import * as b2 from '../helpers/b2-http';

// https://www.backblaze.com/docs/cloud-storage-application-keys, https://www.backblaze.com/docs/cloud-storage-application-key-capabilities, https://www.backblaze.com/apidocs/b2-authorize-account
describe('emu-http application keys', () => {
  const fx = b2.useEmulator(); // fx.auth: the master key
  let bucketA: any;
  let bucketB: any;
  let fileA: any;
  let fileB: any;

  beforeAll(async () => {
    bucketA = await b2.createBucket(fx.auth);
    bucketB = await b2.createBucket(fx.auth);
    fileA = await b2.uploadOk(fx.auth, bucketA.bucketId, 'pub/a.txt', 'in A');
    await b2.uploadOk(fx.auth, bucketA.bucketId, 'other.txt', 'other in A');
    fileB = await b2.uploadOk(fx.auth, bucketB.bucketId, 'pub/b.txt', 'in B');
  });

  function emuFor(key: any): b2.EmuLike {
    return { url: fx.emu.url, keyId: key.applicationKeyId, applicationKey: key.applicationKey, accountId: fx.emu.accountId };
  }

  describe('b2_create_key / b2_list_keys / b2_delete_key', () => {
    it('create returns the key with its secret; authorize with it shows the capabilities', async () => {
      const k = b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listBuckets', 'listFiles'], keyName: 'reader-1' }));
      expect(k).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          capabilities: ['listBuckets', 'listFiles'],
          keyName: 'reader-1',
          bucketId: null,
          namePrefix: null,
          expirationTimestamp: null,
          options: ['s3'],
        }),
      );
      expect(typeof k.applicationKeyId).toBe('string');
      expect(typeof k.applicationKey).toBe('string');
      const a = b2.expectOk(await b2.authorizeRaw(emuFor(k)));
      expect(a.accountId).toBe(fx.auth.accountId);
      expect(a.allowed).toEqual(jasmine.objectContaining({ bucketId: null, bucketName: null, namePrefix: null }));
      expect([...a.allowed.capabilities].sort()).toEqual(['listBuckets', 'listFiles']);
    });

    it('validDurationInSeconds sets expirationTimestamp (ms)', async () => {
      const k = b2.expectOk(
        await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listBuckets'], keyName: 'short-lived', validDurationInSeconds: 100 }),
      );
      expect(k.expirationTimestamp).toBeGreaterThan(Date.now() + 90_000);
      expect(k.expirationTimestamp).toBeLessThan(Date.now() + 110_000);
    });

    it('invalid names, capabilities and durations → 400 bad_request', async () => {
      const cases: Array<Record<string, unknown>> = [
        { capabilities: ['listBuckets'], keyName: 'bad name!' },
        { capabilities: ['listBuckets'], keyName: 'k'.repeat(101) },
        { capabilities: ['listBuckets'], keyName: 'under_score' },
        { capabilities: [], keyName: 'no-caps' },
        { capabilities: ['fly'], keyName: 'unknown-cap' },
        { capabilities: ['listBuckets'], keyName: 'zero', validDurationInSeconds: 0 },
        { capabilities: ['listBuckets'], keyName: 'too-long', validDurationInSeconds: 86_400_001 },
        { capabilities: ['listBuckets'] },
        { keyName: 'nocaps-field' },
      ];
      for (const c of cases) {
        b2.expectError(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, ...c }), 400, 'bad_request', JSON.stringify(c));
      }
      b2.expectOk(
        await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listBuckets'], keyName: 'k'.repeat(100), validDurationInSeconds: 86_400_000 }),
      );
    });

    it('a bucket key may not hold account-level capabilities (writeKeys, writeBuckets…) → 400', async () => {
      const res = await b2.call(fx.auth, 'b2_create_key', {
        accountId: fx.auth.accountId,
        capabilities: ['listFiles', 'writeKeys'],
        keyName: 'bucket-with-writekeys',
        bucketId: bucketA.bucketId,
      });
      b2.expectError(res, 400, 'bad_request');
    });

    it('unknown bucketId → 400', async () => {
      const res = await b2.call(fx.auth, 'b2_create_key', {
        accountId: fx.auth.accountId,
        capabilities: ['listFiles'],
        keyName: 'nobucket',
        bucketId: '000000000000000000000000',
      });
      b2.expectError(res, 400, ['bad_request', 'bad_bucket_id']);
    });

    it('list_keys: no secrets, not the master key, ordered by id, pages with nextApplicationKeyId', async () => {
      const made: string[] = [];
      for (let i = 0; i < 4; i++) {
        made.push(b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listFiles'], keyName: `list-${i}` })).applicationKeyId);
      }
      const all = b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 10000 }));
      const ids: string[] = all.keys.map((k: any) => k.applicationKeyId);
      expect(ids).toEqual(jasmine.arrayContaining(made));
      expect(ids).not.toContain(fx.emu.keyId);
      expect([...ids].sort()).toEqual(ids);
      expect(all.keys.every((k: any) => k.applicationKey === undefined)).toBeTrue();
      expect(all.nextApplicationKeyId).toBeNull();
      const seen = await b2.collectPages(async (start: string | undefined) => {
        const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 1, startApplicationKeyId: start }));
        expect(j.keys.length).toBeLessThanOrEqual(1);
        return { items: j.keys.map((k: any) => k.applicationKeyId), next: j.nextApplicationKeyId };
      });
      expect(seen).toEqual(ids);
    });

    it('delete_key returns the key (no secret); its tokens stop working; re-authorize → 401', async () => {
      const k = b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listBuckets'], keyName: 'doomed' }));
      const ka = await b2.authorize(emuFor(k));
      b2.expectOk(await b2.call(ka, 'b2_list_buckets', { accountId: ka.accountId }));
      const d = b2.expectOk(await b2.call(fx.auth, 'b2_delete_key', { applicationKeyId: k.applicationKeyId }));
      expect(d.applicationKeyId).toBe(k.applicationKeyId);
      expect(d.keyName).toBe('doomed');
      expect(d.applicationKey).toBeUndefined();
      b2.expectError(await b2.authorizeRaw(emuFor(k)), 401, ['unauthorized', 'bad_auth_token']);
      b2.expectError(await b2.call(ka, 'b2_list_buckets', { accountId: ka.accountId }), 401, ['bad_auth_token', 'expired_auth_token', 'unauthorized']);
      const listed = b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 1000 }));
      expect(listed.keys.map((x: any) => x.applicationKeyId)).not.toContain(k.applicationKeyId);
    });

    it('delete of an unknown key → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_delete_key', { applicationKeyId: '000000000000000000000000a' }), 400, 'bad_request');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-application-key-capabilities
  describe('capability enforcement → 401 unauthorized', () => {
    it('a listBuckets-only key', async () => {
      const { auth } = await b2.keyAuth(fx.emu, fx.auth, ['listBuckets']);
      b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId }));
      const denied: Array<[string, Record<string, unknown>]> = [
        ['b2_list_file_names', { bucketId: bucketA.bucketId }],
        ['b2_list_file_versions', { bucketId: bucketA.bucketId }],
        ['b2_list_unfinished_large_files', { bucketId: bucketA.bucketId }],
        ['b2_get_upload_url', { bucketId: bucketA.bucketId }],
        ['b2_start_large_file', { bucketId: bucketA.bucketId, fileName: 'x', contentType: 'text/plain' }],
        ['b2_hide_file', { bucketId: bucketA.bucketId, fileName: 'pub/a.txt' }],
        ['b2_get_file_info', { fileId: fileA.fileId }],
        ['b2_delete_file_version', { fileName: 'pub/a.txt', fileId: fileA.fileId }],
        ['b2_copy_file', { sourceFileId: fileA.fileId, fileName: 'copy' }],
        ['b2_get_download_authorization', { bucketId: bucketA.bucketId, fileNamePrefix: '', validDurationInSeconds: 60 }],
        ['b2_create_bucket', { accountId: auth.accountId, bucketName: b2.uniqueBucketName('denied'), bucketType: 'allPrivate' }],
        ['b2_update_bucket', { accountId: auth.accountId, bucketId: bucketA.bucketId, bucketInfo: {} }],
        ['b2_delete_bucket', { accountId: auth.accountId, bucketId: bucketB.bucketId }],
        ['b2_create_key', { accountId: auth.accountId, capabilities: ['listFiles'], keyName: 'nope' }],
        ['b2_list_keys', { accountId: auth.accountId }],
        ['b2_delete_key', { applicationKeyId: fx.emu.keyId }],
      ];
      for (const [name, body] of denied) {
        b2.expectError(await b2.call(auth, name, body), 401, 'unauthorized', name);
      }
      b2.expectError(await b2.downloadByName(auth, bucketA.bucketName, 'pub/a.txt'), 401, 'unauthorized', 'download by name');
      b2.expectError(await b2.downloadById(auth, fileA.fileId), 401, 'unauthorized', 'download by id');
      // nothing was changed
      const still = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: bucketA.bucketId }));
      expect(still.files.map((f: any) => f.fileName)).toContain('pub/a.txt');
    });

    it('readFiles allows downloads and get_file_info; writeFiles allows uploads and hide; deleteFiles needed for delete', async () => {
      const { auth: r } = await b2.keyAuth(fx.emu, fx.auth, ['readFiles']);
      expect((await b2.downloadById(r, fileA.fileId)).status).toBe(200);
      b2.expectOk(await b2.call(r, 'b2_get_file_info', { fileId: fileA.fileId }));
      const { auth: w } = await b2.keyAuth(fx.emu, fx.auth, ['writeFiles']);
      const f = await b2.uploadOk(w, bucketA.bucketId, 'w/x.txt', 'x');
      b2.expectOk(await b2.call(w, 'b2_hide_file', { bucketId: bucketA.bucketId, fileName: 'w/x.txt' }));
      b2.expectError(await b2.call(w, 'b2_delete_file_version', { fileName: 'w/x.txt', fileId: f.fileId }), 401, 'unauthorized');
      const { auth: del } = await b2.keyAuth(fx.emu, fx.auth, ['deleteFiles']);
      b2.expectOk(await b2.call(del, 'b2_delete_file_version', { fileName: 'w/x.txt', fileId: f.fileId }));
      const { auth: share } = await b2.keyAuth(fx.emu, fx.auth, ['shareFiles']);
      b2.expectOk(await b2.call(share, 'b2_get_download_authorization', { bucketId: bucketA.bucketId, fileNamePrefix: '', validDurationInSeconds: 60 }));
    });

    it('writeBuckets without writeBucketRetentions cannot create a lock-enabled bucket', async () => {
      const { auth } = await b2.keyAuth(fx.emu, fx.auth, ['writeBuckets']);
      b2.expectOk(await b2.createBucketRaw(auth, { bucketName: b2.uniqueBucketName('wb') }));
      b2.expectError(await b2.createBucketRaw(auth, { bucketName: b2.uniqueBucketName('wbl'), fileLockEnabled: true }), 401, 'unauthorized');
    });

    it('writeBuckets without writeBucketEncryption cannot set defaultServerSideEncryption', async () => {
      const { auth } = await b2.keyAuth(fx.emu, fx.auth, ['writeBuckets']);
      const res = await b2.createBucketRaw(auth, { bucketName: b2.uniqueBucketName('wbe'), defaultServerSideEncryption: { mode: 'SSE-B2', algorithm: 'AES256' } });
      b2.expectError(res, 401, 'unauthorized');
    });

    it('a namePrefix without bucketId is allowed (current docs) and enforced on every bucket', async () => {
      const { key, auth } = await b2.keyAuth(fx.emu, fx.auth, ['listFiles', 'readFiles'], { namePrefix: 'pub/' });
      expect(key.bucketId).toBeNull();
      expect(key.namePrefix).toBe('pub/');
      b2.expectOk(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketB.bucketId, prefix: 'pub/' }));
      b2.expectError(await b2.downloadByName(auth, bucketA.bucketName, 'other.txt'), 401, 'unauthorized');
      expect((await b2.downloadByName(auth, bucketB.bucketName, 'pub/b.txt')).status).toBe(200);
    });

    it('list_buckets without readBucketEncryption/readBucketRetentions hides those values', async () => {
      const { auth } = await b2.keyAuth(fx.emu, fx.auth, ['listBuckets']);
      const j = b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketId: bucketA.bucketId }));
      expect(j.buckets[0].defaultServerSideEncryption).toEqual({ isClientAuthorizedToRead: false, value: null });
      expect(j.buckets[0].fileLockConfiguration).toEqual({ isClientAuthorizedToRead: false, value: null });
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-application-keys
  describe('bucket-restricted keys', () => {
    let key: any;
    let auth: b2.Auth;

    beforeAll(async () => {
      const r = await b2.keyAuth(fx.emu, fx.auth, ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles', 'shareFiles'], { bucketId: bucketA.bucketId });
      key = r.key;
      auth = r.auth;
    });

    it('create response and authorize (v2, v3, v4) reflect the bucket', async () => {
      expect(key.bucketId).toBe(bucketA.bucketId);
      expect(auth.raw.allowed).toEqual(jasmine.objectContaining({ bucketId: bucketA.bucketId, bucketName: bucketA.bucketName, namePrefix: null }));
      const v3 = b2.expectOk(await b2.authorizeRaw(emuFor(key), { version: 3 }));
      expect(v3.apiInfo.storageApi).toEqual(jasmine.objectContaining({ bucketId: bucketA.bucketId, bucketName: bucketA.bucketName }));
      const v4 = b2.expectOk(await b2.authorizeRaw(emuFor(key), { version: 4 }));
      expect(v4.apiInfo.storageApi.allowed.buckets).toEqual([{ id: bucketA.bucketId, name: bucketA.bucketName }]);
    });

    it('list_buckets must be filtered to its bucket (v2+); unfiltered → 401; other bucket → 401', async () => {
      b2.expectError(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId }), 401, 'unauthorized');
      const byId = b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketId: bucketA.bucketId }));
      expect(byId.buckets.map((b: any) => b.bucketId)).toEqual([bucketA.bucketId]);
      const byName = b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketName: bucketA.bucketName }));
      expect(byName.buckets.map((b: any) => b.bucketId)).toEqual([bucketA.bucketId]);
      b2.expectError(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketId: bucketB.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketName: bucketB.bucketName }), 401, 'unauthorized');
    });

    it('list_buckets filtered by a name that is not its bucket (even a non-existent one) → 401 (b2sdk simulator)', async () => {
      b2.expectError(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId, bucketName: 'no-such-bucket-here' }), 401, 'unauthorized');
    });

    it('v1 unfiltered list_buckets silently returns just that bucket', async () => {
      const a1 = await b2.authorize(emuFor(key), { version: 1 });
      const j = b2.expectOk(await b2.call(a1, 'b2_list_buckets', { accountId: a1.accountId }));
      expect(j.buckets.map((b: any) => b.bucketId)).toEqual([bucketA.bucketId]);
    });

    it('calls on the other bucket → 401 unauthorized', async () => {
      b2.expectError(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketB.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_get_upload_url', { bucketId: bucketB.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_get_file_info', { fileId: fileB.fileId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_hide_file', { bucketId: bucketB.bucketId, fileName: 'pub/b.txt' }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_copy_file', { sourceFileId: fileA.fileId, fileName: 'x', destinationBucketId: bucketB.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.downloadByName(auth, bucketB.bucketName, 'pub/b.txt'), 401, 'unauthorized');
      b2.expectError(await b2.downloadById(auth, fileB.fileId), 401, 'unauthorized');
      // own bucket works
      b2.expectOk(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketA.bucketId }));
      expect((await b2.downloadById(auth, fileA.fileId)).status).toBe(200);
    });

    it('allowed.bucketName becomes null once the bucket is deleted', async () => {
      const tmp = await b2.createBucket(fx.auth);
      const r = await b2.keyAuth(fx.emu, fx.auth, ['listFiles'], { bucketId: tmp.bucketId });
      expect(r.auth.raw.allowed.bucketName).toBe(tmp.bucketName);
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: tmp.bucketId }));
      const again = b2.expectOk(await b2.authorizeRaw(emuFor(r.key)));
      expect(again.allowed.bucketId).toBe(tmp.bucketId);
      expect(again.allowed.bucketName).toBeNull();
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-application-keys
  describe('name-prefix-restricted keys', () => {
    let key: any;
    let auth: b2.Auth;

    beforeAll(async () => {
      const r = await b2.keyAuth(fx.emu, fx.auth, ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles'], {
        bucketId: bucketA.bucketId,
        namePrefix: 'pub/',
      });
      key = r.key;
      auth = r.auth;
    });

    it('authorize reports the namePrefix', () => {
      expect(key.namePrefix).toBe('pub/');
      expect(auth.raw.allowed.namePrefix).toBe('pub/');
    });

    it('list calls need a prefix at least as restrictive (v2+)', async () => {
      b2.expectError(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketA.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketA.bucketId, prefix: 'p' }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_list_file_versions', { bucketId: bucketA.bucketId }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_list_unfinished_large_files', { bucketId: bucketA.bucketId }), 401, 'unauthorized');
      const ok = b2.expectOk(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketA.bucketId, prefix: 'pub/' }));
      expect(ok.files.map((f: any) => f.fileName)).toContain('pub/a.txt');
      expect(ok.files.every((f: any) => f.fileName.startsWith('pub/'))).toBeTrue();
      b2.expectOk(await b2.call(auth, 'b2_list_file_names', { bucketId: bucketA.bucketId, prefix: 'pub/sub' }));
      b2.expectOk(await b2.call(auth, 'b2_list_file_versions', { bucketId: bucketA.bucketId, prefix: 'pub/' }));
      b2.expectOk(await b2.call(auth, 'b2_list_unfinished_large_files', { bucketId: bucketA.bucketId, namePrefix: 'pub/' }));
    });

    it('v1 list_file_names without prefix filters silently', async () => {
      const a1 = await b2.authorize(emuFor(key), { version: 1 });
      const j = b2.expectOk(await b2.call(a1, 'b2_list_file_names', { bucketId: bucketA.bucketId }));
      const files: any[] = j?.files ?? [];
      expect(files.every((f: any) => f.fileName.startsWith('pub/'))).toBeTrue();
      expect(files.map((f: any) => f.fileName)).toContain('pub/a.txt');
    });

    it('uploads, downloads, hide and large files outside the prefix → 401 unauthorized', async () => {
      const up = await b2.getUploadUrl(auth, bucketA.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'outside.txt', data: 'x' }), 401, 'unauthorized');
      b2.expectOk(await b2.uploadFile(up, { name: 'pub/inside.txt', data: 'x' }));
      b2.expectError(await b2.downloadByName(auth, bucketA.bucketName, 'other.txt'), 401, 'unauthorized');
      expect((await b2.downloadByName(auth, bucketA.bucketName, 'pub/a.txt')).status).toBe(200);
      b2.expectError(await b2.call(auth, 'b2_hide_file', { bucketId: bucketA.bucketId, fileName: 'other.txt' }), 401, 'unauthorized');
      b2.expectError(await b2.call(auth, 'b2_start_large_file', { bucketId: bucketA.bucketId, fileName: 'big.bin', contentType: 'text/plain' }), 401, 'unauthorized');
      b2.expectOk(await b2.call(auth, 'b2_start_large_file', { bucketId: bucketA.bucketId, fileName: 'pub/big.bin', contentType: 'text/plain' }));
      b2.expectError(await b2.call(auth, 'b2_copy_file', { sourceFileId: fileA.fileId, fileName: 'copy-outside' }), 401, 'unauthorized');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-native-api-versions
  describe('multi-bucket keys (v4)', () => {
    it('v4 create_key with bucketIds; usable only through v4; listed only by v4', async () => {
      const k = b2.expectOk(
        await b2.call(
          fx.auth,
          'b2_create_key',
          { accountId: fx.auth.accountId, capabilities: ['listFiles', 'readFiles'], keyName: 'multi', bucketIds: [bucketA.bucketId, bucketB.bucketId] },
          { version: 4 },
        ),
      );
      expect([...k.bucketIds].sort()).toEqual([bucketA.bucketId, bucketB.bucketId].sort());
      b2.expectError(await b2.authorizeRaw(emuFor(k), { version: 1 }), 401, 'unsupported');
      b2.expectError(await b2.authorizeRaw(emuFor(k), { version: 2 }), 401, 'unsupported');
      b2.expectError(await b2.authorizeRaw(emuFor(k), { version: 3 }), 401, 'unsupported');
      const v4 = b2.expectOk(await b2.authorizeRaw(emuFor(k), { version: 4 }));
      const ids = v4.apiInfo.storageApi.allowed.buckets.map((b: any) => b.id).sort();
      expect(ids).toEqual([bucketA.bucketId, bucketB.bucketId].sort());
      const l4 = b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 1000 }, { version: 4 }));
      expect(l4.keys.map((x: any) => x.applicationKeyId)).toContain(k.applicationKeyId);
      const l2 = b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 1000 }, { version: 2 }));
      expect(l2.keys.map((x: any) => x.applicationKeyId)).not.toContain(k.applicationKeyId);
      // the v4 key may use both buckets
      const a4 = await b2.authorize(emuFor(k), { version: 4 });
      b2.expectOk(await b2.call(a4, 'b2_list_file_names', { bucketId: bucketA.bucketId }));
      b2.expectOk(await b2.call(a4, 'b2_list_file_names', { bucketId: bucketB.bucketId }));
    });
  });
});

// https://www.backblaze.com/docs/cloud-storage-native-api-versions, https://www.backblaze.com/apidocs/b2-list-keys
describe('emu-http key listing per API version', () => {
  const fx = b2.useEmulator();

  it('v4 b2_list_keys returns only multi-bucket keys; v1–v3 only the others', async () => {
    const a = await b2.createBucket(fx.auth);
    const b = await b2.createBucket(fx.auth);
    const mk = (keyName: string, extra: Record<string, unknown>, version: number) =>
      b2.callOk(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listFiles'], keyName, ...extra }, { version });
    const single = await mk('single-v2', { bucketId: a.bucketId }, 2);
    const unrestricted = await mk('all-v2', {}, 2);
    const multi = await mk('multi-v4', { bucketIds: [a.bucketId, b.bucketId] }, 4);
    const ids = async (version: number) =>
      (b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId, maxKeyCount: 1000 }, { version })).keys as any[]).map((k) => k.applicationKeyId);
    const v2 = await ids(2);
    expect(v2).toContain(single.applicationKeyId);
    expect(v2).toContain(unrestricted.applicationKeyId);
    expect(v2).not.toContain(multi.applicationKeyId);
    const v4 = await ids(4);
    expect(v4).toContain(multi.applicationKeyId);
    expect(v4).withContext('v4 list must not include single-bucket keys').not.toContain(single.applicationKeyId);
    expect(v4).withContext('v4 list must not include non-multi-bucket keys').not.toContain(unrestricted.applicationKeyId);
  });

  it('v4 key objects carry bucketIds (array or null) instead of bucketId; v2 objects carry bucketId', async () => {
    const a = await b2.createBucket(fx.auth);
    const created = b2.expectOk(
      await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listFiles'], keyName: 'shape-v4', bucketIds: [a.bucketId] }, { version: 4 }),
    );
    expect(created.bucketIds).toEqual([a.bucketId]);
    expect('bucketId' in created).toBeFalse();
    const all4 = b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listFiles'], keyName: 'shape-v4-all' }, { version: 4 }));
    expect('bucketIds' in all4)
      .withContext(JSON.stringify(all4))
      .toBeTrue();
    expect(all4.bucketIds).toBeNull();
    const del = b2.expectOk(await b2.call(fx.auth, 'b2_delete_key', { applicationKeyId: all4.applicationKeyId }, { version: 4 }));
    expect('bucketIds' in del)
      .withContext(JSON.stringify(del))
      .toBeTrue();
    expect('bucketId' in del).toBeFalse();
    const v2 = b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listFiles'], keyName: 'shape-v2' }));
    expect('bucketId' in v2).toBeTrue();
    expect(v2.bucketId).toBeNull();
    expect('bucketIds' in v2).toBeFalse();
  });
});

describe('emu-http key expiry', () => {
  const fx = b2.useEmulator({ per: 'each' });

  it('a key past its validDurationInSeconds can no longer authorize', async () => {
    const k = b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, capabilities: ['listBuckets'], keyName: 'brief', validDurationInSeconds: 60 }));
    const e = { url: fx.emu.url, keyId: k.applicationKeyId, applicationKey: k.applicationKey, accountId: fx.emu.accountId };
    b2.expectOk(await b2.authorizeRaw(e));
    fx.emu.advanceClock(61_000);
    b2.expectError(await b2.authorizeRaw(e), 401, ['unauthorized', 'bad_auth_token', 'expired_auth_token']);
  });
});
