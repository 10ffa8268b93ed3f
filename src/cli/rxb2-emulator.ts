#!/usr/bin/env node
/**
 * The emulator command, one definition for both spellings: `rxb2-emulator [flags]` (this file as a
 * program) and `rxb2 emulator [flags]` (the rxb2 command adds the same flags with `addEmulatorFlags`
 * and runs `runEmulatorCommand`). It starts the emulator, prints a ready-to-paste
 * `export B2_REALM=… B2_APPLICATION_KEY_ID=… B2_APPLICATION_KEY=…` line, and runs until interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { EmulatorOptions } from '../emulator/options';
import { byteSize, wholeNumber } from './flag-values';

/** The flags as commander parses them (`addEmulatorFlags`). */
export interface EmulatorFlags {
  host: string;
  port: number;
  data?: string;
  keyId?: string;
  key?: string;
  minPartSize?: number;
  partSize?: number;
  tokenLifetime?: number;
  faults?: string;
  /** false with --no-console. */
  console: boolean;
}

/** Where the command writes: its banner and messages. */
export interface EmulatorCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const DEFAULT_EMULATOR_PORT = 8000;

/** Adds the emulator's flags and their defaults to `command` (the same for both spellings). */
export function addEmulatorFlags(command: Command): Command {
  return command
    .option('--host <host>', 'interface to listen on (the console page asks for the key unless it is a loopback address)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', wholeNumber('--port', 0, 65535), DEFAULT_EMULATOR_PORT)
    .option('--data <dir>', 'keep state in this directory (default: in memory)')
    .option('--key-id <id>', 'the master key id (default: generated; a data directory keeps its own)')
    .option('--key <key>', 'the master application key (default: generated; a data directory keeps its own)')
    .option('--min-part-size <bytes>', 'absoluteMinimumPartSize to advertise (default 5000000)', byteSize('--min-part-size'))
    .option('--part-size <bytes>', 'recommendedPartSize to advertise (default 100000000)', byteSize('--part-size'))
    .option('--token-lifetime <seconds>', 'lifetime of account and upload tokens (default 86400)', wholeNumber('--token-lifetime', 1))
    .option('--faults <file>', 'fault plan: a JSON array of rules, e.g. [{"call": "b2_upload_file", "fault": {"kind": "status", "status": 503}, "times": 2}]')
    .option('--no-console', 'do not serve the console page at /');
}

/**
 * The `startEmulator` options for these flags. Reads and checks the fault plan file: one that
 * cannot be read, is not JSON or names an unknown call throws an Error naming the file and line.
 */
export async function emulatorOptionsFromFlags(flags: EmulatorFlags): Promise<EmulatorOptions> {
  if ((flags.keyId === undefined) !== (flags.key === undefined)) throw new Error('--key-id and --key go together');
  const options: EmulatorOptions = {
    host: flags.host,
    port: flags.port,
    dataDir: flags.data,
    accountId: flags.keyId,
    masterKey: flags.key,
    absoluteMinimumPartSize: flags.minPartSize,
    recommendedPartSize: flags.partSize,
    tokenLifetimeSeconds: flags.tokenLifetime,
    console: flags.console,
  };
  if (flags.faults !== undefined) {
    const { faultCallNames, parseFaultPlan } = await import('../emulator/faults');
    const { JSON_CALLS } = await import('../emulator/routes');
    let text: string;
    try {
      text = readFileSync(flags.faults, 'utf8');
    } catch (err) {
      throw new Error(`fault plan ${flags.faults}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    options.faults = parseFaultPlan(text, flags.faults, faultCallNames(Object.keys(JSON_CALLS)));
  }
  return options;
}

/**
 * Starts the emulator for `flags`, prints where it listens and the export line, and runs until
 * `signal` aborts; then closes it. Resolves with the exit code: 0 after a clean stop, 2 when it
 * could not start (bad fault plan, port in use, data directory locked), with the reason on stderr.
 */
export async function runEmulatorCommand(flags: EmulatorFlags, io: EmulatorCommandIo, signal?: AbortSignal, name = 'rxb2 emulator'): Promise<number> {
  const { startEmulator } = await import('../emulator/index');
  let emulator;
  try {
    emulator = await startEmulator(await emulatorOptionsFromFlags(flags));
  } catch (err) {
    io.stderr.write(`${name}: ${(err as Error).message}\n`);
    return 2;
  }
  // The emulator's own keys are printed on purpose: they are how clients reach it.
  io.stdout.write(
    `rxb2 emulator listening on ${emulator.url}\n` +
      `  data:            ${flags.data ?? '(in memory)'}\n` +
      `  keyId:           ${emulator.keyId}\n` +
      `  applicationKey:  ${emulator.applicationKey}\n` +
      (flags.console ? `  console:         ${emulator.url}/\n` : '') +
      (flags.faults ? `  fault plan:      ${flags.faults}\n` : '') +
      `\nexport B2_REALM=${emulator.url} B2_APPLICATION_KEY_ID=${emulator.keyId} B2_APPLICATION_KEY=${emulator.applicationKey}\n` +
      `(Ctrl-C stops it)\n`,
  );
  await new Promise<void>((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await emulator.close();
  io.stdout.write('rxb2 emulator stopped\n');
  return 0;
}

/** `rxb2-emulator`: the same flags and output as `rxb2 emulator`. */
function main(): void {
  const stop = new AbortController();
  const program = addEmulatorFlags(new Command('rxb2-emulator').description('run the B2 emulator until Ctrl-C; prints its URL, keys and an export line'));
  program.action(async (flags: EmulatorFlags) => {
    process.on('SIGINT', () => stop.abort());
    process.on('SIGTERM', () => stop.abort());
    process.exitCode = await runEmulatorCommand(flags, process, stop.signal, 'rxb2-emulator');
  });
  program.parseAsync(process.argv).catch((err: Error) => {
    process.stderr.write(`rxb2-emulator: ${err.message}\n`);
    process.exit(1);
  });
}

// Run as a program (CommonJS build); imported, it only exports.
if (typeof require !== 'undefined' && require.main === module) main();
