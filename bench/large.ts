/**
 * Large-file benchmark (not a test): `npm run bench:large -- [--size MiB] [--no-big] [--big-size MiB]
 * [--runs N] [--part-size BYTES] [--concurrency N] [--download-part-size BYTES] [--no-rclone]
 * [--no-download] [--server-md5] [--profile] [--profile-dir DIR] [--keep] [--verbose]`.
 *
 * One run compares rxb2 with a raw `node:http` client doing the same B2 calls, and with rclone
 * (the drivers in bench/peers: rxb2-client.ts, raw-client.ts, rclone.ts),
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
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RawB2Session, agent, type FileWire } from './raw-b2';
import { startEmulatorChild, type EmulatorChild } from './emulator-child';
import { runNodeDriver, type Job, type Result } from './peers/job';
import { RCLONE, TIME, haveRclone as haveRcloneBinary, rcloneEnv, rcloneVersion, runRclone } from './peers/rclone';
import { median, table } from './table';
import { makeFile, sha1OfFile } from './test-file';

const MiB = 1 << 20;
const GiB = 1 << 30;
const HOST = '127.0.0.1';

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
  if (o.partSize < 5_000_000) throw new Error("--part-size must be >= 5,000,000 (the emulator's absoluteMinimumPartSize)");
  return o;
}

// ---------------------------------------------------------------------------------------------
// The emulator, in a child process

type Emulator = EmulatorChild;

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

// ---------------------------------------------------------------------------------------------
// Clients: the benchmark drivers (bench/peers), each run in its own process

type Kind = 'rxb2-upload' | 'raw-upload' | 'rxb2-download' | 'raw-download';

interface Sample {
  seconds: number;
  cpuS: number;
  maxRss: number;
  serverCpuS: number;
}

/** One rxb2 or baseline run (profiled into `profileDir` if given). */
function runChild({ kind, job }: { kind: Kind; job: Job }, profileDir?: string): Promise<Result> {
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`] : [];
  return runNodeDriver(kind.startsWith('rxb2') ? 'rxb2' : 'raw', job, execArgv);
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
  const haveRclone = o.rclone && haveRcloneBinary();
  const rcloneName = haveRclone ? rcloneVersion() : '';
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
    const raw = new RawB2Session(emu);
    await raw.authorize();
    const bucketName = `bench-large-${Date.now().toString(36)}`;
    const { bucketId } = await raw.call<{ bucketId: string }>('b2_create_bucket', { accountId: raw.accountId, bucketName, bucketType: 'allPrivate' });
    const env = rcloneEnv(emu, tmp);
    const emuRef = emu;

    /** One measured run: the emulator's CPU around it, the file checked and deleted afterwards. */
    const measure = async (row: Row, run: () => Promise<{ seconds: number; cpuS: number; maxRss: number }>): Promise<void> => {
      const s0 = await emuRef.stats();
      const r = await run();
      const s1 = await emuRef.stats();
      const sample = { seconds: r.seconds, cpuS: r.cpuS, maxRss: r.maxRss, serverCpuS: (s1.cpuUs - s0.cpuUs) / 1e6 };
      row.samples.push(sample);
      if (o.verbose) {
        log(
          `  ${row.group} ${row.target}: ${(row.bytes / 1e6 / sample.seconds).toFixed(0)} MB/s, client CPU ${sample.cpuS.toFixed(2)} s, ` +
            `peak RSS ${(sample.maxRss / MiB).toFixed(0)} MiB, server CPU ${sample.serverCpuS.toFixed(2)} s`,
        );
      }
    };
    const job = (kind: Kind, file: string, fileName: string, bytes: number, fileSha1: string, extra: Partial<Job> = {}): { kind: Kind; job: Job } => ({
      kind,
      job: {
        scenario: kind.endsWith('upload') ? 'upload-large' : 'download-large',
        emu: { url: emuRef.url, keyId: emuRef.keyId, applicationKey: emuRef.applicationKey },
        bucketName,
        path: file,
        fileName,
        size: bytes,
        sha1: fileSha1,
        partSize: o.partSize,
        concurrency: o.concurrency,
        ...extra,
      },
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

    const uploadRows = (label: string, bytes: number) => {
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
      const u = uploadRows(label, bytes);
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
        u.add(rcloneName, async (row, name) => {
          await measure(row, () => runRclone(['copyto', u.file, `emu:${bucketName}/${name}`, ...flags], env, tmp));
          await checkAndDelete(name, bytes, fileSha1, true);
        });
        u.add(
          'rclone --b2-disable-checksum',
          async (row, name) => {
            await measure(row, () => runRclone(['copyto', u.file, `emu:${bucketName}/${name}`, ...flags, '--b2-disable-checksum'], env, tmp));
            await checkAndDelete(name, bytes, fileSha1, false);
          },
          true,
        );
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
        add(
          `rclone --multi-thread-streams ${o.concurrency}`,
          async (row) => {
            await measure(row, () => runRclone(['copyto', `emu:${bucketName}/${name}`, out, '--multi-thread-streams', String(o.concurrency)], env, tmp));
            checkOutput(row);
          },
          true,
        );
      }
      for (let r = 0; r < o.runs; r++) {
        log(`download ${sizeLabel(size)}: run ${r + 1}/${o.runs}`);
        for (const t of targets) await t.run();
      }
    }

    // Profiles of the rxb2 and baseline children (not in the table).
    if (profileDir) {
      log('profiling the rxb2 and baseline uploads and downloads …');
      const profiled = async (kind: Kind, what: string, run: () => Promise<unknown>): Promise<void> => {
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
      for (const [t, i] of [
        [rx, 0],
        [base, 0],
        [base, 1],
        [rx, 1],
      ] as const)
        await t.run(i);
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
    const rcloneRow = rows.find((r) => r.group === upG && r.target === rcloneName);
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
        "finished file; rclone: the whole process, from time(1)). Peak RSS: the client process's maxRSS. Downloads include the fsync and rename.",
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

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
