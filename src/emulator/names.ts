/**
 * Name rules and encodings of the B2 wire (https://www.backblaze.com/docs/cloud-storage-files): percent-encoding of header values,
 * file-name and bucket-name rules, file-info limits, name ordering.
 */
import { lookup as lookupMimeType } from 'mime-types';
import { fail } from './errors';

/**
 * Decodes a percent-encoded header value (`%XX` in either case, `+` → space, https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding).
 * A malformed escape or bytes that are not UTF-8 are a 400.
 */
export function percentDecode(value: string, what: string): string {
  // Header values reach Node as latin1: anything non-ASCII was sent unencoded.
  if (/[^\x00-\x7f]/.test(value)) throw fail.badRequest(`${what}: non-ASCII characters must be percent-encoded`);
  if (!/%|\+/.test(value)) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x25 /* % */) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw fail.badRequest(`${what}: invalid percent-encoding`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch === 0x2b /* + */) {
      bytes.push(0x20);
    } else {
      // Header values reach Node as latin1; anything non-ASCII here was sent unencoded.
      if (ch > 0x7f) throw fail.badRequest(`${what}: non-ASCII characters must be percent-encoded`);
      bytes.push(ch);
    }
  }
  try {
    // ignoreBOM: a leading U+FEFF is content (a value may be just that), not a marker to drop.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw fail.badRequest(`${what}: percent-encoded bytes are not valid UTF-8`);
  }
}

import { percentEncode } from '../api/wire-encoding';
export { percentEncode };

/** File names: 1–1024 UTF-8 bytes, no code points below 0x20, no DEL, valid Unicode (https://www.backblaze.com/docs/cloud-storage-files). */
export function checkFileName(name: unknown, field = 'fileName'): string {
  if (typeof name !== 'string' || name.length === 0) throw fail.badRequest(`${field} is required`);
  if (Buffer.byteLength(name, 'utf8') > 1024) throw fail.badRequest(`${field} is too long: at most 1024 bytes of UTF-8`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw fail.badRequest(`${field} contains a control character (0x${c.toString(16).padStart(2, '0')})`);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw fail.badRequest(`${field} is not valid Unicode`);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw fail.badRequest(`${field} is not valid Unicode`);
    }
  }
  return name;
}

/** Bucket names: 6–63 of `[A-Za-z0-9-]`, not starting with `b2-` (https://www.backblaze.com/docs/cloud-storage-buckets). */
export function checkBucketName(name: unknown): string {
  if (typeof name !== 'string') throw fail.badRequest('bucketName is required');
  if (name.length < 6 || name.length > 63) throw fail.badRequest('bucketName must be 6 to 63 characters long');
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw fail.badRequest('bucketName may contain only letters, digits and "-"');
  if (/^b2-/i.test(name)) throw fail.badRequest('bucketName may not start with "b2-"');
  return name;
}

/** Reserved `b2-*` file-info keys and the download headers they become (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api). */
export const RESERVED_INFO_HEADERS: Record<string, string> = {
  'b2-content-disposition': 'Content-Disposition',
  'b2-content-language': 'Content-Language',
  'b2-expires': 'Expires',
  'b2-cache-control': 'Cache-Control',
  'b2-content-encoding': 'Content-Encoding',
};

export const MAX_FILE_INFO = 10;

/**
 * Checks a file-info map (keys lower-cased, ≤ 10 entries, key ≤ 50 bytes, known `b2-*` keys only)
 * and the header budget for name + info: 7000 bytes, 2048 with SSE or Object Lock (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api).
 */
export function checkFileInfo(info: Record<string, string>, fileName: string, headerBudget: number): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(info);
  if (entries.length > MAX_FILE_INFO) throw fail.badRequest(`too many file info entries: ${entries.length} (at most ${MAX_FILE_INFO})`);
  let budget = `X-Bz-File-Name: ${percentEncode(fileName)}\r\n`.length;
  for (const [rawKey, value] of entries) {
    const key = rawKey.toLowerCase();
    if (typeof value !== 'string') throw fail.badRequest(`fileInfo value for ${key} must be a string`);
    if (Buffer.byteLength(key, 'utf8') > 50) throw fail.badRequest(`fileInfo key is too long (at most 50 bytes): ${key}`);
    if (!/^[a-z0-9\-_.~!#$%^&*'+`|]+$/.test(key)) throw fail.badRequest(`fileInfo key has invalid characters: ${key}`);
    if (key.startsWith('b2-')) {
      if (!(key in RESERVED_INFO_HEADERS)) throw fail.badRequest(`unknown reserved fileInfo key: ${key}`);
      checkReservedInfoValue(key, value);
    }
    if (Object.prototype.hasOwnProperty.call(out, key)) throw fail.badRequest(`fileInfo keys differ only in case: ${key}`);
    // defineProperty: a key named "__proto__" is data, not the prototype.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    budget += `X-Bz-Info-${key}: ${percentEncode(value)}\r\n`.length;
  }
  if (budget > headerBudget) {
    throw fail.badRequest(`file name and file info take ${budget} bytes of headers; the limit is ${headerBudget}`);
  }
  return out;
}

function checkReservedInfoValue(key: string, value: string): void {
  // Values become real response headers: they must be representable in one header line.
  if (!/^[\x20-\x7e]*$/.test(value)) throw fail.badRequest(`invalid value for ${key}: only printable ASCII allowed`);
  if (key === 'b2-expires' && Number.isNaN(Date.parse(value))) throw fail.badRequest(`invalid value for ${key}: not an HTTP date`);
}

/**
 * Orders names by Unicode code point, i.e. by their UTF-8 bytes (https://www.backblaze.com/apidocs/b2-list-file-names). Plain `<` on JS
 * strings compares UTF-16 units, which misplaces supplementary characters against U+E000–U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Resolves `b2/x-auto` from the extension of the name's last segment, by the mime-types package
 * (the IANA and Apache lists, as B2 does for common extensions: `.txt` → `text/plain`, `.jpg` →
 * `image/jpeg`), falling back to application/octet-stream
 * (https://www.backblaze.com/apidocs/b2-upload-file, Content-Type).
 */
export function resolveContentType(contentType: string | undefined, fileName: string): string {
  if (contentType !== 'b2/x-auto') return contentType as string;
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const type = dot > 0 ? lookupMimeType(base.slice(dot + 1)) : false;
  return type || 'application/octet-stream';
}

export function checkContentType(contentType: unknown): string {
  if (typeof contentType !== 'string' || contentType.length === 0) throw fail.badRequest('contentType is required');
  if (!/^[\x20-\x7e]+$/.test(contentType) || !/^[^\s/]+\/[^\s/]+/.test(contentType)) {
    throw fail.badRequest(`invalid contentType: ${contentType}`);
  }
  return contentType;
}
