/**
 * A listing with a `limit` asks B2 only for what it still needs: each page's maxFileCount shrinks
 * to what is left, and no page is fetched once the limit is reached. Counted by a transport spy
 * in front of the real transport, against the emulator.
 */
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { AxiosTransport, type B2, type B2Event, type B2HttpRequest, type B2Transport, type Bucket } from '../../src';
import { bucketName, client, startClientEmulator, upload, type Emu } from './support';

/** The real transport, recording the JSON body of every call it sends. */
class SpyTransport implements B2Transport {
  readonly sent: { operation: string; json: Record<string, unknown> }[] = [];
  private readonly inner = new AxiosTransport();

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    this.sent.push({ operation: req.operation, json: (req.json ?? {}) as Record<string, unknown> });
    return this.inner.request<T>(req);
  }

  /** maxFileCount of each request of `operation`, in order. */
  counts(operation: string): unknown[] {
    return this.sent.filter((s) => s.operation === operation).map((s) => s.json.maxFileCount);
  }
}

describe('listings with a limit', () => {
  let emu: Emu;
  let spy: SpyTransport;
  let b2: B2;
  let bucket: Bucket;
  const names = Array.from({ length: 20 }, (_, i) => `f/${String(i).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    emu = await startClientEmulator();
    spy = new SpyTransport();
    b2 = client(emu, { transport: spy });
    bucket = await firstValueFrom(b2.buckets.create(bucketName('limit')));
    for (const name of names) await upload(bucket, name, name);
    // Three versions of one name, for getVersions.
    await upload(bucket, 'v.txt', '1');
    await upload(bucket, 'v.txt', '2');
    await upload(bucket, 'v.txt', '3');
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => {
    spy.sent.length = 0;
  });

  const fileNames = async (source: Observable<{ fileName: string }>) => (await lastValueFrom(source.pipe(toArray()))).map((f) => f.fileName);

  it('listFiles({ limit: 15, pageSize: 10 }) asks for 10, then the 5 left', async () => {
    expect(await fileNames(bucket.listFiles({ prefix: 'f/', limit: 15, pageSize: 10 }))).toEqual(names.slice(0, 15));
    expect(spy.counts('b2_list_file_names')).toEqual([10, 5]);
  });

  it('listFiles({ limit: 7, pageSize: 3 }) asks for 3, 3, 1 and no page after the limit', async () => {
    expect(await fileNames(bucket.listFiles({ prefix: 'f/', limit: 7, pageSize: 3 }))).toEqual(names.slice(0, 7));
    expect(spy.counts('b2_list_file_names')).toEqual([3, 3, 1]);
  });

  it('a limit below the page size is the first page size; no limit keeps the page size', async () => {
    expect(await fileNames(bucket.listFiles({ prefix: 'f/', limit: 4 }))).toEqual(names.slice(0, 4));
    expect(spy.counts('b2_list_file_names')).toEqual([4]);
    spy.sent.length = 0;
    expect(await fileNames(bucket.listFiles({ prefix: 'f/', pageSize: 8 }))).toEqual(names);
    expect(spy.counts('b2_list_file_names')).toEqual([8, 8, 8]);
  });

  it('listFileVersions({ limit: 15, pageSize: 10 }) asks for 10, then the 5 left', async () => {
    expect(await fileNames(bucket.listFileVersions({ prefix: 'f/', limit: 15, pageSize: 10 }))).toEqual(names.slice(0, 15));
    expect(spy.counts('b2_list_file_versions')).toEqual([10, 5]);
  });

  it('getVersions({ limit: 2 }) asks for 2 versions', async () => {
    const newest = await firstValueFrom(bucket.listFiles({ prefix: 'v.txt' }));
    const versions = await lastValueFrom(newest.getVersions({ limit: 2 }).pipe(toArray()));
    expect(versions.length).toBe(2);
    expect(spy.counts('b2_list_file_versions')).toEqual([2]);
  });
});
