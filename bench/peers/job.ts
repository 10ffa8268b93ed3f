/**
 * What the benchmark harness (bench/bench.ts) asks of a client driver, and what the driver answers.
 * A driver is a program run once per measured run, in its own process: it gets one Job (JSON, first
 * argument; or `@FILE`, a file holding it, for a job too long for one argument), does it the way a
 * user of that client would, and prints one Result (JSON line).
 * The Python driver for b2sdk (b2sdk_client.py) speaks the same protocol.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EmulatorEndpoint } from '../raw-b2';

export type Scenario = 'upload-large' | 'download-large' | 'upload-small' | 'list';

export interface Job {
  scenario: Scenario;
  emu: EmulatorEndpoint;
  bucketName: string;
  /** upload-large: the source file; download-large: the output file. */
  path?: string;
  /** upload-large / download-large: the B2 file name. */
  fileName?: string;
  /** download-large: the version to get. */
  fileId?: string;
  /** upload-large / download-large: bytes and whole-file SHA-1. */
  size?: number;
  sha1?: string;
  /**
   * upload-large: the client computes large_file_sha1 itself (rxb2's default: the file hashed
   * ahead) instead of being given `sha1`. Only rxb2's driver reads it.
   */
  hashAhead?: boolean;
  /** upload-large: part size; download-large: ranged part size (where the client lets one choose). */
  partSize?: number;
  /** Operations (parts, uploads) in flight. */
  concurrency?: number;
  /** upload-small: the directory and the files in it. */
  dir?: string;
  files?: string[];
  /** upload-small: the B2 name prefix; list: the prefix listed. */
  prefix?: string;
  /** list: files per b2_list_file_names page, and how many must be found. */
  pageSize?: number;
  expected?: number;
}

export interface Result {
  /** Wall seconds from before the client is created (modules loaded) to the last operation done. */
  seconds: number;
  /** Client CPU seconds (user + system) in that window. */
  cpuS: number;
  /** The process's peak RSS, bytes. */
  maxRss: number;
  /** Files uploaded or listed (1 for a large file). */
  count: number;
  /** Payload bytes moved. */
  bytes: number;
  /** The client and its version, e.g. "rxb2 0.1.0". */
  version: string;
  /** The id of an uploaded large file (for the harness's checks). */
  fileId?: string;
  /** upload-large with `hashAhead`: seconds from the upload's subscribe to its large file started (the hashing ahead, then one b2_start_large_file). */
  hashAheadS?: number;
  note?: string;
}

export type Outcome = Omit<Result, 'seconds' | 'cpuS' | 'maxRss' | 'version'>;

/** Times `fn` in this process: wall clock, CPU (process.cpuUsage delta) and peak RSS. */
export async function timed(version: string, fn: () => Promise<Outcome>): Promise<Result> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpuS: (c.user + c.system) / 1e6, maxRss: process.resourceUsage().maxRSS * 1024, version, ...outcome };
}

/** Checks that a job field the scenario needs is there. */
export function need<K extends keyof Job>(job: Job, key: K): NonNullable<Job[K]> {
  const v = job[key];
  if (v === undefined || v === null) throw new Error(`job for ${job.scenario} lacks "${String(key)}"`);
  return v as NonNullable<Job[K]>;
}

/** The driver's entry: the job from argv, one result line on stdout, exit (keep-alive sockets would hold the process). */
export function driverMain(run: (job: Job) => Promise<Result>): void {
  let job: Job;
  try {
    const arg = process.argv[2] ?? '';
    job = JSON.parse(arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg) as Job;
  } catch {
    console.error("usage: node <driver>.js '<job json>' | @<job json file>");
    process.exit(2);
  }
  run(job).then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** Runs `count` workers over `items`, each with its own state from `setup`. */
export async function workers<S, T>(items: T[], count: number, setup: () => Promise<S>, each: (state: S, item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, items.length) }, async () => {
      const state = await setup();
      for (let i = next++; i < items.length; i = next++) await each(state, items[i], i);
    }),
  );
}

/**
 * The harness's side: runs `command args… '<job json>'` in a fresh process and reads its result
 * line. Its modules are loaded here, on first use: the drivers import this file too, and a
 * driver's process should hold only what its client needs (the heap size changes GC costs).
 */
export async function runDriver(what: string, command: string, args: string[], job: Job): Promise<Result> {
  const { spawn } = await import('node:child_process');
  const { firstLine } = await import('../emulator-child');
  const text = JSON.stringify(job);
  // Linux takes at most 128 KiB in one argument (20,000 file names are more): a longer job goes in a file.
  const file = text.length > JOB_IN_ARGUMENT ? jobFile(text) : undefined;
  try {
    const child = spawn(command, [...args, file ? `@${file}` : text], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await firstLine(child, `the ${what} ${job.scenario} driver`);
    const code = await exited;
    if (code !== 0) throw new Error(`the ${what} ${job.scenario} driver exited with ${code}`);
    return JSON.parse(line) as Result;
  } finally {
    if (file) rmSync(file, { force: true });
  }
}

/** The longest job passed as the argument itself (bytes of JSON). */
const JOB_IN_ARGUMENT = 64 * 1024;

/** Writes a job to a temporary file (removed by the caller). */
function jobFile(text: string): string {
  const file = join(tmpdir(), `rxb2-bench-job-${process.pid}-${Date.now().toString(36)}.json`);
  writeFileSync(file, text);
  return file;
}

/** A Node driver (dist/bench/peers/<driver>-client.js), with node options such as --cpu-prof. */
export function runNodeDriver(driver: string, job: Job, execArgv: string[] = []): Promise<Result> {
  return runDriver(driver, process.execPath, [...execArgv, require.resolve(`./${driver}-client`)], job);
}
