/**
 * Shared plumbing for the interop specs: running external clients (b2sdk, rclone) as child
 * processes without blocking the event loop (the emulator runs in this same process, so a
 * synchronous spawn would deadlock), temp directories, and tool detection.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Keep stdout as raw bytes (for `rclone cat`). */
  binaryStdout?: boolean;
}

export interface BinaryRunResult extends RunResult {
  stdoutBytes: Buffer;
}

/** Runs a program to completion (no shell, stdin closed). Never rejects for a non-zero exit. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<BinaryRunResult> {
  const command = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 300_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        command,
        code,
        signal,
        stdout: opts.binaryStdout ? `<${stdoutBytes.length} bytes>` : stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: Date.now() - started,
      });
    });
  });
}

/** The last `maxChars` characters of a (possibly long) output, for failure messages. */
export function tail(text: string, maxChars = 6000): string {
  return text.length <= maxChars ? text : `…(${text.length - maxChars} chars cut)…\n${text.slice(-maxChars)}`;
}

export function describeRun(r: RunResult): string {
  const status = r.timedOut ? 'TIMED OUT (killed)' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  return [
    `$ ${r.command}`,
    `→ ${status} after ${r.ms} ms`,
    r.stdout.trim() ? `--- stdout ---\n${tail(r.stdout)}` : '--- stdout: (empty)',
    r.stderr.trim() ? `--- stderr ---\n${tail(r.stderr)}` : '--- stderr: (empty)',
  ].join('\n');
}

export async function makeTempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `rxb2-${label}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
}

export function sha1Hex(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Every regular file under `root`: relative path (with `/`) → { size, sha1 }. */
export async function treeManifest(root: string): Promise<Map<string, { size: number; sha1: string }>> {
  const result = new Map<string, { size: number; sha1: string }>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const data = await fs.readFile(full);
        result.set(path.relative(root, full).split(path.sep).join('/'), { size: data.length, sha1: sha1Hex(data) });
      }
    }
  }
  await walk(root);
  return result;
}

/** Differences between two manifests, one line each; empty when equal. */
export function diffManifests(expected: Map<string, { size: number; sha1: string }>, actual: Map<string, { size: number; sha1: string }>, actualLabel: string): string[] {
  const problems: string[] = [];
  for (const [name, e] of expected) {
    const a = actual.get(name);
    if (!a) problems.push(`missing in ${actualLabel}: ${JSON.stringify(name)}`);
    else if (a.size !== e.size) problems.push(`size differs in ${actualLabel}: ${JSON.stringify(name)} ${a.size} != ${e.size}`);
    else if (a.sha1 !== e.sha1) problems.push(`content differs in ${actualLabel}: ${JSON.stringify(name)} sha1 ${a.sha1} != ${e.sha1}`);
  }
  for (const name of actual.keys()) {
    if (!expected.has(name)) problems.push(`unexpected in ${actualLabel}: ${JSON.stringify(name)}`);
  }
  return problems;
}

/**
 * Whether an external tool is usable. On CI (CI=true) a missing tool is a failure (.ci/run
 * installs it); elsewhere the interop spec is marked pending with an install hint.
 */
export function toolMissing(file: string, installHint: string): string | null {
  if (existsSync(file)) return null;
  return `${file} not found — ${installHint}`;
}

export function onCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** The inherited environment minus variables that would change how the external tools behave. */
export function cleanEnv(dropPrefixes: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!dropPrefixes.some((p) => k.startsWith(p))) env[k] = v;
  }
  return env;
}

/** Finds a file that lives next to the spec sources (the spec itself runs from dist/). */
export function sourceFile(relativeToRepo: string): string {
  const candidates = [
    path.resolve(__dirname, '..', '..', '..', relativeToRepo), // dist/spec/interop → repo root
    path.resolve(__dirname, '..', '..', relativeToRepo), // spec/interop (ts-node style)
    path.resolve(process.cwd(), relativeToRepo),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`cannot find ${relativeToRepo} (looked in ${candidates.join(', ')})`);
  return found;
}
