/**
 * Name order as B2 lists names (UTF-8 byte order), and the sort of one folder's entries that makes
 * a depth-first walk produce its relative names in that order.
 */

/**
 * Compares two names in UTF-8 byte order, which is Unicode code point order. JavaScript's `<`
 * compares UTF-16 code units, which differs for characters above U+FFFF (surrogates, D800–DFFF)
 * against E000–FFFF: those code units are shifted so the comparison follows code points.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Sorts one folder's entries so that walking them depth first yields full relative names in byte
 * order. A subfolder `a` sorts as `a/`: every name inside it starts with `a/`, and no sibling can
 * start with `a/`, so its place among the siblings is decided by `a/` alone. ('/' is 0x2F: `a-b`
 * and `a.b` come before everything in `a/`, `a0` after it.) Sorts `entries` in place and returns it.
 */
export function sortFolderEntries<T extends { name: string; folder: boolean }>(entries: T[]): T[] {
  // In place, a folder's key made only when it is compared (files, most entries, have their name as key).
  return entries.sort((p, q) => compareNames(p.folder ? `${p.name}/` : p.name, q.folder ? `${q.name}/` : q.name));
}
