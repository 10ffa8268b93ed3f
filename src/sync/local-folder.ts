/**
 * A local folder walked depth first in the order B2 lists names (UTF-8 byte order of the relative
 * names with `/` separators), a page at a time: only the folders on the current path are held.
 */
import { defer, from, type Observable } from 'rxjs';
import { platform } from '../platform';
import type { NameFilter } from './glob';
import type { Pager } from './merge-listings';
import { sortFolderEntries } from './names';
import type { LocalEntry } from './plan';
import { failureReason } from './sync-error';

/**
 * What a sync does with symbolic links in its local folder: `follow` (the default) syncs what they
 * point to, as files and folders of the link's name (a link leading back to a folder on its own
 * path, or a broken link, is reported as failed); `skip` leaves them out (a `skip` step says so).
 */
export type SymlinkPolicy = 'follow' | 'skip';

interface Item {
  name: string;
  folder: boolean;
  /** Set for a link when links are skipped, for other kinds (sockets…), or when it cannot be looked at. */
  skip?: string;
  problem?: string;
  /** For folders: device and inode (loop detection). */
  identity?: string;
}

interface Frame {
  rel: string;
  path: string;
  identity: string;
  items: Item[];
  at: number;
}

/** The walk: each call emits the next page of entries (files, and problems), an empty page at the end. */
export function localPager(root: string, rootIdentity: string, options: { symlinks: SymlinkPolicy; filter: NameFilter; pageSize: number }): Pager<LocalEntry> {
  let stack: Frame[] | undefined;
  /** Up to a page of entries; the page's files are looked at (statPaths) together, in the order of the walk. */
  const fill = async (): Promise<LocalEntry[]> => {
    stack ??= [{ rel: '', path: root, identity: rootIdentity, items: await readSorted(root, options.symlinks), at: 0 }];
    const out: (LocalEntry | null)[] = [];
    /** The files to look at: their names, paths, and places in `out` (one entry each, no object per file). */
    const names: string[] = [];
    const paths: string[] = [];
    const places: number[] = [];
    while (out.length < options.pageSize && stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.at >= top.items.length) {
        stack.pop();
        continue;
      }
      const item = top.items[top.at++];
      const rel = top.rel === '' ? item.name : `${top.rel}/${item.name}`;
      const path = platform.joinPath(top.path, item.name);
      if (item.folder) {
        if (options.filter.excludesFolder(rel)) continue;
        // Named with its `/` so that it sorts where its contents would.
        if (item.problem !== undefined) {
          out.push({ path, size: 0, modifiedMillis: 0, name: `${rel}/`, problem: item.problem });
          continue;
        }
        if (stack.some((f) => f.identity === item.identity)) {
          out.push({
            path,
            size: 0,
            modifiedMillis: 0,
            name: `${rel}/`,
            problem: `symbolic link loop (leads back to ${JSON.stringify(stack.find((f) => f.identity === item.identity)!.rel || '.')})`,
          });
          continue;
        }
        try {
          stack.push({ rel, path, identity: item.identity!, items: await readSorted(path, options.symlinks), at: 0 });
        } catch (err) {
          out.push({ path, size: 0, modifiedMillis: 0, name: `${rel}/`, problem: `cannot read the folder: ${failureReason(err)}` });
        }
        continue;
      }
      if (!options.filter.keeps(rel)) continue;
      if (item.skip !== undefined || item.problem !== undefined) {
        out.push({ path, size: 0, modifiedMillis: 0, name: rel, skip: item.skip, problem: item.problem });
        continue;
      }
      names.push(rel);
      paths.push(path);
      places.push(out.length);
      out.push(null);
    }
    const infos = await platform.statPaths(paths, true);
    let gone = false;
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i];
      // Gone since the folder was read (null): nothing to sync (a later run sees it absent).
      if (info === null) gone = true;
      else
        out[places[i]] =
          info instanceof Error
            ? { path: paths[i], size: 0, modifiedMillis: 0, name: names[i], problem: failureReason(info) }
            : { name: names[i], path: paths[i], size: info.size, modifiedMillis: info.modifiedMillis };
    }
    return gone ? out.filter((e): e is LocalEntry => e !== null) : (out as LocalEntry[]);
  };
  const next = async (): Promise<LocalEntry[]> => {
    // A page whose files all vanished must not read as the end of the walk.
    for (;;) {
      const page = await fill();
      if (page.length > 0 || stack!.length === 0) return page;
    }
  };
  return (): Observable<readonly LocalEntry[]> => defer(() => from(next()));
}

/**
 * A folder's entries, links resolved (or marked skipped), sorted for the walk. Regular files are
 * taken as the listing says; only folders (their identity, for loop detection) and links are
 * looked at, together.
 */
async function readSorted(path: string, symlinks: SymlinkPolicy): Promise<Item[]> {
  const entries = await platform.readFolder(path);
  const items: Item[] = [];
  const lookedAt: Promise<Item>[] = [];
  for (const e of entries) {
    if (e.kind === 'file') items.push({ name: e.name, folder: false });
    else if (e.kind === 'other') items.push({ name: e.name, folder: false, skip: 'not a regular file' });
    else if (e.kind === 'symlink' && symlinks === 'skip') items.push({ name: e.name, folder: false, skip: 'symbolic link (symlinks: skip)' });
    else lookedAt.push(lookAt(path, e.name, e.kind === 'folder'));
  }
  if (lookedAt.length > 0) items.push(...(await Promise.all(lookedAt)));
  return sortFolderEntries(items);
}

/** A folder or a link (followed): its kind and identity, or why it cannot be synced. */
async function lookAt(folder: string, name: string, isFolder: boolean): Promise<Item> {
  try {
    const info = await platform.statPath(platform.joinPath(folder, name), true);
    if (info === null) return { name, folder: false, problem: 'broken symbolic link' };
    if (info.kind === 'folder') return { name, folder: true, identity: info.identity };
    if (info.kind === 'file') return { name, folder: false };
    return { name, folder: false, skip: 'not a regular file' };
  } catch (err) {
    return { name, folder: isFolder, problem: failureReason(err) };
  }
}
