/**
 * Large-file benchmark (not a test): `npm run bench:large -- [--size MiB] [--no-big] [--big-size MiB]
 * [--runs N] [--part-size BYTES] [--concurrency N] [--download-part-size BYTES] [--no-rclone]
 * [--no-download] [--server-md5] [--profile] [--profile-dir DIR] [--keep] [--verbose]`.
 *
 * One run compares rxb2 with a raw `node:http` client doing the same B2 calls, and with rclone,
 * on a random file on disk (default 1 GiB, written in 1 MiB chunks to a temp directory), against
 * the emulator in a CHILD process (in memory, 127.0.0.1, absoluteMinimumPartSize 5,000,000,
 * recommendedPartSize 100,000,000). Every client runs in its OWN child process too, so its CPU
 * seconds and peak RSS are its own:
 *
 *   upload   rxb2      `bucket.uploadLargeFile({ contents: { path }, fileName, partSize, concurrency })`
 *                      to completion (parts of 100,000,000 bytes, 4 at a time).
 *            baseline  node:http: b2_authorize_account, b2_list_buckets, b2_start_large_file, 4
 *                      workers each with its own b2_get_upload_part_url, parts streamed from the
 *                      file with fs.createReadStream({ start, end, highWaterMark: 1 MiB }), SHA-1
 *                      computed on the way and sent as hex_digits_at_end (Content-Length + 40),
 *                      then b2_finish_large_file: the same work rxb2 does.
 *            rclone    `rclone copyto FILE emu:bucket/name --b2-chunk-size 100M --b2-upload-cutoff
 *                      100M --transfers 4` (rclone 1.60 has no --b2-upload-concurrency: its chunks in
 *                      flight are bounded by --transfers), configured through RCLONE_CONFIG_EMU_*.
 *                      rclone also hashes the whole file up front for large_file_sha1 (one more
 *                      SHA-1 pass); the `--b2-disable-checksum` row skips that (same work as rxb2).
 *                      Measured with /usr/bin/time (user+sys CPU, max RSS) around the process.
 *   download rxb2      `file.downloadToFile(path, { concurrency: 4 })` (16 MiB ranged parts).
 *            baseline  node:http: 4 workers doing ranged GETs of 16 MiB, chunks written at their
 *                      offsets (fs.writev, ~1 MiB batches) as they arrive, whole-file SHA-1 in one
 *                      in-order pass (the head part hashed as it arrives, later parts' chunks held
 *                      until it is their turn), temp name, fsync, rename: what rxb2 promises.
 *            rclone    (for context) `rclone copyto emu:bucket/name OUT --multi-thread-streams 4`.
 *
 * The uploads record large_file_sha1 (computed while the file is written, untimed) so downloads
 * can verify the whole file. Every timed window (per child: from `new B2()` / authorize to the
 * finished file) is measured with performance.now() and process.cpuUsage() inside the child;
 * the peak RSS is process.resourceUsage().maxRSS of the child. The emulator's CPU per run is
 * asked over IPC. Targets run interleaved (rxb2, baseline, rclone, … then again) `--runs` times
 * (default 3); the table shows medians (peak RSS: the largest). Then the upload is repeated with
 * a 4 GiB file (`--big-size`, default 4 × --size; `--no-big` skips it), rxb2 and the baseline
 * twice each in the order A B B A, to show rxb2's RSS does not grow with the file.
 *
 * The emulator computes an MD5 for bodies up to md5Limit bytes (default 100,000,000): parts of
 * exactly 100,000,000 bytes would pay it but rclone's 100 MiB chunks would not, and on 2 cores the
 * server's CPU is the bottleneck. So md5Limit is 0 here: the server does the same work for every
 * client (`--server-md5` restores the default).
 *
 * `--profile` adds one upload and one download each of rxb2 and the baseline with `node --cpu-prof`
 * (not in the table) and prints where each child's main thread spent its CPU (self time by
 * package and by function); `--profile-dir DIR` keeps the .cpuprofile files.
 *
 * Targets: upload ≥ 0.9× baseline and ≥ rclone; rxb2 peak RSS ≤ 150 MiB for 1 GiB and 4 GiB;
 * download ≥ 0.9× baseline.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RawB2Session, agent, type EmulatorEndpoint } from './raw-b2';
import { firstLine, startEmulatorChild, type EmulatorChild } from './emulator-child';

const MiB = 1 << 20;
const GiB = 1 << 30;
const HOST = '127.0.0.1';
const RCLONE = '/usr/bin/rclone';
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  sizeMiB: number;
  big: boolean;
  bigSizeMiB: number | undefined;
  runs: number;
  partSize: number;
  concurrency: number;
  downloadPartSize: number;
  rclone: boolean;
  download: boolean;
  serverMd5: boolean;
  profile: boolean;
  profileDir: string | undefined;
  keep: boolean;
  verbose: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizeMiB: 1024,
    big: true,
    bigSizeMiB: undefined,
    runs: 3,
    partSize: 100_000_000,
    concurrency: 4,
    downloadPartSize: 16 * MiB,
    rclone: true,
    download: true,
    serverMd5: false,
    profile: false,
    profileDir: undefined,
    keep: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${a} needs a whole number >= 1`);
      return v;
    };
    if (a === '--size') o.sizeMiB = num();
    else if (a === '--big') o.big = true;
    else if (a === '--no-big') o.big = false;
    else if (a === '--big-size') o.bigSizeMiB = num();
    else if (a === '--runs') o.runs = num();
    else if (a === '--part-size') o.partSize = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--download-part-size') o.downloadPartSize = num();
    else if (a === '--no-rclone') o.rclone = false;
    else if (a === '--no-download') o.download = false;
    else if (a === '--server-md5') o.serverMd5 = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--profile-dir') {
      o.profile = true;
      o.profileDir = path.resolve(argv[++i] ?? '.');
    } else if (a === '--keep') o.keep = true;
    else if (a === '--verbose') o.verbose = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.partSize < 5_000_000) throw new Error('--part-size must be >= 5,000,000 (the emulator\'s absoluteMinimumPartSize)');
  return o;
}

// ---------------------------------------------------------------------------------------------
// The emulator, in a child process

type Emulator = EmulatorChild;
type EmulatorInfo = EmulatorEndpoint;

function startBenchEmulator(o: Options): Promise<Emulator> {
  return startEmulatorChild({
    host: HOST,
    port: 0,
    absoluteMinimumPartSize: 5_000_000,
    recommendedPartSize: 100_000_000,
    ...(o.serverMd5 ? {} : { md5Limit: 0 }),
  });
}

// ---------------------------------------------------------------------------------------------
// A raw node:http B2 client (the parent's setup calls and the baseline children)

interface UploadUrl {
  uploadUrl: string;
  authorizationToken: string;
}

interface FileWire {
  fileId: string;
  fileName: string;
  contentLength: number;
  fileInfo: Record<string, string>;
}

class RawB2 extends RawB2Session {
  async bucketId(bucketName: string): Promise<string> {
    const r = await this.call<{ buckets: { bucketId: string }[] }>('b2_list_buckets', { accountId: this.accountId, bucketName });
    if (r.buckets.length === 0) throw new Error(`no bucket ${bucketName}`);
    return r.buckets[0].bucketId;
  }

  /** Every version of `name` (exact), for checks and clean-up. */
  async versions(bucketId: string, name: string): Promise<FileWire[]> {
    const r = await this.call<{ files: (FileWire & { action: string })[] }>('b2_list_file_versions', {
      bucketId,
      prefix: name,
      startFileName: name,
      maxFileCount: 100,
    });
    return r.files.filter((f) => f.fileName === name && f.action === 'upload');
  }

  async deleteAll(bucketId: string, name: string): Promise<void> {
    for (const f of await this.versions(bucketId, name)) await this.call('b2_delete_file_version', { fileName: name, fileId: f.fileId });
  }
}

// ---------------------------------------------------------------------------------------------
// Children (clients). Each prints one JSON line: ChildResult.

interface Job {
  kind: 'rxb2-upload' | 'raw-upload' | 'rxb2-download' | 'raw-download';
  emu: EmulatorInfo;
  bucketName: string;
  /** Upload: the source file. Download: the output file. */
  path: string;
  fileName: string;
  /** Download: the file version to get. */
  fileId?: string;
  size: number;
  sha1: string;
  partSize: number;
  concurrency: number;
}

interface ChildResult {
  seconds: number;
  cpuUs: number;
  /** Of cpuUs, system time (page faults, socket and file copies). */
  sysUs: number;
  maxRss: number;
  fileId?: string;
  note?: string;
}

/** Wraps a child's timed window: wall clock and process.cpuUsage() delta. */
async function timed(fn: () => Promise<{ fileId?: string; note?: string }>): Promise<ChildResult> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpuUs: c.user + c.system, sysUs: c.system, maxRss: process.resourceUsage().maxRSS * 1024, ...r };
}

async function rxb2UploadChild(job: Job): Promise<ChildResult> {
  // Loaded only here, so the baseline children stay bare node processes.
  const { B2, toResponseBody } = await import('../src');
  const { lastValueFrom } = await import('rxjs');
  return timed(async () => {
    const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey, realm: job.emu.url });
    const bucket = await lastValueFrom(b2.buckets.get(job.bucketName));
    const file = await lastValueFrom(
      bucket
        .uploadLargeFile({
          contents: { path: job.path },
          fileName: job.fileName,
          partSize: job.partSize,
          concurrency: job.concurrency,
          fileInfo: { large_file_sha1: job.sha1 },
        })
        .pipe(toResponseBody()),
    );
    if (file.contentLength !== job.size) throw new Error(`rxb2 uploaded ${file.contentLength} bytes, not ${job.size}`);
    return { fileId: file.fileId };
  });
}

async function rxb2DownloadChild(job: Job): Promise<ChildResult> {
  const { B2, toResponseBody } = await import('../src');
  const { lastValueFrom } = await import('rxjs');
  return timed(async () => {
    const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey, realm: job.emu.url });
    const bucket = await lastValueFrom(b2.buckets.get(job.bucketName));
    const file = await lastValueFrom(bucket.getFile({ id: job.fileId! }));
    const result = await lastValueFrom(
      file.downloadToFile(job.path, { concurrency: job.concurrency, partSize: job.partSize }).pipe(toResponseBody()),
    );
    if (result.bytes !== job.size) throw new Error(`rxb2 downloaded ${result.bytes} bytes, not ${job.size}`);
    if (result.verifiedSha1 !== job.sha1) throw new Error(`rxb2 verified ${result.verifiedSha1}, expected ${job.sha1}`);
    return {};
  });
}

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

/** Runs `count` workers over `items`, each with its own state from `setup`; resolves when all are done. */
async function workers<S, T>(items: T[], count: number, setup: () => Promise<S>, each: (state: S, item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, items.length) }, async () => {
      const state = await setup();
      for (let i = next++; i < items.length; i = next++) await each(state, items[i], i);
    }),
  );
}

async function rawUploadChild(job: Job): Promise<ChildResult> {
  return timed(async () => {
    const raw = new RawB2(job.emu);
    await raw.authorize();
    const bucketId = await raw.bucketId(job.bucketName);
    const started = await raw.call<FileWire>('b2_start_large_file', {
      bucketId,
      fileName: job.fileName,
      contentType: 'b2/x-auto',
      fileInfo: { large_file_sha1: job.sha1 },
    });
    const parts = planParts(job.size, job.partSize);
    const sha1s: string[] = new Array(parts.length);
    await workers(
      parts,
      job.concurrency,
      () => raw.call<UploadUrl>('b2_get_upload_part_url', { fileId: started.fileId }),
      async (url, part, i) => {
        sha1s[i] = await sendPart(url, job.path, part);
      },
    );
    const file = await raw.call<FileWire>('b2_finish_large_file', { fileId: started.fileId, partSha1Array: sha1s });
    if (file.contentLength !== job.size) throw new Error(`baseline uploaded ${file.contentLength} bytes, not ${job.size}`);
    return { fileId: file.fileId };
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

async function rawDownloadChild(job: Job): Promise<ChildResult> {
  return timed(async () => {
    const raw = new RawB2(job.emu);
    await raw.authorize();
    const info = await raw.call<FileWire>('b2_get_file_info', { fileId: job.fileId });
    const expected = info.fileInfo.large_file_sha1;
    const parts = planParts(info.contentLength, job.partSize);
    const temp = `${job.path}.baseline-${process.pid}.part`;
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
          turns[head + job.concurrency - 1]?.();
        }
      };
      const turn = (i: number): Promise<void> => (i < head + job.concurrency ? Promise.resolve() : new Promise((resolve) => (turns[i] = resolve)));
      await workers(
        parts,
        job.concurrency,
        async () => undefined,
        (_, part, i) => turn(i).then(() => fetchPart(raw, job.fileId!, part, fd, (chunk) => arrived(i, chunk))).then(() => finished(i)),
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
    fs.renameSync(temp, job.path);
    return {};
  });
}

/** One ranged GET, its chunks written at their offsets in ~1 MiB fs.writev batches (at most 8 MiB pending). */
function fetchPart(raw: RawB2, fileId: string, part: Part, fd: number, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const url = `${raw.downloadUrl}/b2api/v3/b2_download_file_by_id?fileId=${encodeURIComponent(fileId)}`;
    const req = http.request(
      url,
      { method: 'GET', agent, headers: { Authorization: raw.token, Range: `bytes=${part.offset}-${part.offset + part.length - 1}` } },
      (res) => {
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
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function childMain(job: Job): Promise<void> {
  const run = { 'rxb2-upload': rxb2UploadChild, 'raw-upload': rawUploadChild, 'rxb2-download': rxb2DownloadChild, 'raw-download': rawDownloadChild }[job.kind];
  const result = await run(job);
  // Keep-alive sockets would hold the process open: exit once the line is out.
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Running targets

interface Sample {
  seconds: number;
  cpuS: number;
  maxRss: number;
  serverCpuS: number;
}

async function runChild(job: Job, profileDir?: string): Promise<ChildResult> {
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${job.kind}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...execArgv, __filename, '--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await firstLine(child, `the ${job.kind} child`);
  const code = await exited;
  if (code !== 0) throw new Error(`the ${job.kind} child exited with ${code}`);
  return JSON.parse(line) as ChildResult;
}

function rcloneEnv(emu: EmulatorInfo, tmp: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RCLONE_CONFIG: path.join(tmp, 'rclone.conf'),
    RCLONE_CACHE_DIR: path.join(tmp, 'rclone-cache'),
    RCLONE_CONFIG_EMU_TYPE: 'b2',
    RCLONE_CONFIG_EMU_ACCOUNT: emu.keyId,
    RCLONE_CONFIG_EMU_KEY: emu.applicationKey,
    RCLONE_CONFIG_EMU_ENDPOINT: emu.url,
  };
}

/** Runs rclone under /usr/bin/time; wall clock from here, CPU and max RSS from time(1). */
async function runRclone(args: string[], env: NodeJS.ProcessEnv, tmp: string): Promise<{ seconds: number; cpuUs: number; maxRss: number }> {
  const timeFile = path.join(tmp, 'time.txt');
  const t0 = performance.now();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, RCLONE, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`rclone ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
  const [, user, sys, maxKb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, cpuUs: (user + sys) * 1e6, maxRss: maxKb * 1024 };
}

/** Writes `bytes` random bytes in 1 MiB chunks (AES-CTR keystream of a random key); returns the SHA-1. */
function makeFile(file: string, bytes: number): string {
  const cipher = crypto.createCipheriv('aes-128-ctr', crypto.randomBytes(16), crypto.randomBytes(16));
  const zeros = Buffer.alloc(MiB);
  const hash = crypto.createHash('sha1');
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; done += MiB) {
      const chunk = cipher.update(done + MiB <= bytes ? zeros : zeros.subarray(0, bytes - done));
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += fs.writeSync(fd, chunk, written, chunk.length - written);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function sha1OfFile(file: string): string {
  const hash = crypto.createHash('sha1');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, MiB, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function packageOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1];
  const src = /\/dist\/src\/(.+)\.js$/.exec(url);
  if (src) return `rxb2 ${src[1]}`;
  if (/\/dist\/bench\//.test(url)) return 'bench';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:');
  return url;
}

function summarizeProfile(file: string, top: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i + 1] is the time spent in samples[i].
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') continue;
    total += us;
    const pkg = packageOf(url, fn);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const key = url ? `${fn}  ${pkg}:${lineNumber + 1}` : fn;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, (us / 1000).toFixed(0), ((100 * us) / total).toFixed(1) + '%']);
  return (
    `main-thread samples, ${(total / 1e6).toFixed(2)} s busy (idle excluded; file reads in libuv threads and GC helper threads are not sampled)\n\n` +
    table([['package / module', 'self ms', 'share'], ...rows(byPackage)], 1) +
    '\n\n' +
    table([['function', 'self ms', 'share'], ...rows(byFunction)], 1)
  );
}

// ---------------------------------------------------------------------------------------------
// Report

function table(rows: string[][], rightFrom = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((v, c) => (c >= rightFrom ? (v ?? '').padStart(widths[c]) : (v ?? '').padEnd(widths[c]))).join(' | ') + ' |';
  const sep = '| ' + widths.map((w, c) => (c >= rightFrom ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ') + ' |';
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Row {
  group: string;
  target: string;
  bytes: number;
  samples: Sample[];
  context?: boolean;
}

function summary(row: Row) {
  const mbps = row.samples.map((s) => row.bytes / 1e6 / s.seconds);
  return {
    mbps: median(mbps),
    each: mbps,
    cpuS: median(row.samples.map((s) => s.cpuS)),
    cpuPerGiB: median(row.samples.map((s) => s.cpuS / (row.bytes / GiB))),
    maxRssMiB: Math.max(...row.samples.map((s) => s.maxRss)) / MiB,
    serverCpuPerGiB: median(row.samples.map((s) => s.serverCpuS / (row.bytes / GiB))),
  };
}

const sizeLabel = (bytes: number): string => (bytes % GiB === 0 ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);

// ---------------------------------------------------------------------------------------------
// Driver

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const size = o.sizeMiB * MiB;
  const bigSize = (o.bigSizeMiB ?? 4 * o.sizeMiB) * MiB;
  const haveRclone = o.rclone && fs.existsSync(RCLONE) && fs.existsSync(TIME);
  const rcloneVersion = haveRclone ? spawnSync(RCLONE, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0] : '';
  if (o.rclone && !haveRclone) console.error(`note: ${RCLONE} or ${TIME} missing (apt-get install rclone time): rclone rows skipped`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-large-'));
  const profileDir = o.profile ? (o.profileDir ?? path.join(tmp, 'profiles')) : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  let emu: Emulator | undefined;
  const rows: Row[] = [];
  const log = (text: string): void => void process.stderr.write(text + '\n');
  const profiles: { what: string; file: string }[] = [];
  try {
    const source = path.join(tmp, 'source.bin');
    log(`writing ${sizeLabel(size)} of random bytes to ${source} …`);
    const sha1 = makeFile(source, size);
    emu = await startBenchEmulator(o);
    const raw = new RawB2(emu);
    await raw.authorize();
    const bucketName = `bench-large-${Date.now().toString(36)}`;
    const { bucketId } = await raw.call<{ bucketId: string }>('b2_create_bucket', { accountId: raw.accountId, bucketName, bucketType: 'allPrivate' });
    const env = rcloneEnv(emu, tmp);
    const emuRef = emu;

    /** One measured run: the emulator's CPU around it, the file checked and deleted afterwards. */
    const measure = async (row: Row, run: () => Promise<{ seconds: number; cpuUs: number; maxRss: number }>): Promise<void> => {
      const s0 = await emuRef.stats();
      const r = await run();
      const s1 = await emuRef.stats();
      const sample = { seconds: r.seconds, cpuS: r.cpuUs / 1e6, maxRss: r.maxRss, serverCpuS: (s1.cpuUs - s0.cpuUs) / 1e6 };
      row.samples.push(sample);
      if (o.verbose) {
        log(
          `  ${row.group} ${row.target}: ${(row.bytes / 1e6 / sample.seconds).toFixed(0)} MB/s, client CPU ${sample.cpuS.toFixed(2)} s, ` +
            `peak RSS ${(sample.maxRss / MiB).toFixed(0)} MiB, server CPU ${sample.serverCpuS.toFixed(2)} s`,
        );
      }
    };
    const job = (kind: Job['kind'], file: string, fileName: string, bytes: number, fileSha1: string, extra: Partial<Job> = {}): Job => ({
      kind,
      emu: { url: emuRef.url, keyId: emuRef.keyId, applicationKey: emuRef.applicationKey },
      bucketName,
      path: file,
      fileName,
      size: bytes,
      sha1: fileSha1,
      partSize: o.partSize,
      concurrency: o.concurrency,
      ...extra,
    });
    /** Upload checks: the right length and large_file_sha1 (when the client sets one), then the version is deleted. */
    const checkAndDelete = async (name: string, bytes: number, fileSha1: string, expectSha1: boolean): Promise<void> => {
      const versions = await raw.versions(bucketId, name);
      if (versions.length !== 1) throw new Error(`${name}: ${versions.length} versions after the upload`);
      const info = await raw.call<FileWire>('b2_get_file_info', { fileId: versions[0].fileId });
      if (info.contentLength !== bytes) throw new Error(`${name}: ${info.contentLength} bytes on the server, not ${bytes}`);
      if (expectSha1 && info.fileInfo.large_file_sha1 !== fileSha1) throw new Error(`${name}: large_file_sha1 ${info.fileInfo.large_file_sha1}, not ${fileSha1}`);
      await raw.deleteAll(bucketId, name);
    };

    const uploadRows = (label: string, bytes: number, withRclone: boolean) => {
      const group = `upload ${label}`;
      const list: { row: Row; run: (i: number) => Promise<void> }[] = [];
      const file = bytes === size ? source : path.join(tmp, 'big.bin');
      const add = (target: string, run: (row: Row, name: string) => Promise<void>, context = false) => {
        const row: Row = { group, target, bytes, samples: [], context };
        rows.push(row);
        list.push({ row, run: (i) => run(row, `large/${target.replace(/\W+/g, '-')}-${label.replace(' ', '')}-${i}.bin`) });
      };
      return { list, file, add };
    };

    const uploadTargets = (bytes: number, fileSha1: string, label: string, withRclone: boolean) => {
      const u = uploadRows(label, bytes, withRclone);
      u.add('rxb2', async (row, name) => {
        await measure(row, () => runChild(job('rxb2-upload', u.file, name, bytes, fileSha1)));
        await checkAndDelete(name, bytes, fileSha1, true);
      });
      u.add('baseline (node:http)', async (row, name) => {
        await measure(row, () => runChild(job('raw-upload', u.file, name, bytes, fileSha1)));
        await checkAndDelete(name, bytes, fileSha1, true);
      });
      if (withRclone) {
        const flags = ['--b2-chunk-size', '100M', '--b2-upload-cutoff', '100M', '--transfers', String(o.concurrency)];
        u.add(`${rcloneVersion.replace(/-DEV$/, '')}`, async (row, name) => {
          await measure(row, () => runRclone(['copyto', u.file, `emu:${bucketName}/${name}`, ...flags], env, tmp));
          await checkAndDelete(name, bytes, fileSha1, true);
        });
        u.add('rclone --b2-disable-checksum', async (row, name) => {
          await measure(row, () => runRclone(['copyto', u.file, `emu:${bucketName}/${name}`, ...flags, '--b2-disable-checksum'], env, tmp));
          await checkAndDelete(name, bytes, fileSha1, false);
        }, true);
      }
      return u.list;
    };

    // (a)-(c) uploads of the main file, interleaved.
    const ups = uploadTargets(size, sha1, sizeLabel(size), haveRclone);
    for (let r = 0; r < o.runs; r++) {
      log(`upload ${sizeLabel(size)}: run ${r + 1}/${o.runs}`);
      for (const t of ups) await t.run(r);
    }

    // (d) downloads: one file, uploaded untimed by the baseline (with large_file_sha1).
    let downloadId: string | undefined;
    if (o.download) {
      const name = 'large/download-source.bin';
      downloadId = (await runChild(job('raw-upload', source, name, size, sha1))).fileId!;
      const out = path.join(tmp, 'download.bin');
      const group = `download ${sizeLabel(size)}`;
      const targets: { row: Row; run: () => Promise<void> }[] = [];
      const add = (target: string, run: (row: Row) => Promise<void>, context = false) => {
        const row: Row = { group, target, bytes: size, samples: [], context };
        rows.push(row);
        targets.push({ row, run: () => run(row) });
      };
      const dl = { fileId: downloadId, partSize: o.downloadPartSize };
      const checkOutput = (row: Row): void => {
        // The first run of each target: the file on disk is re-read and checked here (untimed).
        if (row.samples.length === 1 && sha1OfFile(out) !== sha1) throw new Error(`${row.target}: the downloaded file differs`);
        fs.rmSync(out, { force: true });
      };
      add('rxb2', async (row) => {
        await measure(row, () => runChild(job('rxb2-download', out, name, size, sha1, dl)));
        checkOutput(row);
      });
      add('baseline (node:http)', async (row) => {
        await measure(row, () => runChild(job('raw-download', out, name, size, sha1, dl)));
        checkOutput(row);
      });
      if (haveRclone) {
        add(`rclone --multi-thread-streams ${o.concurrency}`, async (row) => {
          await measure(row, () => runRclone(['copyto', `emu:${bucketName}/${name}`, out, '--multi-thread-streams', String(o.concurrency)], env, tmp));
          checkOutput(row);
        }, true);
      }
      for (let r = 0; r < o.runs; r++) {
        log(`download ${sizeLabel(size)}: run ${r + 1}/${o.runs}`);
        for (const t of targets) await t.run();
      }
    }

    // Profiles of the rxb2 and baseline children (not in the table).
    if (profileDir) {
      log('profiling the rxb2 and baseline uploads and downloads …');
      const profiled = async (kind: Job['kind'], what: string, run: () => Promise<unknown>): Promise<void> => {
        const before = new Set(fs.readdirSync(profileDir));
        await run();
        const file = fs.readdirSync(profileDir).find((f) => !before.has(f) && f.startsWith(kind));
        if (file) profiles.push({ what, file: path.join(profileDir, file) });
      };
      for (const kind of ['rxb2-upload', 'raw-upload'] as const) {
        const name = `large/profiled-${kind}.bin`;
        await profiled(kind, `${kind === 'rxb2-upload' ? 'rxb2' : 'baseline'} upload ${sizeLabel(size)}`, async () => {
          await runChild(job(kind, source, name, size, sha1), profileDir);
          await checkAndDelete(name, size, sha1, true);
        });
      }
      if (downloadId) {
        const out = path.join(tmp, 'download.bin');
        for (const kind of ['rxb2-download', 'raw-download'] as const) {
          await profiled(kind, `${kind === 'rxb2-download' ? 'rxb2' : 'baseline'} download ${sizeLabel(size)}`, async () => {
            await runChild(job(kind, out, 'large/download-source.bin', size, sha1, { fileId: downloadId, partSize: o.downloadPartSize }), profileDir);
            fs.rmSync(out, { force: true });
          });
        }
      }
    }
    if (downloadId) await raw.deleteAll(bucketId, 'large/download-source.bin');

    // The big upload: rxb2's RSS must not grow with the file.
    if (o.big && bigSize !== size) {
      if (!o.keep) fs.rmSync(source, { force: true });
      const big = path.join(tmp, 'big.bin');
      log(`writing ${sizeLabel(bigSize)} of random bytes to ${big} …`);
      const bigSha1 = makeFile(big, bigSize);
      // A B B A: whoever runs first pays the emulator's first touch of 4 GiB of fresh memory.
      log(`upload ${sizeLabel(bigSize)}: rxb2, baseline, baseline, rxb2`);
      const [rx, base] = uploadTargets(bigSize, bigSha1, sizeLabel(bigSize), false);
      for (const [t, i] of [[rx, 0], [base, 0], [base, 1], [rx, 1]] as const) await t.run(i);
      if (!o.keep) fs.rmSync(big, { force: true });
    }

    const serverRss = (await emu.stats()).maxRss;

    // ------------------------------------------------------------------ report
    console.log(
      `\nrxb2 large-file benchmark — node ${process.version}, ${os.cpus().length} CPU(s), emulator in a child process ` +
        `(in memory, ${HOST}, md5Limit ${o.serverMd5 ? 'default' : '0'}), every client in its own process; ` +
        `upload parts ${o.partSize.toLocaleString('en-US')} B × ${o.concurrency}, download parts ${(o.downloadPartSize / MiB).toFixed(0)} MiB × ${o.concurrency}; ` +
        `${o.runs} interleaved run(s), medians (${sizeLabel(bigSize)}: two runs each, A B B A); MB = 10^6 bytes\n`,
    );
    const header = ['operation', 'client', 'MB/s', 'each run MB/s', 'client CPU s', 'client CPU s/GiB', 'client peak RSS MiB', 'server CPU s/GiB'];
    const out: string[][] = [header];
    let lastGroup = '';
    for (const row of rows) {
      if (row.samples.length === 0) continue;
      const s = summary(row);
      out.push([
        row.group === lastGroup ? '' : row.group,
        row.context ? `${row.target} (context)` : row.target,
        s.mbps.toFixed(0),
        s.each.map((x) => x.toFixed(0)).join(' '),
        s.cpuS.toFixed(2),
        s.cpuPerGiB.toFixed(2),
        s.maxRssMiB.toFixed(0),
        s.serverCpuPerGiB.toFixed(2),
      ]);
      lastGroup = row.group;
    }
    console.log(table(out, 2));
    console.log(`\nemulator peak RSS: ${(serverRss / MiB).toFixed(0)} MiB`);

    // Ratios and targets, from this run.
    const find = (group: string, target: string) => rows.find((r) => r.group === group && r.target === target && r.samples.length > 0);
    const lines: string[][] = [['check', 'value', 'target', 'met']];
    const verdict = (ok: boolean) => (ok ? 'yes' : 'NO');
    const ratioLine = (what: string, a: Row | undefined, b: Row | undefined, min: number | null) => {
      if (!a || !b) return;
      const sa = summary(a);
      const sb = summary(b);
      const r = sa.mbps / sb.mbps;
      lines.push([`${what} MB/s`, `${r.toFixed(2)}×`, min === null ? '' : `≥ ${min}×`, min === null ? '' : verdict(r >= min)]);
      lines.push([`${what} client CPU`, `${(sa.cpuS / sb.cpuS).toFixed(2)}×`, '', '']);
    };
    const upG = `upload ${sizeLabel(size)}`;
    const dlG = `download ${sizeLabel(size)}`;
    const bigG = `upload ${sizeLabel(bigSize)}`;
    ratioLine(`${upG}: rxb2 / baseline`, find(upG, 'rxb2'), find(upG, 'baseline (node:http)'), 0.9);
    const rcloneRow = rows.find((r) => r.group === upG && r.target.startsWith('rclone v'));
    ratioLine(`${upG}: rxb2 / rclone`, find(upG, 'rxb2'), rcloneRow, 1);
    ratioLine(`${upG}: rxb2 / rclone --b2-disable-checksum`, find(upG, 'rxb2'), find(upG, 'rclone --b2-disable-checksum'), null);
    ratioLine(`${bigG}: rxb2 / baseline`, find(bigG, 'rxb2'), find(bigG, 'baseline (node:http)'), null);
    ratioLine(`${dlG}: rxb2 / baseline`, find(dlG, 'rxb2'), find(dlG, 'baseline (node:http)'), 0.9);
    for (const g of [upG, bigG]) {
      const r = find(g, 'rxb2');
      if (r) {
        const rss = summary(r).maxRssMiB;
        lines.push([`${g}: rxb2 peak RSS`, `${rss.toFixed(0)} MiB`, '≤ 150 MiB', verdict(rss <= 150)]);
      }
    }
    const dr = find(dlG, 'rxb2');
    if (dr) lines.push([`${dlG}: rxb2 peak RSS`, `${summary(dr).maxRssMiB.toFixed(0)} MiB`, '', '']);
    console.log('\n' + table(lines, 1));
    console.log(
      '\nclient CPU: user+system of the client process over its timed window (rxb2 and baseline: process.cpuUsage() from new B2()/authorize to the ' +
        'finished file; rclone: the whole process, from time(1)). Peak RSS: the client process\'s maxRSS. Downloads include the fsync and rename.',
    );

    for (const p of profiles) {
      console.log(`\n### CPU profile: ${p.what} (${o.profileDir || o.keep ? p.file : path.basename(p.file)})\n`);
      console.log(summarizeProfile(p.file, 15));
    }
  } finally {
    agent.destroy();
    await emu?.stop();
    if (o.keep) console.error(`kept ${tmp}`);
    else {
      if (o.profileDir && profileDir) console.error(`profiles kept in ${profileDir}`);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === '--child') {
  childMain(JSON.parse(process.argv[3]) as Job).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
