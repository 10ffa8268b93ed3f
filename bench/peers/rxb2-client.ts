/**
 * The rxb2 driver: each scenario written as a user of rxb2 would write it.
 *
 *   upload-large    bucket.uploadLargeFile({ contents: { path }, partSize, concurrency }) with the
 *                   file's SHA-1 as large_file_sha1 (known up front here, as for the baseline);
 *                   with `hashAhead`, without it: rxb2's default, which hashes the file ahead (in
 *                   worker threads) and sends the parts with their SHA-1s; the time to
 *                   `largeFileStarted` is reported as `hashAheadS`.
 *   download-large  file.downloadToFile(path, { concurrency, partSize }): ranged parts in parallel,
 *                   whole-file SHA-1 verified.
 *   upload-small    from(files).pipe(mergeMap(f => bucket.uploadFile({ contents: { path } }), 16)).
 *   list            bucket.listFiles({ prefix, pageSize }) counted.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { count, from, lastValueFrom, mergeMap, tap } from 'rxjs';
import { B2, toResponseBody, type Bucket } from '../../src';
import { driverMain, need, timed, type Job, type Outcome, type Result } from './job';

// The package refers to itself by name (its exports list ./package.json).
const VERSION = `rxb2 ${(require('rxb2/package.json') as { version: string }).version}`;

function withBucket(job: Job, fn: (bucket: Bucket) => Promise<Outcome>): Promise<Result> {
  return timed(VERSION, async () => {
    const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey, realm: job.emu.url });
    return fn(await lastValueFrom(b2.buckets.get(job.bucketName)));
  });
}

export function uploadLarge(job: Job): Promise<Result> {
  const [file, fileName, size, sha1, partSize, concurrency] = [
    need(job, 'path'),
    need(job, 'fileName'),
    need(job, 'size'),
    need(job, 'sha1'),
    need(job, 'partSize'),
    need(job, 'concurrency'),
  ];
  return withBucket(job, async (bucket) => {
    const t0 = performance.now();
    let hashAheadS: number | undefined;
    const done = await lastValueFrom(
      bucket.uploadLargeFile({ contents: { path: file }, fileName, partSize, concurrency, ...(job.hashAhead ? {} : { fileInfo: { large_file_sha1: sha1 } }) }).pipe(
        tap((e) => {
          if (job.hashAhead && e.type === 'largeFileStarted') hashAheadS = (performance.now() - t0) / 1000;
        }),
        toResponseBody(),
      ),
    );
    if (done.contentLength !== size) throw new Error(`rxb2 uploaded ${done.contentLength} bytes, not ${size}`);
    if (done.fileInfo.large_file_sha1 !== sha1) throw new Error(`rxb2 recorded large_file_sha1 ${done.fileInfo.large_file_sha1}, not ${sha1}`);
    return { count: 1, bytes: size, fileId: done.fileId, hashAheadS };
  });
}

export function downloadLarge(job: Job): Promise<Result> {
  const [out, fileId, size, sha1, concurrency, partSize] = [
    need(job, 'path'),
    need(job, 'fileId'),
    need(job, 'size'),
    need(job, 'sha1'),
    need(job, 'concurrency'),
    need(job, 'partSize'),
  ];
  return withBucket(job, async (bucket) => {
    const file = await lastValueFrom(bucket.getFile({ id: fileId }));
    const result = await lastValueFrom(file.downloadToFile(out, { concurrency, partSize }).pipe(toResponseBody()));
    if (result.bytes !== size) throw new Error(`rxb2 downloaded ${result.bytes} bytes, not ${size}`);
    if (result.verifiedSha1 !== sha1) throw new Error(`rxb2 verified ${result.verifiedSha1}, expected ${sha1}`);
    return { count: 1, bytes: size, note: 'SHA-1 verified' };
  });
}

export function uploadSmall(job: Job): Promise<Result> {
  const [dir, files, prefix, concurrency] = [need(job, 'dir'), need(job, 'files'), need(job, 'prefix'), need(job, 'concurrency')];
  return withBucket(job, async (bucket) => {
    let bytes = 0;
    const n = await lastValueFrom(
      from(files).pipe(
        mergeMap((f) => bucket.uploadFile({ contents: { path: path.join(dir, f) }, fileName: prefix + f }).pipe(toResponseBody()), concurrency),
        tap((file) => (bytes += file.contentLength)),
        count(),
      ),
    );
    return { count: n, bytes };
  });
}

export function list(job: Job): Promise<Result> {
  const [prefix, pageSize, expected] = [need(job, 'prefix'), need(job, 'pageSize'), need(job, 'expected')];
  return withBucket(job, async (bucket) => {
    const n = await lastValueFrom(bucket.listFiles({ prefix, pageSize }).pipe(count()));
    if (n !== expected) throw new Error(`rxb2 listed ${n} files, expected ${expected}`);
    return { count: n, bytes: 0 };
  });
}

if (require.main === module) {
  driverMain((job) => ({ 'upload-large': uploadLarge, 'download-large': downloadLarge, 'upload-small': uploadSmall, list })[job.scenario](job));
}
