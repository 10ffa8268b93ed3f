/**
 * Fixtures for the crash-safety specs: the emulator CLI in a child process (so it can be killed
 * with SIGKILL), a temp data directory, a transport that counts requests by B2 operation, and
 * a look at what the data directory holds. Not a jasmine helper: it is imported by the spec.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defer, type Observable } from 'rxjs';
import { AxiosTransport, type B2Event, type B2HttpRequest, type B2Transport } from '../../../src';

/** dist/src/cli/rxb2-emulator.js, seen from dist/spec/emulator/crash. */
export const CLI = path.resolve(__dirname, '../../../src/cli/rxb2-emulator.js');

export interface EmulatorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly keyId: string;
  readonly applicationKey: string;
  /** Resolves with the signal (or exit code) once the process is gone. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** kill -9, then waits for the process to be gone; resolves with how it ended. */
  kill9(): Promise<NodeJS.Signals | number | null>;
}

const live = new Set<EmulatorProcess>();

// Last resort if jasmine exits before an afterEach ran: never leave an emulator behind.
process.once('exit', () => {
  for (const emu of live) {
    try {
      process.kill(emu.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `rxb2-emulator.js --host 127.0.0.1 --port 0 --data DIR --min-part-size 1000 --part-size 5000` and
 * resolves once it printed its URL, key id and key.
 */
export function spawnEmulator(dataDir: string, timeoutMs = 10_000): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [CLI, '--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--min-part-size', '1000', '--part-size', '5000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const emu: EmulatorProcess = {
    child,
    pid: child.pid!,
    url: '',
    keyId: '',
    applicationKey: '',
    exited,
    stderr: () => stderr,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const how = await exited;
      live.delete(emu);
      return how;
    },
  };
  live.add(emu);
  void exited.then(() => live.delete(emu));
  return new Promise<EmulatorProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void emu.kill9();
      reject(new Error(`emulator did not start within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    const onData = (d: string) => {
      stdout += d;
      const url = /listening on (\S+)/.exec(stdout)?.[1];
      const keyId = /keyId:\s+(\S+)/.exec(stdout)?.[1];
      const key = /applicationKey:\s+(\S+)\n/.exec(stdout)?.[1];
      if (url && keyId && key) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining, so a later write never blocks the child
        Object.assign(emu, { url, keyId, applicationKey: key });
        resolve(emu);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${String(how)}) before it was ready; stdout: ${stdout}; stderr: ${stderr}`));
    });
  });
}

/** SIGKILLs every emulator still running (afterEach / afterAll). */
export async function killAllEmulators(): Promise<void> {
  await Promise.all([...live].map((emu) => emu.kill9()));
}

const tempDirs = new Set<string>();

export function makeTempDir(prefix = 'rxb2-crash-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * What the data directory holds: bodies being received, committed blobs (name → size). Meant for
 * a stopped emulator; on a running one a blob deleted between listing and stat is left out.
 */
export function dataDirState(dataDir: string): { tmp: string[]; blobs: Map<string, number> } {
  const tmp = fs.readdirSync(path.join(dataDir, 'tmp'));
  const blobs = new Map<string, number>();
  for (const name of fs.readdirSync(path.join(dataDir, 'blobs'))) {
    try {
      blobs.set(name, fs.statSync(path.join(dataDir, 'blobs', name)).size);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { tmp, blobs };
}

/** Total bytes of the files in `dataDir/tmp`. */
export function tmpBytes(dataDir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(path.join(dataDir, 'tmp'))) {
    try {
      total += fs.statSync(path.join(dataDir, 'tmp', name)).size;
    } catch {
      // renamed or removed meanwhile
    }
  }
  return total;
}

/**
 * A transport around `AxiosTransport` that counts requests by `operation` as they are sent (at
 * subscribe time, so retries count too) and may rewrite a request first.
 */
export class CountingTransport implements B2Transport {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly rewrite: (req: B2HttpRequest) => B2HttpRequest = (req) => req,
    private readonly inner: B2Transport = new AxiosTransport(),
  ) {}

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return defer(() => {
      this.counts.set(req.operation, (this.counts.get(req.operation) ?? 0) + 1);
      return this.inner.request<T>(this.rewrite(req));
    });
  }

  count(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }

  all(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
