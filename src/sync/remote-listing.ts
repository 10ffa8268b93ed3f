/**
 * A bucket's names under a prefix, read a page at a time: their current versions only
 * (b2_list_file_names) when the plan needs nothing else, or every version (b2_list_file_versions)
 * when it prunes or deletes versions.
 */
import { mergeMap, of, type Observable } from 'rxjs';
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
 * version. Each request starts where B2's answer to the one before said the next page starts
 * (nextFileName, nextFileId), and none is made past a page that said it was the last.
 */
export function remotePager(bucket: Bucket, prefix: string, pageSize: number, versions: boolean): Pager<RemoteEntry<B2File>> {
  return versions ? versionPager(bucket, prefix, pageSize) : namePager(bucket, prefix, pageSize);
}

/** Current files, `pageSize` names a request. */
function namePager(bucket: Bucket, prefix: string, pageSize: number): Pager<RemoteEntry<B2File>> {
  let start: string | undefined;
  let ended = false;
  const next = (): Observable<readonly RemoteEntry<B2File>[]> => {
    if (ended) return of([]);
    return bucket.listPage({ prefix: prefix || undefined, startFileName: start, maxFileCount: pageSize }, false).pipe(
      mergeMap((page) => {
        if (page.nextFileName === null) ended = true;
        else start = page.nextFileName;
        const out: RemoteEntry<B2File>[] = [];
        for (const f of page.files) {
          if (f.action !== 'upload') continue;
          const name = f.fileName.slice(prefix.length);
          if (name !== '') out.push({ name, fileName: f.fileName, current: f, versions: [f] });
        }
        // A page left empty (only the prefix itself) must not read as the end.
        return out.length > 0 || ended ? of(out) : next();
      }),
    );
  };
  return next;
}

/**
 * Every version, `pageSize` versions a request. The versions of a page's last name may go on in
 * the next page (when B2's nextFileName is that name): they are held back and grouped with the rest.
 */
function versionPager(bucket: Bucket, prefix: string, pageSize: number): Pager<RemoteEntry<B2File>> {
  let cursor: { name: string; id: string | undefined } | undefined;
  let held: B2File[] = [];
  let ended = false;
  const next = (): Observable<readonly RemoteEntry<B2File>[]> => {
    if (ended) return of([]);
    return bucket.listPage({ prefix: prefix || undefined, startFileName: cursor?.name, startFileId: cursor?.id, maxFileCount: pageSize }, true).pipe(
      mergeMap((page) => {
        const versions = held.length > 0 ? held.concat(page.files) : page.files;
        if (page.nextFileName === null) {
          ended = true;
          held = [];
          return of(group(versions, prefix));
        }
        cursor = { name: page.nextFileName, id: page.nextFileId ?? undefined };
        let cut = versions.length;
        while (cut > 0 && versions[cut - 1].fileName === page.nextFileName) cut--;
        held = versions.slice(cut);
        const grouped = group(versions.slice(0, cut), prefix);
        return grouped.length > 0 ? of(grouped) : next();
      }),
    );
  };
  return next;
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
