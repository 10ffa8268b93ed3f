/**
 * Server-side encryption and Object Lock settings of a file, and how they travel: as headers on
 * b2_upload_file / b2_upload_part and downloads, as JSON on b2_start_large_file and copies
 * (https://www.backblaze.com/docs/cloud-storage-object-lock, https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api). An SSE-C key is only ever put in a request, never in a message or a log.
 */
import type { B2ServerSideEncryptionRequest } from '../api/wire';
import { invalidArgument } from '../http/b2-error';
import { platform } from '../platform';

/** SSE-B2 (Backblaze's key) or SSE-C (your 32-byte key, raw or base64). */
export type B2Encryption = { mode: 'SSE-B2' } | { mode: 'SSE-C'; customerKey: Uint8Array | string };

export interface B2Retention {
  mode: 'governance' | 'compliance';
  /** Milliseconds since the epoch. */
  retainUntilTimestamp: number;
}

/** Protection for a new file version. */
export interface B2FileProtection {
  serverSideEncryption?: B2Encryption;
  fileRetention?: B2Retention;
  legalHold?: 'on' | 'off';
}

interface CustomerKey {
  key: string;
  keyMd5: string;
}

function customerKey(enc: B2Encryption, field: string): CustomerKey | null {
  if (enc.mode === 'SSE-B2') return null;
  if (enc.mode !== 'SSE-C') throw invalidArgument(`${field}.mode`, 'must be SSE-B2 or SSE-C');
  const raw = typeof enc.customerKey === 'string' ? platform.fromBase64(enc.customerKey) : enc.customerKey;
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw invalidArgument(`${field}.customerKey`, 'must be 32 bytes (raw, or base64 of 32 bytes)');
  return { key: platform.toBase64(raw), keyMd5: platform.md5Base64(raw) };
}

/** Headers carrying an SSE-C key (uploads of SSE-C files, their parts, downloads). */
export function customerKeyHeaders(enc: B2Encryption | undefined, field = 'serverSideEncryption'): Record<string, string> {
  const ck = enc && customerKey(enc, field);
  return ck
    ? {
        'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256',
        'X-Bz-Server-Side-Encryption-Customer-Key': ck.key,
        'X-Bz-Server-Side-Encryption-Customer-Key-Md5': ck.keyMd5,
      }
    : {};
}

/** SSE as JSON (b2_start_large_file, copy source and destination). */
export function encryptionJson(enc: B2Encryption | undefined, field = 'serverSideEncryption'): B2ServerSideEncryptionRequest | undefined {
  if (!enc) return undefined;
  const ck = customerKey(enc, field);
  return ck ? { mode: 'SSE-C', algorithm: 'AES256', customerKey: ck.key, customerKeyMd5: ck.keyMd5 } : { mode: 'SSE-B2', algorithm: 'AES256' };
}

export function checkRetention(r: B2Retention | undefined): B2Retention | undefined {
  if (r === undefined) return undefined;
  if (r.mode !== 'governance' && r.mode !== 'compliance') throw invalidArgument('fileRetention.mode', 'must be governance or compliance');
  if (!Number.isSafeInteger(r.retainUntilTimestamp) || r.retainUntilTimestamp <= 0) {
    throw invalidArgument('fileRetention.retainUntilTimestamp', 'must be a time in milliseconds since the epoch');
  }
  return { mode: r.mode, retainUntilTimestamp: r.retainUntilTimestamp };
}

export function checkLegalHold(value: unknown, field = 'legalHold'): 'on' | 'off' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'on' && value !== 'off') throw invalidArgument(field, 'must be "on" or "off"');
  return value;
}

/** Upload headers for a small file: SSE, retention and legal hold. */
export function uploadProtectionHeaders(p: B2FileProtection): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.serverSideEncryption?.mode === 'SSE-B2') h['X-Bz-Server-Side-Encryption'] = 'AES256';
  Object.assign(h, customerKeyHeaders(p.serverSideEncryption));
  const retention = checkRetention(p.fileRetention);
  if (retention) {
    h['X-Bz-File-Retention-Mode'] = retention.mode;
    h['X-Bz-File-Retention-Retain-Until-Timestamp'] = String(retention.retainUntilTimestamp);
  }
  const hold = checkLegalHold(p.legalHold);
  if (hold) h['X-Bz-File-Legal-Hold'] = hold;
  return h;
}
