/**
 * The test page's script, bundled by esbuild for the browser (platform mapped to
 * src/platform/browser.ts) and driven by spec/browser/browser.spec.ts through `window.rxb2Test`.
 *
 * The page gets its realm, key and bucket through the query string. TEST ONLY: a real application
 * must never put the master key (or any long-lived key) in a page; it would hand the browser a
 * short-lived, bucket- and prefix-restricted key (or upload URLs) from its own server.
 */
import { firstValueFrom, lastValueFrom, tap, toArray, type Observable, type Subscription } from 'rxjs';
import { platform, sha1Compiled } from '../../../src/platform/browser';
import { hashBlobInWorker, hashWorkerStats } from '../../../src/platform/browser-hash-worker';
import { B2, intoBuffer, isB2Error, toResponseBody, type B2Error, type B2File, type B2UploadEvent, type Bucket, type UploadFileOptions } from '../../../src';

const params = new URLSearchParams(location.search);
const b2 = new B2({
  applicationKeyId: params.get('keyId') ?? '',
  applicationKey: params.get('key') ?? '',
  realm: params.get('realm') ?? '',
  retry: { baseDelayMs: 10, maxDelayMs: 50 },
  // Every progress event reaches the test (a UI would keep the 100 ms default).
  progressIntervalMs: 0,
});
const bucketName = params.get('bucket') ?? '';

/** Random bytes in a Blob (getRandomValues fills at most 64 KiB per call). */
function randomBlob(size: number): { blob: Blob; bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  return { blob: new Blob([bytes]), bytes };
}

/** SHA-1 by Web Crypto: independent of the client's own (incremental, hash-wasm's). */
async function webSha1(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface UploadSummary {
  fileName: string;
  size: number;
  events: string[];
  progress: number[];
  parts: number;
  contentSha1: string | null;
  largeFileSha1: string | null;
}

async function upload(bucket: Bucket, fileName: string, contents: Blob | Uint8Array | string): Promise<{ file: B2File; summary: UploadSummary }> {
  const events: B2UploadEvent[] = await lastValueFrom(bucket.uploadFile({ fileName, contents }).pipe(toArray()));
  const response = events[events.length - 1];
  if (response.type !== 'response') throw new Error(`${fileName}: the last event is ${response.type}`);
  const file = response.body;
  return {
    file,
    summary: {
      fileName,
      size: file.contentLength,
      events: events.map((e) => e.type),
      progress: events.flatMap((e) => (e.type === 'uploadProgress' ? [e.loaded] : [])),
      parts: events.filter((e) => e.type === 'partUploaded').length,
      contentSha1: file.contentSha1,
      largeFileSha1: file.fileInfo.large_file_sha1 ?? null,
    },
  };
}

export interface DownloadSummary {
  fileName: string;
  length: number;
  same: boolean;
  sha1: string;
  expectedSha1: string;
  verifiedSha1: string | null;
  downloadProgress: number;
}

async function download(file: B2File, expected: Uint8Array): Promise<DownloadSummary> {
  let downloadProgress = 0;
  const response = await lastValueFrom(file.downloadToBuffer().pipe(tap((e) => void (e.type === 'downloadProgress' && downloadProgress++))));
  if (response.type !== 'response') throw new Error(`download of ${file.fileName} ended with ${response.type}`);
  const data = response.body.data;
  return {
    fileName: file.fileName,
    length: data.length,
    same: sameBytes(data, expected),
    sha1: await webSha1(data),
    expectedSha1: await webSha1(expected),
    verifiedSha1: response.body.verifiedSha1,
    downloadProgress,
  };
}

async function errorOf(source: Observable<unknown>): Promise<{ code?: string; message: string; isB2Error: boolean }> {
  try {
    await lastValueFrom(source);
  } catch (err) {
    return { code: (err as B2Error).code, message: (err as Error).message, isB2Error: isB2Error(err) };
  }
  return { message: 'completed', isB2Error: false };
}

/** Uploads (a small Blob, bytes, a multi-part Blob) and downloads them back. */
async function roundTrip() {
  const bucket = await firstValueFrom(b2.buckets.get(bucketName));
  const small = randomBlob(3000);
  const text = new TextEncoder().encode('hello from the browser');
  const big = randomBlob(40_000);

  const smallUp = await upload(bucket, 'browser/small.bin', small.blob);
  const textUp = await upload(bucket, 'browser/text.txt', text);
  const bigUp = await upload(bucket, 'browser/big.bin', big.blob);

  const byName = await lastValueFrom(bucket.downloadFileByName('browser/small.bin').pipe(intoBuffer(), toResponseBody()));
  // A range (a Range header through CORS, as a resumed download sends).
  const ranged = await lastValueFrom(bigUp.file.downloadToBuffer({ range: { start: 12_345, end: 23_456 } }).pipe(toResponseBody()));
  // What needs a file system fails clearly.
  const fileErrors = await Promise.all([
    errorOf(bucket.uploadFile({ fileName: 'browser/from-path.bin', contents: { path: '/etc/hostname' } })),
    errorOf(smallUp.file.downloadToFile('/tmp/small.bin')),
  ]);
  return {
    ranged: sameBytes(ranged.data, big.bytes.subarray(12_345, 23_457)),
    fileErrors,
    uploads: [smallUp.summary, textUp.summary, bigUp.summary],
    downloads: [await download(smallUp.file, small.bytes), await download(textUp.file, text), await download(bigUp.file, big.bytes)],
    byName: { same: sameBytes(byName.data, small.bytes), verifiedSha1: byName.verifiedSha1 },
    expectedSha1: { small: await webSha1(small.bytes), text: await webSha1(text), big: await webSha1(big.bytes) },
  };
}

/**
 * Starts a multi-part upload and unsubscribes at its first sign of progress (an uploadProgress or
 * partUploaded event): the parts in flight are aborted and the large file is cancelled.
 */
async function cancelMidway(fileName: string) {
  const bucket = await firstValueFrom(b2.buckets.get(bucketName));
  const { blob } = randomBlob(40_000);
  const events: string[] = [];
  let largeFileId: string | undefined;
  await new Promise<void>((resolve, reject) => {
    let subscription: Subscription | undefined;
    let stop = false;
    // eslint-disable-next-line prefer-const -- next() may read it before subscribe() returns, so it cannot be a const
    subscription = bucket.uploadFile({ fileName, contents: blob, concurrency: 2 }).subscribe({
      next(e) {
        events.push(e.type);
        if (e.type === 'largeFileStarted') largeFileId = e.fileId;
        if (e.type === 'uploadProgress' || e.type === 'partUploaded') {
          stop = true;
          subscription?.unsubscribe();
          resolve();
        }
      },
      error: reject,
      complete: () => reject(new Error('the upload completed before it could be cancelled')),
    });
    if (stop) subscription.unsubscribe();
  });
  return { events, largeFileId };
}

/**
 * Authorizes against a server that accepts and never answers, with a short idle timeout: the
 * transport's watchdog (XHR progress events) must abort each attempt, and the call fail with
 * idle_timeout after the retries.
 */
async function stalled(realm: string) {
  const retries: { operation: string; attempt: number; code: string }[] = [];
  const client = new B2({
    applicationKeyId: 'id',
    applicationKey: 'key',
    realm,
    timeouts: { idleMs: 300 },
    retry: { maxAttempts: 2, baseDelayMs: 10 },
    onRetry: (e) => retries.push({ operation: e.operation, attempt: e.attempt, code: e.error.code }),
  });
  try {
    await firstValueFrom(client.authorize());
    return { completed: true, retries };
  } catch (err) {
    const e = err as B2Error;
    return { isB2Error: isB2Error(err), code: e.code, operation: e.operation, message: e.message, retries };
  }
}

/**
 * Web ReadableStreams as contents: text (a TextDecoderStream's strings) cut into parts as it is read,
 * bytes of a given length, a stream offered only through getReader (no async iteration), each
 * downloaded back and compared; and a stream of numbers, refused.
 */
async function streamKinds() {
  const bucket = await firstValueFrom(b2.buckets.get(bucketName));
  const text = 'ünïcödé 😀 text, '.repeat(700);
  const utf8 = new TextEncoder().encode(text);
  const { blob, bytes } = randomBlob(3000);
  const chunked = (data: Uint8Array, size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < data.length; at += size) controller.enqueue(data.slice(at, at + size));
        controller.close();
      },
    });
  const cases: Array<[string, UploadFileOptions['contents'], Uint8Array, number | undefined]> = [
    ['browser/stream-text.txt', chunked(utf8, 777).pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>), utf8, undefined],
    ['browser/stream-bytes.bin', blob.stream(), bytes, bytes.length],
    ['browser/stream-reader-only.bin', { getReader: () => chunked(bytes, 500).getReader() } as unknown as ReadableStream<Uint8Array>, bytes, undefined],
  ];
  const results = [];
  for (const [fileName, contents, expected, contentLength] of cases) {
    const events = await lastValueFrom(bucket.uploadFile({ fileName, contents, contentLength }).pipe(toArray()));
    const last = events[events.length - 1];
    if (last.type !== 'response') throw new Error(`${fileName}: the last event is ${last.type}`);
    results.push({ parts: events.filter((e) => e.type === 'partUploaded').length, download: await download(last.body, expected) });
  }
  const numbers = new ReadableStream<unknown>({ start: (c) => c.enqueue(42) }) as ReadableStream<Uint8Array>;
  const refused = await errorOf(bucket.uploadFile({ fileName: 'browser/stream-numbers.bin', contents: numbers }));
  return { results, refused, expectedSha1: [await webSha1(utf8), await webSha1(bytes)] };
}

/**
 * The platform's SHA-1 in this page: whether its WebAssembly one compiled, and a hash of 5 MiB
 * (random, in uneven chunks, two hashes side by side) against Web Crypto's.
 */
async function sha1InPage(): Promise<{ compiled: boolean; sha1: string[]; expected: string }> {
  const compiled = await sha1Compiled;
  const { bytes } = randomBlob(5 * 1024 * 1024 + 3);
  const hashes = [platform.createSha1(), platform.createSha1()];
  for (let at = 0; at < bytes.length; at += 65_537) hashes.forEach((hash) => hash.update(bytes.subarray(at, at + 65_537)));
  return { compiled, sha1: hashes.map((hash) => hash.digest()), expected: await webSha1(bytes) };
}

/** How `hashWorkerStats` moved while `run` ran. */
async function workerStatsOf<T>(run: () => Promise<T>): Promise<{ result: T; workers: typeof hashWorkerStats }> {
  const before = { ...hashWorkerStats };
  const result = await run();
  const workers = { ...hashWorkerStats };
  for (const key of Object.keys(workers) as (keyof typeof workers)[]) workers[key] -= before[key];
  return { result, workers };
}

/**
 * The platform's `hashInWorker` over a random Blob of `size` bytes in parts of `partSize` (with
 * `streamed`, every part streamed through hash-wasm instead of digested by Web Crypto in one call),
 * and what Web Crypto says of the same bytes, whole and part by part.
 */
async function hashAheadInWorker(size: number, partSize: number, streamed: boolean) {
  const { blob, bytes } = randomBlob(size);
  const { result: hashed, workers } = await workerStatsOf(() =>
    streamed ? hashBlobInWorker(blob, size, partSize, new AbortController().signal, 0) : platform.hashInWorker!(blob, size, partSize, new AbortController().signal),
  );
  const partSha1s: string[] = [];
  for (let at = 0; at < size; at += partSize) partSha1s.push(await webSha1(bytes.subarray(at, at + partSize)));
  return { hashed, expected: { sha1: await webSha1(bytes), partSha1s, bytes: size }, workers };
}

/**
 * A large upload of a random Blob of `size` bytes in parts of `partSize` (hashed ahead in a worker
 * where the page allows one), downloaded back and compared; with how the hashing workers fared.
 */
async function largeBlobRoundTrip(fileName: string, size: number, partSize: number) {
  const bucket = await firstValueFrom(b2.buckets.get(bucketName));
  const { blob, bytes } = randomBlob(size);
  const { result: events, workers } = await workerStatsOf(() => lastValueFrom(bucket.uploadFile({ fileName, contents: blob, partSize }).pipe(toArray())));
  const last = events[events.length - 1];
  if (last.type !== 'response') throw new Error(`${fileName}: the last event is ${last.type}`);
  return {
    parts: events.filter((e) => e.type === 'partUploaded').length,
    largeFileSha1: last.body.fileInfo.large_file_sha1 ?? null,
    expectedSha1: await webSha1(bytes),
    download: await download(last.body, bytes),
    workers,
  };
}

/**
 * Starts a large upload of a random Blob of `size` bytes and unsubscribes as soon as its hashing
 * worker is created (long before it can have hashed the Blob): what became of the worker, and the
 * events seen (none should say a large file was started).
 */
async function cancelWhileHashing(fileName: string, size: number, partSize: number) {
  const bucket = await firstValueFrom(b2.buckets.get(bucketName));
  const { blob } = randomBlob(size);
  const events: string[] = [];
  const { workers } = await workerStatsOf(async () => {
    const created = hashWorkerStats.created;
    const subscription = bucket.uploadFile({ fileName, contents: blob, partSize }).subscribe({ next: (e) => events.push(e.type) });
    while (hashWorkerStats.created === created && !subscription.closed) await new Promise((resolve) => setTimeout(resolve, 1));
    subscription.unsubscribe();
    // Long enough for an answer to come back, had the worker gone on.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  return { events, workers };
}

const api = { roundTrip, cancelMidway, streamKinds, stalled, sha1InPage, hashAheadInWorker, largeBlobRoundTrip, cancelWhileHashing, ready: true };
(globalThis as unknown as { rxb2Test: typeof api }).rxb2Test = api;
