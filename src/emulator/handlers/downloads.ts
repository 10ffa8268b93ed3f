/**
 * b2_download_file_by_id, b2_download_file_by_name (GET and HEAD) and
 * b2_get_download_authorization (https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api). The handler decides status, headers and which
 * bytes; the server streams them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { B2ApiVersion, B2DownloadAuthorizationWire } from '../../api/wire';
import { header, type Engine, type JsonCall } from '../engine';
import type { Caller, DownloadToken } from '../auth';
import type { BucketRecord, FileRecord, Segment } from '../model';
import { fail } from '../errors';
import { sliceSegments } from '../content';
import { percentEncode, RESERVED_INFO_HEADERS } from '../names';
import { optInt, optString, reqString } from '../params';

export interface DownloadRequest {
  version: B2ApiVersion;
  by: { fileId: string } | { bucketName: string; fileName: string };
  headers: IncomingHttpHeaders;
  /** Query parameters: Authorization (by name) and the b2Content* overrides. */
  query: URLSearchParams;
}

export interface DownloadResult {
  status: 200 | 206;
  headers: Record<string, string>;
  segments: Segment[];
  length: number;
  /** The bucket, for CORS. */
  bucket: BucketRecord;
}

/** Query parameter → response header it overrides (https://www.backblaze.com/apidocs/b2-download-file-by-name). */
const OVERRIDES: Record<string, string> = {
  b2ContentDisposition: 'Content-Disposition',
  b2ContentLanguage: 'Content-Language',
  b2Expires: 'Expires',
  b2CacheControl: 'Cache-Control',
  b2ContentEncoding: 'Content-Encoding',
  b2ContentType: 'Content-Type',
};

export function downloadFile(engine: Engine, req: DownloadRequest): DownloadResult {
  const byName = 'fileName' in req.by;
  const token = header(req.headers, 'authorization') ?? (byName ? (req.query.get('Authorization') ?? undefined) : undefined);
  const overrides: Record<string, string> = {};
  for (const name of Object.keys(OVERRIDES)) {
    const v = req.query.get(name);
    if (v !== null) overrides[name] = v;
  }

  let file: FileRecord;
  let bucket: BucketRecord;
  let credential: { caller: Caller } | { download: DownloadToken } | null = null;
  if (token !== undefined) credential = engine.tokens.downloadCredential(token);
  if ('fileId' in req.by) {
    if (credential && 'download' in credential) throw fail.unauthorized('download authorization tokens only work for downloads by name');
    const found = engine.state.files.get(req.by.fileId);
    // Hide markers and unfinished large files have no bytes to download (https://www.backblaze.com/apidocs/b2-download-file-by-name).
    if (!found || found.action !== 'upload') throw fail.notFound(`File with id ${req.by.fileId} not found`);
    file = found;
    bucket = engine.state.buckets.get(file.bucketId)!;
  } else {
    const found = engine.state.bucketByName(req.by.bucketName);
    if (!found || found.bucketName !== req.by.bucketName) throw fail.notFound(`Bucket ${req.by.bucketName} does not exist`);
    bucket = found;
    const current = engine.state.currentVersion(bucket.bucketId, req.by.fileName);
    if (!current || current.action !== 'upload') {
      // Auth comes first for private buckets, so a missing file does not leak to strangers.
      authorize(bucket, req.by.fileName, credential, overrides);
      throw fail.notFound(`File not present: ${req.by.fileName}`);
    }
    file = current;
  }
  const caller = authorize(bucket, file.fileName, credential, overrides);
  engine.checkSseKey(file, engine.presentedSseKey(req.headers));

  const size = file.contentLength;
  const range = parseRange(header(req.headers, 'range'), size);
  const headers = responseHeaders(file, bucket, caller, overrides);
  if (range === 'unsatisfiable') {
    throw fail.rangeNotSatisfiable(size);
  }
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.start + range.length - 1}/${size}`;
    headers['Content-Length'] = String(range.length);
    return { status: 206, headers, segments: sliceSegments(file.segments, range.start, range.length), length: range.length, bucket };
  }
  headers['Content-Length'] = String(size);
  return { status: 200, headers, segments: file.segments, length: size, bucket };
}

/** Checks the credential against the file; returns the account caller when there is one. */
function authorize(bucket: BucketRecord, fileName: string, credential: { caller: Caller } | { download: DownloadToken } | null, overrides: Record<string, string>): Caller | null {
  if (!credential) {
    if (Object.keys(overrides).length > 0) throw fail.unauthorized('b2Content* overrides need an authorization token');
    if (bucket.bucketType === 'allPublic') return null;
    throw fail.missingAuthToken();
  }
  if ('caller' in credential) {
    const { caller } = credential;
    caller.needBucket(bucket.bucketId);
    if (bucket.bucketType !== 'allPublic') caller.need('readFiles');
    caller.needFileName(fileName);
    return caller;
  }
  const d = credential.download;
  if (d.bucketId !== bucket.bucketId || !fileName.startsWith(d.fileNamePrefix)) {
    throw fail.unauthorized('the download authorization token does not cover this file');
  }
  for (const [name, value] of Object.entries(d.overrides)) {
    if (overrides[name] !== value) throw fail.unauthorized(`this download authorization requires ${name}=${value}`);
  }
  return null;
}

/** `bytes=a-b`, `a-`, `-n`; null = whole file (absent, unparseable or covering everything). */
function parseRange(range: string | undefined, size: number): { start: number; length: number } | null | 'unsatisfiable' {
  if (range === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(range);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  if (start === 0 && end === size - 1) return null;
  return { start, length: end - start + 1 };
}

function responseHeaders(file: FileRecord, bucket: BucketRecord, caller: Caller | null, overrides: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': file.contentType,
    'Accept-Ranges': 'bytes',
    'x-bz-file-id': file.fileId,
    'x-bz-file-name': percentEncode(file.fileName),
    'x-bz-content-sha1': file.contentSha1 ?? 'none',
    'x-bz-upload-timestamp': String(file.uploadTimestamp),
  };
  if (bucket.bucketInfo['Cache-Control'] !== undefined) h['Cache-Control'] = bucket.bucketInfo['Cache-Control'];
  for (const [key, value] of Object.entries(file.fileInfo)) {
    const real = Object.prototype.hasOwnProperty.call(RESERVED_INFO_HEADERS, key) ? RESERVED_INFO_HEADERS[key] : undefined;
    if (real) h[real] = value;
    else h[`x-bz-info-${key}`] = percentEncode(value);
  }
  for (const [name, value] of Object.entries(overrides)) h[OVERRIDES[name]] = value;
  if (file.sse.mode === 'SSE-B2') h['X-Bz-Server-Side-Encryption'] = 'AES256';
  if (file.sse.mode === 'SSE-C') {
    h['X-Bz-Server-Side-Encryption-Customer-Algorithm'] = 'AES256';
    h['X-Bz-Server-Side-Encryption-Customer-Key-Md5'] = file.sse.customerKeyMd5!;
  }
  if (bucket.fileLockEnabled) {
    const unreadable: string[] = [];
    if (caller?.can('readFileRetentions')) {
      if (file.retention?.mode) {
        h['X-Bz-File-Retention-Mode'] = file.retention.mode;
        h['X-Bz-File-Retention-Retain-Until-Timestamp'] = String(file.retention.retainUntilTimestamp);
      }
    } else unreadable.push('X-Bz-File-Retention-Mode', 'X-Bz-File-Retention-Retain-Until-Timestamp');
    if (caller?.can('readFileLegalHolds')) {
      if (file.legalHold) h['X-Bz-File-Legal-Hold'] = file.legalHold;
    } else unreadable.push('X-Bz-File-Legal-Hold');
    if (unreadable.length > 0) h['X-Bz-Client-Unauthorized-To-Read'] = unreadable.join(',');
  }
  return h;
}

export function getDownloadAuthorization(engine: Engine, call: JsonCall): B2DownloadAuthorizationWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('shareFiles');
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  const prefix = optString(p, 'fileNamePrefix');
  if (prefix === undefined) throw fail.badRequest('required field fileNamePrefix is missing');
  caller.needListPrefix(prefix);
  const seconds = optInt(p, 'validDurationInSeconds');
  if (seconds === undefined || seconds < 1 || seconds > 604800) throw fail.badRequest('validDurationInSeconds must be between 1 and 604800');
  const overrides: Record<string, string> = {};
  for (const name of Object.keys(OVERRIDES)) {
    const v = optString(p, name);
    if (v !== undefined) overrides[name] = v;
  }
  const token = engine.tokens.issueDownloadToken(caller.keyId, bucket.bucketId, prefix, seconds, overrides);
  return { authorizationToken: token, bucketId: bucket.bucketId, fileNamePrefix: prefix };
}
