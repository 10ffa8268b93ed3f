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
    /** Where in `out` each file to look at goes, with its name and path. */
    const files: { at: number; name: string; path: string }[] = [];
    while (out.length < options.pageSize && stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.at >= top.items.length) {
        stack.pop();
        continue;
      }
      const item = top.items[top.at++];
      const rel = top.rel === '' ? item.name : `${top.rel}/${item.name}`;
      const path = platform.joinPath(top.path, item.name);
      const blank = { path, size: 0, modifiedMillis: 0 };
      if (item.folder) {
        if (options.filter.excludesFolder(rel)) continue;
        // Named with its `/` so that it sorts where its contents would.
        if (item.problem !== undefined) {
          out.push({ ...blank, name: `${rel}/`, problem: item.problem });
          continue;
        }
        if (stack.some((f) => f.identity === item.identity)) {
          out.push({ ...blank, name: `${rel}/`, problem: `symbolic link loop (leads back to ${JSON.stringify(stack.find((f) => f.identity === item.identity)!.rel || '.')})` });
          continue;
        }
        try {
          stack.push({ rel, path, identity: item.identity!, items: await readSorted(path, options.symlinks), at: 0 });
        } catch (err) {
          out.push({ ...blank, name: `${rel}/`, problem: `cannot read the folder: ${failureReason(err)}` });
        }
        continue;
      }
      if (!options.filter.keeps(rel)) continue;
      if (item.skip !== undefined || item.problem !== undefined) {
        out.push({ ...blank, name: rel, skip: item.skip, problem: item.problem });
        continue;
      }
      files.push({ at: out.length, name: rel, path });
      out.push(null);
    }
    const infos = await platform.statPaths(
      files.map((f) => f.path),
      true,
    );
    files.forEach(({ at, name, path }, i) => {
      const info = infos[i];
      // Gone since the folder was read (null): nothing to sync (a later run sees it absent).
      out[at] =
        info === null
          ? null
          : info instanceof Error
            ? { path, size: 0, modifiedMillis: 0, name, problem: failureReason(info) }
            : { name, path, size: info.size, modifiedMillis: info.modifiedMillis };
    });
    return out.filter((e): e is LocalEntry => e !== null);
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

/** A folder's entries, links resolved (or marked skipped), sorted for the walk. */
async function readSorted(path: string, symlinks: SymlinkPolicy): Promise<Item[]> {
  const entries = await platform.readFolder(path);
  const items = await Promise.all(
    entries.map(async (e): Promise<Item> => {
      if (e.kind === 'file') return { name: e.name, folder: false };
      if (e.kind === 'other') return { name: e.name, folder: false, skip: 'not a regular file' };
      if (e.kind === 'symlink' && symlinks === 'skip') return { name: e.name, folder: false, skip: 'symbolic link (symlinks: skip)' };
      try {
        const info = await platform.statPath(platform.joinPath(path, e.name), true);
        if (info === null) return { name: e.name, folder: false, problem: 'broken symbolic link' };
        if (info.kind === 'folder') return { name: e.name, folder: true, identity: info.identity };
        if (info.kind === 'file') return { name: e.name, folder: false };
        return { name: e.name, folder: false, skip: 'not a regular file' };
      } catch (err) {
        return { name: e.name, folder: e.kind === 'folder', problem: failureReason(err) };
      }
    }),
  );
  return sortFolderEntries(items);
}
