import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { firstValueFrom, lastValueFrom, type Subscription } from 'rxjs';
import { toResponseBody, type B2, type B2File, type B2UploadEvent, type Bucket } from '../../src';
import { all, bucketName, bytes, client, countRequests, delay, SMALL_FILE_PARTS, startClientEmulator, upload, type Emu } from './support';

describe('client laziness and abort', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  let big: B2File;
  const bigData = bytes(3_000_000, 21);

  beforeAll(async () => {
    emu = await startClientEmulator(SMALL_FILE_PARTS);
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('lazy')));
    big = await upload(bucket, 'big.bin', bigData);
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  it('creating Observables sends nothing before subscribe; subscribing sends', async () => {
    const count = countRequests(emu);
    const upload$ = bucket.uploadFile({ fileName: 'lazy/never.txt', contents: 'never' });
    const list$ = bucket.listFiles({ prefix: 'big' });
    const versions$ = bucket.listFileVersions();
    const buckets$ = b2.buckets.all();
    const download$ = big.download();
    const toBuffer$ = big.downloadToBuffer();
    const getFile$ = bucket.getFile({ name: 'big.bin' });
    const create$ = b2.buckets.create(bucketName('lazy-never'));
    const delete$ = big.delete();
    const hide$ = big.hide();
    const keys$ = b2.keys.list();
    const fresh = client(emu);
    const auth$ = fresh.authorize();
    const freshBuckets$ = fresh.buckets.all();
    await delay(100);
    expect(count()).toBe(0);
    void [upload$, versions$, download$, getFile$, create$, delete$, hide$, keys$, auth$, freshBuckets$];

    expect((await all(list$)).map((f) => f.fileName)).toEqual(['big.bin']);
    expect(count()).toBe(1);
    expect((await all(buckets$)).map((b) => b.bucketName)).toContain(bucket.bucketName);
    expect(count()).toBe(2);
    const done = await lastValueFrom(toBuffer$.pipe(toResponseBody()));
    expect(Buffer.from(done.data).equals(bigData)).toBeTrue();
    expect(count()).toBe(3);
    // A new client authorizes only on first use, then lists: two requests.
    await all(freshBuckets$);
    expect(count()).toBe(5);
  });

  it('subscribing twice runs twice: two uploads, two versions', async () => {
    const upload$ = bucket.uploadFile({ fileName: 'lazy/twice.txt', contents: 'same' }).pipe(toResponseBody());
    const a = await lastValueFrom(upload$);
    const b = await lastValueFrom(upload$);
    expect(a.fileId).not.toBe(b.fileId);
    expect((await all(bucket.listFileVersions({ prefix: 'lazy/twice.txt' }))).map((f) => f.fileId)).toEqual([b.fileId, a.fileId]);
  });

  it('unsubscribing an upload while the server holds it aborts it: nothing is stored, no error', async () => {
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'delay', ms: 300 }, times: 1 });
    const events: string[] = [];
    let errored: unknown;
    let sub: Subscription | undefined;
    await new Promise<void>((resolve) => {
      sub = bucket.uploadFile({ fileName: 'lazy/aborted-held.bin', contents: bytes(8_000_000, 22) }).subscribe({
        next: (e) => {
          events.push(e.type);
          if (e.type === 'sent') setTimeout(resolve, 100);
        },
        error: (err) => (errored = err),
      });
    });
    sub!.unsubscribe();
    await delay(600);
    expect(errored).toBeUndefined();
    expect(events).not.toContain('response');
    expect(events[0]).toBe('sent');
    expect(await all(bucket.listFileVersions({ prefix: 'lazy/aborted-held.bin' }))).toEqual([]);
  });

  it('unsubscribing an upload from a file before the file is read sends no upload and stores nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxb2-lazy-'));
    try {
      const path = join(dir, 'early.bin');
      await writeFile(path, bytes(4096, 23));
      await lastValueFrom(bucket.listFiles({ limit: 1 })); // authorized: the upload's first step is reading the file
      const requests = countRequests(emu);
      const events: string[] = [];
      let ended = '';
      const sub = bucket
        .uploadFile({ fileName: 'lazy/early.bin', contents: { path } })
        .subscribe({ next: (e) => events.push(e.type), error: () => (ended = 'error'), complete: () => (ended = 'complete') });
      sub.unsubscribe();
      await delay(200);
      expect([events, ended, requests()]).toEqual([[], '', 0]);
      expect(await all(bucket.listFileVersions({ prefix: 'lazy/early.bin' }))).toEqual([]);
      // Run to its end, the same upload sends the file.
      const file = await lastValueFrom(bucket.uploadFile({ fileName: 'lazy/early.bin', contents: { path } }).pipe(toResponseBody()));
      expect(file.contentLength).toBe(4096);
      expect(requests()).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('unsubscribing a streamed upload mid-body stops reading the source and stores nothing', async () => {
    const chunk = 64 * 1024;
    const total = 400 * chunk; // 25.6 MB, fed slowly
    let pulled = 0;
    async function* slow(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < total / chunk; i++) {
        await delay(2);
        pulled += chunk;
        yield Buffer.alloc(chunk, i & 0xff);
      }
    }
    let sub: Subscription | undefined;
    const events: B2UploadEvent[] = [];
    await new Promise<void>((resolve) => {
      sub = bucket.uploadFile({ fileName: 'lazy/aborted-stream.bin', contents: Readable.from(slow()), contentLength: total }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'uploadProgress') resolve();
        },
      });
    });
    sub!.unsubscribe();
    await delay(300);
    const afterAbort = pulled;
    await delay(500);
    expect(pulled).toBe(afterAbort);
    expect(pulled).toBeLessThan(total / 2);
    expect(events.map((e) => e.type)).not.toContain('response');
    expect(await all(bucket.listFileVersions({ prefix: 'lazy/aborted-stream.bin' }))).toEqual([]);
  });

  it('unsubscribing a download mid-body ends its body stream early and emits nothing more', async () => {
    const events: string[] = [];
    let body: AsyncIterable<Uint8Array> | undefined;
    const sub = big.download().subscribe({
      next: (e) => {
        events.push(e.type);
        if (e.type === 'responseHeader') body = e.body;
      },
    });
    while (!body) await delay(5);
    const iterator = body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBeFalse();
    let read = first.value!.length;
    sub.unsubscribe();
    const countAtUnsubscribe = events.length;
    let ended: 'done' | 'error' = 'done';
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        read += next.value.length;
      }
    } catch {
      ended = 'error';
    }
    expect(['done', 'error']).toContain(ended);
    expect(read).toBeLessThan(bigData.length);
    await delay(100);
    expect(events.length).toBe(countAtUnsubscribe);
    expect(events).not.toContain('response');
  });
});
