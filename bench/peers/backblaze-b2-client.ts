/**
 * The driver for the npm package `backblaze-b2` (1.7.x, axios underneath): each scenario done the
 * way its README shows, with the library's defaults (its own axios instance, axios-retry's 3
 * retries, Node's global keep-alive agent).
 *
 *   upload-large    b2.startLargeFile (large_file_sha1 passed through the documented `axios`
 *                   per-call option: the action has no fileInfo argument), `concurrency` workers
 *                   each with one b2.getUploadPartUrl, each part read into a Buffer (one per worker,
 *                   reused) and sent by b2.uploadPart, which hashes it (sha1(data)); the part SHA-1s
 *                   from the responses go to b2.finishLargeFile.
 *   download-large  b2.downloadFileById({ responseType: 'stream' }) — one GET (the library has no
 *                   ranged or parallel download) piped to the file; no verification (it does none).
 *   upload-small    `concurrency` workers, one b2.getUploadUrl each, reused; each file read with
 *                   fs.promises.readFile and sent by b2.uploadFile (which hashes it).
 *   list            b2.listFileNames({ prefix, maxFileCount, startFileName: nextFileName }) to the end.
 *
 * Run: node dist/bench/peers/backblaze-b2-client.js '<job json>' (see ./job.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import B2 from 'backblaze-b2';
import { driverMain, need, timed, workers, type Job, type Result } from './job';

const { version: LIB_VERSION } = require('backblaze-b2/package.json') as { version: string };
const VERSION = `backblaze-b2 ${LIB_VERSION}`;

/** A client authorized against the emulator (the library hard-codes api.backblazeb2.com for b2_authorize_account). */
async function connect(job: Job): Promise<{ b2: B2; bucketId: string }> {
  const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey });
  await b2.authorize({ axiosOverride: { url: `${job.emu.url}/b2api/v2/b2_authorize_account` } });
  const buckets = (await b2.getBucket({ bucketName: job.bucketName })).data.buckets;
  if (buckets.length !== 1) throw new Error(`bucket ${job.bucketName} not found`);
  return { b2, bucketId: buckets[0].bucketId };
}

function uploadLarge(job: Job): Promise<Result> {
  const [file, fileName, size, sha1, partSize, concurrency] = [
    need(job, 'path'),
    need(job, 'fileName'),
    need(job, 'size'),
    need(job, 'sha1'),
    need(job, 'partSize'),
    need(job, 'concurrency'),
  ];
  return timed(VERSION, async () => {
    const { b2, bucketId } = await connect(job);
    const fh = await fs.promises.open(file, 'r');
    let fileId: string | undefined;
    try {
      const started = await b2.startLargeFile({ bucketId, fileName, axios: { data: { fileInfo: { large_file_sha1: sha1 } } } });
      fileId = started.data.fileId;
      const largeFileId = fileId;
      const parts: number[] = [];
      for (let offset = 0; offset < size; offset += partSize) parts.push(offset);
      const partSha1Array = new Array<string>(parts.length);
      await workers(
        parts,
        concurrency,
        async () => {
          const url = (await b2.getUploadPartUrl({ fileId: largeFileId })).data;
          return { url, buffer: Buffer.allocUnsafe(Math.min(partSize, size)) };
        },
        async ({ url, buffer }, offset, i) => {
          const length = Math.min(partSize, size - offset);
          const data = buffer.subarray(0, length);
          const { bytesRead } = await fh.read(data, 0, length, offset);
          if (bytesRead !== length) throw new Error(`short read at ${offset}: ${bytesRead} of ${length}`);
          const res = await b2.uploadPart({ partNumber: i + 1, uploadUrl: url.uploadUrl, uploadAuthToken: url.authorizationToken, data });
          partSha1Array[i] = res.data.contentSha1;
        },
      );
      const done = (await b2.finishLargeFile({ fileId: largeFileId, partSha1Array })).data;
      fileId = undefined;
      if (done.contentLength !== size) throw new Error(`uploaded ${done.contentLength} bytes, not ${size}`);
      return { count: 1, bytes: size, fileId: done.fileId };
    } catch (err) {
      if (fileId !== undefined) await b2.cancelLargeFile({ fileId }).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  });
}

function downloadLarge(job: Job): Promise<Result> {
  const [file, fileId, size] = [need(job, 'path'), need(job, 'fileId'), need(job, 'size')];
  return timed(VERSION, async () => {
    const { b2 } = await connect(job);
    const res = await b2.downloadFileById<Readable>({ fileId, responseType: 'stream' });
    await pipeline(res.data, fs.createWriteStream(file));
    const written = (await fs.promises.stat(file)).size;
    if (written !== size) throw new Error(`downloaded ${written} bytes, not ${size}`);
    return { count: 1, bytes: size, note: 'one streamed GET (no parallel download in backblaze-b2)' };
  });
}

function uploadSmall(job: Job): Promise<Result> {
  const [dir, files, prefix, concurrency] = [need(job, 'dir'), need(job, 'files'), need(job, 'prefix'), need(job, 'concurrency')];
  return timed(VERSION, async () => {
    const { b2, bucketId } = await connect(job);
    let bytes = 0;
    await workers(
      files,
      concurrency,
      async () => (await b2.getUploadUrl({ bucketId })).data,
      async (url, name) => {
        const data = await fs.promises.readFile(path.join(dir, name));
        const res = await b2.uploadFile({ uploadUrl: url.uploadUrl, uploadAuthToken: url.authorizationToken, fileName: prefix + name, data });
        if (res.data.contentLength !== data.length) throw new Error(`${name}: uploaded ${res.data.contentLength} bytes, not ${data.length}`);
        bytes += data.length;
      },
    );
    return { count: files.length, bytes };
  });
}

function list(job: Job): Promise<Result> {
  const [prefix, pageSize, expected] = [need(job, 'prefix'), need(job, 'pageSize'), need(job, 'expected')];
  return timed(VERSION, async () => {
    const { b2, bucketId } = await connect(job);
    let count = 0;
    let startFileName: string | undefined;
    for (;;) {
      const page = (await b2.listFileNames({ bucketId, prefix, maxFileCount: pageSize, startFileName })).data;
      count += page.files.length;
      if (!page.nextFileName) break;
      startFileName = page.nextFileName;
    }
    if (count !== expected) throw new Error(`listed ${count} files under ${JSON.stringify(prefix)}, expected ${expected}`);
    return { count, bytes: 0 };
  });
}

driverMain((job) => {
  switch (job.scenario) {
    case 'upload-large':
      return uploadLarge(job);
    case 'download-large':
      return downloadLarge(job);
    case 'upload-small':
      return uploadSmall(job);
    case 'list':
      return list(job);
    default:
      return Promise.reject(new Error(`unknown scenario ${String((job as { scenario: unknown }).scenario)}`));
  }
});
