/**
 * The decisions of a sync: for each name on either side (a pair from `mergeListings`), what to do
 * and why. Pure but for hashing local files (the `sha1` compare mode), which is an Observable.
 */
import { Observable, concatMap, from, map, of, toArray } from 'rxjs';
import type { Pager, Paired } from './merge-listings';
import { compareNames } from './names';

/** A local file as the walk found it. */
export interface LocalEntry {
  /** Relative name, `/` separated; a folder that could not be read ends with `/`. */
  readonly name: string;
  /** Its path on disk (the local folder joined with the name). */
  readonly path: string;
  /** Its size in bytes (0 for an entry with a `problem` or a `skip`). */
  readonly size: number;
  /** Modification time, whole milliseconds. */
  readonly modifiedMillis: number;
  /** Why this entry cannot be synced (permission denied, a symbolic-link loop…): the sync reports it as failed. */
  readonly problem?: string;
  /** Why this entry is left alone (a symbolic link with `symlinks: 'skip'`, not a regular file). */
  readonly skip?: string;
}

/** The fields of a B2 file version a sync decides with (a `B2File` has them). */
export interface RemoteVersion {
  /** The version's id. */
  readonly fileId: string;
  /** Its full B2 name (prefix included). */
  readonly fileName: string;
  /** Its size in bytes: compared with the local file's. */
  readonly contentLength: number;
  /** Its SHA-1 (40 hex, maybe marked `unverified:`; `none` for a large file): compared with `compare: 'sha1'`. */
  readonly contentSha1: string | null;
  /**
   * Its file info: `src_last_modified_millis` is the modification time compared (else
   * `uploadTimestamp`), `large_file_sha1` a large file's SHA-1
   * (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api).
   */
  readonly fileInfo: Readonly<Record<string, string>>;
  /** What the version is (`upload`, `hide`…, as `B2File.action`): a name whose newest version is not an upload is not there. */
  readonly action: string;
  /** When it was uploaded, ms since the epoch: its modification time when it has no `src_last_modified_millis`. */
  readonly uploadTimestamp: number;
}

/** One name on B2 with its versions (newest first; unfinished large files left out). */
export interface RemoteEntry<V extends RemoteVersion = RemoteVersion> {
  /** Relative name (the B2 name without the prefix). */
  readonly name: string;
  readonly fileName: string;
  /** The newest version when it is an upload; null when the name is hidden. */
  readonly current: V | null;
  readonly versions: readonly V[];
}

/** `up`: the folder is the source, B2 the destination; `down`: the other way. */
export type SyncDirection = 'up' | 'down';
/** `modTime`: size and modification time (the default); `size`: size alone; `sha1`: size and SHA-1. */
export type SyncCompare = 'modTime' | 'size' | 'sha1';
/** What to do with files only at the destination: keep them, delete them, or (on B2) hide them. */
export type SyncDeleteMode = 'keep' | 'delete' | 'hide';
/** What a step does: send a file up, bring one down, delete (B2 versions or a local file), hide on B2, or nothing (with the reason why). */
export type SyncActionKind = 'upload' | 'download' | 'delete' | 'hide' | 'skip';

/** One step of a sync plan. */
export interface SyncAction<V extends RemoteVersion = RemoteVersion> {
  /** What the step does. */
  readonly kind: SyncActionKind;
  /** The relative name. */
  readonly name: string;
  /** The B2 name (prefix + relative name). */
  readonly fileName: string;
  /** The local path. */
  readonly path: string;
  /** Why: `new`, `size differs (10 → 12 bytes)`, `not in the local folder`… */
  readonly reason: string;
  /** Bytes this step moves (0 for delete, hide and skip). */
  readonly bytes: number;
  /** For `delete`: where (B2 versions, or the local file). */
  readonly where?: 'b2' | 'local';
  /** The local file as the walk found it, when there is one (the source of an upload, the file a download replaces). */
  readonly local?: LocalEntry;
  /** The version to download, or the name's newest version (hide). */
  readonly remote?: V;
  /** For a delete on B2: the versions to delete. */
  readonly versions?: readonly V[];
}

export interface PlanSettings {
  direction: SyncDirection;
  compare: SyncCompare;
  deleteMode: SyncDeleteMode;
  /** Delete versions that have been superseded for more than this many days (B2 side). */
  keepDays?: number;
  /** The time `keepDays` counts from. */
  now: number;
  prefix: string;
  /** The local path of a relative name. */
  localPath(name: string): string;
  /** The SHA-1 of a local file (compare `sha1`). */
  sha1Of(entry: LocalEntry): Observable<string>;
}

const DAY = 86_400_000;
/** No actions (shared: only ever read). */
const NONE: readonly never[] = Object.freeze([]);

/** The modification time B2 keeps for a version: `src_last_modified_millis`, else its upload time (as b2sdk and rclone read it). */
export function remoteModifiedMillis(v: RemoteVersion): number {
  const stored = v.fileInfo.src_last_modified_millis;
  return stored !== undefined && isMillis(stored) ? Number(stored) : v.uploadTimestamp;
}

/** 1 to 16 decimal digits (a time in milliseconds as b2sdk and rclone write it); a loop, no regular expression (one check per name listed). */
function isMillis(text: string): boolean {
  if (text.length === 0 || text.length > 16) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A step and the prunings that go with it (a function of the module, not a closure made for each name). */
function withPruned<V extends RemoteVersion>(action: SyncAction<V>, pruned: readonly SyncAction<V>[]): SyncAction<V>[] {
  return pruned.length === 0 ? [action] : [action, ...pruned];
}

/** A version's whole-file SHA-1: contentSha1, or `large_file_sha1` for large files; null when unknown. */
export function remoteSha1(v: RemoteVersion): string | null {
  const own = v.contentSha1?.replace(/^unverified:/, '');
  if (own && /^[0-9a-f]{40}$/.test(own)) return own;
  const large = v.fileInfo.large_file_sha1;
  return large && /^[0-9a-f]{40}$/.test(large) ? large : null;
}

/**
 * The plan: each call of the result emits the next batch of actions (an empty batch is the end),
 * in name order, pulling the next batch of pairs only when asked.
 */
export function planSync<V extends RemoteVersion>(pairs: Pager<Paired<LocalEntry, RemoteEntry<V>>>, settings: PlanSettings): Pager<SyncAction<V>> {
  // Folders that could not be read: B2 names below them are never deleted (they may be there locally).
  let unreadable: string[] = [];
  const up = settings.direction === 'up';
  const decideAll = (batch: readonly Paired<LocalEntry, RemoteEntry<V>>[]): Observable<readonly SyncAction<V>[]> => {
    // Most names are decided at once (no hashing): their actions go straight into the batch's list.
    const out: SyncAction<V>[] = [];
    let hashing: (SyncAction<V>[] | Observable<SyncAction<V>[]>)[] | undefined;
    for (const pair of batch) {
      const d = decide(pair);
      if (hashing === undefined && Array.isArray(d)) {
        for (const a of d) out.push(a);
        continue;
      }
      hashing ??= [out];
      hashing.push(d);
    }
    if (hashing === undefined) return of(out);
    return from(hashing).pipe(
      concatMap((d) => (Array.isArray(d) ? of(d) : d)),
      toArray(),
      map((all) => all.flat()),
    );
  };
  const decide = (pair: Paired<LocalEntry, RemoteEntry<V>>): SyncAction<V>[] | Observable<SyncAction<V>[]> => {
    const { name } = pair;
    if (unreadable.length > 0) unreadable = unreadable.filter((p) => name.startsWith(p) || compareNames(name, p) < 0);
    const local = pair.local;
    const remote = pair.remote?.current ?? undefined;
    // The listed name when there is one (it is the prefix and the name): no new string per name.
    const fileName = pair.remote?.fileName ?? settings.prefix + name;
    // A local file's path is the walk's; a name only on B2 gets the path it would have.
    const path = local !== undefined && local.problem === undefined ? local.path : settings.localPath(name);
    const pruned = pair.remote !== undefined && settings.keepDays !== undefined && up ? prune(pair.remote, { name, fileName, path, bytes: 0 }) : NONE;
    // Unchanged by size and modification time, the common case of a sync run again: decided without more.
    if (local !== undefined && remote !== undefined && local.problem === undefined && local.skip === undefined && local.size === remote.contentLength) {
      if (settings.compare === 'size') return withPruned({ kind: 'skip', name, fileName, path, bytes: 0, reason: 'same size', local, remote }, pruned);
      if (settings.compare === 'modTime' && local.modifiedMillis === remoteModifiedMillis(remote)) {
        return withPruned({ kind: 'skip', name, fileName, path, bytes: 0, reason: 'same size and modification time', local, remote }, pruned);
      }
    }
    const base = { name, fileName, path, bytes: 0 };
    if (local?.problem !== undefined) {
      if (local.name.endsWith('/')) unreadable.push(local.name);
      // Reported as the step it would have been; the executor fails it without a request.
      const kind = up ? 'upload' : remote ? 'download' : 'skip';
      return [{ ...base, kind, reason: local.problem, local, remote }, ...pruned];
    }
    if (local?.skip !== undefined) return [{ ...base, kind: 'skip', reason: local.skip, local }, ...pruned];
    const source = up ? local : remote;
    const destination = up ? remote : local;
    const transfer = (reason: string): SyncAction<V> =>
      up ? { ...base, kind: 'upload', reason, bytes: local!.size, local, remote } : { ...base, kind: 'download', reason, bytes: remote!.contentLength, local, remote };
    if (source && !destination) {
      const reason = up && pair.remote && !remote ? 'hidden on B2' : 'new';
      return [transfer(reason), ...pruned];
    }
    if (!source && destination) {
      const gone = extra(base, local, pair.remote);
      // Deleting the name deletes every version: nothing left to prune.
      return gone.some((a) => a.kind === 'delete' && a.where === 'b2') ? gone : [...gone, ...pruned];
    }
    if (!source || !destination) return [...pruned];
    const l = local!;
    const r = remote!;
    if (l.size !== r.contentLength) {
      const [from, to] = up ? [l.size, r.contentLength] : [r.contentLength, l.size];
      return [transfer(`size differs (${to} → ${from} bytes)`), ...pruned];
    }
    const byTime = (): SyncAction<V>[] => {
      const lm = l.modifiedMillis;
      const rm = remoteModifiedMillis(r);
      if (lm === rm) return [{ ...base, kind: 'skip', reason: 'same size and modification time', local, remote }, ...pruned];
      const newer = (up ? lm > rm : rm > lm) ? 'newer' : 'older';
      return [transfer(`modification time differs (source ${newer}: ${new Date(up ? lm : rm).toISOString()})`), ...pruned];
    };
    if (settings.compare === 'modTime') return byTime();
    const expected = remoteSha1(r);
    // No SHA-1 on B2 (a large file uploaded without large_file_sha1): size and time decide.
    if (expected === null) return byTime().map((a) => (a.name === name && a.kind !== 'delete' ? { ...a, reason: `${a.reason} (no SHA-1 on B2)` } : a));
    return settings
      .sha1Of(l)
      .pipe(map((actual) => [actual === expected ? { ...base, kind: 'skip' as const, reason: 'same SHA-1', local, remote } : transfer('SHA-1 differs'), ...pruned]));
  };
  /** A name only at the destination. */
  const extra = (base: Omit<SyncAction<V>, 'kind' | 'reason'>, local: LocalEntry | undefined, remote: RemoteEntry<V> | undefined): SyncAction<V>[] => {
    const where = settings.direction === 'up' ? 'on B2' : 'locally';
    const reason = settings.direction === 'up' ? 'not in the local folder' : 'not on B2';
    if (unreadable.some((p) => base.name.startsWith(p)))
      return [{ ...base, kind: 'skip', reason: 'kept: its local folder could not be read', local, remote: remote?.current ?? undefined }];
    if (settings.deleteMode === 'keep') return [{ ...base, kind: 'skip', reason: `${reason} (kept ${where})`, local, remote: remote?.current ?? undefined }];
    if (settings.direction === 'down') return [{ ...base, kind: 'delete', where: 'local', reason, local }];
    if (settings.deleteMode === 'hide') return [{ ...base, kind: 'hide', reason, remote: remote!.current! }];
    return [{ ...base, kind: 'delete', where: 'b2', reason, remote: remote!.current!, versions: remote!.versions }];
  };
  /** Versions superseded more than keepDays ago (not when the whole name is being deleted anyway). */
  const prune = (remote: RemoteEntry<V>, base: Omit<SyncAction<V>, 'kind' | 'reason'>): readonly SyncAction<V>[] => {
    if (settings.keepDays === undefined || settings.direction !== 'up') return NONE;
    const limit = settings.now - settings.keepDays * DAY;
    const out: SyncAction<V>[] = [];
    for (let i = 1; i < remote.versions.length; i++) {
      const supersededAt = remote.versions[i - 1].uploadTimestamp;
      if (supersededAt < limit) {
        const v = remote.versions[i];
        out.push({ ...base, kind: 'delete', where: 'b2', reason: `old version, superseded more than ${settings.keepDays} days ago`, remote: v, versions: [v] });
      }
    }
    return out;
  };
  return () => pairs().pipe(concatMap((batch) => decideAll(batch)));
}
