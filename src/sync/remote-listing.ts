/**
 * A bucket's names under a prefix, read a page at a time: their current versions only
 * (b2_list_file_names) when the plan needs nothing else, or every version (b2_list_file_versions)
 * when it prunes or deletes versions.
 */
import { mergeMap, of, toArray, type Observable } from 'rxjs';
import type { B2File } from '../resources/b2-file';
import type { Bucket } from '../resources/bucket';
import type { Pager } from './merge-listings';
import type { RemoteEntry } from './plan';

/** The most names one listing request may ask for (https://www.backblaze.com/apidocs/b2-list-file-names). */
export const MAX_PAGE = 10_000;

/**
 * Each call emits the next page of names, an empty page at the end. With `versions`, pages of
 * `pageSize` versions (b2_list_file_versions); otherwise pages of `pageSize` current files
 * (b2_list_file_names: one entry per visible name, hidden names absent), which is all a sync needs
 * to compare and upload, download or hide — B2 reads and sends one row per name instead of one per
 * version.
 */
export function remotePager(bucket: Bucket, prefix: string, pageSize: number, versions: boolean): Pager<RemoteEntry<B2File>> {
  return versions ? versionPager(bucket, prefix, pageSize) : namePager(bucket, prefix, pageSize);
}

/**
 * Current files, `pageSize` names a request. B2's startFileName is inclusive, so each page after
 * the first starts at the last name already read and asks for one more.
 */
function namePager(bucket: Bucket, prefix: string, pageSize: number): Pager<RemoteEntry<B2File>> {
  let last: string | undefined;
  let ended = false;
  const next = (): Observable<readonly RemoteEntry<B2File>[]> => {
    if (ended) return of([]);
    const ask = last === undefined ? pageSize : Math.min(pageSize + 1, MAX_PAGE);
    return bucket.listFiles({ prefix: prefix || undefined, startFileName: last, pageSize: ask, limit: ask }).pipe(
      toArray(),
      mergeMap((files) => {
        if (files.length < ask) ended = true;
        const out: RemoteEntry<B2File>[] = [];
        for (const f of files) {
          if (f.fileName === last || f.action !== 'upload') continue;
          const name = f.fileName.slice(prefix.length);
          if (name !== '') out.push({ name, fileName: f.fileName, current: f, versions: [f] });
        }
        if (files.length > 0) last = files[files.length - 1].fileName;
        // A page left empty (only the prefix itself) must not read as the end.
        return out.length > 0 || ended ? of(out) : next();
      }),
    );
  };
  return next;
}

/**
 * Every version, `pageSize` versions a request. A page's last name may have more versions on the
 * next page: it is held back and read again from its first version by the next call.
 */
function versionPager(bucket: Bucket, prefix: string, pageSize: number): Pager<RemoteEntry<B2File>> {
  let start: string | undefined;
  let ended = false;
  const next = (size: number): Observable<readonly RemoteEntry<B2File>[]> => {
    if (ended) return of([]);
    return bucket.listFileVersions({ prefix: prefix || undefined, startFileName: start, pageSize: Math.min(size, MAX_PAGE), limit: size }).pipe(
      toArray(),
      mergeMap((versions) => {
        if (versions.length < size) {
          ended = true;
          return of(group(versions, prefix));
        }
        const last = versions[versions.length - 1].fileName;
        const whole = versions.filter((v) => v.fileName !== last);
        // One name fills the page: read it again with a larger page.
        if (whole.length === 0) return next(size * 2);
        start = last;
        const page = group(whole, prefix);
        return page.length > 0 ? of(page) : next(pageSize);
      }),
    );
  };
  return () => next(pageSize);
}

/** Versions (name order, newest first) grouped by name; unfinished large files left out. */
function group(versions: readonly B2File[], prefix: string): RemoteEntry<B2File>[] {
  const out: RemoteEntry<B2File>[] = [];
  let current: B2File[] = [];
  const flush = () => {
    const kept = current.filter((v) => v.action !== 'start' && v.action !== 'folder');
    if (kept.length > 0 && kept[0].fileName.length > prefix.length) {
      const newest = kept[0];
      out.push({
        name: newest.fileName.slice(prefix.length),
        fileName: newest.fileName,
        current: newest.action === 'hide' ? null : newest,
        versions: kept,
      });
    }
    current = [];
  };
  for (const v of versions) {
    if (current.length > 0 && current[0].fileName !== v.fileName) flush();
    current.push(v);
  }
  flush();
  return out;
}
