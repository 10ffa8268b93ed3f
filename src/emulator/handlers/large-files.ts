/**
 * b2_start_large_file, b2_list_parts, b2_finish_large_file, b2_cancel_large_file,
 * b2_list_unfinished_large_files (https://www.backblaze.com/docs/cloud-storage-large-files).
 */
import type { B2CancelLargeFileWire, B2FileWire, B2ListPartsWire, B2ListUnfinishedWire } from '../../api/wire';
import { MAX_LARGE_FILE, type Engine, type JsonCall } from '../engine';
import type { FileRecord } from '../model';
import { fail } from '../errors';
import { largeFileSeq, newFileId } from '../ids';
import { checkContentType, checkFileInfo, checkFileName, resolveContentType } from '../names';
import { countParam, optArray, optInt, optObject, optString, reqString, stringMap } from '../params';
import { fileWire, partWire } from '../serialize';

export function startLargeFile(engine: Engine, call: JsonCall): B2FileWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  engine.forceCapExceeded(call);
  const fileName = checkFileName(p.fileName);
  caller.needFileName(fileName);
  const contentType = resolveContentType(checkContentType(p.contentType), fileName);
  const sse = engine.sseFromJson(optObject(p, 'serverSideEncryption'), bucket, 'serverSideEncryption');
  const fileInfo = checkFileInfo(stringMap(optObject(p, 'fileInfo'), 'fileInfo'), fileName, engine.headerBudget(bucket, sse));
  const retention = engine.newRetention(caller, bucket, engine.parseRetention(optObject(p, 'fileRetention')));
  const legalHold = engine.newLegalHold(caller, bucket, optString(p, 'legalHold'));
  let uploadTimestamp = engine.clock.nextTimestamp();
  const custom = optInt(p, 'customUploadTimestamp');
  if (custom !== undefined) {
    if (custom > engine.clock.now() || custom < 0) throw fail.badRequest('customUploadTimestamp must be a past time in milliseconds');
    uploadTimestamp = custom;
  }
  const seq = engine.state.nextSeq();
  const file: FileRecord = {
    fileId: newFileId(bucket.bucketId, uploadTimestamp, true, seq),
    bucketId: bucket.bucketId,
    fileName,
    action: 'start',
    contentLength: 0,
    contentSha1: 'none',
    contentMd5: null,
    contentType,
    fileInfo,
    uploadTimestamp,
    seq,
    sse,
    retention,
    legalHold,
    segments: [],
    isLargeFile: true,
  };
  engine.state.commit([engine.state.put('file', file.fileId, file)]);
  return fileWire(file, engine.accountId, caller, call.version);
}

export function listParts(engine: Engine, call: JsonCall): B2ListPartsWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const file = engine.largeFile(caller, reqString(p, 'fileId'));
  const start = optInt(p, 'startPartNumber') ?? 1;
  if (start < 1 || start > 10000) throw fail.badRequest('startPartNumber must be in range 1 - 10000');
  const max = countParam(p, 'maxPartCount', 100, 1000);
  const parts = engine.state.partsOf(file.fileId).filter((part) => part.partNumber >= start);
  return {
    parts: parts.slice(0, max).map((part) => partWire(part, file.sse)),
    nextPartNumber: parts.length > max ? parts[max].partNumber : null,
  };
}

export async function finishLargeFile(engine: Engine, call: JsonCall): Promise<B2FileWire> {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const file = engine.largeFile(caller, reqString(p, 'fileId'));
  const sha1s = optArray(p, 'partSha1Array');
  if (!sha1s || sha1s.length === 0) throw fail.badRequest('partSha1Array is required and must not be empty');
  const parts = engine.state.partsOf(file.fileId);
  for (let i = 0; i < sha1s.length; i++) {
    const part = parts.find((x) => x.partNumber === i + 1);
    if (!part) throw fail.missingPart(`Part number ${i + 1} has not been uploaded`);
    if (typeof sha1s[i] !== 'string' || (sha1s[i] as string).toLowerCase() !== part.contentSha1) throw fail.partSha1Mismatch(i + 1);
  }
  if (parts.length > sha1s.length) {
    throw fail.badRequest(`partSha1Array lists ${sha1s.length} parts, but ${parts.length} were uploaded`);
  }
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.contentLength < engine.config.absoluteMinimumPartSize) {
      throw fail.badRequest(`Part number ${part.partNumber} is smaller than the minimum part size (${engine.config.absoluteMinimumPartSize} bytes)`);
    }
  });
  const total = parts.reduce((sum, part) => sum + part.contentLength, 0);
  if (total > MAX_LARGE_FILE) throw fail.badRequest(`large file is too big: ${total} bytes`);
  const finished: FileRecord = {
    ...file,
    action: 'upload',
    contentLength: total,
    segments: parts.map((part) => part.segment).filter((s) => s.length > 0),
  };
  await engine.state.commitAndCollect([
    engine.state.put('file', file.fileId, finished),
    ...parts.map((part) => engine.state.del('part', engine.state.partId(file.fileId, part.partNumber))),
  ]);
  return fileWire(finished, engine.accountId, caller, call.version);
}

export async function cancelLargeFile(engine: Engine, call: JsonCall): Promise<B2CancelLargeFileWire> {
  const caller = engine.caller(call);
  caller.need('writeFiles');
  const file = engine.largeFile(caller, reqString(call.params, 'fileId'));
  await engine.state.commitAndCollect([engine.state.del('file', file.fileId)]);
  return { accountId: engine.accountId, bucketId: file.bucketId, fileId: file.fileId, fileName: file.fileName };
}

export function listUnfinishedLargeFiles(engine: Engine, call: JsonCall): B2ListUnfinishedWire & { nextFileName: null } {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('listFiles');
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  const namePrefix = optString(p, 'namePrefix') ?? '';
  caller.needListPrefix(namePrefix);
  const startFileId = optString(p, 'startFileId');
  const max = countParam(p, 'maxFileCount', 100, 100);
  let files = engine.state.unfinishedLargeFiles(bucket.bucketId).filter((f) => f.fileName.startsWith(namePrefix));
  if (startFileId !== undefined) {
    // The cursor is a position, not a live file: it may since have been cancelled or finished
    // (b2sdk's simulator, too, resumes after a cancelled cursor file).
    const from = engine.state.files.get(startFileId)?.seq ?? largeFileSeq(startFileId);
    files = from === undefined ? [] : files.filter((f) => f.seq >= from);
  }
  return {
    files: files.slice(0, max).map((f) => fileWire(f, engine.accountId, caller, call.version)),
    nextFileId: files.length > max ? files[max].fileId : null,
    nextFileName: null,
  };
}
