/** b2_copy_file and b2_copy_part: server-side copies (https://www.backblaze.com/apidocs/b2-copy-file, https://www.backblaze.com/apidocs/b2-copy-part). */
import type { B2FileWire, B2PartWire } from '../../api/wire';
import { MAX_PART_SIZE, MAX_PARTS, type Engine, type JsonCall } from '../engine';
import type { Caller } from '../auth';
import type { FileRecord, PartRecord, Segment } from '../model';
import { fail } from '../errors';
import { newFileId } from '../ids';
import { parseCopyRange, readSegments, sliceSegments } from '../content';
import { receiveBody } from '../ingest';
import { checkContentType, checkFileInfo, checkFileName, resolveContentType } from '../names';
import { optInt, optObject, optString, reqString, stringMap } from '../params';
import { fileWire, partWire } from '../serialize';

const MAX_COPY = 5_000_000_000;

export async function copyFile(engine: Engine, call: JsonCall): Promise<B2FileWire> {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const source = copySource(engine, caller, call);
  const destBucketId = optString(p, 'destinationBucketId') ?? source.bucketId;
  const bucket = engine.bucket(caller, destBucketId);
  engine.forceCapExceeded(call);
  const fileName = checkFileName(p.fileName);
  caller.needFileName(fileName);
  const directive = optString(p, 'metadataDirective') ?? 'COPY';
  let contentType = source.contentType;
  let fileInfo = source.fileInfo;
  if (directive === 'REPLACE') {
    contentType = resolveContentType(checkContentType(p.contentType), fileName);
    fileInfo = stringMap(optObject(p, 'fileInfo'), 'fileInfo');
  } else if (directive === 'COPY') {
    if (p.contentType !== undefined) throw fail.badRequest('contentType may only be given with metadataDirective REPLACE');
    if (p.fileInfo !== undefined) throw fail.badRequest('fileInfo may only be given with metadataDirective REPLACE');
  } else {
    throw fail.badRequest(`metadataDirective must be COPY or REPLACE, not ${directive}`);
  }
  const range = copyRange(optString(p, 'range'), source.contentLength);
  if (range.length > MAX_COPY) throw fail.sourceTooLarge(range.length);
  const sse = engine.sseFromJson(optObject(p, 'destinationServerSideEncryption'), bucket, 'destinationServerSideEncryption');
  fileInfo = checkFileInfo(fileInfo, fileName, engine.headerBudget(bucket, sse));
  const retention = engine.newRetention(caller, bucket, engine.parseRetention(optObject(p, 'fileRetention')));
  const legalHold = engine.newLegalHold(caller, bucket, optString(p, 'legalHold'));

  const whole = range.start === 0 && range.length === source.contentLength;
  let segments: Segment[];
  let contentSha1 = source.contentSha1;
  let contentMd5 = source.contentMd5;
  if (whole && source.contentSha1 !== 'none') {
    // Same bytes, same hashes: share the stored blobs instead of copying them.
    segments = source.segments;
  } else {
    const copied = await materialize(engine, source.segments, range.start, range.length);
    segments = copied.segments;
    contentSha1 = copied.sha1;
    contentMd5 = copied.md5;
  }
  const now = engine.clock.nextTimestamp();
  const file: FileRecord = {
    fileId: newFileId(bucket.bucketId, now, false),
    bucketId: bucket.bucketId,
    fileName,
    action: 'upload',
    contentLength: range.length,
    contentSha1,
    contentMd5,
    contentType,
    fileInfo,
    uploadTimestamp: now,
    seq: engine.state.nextSeq(),
    sse,
    retention,
    legalHold,
    segments,
    isLargeFile: false,
  };
  await engine.state.commitAndCollect([engine.state.put('file', file.fileId, file)]);
  // The response says "copy"; later listings show the same version as "upload" (https://www.backblaze.com/apidocs/b2-copy-file).
  return fileWire(file, engine.accountId, caller, call.version, 'copy');
}

export async function copyPart(engine: Engine, call: JsonCall): Promise<B2PartWire> {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeFiles');
  const source = copySource(engine, caller, call);
  const large = engine.largeFile(caller, reqString(p, 'largeFileId'));
  engine.forceCapExceeded(call);
  const partNumber = optInt(p, 'partNumber');
  if (partNumber === undefined || partNumber < 1 || partNumber > MAX_PARTS) throw fail.badRequest('Part number must be in range 1 - 10000');
  const destinationSse = optObject(p, 'destinationServerSideEncryption');
  // SSE-B2 is fixed when the large file starts; only an SSE-C key may (must) be repeated here.
  if (destinationSse?.mode === 'SSE-B2') throw fail.badRequest('SSE-B2 cannot be requested on b2_copy_part; set it on b2_start_large_file');
  if (large.sse.mode === 'SSE-C') engine.checkSseKey(large, engine.sseFromJson(destinationSse, null, 'destinationServerSideEncryption'));
  const range = copyRange(optString(p, 'range'), source.contentLength);
  if (range.length > MAX_PART_SIZE) throw fail.badRequest(`part is too large: ${range.length} bytes`);
  const copied = await materialize(engine, source.segments, range.start, range.length);
  const part: PartRecord = {
    fileId: large.fileId,
    partNumber,
    contentLength: range.length,
    contentSha1: copied.sha1,
    contentMd5: copied.md5,
    uploadTimestamp: engine.clock.nextTimestamp(),
    segment: copied.segments[0] ?? { blobId: copied.blobId, offset: 0, length: 0 },
  };
  await engine.state.commitAndCollect([engine.state.put('part', engine.state.partId(large.fileId, partNumber), part)]);
  return partWire(part, large.sse);
}

/** The source version of a copy: an uploaded file the caller may read, with its SSE-C key if any. */
function copySource(engine: Engine, caller: Caller, call: JsonCall): FileRecord {
  const source = engine.fileById(caller, reqString(call.params, 'sourceFileId'), 'bad_request');
  if (source.action !== 'upload') throw fail.badRequest(`source file ${source.fileId} is not an uploaded file`);
  const bucket = engine.state.buckets.get(source.bucketId)!;
  if (bucket.bucketType !== 'allPublic') caller.need('readFiles');
  if (source.sse.mode === 'SSE-C') {
    engine.checkSseKey(source, engine.sseFromJson(optObject(call.params, 'sourceServerSideEncryption'), null, 'sourceServerSideEncryption'));
  }
  return source;
}

function copyRange(range: string | undefined, size: number): { start: number; length: number } {
  const parsed = parseCopyRange(range, size);
  if (parsed === 'invalid') throw fail.badRequest(`invalid range for a source of ${size} bytes: ${range}`);
  return parsed;
}

/** Writes a range of stored bytes into a new blob, hashing on the way. */
async function materialize(engine: Engine, segments: readonly Segment[], start: number, length: number) {
  const received = await receiveBody(readSegments(engine.store.blobs, sliceSegments(segments, start, length)), engine.store.blobs, {
    contentLength: length,
    sha1Header: 'do_not_verify',
    md5Limit: engine.config.md5Limit,
    maxLength: Infinity,
  });
  const sha1 = received.contentSha1.replace(/^unverified:/, '');
  const kept = length > 0 ? [received.segment] : [];
  if (length === 0) await engine.store.blobs.delete(received.segment.blobId);
  return { segments: kept, blobId: received.segment.blobId, sha1, md5: received.contentMd5 };
}
