/**
 * `syncUp` and `syncDown`: a local folder and a bucket prefix made alike, as a stream. The plan is
 * the sorted merge of the folder's walk and the bucket's listing (both in UTF-8 byte order, read a
 * page at a time); its steps run through `mergeMap` with a concurrency limit.
 */
import { EMPTY, Observable, Subscription, catchError, concatMap, defer, from, mergeMap, of, switchMap, throwError } from 'rxjs';
import { B2Error, invalidArgument } from '../http/b2-error';
import { platform } from '../platform';
import type { B2File } from '../resources/b2-file';
import type { Bucket } from '../resources/bucket';
import { checkFileName, checkOptions, checkPositiveInt } from '../resources/validate';
import { runSync, type B2SyncEvent, type SyncExecutor, type SyncStepProgress } from './execute';
import { nameFilter } from './glob';
import { localPager, type SymlinkPolicy } from './local-folder';
import { mergeListings, readAhead, type Pager } from './merge-listings';
import { planSync, remoteModifiedMillis, type LocalEntry, type SyncCompare, type SyncDeleteMode } from './plan';
import { MAX_PAGE, remotePager } from './remote-listing';
import { RECOMMENDED_PART_SIZE } from '../transfer/part-plan';
import { openUploadSource } from '../transfer/upload-source';

/** Options of `syncUp` and `syncDown`. */
export interface B2SyncOptions {
  /** The local folder. `syncUp`: it must exist; `syncDown`: created if missing (not by a dry run). */
  localFolder: string;
  /** Names on B2 below this prefix (a folder: `photos/`; a `/` is added if missing); default the whole bucket. No leading `/`, no `//`. */
  prefix?: string;
  /** `modTime` (default): size and modification time; `size`: size only; `sha1`: size and SHA-1 (local files are hashed, from 8 MiB in worker threads). */
  compare?: SyncCompare;
  /** Files only at the destination: `keep` (default), `delete` (on B2 every version of the name), or `hide` (B2 hide markers; `syncUp` only). */
  delete?: SyncDeleteMode;
  /** `syncUp`: also delete B2 versions superseded more than this many days ago. */
  keepDays?: number;
  /** Glob patterns (rclone's syntax, see README "Sync"): only names matching one are synced. */
  include?: string[];
  /** Glob patterns: names matching one are left alone on both sides. */
  exclude?: string[];
  /** Symbolic links in the folder: `follow` (default; a loop is reported, not followed) or `skip`. */
  symlinks?: SymlinkPolicy;
  /** Files in flight at once (1–64, default 10). */
  concurrency?: number;
  /** Emit the plan (`planned` events) and do nothing. */
  dryRun?: boolean;
  /** Stop at the first failed file (default: carry on, and fail at the end listing every failure). */
  failFast?: boolean;
  /** `syncUp`: files above this many bytes go as large files, with `large_file_sha1` (default 100,000,000, B2's recommended part size). */
  largeFileThreshold?: number;
  /** `syncUp`: bytes per part of large files (default: the account's recommended part size). */
  partSize?: number;
  /** Names per listing request (1–10,000, default 1,000); also the local walk's page. */
  pageSize?: number;
}

/**
 * Makes `prefix` in `bucket` like the local folder: uploads files that are new or differ (by
 * `compare`), and with `delete` deletes or hides names that are only on B2.
 *
 * Emits `planned` for each step (upload, delete, hide, or skip, with its reason) in name order,
 * `progress` as bytes go, `done` per finished step and `failed` per failed file. Completes when
 * every step is done. Errors with `invalid_argument` (naming the option) before any request for bad
 * options, a missing folder or one that is a file; with `B2SyncError` (`sync_failed`, listing every
 * failed file and why) at the end if files failed, or at the first with `failFast`; with the
 * listing's error if B2 cannot be listed. Unsubscribing stops the walk, the listing, a file being
 * hashed (`compare: 'sha1'`, at its next chunk) and every transfer (a large file in progress is
 * cancelled; nothing half-uploaded stays); running it again finishes what is left.
 *
 * @example
 * syncUp(bucket, { localFolder: './photos', prefix: 'photos/', delete: 'hide' }).subscribe((e) => {
 *   if (e.type === 'done') console.log(e.action.kind, e.action.name, e.progress.filesDone, '/', e.progress.filesTotal);
 * });
 */
export function syncUp(bucket: Bucket, options: B2SyncOptions): Observable<B2SyncEvent<B2File>> {
  return sync(bucket, options, 'up');
}

/**
 * Makes the local folder like `prefix` in `bucket`: downloads names that are new or differ (each
 * written under a temporary name, SHA-1 verified, renamed into place, and given the file's B2
 * modification time), and with `delete: 'delete'` deletes local files not on B2. Events, completion,
 * errors and unsubscribing as `syncUp` (a download in progress leaves no file behind).
 */
export function syncDown(bucket: Bucket, options: B2SyncOptions): Observable<B2SyncEvent<B2File>> {
  return sync(bucket, options, 'down');
}

const COMPARES: readonly SyncCompare[] = ['modTime', 'size', 'sha1'];
const DELETES: readonly SyncDeleteMode[] = ['keep', 'delete', 'hide'];

/**
 * The options of a sync checked (no I/O): `invalid_argument` naming the option for anything wrong.
 * The sync does it on subscribe; the CLI before its first request.
 */
export function checkSyncOptions(options: B2SyncOptions, direction: 'up' | 'down') {
  const o = checkOptions(options);
  if (typeof o.localFolder !== 'string' || o.localFolder === '') throw invalidArgument('localFolder', 'must be a folder path');
  const prefix = checkPrefix(o.prefix);
  const compare = o.compare ?? 'modTime';
  if (!COMPARES.includes(compare)) throw invalidArgument('compare', 'must be modTime, size or sha1');
  const deleteMode = o.delete ?? 'keep';
  if (!DELETES.includes(deleteMode)) throw invalidArgument('delete', 'must be keep, delete or hide');
  if (deleteMode === 'hide' && direction === 'down') throw invalidArgument('delete', 'hide makes B2 hide markers: it is for syncUp only (use delete to remove local files)');
  if (o.keepDays !== undefined) {
    if (direction === 'down') throw invalidArgument('keepDays', 'prunes old versions on B2: it is for syncUp only');
    if (typeof o.keepDays !== 'number' || !Number.isSafeInteger(o.keepDays) || o.keepDays < 0) throw invalidArgument('keepDays', 'must be a whole number of days ≥ 0');
  }
  const symlinks = o.symlinks ?? 'follow';
  if (symlinks !== 'follow' && symlinks !== 'skip') throw invalidArgument('symlinks', 'must be follow or skip');
  const concurrency = checkPositiveInt(o.concurrency ?? 10, 'concurrency', 64);
  const pageSize = checkPositiveInt(o.pageSize ?? 1000, 'pageSize', MAX_PAGE);
  const threshold = checkPositiveInt(o.largeFileThreshold ?? RECOMMENDED_PART_SIZE, 'largeFileThreshold');
  if (o.partSize !== undefined) checkPositiveInt(o.partSize, 'partSize');
  for (const flag of ['dryRun', 'failFast'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw invalidArgument(flag, 'must be true or false');
  }
  const filter = nameFilter(o.include, o.exclude);
  return { o, root: o.localFolder, prefix, compare, deleteMode, symlinks, concurrency, pageSize, threshold, filter, dryRun: o.dryRun ?? false };
}

function sync(bucket: Bucket, options: B2SyncOptions, direction: 'up' | 'down'): Observable<B2SyncEvent<B2File>> {
  return defer(() => {
    const { o, root, prefix, compare, deleteMode, symlinks, concurrency, pageSize, threshold, filter, dryRun } = checkSyncOptions(options, direction);
    return from(prepareFolder(root, direction, dryRun)).pipe(
      switchMap(
        (rootIdentity) =>
          new Observable<B2SyncEvent<B2File>>((subscriber) => {
            // The pages read ahead live as long as the run: its end or unsubscribing aborts them.
            const lifetime = new Subscription();
            const localAll: Pager<LocalEntry> = rootIdentity === null ? () => of([]) : localPager(root, rootIdentity, { symlinks, filter, pageSize });
            // Versions only when the plan prunes them (keepDays) or deletes every version of a name.
            const versions = direction === 'up' && (o.keepDays !== undefined || deleteMode === 'delete');
            const remoteAll = remotePager(bucket, prefix, pageSize, versions);
            // Excluded names are left alone on B2 too; a page of only excluded names must not read as the end.
            const remoteKept: typeof remoteAll = !filter.patterns
              ? remoteAll
              : () =>
                  remoteAll().pipe(
                    mergeMap((page) => {
                      const kept = page.filter((e) => filter.keeps(e.name));
                      return page.length === 0 || kept.length > 0 ? of(kept) : remoteKept();
                    }),
                  );
            // The walk and the listing each read a page ahead of the merge.
            const pairs = mergeListings(readAhead(localAll, lifetime), readAhead(remoteKept, lifetime), { local: (e) => e.name, remote: (e) => e.name });
            const plan = planSync(pairs, {
              direction,
              compare,
              deleteMode,
              keepDays: o.keepDays,
              now: Date.now(),
              prefix,
              localPath: (name) => localPath(root, name) ?? '',
              sha1Of: (entry) => sha1OfFile(entry.path),
            });
            lifetime.add(
              runSync(plan, bucketExecutor(bucket, root, { threshold, partSize: o.partSize }), { concurrency, dryRun, failFast: o.failFast ?? false }).subscribe(subscriber),
            );
            return lifetime;
          }),
      ),
    );
  });
}

/** A prefix as B2 names a folder: '' or ending with `/`. */
function checkPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw invalidArgument('prefix', 'must be a string');
  if (prefix.startsWith('/')) throw invalidArgument('prefix', 'must not start with "/" (B2 names have no leading slash)');
  if (prefix.includes('//')) throw invalidArgument('prefix', 'must not contain "//" (an empty folder name)');
  checkFileName(prefix, 'prefix');
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Checks the local folder before any request: its identity (loop detection), or null when a
 * download-direction folder does not exist yet (created unless a dry run).
 */
async function prepareFolder(root: string, direction: 'up' | 'down', dryRun: boolean): Promise<string | null> {
  let info = await platform.statPath(root, true).catch((err: unknown) => {
    throw err instanceof B2Error ? err : invalidArgument('localFolder', `cannot be read: ${(err as Error).message}`);
  });
  if (info === null) {
    if (direction === 'up') throw invalidArgument('localFolder', `${root} does not exist`);
    if (dryRun) return null;
    await platform.makeFolder(root);
    info = await platform.statPath(root, true);
  }
  if (info === null || info.kind !== 'folder') throw invalidArgument('localFolder', `${root} is a file, not a folder`);
  return info.identity;
}

/** The local path of a B2 relative name, or null when it cannot be one (empty, `.` or `..` segments). */
function localPath(root: string, name: string): string | null {
  const segments = name.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) return null;
  return segments.reduce((path, s) => platform.joinPath(path, s), root);
}

/**
 * The SHA-1 of a local file, as an upload hashes it (openUploadSource): a file up to 1 MiB read
 * whole, a larger one read ahead in 1 MiB steps, off the main thread in worker threads from 8 MiB
 * where the platform has them. Emits it and completes; errors with `source_changed` if the file
 * changed while it was read. Unsubscribing stops the reading (at the next chunk, or the workers
 * are terminated) and closes the file.
 */
function sha1OfFile(path: string): Observable<string> {
  return new Observable<string>((subscriber) => {
    const stop = new AbortController();
    openUploadSource({ path })
      .then(async (source) => source.sha1 ?? (await source.hashAhead!(Math.max(source.size, 1), stop.signal)).sha1)
      .then(
        (sha1) => {
          subscriber.next(sha1);
          subscriber.complete();
        },
        (err: unknown) => subscriber.error(err),
      );
    return () => stop.abort();
  });
}

function changed(detail: string): B2Error {
  return new B2Error({ status: 0, code: 'source_changed', message: `changed while it was read (${detail})` });
}

/** Uploads, downloads, deletions and hide markers through the bucket and the platform's files. */
function bucketExecutor(bucket: Bucket, root: string, settings: { threshold: number; partSize?: number }): SyncExecutor<B2File> {
  /** Why an upload failed when the file is no longer as the walk saw it (gone, other size or time); null when it is. */
  const unchanged = async (entry: LocalEntry): Promise<string | null> => {
    const now = await platform.statPath(entry.path, true).catch(() => null);
    if (now === null) return 'it vanished';
    if (now.size !== entry.size) return `${entry.size} bytes when listed, now ${now.size}`;
    if (now.modifiedMillis !== entry.modifiedMillis) return 'modified since it was listed';
    return null;
  };
  return {
    upload(action) {
      const entry = action.local!;
      return defer(() => {
        const fileName = checkFileName(action.fileName, 'fileName');
        const fileInfo: Record<string, string> = { src_last_modified_millis: String(entry.modifiedMillis) };
        // The file as the walk saw it: the upload fails with source_changed if it differs when
        // opened, or changes while it is read, so what is stored is what was compared.
        const contents = { path: entry.path, expect: { size: entry.size, modifiedMillis: entry.modifiedMillis } };
        // Large files carry their whole SHA-1 (large_file_sha1), as b2sdk and rclone store it:
        // uploadFile records it by default, hashing the file ahead off the main thread.
        return bucket.uploadFile({ contents, fileName, fileInfo, largeFileThreshold: settings.threshold, partSize: settings.partSize }).pipe(
          mergeMap((e): Observable<SyncStepProgress> => (e.type === 'uploadProgress' ? of({ loaded: e.loaded }) : EMPTY)),
          catchError((err: unknown) =>
            err instanceof B2Error && err.code === 'source_changed'
              ? throwError(() => err)
              : // Another failure of a file that changed meanwhile (it vanished…): that is the reason to tell.
                from(unchanged(entry)).pipe(mergeMap((problem) => throwError(() => (problem === null ? err : changed(problem))))),
          ),
        );
      });
    },
    download(action) {
      return defer(() => {
        const remote = action.remote!;
        const path = localPath(root, action.name);
        if (path === null) throw invalidArgument('fileName', `${JSON.stringify(action.fileName)} cannot be a local path (an empty, "." or ".." folder name, or a "\\")`);
        const parent = action.name.includes('/') ? localPath(root, action.name.slice(0, action.name.lastIndexOf('/'))) : root;
        return from(platform.makeFolder(parent!)).pipe(
          switchMap(() => remote.downloadToFile(path)),
          mergeMap((e): Observable<SyncStepProgress> => {
            if (e.type === 'downloadProgress') return of({ loaded: e.loaded });
            if (e.type !== 'response') return EMPTY;
            return from(platform.setModifiedTime(path, remoteModifiedMillis(remote))).pipe(mergeMap(() => EMPTY));
          }),
        );
      });
    },
    delete(action) {
      if (action.where === 'local') return defer(() => from(platform.removeFile(action.path))).pipe(mergeMap(() => EMPTY));
      return from(action.versions ?? []).pipe(
        concatMap((v) => v.delete()),
        mergeMap(() => EMPTY),
      );
    },
    hide(action) {
      return action.remote!.hide().pipe(mergeMap(() => EMPTY));
    },
  };
}
