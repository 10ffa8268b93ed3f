/**
 * The Angular-style UploadService example (spec/examples/angular-upload.service.ts), run in Node
 * against the emulator with Blobs: progress from 0 to 1, the uploaded file, one run per
 * subscription, and cancel() mid-way through a multi-part upload leaving nothing behind on B2.
 */
import { createHash } from 'node:crypto';
import { firstValueFrom, lastValueFrom, of, toArray, type Subscription } from 'rxjs';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { B2, toResponseBody, type B2File, type Bucket } from '../../src';
import { UploadService } from './angular-upload.service';
import { bytes } from '../client/support';

/** Tiny parts: blobs above 5,000 bytes go up as large files in parts of 5,000. */
const PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 };


const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectMonotonicFromZeroToOne(values: number[]): void {
  expect(values[0]).toBe(0);
  expect(values[values.length - 1]).toBe(1);
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  for (const v of values) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
}

describe('UploadService (Angular example) against the emulator', () => {
  let emu: RunningEmulator;
  let b2: B2;
  let bucket: Bucket;
  let service: UploadService;
  let watching: Subscription | undefined;

  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, ...PARTS });
    b2 = new B2({
      applicationKeyId: emu.keyId,
      applicationKey: emu.applicationKey,
      realm: emu.url,
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      // Every progress event, so the spec sees the climb (apps keep the 100 ms default).
      progressIntervalMs: 0,
    });
    bucket = await firstValueFrom(b2.buckets.create(`ex-upload-${Date.now().toString(36)}`));
  });

  beforeEach(() => {
    service = new UploadService(of(bucket), { concurrency: 2 });
  });

  afterEach(() => {
    watching?.unsubscribe();
    watching = undefined;
    emu.faults.clear();
  });

  afterAll(async () => {
    await emu.close();
  });

  /**
   * The action of every version under `name` ("upload", or "start" for an unfinished large file).
   * Plain strings: a B2File printed by a failing expectation would show its client's internals.
   */
  async function versionsOf(name: string): Promise<string[]> {
    return (await lastValueFrom(bucket.listFileVersions({ prefix: name }).pipe(toArray()))).map((v) => v.action);
  }

  it('UploadService: progress$ is 0 before any upload', async () => {
    expect(await firstValueFrom(service.progress$)).toBe(0);
  });

  it('UploadService: a small Blob uploads as one file; progress$ goes 0 → 1', async () => {
    const data = bytes(3000, 1);
    const seen: number[] = [];
    watching = service.progress$.subscribe((p) => seen.push(p));
    const files = await lastValueFrom(service.upload(new Blob([data]), 'ex/small.bin').pipe(toArray()));
    expect(files.length).withContext('files emitted').toBe(1);
    expect(files[0].fileName).toBe('ex/small.bin');
    expect(files[0].contentLength).toBe(3000);
    expect(files[0].contentSha1).toBe(sha1(data));
    expectMonotonicFromZeroToOne(seen);
  });

  it('UploadService: a multi-part Blob completes with the file; progress$ climbs monotonically to 1', async () => {
    const data = bytes(42_000, 2);
    const seen: number[] = [];
    watching = service.progress$.subscribe((p) => seen.push(p));
    const file = await lastValueFrom(service.upload(new Blob([data]), 'ex/large.bin'));
    expect(file.fileName).toBe('ex/large.bin');
    expect(file.contentLength).toBe(42_000);
    // A large file from a Blob has no whole-file SHA-1 on B2: compare the bytes read back.
    const read = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(sha1(read.data)).toBe(sha1(data));
    expectMonotonicFromZeroToOne(seen);
    expect(seen.some((p) => p > 0 && p < 1)).withContext(`progress ${seen.join(', ')}`).toBeTrue();
    expect(await versionsOf('ex/large.bin')).toEqual(['upload']);
  });

  it('UploadService: a late progress$ subscriber gets the current value at once (shared, replayed)', async () => {
    await lastValueFrom(service.upload(new Blob([bytes(2000, 3)]), 'ex/late.bin'));
    const first = service.progress$.subscribe();
    expect(await firstValueFrom(service.progress$)).toBe(1);
    first.unsubscribe();
  });

  it('UploadService: the upload is cold: nothing is sent before subscribe, and each subscribe is one run', async () => {
    const upload$ = service.upload(new Blob([bytes(1500, 4)]), 'ex/cold.bin');
    await sleep(50);
    expect(await versionsOf('ex/cold.bin')).toEqual([]);
    const a = await lastValueFrom(upload$);
    const b = await lastValueFrom(upload$);
    expect(a.fileId).not.toBe(b.fileId);
    expect(await versionsOf('ex/cold.bin')).toEqual(['upload', 'upload']);
  });

  it('UploadService: cancel() mid-upload ends the upload and leaves no unfinished large file', async () => {
    const name = 'ex/cancelled.bin';
    // Slow parts, so the cancel lands while the 20-part upload is in flight.
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 40 }, times: Infinity });
    const seen: number[] = [];
    watching = service.progress$.subscribe((p) => seen.push(p));

    let emitted: B2File | undefined;
    const ended = new Promise<'complete' | 'error'>((resolve) => {
      service.upload(new Blob([bytes(100_000, 5)]), name).subscribe({
        next: (file) => (emitted = file),
        complete: () => resolve('complete'),
        error: () => resolve('error'),
      });
    });
    // Wait until some bytes went out and an unfinished large file exists on B2.
    for (let i = 0; i < 100 && !(seen.some((p) => p > 0) && (await versionsOf(name)).includes('start')); i++) await sleep(10);
    expect(await versionsOf(name)).toEqual(['start']);

    service.cancel();
    expect(['complete', 'error']).toContain(await ended);
    expect(emitted === undefined).withContext('no file after cancel()').toBeTrue();
    const stoppedAt = seen[seen.length - 1];
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(1);

    // The large file is cancelled on B2 (the cancel request goes out as the upload is torn down).
    let left = await versionsOf(name);
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await sleep(50);
      left = await versionsOf(name);
    }
    expect(left).toEqual([]);
    // And nothing more is sent for it: progress stays where it stopped.
    await sleep(150);
    expect(seen[seen.length - 1]).toBe(stoppedAt);
  });
});
