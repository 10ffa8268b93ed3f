/**
 * Calls on file versions: b2_get_file_info, b2_hide_file, b2_delete_file_version,
 * b2_update_file_retention, b2_update_file_legal_hold (https://www.backblaze.com/docs/cloud-storage-files).
 */
import type { B2DeleteFileVersionWire, B2FileWire } from '../../api/wire';
import type { Caller } from '../auth';
import type { Engine, JsonCall } from '../engine';
import type { FileRecord } from '../model';
import { fail } from '../errors';
import { newFileId } from '../ids';
import { checkFileName } from '../names';
import { optBool, optObject, reqString } from '../params';
import { fileWire } from '../serialize';

export function getFileInfo(engine: Engine, call: JsonCall): B2FileWire {
  const caller = engine.caller(call);
  caller.need('readFiles');
  const file = engine.fileById(caller, reqString(call.params, 'fileId'));
  return fileWire(file, engine.accountId, caller, call.version);
}

export function hideFile(engine: Engine, call: JsonCall): B2FileWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  const fileName = checkFileName(p.fileName);
  caller.needFileName(fileName);
  const current = engine.state.currentVersion(bucket.bucketId, fileName);
  if (!current) throw fail.noSuchFile(fileName);
  if (current.action === 'hide') throw fail.alreadyHidden(fileName);
  const now = engine.clock.nextTimestamp();
  const marker: FileRecord = {
    fileId: newFileId(bucket.bucketId, now, false),
    bucketId: bucket.bucketId,
    fileName,
    action: 'hide',
    contentLength: 0,
    // Live v2 hide markers carry the empty string's hashes (https://www.backblaze.com/apidocs/b2-list-file-versions).
    contentSha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    contentMd5: 'd41d8cd98f00b204e9800998ecf8427e',
    contentType: 'application/x-bz-hide-marker',
    fileInfo: {},
    uploadTimestamp: now,
    seq: engine.state.nextSeq(),
    sse: { mode: null, algorithm: null },
    retention: null,
    legalHold: null,
    segments: [],
    isLargeFile: false,
  };
  engine.state.commit([engine.state.put('file', marker.fileId, marker)]);
  return fileWire(marker, engine.accountId, caller, call.version);
}

export async function deleteFileVersion(engine: Engine, call: JsonCall): Promise<B2DeleteFileVersionWire> {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('deleteFiles');
  const fileName = reqString(p, 'fileName');
  const fileId = reqString(p, 'fileId');
  const bypass = optBool(p, 'bypassGovernance') ?? false;
  let file: FileRecord;
  try {
    file = engine.fileById(caller, fileId);
  } catch (e) {
    if ((e as { status?: number }).status === 404) throw fail.fileNotPresent(fileName, fileId);
    throw e;
  }
  if (file.fileName !== fileName) throw fail.fileNotPresent(fileName, fileId);
  if (bypass) caller.need('bypassGovernance');
  engine.checkDeletable(caller, file, bypass);
  // On an unfinished large file this is a cancel: its parts go with it (state.ts).
  await engine.state.commitAndCollect([engine.state.del('file', fileId)]);
  return { fileId, fileName };
}

export function updateFileRetention(engine: Engine, call: JsonCall) {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFileRetentions');
  const file = namedVersion(engine, caller, call);
  const bucket = engine.state.buckets.get(file.bucketId)!;
  if (!bucket.fileLockEnabled) throw fail.bucketMissingFileLock();
  const next = engine.parseRetention(optObject(p, 'fileRetention'));
  if (!next) throw fail.badRequest('fileRetention is required');
  const bypass = optBool(p, 'bypassGovernance') ?? false;
  if (bypass) caller.need('bypassGovernance');
  if (next.mode !== null) engine.checkRetentionValue(next);
  const now = engine.clock.now();
  const cur = file.retention;
  if (cur?.mode && cur.retainUntilTimestamp !== null && cur.retainUntilTimestamp > now) {
    const shortens = next.mode === null || (next.retainUntilTimestamp ?? 0) < cur.retainUntilTimestamp;
    if (cur.mode === 'compliance' && (shortens || next.mode !== 'compliance')) {
      throw fail.accessDenied('Access Denied: compliance retention can only be extended');
    }
    if (cur.mode === 'governance' && shortens && !bypass) {
      throw fail.accessDenied('Access Denied: shortening or removing governance retention needs bypassGovernance');
    }
  }
  const updated: FileRecord = { ...file, retention: next.mode === null ? null : next };
  engine.state.commit([engine.state.put('file', file.fileId, updated)]);
  return { fileId: file.fileId, fileName: file.fileName, fileRetention: next };
}

export function updateFileLegalHold(engine: Engine, call: JsonCall) {
  const caller = engine.caller(call);
  caller.need('writeFileLegalHolds');
  const file = namedVersion(engine, caller, call);
  const bucket = engine.state.buckets.get(file.bucketId)!;
  if (!bucket.fileLockEnabled) throw fail.bucketMissingFileLock();
  const legalHold = reqString(call.params, 'legalHold');
  if (legalHold !== 'on' && legalHold !== 'off') throw fail.badRequest(`legalHold must be "on" or "off", not ${legalHold}`);
  engine.state.commit([engine.state.put('file', file.fileId, { ...file, legalHold })]);
  return { fileId: file.fileId, fileName: file.fileName, legalHold };
}

/** The version named by `fileId` + `fileName`, which must agree. */
function namedVersion(engine: Engine, caller: Caller, call: JsonCall): FileRecord {
  const fileName = reqString(call.params, 'fileName');
  const fileId = reqString(call.params, 'fileId');
  const file = engine.fileById(caller, fileId);
  if (file.fileName !== fileName || file.action === 'hide') throw fail.fileNotPresent(fileName, fileId);
  return file;
}
