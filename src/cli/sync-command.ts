/**
 * `rxb2 sync`: a local folder and a bucket prefix made alike (syncUp / syncDown). The B2 side is
 * `b2://BUCKET[/PREFIX]`, or, for a sync up, the CLI's `BUCKET[/PREFIX]` as the second argument:
 *
 * ```text
 * rxb2 sync ./photos my-bucket/photos            folder → bucket
 * rxb2 sync ./photos b2://my-bucket/photos       the same
 * rxb2 sync b2://my-bucket/photos ./photos       bucket → folder
 * ```
 *
 * This module defines the command for the parser (loading no client) and runs it; the client is
 * loaded only when the command runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { B2, B2SyncEvent, B2SyncOptions } from '../index';
import { UsageError } from './errors';
import { concurrency } from './flag-values';

export interface SyncCliCommand {
  name: 'sync';
  direction: 'up' | 'down';
  folder: string;
  bucket: string;
  prefix: string;
  dryRun: boolean;
  delete: 'keep' | 'delete' | 'hide';
  compare: 'modTime' | 'size' | 'sha1';
  include: string[];
  exclude: string[];
  keepDays?: number;
  symlinks: 'follow' | 'skip';
  concurrency?: number;
  failFast: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--keep-days`: a whole number of days, 0 to 100,000; a `UsageError` naming the flag otherwise (as the CLI's other flag parsers). */
function days(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 100_000) throw new UsageError(flag, `expected a whole number of days from 0 to 100000, not '${value}'`);
    return n;
  };
}

/** `b2://BUCKET[/PREFIX]` (or `BUCKET[/PREFIX]` when `scheme` is not required) split; undefined when not a B2 path. */
function b2Path(value: string, schemeRequired: boolean): { bucket: string; prefix: string } | undefined {
  const hasScheme = value.startsWith('b2://');
  if (!hasScheme && schemeRequired) return undefined;
  const rest = hasScheme ? value.slice(5) : value;
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') throw new InvalidArgumentError(`${value}: expected b2://BUCKET or b2://BUCKET/PREFIX`);
  return { bucket, prefix: slash < 0 ? '' : rest.slice(slash + 1) };
}

/** Adds `sync` to the program; `found` receives the parsed command. */
export function addSyncCommand(root: Command, found: (command: SyncCliCommand) => void): void {
  root
    .command('sync')
    .description(
      'make a bucket prefix like a local folder (FOLDER b2://BUCKET/PREFIX), or a folder like a prefix (b2://BUCKET/PREFIX FOLDER); Ctrl-C stops it, running it again finishes',
    )
    .argument('<source>', 'a folder, or b2://BUCKET[/PREFIX]')
    .argument('<destination>', 'b2://BUCKET[/PREFIX] (or BUCKET[/PREFIX]), or a folder')
    .option('--dry-run', 'print what would be done, do nothing')
    .option('--delete', 'delete destination files that are not in the source (on B2: every version)')
    .option('--hide', 'hide B2 files that are not in the folder (versions stay; sync up only)')
    .option('--checksum', 'compare by size and SHA-1 (local files are read) instead of size and modification time')
    .option('--size-only', 'compare by size only')
    .option('--include <glob>', 'sync only names matching (repeatable; * ** ? [..] {a,b}; / at the start anchors)', collect, [])
    .option('--exclude <glob>', 'leave names matching alone on both sides (repeatable; dir/ excludes a folder)', collect, [])
    .option('--keep-days <n>', 'sync up: also delete B2 versions superseded more than n days ago', days('--keep-days'))
    .option('--skip-symlinks', 'leave symbolic links alone (default: follow them; loops are reported)')
    .option('--concurrency <n>', 'files in flight at once (default 10)', concurrency('--concurrency'))
    .option('--fail-fast', 'stop at the first file that fails (default: carry on and report every failure)')
    .action(
      (
        source: string,
        destination: string,
        o: {
          dryRun?: boolean;
          delete?: boolean;
          hide?: boolean;
          checksum?: boolean;
          sizeOnly?: boolean;
          include: string[];
          exclude: string[];
          keepDays?: number;
          skipSymlinks?: boolean;
          concurrency?: number;
          failFast?: boolean;
        },
        self: Command,
      ) => {
        // A usage error: commander prints it and the parse ends with exit code 2.
        const usage = (message: string): never => self.error(`error: ${message}`);
        let from: ReturnType<typeof b2Path>;
        let to: ReturnType<typeof b2Path>;
        try {
          from = b2Path(source, true);
          to = from ? b2Path(destination, true) : b2Path(destination, false);
        } catch (err) {
          return usage((err as Error).message);
        }
        if (from && to) return usage('one side must be a local folder (B2 to B2 is not supported)');
        if (!from && !to) return usage('one side must be b2://BUCKET[/PREFIX]');
        if (o.delete && o.hide) return usage('--delete and --hide do not go together');
        if (o.checksum && o.sizeOnly) return usage('--checksum and --size-only do not go together');
        const where = (from ?? to)!;
        found({
          name: 'sync',
          direction: from ? 'down' : 'up',
          folder: from ? destination : source,
          bucket: where.bucket,
          prefix: where.prefix,
          dryRun: !!o.dryRun,
          delete: o.delete ? 'delete' : o.hide ? 'hide' : 'keep',
          compare: o.checksum ? 'sha1' : o.sizeOnly ? 'size' : 'modTime',
          include: o.include,
          exclude: o.exclude,
          keepDays: o.keepDays,
          symlinks: o.skipSymlinks ? 'skip' : 'follow',
          concurrency: o.concurrency,
          failFast: !!o.failFast,
        });
      },
    );
}

/** What running the command needs from the CLI: the client, its printer, the interrupt, and a wait for clean-up requests. */
export interface SyncCommandContext {
  b2: B2;
  print: {
    /** A result: `text`, or `json` with --json (nothing with --quiet). */
    result(text: string, json: Record<string, unknown>): void;
    err(line: string): void;
    progress(label: string): { update(loaded: number, total: number | undefined): void; stop(): void; readonly seconds: number };
    readonly options: { json: boolean };
  };
  signal: AbortSignal | undefined;
  transport: { idle(timeoutMs: number): Promise<unknown> };
}

const PAST = { upload: 'uploaded', download: 'downloaded', delete: 'deleted', hide: 'hidden', skip: 'unchanged' } as const;

/**
 * Runs the sync: one result per step that does something (`uploaded name (reason)`, `would upload
 * …` in a dry run; `{"synced": …}` / `{"planned": …}` with --json), `failed name: reason` on stderr,
 * a progress bar on a terminal, and a summary. Resolves 0; rejects with `Interrupted` on Ctrl-C
 * (exit 130), or with the sync's error (a `B2SyncError` lists every failed file: exit 1;
 * `invalid_argument`: exit 2).
 */
export async function runSyncCommand(command: SyncCliCommand, c: SyncCommandContext): Promise<number> {
  const { syncDown, syncUp } = await import('../index');
  const { checkSyncOptions } = await import('../sync/sync');
  const { Interrupted } = await import('./errors');
  const { consume, one } = await import('./consume');
  const checked: B2SyncOptions = {
    localFolder: command.folder,
    prefix: command.prefix,
    compare: command.compare,
    delete: command.delete,
    include: command.include,
    exclude: command.exclude,
    keepDays: command.keepDays,
    symlinks: command.symlinks,
    concurrency: command.concurrency,
    dryRun: command.dryRun,
    failFast: command.failFast,
  };
  // Bad options fail before the first request (the sync checks them again on subscribe).
  checkSyncOptions(checked, command.direction);
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const auth = await one(c.b2.authorize(), c.signal);
  const options: B2SyncOptions = { ...checked, largeFileThreshold: auth.recommendedPartSize };
  const progress = c.print.progress('sync    ');
  const counts = { upload: 0, download: 0, delete: 0, hide: 0, skip: 0 };
  let bytes = 0;
  const target = `b2://${bucket.bucketName}/${command.prefix}`;
  const step = (e: { action: { kind: keyof typeof counts; name: string; reason: string } }) => ({ kind: e.action.kind, name: e.action.name, reason: e.action.reason });
  const onEvent = (e: B2SyncEvent) => {
    if (e.type === 'planned') {
      if (command.dryRun || e.action.kind === 'skip') counts[e.action.kind]++;
      if (command.dryRun && e.action.kind !== 'skip') c.print.result(`would ${e.action.kind} ${e.action.name} (${e.action.reason})`, { planned: step(e) });
    } else if (e.type === 'done') {
      counts[e.action.kind]++;
      bytes += e.action.bytes;
      progress.update(e.progress.bytesDone, e.progress.bytesTotal);
      c.print.result(`${PAST[e.action.kind]} ${e.action.name} (${e.action.reason})`, { synced: step(e) });
    } else if (e.type === 'progress') {
      progress.update(e.progress.bytesDone, e.progress.bytesTotal);
    } else if (e.type === 'failed') {
      c.print.err(c.print.options.json ? JSON.stringify({ failed: { ...step(e), reason: e.reason } }) : `failed ${e.action.kind} ${e.action.name}: ${e.reason}`);
    }
  };
  const events = command.direction === 'up' ? syncUp(bucket, options) : syncDown(bucket, options);
  let completed: boolean;
  try {
    completed = await consume(events, c.signal, onEvent);
  } finally {
    progress.stop();
  }
  if (!completed) {
    // The unsubscribe aborted every transfer; a large file in progress is being cancelled.
    await c.transport.idle(10_000);
    throw new Interrupted(`interrupted: sync stopped (${counts.upload + counts.download} files transferred); run the same command again to finish`);
  }
  const [source, destination] = command.direction === 'up' ? [command.folder, target] : [target, command.folder];
  const done = Object.entries(counts)
    .filter(([kind, n]) => n > 0 || kind === (command.direction === 'up' ? 'upload' : 'download'))
    .map(([kind, n]) => `${n} ${command.dryRun && kind !== 'skip' ? `to ${kind}` : PAST[kind as keyof typeof PAST]}`)
    .join(', ');
  c.print.result(`${command.dryRun ? 'dry run: ' : ''}sync ${source} → ${destination}: ${done}${command.dryRun ? '' : `, ${bytes} bytes, ${progress.seconds.toFixed(1)} s`}`, {
    sync: { source, destination, dryRun: command.dryRun, ...counts, bytes, seconds: progress.seconds },
  });
  return 0;
}
