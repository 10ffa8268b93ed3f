/**
 * The emulator in a child process for the benchmarks, so its CPU never shares the measured
 * client's event loop; it reports its own CPU time and peak RSS on request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { EmulatorOptions } from '../src/emulator';
import type { EmulatorEndpoint } from './raw-b2';

export interface EmulatorChild extends EmulatorEndpoint {
  child: ChildProcess;
  /** The child's process.cpuUsage() (µs, user+system) and peak RSS (bytes). */
  stats(): Promise<{ cpuUs: number; maxRss: number }>;
  stop(): Promise<void>;
}

const SCRIPT = `
const { startEmulator } = require(process.argv[1]);
startEmulator(JSON.parse(process.argv[2])).then((emu) => {
  process.on('message', (m) => {
    if (m === 'stats') {
      const u = process.cpuUsage();
      process.send({ cpuUs: u.user + u.system, maxRss: process.resourceUsage().maxRSS * 1024 });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write(JSON.stringify({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey }) + '\\n');
}, (err) => { console.error(err); process.exit(1); });
`;

/** The child's first line of output; rejects if it exits first. */
export function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    let answered = false;
    rl.once('line', (l) => {
      answered = true;
      rl.close();
      resolve(l);
    });
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`${what} exited (${signal ?? code}) before it answered`));
    });
  });
}

export async function startEmulatorChild(options: EmulatorOptions): Promise<EmulatorChild> {
  const entry = path.join(__dirname, '..', 'src', 'emulator', 'index.js');
  const child = spawn(process.execPath, ['-e', SCRIPT, entry, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const ready = JSON.parse(await firstLine(child, 'the emulator child')) as EmulatorEndpoint;
  return {
    ...ready,
    child,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { cpuUs: number; maxRss: number }));
        child.send('stats');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
