import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { B2, B2File, Bucket } from '../../src';
import { all, bucketName, client, startClientEmulator, upload, type Emu } from './support';

describe('client versions, delete and hide', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('ver')));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  /** Three versions of `name` (oldest first), plus a neighbour whose name extends it. */
  async function threeVersions(name: string): Promise<B2File[]> {
    const out: B2File[] = [];
    for (const v of ['v1', 'v2', 'v3']) out.push(await upload(bucket, name, v));
    await upload(bucket, `${name}.bak`, 'neighbour');
    return out;
  }

  const ids = (files: B2File[]) => files.map((f) => f.fileId);

  it('getVersions() lists the versions of exactly this name, newest first; limit caps them', async () => {
    const [v1, v2, v3] = await threeVersions('gv/a.txt');
    expect(ids(await all(v1.getVersions()))).toEqual([v3.fileId, v2.fileId, v1.fileId]);
    expect(ids(await all(v3.getVersions({ limit: 2 })))).toEqual([v3.fileId, v2.fileId]);
    expect(ids(await all(v2.getVersions({ limit: 1 })))).toEqual([v3.fileId]);
    const newest = (await all(v1.getVersions()))[0];
    expect(newest.contentLength).toBe(2);
    expect(newest.uploadTimestamp).toBeGreaterThanOrEqual(v1.uploadTimestamp);
  });

  it('file.delete() emits the file marked deleted and removes only that version', async () => {
    const [v1, v2, v3] = await threeVersions('del/a.txt');
    const emitted = await all(v2.delete());
    expect(emitted.length).toBe(1);
    expect(emitted[0]).toBe(v2);
    expect(v2.deleted).toBeTrue();
    expect(v1.deleted).toBeFalse();
    expect(ids(await all(v1.getVersions()))).toEqual([v3.fileId, v1.fileId]);

    await lastValueFrom(v3.delete());
    const current = await firstValueFrom(bucket.getFile({ name: 'del/a.txt' }));
    expect(current.fileId).toBe(v1.fileId);
    expect((await all(bucket.listFiles({ prefix: 'del/' }))).map((f) => f.fileName)).toEqual(['del/a.txt', 'del/a.txt.bak']);
  });

  it('file.hide() hides the name from listFiles; listFileVersions shows the hide marker first', async () => {
    const [v1, , v3] = await threeVersions('hide/a.txt');
    const marker = await firstValueFrom(v1.hide());
    expect(marker.action).toBe('hide');
    expect(marker.fileName).toBe('hide/a.txt');
    expect(marker.contentLength).toBe(0);
    expect(marker.fileId).not.toBe(v3.fileId);

    expect((await all(bucket.listFiles({ prefix: 'hide/' }))).map((f) => f.fileName)).toEqual(['hide/a.txt.bak']);
    const versions = await all(bucket.listFileVersions({ prefix: 'hide/a.txt' }));
    expect(versions.map((f) => [f.fileName, f.action])).toEqual([
      ['hide/a.txt', 'hide'],
      ['hide/a.txt', 'upload'],
      ['hide/a.txt', 'upload'],
      ['hide/a.txt', 'upload'],
      ['hide/a.txt.bak', 'upload'],
    ]);
    expect(versions[0].fileId).toBe(marker.fileId);
    const err = await firstValueFrom(bucket.getFile({ name: 'hide/a.txt' })).catch((e) => e);
    expect([err.status, err.code]).toEqual([404, 'not_found']);
    // The hidden versions are still there by id.
    expect((await firstValueFrom(bucket.getFile({ id: v3.fileId }))).fileId).toBe(v3.fileId);
  });

  it('bucket.deleteAllVersions(name) removes every version (hide marker included) and nothing else', async () => {
    const versions = await threeVersions('dav/a.txt');
    const marker = await firstValueFrom(versions[2].hide());
    const deleted = await all(bucket.deleteAllVersions('dav/a.txt', { concurrency: 2 }));
    expect(deleted.map((f) => f.fileId).sort()).toEqual([marker.fileId, ...versions.map((v) => v.fileId)].sort());
    expect(deleted.every((f) => f.deleted)).toBeTrue();
    expect((await all(bucket.listFileVersions({ prefix: 'dav/' }))).map((f) => f.fileName)).toEqual(['dav/a.txt.bak']);
    expect(await all(bucket.deleteAllVersions('dav/a.txt'))).toEqual([]);
  });

  it('B2File.deleteAllVersions() deletes all seven versions of its name, three at a time', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await upload(bucket, 'many/x', `#${i}`)).fileId);
    const current = await firstValueFrom(bucket.getFile({ name: 'many/x' }));
    const deleted = await all(current.deleteAllVersions({ concurrency: 3 }));
    expect(deleted.map((f) => f.fileId).sort()).toEqual([...made].sort());
    expect(await all(bucket.listFileVersions({ prefix: 'many/' }))).toEqual([]);
  });
});
