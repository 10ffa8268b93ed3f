/**
 * Sync benchmark (not a test): `npm run bench:sync -- [--files N] [--runs N] [--concurrency N]
 * [--clients rxb2,rclone,b2sdk] [--write] [--scale N] [--scale-only] [--rclone-transfers N]
 * [--rxb2 bin|driver] [--rxb2-page-size N]`.
 *
 * A folder of 10,000 small files (1–4 KiB, 100 folders of 100, whole-second modification times)
 * synced up into an empty prefix, then again with nothing changed, then again with 1% of the files
 * rewritten (other sizes, newer times), by each client into its own prefix of one bucket on the
 * emulator (a child process, in memory, 127.0.0.1):
 *
 *   rxb2    rxb2 sync DIR b2://bucket/prefix -q --concurrency N: the `rxb2` command as users run
 *           it, the package's bin, bundled into one file (.ci/bundle-bin.mjs; `npm run bench:sync`
 *           writes dist/src/cli/rxb2-bin.js, as `npm pack` writes lib/cjs/cli/rxb2-bin.js).
 *           --rxb2 driver: syncUp(bucket, { localFolder, prefix, concurrency }) from the library
 *           as an application loads it, unbundled (bench/sync-rxb2-driver.ts), for --rxb2-page-size
 *   rclone  rclone sync DIR emu:bucket/prefix --transfers 32 --checkers N --fast-list
 *           (https://rclone.org/b2/: "the optimum setting is about --transfers 32" for B2, and
 *           --fast-list, one recursive listing instead of one per folder; rclone reads each
 *           file's modification time from the listing's src_last_modified_millis, no HEAD)
 *   b2sdk   Synchronizer(max_workers=N), compare by modification time (spec/sync/b2sdk_sync.py up)
 *
 * N is 16 (--concurrency); rclone's transfers 32 (--rclone-transfers); rxb2's names per listing
 * request its default, 1,000 (--rxb2 driver --rxb2-page-size: 10,000 makes one request of the 10,000
 * names, at a higher peak RSS in the --scale run). All three compare by size and modification time
 * (rclone's and b2sdk's default; rxb2's `compare: 'modTime'`, the command's without --checksum or
 * --size-only).
 *
 * Why the bin, bundled: rclone and b2sdk are timed as their users run them (rclone one static
 * binary, b2sdk its Python modules), and so is rxb2: the `rxb2` bin users get is one file bundled by
 * esbuild, which Node starts in about half the CPU time of the ~400 modules an unbundled import
 * loads. An application that imports the library loads those modules once, at its own start, not
 * per sync: --rxb2 driver measures that way (unbundled, start-up included). Every run is its own process timed whole under /usr/bin/time (wall, CPU, peak
 * RSS: start-up included), and checked afterwards (the prefix holds every file). With --runs > 1
 * each round uses new prefixes; medians are printed, with rxb2's speed as a multiple of each peer's
 * (peer seconds / rxb2 seconds). --write adds the table to BENCHMARKS.md.
 *
 * --scale N (e.g. 1000000): also an unchanged comparison of N entries, for each client's peak RSS.
 * A folder tree of N empty files (folders of 1,000, one modification time) in /dev/shm (tmpfs) when
 * there is one, else the OS temp dir; and a prefix holding the same N names. Uploading N files
 * would take longer than the run, so the names are written into an emulator data directory's
 * metadata journal (the records the emulator writes for an empty upload, one per name, with
 * src_last_modified_millis = the files' time) and the emulator is started on it: the clients list
 * a prefix the emulator serves like any other. Every client plans N skips and makes no upload
 * (checked: the prefix still holds N names, each its first version). --scale-only skips the
 * 10,000-file rounds.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmulatorChild } from './emulator-child';
import { RawB2Session, type EmulatorEndpoint } from './raw-b2';
import { rcloneEnv } from './peers/rclone';

const ROOT = path.resolve(__dirname, '..', '..');
const TIME = '/usr/bin/time';
/** The bundled `rxb2` bin, written by `npm run bench:sync` (node .ci/bundle-bin.mjs dist/src/cli/rxb2-bin.js). */
const RXB2_BIN = path.join(__dirname, '..', 'src', 'cli', 'rxb2-bin.js');
const CLIENTS = ['rxb2', 'rclone', 'b2sdk'] as const;
type ClientId = (typeof CLIENTS)[number];
const PHASES = ['initial', 'unchanged', 'changed 1%'] as const;

interface Options {
  files: number;
  runs: number;
  concurrency: number;
  clients: ClientId[];
  write: boolean;
  scale?: number;
  scaleOnly: boolean;
  rcloneTransfers: number;
  /** How rxb2 runs: the bundled `rxb2` bin (default), or syncUp from the library (bench/sync-rxb2-driver.ts). */
  rxb2: 'bin' | 'driver';
  rxb2PageSize?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { files: 10_000, runs: 1, concurrency: 16, clients: [...CLIENTS], write: false, scaleOnly: false, rcloneTransfers: 32, rxb2: 'bin' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${a} needs a whole number >= 1`);
      return v;
    };
    if (a === '--files') o.files = num();
    else if (a === '--runs') o.runs = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--clients') {
      o.clients = (argv[++i] ?? '').split(',').filter(Boolean) as ClientId[];
      for (const c of o.clients) if (!CLIENTS.includes(c)) throw new Error(`--clients: unknown ${c}`);
    } else if (a === '--write') o.write = true;
    else if (a === '--scale') o.scale = num();
    else if (a === '--scale-only') o.scaleOnly = true;
    else if (a === '--rclone-transfers') o.rcloneTransfers = num();
    else if (a === '--rxb2') {
      const how = argv[++i];
      if (how !== 'bin' && how !== 'driver') throw new Error('--rxb2 is bin or driver');
      o.rxb2 = how;
    } else if (a === '--rxb2-page-size') o.rxb2PageSize = num();
    else throw new Error(`unknown option ${a} (see the header of bench/sync.ts)`);
  }
  if (o.rxb2 === 'bin' && o.rxb2PageSize !== undefined) throw new Error('--rxb2-page-size needs --rxb2 driver (the rxb2 command lists with its default page size)');
  if (o.rxb2 === 'bin' && o.clients.includes('rxb2') && !fs.existsSync(RXB2_BIN)) {
    throw new Error(`${RXB2_BIN} is missing: npm run bench:sync builds it (node .ci/bundle-bin.mjs dist/src/cli/rxb2-bin.js)`);
  }
  return o;
}

interface Sample {
  seconds: number;
  cpuS: number;
  maxRss: number;
}

/** Runs a program under /usr/bin/time: wall clock from here, CPU and peak RSS from time(1). */
async function timedProcess(command: string, args: string[], env: NodeJS.ProcessEnv, tmp: string): Promise<Sample & { stdout: string }> {
  const timeFile = path.join(tmp, 'time.txt');
  const t0 = performance.now();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ').slice(0, 300)} exited with ${code}:\n${stderr.slice(-3000)}`);
  const [, user, sys, maxKb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, cpuS: user + sys, maxRss: maxKb * 1024, stdout };
}

/** The test folder: `files` files of 1–4 KiB in folders of 100, whole-second times. */
function makeTree(dir: string, files: number): string[] {
  const names: string[] = [];
  const base = Math.floor(Date.UTC(2025, 0, 1) / 1000);
  let seed = 7;
  for (let i = 0; i < files; i++) {
    const name = `d${String(Math.floor(i / 100)).padStart(3, '0')}/f${String(i % 100).padStart(2, '0')}.dat`;
    const full = path.join(dir, name);
    if (i % 100 === 0) fs.mkdirSync(path.dirname(full), { recursive: true });
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const data = Buffer.alloc(1024 + (seed % 3072), i & 0xff);
    data.writeUInt32LE(i, 0);
    fs.writeFileSync(full, data);
    fs.utimesSync(full, base + i, base + i);
    names.push(name);
  }
  return names;
}

/** Rewrites every hundredth file: another size, a newer time. */
function changeOnePercent(dir: string, names: string[]): number {
  const later = Math.floor(Date.UTC(2025, 5, 1) / 1000);
  let n = 0;
  for (let i = 0; i < names.length; i += 100) {
    const full = path.join(dir, names[i]);
    fs.writeFileSync(full, Buffer.alloc(fs.statSync(full).size + 17, 0x5a));
    fs.utimesSync(full, later + i, later + i);
    n++;
  }
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface RunJob {
  endpoint: EmulatorEndpoint;
  bucketName: string;
  dir: string;
  prefix: string;
  concurrency: number;
  rcloneTransfers: number;
  rxb2: 'bin' | 'driver';
  rxb2PageSize?: number;
  tmp: string;
}

/** A run's job: where it syncs (endpoint, bucket, folder, prefix), with the settings the options give every client. */
function runJob(o: Options, at: Pick<RunJob, 'endpoint' | 'bucketName' | 'dir' | 'prefix' | 'tmp'>): RunJob {
  return { ...at, concurrency: o.concurrency, rcloneTransfers: o.rcloneTransfers, rxb2: o.rxb2, rxb2PageSize: o.rxb2PageSize };
}

/** One client's sync up of `dir` into `prefix`, as a whole process under /usr/bin/time. */
function runClient(client: ClientId, job: RunJob): Promise<Sample> {
  const { endpoint, bucketName, dir, prefix, tmp } = job;
  const n = String(job.concurrency);
  switch (client) {
    case 'rxb2':
      if (job.rxb2 === 'bin') {
        return timedProcess(
          process.execPath,
          [RXB2_BIN, 'sync', dir, `b2://${bucketName}/${prefix}`, '-q', '--concurrency', n],
          { ...process.env, B2_APPLICATION_KEY_ID: endpoint.keyId, B2_APPLICATION_KEY: endpoint.applicationKey, B2_REALM: endpoint.url },
          tmp,
        );
      }
      return timedProcess(
        process.execPath,
        [path.join(__dirname, 'sync-rxb2-driver.js'), JSON.stringify({ emu: endpoint, bucketName, dir, prefix, concurrency: job.concurrency, pageSize: job.rxb2PageSize })],
        process.env,
        tmp,
      );
    case 'rclone':
      return timedProcess(
        '/usr/bin/rclone',
        ['sync', dir, `emu:${bucketName}/${prefix}`, '--transfers', String(job.rcloneTransfers), '--checkers', n, '--fast-list'],
        rcloneEnv(endpoint, tmp),
        tmp,
      );
    case 'b2sdk':
      return timedProcess(
        '/usr/bin/python3',
        ['-B', path.join(ROOT, 'spec', 'sync', 'b2sdk_sync.py'), 'up', dir, bucketName, prefix],
        { ...process.env, B2_INTEROP_REALM: endpoint.url, B2_INTEROP_KEY_ID: endpoint.keyId, B2_INTEROP_KEY: endpoint.applicationKey, B2_SYNC_WORKERS: n },
        tmp,
      );
  }
}

const EMULATOR_OPTIONS = { host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000_000, recommendedPartSize: 100_000_000, md5Limit: 0 };

async function smallFiles(o: Options, tmp: string): Promise<string> {
  const emu = await startEmulatorChild(EMULATOR_OPTIONS);
  try {
    const endpoint: EmulatorEndpoint = { url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
    const raw = new RawB2Session(endpoint);
    await raw.authorize();
    const bucketName = `bench-sync-${Date.now().toString(36)}`;
    const bucketId = await raw.createBucket(bucketName);
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < o.runs; round++) {
      const dir = path.join(tmp, `tree-${round}`);
      const names = makeTree(dir, o.files);
      const order = o.clients.map((_, k) => o.clients[(k + round) % o.clients.length]);
      for (const phase of PHASES) {
        if (phase === 'changed 1%') console.log(`round ${round + 1}: ${changeOnePercent(dir, names)} files rewritten`);
        for (const client of order) {
          const prefix = `r${round}-${client}`;
          const s = await runClient(client, runJob(o, { endpoint, bucketName, dir, prefix, tmp }));
          const stored = await raw.listAll(bucketId, 1000, `${prefix}/`);
          if (stored !== o.files) throw new Error(`${client} ${phase}: ${stored} files under ${prefix}/, expected ${o.files}`);
          const key = `${phase}|${client}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          console.log(`round ${round + 1} ${phase.padEnd(10)} ${client.padEnd(6)} ${s.seconds.toFixed(2)} s, CPU ${s.cpuS.toFixed(2)} s, RSS ${mib(s.maxRss)} MiB`);
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const lines = [
      `### Sync up ${o.files.toLocaleString('en-US')} small files (${o.concurrency} at a time; medians of ${o.runs} run${o.runs === 1 ? '' : 's'}; whole processes)`,
      '',
      '| phase | client | seconds | CPU s | peak RSS MiB | rxb2 speed × |',
      '|---|---|---:|---:|---:|---:|',
    ];
    for (const phase of PHASES) {
      const rx = median((samples.get(`${phase}|rxb2`) ?? []).map((s) => s.seconds));
      for (const client of o.clients) {
        const list = samples.get(`${phase}|${client}`) ?? [];
        const sec = median(list.map((s) => s.seconds));
        const ratio = client === 'rxb2' || !rx ? '' : (sec / rx).toFixed(2);
        lines.push(`| ${phase} | ${client} | ${sec.toFixed(2)} | ${median(list.map((s) => s.cpuS)).toFixed(2)} | ${mib(Math.max(...list.map((s) => s.maxRss)))} | ${ratio} |`);
      }
    }
    return lines.join('\n');
  } finally {
    await emu.stop();
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/** Versions under a prefix (b2_list_file_versions, pages of 10,000). */
async function countVersions(raw: RawB2Session, bucketId: string, prefix: string): Promise<number> {
  let n = 0;
  let next: { startFileName: string; startFileId: string } | undefined;
  do {
    const page: { files: unknown[]; nextFileName: string | null; nextFileId: string | null } = await raw.call('b2_list_file_versions', {
      bucketId,
      prefix,
      maxFileCount: 10_000,
      ...next,
    });
    n += page.files.length;
    next = page.nextFileName && page.nextFileId ? { startFileName: page.nextFileName, startFileId: page.nextFileId } : undefined;
  } while (next);
  return n;
}

/** The --scale run: N names on both sides, nothing changed; each client's time and peak RSS. */
async function scaleRun(o: Options, tmp: string, n: number): Promise<string> {
  const base = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/rxb2-bench-sync-') : fs.mkdtempSync(path.join(tmp, 'scale-'));
  try {
    const dir = path.join(base, 'tree');
    const dataDir = path.join(base, 'emulator');
    const mtime = Math.floor(Date.UTC(2025, 0, 1) / 1000);
    const t0 = performance.now();
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `d${String(Math.floor(i / 1000)).padStart(4, '0')}/f${String(i % 1000).padStart(3, '0')}`;
      const full = path.join(dir, name);
      if (i % 1000 === 0) fs.mkdirSync(path.dirname(full), { recursive: true });
      const fd = fs.openSync(full, 'w');
      fs.futimesSync(fd, mtime, mtime);
      fs.closeSync(fd);
      names.push(name);
    }
    console.log(`scale: ${n.toLocaleString('en-US')} empty files in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    // The account and the bucket made by the emulator itself; then one journal record per name.
    fs.mkdirSync(dataDir);
    let emu = await startEmulatorChild({ ...EMULATOR_OPTIONS, dataDir });
    const bucketName = `bench-scale-${Date.now().toString(36)}`;
    let bucketId: string;
    try {
      const raw = new RawB2Session({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey });
      await raw.authorize();
      bucketId = await raw.createBucket(bucketName);
    } finally {
      await emu.stop();
    }
    const prefix = 'scale';
    const journal = fs.openSync(path.join(dataDir, 'journal.jsonl'), 'a');
    const now = Date.now();
    let lines: string[] = [];
    for (let i = 0; i < n; i++) {
      // What the emulator journals for an empty upload (b2_upload_file), with a unique id.
      const fileId = `4_z${bucketId}_f1${i.toString(16).padStart(15, '0')}_d20250101_m000000_c000_v0001000_t0000`;
      const record = {
        fileId,
        bucketId,
        fileName: `${prefix}/${names[i]}`,
        action: 'upload',
        contentLength: 0,
        contentSha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
        contentMd5: 'd41d8cd98f00b204e9800998ecf8427e',
        contentType: 'application/octet-stream',
        fileInfo: { src_last_modified_millis: String(mtime * 1000) },
        uploadTimestamp: now,
        seq: i + 1,
        sse: { mode: null, algorithm: null },
        retention: null,
        legalHold: null,
        segments: [],
        isLargeFile: false,
      };
      lines.push(JSON.stringify({ op: 'put', kind: 'file', id: fileId, record }));
      if (lines.length === 10_000 || i === n - 1) {
        fs.writeSync(journal, lines.join('\n') + '\n');
        lines = [];
      }
    }
    fs.closeSync(journal);
    const t1 = performance.now();
    emu = await startEmulatorChild({ ...EMULATOR_OPTIONS, dataDir });
    console.log(`scale: emulator started on ${n.toLocaleString('en-US')} names (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
    const rows = [
      `### Unchanged comparison of ${n.toLocaleString('en-US')} entries (a folder tree of empty files against a prefix of the same names; whole processes)`,
      '',
      '| client | seconds | CPU s | peak RSS MiB |',
      '|---|---:|---:|---:|',
    ];
    try {
      const endpoint: EmulatorEndpoint = { url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
      const raw = new RawB2Session(endpoint);
      await raw.authorize();
      for (const client of o.clients) {
        const s = await runClient(client, runJob(o, { endpoint, bucketName, dir, prefix, tmp }));
        // Nothing uploaded: still N names, one version each.
        const versions = await countVersions(raw, bucketId, `${prefix}/`);
        if (versions !== n) throw new Error(`scale ${client}: ${versions} versions under ${prefix}/, expected ${n}`);
        console.log(`scale ${client.padEnd(6)} ${s.seconds.toFixed(2)} s, CPU ${s.cpuS.toFixed(2)} s, RSS ${mib(s.maxRss)} MiB`);
        rows.push(`| ${client} | ${s.seconds.toFixed(2)} | ${s.cpuS.toFixed(2)} | ${mib(s.maxRss)} |`);
      }
    } finally {
      await emu.stop();
    }
    return rows.join('\n');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-bench-sync-'));
  try {
    const tables: string[] = [];
    if (!o.scaleOnly) tables.push(await smallFiles(o, tmp));
    if (o.scale !== undefined) tables.push(await scaleRun(o, tmp, o.scale));
    const table = tables.join('\n\n');
    console.log(`\n${table}\n`);
    if (o.write) {
      const file = path.join(ROOT, 'BENCHMARKS.md');
      fs.appendFileSync(
        file,
        `\n${table}\n\nrclone ${'`'}sync --transfers ${o.rcloneTransfers} --checkers ${o.concurrency} --fast-list${'`'}; b2sdk ${'`'}Synchronizer(max_workers=${o.concurrency})${'`'}; rxb2 ${o.rxb2 === 'bin' ? `${'`'}rxb2 sync DIR b2://BUCKET/PREFIX -q --concurrency ${o.concurrency}${'`'} (the package's bundled bin)` : `${'`'}syncUp(…, { concurrency: ${o.concurrency} })${'`'} (the library, unbundled)`}. \`npm run bench:sync\` (bench/sync.ts).\n`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
