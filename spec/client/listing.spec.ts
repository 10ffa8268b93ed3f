import { eachValueFrom } from 'rxjs-for-await';
import { firstValueFrom, take, tap } from 'rxjs';
import type { B2, B2File, Bucket } from '../../src';
import { all, bucketName, client, countRequests, delay, startClientEmulator, upload, type Emu } from './support';

describe('client listing', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  const pageNames = Array.from({ length: 10 }, (_, i) => `p/${String(i).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('list')));
    // Uploaded out of order: the listing must sort by name.
    for (const name of [...pageNames].reverse()) await upload(bucket, name, name);
    for (const name of ['d/a/1.txt', 'd/a/2.txt', 'd/b/1.txt', 'd/c.txt', 'd/z.txt']) await upload(bucket, name, name);
    await upload(bucket, 'v/x.txt', 'one');
    await upload(bucket, 'v/x.txt', 'two');
    await upload(bucket, 'v/y.txt', 'three');
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  const names = (files: B2File[]) => files.map((f) => f.fileName);

  it('pages through 10 files 3 at a time: all 10, in order, in 4 requests', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const files = await all(bucket.listFiles({ prefix: 'p/', pageSize: 3 }));
    expect(names(files)).toEqual(pageNames);
    expect(files.map((f) => f.action)).toEqual(pageNames.map(() => 'upload'));
    expect(count()).toBe(4);
  });

  it('filters by prefix', async () => {
    expect(names(await all(bucket.listFiles({ prefix: 'p/0' })))).toEqual(pageNames);
    expect(names(await all(bucket.listFiles({ prefix: 'p/05' })))).toEqual(['p/05.txt']);
    expect(names(await all(bucket.listFiles({ prefix: 'nothing/' })))).toEqual([]);
  });

  it('collapses names under a delimiter into folder rows', async () => {
    const files = await all(bucket.listFiles({ prefix: 'd/', delimiter: '/' }));
    expect(files.map((f) => [f.fileName, f.action])).toEqual([
      ['d/a/', 'folder'],
      ['d/b/', 'folder'],
      ['d/c.txt', 'upload'],
      ['d/z.txt', 'upload'],
    ]);
    const top = await all(bucket.listFiles({ delimiter: '/' }));
    expect(names(top)).toEqual(['d/', 'p/', 'v/']);
    expect(top.every((f) => f.action === 'folder')).toBeTrue();
  });

  it('starts at startFileName (inclusive) and stops at limit', async () => {
    expect(names(await all(bucket.listFiles({ prefix: 'p/', startFileName: 'p/07.txt', pageSize: 2 })))).toEqual(['p/07.txt', 'p/08.txt', 'p/09.txt']);
    expect(names(await all(bucket.listFiles({ prefix: 'p/', startFileName: 'p/045' })))).toEqual(pageNames.slice(5));
    const count = countRequests(emu, 'b2_list_file_names');
    expect(names(await all(bucket.listFiles({ prefix: 'p/', limit: 4 })))).toEqual(pageNames.slice(0, 4));
    expect(count()).toBe(1);
    expect(names(await all(bucket.listFiles({ prefix: 'p/', limit: 5, pageSize: 2 })))).toEqual(pageNames.slice(0, 5));
    expect(count()).toBe(4);
  });

  it('listFileVersions pages through every version, name order then newest first', async () => {
    const versions = await all(bucket.listFileVersions({ prefix: 'v/', pageSize: 1 }));
    expect(names(versions)).toEqual(['v/x.txt', 'v/x.txt', 'v/y.txt']);
    expect(versions[0].uploadTimestamp).toBeGreaterThanOrEqual(versions[1].uploadTimestamp);
    expect(versions[0].contentLength).toBe(3); // 'two', the newer
    expect(versions[1].contentLength).toBe(3);
    expect(new Set(versions.map((v) => v.fileId)).size).toBe(3);
    const current = await all(bucket.listFiles({ prefix: 'v/' }));
    expect(current.map((f) => f.fileId)).toEqual([versions[0].fileId, versions[2].fileId]);
    // Every page boundary, including one between two versions of the same name.
    for (const pageSize of [1, 2, 3, 1000]) {
      expect((await all(bucket.listFileVersions({ prefix: 'v/', pageSize }))).map((f) => f.fileId)).toEqual(versions.map((v) => v.fileId));
    }
    expect(names(await all(bucket.listFileVersions({ prefix: 'v/', limit: 2, pageSize: 1 })))).toEqual(['v/x.txt', 'v/x.txt']);
    expect(names(await all(bucket.listFileVersions({ prefix: 'v/', startFileName: 'v/y.txt' })))).toEqual(['v/y.txt']);
  });

  it('take(2) with pageSize 3 makes exactly one b2_list_file_names request', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const files = await all(bucket.listFiles({ prefix: 'p/', pageSize: 3 }).pipe(take(2)));
    expect(names(files)).toEqual(pageNames.slice(0, 2));
    await delay(100);
    expect(count()).toBe(1);
  });

  it('take(3) with pageSize 3 (a whole page) still makes one request', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const files = await all(bucket.listFiles({ prefix: 'p/', pageSize: 3 }).pipe(take(3)));
    expect(names(files)).toEqual(pageNames.slice(0, 3));
    await delay(100);
    expect(count()).toBe(1);
  });

  it('for await (eachValueFrom) with break after 2 items stops further page requests', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const seen: string[] = [];
    for await (const file of eachValueFrom(bucket.listFiles({ prefix: 'p/', pageSize: 3 }))) {
      seen.push(file.fileName);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(pageNames.slice(0, 2));
    await delay(150);
    expect(count()).toBe(1);
  });

  it('unsubscribing while a page is in flight aborts it and requests no further page', async () => {
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'delay', ms: 200 }, times: Infinity });
    const before = emu.faults.injected().delay ?? 0;
    const seen: string[] = [];
    let completed = false;
    await new Promise<void>((resolve) => {
      const sub = bucket
        .listFiles({ prefix: 'p/', pageSize: 3 })
        .pipe(
          tap((f) => {
            seen.push(f.fileName);
            // Page 2 is requested right after page 1's items; cancel while the server holds it.
            if (seen.length === 3) setTimeout(() => (sub.unsubscribe(), resolve()), 50);
          }),
        )
        .subscribe({ complete: () => (completed = true) });
    });
    await delay(500);
    expect(seen).toEqual(pageNames.slice(0, 3));
    expect(completed).toBeFalse();
    expect((emu.faults.injected().delay ?? 0) - before).toBe(2);
  });
});
