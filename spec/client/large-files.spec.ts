/**
 * Large files through the client, against the emulator with tiny parts (absolute minimum 1,000
 * bytes, recommended 5,000): multi-part uploads from files, Buffers and streams of unknown length,
 * the upload-part URL pool, unsubscribe and failure clean-up (or keeping for a resume), server-side
 * multi-part copies, parallel ranged downloads, and plans refused before any request.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { defer, filter, firstValueFrom, lastValueFrom, take, tap, type Observable } from 'rxjs';
import {
  AxiosTransport,
  B2Error,
  toResponseBody,
  type B2,
  type B2File,
  type B2LargeFileStartedEvent,
  type B2PartUploadedEvent,
  type B2Transport,
  type B2UploadEvent,
  type B2UploadProgressEvent,
  type Bucket,
} from '../../src';
import { callOk, type Auth } from '../helpers/b2-http';
import { all, bucketName, bytes, client, countRequests, delay, failure, sha1, largeFileWorld, type Emu } from './support';

const PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 };

function started(events: B2UploadEvent[]): B2LargeFileStartedEvent[] {
  return events.filter((e): e is B2LargeFileStartedEvent => e.type === 'largeFileStarted');
}
function partsOf(events: B2UploadEvent[]): B2PartUploadedEvent[] {
  return events.filter((e): e is B2PartUploadedEvent => e.type === 'partUploaded');
}
function progressOf(events: B2UploadEvent[]): number[] {
  return events.filter((e): e is B2UploadProgressEvent => e.type === 'uploadProgress').map((e) => e.loaded);
}
function responseOf(events: B2UploadEvent[]): B2File {
  const last = events[events.length - 1];
  expect(last.type).toBe('response');
  return (last as { body: B2File }).body;
}

/** A transport that counts the requests it sends, per B2 call (each attempt counted at subscribe). */
function countingTransport(): { transport: B2Transport; counts: Record<string, number> } {
  const inner = new AxiosTransport();
  const counts: Record<string, number> = {};
  return {
    counts,
    transport: {
      request: <T>(req: Parameters<B2Transport['request']>[0]) =>
        defer(() => {
          counts[req.operation] = (counts[req.operation] ?? 0) + 1;
          return inner.request<T>(req);
        }),
    },
  };
}

describe('client large files', () => {
  const world = largeFileWorld(PARTS, 'lg');
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  let dir: string;
  let raw: Auth;
  beforeAll(() => ({ emu, b2, bucket, dir, raw } = world));

  async function downloaded(file: B2File): Promise<{ data: Buffer; verifiedSha1: string | null }> {
    const done = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    return { data: Buffer.from(done.data), verifiedSha1: done.verifiedSha1 };
  }

  /** Unfinished large files of exactly `fileName` (b2_list_unfinished_large_files, raw). */
  async function unfinished(fileName: string, bucketId = bucket.bucketId): Promise<Array<{ fileId: string; fileName: string }>> {
    const page = await callOk(raw, 'b2_list_unfinished_large_files', { bucketId, namePrefix: fileName, maxFileCount: 100 });
    return (page.files as Array<{ fileId: string; fileName: string }>).filter((f) => f.fileName === fileName);
  }

  /** Polls until `fileName` has `count` unfinished large files (up to ~2 s); returns the last listing. */
  async function pollUnfinished(fileName: string, count: number): Promise<Array<{ fileId: string; fileName: string }>> {
    let files = await unfinished(fileName);
    for (let i = 0; i < 40 && files.length !== count; i++) {
      await delay(50);
      files = await unfinished(fileName);
    }
    return files;
  }

  describe('(client large) uploads', () => {
    it('client large: uploads a 12,000-byte file from { path } in 3 parts with exact events', async () => {
      const data = bytes(12_000, 101);
      const path = join(dir, 'three-parts.bin');
      await writeFile(path, data);
      const events = await all(bucket.uploadFile({ fileName: 'large/three-parts.bin', contents: { path }, partSize: 5000 }));

      const file = responseOf(events);
      expect(events.filter((e) => e.type === 'response').length).toBe(1);
      const starts = started(events);
      expect(starts.length).toBe(1);
      expect(starts[0].fileId).toBe(file.fileId);
      expect(starts[0].resumed).toBeFalse();
      expect(events.indexOf(starts[0])).toBeLessThan(events.indexOf(partsOf(events)[0]));

      const parts = partsOf(events).sort((a, b) => a.partNumber - b.partNumber);
      expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
      expect(parts.map((p) => p.contentLength)).toEqual([5000, 5000, 2000]);
      expect(parts.map((p) => p.contentSha1)).toEqual([sha1(data.subarray(0, 5000)), sha1(data.subarray(5000, 10_000)), sha1(data.subarray(10_000))]);
      const lastPart = partsOf(events)[2];
      expect(lastPart.checkpoint.fileId).toBe(file.fileId);
      expect(Object.keys(lastPart.checkpoint.partsDone).length).toBe(3);
      expect(lastPart.checkpoint.size).toBe(12_000);
      expect(lastPart.checkpoint.partSize).toBe(5000);

      const loaded = progressOf(events);
      expect(loaded.length).toBeGreaterThan(0);
      for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThanOrEqual(loaded[i - 1]);
      expect(loaded[loaded.length - 1]).toBe(12_000);

      expect(file.fileName).toBe('large/three-parts.bin');
      expect(file.contentLength).toBe(12_000);
      expect(file.action).toBe('upload');
      expect((await downloaded(file)).data.equals(data)).toBeTrue();
    });

    it('client large: uploads 300 parts from a Buffer, 8 at a time, reusing at most 8 part URLs', async () => {
      const data = bytes(1_500_000, 102);
      const { transport, counts } = countingTransport();
      const counted = client(emu, { transport });
      const counted$ = await firstValueFrom(counted.buckets.get(bucket.bucketName));
      // Both rules count into the same `delay` total: the emulator sees parts + URL requests.
      const serverSide = countRequests(emu, 'b2_upload_part');
      countRequests(emu, 'b2_get_upload_part_url');

      const events = await all(counted$.uploadFile({ fileName: 'large/three-hundred.bin', contents: data, partSize: 5000, concurrency: 8 }));
      const file = responseOf(events);
      expect(partsOf(events).length).toBe(300);
      expect(new Set(partsOf(events).map((p) => p.partNumber)).size).toBe(300);
      expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
      expect(file.contentLength).toBe(1_500_000);

      expect(counts['b2_upload_part']).toBe(300);
      expect(counts['b2_get_upload_part_url']).toBeLessThanOrEqual(8);
      expect(serverSide()).toBe(counts['b2_upload_part'] + counts['b2_get_upload_part_url']);

      const back = await downloaded(file);
      expect(back.verifiedSha1).toBe(sha1(data));
      expect(back.data.equals(data)).toBeTrue();
    });
  });

  describe('(client large) streams of unknown length', () => {
    function oddChunks(data: Buffer): Buffer[] {
      const sizes = [1, 7, 333, 4999, 5001, 2, 1234, 77, 3];
      const chunks: Buffer[] = [];
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = Math.min(sizes[i % sizes.length], data.length - at);
        chunks.push(data.subarray(at, at + n));
        at += n;
      }
      return chunks;
    }

    it('client large: a 23,456-byte Readable without contentLength goes as a large file cut while read', async () => {
      const data = bytes(23_456, 103);
      const events = await all(bucket.uploadFile({ fileName: 'large/stream.bin', contents: Readable.from(oddChunks(data)) }));
      const file = responseOf(events);
      expect(started(events).length).toBe(1);
      const parts = partsOf(events).sort((a, b) => a.partNumber - b.partNumber);
      expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
      expect(parts.map((p) => p.contentLength)).toEqual([5000, 5000, 5000, 5000, 3456]);
      // Progress is monotonic and ends at the bytes read, although the total was never known.
      const loaded = progressOf(events);
      for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThan(loaded[i - 1]);
      expect(loaded[loaded.length - 1]).toBe(23_456);
      expect(file.contentLength).toBe(23_456);
      expect((await downloaded(file)).data.equals(data)).toBeTrue();
    });

    it('client large: a stream ending exactly on a part boundary sends no empty part', async () => {
      const data = bytes(20_000, 104);
      const events = await all(bucket.uploadFile({ fileName: 'large/stream-boundary.bin', contents: Readable.from(oddChunks(data)) }));
      const file = responseOf(events);
      const parts = partsOf(events).sort((a, b) => a.partNumber - b.partNumber);
      expect(parts.map((p) => p.contentLength)).toEqual([5000, 5000, 5000, 5000]);
      expect(file.contentLength).toBe(20_000);
      expect((await downloaded(file)).data.equals(data)).toBeTrue();
    });

    it('client large: a stream ending under the threshold becomes a simple upload', async () => {
      const data = bytes(4321, 105);
      const events = await all(bucket.uploadFile({ fileName: 'large/stream-small.bin', contents: Readable.from(oddChunks(data)) }));
      const file = responseOf(events);
      expect(started(events).length).toBe(0);
      expect(partsOf(events).length).toBe(0);
      expect(file.contentSha1).toBe(sha1(data));
      expect(file.contentLength).toBe(4321);
      expect((await downloaded(file)).data.equals(data)).toBeTrue();
    });
  });

  describe('(client large) clean-up', () => {
    it('client large: unsubscribing after the 2nd part cancels the large file', async () => {
      const name = 'large/unsubscribed.bin';
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 30 }, times: Infinity });
      let fileId: string | undefined;
      await lastValueFrom(
        bucket.uploadLargeFile({ fileName: name, contents: bytes(100_000, 106), partSize: 5000, concurrency: 2 }).pipe(
          tap((e) => {
            if (e.type === 'largeFileStarted') fileId = e.fileId;
          }),
          filter((e) => e.type === 'partUploaded'),
          take(2),
        ),
      );
      expect(fileId).toBeDefined();
      expect(await pollUnfinished(name, 0)).toEqual([]);
    });

    it('client large: unsubscribing with keepOnFailure leaves exactly one unfinished file', async () => {
      const name = 'large/unsubscribed-kept.bin';
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 30 }, times: Infinity });
      let fileId: string | undefined;
      await lastValueFrom(
        bucket.uploadLargeFile({ fileName: name, contents: bytes(100_000, 107), partSize: 5000, concurrency: 2, keepOnFailure: true }).pipe(
          tap((e) => {
            if (e.type === 'largeFileStarted') fileId = e.fileId;
          }),
          filter((e) => e.type === 'partUploaded'),
          take(2),
        ),
      );
      await delay(300);
      const left = await unfinished(name);
      expect(left.length).toBe(1);
      expect(left[0].fileId).toBe(fileId!);
      await callOk(raw, 'b2_cancel_large_file', { fileId });
    });

    async function failingUpload(name: string, keepOnFailure: boolean): Promise<{ err: B2Error; finishes: number }> {
      const strict = client(emu, { retry: { maxAttempts: 2, baseDelayMs: 1 } });
      const strictBucket = await firstValueFrom(strict.buckets.get(bucket.bucketName));
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'status', status: 500 }, skip: 3, times: Infinity });
      const finishes = countRequests(emu, 'b2_finish_large_file');
      const err = await failure(strictBucket.uploadLargeFile({ fileName: name, contents: bytes(60_000, 108), partSize: 5000, concurrency: 2, keepOnFailure }));
      return { err, finishes: finishes() };
    }

    it('client large: a part failing after its retries fails the upload and cancels the large file', async () => {
      const name = 'large/failing.bin';
      const { err, finishes } = await failingUpload(name, false);
      expect(err.status).toBe(500);
      expect(finishes).toBe(0);
      // Cancelled before the error is delivered: nothing to wait for.
      expect(await unfinished(name)).toEqual([]);
    });

    it('client large: a failing part with keepOnFailure leaves the large file for a resume', async () => {
      const name = 'large/failing-kept.bin';
      const { err, finishes } = await failingUpload(name, true);
      expect(err.status).toBe(500);
      expect(finishes).toBe(0);
      await delay(100);
      const left = await unfinished(name);
      expect(left.length).toBe(1);
      await callOk(raw, 'b2_cancel_large_file', { fileId: left[0].fileId });
    });
  });

  describe('(client large) copies', () => {
    it('client large: copies a multi-part file into another bucket in parts, keeping its metadata', async () => {
      const other = await firstValueFrom(b2.buckets.create(bucketName('lg-copy')));
      const data = bytes(12_000, 109);
      const source = await lastValueFrom(
        bucket
          .uploadLargeFile({ fileName: 'large/copy-source.bin', contents: data, partSize: 5000, fileInfo: { origin: 'spec' }, contentType: 'application/x-spec' })
          .pipe(toResponseBody()),
      );
      expect(source.fileInfo.large_file_sha1).toBe(sha1(data));

      const events = await all(source.copy({ fileName: 'copied/large.bin', bucketId: other.bucketId, largeFileThreshold: 5000 }));
      const copy = responseOf(events);
      expect(partsOf(events).length).toBeGreaterThan(1);
      expect(
        partsOf(events)
          .map((p) => p.contentLength)
          .sort((a, b) => b - a),
      ).toEqual([5000, 5000, 2000]);
      expect(started(events)[0].fileId).toBe(copy.fileId);
      expect(copy.bucketId).toBe(other.bucketId);
      expect(copy.fileName).toBe('copied/large.bin');
      expect(copy.contentLength).toBe(12_000);
      expect(copy.contentType).toBe('application/x-spec');
      expect({ ...copy.fileInfo }).toEqual({ ...source.fileInfo });
      const back = await downloaded(copy);
      expect(back.data.equals(data)).toBeTrue();
      expect(back.verifiedSha1).toBe(sha1(data));
    });

    it('client large: a small copy with REPLACE sets content type and file info', async () => {
      const data = bytes(3000, 110);
      const source = await lastValueFrom(bucket.uploadFile({ fileName: 'large/copy-small.bin', contents: data, fileInfo: { old: '1' } }).pipe(toResponseBody()));
      const events = await all(source.copy({ fileName: 'copied/small.txt', metadataDirective: 'REPLACE', contentType: 'text/plain', fileInfo: { fresh: 'yes' } }));
      const copy = responseOf(events);
      expect(started(events).length).toBe(0);
      expect(partsOf(events).length).toBe(0);
      expect(copy.contentType).toBe('text/plain');
      expect({ ...copy.fileInfo }).toEqual({ fresh: 'yes' });
      expect(copy.contentSha1).toBe(sha1(data));
      expect((await downloaded(copy)).data.equals(data)).toBeTrue();
    });
  });

  describe('(client large) parallel downloads', () => {
    const SIZE = 100_003;
    const RANGES = Math.ceil(SIZE / 4096);
    let data: Buffer;
    let file: B2File;

    beforeAll(async () => {
      data = bytes(SIZE, 111);
      file = await lastValueFrom(bucket.uploadFile({ fileName: 'large/download.bin', contents: data, largeFileThreshold: 200_000 }).pipe(toResponseBody()));
      expect(file.contentSha1).toBe(sha1(data));
    });

    async function leftovers(where: string): Promise<string[]> {
      return (await readdir(where)).filter((n) => n.endsWith('.part'));
    }

    it('client large: downloadToFile with concurrency 4 sends one ranged request per 4,096 bytes', async () => {
      const target = await mkdtemp(join(dir, 'dl-'));
      const path = join(target, 'out.bin');
      const count = countRequests(emu, 'b2_download_file_by_id');
      const done = await lastValueFrom(file.downloadToFile(path, { concurrency: 4, partSize: 4096 }).pipe(toResponseBody()));
      expect(count()).toBe(RANGES);
      expect(done.path).toBe(path);
      expect(done.verifiedSha1).toBe(sha1(data));
      expect((await readFile(path)).equals(data)).toBeTrue();
      expect(await readdir(target)).toEqual(['out.bin']);
    });

    it('client large: downloadToBuffer with concurrency 3 equals the source', async () => {
      const count = countRequests(emu, 'b2_download_file_by_id');
      const done = await lastValueFrom(file.downloadToBuffer({ concurrency: 3, partSize: 4096 }).pipe(toResponseBody()));
      expect(count()).toBe(RANGES);
      expect(Buffer.from(done.data).equals(data)).toBeTrue();
      expect(done.verifiedSha1).toBe(sha1(data));
    });

    it('client large: a response reset mid-way is retried and the bytes still equal', async () => {
      const before = emu.faults.injected().resetResponse ?? 0;
      emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 1000 }, skip: 10, times: 1 });
      const done = await lastValueFrom(file.downloadToBuffer({ concurrency: 3, partSize: 4096 }).pipe(toResponseBody()));
      expect((emu.faults.injected().resetResponse ?? 0) - before).toBe(1);
      expect(Buffer.from(done.data).equals(data)).toBeTrue();
      expect(done.verifiedSha1).toBe(sha1(data));
    });

    it('client large: a response reset mid-way into a file leaves the file whole and no .part file', async () => {
      const target = await mkdtemp(join(dir, 'dl-reset-'));
      const path = join(target, 'out.bin');
      const before = emu.faults.injected().resetResponse ?? 0;
      emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 500 }, skip: 7, times: 1 });
      await lastValueFrom(file.downloadToFile(path, { concurrency: 4, partSize: 4096 }));
      expect((emu.faults.injected().resetResponse ?? 0) - before).toBe(1);
      expect((await readFile(path)).equals(data)).toBeTrue();
      expect(await leftovers(target)).toEqual([]);
      expect(await readdir(target)).toEqual(['out.bin']);
    });
  });

  describe('(client large) bad plans', () => {
    async function refusedBeforeAnyRequest(source: () => Observable<unknown>): Promise<B2Error> {
      await firstValueFrom(b2.authorize());
      const count = countRequests(emu);
      const err = await failure(source());
      expect(err.code).toBe('invalid_argument');
      expect(err.status).toBe(0);
      expect(count()).toBe(0);
      return err;
    }

    it('client large: a part size below absoluteMinimumPartSize is refused', async () => {
      const err = await refusedBeforeAnyRequest(() => bucket.uploadLargeFile({ fileName: 'bad/part-size.bin', contents: bytes(5000, 112), partSize: 999 }));
      expect(err.field).toBe('partSize');
    });

    it('client large: concurrency 0 is refused', async () => {
      const err = await refusedBeforeAnyRequest(() => bucket.uploadLargeFile({ fileName: 'bad/concurrency.bin', contents: bytes(5000, 113), concurrency: 0 }));
      expect(err.field).toBe('concurrency');
    });

    it('client large: a copy or a download with concurrency 0 is refused', async () => {
      const file = responseOf(await all(bucket.uploadFile({ fileName: 'bad/copy-source.bin', contents: bytes(12_000, 115) })));
      const copyErr = await refusedBeforeAnyRequest(() => file.copy({ fileName: 'bad/copy.bin', concurrency: 0 }));
      expect(copyErr.field).toBe('concurrency');
      const downloadErr = await refusedBeforeAnyRequest(() => file.downloadToBuffer({ concurrency: 0 }));
      expect(downloadErr.field).toBe('concurrency');
      expect(await unfinished('bad/copy.bin')).toEqual([]);
    });

    it('client large: resuming a stream (with or without contentLength) is refused', async () => {
      const data = bytes(12_000, 114);
      const known = await refusedBeforeAnyRequest(() =>
        bucket.uploadLargeFile({ fileName: 'bad/resume.bin', contents: Readable.from([data]), contentLength: data.length, resume: true }),
      );
      expect(known.field).toBe('resume');
      const unknown = await refusedBeforeAnyRequest(() => bucket.uploadLargeFile({ fileName: 'bad/resume.bin', contents: Readable.from([data]), resume: true }));
      expect(unknown.field).toBe('resume');
      expect(await unfinished('bad/resume.bin')).toEqual([]);
    });
  });
});
