/**
 * b2_list_file_names and b2_list_file_versions (https://www.backblaze.com/apidocs/b2-list-file-names, https://www.backblaze.com/apidocs/b2-list-file-versions): names in code-point order,
 * `folder` rows for a delimiter, inclusive start points, and a `next*` cursor naming the first row
 * not returned.
 */
import type { B2FileWire, B2ListFileNamesWire, B2ListFileVersionsWire } from '../../api/wire';
import type { Engine, JsonCall } from '../engine';
import type { Caller } from '../auth';
import type { FileRecord } from '../model';
import { fail } from '../errors';
import { isWellFormedFileId } from '../ids';
import { compareNames } from '../names';
import { countParam, optString, reqString } from '../params';
import { fileWire, folderWire } from '../serialize';

type Row = { folder: string } | { file: FileRecord };

export function listFileNames(engine: Engine, call: JsonCall): B2ListFileNamesWire {
  const { caller, bucketId, max, prefix, delimiter } = listArgs(engine, call);
  const startFileName = optString(call.params, 'startFileName');
  const rows = collect(engine, bucketId, prefix, delimiter, startFileName, undefined, max + 1, (name) => {
    const current = engine.state.currentVersion(bucketId, name);
    return current?.action === 'upload' ? [current] : [];
  });
  const next = rows.length > max ? rows[max] : undefined;
  return {
    files: rows.slice(0, max).map((r) => rowWire(engine, caller, call, bucketId, r)),
    nextFileName: next ? rowName(next) : null,
  };
}

export function listFileVersions(engine: Engine, call: JsonCall): B2ListFileVersionsWire {
  const { caller, bucketId, max, prefix, delimiter } = listArgs(engine, call);
  const startFileName = optString(call.params, 'startFileName');
  const startFileId = optString(call.params, 'startFileId');
  if (startFileId !== undefined) {
    if (startFileName === undefined) throw fail.badRequest('startFileId needs startFileName');
    if (!isWellFormedFileId(startFileId)) throw fail.invalidFileId(startFileId);
  }
  // Every version, unfinished large files included, as b2sdk's simulator lists them (live: unconfirmed).
  const rows = collect(engine, bucketId, prefix, delimiter, startFileName, startFileId, max + 1, (name) => engine.state.versionsOf(bucketId, name));
  const next = rows.length > max ? rows[max] : undefined;
  return {
    files: rows.slice(0, max).map((r) => rowWire(engine, caller, call, bucketId, r)),
    nextFileName: next ? rowName(next) : null,
    nextFileId: next && 'file' in next ? next.file.fileId : null,
  };
}

function listArgs(engine: Engine, call: JsonCall) {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('listFiles');
  const bucketId = reqString(p, 'bucketId');
  engine.bucket(caller, bucketId, 'invalid_bucket_id');
  const max = countParam(p, 'maxFileCount', 100, 10000);
  let prefix = optString(p, 'prefix') ?? '';
  // v1 narrowed a prefix-restricted key's listing silently; v2+ refuse it (https://www.backblaze.com/docs/cloud-storage-application-keys).
  if (call.version === 1 && caller.namePrefix && !prefix.startsWith(caller.namePrefix) && caller.namePrefix.startsWith(prefix)) {
    prefix = caller.namePrefix;
  }
  caller.needListPrefix(prefix);
  const delimiter = optString(p, 'delimiter') || undefined;
  return { caller, bucketId, max, prefix, delimiter };
}

/**
 * Walks names ≥ the start in order, turning each into rows (its versions, or one folder row),
 * until `limit` rows are found. Skips a whole folder at once by jumping past its names.
 */
function collect(
  engine: Engine,
  bucketId: string,
  prefix: string,
  delimiter: string | undefined,
  startFileName: string | undefined,
  startFileId: string | undefined,
  limit: number,
  versionsFor: (name: string) => readonly FileRecord[],
): Row[] {
  const { names, lowerBound } = engine.state.sortedNames(bucketId);
  const from = startFileName !== undefined && compareNames(startFileName, prefix) > 0 ? startFileName : prefix;
  const rows: Row[] = [];
  let i = lowerBound(from);
  while (i < names.length && rows.length < limit) {
    const name = names[i];
    if (!name.startsWith(prefix)) break;
    if (delimiter !== undefined) {
      const cut = name.indexOf(delimiter, prefix.length);
      if (cut >= 0) {
        const folder = name.slice(0, cut + delimiter.length);
        // Shown even when the start point lies inside it: names ≥ the start remain under it.
        if (hasVisible(names, i, folder, versionsFor)) rows.push({ folder });
        i = skipFolder(names, lowerBound, i, folder);
        continue;
      }
    }
    let versions = versionsFor(name);
    if (startFileId !== undefined && name === startFileName) {
      const at = versions.findIndex((v) => v.fileId === startFileId);
      if (at >= 0) versions = versions.slice(at);
    }
    for (const file of versions) {
      if (rows.length >= limit) break;
      rows.push({ file });
    }
    i++;
  }
  return rows;
}

/** Whether any name under a folder has a row to show (names are contiguous from index i). */
function hasVisible(names: readonly string[], i: number, folder: string, versionsFor: (name: string) => readonly FileRecord[]): boolean {
  for (let j = i; j < names.length && names[j].startsWith(folder); j++) if (versionsFor(names[j]).length > 0) return true;
  return false;
}

/** The index of the first name after `i` that is not under `folder`. */
function skipFolder(names: readonly string[], lowerBound: (name: string) => number, i: number, folder: string): number {
  const last = folder.charCodeAt(folder.length - 1);
  // Jump: the folder with its last unit + 1 sorts after every name under it. Surrogates and
  // U+FFFF have no such simple successor in code-point order; walk past those instead.
  if (last < 0xd800) return lowerBound(folder.slice(0, -1) + String.fromCharCode(last + 1));
  while (i < names.length && names[i].startsWith(folder)) i++;
  return i;
}

function rowName(row: Row): string {
  return 'folder' in row ? row.folder : row.file.fileName;
}

function rowWire(engine: Engine, caller: Caller, call: JsonCall, bucketId: string, row: Row): B2FileWire {
  return 'folder' in row ? folderWire(bucketId, engine.accountId, row.folder, call.version) : fileWire(row.file, engine.accountId, caller, call.version);
}
