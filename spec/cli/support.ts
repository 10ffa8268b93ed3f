/**
 * Shared set-up of the rxb2 command specs: an in-process emulator on 127.0.0.1:0 with tiny parts,
 * the built command run as a child process (`node dist/src/cli/rxb2.js …`) with credentials in its
 * environment only, and in-process runs with captured output.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { CliIo } from '../../src/cli/rxb2';

export type Emu = RunningEmulator;

/** The built command (this file runs from dist/spec/cli). */
export const CLI = join(__dirname, '..', '..', 'src', 'cli', 'rxb2.js');

/** Parts of 5,000 bytes (1,000 at least): files above 5,000 bytes go in parts. */
export function startCliEmulator(): Promise<Emu> {
  return startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 });
}

/** The environment the command reads its credentials from (nothing of the caller's B2_* leaks in). */
export function cliEnv(emu: Emu, overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('B2_') && v !== undefined) env[k] = v;
  return { ...env, B2_REALM: emu.url, B2_APPLICATION_KEY_ID: emu.keyId, B2_APPLICATION_KEY: emu.applicationKey, ...overrides };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running child: its output so far, and its end. */
export interface CliChild {
  process: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

export function spawnCli(args: string[], env: Record<string, string>, timeoutMs = 15_000): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rxb2 ${args.join(' ')} did not end within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { process: child, output: () => ({ stdout, stderr }), done };
}

/** Runs the built command to its end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return spawnCli(args, env).done;
}

/** A captured output stream (not a TTY unless asked). */
export class Capture {
  text = '';
  columns = 100;
  constructor(readonly isTTY = false) {}
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }
  lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

/** In-process I/O for `run`: the emulator's credentials, captured output, an interrupt. */
export function captureIo(emu: Emu, options: { tty?: boolean; env?: Record<string, string> } = {}) {
  const stdout = new Capture(options.tty);
  const stderr = new Capture();
  const interrupt = new AbortController();
  const io: CliIo = { env: cliEnv(emu, options.env), stdout, stderr, signal: interrupt.signal };
  return { io, stdout, stderr, interrupt };
}

let serial = 0;
export function bucketName(tag: string): string {
  return `cli-${tag}-${Date.now().toString(36)}-${(serial++).toString(36)}-${randomBytes(3).toString('hex')}`;
}

export { bytes } from '../client/support';

/** Polls `check` every 10 ms until it is true (fails after `timeoutMs`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
