/** A bucket's names under a prefix, with their versions, read a page of versions at a time. */
import { mergeMap, of, toArray, type Observable } from 'rxjs';
import type { B2File } from '../resources/b2-file';
import type { Bucket } from '../resources/bucket';
import type { Pager } from './merge-listings';
import type { RemoteEntry } from './plan';

/**
 * Each call emits the next page of names (b2_list_file_versions, `pageSize` versions a request);
 * an empty page at the end. A page's last name may have more versions on the next page: it is held
 * back and read again from its first version by the next call.
 */
export function remotePager(bucket: Bucket, prefix: string, pageSize: number): Pager<RemoteEntry<B2File>> {
  let start: string | undefined;
  let ended = false;
  const next = (size: number): Observable<readonly RemoteEntry<B2File>[]> => {
    if (ended) return of([]);
    return bucket.listFileVersions({ prefix: prefix || undefined, startFileName: start, pageSize: Math.min(size, 10_000), limit: size }).pipe(
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
        return of(group(whole, prefix));
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
    if (kept.length > 0) {
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
  return out.filter((e) => e.name !== '');
}
