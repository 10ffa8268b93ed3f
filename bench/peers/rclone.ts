/**
 * The rclone "driver": rclone (Debian's build, b2 backend) pointed at the emulator through
 * RCLONE_CONFIG_EMU_* variables, run under /usr/bin/time for its CPU seconds and peak RSS. Its
 * window is the whole process (start-up included: ~20 ms, no way to time from inside).
 *
 *   upload-large    rclone copyto FILE emu:bucket/name --b2-chunk-size <partSize>B
 *                   --b2-upload-cutoff <partSize>B --transfers <concurrency> (rclone 1.60 has no
 *                   --b2-upload-concurrency: chunks in flight are bounded by --transfers). It also
 *                   hashes the whole file first for large_file_sha1.
 *   download-large  rclone copyto emu:bucket/name OUT --multi-thread-streams <concurrency>
 *                   (then it re-reads the file to check the SHA-1).
 *   upload-small    rclone copy DIR emu:bucket/prefix --transfers 16 --checkers 16.
 *   list            rclone size emu:bucket/prefix --json (rclone 1.60's b2 backend asks for pages of
 *                   1,000, fixed; the job's pageSize is 1,000 too).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EmulatorEndpoint } from '../raw-b2';
import { need, type Job, type Result } from './job';

export const RCLONE = '/usr/bin/rclone';
export const TIME = '/usr/bin/time';

export const haveRclone = (): boolean => fs.existsSync(RCLONE) && fs.existsSync(TIME);

/** "rclone v1.60.1-DEV" → "rclone 1.60.1". */
export function rcloneVersion(): string {
  const line = spawnSync(RCLONE, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'rclone';
  return line.replace(/ v/, ' ').replace(/-DEV$/, '');
}

export function rcloneEnv(emu: EmulatorEndpoint, tmp: string): NodeJS.ProcessEnv {
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

/** Runs rclone under /usr/bin/time; wall clock from here, CPU and max RSS from time(1), stdout returned. */
export async function runRclone(args: string[], env: NodeJS.ProcessEnv, tmp: string): Promise<{ seconds: number; cpuS: number; maxRss: number; stdout: string }> {
  const timeFile = path.join(tmp, `time-${process.pid}.txt`);
  const t0 = performance.now();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, RCLONE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`rclone ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
  const [, user, sys, maxKb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(timeFile, { force: true });
  return { seconds, cpuS: user + sys, maxRss: maxKb * 1024, stdout };
}

/** One job with rclone; `tmp` holds its config and cache. */
export async function rcloneJob(job: Job, tmp: string, version: string): Promise<Result> {
  const env = rcloneEnv(job.emu, tmp);
  const remote = (name: string): string => `emu:${job.bucketName}/${name.replace(/\/$/, '')}`;
  const bytesOf = (n: number) => `${n}B`;
  switch (job.scenario) {
    case 'upload-large': {
      const partSize = need(job, 'partSize');
      const r = await runRclone(
        [
          'copyto',
          need(job, 'path'),
          remote(need(job, 'fileName')),
          '--b2-chunk-size',
          bytesOf(partSize),
          '--b2-upload-cutoff',
          bytesOf(partSize),
          '--transfers',
          String(need(job, 'concurrency')),
        ],
        env,
        tmp,
      );
      return { ...r, count: 1, bytes: need(job, 'size'), version, note: 'whole-file SHA-1 computed first' };
    }
    case 'download-large': {
      const r = await runRclone(['copyto', remote(need(job, 'fileName')), need(job, 'path'), '--multi-thread-streams', String(need(job, 'concurrency'))], env, tmp);
      return { ...r, count: 1, bytes: need(job, 'size'), version, note: 'SHA-1 checked after' };
    }
    case 'upload-small': {
      const files = need(job, 'files');
      const c = String(need(job, 'concurrency'));
      const r = await runRclone(['copy', need(job, 'dir'), remote(need(job, 'prefix')), '--transfers', c, '--checkers', c], env, tmp);
      const bytes = files.reduce((sum, f) => sum + fs.statSync(path.join(need(job, 'dir'), f)).size, 0);
      return { ...r, count: files.length, bytes, version };
    }
    case 'list': {
      const r = await runRclone(['size', remote(need(job, 'prefix')), '--json'], env, tmp);
      const n = (JSON.parse(r.stdout) as { count: number }).count;
      if (n !== need(job, 'expected')) throw new Error(`rclone counted ${n} files, expected ${need(job, 'expected')}`);
      return { ...r, count: n, bytes: 0, version };
    }
  }
}
