/**
 * The rxb2 command line, parsed by commander into one `CliCommand` value and the output options
 * (no I/O beyond help and usage messages): `executeCommand` runs it. Usage errors end with exit
 * code 2, their message naming the flag or argument (`--part-size: …`); as JSON with --json.
 */
import { basename } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES, EXIT_USAGE, UsageError, errorJson } from './errors';
import { byteSize, concurrency, wholeNumber } from './flag-values';
import { VERSION } from '../version';
import { addEmulatorFlags, type EmulatorFlags } from './rxb2-emulator';
import { addSyncCommand, type SyncCliCommand } from './sync-command';

export type CliCommand =
  | { name: 'emulator'; flags: EmulatorFlags }
  | { name: 'buckets ls' }
  | { name: 'buckets create'; bucket: string; public: boolean }
  | { name: 'buckets rm'; bucket: string }
  | { name: 'ls'; bucket: string; prefix: string; recursive: boolean; versions: boolean }
  /** `file` is `-` for standard input. */
  | { name: 'upload'; file: string; bucket: string; fileName: string; partSize?: number; concurrency?: number; resume: boolean; contentType?: string }
  | { name: 'download'; bucket: string; fileName: string; file: string; concurrency?: number; partSize?: number }
  | { name: 'rm'; bucket: string; fileName: string; allVersions: boolean }
  | { name: 'hide'; bucket: string; fileName: string }
  | SyncCliCommand;

/** How the command reports and retries, the same for every subcommand. */
export interface RunOptions {
  /** One JSON object per line on stdout (results, listing rows) and on stderr (errors, -v lines). */
  json: boolean;
  /** Nothing on stdout but listings: no result lines, no progress. */
  quiet: boolean;
  /** Each request and each retry on stderr. */
  verbose: boolean;
  /** Progress bars: true/false as asked (--progress / --no-progress); by default only on a terminal. */
  progress?: boolean;
  /** Retries of a failed request worth retrying (network, 408, 429, 5xx) before giving up (default: the client's, 7). */
  retries?: number;
}

/** A command to run with its options, or the exit code of a parse that ended early (help, version, usage error). */
export type ParseResult = { command: CliCommand; options: RunOptions } | { exitCode: number };

/** Where commander writes help (out) and usage errors (err). */
export interface ParseOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

export { VERSION };

/** `BUCKET[/PATH]` split at its first slash. */
interface BucketPath {
  bucket: string;
  path: string;
}

/**
 * The value parsers below throw a `UsageError` naming the flag or argument: commander lets it
 * through (it rewrites only its own InvalidArgumentError), and `parseCommand` reports it.
 */
function bucketPath(what: string): (value: string) => BucketPath {
  return (value) => {
    const slash = value.indexOf('/');
    const bucket = slash < 0 ? value : value.slice(0, slash);
    if (bucket === '') throw new UsageError(what, `expected BUCKET or BUCKET/PATH, not '${value}'`);
    return { bucket, path: slash < 0 ? '' : value.slice(slash + 1) };
  };
}

function bucketFile(what: string): (value: string) => BucketPath {
  return (value) => {
    const parsed = bucketPath(what)(value);
    if (parsed.path === '') throw new UsageError(what, `expected BUCKET/NAME, not '${value}'`);
    return parsed;
  };
}

/** B2's largest part (https://www.backblaze.com/apidocs/b2-upload-part): 5 GB. */
const MAX_PART_SIZE = 5_000_000_000;

/** `--retries`: attempts after the first. */
const retries = (flag: string) => wholeNumber(flag, 0, 20);

const EXIT_CODE_HELP = EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n');

/** The commander program; `found` receives the parsed command. A new one per parse (no state between runs). */
function program(output: ParseOutput, found: (command: CliCommand) => void): Command {
  const root = new Command('rxb2')
    .description('Backblaze B2 from the command line, on the rxb2 client.')
    .option('--json', 'one JSON object per line: results and listings on stdout, errors (and -v) on stderr')
    .addOption(new Option('-q, --quiet', 'print nothing but listings and errors').conflicts('json'))
    .option('-v, --verbose', 'print each request and each retry on stderr')
    .option('--retries <n>', 'retries of a request that failed for a passing reason (network, 408, 429, 5xx) before giving up (default 7)', retries('--retries'))
    .option('--progress', 'draw progress bars even when stdout is not a terminal')
    .option('--no-progress', 'never draw progress bars (default: only on a terminal, not with --json or --quiet)')
    .addHelpText(
      'after',
      "\nEnvironment (the same for the client library, npm start and the emulator's printout):\n" +
        '  B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY   credentials (the key is never printed)\n' +
        "  B2_REALM                                   API URL other than production's, e.g. an emulator's\n\n" +
        'Exit codes (every command):\n' +
        EXIT_CODE_HELP +
        '\n',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.writeOut(s), writeErr: (s) => output.writeErr(s) })
    .showSuggestionAfterError()
    .showHelpAfterError('(rxb2 --help shows the commands)');

  // The same flags and defaults as rxb2-emulator: one definition, in the emulator's command.
  addEmulatorFlags(root.command('emulator').description('run the B2 emulator until Ctrl-C; prints its URL, keys and an export line')).action((flags: EmulatorFlags) =>
    found({ name: 'emulator', flags }),
  );

  const buckets = root.command('buckets').description('list, create and remove buckets');
  buckets
    .command('ls')
    .description('list the buckets: name, type, id')
    .action(() => found({ name: 'buckets ls' }));
  buckets
    .command('create')
    .description('create a bucket (private unless --public)')
    .argument('<name>', 'bucket name')
    .option('--public', 'anyone may download its files')
    .action((bucket: string, o: { public?: boolean }) => found({ name: 'buckets create', bucket, public: !!o.public }));
  buckets
    .command('rm')
    .description('remove an empty bucket')
    .argument('<name>', 'bucket name')
    .action((bucket: string) => found({ name: 'buckets rm', bucket }));

  root
    .command('ls')
    .description('list files: size, date (UTC), name; folders end with / unless --recursive')
    .argument('<bucket[/prefix]>', 'bucket, optionally followed by a name prefix', bucketPath('<bucket[/prefix]>'))
    .option('-r, --recursive', 'every name below the prefix, no folders')
    .option('--versions', 'every version (also hide markers and unfinished large files): size, date, action, file id, name')
    .action((where: BucketPath, o: { recursive?: boolean; versions?: boolean }) =>
      found({ name: 'ls', bucket: where.bucket, prefix: where.path, recursive: !!o.recursive, versions: !!o.versions }),
    );

  root
    .command('upload')
    .description('upload a file, or standard input with - (large files go in parts, several at a time); Ctrl-C stops it')
    .argument('<file>', 'local file, or - for standard input (read to its end; its length need not be known)')
    .argument('<bucket/name>', "where to put it (a name ending in / takes the file's base name)", bucketPath('<bucket/name>'))
    .option('--part-size <bytes>', "bytes per part; files above it go in parts (default: the account's recommended size)", byteSize('--part-size', MAX_PART_SIZE))
    .option('--concurrency <n>', 'parts in flight at once (default 4)', concurrency('--concurrency'))
    .option('--resume', 'continue an unfinished upload of the same file, and keep it unfinished when interrupted')
    .option('--content-type <type>', 'content type (default: B2 picks by extension)')
    .action((file: string, where: BucketPath, o: { partSize?: number; concurrency?: number; resume?: boolean; contentType?: string }) => {
      if (file === '-' && (where.path === '' || where.path.endsWith('/'))) {
        throw new UsageError('<bucket/name>', 'standard input has no name: give BUCKET/NAME');
      }
      if (file === '-' && o.resume) throw new UsageError('--resume', 'needs a file: standard input cannot be read again');
      found({
        name: 'upload',
        file,
        bucket: where.bucket,
        fileName: where.path === '' || where.path.endsWith('/') ? where.path + basename(file) : where.path,
        partSize: o.partSize,
        concurrency: o.concurrency,
        resume: !!o.resume,
        contentType: o.contentType,
      });
    });

  root
    .command('download')
    .description('download a file (SHA-1 verified); large ones in parallel ranges')
    .argument('<bucket/name>', 'the file', bucketFile('<bucket/name>'))
    .argument('<file>', 'local file, or a directory to download into')
    .option('--concurrency <n>', 'ranges in flight at once (default 4)', concurrency('--concurrency'))
    .option('--part-size <bytes>', 'bytes per range (default 16MiB); files above two ranges go in parallel', byteSize('--part-size'))
    .action((what: BucketPath, file: string, o: { concurrency?: number; partSize?: number }) =>
      found({ name: 'download', bucket: what.bucket, fileName: what.path, file, concurrency: o.concurrency, partSize: o.partSize }),
    );

  root
    .command('rm')
    .description('delete the current version of a file (the previous one, if any, becomes current)')
    .argument('<bucket/name>', 'the file', bucketFile('<bucket/name>'))
    .option('--all-versions', 'delete every version of the name, hide markers included')
    .action((what: BucketPath, o: { allVersions?: boolean }) => found({ name: 'rm', bucket: what.bucket, fileName: what.path, allVersions: !!o.allVersions }));

  root
    .command('hide')
    .description('hide a file (its versions stay; the name no longer lists)')
    .argument('<bucket/name>', 'the file', bucketFile('<bucket/name>'))
    .action((what: BucketPath) => found({ name: 'hide', bucket: what.bucket, fileName: what.path }));

  addSyncCommand(root, found);
  return root;
}

/**
 * Parses `argv` (the arguments after the program name). Help and version go to `writeOut`, usage
 * errors to `writeErr` (as one JSON object when `--json` is among the options); those end the
 * parse with an exit code (0 for help, 2 for a usage error).
 *
 * @example
 * parseCommand(['ls', 'my-bucket/photos/', '--recursive'], output)
 * // → { command: { name: 'ls', bucket: 'my-bucket', prefix: 'photos/', recursive: true, versions: false },
 * //     options: { json: false, quiet: false, verbose: false, progress: undefined, retries: undefined } }
 */
export function parseCommand(argv: readonly string[], output: ParseOutput): ParseResult {
  const end = argv.indexOf('--');
  const json = (end < 0 ? argv : argv.slice(0, end)).includes('--json');
  // With --json, commander's own usage messages are gathered and told as one JSON error.
  let told = '';
  const errOut: ParseOutput = json ? { writeOut: output.writeOut, writeErr: (text) => (told += text) } : output;
  let command: CliCommand | undefined;
  const root = program(errOut, (c) => (command = c));
  try {
    root.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof UsageError) {
      output.writeErr(json ? JSON.stringify(errorJson(err)) + '\n' : `rxb2: ${err.message}\n`);
      return { exitCode: EXIT_USAGE };
    }
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return { exitCode: 0 };
    if (json) {
      const message = told.split('\n')[0].replace(/^error: /, '') || err.message;
      output.writeErr(JSON.stringify({ error: { code: 'usage', message }, exitCode: EXIT_USAGE }) + '\n');
    }
    return { exitCode: EXIT_USAGE };
  }
  // Every leaf command has an action; a parse without one printed help and threw above.
  if (!command) return { exitCode: EXIT_USAGE };
  const o = root.opts<{ json?: boolean; quiet?: boolean; verbose?: boolean; progress?: boolean; retries?: number }>();
  return { command, options: { json: !!o.json, quiet: !!o.quiet, verbose: !!o.verbose, progress: o.progress, retries: o.retries } };
}
