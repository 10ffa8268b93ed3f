/**
 * The rxb2 command line, parsed by commander into one `CliCommand` value (no I/O beyond help and
 * usage messages): `executeCommand` runs it. Usage errors end with exit code 2.
 */
import { basename } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseByteSize } from './format';
import { addSyncCommand, type SyncCliCommand } from './sync-command';

export type CliCommand =
  | { name: 'emulator'; host: string; port: number; dataDir?: string; recommendedPartSize?: number; absoluteMinimumPartSize?: number }
  | { name: 'buckets ls' }
  | { name: 'buckets create'; bucket: string; public: boolean }
  | { name: 'buckets rm'; bucket: string }
  | { name: 'ls'; bucket: string; prefix: string; recursive: boolean; versions: boolean }
  | { name: 'upload'; file: string; bucket: string; fileName: string; partSize?: number; concurrency?: number; resume: boolean; contentType?: string }
  | { name: 'download'; bucket: string; fileName: string; file: string; concurrency?: number; partSize?: number }
  | { name: 'rm'; bucket: string; fileName: string; allVersions: boolean }
  | { name: 'hide'; bucket: string; fileName: string }
  | SyncCliCommand;

/** A command to run, or the exit code of a parse that ended early (help, version, usage error). */
export type ParseResult = { command: CliCommand } | { exitCode: number };

/** Where commander writes help (out) and usage errors (err). */
export interface ParseOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

export const VERSION = '0.1.0';

/** `BUCKET[/PATH]` split at its first slash. */
interface BucketPath {
  bucket: string;
  path: string;
}

function bucketPath(value: string): BucketPath {
  const slash = value.indexOf('/');
  const bucket = slash < 0 ? value : value.slice(0, slash);
  if (bucket === '') throw new InvalidArgumentError('expected BUCKET or BUCKET/PATH');
  return { bucket, path: slash < 0 ? '' : value.slice(slash + 1) };
}

function bucketFile(value: string): BucketPath {
  const parsed = bucketPath(value);
  if (parsed.path === '') throw new InvalidArgumentError('expected BUCKET/NAME');
  return parsed;
}

function byteSize(value: string): number {
  const bytes = parseByteSize(value);
  if (bytes === undefined) throw new InvalidArgumentError('expected a byte count such as 5000, 100MB or 64MiB');
  return bytes;
}

function concurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

/** The commander program; `found` receives the parsed command. A new one per parse (no state between runs). */
function program(output: ParseOutput, found: (command: CliCommand) => void): Command {
  const root = new Command('rxb2')
    .description('Backblaze B2 from the command line, on the rxb2 client.')
    .addHelpText(
      'after',
      '\nEnvironment:\n' +
        '  B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY   credentials (never printed)\n' +
        '  B2_REALM                                   API URL other than production\'s, e.g. an emulator\'s\n\n' +
        'Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C).\n',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.writeOut(s), writeErr: (s) => output.writeErr(s) })
    .showSuggestionAfterError()
    .showHelpAfterError('(rxb2 --help shows the commands)');

  root
    .command('emulator')
    .description('run the B2 emulator until Ctrl-C; prints its URL and keys')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', port, 8000)
    .option('--data <dir>', 'keep state in this directory (default: in memory)')
    .option('--part-size <bytes>', 'recommendedPartSize to advertise', byteSize)
    .option('--min-part-size <bytes>', 'absoluteMinimumPartSize to advertise', byteSize)
    .action((o: { host: string; port: number; data?: string; partSize?: number; minPartSize?: number }) =>
      found({ name: 'emulator', host: o.host, port: o.port, dataDir: o.data, recommendedPartSize: o.partSize, absoluteMinimumPartSize: o.minPartSize }),
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
    .argument('<bucket[/prefix]>', 'bucket, optionally followed by a name prefix', bucketPath)
    .option('-r, --recursive', 'every name below the prefix, no folders')
    .option('--versions', 'every version (also hide markers and unfinished large files): size, date, action, file id, name')
    .action((where: BucketPath, o: { recursive?: boolean; versions?: boolean }) =>
      found({ name: 'ls', bucket: where.bucket, prefix: where.path, recursive: !!o.recursive, versions: !!o.versions }),
    );

  root
    .command('upload')
    .description('upload a file (large files go in parts, several at a time); Ctrl-C stops it')
    .argument('<file>', 'local file')
    .argument('<bucket/name>', 'where to put it (a name ending in / takes the file\'s base name)', bucketPath)
    .option('--part-size <bytes>', 'bytes per part; files above it go in parts (default: the account\'s recommended size)', byteSize)
    .option('--concurrency <n>', 'parts in flight at once (default 4)', concurrency)
    .option('--resume', 'continue an unfinished upload of the same file, and keep it unfinished when interrupted')
    .option('--content-type <type>', 'content type (default: B2 picks by extension)')
    .action((file: string, where: BucketPath, o: { partSize?: number; concurrency?: number; resume?: boolean; contentType?: string }) =>
      found({
        name: 'upload',
        file,
        bucket: where.bucket,
        fileName: where.path === '' || where.path.endsWith('/') ? where.path + basename(file) : where.path,
        partSize: o.partSize,
        concurrency: o.concurrency,
        resume: !!o.resume,
        contentType: o.contentType,
      }),
    );

  root
    .command('download')
    .description('download a file (SHA-1 verified); large ones in parallel ranges')
    .argument('<bucket/name>', 'the file', bucketFile)
    .argument('<file>', 'local file, or a directory to download into')
    .option('--concurrency <n>', 'ranges in flight at once (default 4)', concurrency)
    .option('--part-size <bytes>', 'bytes per range (default 16MiB); files above two ranges go in parallel', byteSize)
    .action((what: BucketPath, file: string, o: { concurrency?: number; partSize?: number }) =>
      found({ name: 'download', bucket: what.bucket, fileName: what.path, file, concurrency: o.concurrency, partSize: o.partSize }),
    );

  root
    .command('rm')
    .description('delete the current version of a file (the previous one, if any, becomes current)')
    .argument('<bucket/name>', 'the file', bucketFile)
    .option('--all-versions', 'delete every version of the name, hide markers included')
    .action((what: BucketPath, o: { allVersions?: boolean }) => found({ name: 'rm', bucket: what.bucket, fileName: what.path, allVersions: !!o.allVersions }));

  root
    .command('hide')
    .description('hide a file (its versions stay; the name no longer lists)')
    .argument('<bucket/name>', 'the file', bucketFile)
    .action((what: BucketPath) => found({ name: 'hide', bucket: what.bucket, fileName: what.path }));

  addSyncCommand(root, found);
  return root;
}

/**
 * Parses `argv` (the arguments after the program name). Help and version go to `writeOut`, usage
 * errors to `writeErr`; those end the parse with an exit code (0 for help, 2 for a usage error).
 *
 * @example
 * parseCommand(['ls', 'my-bucket/photos/', '--recursive'], output)
 * // → { command: { name: 'ls', bucket: 'my-bucket', prefix: 'photos/', recursive: true, versions: false } }
 */
export function parseCommand(argv: readonly string[], output: ParseOutput): ParseResult {
  let command: CliCommand | undefined;
  try {
    program(output, (c) => (command = c)).parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { exitCode: err.exitCode === 0 ? 0 : 2 };
  }
  // Every leaf command has an action; a parse without one printed help and threw above.
  return command ? { command } : { exitCode: 2 };
}
