import { firstValueFrom, lastValueFrom } from 'rxjs';
import { B2, toResponseBody, type B2CreatedKeyWire, type Bucket } from '../../src';
import { all, bucketName, client, failure, onlyOnEmulator, startClientEmulator, upload, type Emu } from './support';

describe('client application keys', () => {
  onlyOnEmulator('makes keys restricted to two buckets of its own');
  let emu: Emu;
  let b2: B2;
  let mine: Bucket;
  let other: Bucket;
  let key: B2CreatedKeyWire;
  let restricted: B2;

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    mine = await firstValueFrom(b2.buckets.create(bucketName('key-mine')));
    other = await firstValueFrom(b2.buckets.create(bucketName('key-other')));
    await upload(mine, 'allowed/seed.txt', 'seed');
    await upload(mine, 'secret/hidden.txt', 'no');
    await upload(other, 'allowed/other.txt', 'no');
    key = await firstValueFrom(
      b2.keys.create({
        keyName: 'restricted-spec-key',
        capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles'],
        bucketId: mine.bucketId,
        namePrefix: 'allowed/',
      }),
    );
    restricted = new B2({ applicationKeyId: key.applicationKeyId, applicationKey: key.applicationKey, realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  it('creates a key restricted to one bucket and a name prefix', () => {
    expect(key.keyName).toBe('restricted-spec-key');
    expect(key.applicationKeyId).toMatch(/^[0-9a-f]{25}$/);
    expect(typeof key.applicationKey).toBe('string');
    expect(key.applicationKey.length).toBeGreaterThan(20);
    expect(key.namePrefix).toBe('allowed/');
    expect(key.capabilities).toEqual(jasmine.arrayWithExactContents(['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles']));
  });

  it('the restricted key authorizes with its bucket and prefix', async () => {
    const auth = await firstValueFrom(restricted.authorize());
    expect(auth.allowed.buckets).toEqual([{ id: mine.bucketId, name: mine.bucketName }]);
    expect(auth.allowed.namePrefix).toBe('allowed/');
    expect(auth.allowed.capabilities).toContain('writeFiles');
  });

  it('lists and uploads within its bucket and prefix', async () => {
    const bucket = await firstValueFrom(restricted.buckets.get(mine.bucketName));
    expect(bucket.bucketId).toBe(mine.bucketId);
    expect((await all(restricted.buckets.all())).map((b) => b.bucketName)).toEqual([mine.bucketName]);
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'allowed/new.txt', contents: 'hello' }).pipe(toResponseBody()));
    expect(file.fileName).toBe('allowed/new.txt');
    expect(file.bucketId).toBe(mine.bucketId);
    expect((await all(bucket.listFiles({ prefix: 'allowed/' }))).map((f) => f.fileName)).toEqual(['allowed/new.txt', 'allowed/seed.txt']);
    const read = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(Buffer.from(read.data).toString()).toBe('hello');
    // And the master key sees it too.
    expect((await firstValueFrom(mine.getFile({ name: 'allowed/new.txt' }))).fileId).toBe(file.fileId);
  });

  it('gets 401 unauthorized for another bucket, a listing outside its prefix, and a write outside its prefix', async () => {
    const otherBucket = await failure(restricted.buckets.get(other.bucketName));
    expect([otherBucket.status, otherBucket.code]).toEqual([401, 'unauthorized']);
    const otherById = await failure(restricted.buckets.get({ bucketId: other.bucketId }));
    expect([otherById.status, otherById.code]).toEqual([401, 'unauthorized']);

    const bucket = await firstValueFrom(restricted.buckets.get(mine.bucketName));
    const listOutside = await failure(bucket.listFiles({ prefix: 'secret/' }));
    expect([listOutside.status, listOutside.code]).toEqual([401, 'unauthorized']);
    const listAll = await failure(bucket.listFiles());
    expect([listAll.status, listAll.code]).toEqual([401, 'unauthorized']);

    const before = emu.faults.injected();
    const writeOutside = await failure(bucket.uploadFile({ fileName: 'secret/nope.txt', contents: 'x' }));
    expect([writeOutside.status, writeOutside.code]).toEqual([401, 'unauthorized']);
    expect(writeOutside.isRetryable).toBeFalse();
    expect(emu.faults.injected()).toEqual(before);
    expect((await all(mine.listFileVersions({ prefix: 'secret/' }))).map((f) => f.fileName)).toEqual(['secret/hidden.txt']);
  });

  it('keys.list() contains the key (without its secret); keys.delete() removes it and it stops working', async () => {
    const extra = await firstValueFrom(b2.keys.create({ keyName: 'short-lived', capabilities: ['listBuckets'] }));
    const listed = await all(b2.keys.list());
    const found = listed.find((k) => k.applicationKeyId === key.applicationKeyId);
    expect(found).toBeDefined();
    expect(found!.keyName).toBe('restricted-spec-key');
    expect(found!.namePrefix).toBe('allowed/');
    expect((found as Partial<B2CreatedKeyWire>).applicationKey).toBeUndefined();
    expect(listed.map((k) => k.applicationKeyId)).toContain(extra.applicationKeyId);

    const deleted = await firstValueFrom(b2.keys.delete(extra.applicationKeyId));
    expect(deleted.applicationKeyId).toBe(extra.applicationKeyId);
    expect(deleted.keyName).toBe('short-lived');
    expect((await all(b2.keys.list())).map((k) => k.applicationKeyId)).not.toContain(extra.applicationKeyId);

    const revoked = new B2({ applicationKeyId: extra.applicationKeyId, applicationKey: extra.applicationKey, realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    const err = await failure(revoked.buckets.all());
    expect(err.status).toBe(401);
    expect(err.operation).toBe('b2_authorize_account');
  });

  it('rejects bad key options before any request', async () => {
    const before = emu.faults.injected();
    emu.faults.add({ call: '*', fault: { kind: 'status', status: 500 }, times: Infinity });
    const noCaps = await failure(b2.keys.create({ keyName: 'k', capabilities: [] }));
    expect([noCaps.code, noCaps.field]).toEqual(['invalid_argument', 'capabilities']);
    const badName = await failure(b2.keys.create({ keyName: 'bad name', capabilities: ['listFiles'] }));
    expect([badName.code, badName.field]).toEqual(['invalid_argument', 'keyName']);
    const noId = await failure(b2.keys.delete(''));
    expect([noId.code, noId.field]).toEqual(['invalid_argument', 'applicationKeyId']);
    expect(emu.faults.injected()).toEqual(before);
  });
});
