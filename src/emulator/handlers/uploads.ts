/**
 * b2_get_upload_url, b2_upload_file, b2_get_upload_part_url, b2_upload_part (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api, https://www.backblaze.com/docs/cloud-storage-large-files).
 * Upload URLs carry a digest of their token, so a token only works on its own URL, and each
 * token admits one upload at a time (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { B2ApiVersion, B2FileWire, B2PartWire, B2UploadPartUrlWire, B2UploadUrlWire } from '../../api/wire';
import { Engine, header, MAX_PART_SIZE, MAX_PARTS, MAX_SMALL_FILE, type JsonCall } from '../engine';
import type { FileRecord, PartRecord, RetentionSetting } from '../model';
import type { UploadToken } from '../auth';
import { fail } from '../errors';
import { newFileId } from '../ids';
import { receiveBody } from '../ingest';
import { checkContentType, checkFileInfo, checkFileName, percentDecode, resolveContentType } from '../names';
import { reqString } from '../params';
import { fileWire, partWire } from '../serialize';

/** A POST to an upload or part URL: its path parts, headers and body. */
export interface UploadCall {
  version: B2ApiVersion;
  /** bucketId (upload) or fileId (part) from the URL path. */
  target: string;
  /** The token digest from the URL path. */
  urlTokenId: string;
  headers: IncomingHttpHeaders;
  body: AsyncIterable<Buffer>;
  testModes: ReadonlySet<string>;
}

export const tokenDigest = (token: string): string => createHash('sha1').update(token).digest('hex').slice(0, 16);

const FORBIDDEN_UPLOAD_HEADERS = ['content-disposition', 'content-encoding', 'content-language', 'content-location', 'content-range', 'expires'];

export function getUploadUrl(engine: Engine, call: JsonCall): B2UploadUrlWire {
  const caller = engine.caller(call);
  caller.need('writeFiles');
  const bucket = engine.bucket(caller, reqString(call.params, 'bucketId'));
  const { uploadUrl, authorizationToken } = issueUploadUrl(engine, call, caller.keyId, 'b2_upload_file', bucket.bucketId);
  return { authorizationToken, bucketId: bucket.bucketId, uploadUrl };
}

export function getUploadPartUrl(engine: Engine, call: JsonCall): B2UploadPartUrlWire {
  const caller = engine.caller(call);
  caller.need('writeFiles');
  const file = engine.largeFile(caller, reqString(call.params, 'fileId'));
  const { uploadUrl, authorizationToken } = issueUploadUrl(engine, call, caller.keyId, 'b2_upload_part', file.fileId);
  return { authorizationToken, fileId: file.fileId, uploadUrl };
}

/** A new (URL, token) pair bound to a bucket (uploads) or a large file (parts). */
function issueUploadUrl(engine: Engine, call: JsonCall, keyId: string, kind: 'b2_upload_file' | 'b2_upload_part', target: string) {
  engine.forceCapExceeded(call);
  const authorizationToken = engine.tokens.issueUploadToken(target, kind === 'b2_upload_part', keyId);
  return { authorizationToken, uploadUrl: `${call.baseUrl}/b2api/v${call.version}/${kind}/${target}/${tokenDigest(authorizationToken)}` };
}

/** Takes the URL's token for one upload; released when `run` settles. */
async function withUploadToken<T>(
  engine: Engine,
  call: UploadCall,
  part: boolean,
  run: (token: UploadToken, caller: ReturnType<Engine['tokens']['callerFor']>) => Promise<T>,
): Promise<T> {
  const auth = header(call.headers, 'authorization');
  const { entry, caller } = engine.tokens.uploadToken(auth, call.target, part);
  if (tokenDigest(auth!) !== call.urlTokenId) throw fail.badAuthToken('authorization token does not belong to this upload URL');
  if (entry.busy) throw fail.authTokenLimit(auth!);
  entry.busy = true;
  try {
    return await run(entry, caller);
  } finally {
    entry.busy = false;
  }
}

export function uploadFile(engine: Engine, call: UploadCall): Promise<B2FileWire> {
  return withUploadToken(engine, call, false, async (_token, caller) => {
    caller.need('writeFiles');
    caller.needBucket(call.target);
    const bucket = engine.state.buckets.get(call.target);
    if (!bucket) throw fail.badBucketId(call.target);
    engine.failSomeUploads(call);
    engine.forceCapExceeded(call);
    const h = call.headers;
    for (const name of FORBIDDEN_UPLOAD_HEADERS) {
      if (h[name] !== undefined) throw fail.badRequest(`header ${name} is not allowed on uploads; use X-Bz-Info-b2-${name === 'expires' ? 'expires' : name}`);
    }
    const rawName = header(h, 'x-bz-file-name');
    if (rawName === undefined) throw fail.badRequest('X-Bz-File-Name header is required');
    const fileName = checkFileName(percentDecode(rawName, 'X-Bz-File-Name'), 'X-Bz-File-Name');
    caller.needFileName(fileName);
    const contentType = resolveContentType(checkContentType(header(h, 'content-type')), fileName);
    const sha1Header = header(h, 'x-bz-content-sha1');
    if (sha1Header === undefined) throw fail.badRequest('X-Bz-Content-Sha1 header is required');
    const sse = engine.sseFromHeaders(h, bucket);
    const fileInfo = checkFileInfo(infoHeaders(h), fileName, engine.headerBudget(bucket, sse));
    const retention = engine.newRetention(caller, bucket, retentionHeaders(h));
    const legalHold = engine.newLegalHold(caller, bucket, header(h, 'x-bz-file-legal-hold'));
    let uploadTimestamp = engine.clock.nextTimestamp();
    const custom = header(h, 'x-bz-custom-upload-timestamp');
    if (custom !== undefined) {
      const ts = Number(custom);
      if (!/^\d+$/.test(custom) || ts > engine.clock.now()) throw fail.badRequest('X-Bz-Custom-Upload-Timestamp must be a past time in milliseconds');
      uploadTimestamp = ts;
    }
    const received = await receiveBody(call.body, engine.store.blobs, {
      contentLength: contentLength(h),
      sha1Header,
      md5Limit: engine.config.md5Limit,
      maxLength: MAX_SMALL_FILE,
    });
    const file: FileRecord = {
      fileId: newFileId(bucket.bucketId, uploadTimestamp, false),
      bucketId: bucket.bucketId,
      fileName,
      action: 'upload',
      contentLength: received.length,
      contentSha1: received.contentSha1,
      contentMd5: received.contentMd5,
      contentType,
      fileInfo,
      uploadTimestamp,
      seq: engine.state.nextSeq(),
      sse,
      retention,
      legalHold,
      segments: received.length > 0 ? [received.segment] : [],
      isLargeFile: false,
    };
    if (received.length === 0) await engine.store.blobs.delete(received.segment.blobId);
    // The bucket may have been deleted while the body was arriving.
    if (!engine.state.buckets.has(bucket.bucketId)) {
      await engine.store.blobs.delete(received.segment.blobId);
      throw fail.badBucketId(bucket.bucketId);
    }
    await engine.state.commitAndCollect([engine.state.put('file', file.fileId, file)]);
    return fileWire(file, engine.accountId, caller, call.version);
  });
}

export function uploadPart(engine: Engine, call: UploadCall): Promise<B2PartWire> {
  return withUploadToken(engine, call, true, async (_token, caller) => {
    caller.need('writeFiles');
    const file = engine.state.files.get(call.target);
    if (!file || file.action !== 'start') throw fail.badRequest(`no unfinished large file with id ${call.target}`);
    engine.failSomeUploads(call);
    engine.forceCapExceeded(call);
    const h = call.headers;
    const rawNumber = header(h, 'x-bz-part-number');
    const partNumber = Number(rawNumber);
    if (rawNumber === undefined || !/^\d+$/.test(rawNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw fail.badRequest('Part number must be in range 1 - 10000');
    }
    const sha1Header = header(h, 'x-bz-content-sha1');
    if (sha1Header === undefined) throw fail.badRequest('X-Bz-Content-Sha1 header is required');
    // Every part of an SSE-C large file must present the file's key (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api).
    if (file.sse.mode === 'SSE-C') engine.checkSseKey(file, engine.presentedSseKey(h));
    const received = await receiveBody(call.body, engine.store.blobs, {
      contentLength: contentLength(h),
      sha1Header,
      md5Limit: engine.config.md5Limit,
      maxLength: MAX_PART_SIZE,
    });
    if (engine.state.files.get(file.fileId)?.action !== 'start') {
      await engine.store.blobs.delete(received.segment.blobId);
      throw fail.badRequest(`large file ${file.fileId} was finished or cancelled during the upload`);
    }
    const part: PartRecord = {
      fileId: file.fileId,
      partNumber,
      contentLength: received.length,
      contentSha1: received.contentSha1.replace(/^unverified:/, ''),
      contentMd5: received.contentMd5,
      uploadTimestamp: engine.clock.nextTimestamp(),
      segment: received.segment,
    };
    await engine.state.commitAndCollect([engine.state.put('part', engine.state.partId(file.fileId, partNumber), part)]);
    return partWire(part, file.sse);
  });
}

function contentLength(h: IncomingHttpHeaders): number {
  const raw = h['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) throw fail.badRequest('Content-Length header is required');
  return Number(raw);
}

function infoHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const info: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith('x-bz-info-')) continue;
    const key = name.slice('x-bz-info-'.length);
    const decoded = percentDecode(Array.isArray(value) ? value.join(', ') : (value ?? ''), `X-Bz-Info-${key}`);
    // defineProperty: a key named "__proto__" is data, not the prototype.
    Object.defineProperty(info, key, { value: decoded, enumerable: true, writable: true, configurable: true });
  }
  return info;
}

function retentionHeaders(h: IncomingHttpHeaders): RetentionSetting | undefined {
  const mode = header(h, 'x-bz-file-retention-mode');
  const until = header(h, 'x-bz-file-retention-retain-until-timestamp');
  if (mode === undefined && until === undefined) return undefined;
  if (until !== undefined && !/^\d+$/.test(until)) throw fail.badRequest('X-Bz-File-Retention-Retain-Until-Timestamp must be milliseconds');
  return { mode: (mode ?? null) as RetentionSetting['mode'], retainUntilTimestamp: until === undefined ? null : Number(until) };
}
