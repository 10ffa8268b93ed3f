/**
 * rxb2 against its peers (not a test): `npm run bench -- [--runs N] [--only SCENARIOS]
 * [--clients CLIENTS] [--size MiB] [--download-part-size BYTES] [--small N] [--small-size BYTES] [--list N] [--quick]
 * [--scale] [--out FILE] [--chart FILE] [--no-write] [--verbose]`.
 *
 * Starts the emulator in a child process (in memory, 127.0.0.1) and runs four scenarios with each
 * client, every run in a FRESH client process (bench/peers: one driver per client, the same job for
 * each):
 *
 *   upload-large    a 1 GiB random file from disk, large-file parts of 100,000,000 bytes, 4 in flight
 *   download-large  that file back to disk (parallel ranged streams where the client has them)
 *   upload-small    2,000 files of 4 KiB from disk, 16 at a time
 *   list            100,000 file names under one prefix, pages of 1,000
 *
 * Clients: rxb2 (given the file's SHA-1 for large_file_sha1, as the baseline and b2sdk are; and, in
 * the large upload only, `rxb2-hash-ahead`: rxb2 as it runs by default, hashing the file ahead
 * itself, to show that cost); the raw node:http baseline making the same B2 calls by hand (the floor for a Node
 * client); the npm package backblaze-b2; Backblaze's b2sdk (Debian's python3-b2sdk, run by
 * /usr/bin/python3); rclone (Debian, b2 backend). A client that is not installed is skipped and
 * said so (`npm run bench` installs them first: bench/install-peers.sh).
 *
 * Runs are interleaved (each round runs every client once, the starting client rotating) `--runs`
 * times (default 5); the tables give medians, and the largest peak RSS. Per run: wall seconds of
 * the client's timed window (from before the client is created to the last operation done; rclone:
 * its whole process), client CPU seconds (user + system), client peak RSS, and the emulator's CPU.
 * Every run is checked afterwards (sizes, counts, large_file_sha1 where the client sets it, the
 * downloaded bytes' SHA-1 on each client's first run). Writes BENCHMARKS.md (tables, ratios
 * rxb2/peer and rxb2/baseline from this run, the targets) and bench/benchmarks.svg (chart).
 *
 * --scale (growth): after those, rxb2 and the baseline also list 10× the names (1,000,000: the
 * listing's prefix grown to that, untimed) and upload 10× the small files (20,000), `--runs` rounds;
 * the report's Growth table puts each client's client CPU per item and peak RSS at 10× beside
 * those of its 1× runs in the same run (target: rxb2 within 10% of both, so cost per item and
 * memory stay flat as a bucket or a batch grows). It needs list and upload-small in --only.
 *
 * Targets (bench-report.ts TARGETS): large upload ≥ 1.25× every peer and ≥ 0.95× the baseline;
 * download ≥ 1.25× every peer and ≥ 1.1× the baseline; both at a client peak RSS ≤ 150 MiB; small
 * uploads ≥ 1.5× backblaze-b2, ≥ every other peer and ≥ 0.9× the baseline; listing ≥ 1.2× every
 * peer and ≥ 0.95× the baseline.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulatorChild, type EmulatorChild } from './emulator-child';
import { RawB2Session, agent, type FileWire } from './raw-b2';
import { runDriver, runNodeDriver, type Job, type Result, type Scenario } from './peers/job';
import { haveRclone, rcloneJob, rcloneVersion } from './peers/rclone';
import { writeReport, type ClientRow, type Environment, type ScenarioSettings } from './bench-report';
import { makeFile, sha1OfFile } from './test-file';

const MiB = 1 << 20;
const HOST = '127.0.0.1';
const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const B2SDK_DRIVER = path.join(ROOT, 'bench', 'peers', 'b2sdk_client.py');

export const SCENARIOS: Scenario[] = ['upload-large', 'download-large', 'upload-small', 'list'];
export const CLIENTS = ['rxb2', 'rxb2-hash-ahead', 'baseline', 'backblaze-b2', 'b2sdk', 'rclone'] as const;
export type ClientId = (typeof CLIENTS)[number];

interface Options extends ScenarioSettings {
  runs: number;
  scenarios: Scenario[];
  clients: ClientId[];
  out: string;
  chart: string;
  write: boolean;
  verbose: boolean;
  /** The growth runs (--scale): list and upload-small again at SCALE times the items. */
  scale: boolean;
}

/** How many times the items of list and upload-small a --scale run takes (1,000,000 names, 20,000 files). */
const SCALE = 10;
/** The clients of a --scale run: rxb2, and the baseline to tell the client's growth from the server's. */
const SCALE_CLIENTS: readonly ClientId[] = ['rxb2', 'baseline'];

function parseArgs(argv: string[]): Options {
  const o: Options = {
    runs: 5,
    scenarios: [...SCENARIOS],
    clients: [...CLIENTS],
    sizeMiB: 1024,
    partSize: 100_000_000,
    downloadPartSize: 16 * MiB,
    largeConcurrency: 4,
    small: 2000,
    smallSize: 4096,
    smallConcurrency: 16,
    list: 100_000,
    pageSize: 1000,
    out: path.join(ROOT, 'BENCHMARKS.md'),
    chart: path.join(ROOT, 'bench', 'benchmarks.svg'),
    write: true,
    verbose: false,
    scale: false,
  };
  const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T[] => {
    const items = (value ?? '').split(',').filter(Boolean);
    for (const i of items) if (!allowed.includes(i as T)) throw new Error(`${flag}: unknown "${i}" (one of ${allowed.join(', ')})`);
    if (items.length === 0) throw new Error(`${flag} needs a comma-separated list of ${allowed.join(', ')}`);
    return items as T[];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min = 1): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < min) throw new Error(`${a} needs a whole number >= ${min}`);
      return v;
    };
    if (a === '--runs') o.runs = num();
    else if (a === '--only') o.scenarios = oneOf(argv[++i], SCENARIOS, a);
    else if (a === '--clients') o.clients = oneOf(argv[++i], CLIENTS, a);
    else if (a === '--size') o.sizeMiB = num();
    else if (a === '--download-part-size') o.downloadPartSize = num();
    else if (a === '--small') o.small = num();
    else if (a === '--small-size') o.smallSize = num(0);
    else if (a === '--list') o.list = num();
    else if (a === '--quick') Object.assign(o, { runs: 1, sizeMiB: 256, small: 500, list: 10_000 });
    else if (a === '--out') o.out = path.resolve(argv[++i] ?? '');
    else if (a === '--chart') o.chart = path.resolve(argv[++i] ?? '');
    else if (a === '--no-write') o.write = false;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--scale') o.scale = true;
    else throw new Error(`unknown option ${a} (see the header of bench/bench.ts)`);
  }
  if (!o.clients.includes('rxb2')) o.clients.unshift('rxb2');
  if (o.scale && !(o.scenarios.includes('list') && o.scenarios.includes('upload-small'))) {
    throw new Error('--scale compares with the 1× list and upload-small runs of the same run: keep both in --only');
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Clients

interface Client {
  id: ClientId;
  /** Why it cannot run here, if it cannot. */
  missing?: string;
  /** The scenarios it runs (default: all). */
  only?: Scenario[];
  run(job: Job): Promise<Result>;
}

function canRun(cmd: string, args: string[]): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function clientsFor(o: Options, tmp: string): Promise<Client[]> {
  const rclone = haveRclone() ? rcloneVersion() : undefined;
  const b2sdk = await canRun(PYTHON, ['-c', 'import b2sdk.v2']);
  let backblaze = true;
  try {
    require.resolve('backblaze-b2');
  } catch {
    backblaze = false;
  }
  const all: Client[] = [
    { id: 'rxb2', run: (job) => runNodeDriver('rxb2', job) },
    // rxb2 as it runs by default: it computes large_file_sha1 itself, hashing the file ahead. The
    // other rows are given the SHA-1 (b2sdk's large_file_sha1, the baseline's, rxb2's own row):
    // this row shows what the hashing costs (context, compared with rxb2's row and rclone's).
    { id: 'rxb2-hash-ahead', only: ['upload-large'], run: (job) => runNodeDriver('rxb2', { ...job, hashAhead: true }) },
    { id: 'baseline', run: (job) => runNodeDriver('raw', job) },
    { id: 'backblaze-b2', missing: backblaze ? undefined : 'npm package backblaze-b2 not installed (npm ci)', run: (job) => runNodeDriver('backblaze-b2', job) },
    { id: 'b2sdk', missing: b2sdk ? undefined : `${PYTHON} cannot import b2sdk (apt-get install python3-b2sdk)`, run: (job) => runDriver('b2sdk', PYTHON, [B2SDK_DRIVER], job) },
    { id: 'rclone', missing: rclone ? undefined : 'rclone or /usr/bin/time missing (apt-get install rclone time)', run: (job) => rcloneJob(job, tmp, rclone!) },
  ];
  return all.filter((c) => o.clients.includes(c.id));
}

// ---------------------------------------------------------------------------------------------
// The run

const log = (text: string): void => void process.stderr.write(text + '\n');

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-bench-'));
  let emu: EmulatorChild | undefined;
  try {
    const clients = await clientsFor(o, tmp);
    for (const c of clients) if (c.missing) log(`skipping ${c.id}: ${c.missing}`);
    const active = clients.filter((c) => !c.missing);

    emu = await startEmulatorChild({ host: HOST, port: 0, absoluteMinimumPartSize: 5_000_000, recommendedPartSize: o.partSize, md5Limit: 0 });
    const endpoint = { url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
    const raw = new RawB2Session(endpoint);
    await raw.authorize();
    const stamp = Date.now().toString(36);
    const bucket = async (what: string): Promise<{ name: string; id: string }> => {
      const name = `bench-${what}-${stamp}`;
      return { name, id: await raw.createBucket(name) };
    };

    const rows = new Map<string, ClientRow>();
    const rowOf = (scenario: Scenario, c: Client, scale: number): ClientRow => {
      const key = `${scenario}/${c.id}/${scale}`;
      if (!rows.has(key)) rows.set(key, { scenario, client: c.id, version: '', samples: [], ...(scale === 1 ? {} : { scale }) });
      return rows.get(key)!;
    };
    const emuRef = emu;
    /** One measured run (of `scale` times the scenario's items): the emulator's CPU around it; `check` afterwards (untimed). */
    const measure = async (scenario: Scenario, c: Client, job: Job, check: (r: Result) => Promise<void>, scale = 1): Promise<void> => {
      const s0 = await emuRef.stats();
      const r = await c.run(job);
      const s1 = await emuRef.stats();
      await check(r);
      const row = rowOf(scenario, c, scale);
      row.version ||= r.version;
      row.note ||= r.note;
      row.samples.push({ seconds: r.seconds, cpuS: r.cpuS, maxRss: r.maxRss, count: r.count, bytes: r.bytes, serverCpuS: (s1.cpuUs - s0.cpuUs) / 1e6, hashAheadS: r.hashAheadS });
      if (o.verbose) log(`  ${scenario}${scale === 1 ? '' : ` ×${scale}`} ${c.id}: ${r.seconds.toFixed(2)} s, CPU ${r.cpuS.toFixed(2)} s, RSS ${(r.maxRss / MiB).toFixed(0)} MiB`);
    };
    /** Each round runs every client once; the first client rotates so no one always goes first. */
    const rounds = async (scenario: Scenario, each: (c: Client, round: number) => Promise<void>, scale = 1): Promise<void> => {
      for (let r = 0; r < o.runs; r++) {
        log(`${scenario}${scale === 1 ? '' : ` ×${scale}`}: round ${r + 1}/${o.runs}`);
        const here = active.filter((c) => (!c.only || c.only.includes(scenario)) && (scale === 1 || SCALE_CLIENTS.includes(c.id)));
        for (let k = 0; k < here.length; k++) await each(here[(k + r) % here.length], r);
      }
    };
    const want = (s: Scenario) => o.scenarios.includes(s);
    const size = o.sizeMiB * MiB;

    // ------------------------------------------------------------ large files
    if (want('upload-large') || want('download-large')) {
      const source = path.join(tmp, 'source.bin');
      log(`writing ${o.sizeMiB} MiB of random bytes …`);
      const sha1 = makeFile(source, size);
      const b = await bucket('large');
      const large = { emu: endpoint, bucketName: b.name, size, sha1, concurrency: o.largeConcurrency };

      if (want('upload-large')) {
        await rounds('upload-large', (c, r) => {
          const fileName = `large/${c.id}-${r}.bin`;
          const job: Job = { ...large, scenario: 'upload-large', path: source, fileName, partSize: o.partSize };
          return measure('upload-large', c, job, async () => {
            const versions = await raw.versions(b.id, fileName);
            if (versions.length !== 1) throw new Error(`${c.id}: ${versions.length} versions of ${fileName} after its upload`);
            const info = await raw.call<FileWire>('b2_get_file_info', { fileId: versions[0].fileId });
            if (info.contentLength !== size) throw new Error(`${c.id}: ${info.contentLength} bytes on the server, not ${size}`);
            const recorded = info.fileInfo.large_file_sha1;
            if (recorded !== undefined && recorded !== sha1) throw new Error(`${c.id}: large_file_sha1 ${recorded}, not ${sha1}`);
            await raw.deleteAll(b.id, fileName);
          });
        });
      }

      if (want('download-large')) {
        const fileName = 'large/download-source.bin';
        log('uploading the download source with the baseline (untimed) …');
        const up = await runNodeDriver('raw', { ...large, scenario: 'upload-large', path: source, fileName, partSize: o.partSize });
        const out = path.join(tmp, 'download.bin');
        const checked = new Set<ClientId>();
        await rounds('download-large', (c) => {
          const job: Job = { ...large, scenario: 'download-large', path: out, fileName, fileId: up.fileId!, partSize: o.downloadPartSize };
          return measure('download-large', c, job, async () => {
            const got = fs.statSync(out).size;
            if (got !== size) throw new Error(`${c.id}: downloaded ${got} bytes, not ${size}`);
            // Each client's first download is re-read and checked here (untimed).
            if (!checked.has(c.id) && sha1OfFile(out) !== sha1) throw new Error(`${c.id}: the downloaded file differs`);
            checked.add(c.id);
            fs.rmSync(out, { force: true });
          });
        });
        await raw.deleteAll(b.id, fileName);
      }
      fs.rmSync(source, { force: true });
    }

    // ------------------------------------------------------------ small uploads
    /** `count` small files uploaded by each client, `scale` times the scenario's items. */
    const smallUploads = async (count: number, scale: number): Promise<void> => {
      const dir = path.join(tmp, `small-${scale}`);
      fs.mkdirSync(dir);
      const files = Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')}.bin`);
      for (const f of files) fs.writeFileSync(path.join(dir, f), crypto.randomBytes(o.smallSize));
      const b = await bucket(`small-${scale}`);
      await rounds(
        'upload-small',
        (c, r) => {
          const prefix = `small/${c.id}-${r}/`;
          const job: Job = { scenario: 'upload-small', emu: endpoint, bucketName: b.name, dir, files, prefix, concurrency: o.smallConcurrency };
          return measure(
            'upload-small',
            c,
            job,
            async () => {
              const n = await raw.listAll(b.id, 10_000, prefix);
              if (n !== files.length) throw new Error(`${c.id}: ${n} files under ${prefix}, not ${files.length}`);
            },
            scale,
          );
        },
        scale,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    };
    if (want('upload-small')) await smallUploads(o.small, 1);

    // ------------------------------------------------------------ listing
    if (want('list')) {
      const b = await bucket('list');
      const name = (i: number) => `list/${String(i).padStart(7, '0')}.txt`;
      const x = Buffer.from('x');
      /** The listing's prefix grown to `count` names (the baseline's raw uploads, untimed), then listed by each client. */
      const listing = async (from: number, count: number, scale: number): Promise<void> => {
        log(`uploading ${(count - from).toLocaleString('en-US')} tiny files for the listing of ${count.toLocaleString('en-US')} (baseline, untimed) …`);
        await raw.uploadMany(b.id, count - from, 32, (i) => name(from + i), raw.rawUpload(x));
        await rounds(
          'list',
          (c) => measure('list', c, { scenario: 'list', emu: endpoint, bucketName: b.name, prefix: 'list/', pageSize: o.pageSize, expected: count }, async () => undefined, scale),
          scale,
        );
      };
      await listing(0, o.list, 1);
      if (o.scale) await listing(o.list, o.list * SCALE, SCALE);
    }
    if (o.scale) await smallUploads(o.small * SCALE, SCALE);

    const env: Environment = {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      cpu: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}`,
      memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      runs: o.runs,
      emulatorPeakRssMiB: (await emu.stats()).maxRss / MiB,
      skipped: clients.filter((c) => c.missing).map((c) => `${c.id} (${c.missing})`),
      settings: o,
    };
    const { markdown } = writeReport([...rows.values()], env, o.write ? { markdown: o.out, chart: o.chart } : undefined);
    console.log(markdown);
    if (o.write) log(`wrote ${path.relative(process.cwd(), o.out)} and ${path.relative(process.cwd(), o.chart)}`);
  } finally {
    agent.destroy();
    await emu?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
