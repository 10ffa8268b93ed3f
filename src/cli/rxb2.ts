#!/usr/bin/env node
/**
 * The `rxb2` command: Backblaze B2 from a terminal, on the rxb2 client.
 *
 * ```text
 * rxb2 emulator [--port 8000] [--data DIR]          run the B2 emulator until Ctrl-C
 * rxb2 buckets ls | create NAME [--public] | rm NAME
 * rxb2 ls BUCKET[/PREFIX] [--recursive] [--versions]
 * rxb2 upload FILE|- BUCKET/NAME [--part-size N] [--concurrency N] [--resume]
 * rxb2 download BUCKET/NAME FILE [--concurrency N]
 * rxb2 rm BUCKET/NAME [--all-versions]
 * rxb2 hide BUCKET/NAME
 * every command: [--json | -q] [-v] [--retries N] [--progress | --no-progress]
 * ```
 *
 * Credentials come from B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY, and B2_REALM for another API
 * URL (an emulator's). Exit codes (errors.ts): 0 done, 1 failed, 2 usage error, 3 not found,
 * 4 temporary failure (try again later), 130 interrupted (Ctrl-C).
 */
import type { CliIo } from './execute-command';
import { parseCommand } from './parse-command';

export { parseCommand, type CliCommand, type ParseResult } from './parse-command';
export type { CliIo } from './execute-command';

/**
 * Parses `argv` (without the program name) and runs the command; resolves with the exit code.
 * Output goes to `io.stdout` / `io.stderr`; aborting `io.signal` interrupts the command.
 *
 * @example
 * const code = await run(['ls', 'my-bucket/photos/'], { env: process.env, stdout: process.stdout, stderr: process.stderr });
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  if ('exitCode' in parsed) return parsed.exitCode;
  // Loaded once there is something to run: help and usage errors do not load the client.
  const { executeCommand } = await import('./execute-command');
  return executeCommand(parsed.command, io, parsed.options);
}

/** As a program: Ctrl-C interrupts the command (a second one exits at once); the exit code is the command's. */
function main(): void {
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Standard input is touched only by `upload -`: the other commands leave a terminal's input alone.
  const stdin: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() };
  const io = { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin, signal: interrupt.signal };
  run(process.argv.slice(2), io).then(
    (code) => {
      // Let the event loop drain (a retried clean-up request keeps it alive), but not forever.
      process.exitCode = code;
      setTimeout(() => process.exit(code), 30_000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`rxb2: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

// Run as a program (CommonJS build); imported, it only exports.
if (typeof require !== 'undefined' && require.main === module) main();
