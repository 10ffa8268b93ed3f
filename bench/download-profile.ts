/**
 * Where a download's client time goes (not a test): `npm run build && node dist/bench/download-profile.js
 * [--size MiB] [--runs N] [--clients rxb2,baseline] [--cpu-prof DIR]`.
 *
 * Starts the emulator in a child process, uploads a random file with the baseline (untimed), then
 * downloads it with each client's bench driver (bench/peers, the same job as `npm run bench`'s
 * download-large), each run in a fresh process loaded with a small probe that reports, at exit, the
 * main thread's event-loop utilisation (busy time), the garbage collections by kind and their
 * pause, and the process's CPU. With `--cpu-prof DIR`, each run also writes a V8 CPU profile
 * there (open it in Chrome's DevTools, or summarise it with `--summary`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulatorChild } from './emulator-child';
import { runDriver, type Job } from './peers/job';
import { RawB2Session } from './raw-b2';
import { makeFile } from './test-file';

const MiB = 1 << 20;

/** The probe each driver process loads first (`-r`): main-thread busy time and GCs, on stderr at exit. */
const PROBE = `
const { performance, PerformanceObserver, constants } = require('node:perf_hooks');
const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
const gc = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const k = kinds[e.detail ? e.detail.kind : e.kind] || 'other';
    gc[k] = gc[k] || { count: 0, ms: 0 };
    gc[k].count++;
    gc[k].ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
// Peaks of what the memory is (sampled every 100 ms): where a high peak RSS comes from.
const mem = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(mem)) mem[k] = Math.max(mem[k], m[k]);
}, 100).unref();
const elu0 = performance.eventLoopUtilization();
const cpu0 = process.cpuUsage();
const fs = require('node:fs');
// CPU seconds of each thread of this process (Linux): the main thread's, and the others' (workers, libuv's pool).
const threads = () => {
  const out = {};
  try {
    const hz = 100;
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const stat = fs.readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = String(tid) === String(process.pid) ? 'main' : name;
      out[key] = (out[key] || 0) + (Number(f[11]) + Number(f[12])) / hz;
    }
  } catch {}
  return out;
};
const exit = process.exit;
process.exit = (code) => {
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  process.stderr.write('PROBE ' + JSON.stringify({ busyS: elu.active / 1000, idleS: elu.idle / 1000, utilization: elu.utilization, cpuS: (cpu.user + cpu.system) / 1e6, gc, threads: threads(), mem }) + '\\n');
  exit.call(process, code);
};
`;

interface Probe {
  busyS: number;
  idleS: number;
  utilization: number;
  cpuS: number;
  gc: Record<string, { count: number; ms: number }>;
  /** CPU seconds by thread (Linux; the whole process life): `main`, and the others by name. */
  threads: Record<string, number>;
  /** Peaks of process.memoryUsage(), sampled every 100 ms: bytes. */
  mem: Record<string, number>;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizeMiB = Number(arg('--size') ?? 1024);
  const runs = Number(arg('--runs') ?? 1);
  const clients = (arg('--clients') ?? 'rxb2,baseline').split(',');
  const profDir = arg('--cpu-prof');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-dlprof-'));
  const probe = path.join(tmp, 'probe.js');
  fs.writeFileSync(probe, PROBE);
  const emu = await startEmulatorChild({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000_000, recommendedPartSize: 100_000_000, md5Limit: 0 });
  try {
    const endpoint = { url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
    const raw = new RawB2Session(endpoint);
    await raw.authorize();
    const bucketName = `dlprof-${Date.now().toString(36)}`;
    await raw.createBucket(bucketName);
    const source = path.join(tmp, 'source.bin');
    const size = sizeMiB * MiB;
    const sha1 = makeFile(source, size);
    const large: Omit<Job, 'scenario'> = { emu: endpoint, bucketName, size, sha1, concurrency: 4 };
    const driver = (name: string) => require.resolve(`./peers/${name === 'baseline' ? 'raw' : name}-client`);
    const up = await runDriver('raw', process.execPath, [driver('raw')], { ...large, scenario: 'upload-large', path: source, fileName: 'source.bin', partSize: 100_000_000 });
    fs.rmSync(source);
    const out = path.join(tmp, 'download.bin');
    for (let r = 0; r < runs; r++) {
      for (const client of clients) {
        const execArgv = ['-r', probe, ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${client}-${r}.cpuprofile`] : [])];
        let probed: Probe | undefined;
        const job: Job = { ...large, scenario: 'download-large', path: out, fileName: 'source.bin', fileId: up.fileId!, partSize: 16 * MiB };
        const result = await runWithProbe(client, [...execArgv, driver(client)], job, (p) => (probed = p));
        fs.rmSync(out, { force: true });
        const gc = Object.entries(probed?.gc ?? {})
          .map(([k, v]) => `${k} ${v.count} (${v.ms.toFixed(0)} ms)`)
          .join(', ');
        console.log(
          `${client.padEnd(9)} ${((size / result.seconds) * 1e-6).toFixed(0).padStart(5)} MB/s  ${result.seconds.toFixed(2)} s  CPU ${result.cpuS.toFixed(2)} s  ` +
            `main thread busy ${probed?.busyS.toFixed(2)} s (${((probed?.utilization ?? 0) * 100).toFixed(0)}%)  RSS ${(result.maxRss / MiB).toFixed(0)} MiB  GC: ${gc}\n` +
            `          CPU s by thread: ${Object.entries(probed?.threads ?? {})
              .filter(([, v]) => v >= 0.01)
              .map(([k, v]) => `${k} ${v.toFixed(2)}`)
              .join(', ')}\n` +
            `          peak MiB: ${Object.entries(probed?.mem ?? {})
              .map(([k, v]) => `${k} ${(v / MiB).toFixed(0)}`)
              .join(', ')}`,
        );
      }
    }
  } finally {
    await emu.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs a driver like runDriver, picking the probe's line out of its stderr. */
async function runWithProbe(client: string, args: string[], job: Job, onProbe: (p: Probe) => void) {
  const { spawn } = await import('node:child_process');
  const { firstLine } = await import('./emulator-child');
  const child = spawn(process.execPath, [...args, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await firstLine(child, `the ${client} download-large driver`);
  const code = await exited;
  const probeLine = err.split('\n').find((l) => l.startsWith('PROBE '));
  if (probeLine) onProbe(JSON.parse(probeLine.slice(6)) as Probe);
  if (code !== 0) throw new Error(`the ${client} driver exited with ${code}: ${err}`);
  return JSON.parse(line) as { seconds: number; cpuS: number; maxRss: number };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
