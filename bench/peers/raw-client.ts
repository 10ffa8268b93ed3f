/**
 * The baseline driver: the same B2 calls rxb2 makes, by hand over node:http (bench/raw-b2.ts), with
 * nothing a library adds — the floor a B2 client in Node can reach on this machine.
 *
 *   upload-large    b2_start_large_file, `concurrency` workers each with its own
 *                   b2_get_upload_part_url, parts streamed from the file in 1 MiB reads with their
 *                   SHA-1 appended (hex_digits_at_end), b2_finish_large_file.
 *   download-large  `concurrency` ranged GETs, chunks written at their offsets in ~1 MiB writev
 *                   batches, the whole-file SHA-1 in one in-order pass, temp name, fsync, rename.
 *   upload-small    `concurrency` workers, one upload URL each, each file read then sent in one write.
 *   list            b2_list_file_names pages, JSON.parse.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { RawB2Session, agent, uploadHeaders, rawRequest, type FileWire, type UploadUrl } from '../raw-b2';
import { driverMain, need, timed, workers, type Job, type Result } from './job';

const MiB = 1 << 20;
const VERSION = `node:http (node ${process.version})`;

interface Part {
  partNumber: number;
  offset: number;
  length: number;
}

function planParts(size: number, partSize: number): Part[] {
  const parts: Part[] = [];
  for (let offset = 0, n = 1; offset < size; offset += partSize, n++) parts.push({ partNumber: n, offset, length: Math.min(partSize, size - offset) });
  return parts;
}

async function session(job: Job): Promise<RawB2Session> {
  const raw = new RawB2Session(job.emu);
  await raw.authorize();
  return raw;
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
  return timed(VERSION, async () => {
    const raw = await session(job);
    const bucketId = await raw.bucketId(job.bucketName);
    const started = await raw.call<FileWire>('b2_start_large_file', { bucketId, fileName, contentType: 'b2/x-auto', fileInfo: { large_file_sha1: sha1 } });
    const parts = planParts(size, partSize);
    const sha1s = new Array<string>(parts.length);
    await workers(
      parts,
      concurrency,
      () => raw.call<UploadUrl>('b2_get_upload_part_url', { fileId: started.fileId }),
      async (url, part, i) => {
        sha1s[i] = await sendPart(url, file, part);
      },
    );
    const done = await raw.call<FileWire>('b2_finish_large_file', { fileId: started.fileId, partSha1Array: sha1s });
    if (done.contentLength !== size) throw new Error(`baseline uploaded ${done.contentLength} bytes, not ${size}`);
    return { count: 1, bytes: size, fileId: done.fileId };
  });
}

/** One b2_upload_part: the range streamed from the file in 1 MiB reads, its SHA-1 appended (hex_digits_at_end). */
function sendPart(url: UploadUrl, file: string, part: Part): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const hash = crypto.createHash('sha1');
    let sent = '';
    const req = http.request(
      url.uploadUrl,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: url.authorizationToken,
          'X-Bz-Part-Number': String(part.partNumber),
          'Content-Length': String(part.length + 40),
          'X-Bz-Content-Sha1': 'hex_digits_at_end',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`b2_upload_part ${part.partNumber} -> HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
          const body = JSON.parse(text) as { contentSha1: string };
          if (body.contentSha1 !== sent) return reject(new Error(`part ${part.partNumber}: server SHA-1 ${body.contentSha1}, sent ${sent}`));
          resolve(body.contentSha1);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const input = fs.createReadStream(file, { start: part.offset, end: part.offset + part.length - 1, highWaterMark: MiB });
    input.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      if (!req.write(chunk)) {
        input.pause();
        req.once('drain', () => input.resume());
      }
    });
    input.on('end', () => {
      sent = hash.digest('hex');
      req.end(sent);
    });
    input.on('error', (err) => {
      req.destroy(err);
      reject(err);
    });
  });
}

export function downloadLarge(job: Job): Promise<Result> {
  const [out, fileId, concurrency, partSize] = [need(job, 'path'), need(job, 'fileId'), need(job, 'concurrency'), need(job, 'partSize')];
  return timed(VERSION, async () => {
    const raw = await session(job);
    const info = await raw.call<FileWire>('b2_get_file_info', { fileId });
    const expected = info.fileInfo.large_file_sha1;
    const parts = planParts(info.contentLength, partSize);
    const temp = `${out}.baseline-${process.pid}.part`;
    const fd = fs.openSync(temp, 'w');
    try {
      // In-order SHA-1: the head part is hashed as its chunks arrive; a later part's chunks wait.
      const hash = crypto.createHash('sha1');
      const waiting: Buffer[][] = parts.map(() => []);
      const done: boolean[] = parts.map(() => false);
      let head = 0;
      const arrived = (i: number, chunk: Buffer): void => {
        if (i === head) hash.update(chunk);
        else waiting[i].push(chunk);
      };
      // As rxb2: part i starts only once part i - concurrency was hashed, so at most `concurrency` parts are held.
      const turns: (() => void)[] = [];
      const finished = (i: number): void => {
        done[i] = true;
        while (head < parts.length && done[head]) {
          head++;
          if (head < parts.length) {
            for (const c of waiting[head]) hash.update(c);
            waiting[head] = [];
          }
          turns[head + concurrency - 1]?.();
        }
      };
      const turn = (i: number): Promise<void> => (i < head + concurrency ? Promise.resolve() : new Promise((resolve) => (turns[i] = resolve)));
      await workers(
        parts,
        concurrency,
        async () => undefined,
        (_, part, i) =>
          turn(i)
            .then(() => fetchPart(raw, fileId, part, fd, (chunk) => arrived(i, chunk)))
            .then(() => finished(i)),
      );
      const actual = hash.digest('hex');
      if (actual !== expected) throw new Error(`baseline download SHA-1 ${actual}, expected ${expected}`);
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    fs.renameSync(temp, out);
    return { count: 1, bytes: info.contentLength, note: 'SHA-1 verified' };
  });
}

/** One ranged GET, its chunks written at their offsets in ~1 MiB fs.writev batches (at most 8 MiB pending). */
function fetchPart(raw: RawB2Session, fileId: string, part: Part, fd: number, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const url = `${raw.downloadUrl}/b2api/v3/b2_download_file_by_id?fileId=${encodeURIComponent(fileId)}`;
    const req = http.request(url, { method: 'GET', agent, headers: { Authorization: raw.token, Range: `bytes=${part.offset}-${part.offset + part.length - 1}` } }, (res) => {
      if (res.statusCode !== 206) {
        res.resume();
        return reject(new Error(`ranged GET -> HTTP ${res.statusCode}`));
      }
      let position = part.offset;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let pending = 0;
      let ended = false;
      let failed = false;
      const settle = (): void => {
        if (ended && pending === 0 && !failed) {
          if (position !== part.offset + part.length) reject(new Error(`part ${part.partNumber}: got ${position - part.offset} of ${part.length} bytes`));
          else resolve();
        }
      };
      const flush = (): void => {
        if (batchBytes === 0) return;
        const buffers = batch;
        const bytes = batchBytes;
        batch = [];
        batchBytes = 0;
        pending += bytes;
        fs.writev(fd, buffers, position - bytes, (err) => {
          pending -= bytes;
          if (err) {
            failed = true;
            res.destroy();
            return reject(err);
          }
          if (res.isPaused() && pending < 8 * MiB) res.resume();
          settle();
        });
      };
      res.on('data', (chunk: Buffer) => {
        onChunk(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        position += chunk.length;
        if (batchBytes >= MiB) flush();
        if (pending >= 8 * MiB) res.pause();
      });
      res.on('end', () => {
        flush();
        ended = true;
        settle();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function uploadSmall(job: Job): Promise<Result> {
  const [dir, files, prefix, concurrency] = [need(job, 'dir'), need(job, 'files'), need(job, 'prefix'), need(job, 'concurrency')];
  return timed(VERSION, async () => {
    const raw = await session(job);
    const bucketId = await raw.bucketId(job.bucketName);
    let bytes = 0;
    const count = await raw.uploadMany(
      bucketId,
      files.length,
      concurrency,
      (i) => prefix + files[i],
      async (url, name, i) => {
        const contents = await fs.promises.readFile(path.join(dir, files[i]));
        bytes += contents.length;
        return rawRequest('POST', url.uploadUrl, uploadHeaders(url, name, contents), contents);
      },
    );
    return { count, bytes };
  });
}

export function list(job: Job): Promise<Result> {
  const [prefix, pageSize, expected] = [need(job, 'prefix'), need(job, 'pageSize'), need(job, 'expected')];
  return timed(VERSION, async () => {
    const raw = await session(job);
    const n = await raw.listAll(await raw.bucketId(job.bucketName), pageSize, prefix);
    if (n !== expected) throw new Error(`baseline listed ${n} files, expected ${expected}`);
    return { count: n, bytes: 0 };
  });
}

if (require.main === module) {
  driverMain((job) => ({ 'upload-large': uploadLarge, 'download-large': downloadLarge, 'upload-small': uploadSmall, list })[job.scenario](job));
}
