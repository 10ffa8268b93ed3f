/**
 * Server-side encryption and Object Lock settings of a file as the user gives them, checked and
 * encoded for the wire (https://www.backblaze.com/docs/cloud-storage-object-lock,
 * https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api): an
 * SSE-C key is checked here and turned into base64 with its MD5 (src/api/protection-wire.ts puts
 * it into requests). An SSE-C key is only ever put in a request, never in a message or a log.
 */
import { checkLegalHold, checkRetention, customerKeyHeaders as wireKeyHeaders, type B2ProtectionWire, type B2Retention } from '../api/protection-wire';
import type { B2ServerSideEncryptionRequest } from '../api/wire';
import { invalidArgument } from '../http/b2-error';
import { platform } from '../platform';

export type { B2Retention } from '../api/protection-wire';

/**
 * SSE-B2 (Backblaze's key) or SSE-C (your 32-byte key, raw or base64), both AES-256
 * (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api). Anything
 * else is `invalid_argument` naming `….mode` or `….customerKey`, before any request.
 */
export type B2Encryption =
  | {
      /** `SSE-B2`: B2 encrypts with keys it manages; downloads need nothing more. */
      mode: 'SSE-B2';
    }
  | {
      /** `SSE-C`: B2 encrypts with your key and does not store it; every download (and copy) of the file needs the key again. */
      mode: 'SSE-C';
      /**
       * The AES-256 key: 32 bytes, or their base64. It goes only into requests (never into a message
       * or a log); lose it and the file cannot be read.
       */
      customerKey: Uint8Array | string;
    };

/** Protection for a new file version: its encryption, and Object Lock's retention and legal hold. */
export interface B2FileProtection {
  /** How B2 encrypts the version at rest (default: the bucket's default encryption, if any). */
  serverSideEncryption?: B2Encryption;
  /**
   * Retention until a time: the version cannot be deleted before then
   * (https://www.backblaze.com/docs/cloud-storage-object-lock); the bucket needs Object Lock.
   * Default: the bucket's default retention, if any.
   */
  fileRetention?: B2Retention;
  /**
   * `on`: the version cannot be deleted until the hold is turned off (`B2File.updateLegalHold`),
   * whatever its retention; the bucket needs Object Lock. Default: none.
   */
  legalHold?: 'on' | 'off';
}

/**
 * SSE as B2 takes it (JSON on b2_start_large_file and copies; headers through the api), the key
 * checked and encoded. Errors with `invalid_argument` naming `field.mode` or `field.customerKey`.
 */
export function encryptionJson(enc: B2Encryption | undefined, field = 'serverSideEncryption'): B2ServerSideEncryptionRequest | undefined {
  if (!enc) return undefined;
  if (enc.mode === 'SSE-B2') return { mode: 'SSE-B2', algorithm: 'AES256' };
  if (enc.mode !== 'SSE-C') throw invalidArgument(`${field}.mode`, 'must be SSE-B2 or SSE-C');
  const raw = typeof enc.customerKey === 'string' ? platform.fromBase64(enc.customerKey) : enc.customerKey;
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw invalidArgument(`${field}.customerKey`, 'must be 32 bytes (raw, or base64 of 32 bytes)');
  return { mode: 'SSE-C', algorithm: 'AES256', customerKey: platform.toBase64(raw), customerKeyMd5: platform.md5Base64(raw) };
}

/** Headers carrying an SSE-C key (downloads of SSE-C files), the key checked as `encryptionJson` does. */
export function customerKeyHeaders(enc: B2Encryption | undefined, field = 'serverSideEncryption'): Record<string, string> {
  return wireKeyHeaders(encryptionJson(enc, field));
}

/**
 * A new version's protection, checked and encoded for the pipelines. Errors with
 * `invalid_argument` naming the option (`serverSideEncryption.customerKey`, `fileRetention.mode`,
 * `legalHold`, …): call it before any request.
 */
export function protectionWire(p: B2FileProtection): B2ProtectionWire {
  return { serverSideEncryption: encryptionJson(p.serverSideEncryption), fileRetention: checkRetention(p.fileRetention), legalHold: checkLegalHold(p.legalHold) };
}
