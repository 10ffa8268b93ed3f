/**
 * Emulator throughput benchmark (not a test): `npm run bench:emulator -- [--size MiB] [--runs N]
 * [--targets a,b,...] [--order sequential|round-robin] [--keep] [--verbose]`.
 *
 * Uploads and downloads one large file (default 1 GiB) through raw `node:http` on 127.0.0.1 and
 * prints MB/s (MB = 10^6 bytes) for each target and each server's peak RSS:
 *
 *   baseline-memory   a bare node:http server. Upload: SHA-1 the body, check it, discard it.
 *                     Download: stream `size` bytes of the same repeated 1 MiB buffer the client
 *                     uploads (1 MiB writes, honouring backpressure); the client hashes it.
 *                     That is the ceiling for any node:http server that verifies SHA-1 (the
 *                     emulator must) and serves bytes it already holds, with the same client.
 *   baseline-disk     as baseline-memory but the upload is also written to a file in a temp
 *                     directory (1 MiB writes) and fsynced before answering; the download streams
 *                     that file back (1 MiB reads). Context for the data-dir figures: what the
 *                     disk costs on top of HTTP + SHA-1.
 *   emulator-memory   startEmulator() without a data directory.
 *   emulator-disk     startEmulator() with a temp data directory.
 *
 * Every server runs in its own child process (this file, re-run with `--child ...`), so its peak
 * RSS (process.resourceUsage().maxRSS, asked over IPC at the end) is its own. The client, in this
 * process, never allocates the whole body: it writes one random 1 MiB buffer `size` times, its
 * SHA-1 computed up front by hashing that buffer `size` times.
 *
 * The emulator flow is B2's: b2_authorize_account (Basic auth) -> b2_create_bucket (allPrivate)
 * -> b2_get_upload_url -> POST the body (X-Bz-File-Name, Content-Type, Content-Length,
 * X-Bz-Content-Sha1) -> GET {downloadUrl}/file/<bucket>/<name> with the account token, hashing
 * and checking the body. Only the upload POST and the download GET are timed (request start to
 * last response byte). Each target repeats both --runs times (default 3; back to back, or with
 * --order round-robin interleaved with the other targets) and the best is kept (the emulator
 * deletes each uploaded version after its download so memory does not pile up):
 * a single run is dominated by noise such as first-touch page faults when a process or the page
 * cache first grows by 1 GiB (in a VM several times slower than reusing memory), which makes a
 * one-shot figure depend on the order the targets run in.
 *
 * Targets: >= 0.8x baseline-memory in memory, >= 0.5x with a data dir, data-dir peak RSS < 150 MiB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const MiB = 1024 * 1024;
const HOST = '127.0.0.1';

/** The body: one pseudo-random 1 MiB block, the same in every process (AES-CTR keystream of a fixed key). */
function makePattern(): Buffer {
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return cipher.update(Buffer.alloc(MiB));
}

function repeatedSha1(pattern: Buffer, bytes: number): string {
  const hash = crypto.createHash('sha1');
  for (let done = 0; done < bytes; done += pattern.length) {
    hash.update(pattern.subarray(0, Math.min(pattern.length, bytes - done)));
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Children (servers)

interface ChildReady {
  url: string;
  keyId?: string;
  applicationKey?: string;
}

/** Answers the parent's stats request over IPC, then exits when told to. */
function serveStats(): void {
  process.on('message', (message: unknown) => {
    if (message === 'stats') {
      process.send!({
        maxRss: process.resourceUsage().maxRSS * 1024,
        rss: process.memoryUsage().rss,
      });
    } else if (message === 'exit') {
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function emulatorChild(dataDir: string | undefined): Promise<void> {
  // Loaded only in the child, so the parent (the client) stays a bare node process.
  const { startEmulator } = await import('../src/emulator');
  const emulator = await startEmulator({ host: HOST, port: 0, ...(dataDir ? { dataDir } : {}) });
  const ready: ChildReady = { url: emulator.url, keyId: emulator.keyId, applicationKey: emulator.applicationKey };
  serveStats();
  process.stdout.write(JSON.stringify(ready) + '\n');
}

async function baselineChild(dataDir: string | undefined): Promise<void> {
  const pattern = makePattern();
  const bodyFile = dataDir ? path.join(dataDir, 'body.bin') : null;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (req.method === 'POST' && url.pathname === '/upload') {
      const hash = crypto.createHash('sha1');
      let received = 0;
      const out = bodyFile ? fs.createWriteStream(bodyFile, { highWaterMark: MiB }) : null;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (out && !out.write(chunk)) {
          req.pause();
          out.once('drain', () => req.resume());
        }
      });
      req.on('end', () => {
        const answer = (): void => {
          const sha1 = hash.digest('hex');
          const ok = sha1 === req.headers['x-bz-content-sha1'];
          res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ contentSha1: sha1, contentLength: received }));
        };
        if (!out) return answer();
        out.end(() => {
          // Durable before answering, as the emulator's commit is.
          const fd = fs.openSync(bodyFile!, 'r+');
          fs.fsync(fd, () => fs.close(fd, answer));
        });
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/download') {
      const bytes = Number(url.searchParams.get('bytes'));
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes });
      if (bodyFile) {
        fs.createReadStream(bodyFile, { start: 0, end: bytes - 1, highWaterMark: MiB }).pipe(res);
        return;
      }
      let sent = 0;
      const pump = (): void => {
        while (sent < bytes) {
          const n = Math.min(pattern.length, bytes - sent);
          sent += n;
          if (!res.write(n === pattern.length ? pattern : pattern.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as { port: number }).port;
  serveStats();
  process.stdout.write(JSON.stringify({ url: `http://${HOST}:${port}` } satisfies ChildReady) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Client

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true });

function request(method: string, url: string, headers: http.OutgoingHttpHeaders, body?: unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload ? { ...headers, 'Content-Type': 'application/json', 'Content-Length': payload.length } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function json<T>(method: string, url: string, headers: http.OutgoingHttpHeaders, body?: unknown): Promise<T> {
  const res = await request(method, url, headers, body);
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${url} -> ${res.status}: ${res.body.toString().slice(0, 500)}`);
  }
  return JSON.parse(res.body.toString()) as T;
}

/** POSTs `bytes` bytes (the pattern over and over, 1 MiB writes with backpressure); returns seconds. */
function timedUpload(url: string, headers: http.OutgoingHttpHeaders, pattern: Buffer, bytes: number): Promise<{ seconds: number; status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': bytes } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        stopped = true;
        resolve({ seconds: (performance.now() - started) / 1000, status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    let sent = 0;
    let stopped = false;
    const pump = (): void => {
      while (sent < bytes && !stopped) {
        const n = Math.min(pattern.length, bytes - sent);
        sent += n;
        if (!req.write(n === pattern.length ? pattern : pattern.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (sent >= bytes) req.end();
    };
    pump();
  });
}

/** GETs a body, hashing it as it arrives; returns seconds, bytes and SHA-1. */
function timedDownload(url: string, headers: http.OutgoingHttpHeaders): Promise<{ seconds: number; bytes: number; sha1: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: 'GET', agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => reject(new Error(`GET ${url} -> ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 500)}`)));
        return;
      }
      const hash = crypto.createHash('sha1');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ seconds: (performance.now() - started) / 1000, bytes, sha1: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Driver

type Target = 'baseline-memory' | 'baseline-disk' | 'emulator-memory' | 'emulator-disk';
const TARGETS: Target[] = ['baseline-memory', 'baseline-disk', 'emulator-memory', 'emulator-disk'];

interface Result {
  target: Target;
  uploadSeconds: number;
  downloadSeconds: number;
  maxRss: number;
}

interface Options {
  sizeMiB: number;
  runs: number;
  targets: Target[];
  keep: boolean;
  verbose: boolean;
  order: 'sequential' | 'round-robin';
}

function parseArgs(argv: string[]): Options {
  const options: Options = { sizeMiB: 1024, runs: 3, targets: TARGETS, keep: false, verbose: false, order: 'sequential' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--size') options.sizeMiB = Number(value());
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--targets') options.targets = [...new Set(value().split(','))] as Target[];
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--verbose') options.verbose = true;
    else if (arg === '--order') {
      const order = value();
      if (order !== 'sequential' && order !== 'round-robin') throw new Error('--order is sequential or round-robin');
      options.order = order;
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(options.sizeMiB) || options.sizeMiB < 1) throw new Error('--size must be a whole number of MiB >= 1');
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs must be >= 1');
  for (const target of options.targets) if (!TARGETS.includes(target)) throw new Error(`unknown target ${target}`);
  return options;
}

interface Child {
  process: ChildProcess;
  ready: ChildReady;
}

async function startChild(kind: 'emulator' | 'baseline', dataDir: string | undefined): Promise<Child> {
  const args = [__filename, '--child', kind, ...(dataDir ? ['--data', dataDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${kind} child exited (${signal ?? code}) before it was ready`)));
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as ChildReady);
      } catch {
        reject(new Error(`${kind} child printed ${line}`));
      }
    });
  });
  // Anything else it prints goes to our stderr.
  lines.on('line', (line) => process.stderr.write(`[${kind}] ${line}\n`));
  return { process: child, ready };
}

async function stopChild(child: Child): Promise<number> {
  const stats = await new Promise<{ maxRss: number }>((resolve) => {
    child.process.once('message', (message) => resolve(message as { maxRss: number }));
    child.process.send('stats');
  });
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.send('exit');
  await exited;
  return stats.maxRss;
}

function check(what: string, got: unknown, expected: unknown): void {
  if (got !== expected) throw new Error(`${what}: got ${String(got)}, expected ${String(expected)}`);
}

/** A started server for one target: `run` does one timed upload and one timed download. */
interface Session {
  target: Target;
  child: Child;
  dataDir: string | undefined;
  run(index: number): Promise<{ upload: number; download: number }>;
}

async function openBaseline(target: Target, bytes: number, pattern: Buffer, sha1: string, dataDir: string | undefined): Promise<Session> {
  const child = await startChild('baseline', dataDir);
  return {
    target,
    child,
    dataDir,
    run: async () => {
      const up = await timedUpload(`${child.ready.url}/upload`, { 'Content-Type': 'application/octet-stream', 'X-Bz-Content-Sha1': sha1 }, pattern, bytes);
      check(`${target} upload status`, up.status, 200);
      const down = await timedDownload(`${child.ready.url}/download?bytes=${bytes}`, {});
      check(`${target} download length`, down.bytes, bytes);
      check(`${target} download sha1`, down.sha1, sha1);
      return { upload: up.seconds, download: down.seconds };
    },
  };
}

async function openEmulator(target: Target, bytes: number, pattern: Buffer, sha1: string, dataDir: string | undefined): Promise<Session> {
  const child = await startChild('emulator', dataDir);
  try {
    const { url, keyId, applicationKey } = child.ready;
    const basic = Buffer.from(`${keyId}:${applicationKey}`).toString('base64');
    const auth = await json<{ accountId: string; authorizationToken: string; apiUrl: string; downloadUrl: string }>('GET', `${url}/b2api/v2/b2_authorize_account`, {
      Authorization: `Basic ${basic}`,
    });
    const api = (call: string): string => `${auth.apiUrl}/b2api/v2/${call}`;
    const token = { Authorization: auth.authorizationToken };
    const bucketName = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const bucket = await json<{ bucketId: string }>('POST', api('b2_create_bucket'), token, {
      accountId: auth.accountId,
      bucketName,
      bucketType: 'allPrivate',
    });
    return {
      target,
      child,
      dataDir,
      run: async (index) => {
        const fileName = `big/file-${index}.bin`;
        const uploadUrl = await json<{ uploadUrl: string; authorizationToken: string }>('POST', api('b2_get_upload_url'), token, {
          bucketId: bucket.bucketId,
        });
        const up = await timedUpload(
          uploadUrl.uploadUrl,
          {
            Authorization: uploadUrl.authorizationToken,
            'X-Bz-File-Name': encodeURIComponent(fileName).replace(/%2F/g, '/'),
            'Content-Type': 'application/octet-stream',
            'X-Bz-Content-Sha1': sha1,
          },
          pattern,
          bytes,
        );
        if (up.status !== 200) throw new Error(`${target} upload -> ${up.status}: ${up.body.toString().slice(0, 500)}`);
        const file = JSON.parse(up.body.toString()) as { fileId: string; contentSha1: string; contentLength: number };
        check(`${target} uploaded sha1`, file.contentSha1, sha1);
        check(`${target} uploaded length`, file.contentLength, bytes);

        const down = await timedDownload(`${auth.downloadUrl}/file/${bucketName}/${fileName}`, token);
        check(`${target} download length`, down.bytes, bytes);
        check(`${target} download sha1`, down.sha1, sha1);
        // Drop the version so N runs do not hold N bodies.
        await json('POST', api('b2_delete_file_version'), token, { fileName, fileId: file.fileId });
        return { upload: up.seconds, download: down.seconds };
      },
    };
  } catch (error) {
    child.process.kill('SIGKILL');
    throw error;
  }
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const bytes = options.sizeMiB * MiB;
  const pattern = makePattern();
  const sha1 = repeatedSha1(pattern, bytes);
  console.log(
    `rxb2 emulator bench: ${options.sizeMiB} MiB body, best of ${options.runs} run(s), node ${process.version}, ` +
      `${os.cpus().length} CPU(s), loopback ${HOST}, ${options.order}; MB = 10^6 bytes`,
  );

  // Every server is started first. --order sequential (default): a target's runs back to back.
  // --order round-robin: run 1 of each target, then run 2 of each, ... (slow drifts of the machine
  // hit every target alike, but in a VM that hands freed memory back to the host, e.g. Firecracker
  // with free page reporting, each 1 GiB run then faults its memory in afresh at host speed).
  const sessions: Session[] = [];
  const results = new Map<Target, Result>();
  try {
    for (const target of options.targets) {
      const dataDir = target.endsWith('-disk') ? fs.mkdtempSync(path.join(os.tmpdir(), `rxb2-bench-${target}-`)) : undefined;
      try {
        const open = target.startsWith('baseline') ? openBaseline : openEmulator;
        sessions.push(await open(target, bytes, pattern, sha1, dataDir));
      } catch (error) {
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
    }
    const best = new Map<Target, { upload: number; download: number }>();
    const schedule: Array<[Session, number]> = [];
    if (options.order === 'sequential') {
      for (const session of sessions) for (let run = 0; run < options.runs; run++) schedule.push([session, run]);
    } else {
      for (let run = 0; run < options.runs; run++) for (const session of sessions) schedule.push([session, run]);
    }
    for (const [session, run] of schedule) {
      const times = await session.run(run);
      if (options.verbose) {
        console.log(
          `  run ${run + 1} ${pad(session.target, 16)} upload ${(bytes / 1e6 / times.upload).toFixed(0)} MB/s, download ${(bytes / 1e6 / times.download).toFixed(0)} MB/s`,
        );
      }
      const previous = best.get(session.target) ?? { upload: Infinity, download: Infinity };
      best.set(session.target, { upload: Math.min(previous.upload, times.upload), download: Math.min(previous.download, times.download) });
    }
    for (const session of sessions) {
      const times = best.get(session.target)!;
      results.set(session.target, {
        target: session.target,
        uploadSeconds: times.upload,
        downloadSeconds: times.download,
        maxRss: await stopChild(session.child),
      });
    }
  } finally {
    for (const session of sessions) {
      if (session.child.process.exitCode === null && session.child.process.signalCode === null) session.child.process.kill('SIGKILL');
      if (session.dataDir && !options.keep) fs.rmSync(session.dataDir, { recursive: true, force: true });
      else if (session.dataDir) console.log(`  ${session.target}: data kept in ${session.dataDir}`);
    }
  }

  const mbps = (seconds: number): number => bytes / 1e6 / seconds;
  console.log('');
  console.log(`${pad('target', 18)}${pad('upload MB/s', 14, true)}${pad('download MB/s', 16, true)}${pad('peak RSS MiB', 15, true)}`);
  for (const result of results.values()) {
    console.log(
      pad(result.target, 18) +
        pad(mbps(result.uploadSeconds).toFixed(0), 14, true) +
        pad(mbps(result.downloadSeconds).toFixed(0), 16, true) +
        pad((result.maxRss / MiB).toFixed(0), 15, true),
    );
  }

  const ratio = (target: Target, base: Target, direction: 'upload' | 'download'): number | null => {
    const a = results.get(target);
    const b = results.get(base);
    if (!a || !b) return null;
    const key = direction === 'upload' ? 'uploadSeconds' : 'downloadSeconds';
    return b[key] / a[key];
  };
  const lines: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'BELOW TARGET');
  for (const [target, minimum] of [
    ['emulator-memory', 0.8],
    ['emulator-disk', 0.5],
  ] as Array<[Target, number]>) {
    for (const direction of ['upload', 'download'] as const) {
      const r = ratio(target, 'baseline-memory', direction);
      if (r === null) continue;
      let line = `${pad(`${target} / baseline-memory ${direction}`, 46)}${r.toFixed(2)}x  (target >= ${minimum}x: ${verdict(r >= minimum)})`;
      const vsDisk = target === 'emulator-disk' ? ratio(target, 'baseline-disk', direction) : null;
      if (vsDisk !== null) line += `  [vs baseline-disk ${vsDisk.toFixed(2)}x]`;
      lines.push(line);
    }
  }
  const disk = results.get('emulator-disk');
  if (disk) {
    const rss = disk.maxRss / MiB;
    lines.push(`${pad('emulator-disk peak RSS', 46)}${rss.toFixed(0)} MiB  (target < 150 MiB: ${verdict(rss < 150)})`);
  }
  if (lines.length > 0) {
    console.log('');
    for (const line of lines) console.log(line);
  }
}

function childMain(argv: string[]): void {
  const kind = argv[argv.indexOf('--child') + 1];
  const dataIndex = argv.indexOf('--data');
  const dataDir = dataIndex >= 0 ? argv[dataIndex + 1] : undefined;
  const run = kind === 'emulator' ? emulatorChild(dataDir) : kind === 'baseline' ? baselineChild(dataDir) : Promise.reject(new Error(`unknown child ${kind}`));
  run.catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

if (process.argv.includes('--child')) {
  childMain(process.argv);
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
