/**
 * End-to-end integrity of large files, and of files that change while they are uploaded, against
 * the emulator with tiny parts: every large upload from a file or a Blob records large_file_sha1
 * (hashed ahead, in worker threads above 8 MiB) and sends its parts with the SHA-1s of that same
 * read; streams record none; a download says what it verified; the `largeFileSha1` option supplies
 * or skips the hash; a resume whose source changed is refused; a file truncated, rewritten or grown
 * while it is read fails at once with `source_changed`, with nothing stored and nothing left
 * unfinished. Changes are made from the upload's own events (no timing).
 */
import { appendFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { defer, firstValueFrom, lastValueFrom, tap } from 'rxjs';
import {
  AxiosTransport,
  B2Error,
  toResponseBody,
  type B2DownloadResult,
  type B2File,
  type B2Transport,
  type B2UploadEvent,
  type Bucket,
  type LargeUploadCheckpoint,
} from '../../src';
import { platform, type Platform } from '../../src/platform';
import { callOk, type Auth } from '../helpers/b2-http';
import { all, bytes, client, countRequests, failure, sha1, largeFileWorld, TINY_PARTS, type Emu } from './support';

/** A spec that hangs (as uploads of changing files did) fails at this bound instead of the default. */
const NO_HANG_MS = 15_000;

/** A transport that records the X-Bz-Content-Sha1 header of every b2_upload_part it sends, by part number. */
function recordingTransport(): { transport: B2Transport; partSha1Headers: Map<number, string> } {
  const inner = new AxiosTransport();
  const partSha1Headers = new Map<number, string>();
  return {
    partSha1Headers,
    transport: {
      request: <T>(req: Parameters<B2Transport['request']>[0]) =>
        defer(() => {
          if (req.operation === 'b2_upload_part') partSha1Headers.set(Number(req.headers?.['X-Bz-Part-Number']), String(req.headers?.['X-Bz-Content-Sha1']));
          return inner.request<T>(req);
        }),
    },
  };
}

/** A download result that verified nothing, for `reason`. */
function expectUnverified(result: B2DownloadResult, reason: 'range' | 'noSha1'): void {
  expect({ verified: result.verified, verifiedSha1: result.verifiedSha1, unverifiedReason: result.unverifiedReason }).toEqual({
    verified: 'nothing',
    verifiedSha1: null,
    unverifiedReason: reason,
  });
}

function responseOf(events: B2UploadEvent[]): B2File {
  const last = events[events.length - 1];
  expect(last.type).toBe('response');
  return (last as { body: B2File }).body;
}

describe('client file integrity', () => {
  const world = largeFileWorld(TINY_PARTS, 'integrity');
  let emu: Emu;
  let bucket: Bucket;
  let dir: string;
  let raw: Auth;
  beforeAll(() => ({ emu, bucket, dir, raw } = world));

  /** Unfinished large files of exactly `fileName`. */
  async function unfinished(fileName: string): Promise<Array<{ fileId: string; fileInfo: Record<string, string> }>> {
    const page = await callOk(raw, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId, namePrefix: fileName, maxFileCount: 100 });
    return (page.files as Array<{ fileId: string; fileName: string; fileInfo: Record<string, string> }>).filter((f) => f.fileName === fileName);
  }

  /** Every stored version (uploads, hide markers; not unfinished large files) of exactly `fileName`. */
  async function versions(fileName: string): Promise<B2File[]> {
    return (await all(bucket.listFileVersions({ prefix: fileName }))).filter((f) => f.fileName === fileName && f.action !== 'start');
  }

  /** Files up to 1 MiB are read whole when opened (a snapshot): these specs use larger ones, read by ranges. */
  const MB = 1_500_000;

  async function fileAt(name: string, data: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, data);
    return path;
  }

  describe('large_file_sha1 and what downloads verify', () => {
    it('a large upload from { path } records large_file_sha1, sends each part with the SHA-1 of the same read, and its full downloads verify the whole file', async () => {
      const data = bytes(MB, 1);
      const path = await fileAt('from-path.bin', data);
      const { transport, partSha1Headers } = recordingTransport();
      const recording = await firstValueFrom(client(emu, { transport }).buckets.get(bucket.bucketName));
      const file = responseOf(await all(recording.uploadLargeFile({ fileName: 'int/from-path.bin', contents: { path }, partSize: 600_000 })));

      expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
      // The parts' SHA-1s were known before they were sent (B2 checks them), not trailing digits.
      expect([...partSha1Headers.entries()].sort((a, b) => a[0] - b[0])).toEqual([
        [1, sha1(data.subarray(0, 600_000))],
        [2, sha1(data.subarray(600_000, 1_200_000))],
        [3, sha1(data.subarray(1_200_000))],
      ]);
      const inMemory = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
      expect(Buffer.from(inMemory.data).equals(data)).toBeTrue();
      expect(inMemory.verified).toBe('wholeFile');
      expect(inMemory.verifiedSha1).toBe(sha1(data));
      expect(inMemory.unverifiedReason).toBeUndefined();
      const toFile = await lastValueFrom(file.downloadToFile(join(dir, 'from-path.back'), { concurrency: 3, partSize: 400_000 }).pipe(toResponseBody()));
      expect(toFile).toEqual({ bytes: MB, verifiedSha1: sha1(data), verified: 'wholeFile', path: join(dir, 'from-path.back') });
    });

    it('one rule for the expected SHA-1: a large_file_sha1 recorded in upper case verifies single-stream and parallel downloads alike', async () => {
      const data = bytes(9_000, 4);
      const upper = sha1(data).toUpperCase();
      const file = await lastValueFrom(
        bucket.uploadLargeFile({ fileName: 'int/upper-sha1.bin', contents: data, partSize: 2000, fileInfo: { large_file_sha1: upper } }).pipe(toResponseBody()),
      );
      expect(file.fileInfo.large_file_sha1).toBe(upper);
      const single = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
      expect(single.verified).toBe('wholeFile');
      expect(single.verifiedSha1).toBe(sha1(data));
      const parallel = await lastValueFrom(file.downloadToFile(join(dir, 'upper-sha1.back'), { concurrency: 3, partSize: 2000 }).pipe(toResponseBody()));
      expect(parallel).toEqual({ bytes: 9_000, verifiedSha1: sha1(data), verified: 'wholeFile', path: join(dir, 'upper-sha1.back') });
    });

    it('a large upload from a Blob records large_file_sha1; its download verifies the whole file', async () => {
      const data = bytes(9_000, 2);
      const file = await lastValueFrom(bucket.uploadLargeFile({ fileName: 'int/from-blob.bin', contents: new Blob([data]), partSize: 2000 }).pipe(toResponseBody()));
      expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
      const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
      expect(back.verified).toBe('wholeFile');
      expect(back.verifiedSha1).toBe(sha1(data));
    });

    it('a file from 8 MiB up is hashed ahead in worker threads, once, and its download verifies', async () => {
      const data = bytes(9_000_000, 3);
      const path = await fileAt('worker.bin', data);
      const inWorker = spyOn(platform as Required<Platform>, 'hashInWorker').and.callThrough();
      const file = await lastValueFrom(bucket.uploadLargeFile({ fileName: 'int/worker.bin', contents: { path }, partSize: 3_000_000 }).pipe(toResponseBody()));
      expect(inWorker).toHaveBeenCalledTimes(1);
      expect(inWorker.calls.first().args.slice(0, 3)).toEqual([{ path }, 9_000_000, 3_000_000]);
      expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
      const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
      expect(back.verified).toBe('wholeFile');
      expect(back.verifiedSha1).toBe(sha1(data));
    });

    it('unsubscribing while the file is hashed ahead stops the hashing; no large file is started', async () => {
      const path = await fileAt('abandoned.bin', bytes(9_000_000, 20));
      let signal: AbortSignal | undefined;
      let hashing!: () => void;
      const called = new Promise<void>((resolve) => (hashing = resolve));
      spyOn(platform as Required<Platform>, 'hashInWorker').and.callFake((_what, _size, _partSize, s) => {
        signal = s;
        hashing();
        return new Promise((_resolve, reject) => s.addEventListener('abort', () => reject(new Error('aborted'))));
      });
      const starts = countRequests(emu, 'b2_start_large_file');
      const sub = bucket.uploadLargeFile({ fileName: 'int/abandoned.bin', contents: { path }, partSize: 3_000_000 }).subscribe({ error: () => undefined });
      await called;
      expect(signal!.aborted).toBeFalse();
      sub.unsubscribe();
      expect(signal!.aborted).toBeTrue();
      expect(starts()).toBe(0);
      expect(await unfinished('int/abandoned.bin')).toEqual([]);
    });

    it('a stream records no large_file_sha1 (it cannot be read ahead): its download verifies nothing and says why', async () => {
      const data = bytes(7_000, 4);
      const known = await lastValueFrom(
        bucket
          .uploadLargeFile({ fileName: 'int/stream-known.bin', contents: Readable.from([data.subarray(0, 3000), data.subarray(3000)]), contentLength: 7000 })
          .pipe(toResponseBody()),
      );
      const unknown = await lastValueFrom(bucket.uploadFile({ fileName: 'int/stream-unknown.bin', contents: Readable.from([data]) }).pipe(toResponseBody()));
      for (const file of [known, unknown]) {
        expect(file.contentSha1).toBe('none');
        expect(file.fileInfo.large_file_sha1).toBeUndefined();
        const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
        expect(Buffer.from(back.data).equals(data)).toBeTrue();
        expectUnverified(back, 'noSha1');
      }
    });

    it('a range download verifies nothing, for reason range', async () => {
      const data = bytes(6_000, 5);
      const file = await lastValueFrom(bucket.uploadLargeFile({ fileName: 'int/ranged.bin', contents: { path: await fileAt('ranged.bin', data) } }).pipe(toResponseBody()));
      const part = await lastValueFrom(file.downloadToBuffer({ range: { start: 10, end: 19 } }).pipe(toResponseBody()));
      expect(Buffer.from(part.data).equals(data.subarray(10, 20))).toBeTrue();
      expectUnverified(part, 'range');
    });
  });

  describe('the largeFileSha1 option', () => {
    it('supplied: recorded as given (in lower case), not computed: a wrong one makes the full download fail its check', async () => {
      const data = bytes(6_000, 6);
      const path = await fileAt('supplied.bin', data);
      const right = await lastValueFrom(
        bucket.uploadLargeFile({ fileName: 'int/supplied.bin', contents: { path }, largeFileSha1: sha1(data).toUpperCase() }).pipe(toResponseBody()),
      );
      expect(right.fileInfo.large_file_sha1).toBe(sha1(data));
      expect((await lastValueFrom(right.downloadToBuffer().pipe(toResponseBody()))).verifiedSha1).toBe(sha1(data));

      const wrong = sha1('something else');
      const taken = await lastValueFrom(bucket.uploadLargeFile({ fileName: 'int/supplied-wrong.bin', contents: { path }, largeFileSha1: wrong }).pipe(toResponseBody()));
      expect(taken.fileInfo.large_file_sha1).toBe(wrong);
      expect((await failure(taken.downloadToBuffer())).code).toBe('checksum_mismatch');
    });

    it('false: records none and hashes nothing ahead; the download verifies nothing, for reason noSha1', async () => {
      const data = bytes(9_000_000, 7);
      const path = await fileAt('skipped.bin', data);
      const inWorker = spyOn(platform as Required<Platform>, 'hashInWorker').and.callThrough();
      const file = await lastValueFrom(
        bucket.uploadLargeFile({ fileName: 'int/skipped.bin', contents: { path }, partSize: 3_000_000, largeFileSha1: false }).pipe(toResponseBody()),
      );
      expect(inWorker).not.toHaveBeenCalled();
      expect(file.fileInfo.large_file_sha1).toBeUndefined();
      const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
      expect(Buffer.from(back.data).equals(data)).toBeTrue();
      expectUnverified(back, 'noSha1');
    });

    it('a bad value (not 40 hex digits, not false), or one that contradicts fileInfo.large_file_sha1, is invalid_argument naming largeFileSha1, before any request', async () => {
      const requests = countRequests(emu);
      const bad: unknown[] = ['abc', 'a'.repeat(39), 'a'.repeat(41), 'g'.repeat(40), 123, true, null, {}];
      for (const largeFileSha1 of bad) {
        for (const upload of [bucket.uploadLargeFile.bind(bucket), bucket.uploadFile.bind(bucket)]) {
          const err = await failure(upload({ fileName: 'int/bad.bin', contents: bytes(5000, 8), largeFileSha1: largeFileSha1 as string }));
          expect(err.code).withContext(String(largeFileSha1)).toBe('invalid_argument');
          expect(err.field).toBe('largeFileSha1');
          expect(err.message).toContain('largeFileSha1');
        }
      }
      const contradicts = await failure(
        bucket.uploadLargeFile({ fileName: 'int/bad.bin', contents: bytes(5000, 8), largeFileSha1: 'a'.repeat(40), fileInfo: { large_file_sha1: 'b'.repeat(40) } }),
      );
      expect([contradicts.code, contradicts.field]).toEqual(['invalid_argument', 'largeFileSha1']);
      const skippedButSet = await failure(
        bucket.uploadLargeFile({ fileName: 'int/bad.bin', contents: bytes(5000, 8), largeFileSha1: false, fileInfo: { large_file_sha1: 'b'.repeat(40) } }),
      );
      expect([skippedButSet.code, skippedButSet.field]).toEqual(['invalid_argument', 'largeFileSha1']);
      expect(requests()).toBe(0);
    });
  });

  describe('resuming after the source changed', () => {
    /** Starts an upload that fails after its first 2 parts (kept): its last checkpoint. */
    async function keptAfterTwoParts(name: string, contents: Uint8Array | { path: string }, partSize = 5000): Promise<LargeUploadCheckpoint> {
      const strict = await firstValueFrom(client(emu, { retry: { maxAttempts: 1 } }).buckets.get(bucket.bucketName));
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'status', status: 500 }, skip: 2, times: Infinity });
      let checkpoint: LargeUploadCheckpoint | undefined;
      const err = await failure(
        strict.uploadLargeFile({ fileName: name, contents, partSize, concurrency: 1, keepOnFailure: true }).pipe(
          tap((e) => {
            if (e.type === 'partUploaded') checkpoint = e.checkpoint;
          }),
        ),
      );
      expect(err.status).toBe(500);
      emu.faults.clear();
      expect(Object.keys(checkpoint!.partsDone)).toEqual(['1', '2']);
      return checkpoint!;
    }

    it('from a checkpoint, bytes in memory changed in a part already sent: refused with source_changed, nothing finished, the unfinished file left as it is', async () => {
      const name = 'int/resume-bytes.bin';
      const data = bytes(20_000, 9);
      const checkpoint = await keptAfterTwoParts(name, data);
      const changed = Buffer.from(data);
      changed[100] ^= 0xff;
      const finishes = countRequests(emu, 'b2_finish_large_file');
      const err = await failure(bucket.uploadLargeFile({ fileName: name, contents: changed, partSize: 5000, checkpoint }));
      expect(err.code).toBe('source_changed');
      expect(err.message).toContain('checkpoint');
      expect(err.message).toContain(checkpoint.fileId);
      expect(finishes()).toBe(0);
      expect(await versions(name)).toEqual([]);
      const left = await unfinished(name);
      expect(left.map((f) => [f.fileId, f.fileInfo.large_file_sha1])).toEqual([[checkpoint.fileId, sha1(data)]]);

      // The original bytes still resume it, and the finished file downloads whole.
      const file = await lastValueFrom(bucket.uploadLargeFile({ fileName: name, contents: data, partSize: 5000, checkpoint }).pipe(toResponseBody()));
      expect(file.fileId).toBe(checkpoint.fileId);
      expect((await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()))).verifiedSha1).toBe(sha1(data));
    });

    it('from a checkpoint, a file rewritten since: refused with source_changed naming it; largeFileSha1: false cannot skip the check', async () => {
      const name = 'int/resume-path.bin';
      const data = bytes(MB, 10);
      const path = await fileAt('resume-path.bin', data);
      const checkpoint = await keptAfterTwoParts(name, { path }, 300_000);
      const changed = Buffer.from(data);
      changed[MB - 1] ^= 0xff;
      await writeFile(path, changed);
      const err = await failure(bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 300_000, checkpoint }));
      expect(err.code).toBe('source_changed');
      expect(err.message).toContain(path);
      const skipped = await failure(bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 300_000, checkpoint, largeFileSha1: false }));
      expect([skipped.code, skipped.field]).toEqual(['invalid_argument', 'largeFileSha1']);
      expect(await versions(name)).toEqual([]);
      expect((await unfinished(name)).map((f) => f.fileId)).toEqual([checkpoint.fileId]);
      await callOk(raw, 'b2_cancel_large_file', { fileId: checkpoint.fileId });
    });

    it('with resume: true, a changed file does not match the unfinished upload of its old bytes: it is uploaded anew and downloads whole', async () => {
      const name = 'int/resume-flag.bin';
      const data = bytes(20_000, 11);
      const path = await fileAt('resume-flag.bin', data);
      const checkpoint = await keptAfterTwoParts(name, { path });
      const changed = Buffer.from(data);
      changed[0] ^= 0xff;
      await writeFile(path, changed);
      const events = await all(bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 5000, resume: true }));
      const start = events.find((e) => e.type === 'largeFileStarted');
      expect(start).toEqual(jasmine.objectContaining({ resumed: false }));
      const file = responseOf(events);
      expect(file.fileId).not.toBe(checkpoint.fileId);
      expect(file.fileInfo.large_file_sha1).toBe(sha1(changed));
      expect((await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()))).verifiedSha1).toBe(sha1(changed));
      await callOk(raw, 'b2_cancel_large_file', { fileId: checkpoint.fileId });
    });
  });

  describe('a file that changes while it is uploaded', () => {
    /** Uploads `path`, calling `change` once at the first event of `type`; the error it fails with. */
    function changedAt(upload: (change: (e: B2UploadEvent) => void) => ReturnType<Bucket['uploadFile']>, type: B2UploadEvent['type'], change: () => void): Promise<B2Error> {
      let done = false;
      return failure(
        upload((e) => {
          if (e.type === type && !done) {
            done = true;
            change();
          }
        }),
      );
    }

    it(
      'a small upload from { path } truncated after it started fails at once with source_changed naming the path; nothing is stored',
      async () => {
        const name = 'int/small-truncated.bin';
        const path = await fileAt('small-truncated.bin', bytes(24_000_000, 12));
        const err = await changedAt(
          (onEvent) => bucket.uploadFile({ fileName: name, contents: { path }, largeFileThreshold: 50_000_000 }).pipe(tap(onEvent)),
          'uploadProgress',
          () => truncateSync(path, 1000),
        );
        expect(err.code).toBe('source_changed');
        expect(err.message).toContain(path);
        expect(await versions(name)).toEqual([]);
      },
      NO_HANG_MS,
    );

    it(
      'a small upload from { path } rewritten in place after it started fails with source_changed; nothing is stored',
      async () => {
        const name = 'int/small-rewritten.bin';
        const path = await fileAt('small-rewritten.bin', bytes(24_000_000, 13));
        const err = await changedAt(
          (onEvent) => bucket.uploadFile({ fileName: name, contents: { path }, largeFileThreshold: 50_000_000 }).pipe(tap(onEvent)),
          'uploadProgress',
          () => {
            writeFileSync(path, bytes(24_000_000, 14));
            // The kernel stamps modification times with a coarse clock: a rewrite within the same
            // tick as the open would keep the time. Move it as any later write would.
            const later = new Date(Date.now() + 5000);
            utimesSync(path, later, later);
          },
        );
        expect(err.code).toBe('source_changed');
        expect(err.message).toContain(path);
        expect(await versions(name)).toEqual([]);
      },
      NO_HANG_MS,
    );

    it(
      'a large upload from { path } truncated after its first part fails at once with source_changed; the large file is cancelled',
      async () => {
        const name = 'int/large-truncated.bin';
        const path = await fileAt('large-truncated.bin', bytes(MB, 15));
        const finishes = countRequests(emu, 'b2_finish_large_file');
        const err = await changedAt(
          (onEvent) => bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 100_000, concurrency: 2 }).pipe(tap(onEvent)),
          'partUploaded',
          () => truncateSync(path, 250_000),
        );
        expect(err.code).toBe('source_changed');
        expect(err.message).toContain(path);
        expect(finishes()).toBe(0);
        expect(await unfinished(name)).toEqual([]);
        expect(await versions(name)).toEqual([]);
      },
      NO_HANG_MS,
    );

    it(
      'a large upload from { path } rewritten after it was hashed (before its parts), kept on failure or not, fails with source_changed and is cancelled: never a mix',
      async () => {
        for (const keepOnFailure of [false, true]) {
          const name = `int/large-rewritten-${keepOnFailure}.bin`;
          const path = await fileAt(`large-rewritten-${keepOnFailure}.bin`, bytes(MB, 16));
          const err = await changedAt(
            (onEvent) => bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 300_000, concurrency: 2, keepOnFailure }).pipe(tap(onEvent)),
            'largeFileStarted',
            // Same size, other bytes: only the parts' SHA-1s from the hashing (or the modification time) tell.
            () => writeFileSync(path, bytes(MB, 17)),
          );
          expect(err.code).withContext(`keepOnFailure ${keepOnFailure}`).toBe('source_changed');
          expect(err.message).toContain(path);
          expect(await unfinished(name)).toEqual([]);
          expect(await versions(name)).toEqual([]);
        }
      },
      NO_HANG_MS,
    );

    it(
      'a large upload from { path } that grows after its first part is refused with source_changed and cancelled',
      async () => {
        const name = 'int/large-grown.bin';
        const path = await fileAt('large-grown.bin', bytes(MB, 18));
        const err = await changedAt(
          (onEvent) => bucket.uploadLargeFile({ fileName: name, contents: { path }, partSize: 300_000, concurrency: 1 }).pipe(tap(onEvent)),
          'partUploaded',
          () => appendFileSync(path, bytes(100, 19)),
        );
        expect(err.code).toBe('source_changed');
        expect(err.message).toContain('1500000 to 1500100');
        expect(await unfinished(name)).toEqual([]);
        expect(await versions(name)).toEqual([]);
      },
      NO_HANG_MS,
    );
  });
});
