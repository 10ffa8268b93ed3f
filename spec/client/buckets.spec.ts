import { firstValueFrom, lastValueFrom } from 'rxjs';
import { B2Error, type B2 } from '../../src';
import { all, bucketName, client, countRequests, failure, onlyOnEmulator, startClientEmulator, upload, type Emu } from './support';

describe('client buckets', () => {
  onlyOnEmulator('creates, updates, lists and deletes buckets of its own');
  let emu: Emu;
  let b2: B2;

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  const cors = [
    {
      corsRuleName: 'downloadFromAnyOrigin',
      allowedOrigins: ['https://example.com'],
      allowedOperations: ['b2_download_file_by_name', 'b2_download_file_by_id'],
      allowedHeaders: ['range'],
      exposeHeaders: ['x-bz-content-sha1'],
      maxAgeSeconds: 3600,
    },
  ];
  const lifecycle = [{ fileNamePrefix: 'logs/', daysFromUploadingToHiding: 7, daysFromHidingToDeleting: 1 }];

  it('creates a public bucket with bucketInfo, CORS and lifecycle rules, as sent', async () => {
    const name = bucketName('pub');
    const bucket = await firstValueFrom(
      b2.buckets.create(name, { type: 'allPublic', bucketInfo: { owner: 'team-a', 'cache-hint': 'long' }, corsRules: cors, lifecycleRules: lifecycle }),
    );
    expect(bucket.bucketName).toBe(name);
    expect(bucket.bucketType).toBe('allPublic');
    expect(bucket.bucketId).toMatch(/^[0-9a-f]{24}$/);
    expect(bucket.bucketInfo).toEqual({ owner: 'team-a', 'cache-hint': 'long' });
    expect(bucket.corsRules).toEqual(cors);
    expect(bucket.lifecycleRules).toEqual(lifecycle);
    expect(bucket.revision).toBe(1);
    expect(bucket.deleted).toBeFalse();
  });

  it('creates a private bucket by default, with empty info and rules', async () => {
    const name = bucketName('priv');
    const bucket = await firstValueFrom(b2.buckets.create(name));
    expect(bucket.bucketType).toBe('allPrivate');
    expect(bucket.bucketInfo).toEqual({});
    expect(bucket.corsRules).toEqual([]);
    expect(bucket.lifecycleRules).toEqual([]);
    expect(bucket.revision).toBe(1);
  });

  it('all() emits every bucket in name order; get(name) and get({bucketId}) find one', async () => {
    const a = await firstValueFrom(b2.buckets.create(bucketName('all-a'), { type: 'allPublic' }));
    const b = await firstValueFrom(b2.buckets.create(bucketName('all-b')));
    const buckets = await all(b2.buckets.all());
    const names = buckets.map((x) => x.bucketName);
    expect(names).toContain(a.bucketName);
    expect(names).toContain(b.bucketName);
    expect(names).toEqual([...names].sort());
    expect(buckets.find((x) => x.bucketName === a.bucketName)!.bucketId).toBe(a.bucketId);
    expect(buckets.find((x) => x.bucketName === b.bucketName)!.bucketType).toBe('allPrivate');

    const byName = await firstValueFrom(b2.buckets.get(a.bucketName));
    expect(byName.bucketId).toBe(a.bucketId);
    expect(byName.bucketType).toBe('allPublic');
    const byId = await firstValueFrom(b2.buckets.get({ bucketId: b.bucketId }));
    expect(byId.bucketName).toBe(b.bucketName);
    expect(byId.toJSON()).toEqual(b.toJSON());
  });

  it('get() of a missing bucket fails with 404 not_found', async () => {
    const err = await failure(b2.buckets.get(bucketName('missing')));
    expect(err.status).toBe(404);
    expect(err.code).toBe('not_found');
  });

  it('update changes the type and increments the revision; a stale ifRevisionIs fails with 409 conflict', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('upd'), { bucketInfo: { v: '1' } }));
    const updated = await firstValueFrom(bucket.update({ type: 'allPublic', ifRevisionIs: 1 }));
    expect(updated.bucketType).toBe('allPublic');
    expect(updated.revision).toBe(2);
    expect(updated.bucketInfo).toEqual({ v: '1' });
    expect(updated.bucketId).toBe(bucket.bucketId);

    const again = await firstValueFrom(updated.update({ bucketInfo: { v: '2' } }));
    expect(again.revision).toBe(3);
    expect(again.bucketInfo).toEqual({ v: '2' });
    expect(again.bucketType).toBe('allPublic');

    const err = await failure(again.update({ type: 'allPrivate', ifRevisionIs: 2 }));
    expect(err.status).toBe(409);
    expect(err.code).toBe('conflict');
    const now = await firstValueFrom(b2.buckets.get({ bucketId: bucket.bucketId }));
    expect(now.bucketType).toBe('allPublic');
    expect(now.revision).toBe(3);
  });

  it('delete of a non-empty bucket fails with 400 cannot_delete_non_empty_bucket; an empty one is deleted', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('del')));
    const file = await upload(bucket, 'one.txt', 'x');
    const err = await failure(bucket.delete());
    expect(err.status).toBe(400);
    expect(err.code).toBe('cannot_delete_non_empty_bucket');
    expect(bucket.deleted).toBeFalse();

    await lastValueFrom(file.delete());
    const deleted = await firstValueFrom(bucket.delete());
    expect(deleted).toBe(bucket);
    expect(bucket.deleted).toBeTrue();
    const gone = await failure(b2.buckets.get(bucket.bucketName));
    expect(gone.status).toBe(404);
    expect(gone.code).toBe('not_found');
  });

  it('an invalid bucket name fails with invalid_argument on field bucketName, and sends no request', async () => {
    await firstValueFrom(b2.authorize());
    // Any request at all would now fail with 500 and be counted.
    emu.faults.add({ call: '*', fault: { kind: 'status', status: 500 }, times: Infinity });
    const before = emu.faults.injected();
    for (const bad of ['short', 'has space in it', 'b2-reserved-name', 'under_score', 'x'.repeat(64)]) {
      const created = await failure(b2.buckets.create(bad));
      expect(created).toEqual(jasmine.objectContaining({ status: 0, code: 'invalid_argument', field: 'bucketName' }));
      const got = await failure(b2.buckets.get(bad));
      expect(got.code).toBe('invalid_argument');
      expect(got.field).toBe('bucketName');
    }
    const badType = await failure(b2.buckets.create(bucketName('type'), { type: 'snapshot' as never }));
    expect(badType.code).toBe('invalid_argument');
    expect(badType.field).toBe('type');
    expect(emu.faults.injected()).toEqual(before);
  });

  it('a duplicate bucket name fails at once with 400 duplicate_bucket_name (not retried)', async () => {
    const name = bucketName('dup');
    await firstValueFrom(b2.buckets.create(name));
    const count = countRequests(emu, 'b2_create_bucket');
    const err = await failure(b2.buckets.create(name));
    expect(err).toBeInstanceOf(B2Error);
    expect(err.status).toBe(400);
    expect(err.code).toBe('duplicate_bucket_name');
    expect(err.isRetryable).toBeFalse();
    expect(count()).toBe(1);
  });
});
