/** Identifiers shaped like B2's (https://www.backblaze.com/apidocs/b2-list-file-versions: opaque to clients, realistic here). */
import { randomBytes } from 'node:crypto';

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Opaque random token; URL-safe. */
export const newToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

export const newAccountId = (): string => randomHex(6);
export const newBucketId = (): string => randomHex(12);
export const newApplicationKeyId = (accountId: string): string => `00${accountId.slice(0, 10)}${randomHex(7)}`.slice(0, 25);
export const newApplicationKey = (): string => `K00${randomBytes(21).toString('base64url').replace(/[-_]/g, 'x').slice(0, 28)}`;

function utcStamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2021-12-30T17:15:12.000Z
  return `d${iso.slice(0, 10).replace(/-/g, '')}_m${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * `4_z<bucketId>_f<1|2><15 hex>_d<date>_m<time>_c000_v0001000_t<4 digits>` (f1 small, f2 large files).
 * A large file's 15 hex digits are its start order (`seq`), so a `b2_list_unfinished_large_files`
 * cursor still says where to resume after its own file was cancelled or finished; small files' are random.
 */
export function newFileId(bucketId: string, timestampMs: number, large: false): string;
export function newFileId(bucketId: string, timestampMs: number, large: true, seq: number): string;
export function newFileId(bucketId: string, timestampMs: number, large: boolean, seq?: number): string {
  const serial = String(Math.floor(Math.random() * 10000)).padStart(4, '0');
  const middle = large ? seq!.toString(16).padStart(15, '0') : randomHex(8).slice(1);
  return `4_z${bucketId}_f${large ? 2 : 1}${middle}_${utcStamp(timestampMs)}_c000_v0001000_t${serial}`;
}

/** The start order a large file's id carries (see `newFileId`), or undefined for other ids. */
export function largeFileSeq(fileId: string): number | undefined {
  const m = FILE_ID.test(fileId) ? /^4_z[0-9a-f]{24}_f2([0-9a-f]{15})_/.exec(fileId) : null;
  return m ? parseInt(m[1], 16) : undefined;
}

const FILE_ID = /^4_z[0-9a-f]{24}_f[12][0-9a-f]{15}_d\d{8}_m\d{6}_c\d{3}_v\d{7}_t\d{4}$/;

/** Whether a string is shaped like an id this emulator issues (malformed → 400, unknown → 404). */
export const isWellFormedFileId = (fileId: string): boolean => fileId.length <= 200 && FILE_ID.test(fileId);
export const isWellFormedBucketId = (bucketId: string): boolean => /^[0-9a-f]{24}$/.test(bucketId);
