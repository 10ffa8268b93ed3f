import * as b2 from '../helpers/b2-http';

// https://www.backblaze.com/docs/cloud-storage-buckets, https://www.backblaze.com/apidocs/b2-list-buckets
describe('emu-http buckets', () => {
  const fx = b2.useEmulator();
  const create = (body: Record<string, unknown>): Promise<b2.RawResponse> => b2.createBucketRaw(fx.auth, body);

  describe('b2_create_bucket', () => {
    it('returns the full bucket object', async () => {
      const name = b2.uniqueBucketName('create');
      const j = b2.expectOk(await create({ bucketName: name }));
      expect(j).toEqual(
        jasmine.objectContaining({
          accountId: fx.auth.accountId,
          bucketName: name,
          bucketType: 'allPrivate',
          bucketInfo: {},
          corsRules: [],
          lifecycleRules: [],
          options: ['s3'],
        }),
      );
      expect(typeof j.bucketId).toBe('string');
      expect(Number.isInteger(j.revision)).toBeTrue();
      expect(j.defaultServerSideEncryption).toEqual({ isClientAuthorizedToRead: true, value: jasmine.objectContaining({ mode: null }) });
      expect(j.fileLockConfiguration.isClientAuthorizedToRead).toBeTrue();
      expect(j.fileLockConfiguration.value).toEqual(jasmine.objectContaining({ isFileLockEnabled: false, defaultRetention: jasmine.objectContaining({ mode: null }) }));
    });

    it('echoes bucketInfo and lifecycleRules; allPublic accepted', async () => {
      const rules = [{ fileNamePrefix: 'logs/', daysFromHidingToDeleting: 5, daysFromUploadingToHiding: null }];
      const j = b2.expectOk(
        await create({
          bucketName: b2.uniqueBucketName('info'),
          bucketType: 'allPublic',
          bucketInfo: { 'Cache-Control': 'max-age=60', project: 'x' },
          lifecycleRules: rules,
        }),
      );
      expect(j.bucketType).toBe('allPublic');
      expect(j.bucketInfo).toEqual({ 'Cache-Control': 'max-age=60', project: 'x' });
      expect(j.lifecycleRules.length).toBe(1);
      expect(j.lifecycleRules[0]).toEqual(jasmine.objectContaining({ fileNamePrefix: 'logs/', daysFromHidingToDeleting: 5 }));
    });

    it('accepts names of exactly 6 and 63 characters with letters, digits and -', async () => {
      const six = 'a' + Math.random().toString(36).slice(2, 7).padEnd(5, 'x');
      b2.expectOk(await create({ bucketName: six }), six);
      const long = ('Long-Name-' + Date.now().toString(36) + '-').padEnd(63, '9');
      expect(long.length).toBe(63);
      b2.expectOk(await create({ bucketName: long }), long);
    });

    it('duplicate name → 400 duplicate_bucket_name, also when differing only in case', async () => {
      const name = b2.uniqueBucketName('dup');
      b2.expectOk(await create({ bucketName: name }));
      b2.expectError(await create({ bucketName: name }), 400, 'duplicate_bucket_name');
      b2.expectError(await create({ bucketName: name.toUpperCase() }), 400, 'duplicate_bucket_name');
    });

    const badNames: Array<[string, string]> = [
      ['five5', 'too short (5)'],
      ['a'.repeat(64), 'too long (64)'],
      ['has_underscore1', 'underscore'],
      ['has space here', 'space'],
      ['b2-reserved-name', 'b2- prefix'],
      ['bucket.with.dots', 'dot'],
      ['', 'empty'],
      ['ünicode-bucket', 'non-ASCII'],
    ];
    for (const [name, why] of badNames) {
      it(`illegal bucket name (${why}) → 400 bad_request`, async () => {
        b2.expectError(await create({ bucketName: name }), 400, 'bad_request');
      });
    }

    it('illegal bucketType → 400 bad_request; missing bucketType → 400', async () => {
      b2.expectError(await create({ bucketName: b2.uniqueBucketName('t'), bucketType: 'public' }), 400, 'bad_request');
      b2.expectError(await b2.call(fx.auth, 'b2_create_bucket', { accountId: fx.auth.accountId, bucketName: b2.uniqueBucketName('t') }), 400, 'bad_request');
    });

    it('missing bucketName → 400 bad_request', async () => {
      b2.expectError(await create({}), 400, 'bad_request');
    });

    it("accountId that is not the caller's → error", async () => {
      const res = await create({ accountId: 'ffffffffffff', bucketName: b2.uniqueBucketName('acct') });
      b2.expectError(res, [400, 401], ['bad_request', 'unauthorized']);
    });

    // https://www.backblaze.com/docs/cloud-storage-lifecycle-rules
    it('invalid lifecycle rules → 400 bad_request', async () => {
      const cases: unknown[] = [
        [{ fileNamePrefix: '', daysFromUploadingToHiding: 0 }],
        [{ fileNamePrefix: '', daysFromUploadingToHiding: null, daysFromHidingToDeleting: null }],
        [
          { fileNamePrefix: 'logs/', daysFromHidingToDeleting: 1 },
          { fileNamePrefix: 'logs/old/', daysFromHidingToDeleting: 2 },
        ],
      ];
      cases.push(Array.from({ length: 101 }, (_, i) => ({ fileNamePrefix: `p${String(i).padStart(3, '0')}/`, daysFromHidingToDeleting: 1 })));
      cases.push([{ daysFromHidingToDeleting: 1 }]);
      for (const rules of cases) {
        b2.expectError(await create({ bucketName: b2.uniqueBucketName('lc'), lifecycleRules: rules }), 400, 'bad_request', JSON.stringify(rules));
      }
    });
  });

  describe('b2_list_buckets', () => {
    let pub: any;
    let priv: any;

    beforeAll(async () => {
      pub = await b2.createBucket(fx.auth, { bucketName: 'lst-zz-' + Date.now().toString(36), bucketType: 'allPublic' });
      priv = await b2.createBucket(fx.auth, { bucketName: 'lst-aa-' + Date.now().toString(36), bucketType: 'allPrivate' });
    });

    it('lists every bucket sorted by name', async () => {
      const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }));
      const names: string[] = j.buckets.map((b: any) => b.bucketName);
      expect(names).toContain(pub.bucketName);
      expect(names).toContain(priv.bucketName);
      expect([...names].sort()).toEqual(names);
    });

    it('filters by bucketId and bucketName; a missing one → empty list, not an error', async () => {
      const byId = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: pub.bucketId }));
      expect(byId.buckets.map((b: any) => b.bucketId)).toEqual([pub.bucketId]);
      const byName = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketName: priv.bucketName }));
      expect(byName.buckets.map((b: any) => b.bucketId)).toEqual([priv.bucketId]);
      const none = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketName: 'no-such-bucket-anywhere' }));
      expect(none.buckets).toEqual([]);
      const none2 = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: '000000000000000000000000' }));
      expect(none2.buckets).toEqual([]);
    });

    it('bucketTypes filter: ["allPublic"] only public, ["all"] everything', async () => {
      const onlyPub = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketTypes: ['allPublic'] }));
      expect(onlyPub.buckets.every((b: any) => b.bucketType === 'allPublic')).toBeTrue();
      expect(onlyPub.buckets.map((b: any) => b.bucketId)).toContain(pub.bucketId);
      const all = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketTypes: ['all'] }));
      expect(all.buckets.map((b: any) => b.bucketId)).toEqual(jasmine.arrayContaining([pub.bucketId, priv.bucketId]));
    });

    it('bucketTypes "all" mixed with others, empty, or unknown → 400', async () => {
      for (const bt of [['all', 'allPublic'], [], ['weird']]) {
        b2.expectError(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketTypes: bt }), 400, 'bad_request', JSON.stringify(bt));
      }
    });

    it('missing accountId → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_list_buckets', {}), 400, 'bad_request');
    });
  });

  describe('b2_update_bucket', () => {
    it('changes bucketType and increments revision on every update', async () => {
      const b = await b2.createBucket(fx.auth);
      const r0 = b.revision;
      const u1 = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, bucketType: 'allPublic' }));
      expect(u1.bucketType).toBe('allPublic');
      expect(u1.revision).toBe(r0 + 1);
      const u2 = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, bucketInfo: { a: 'b' } }));
      expect(u2.revision).toBe(r0 + 2);
      expect(u2.bucketType).toBe('allPublic');
      const listed = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      expect(listed.buckets[0].revision).toBe(r0 + 2);
      expect(listed.buckets[0].bucketInfo).toEqual({ a: 'b' });
    });

    it('bucketInfo replaces the whole map; omitted fields stay unchanged', async () => {
      const rules = [{ fileNamePrefix: 'tmp/', daysFromHidingToDeleting: 1 }];
      const b = await b2.createBucket(fx.auth, { bucketInfo: { one: '1', two: '2' }, lifecycleRules: rules });
      const u = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, bucketInfo: { three: '3' } }));
      expect(u.bucketInfo).toEqual({ three: '3' });
      expect(u.lifecycleRules.length).toBe(1);
      expect(u.bucketType).toBe('allPrivate');
      const u2 = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, lifecycleRules: [] }));
      expect(u2.lifecycleRules).toEqual([]);
      expect(u2.bucketInfo).toEqual({ three: '3' });
    });

    it('ifRevisionIs equal → 200; different → 409 conflict and nothing changes', async () => {
      const b = await b2.createBucket(fx.auth);
      const ok = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, bucketInfo: { v: '1' }, ifRevisionIs: b.revision }));
      expect(ok.revision).toBe(b.revision + 1);
      const stale = await b2.call(fx.auth, 'b2_update_bucket', {
        accountId: fx.auth.accountId,
        bucketId: b.bucketId,
        bucketInfo: { v: '2' },
        ifRevisionIs: b.revision,
      });
      b2.expectError(stale, 409, 'conflict');
      const listed = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      expect(listed.buckets[0].bucketInfo).toEqual({ v: '1' });
      expect(listed.buckets[0].revision).toBe(b.revision + 1);
    });

    it('unknown bucketId → 400 bad_bucket_id; bad bucketType → 400 bad_request', async () => {
      b2.expectError(
        await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: '000000000000000000000000', bucketType: 'allPublic' }),
        400,
        'bad_bucket_id',
      );
      const b = await b2.createBucket(fx.auth);
      b2.expectError(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, bucketType: 'open' }), 400, 'bad_request');
    });

    it('accountId is optional on update (current docs)', async () => {
      const b = await b2.createBucket(fx.auth);
      const u = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { bucketId: b.bucketId, bucketInfo: { x: 'y' } }));
      expect(u.bucketInfo).toEqual({ x: 'y' });
    });

    it('missing bucketId → 400 bad_request', async () => {
      b2.expectError(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketType: 'allPublic' }), 400, 'bad_request');
    });
  });

  describe('b2_delete_bucket', () => {
    it('returns the deleted bucket; it disappears from the list; the name becomes free', async () => {
      const b = await b2.createBucket(fx.auth);
      const d = b2.expectOk(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      expect(d.bucketId).toBe(b.bucketId);
      expect(d.bucketName).toBe(b.bucketName);
      const listed = b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      expect(listed.buckets).toEqual([]);
      b2.expectOk(await create({ bucketName: b.bucketName }));
    });

    it('deleting twice / unknown id → 400 bad_bucket_id', async () => {
      const b = await b2.createBucket(fx.auth);
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      b2.expectError(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }), 400, 'bad_bucket_id');
    });

    it('non-empty bucket → 400 cannot_delete_non_empty_bucket; deletable once all versions are gone', async () => {
      const b = await b2.createBucket(fx.auth);
      const f = await b2.uploadOk(fx.auth, b.bucketId, 'keep.txt', 'content');
      b2.expectError(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }), 400, 'cannot_delete_non_empty_bucket');
      // a hidden file still has versions
      const h = b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: b.bucketId, fileName: 'keep.txt' }));
      b2.expectError(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }), 400, 'cannot_delete_non_empty_bucket');
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'keep.txt', fileId: h.fileId }));
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'keep.txt', fileId: f.fileId }));
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
    });

    it('operations on a deleted bucket → 400 bad_bucket_id', async () => {
      const b = await b2.createBucket(fx.auth);
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }));
      b2.expectError(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: b.bucketId }), 400, 'bad_bucket_id');
      b2.expectError(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: b.bucketId }), 400, ['bad_bucket_id', 'invalid_bucket_id']);
      b2.expectError(await b2.call(fx.auth, 'b2_hide_file', { bucketId: b.bucketId, fileName: 'x' }), 400, 'bad_bucket_id');
      b2.expectError(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: b.bucketId, fileName: 'x', contentType: 'b2/x-auto' }), 400, 'bad_bucket_id');
    });
  });
});

// https://www.backblaze.com/docs/cloud-storage-buckets
describe('emu-http bucket limit', () => {
  const fx = b2.useEmulator();

  it('the 101st bucket → 400 too_many_buckets', async () => {
    for (let i = 0; i < 100; i++) {
      b2.expectOk(await b2.createBucketRaw(fx.auth, { bucketName: `many-buckets-${i}` }), `bucket ${i}`);
    }
    const res = await b2.createBucketRaw(fx.auth, { bucketName: 'many-buckets-100' });
    b2.expectError(res, 400, 'too_many_buckets');
  });
});
