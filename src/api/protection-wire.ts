/**
 * How server-side encryption and Object Lock settings of a new file version travel: as headers on
 * b2_upload_file and b2_upload_part (and downloads), as JSON on b2_start_large_file and copies
 * (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api,
 * https://www.backblaze.com/docs/cloud-storage-object-lock). The encryption arrives already encoded
 * (an SSE-C key as base64 with the base64 of its MD5): resources check and encode what the user
 * gave. An SSE-C key is only ever put in a request, never in a message or a log.
 */
import { invalidArgument } from '../http/b2-error';
import type { B2ServerSideEncryptionRequest } from './wire';

/** A file's retention: its mode, and until when (milliseconds since the epoch). */
export interface B2Retention {
  /**
   * `governance`: a key with the `bypassGovernance` capability may shorten or remove it (passing
   * `bypassGovernance`); `compliance`: no one can shorten or remove it, only extend it
   * (https://www.backblaze.com/docs/cloud-storage-object-lock).
   */
  mode: 'governance' | 'compliance';
  /** Milliseconds since the epoch. */
  retainUntilTimestamp: number;
}

/** A new version's protection as B2 takes it: encryption encoded, retention and legal hold checked. */
export interface B2ProtectionWire {
  serverSideEncryption?: B2ServerSideEncryptionRequest;
  fileRetention?: B2Retention;
  legalHold?: 'on' | 'off';
}

/** Headers carrying an SSE-C key (uploads of SSE-C files, each of their parts, downloads); none for SSE-B2 or none. */
export function customerKeyHeaders(sse: B2ServerSideEncryptionRequest | undefined): Record<string, string> {
  return sse?.mode === 'SSE-C' && sse.customerKey !== undefined && sse.customerKeyMd5 !== undefined
    ? {
        'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256',
        'X-Bz-Server-Side-Encryption-Customer-Key': sse.customerKey,
        'X-Bz-Server-Side-Encryption-Customer-Key-Md5': sse.customerKeyMd5,
      }
    : {};
}

/** Upload headers of a small file (https://www.backblaze.com/apidocs/b2-upload-file): SSE, retention and legal hold. */
export function uploadProtectionHeaders(p: B2ProtectionWire): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.serverSideEncryption?.mode === 'SSE-B2') h['X-Bz-Server-Side-Encryption'] = 'AES256';
  Object.assign(h, customerKeyHeaders(p.serverSideEncryption));
  if (p.fileRetention) {
    h['X-Bz-File-Retention-Mode'] = p.fileRetention.mode;
    h['X-Bz-File-Retention-Retain-Until-Timestamp'] = String(p.fileRetention.retainUntilTimestamp);
  }
  if (p.legalHold) h['X-Bz-File-Legal-Hold'] = p.legalHold;
  return h;
}

/** A retention, checked: `invalid_argument` naming `fileRetention.mode` or `.retainUntilTimestamp`. */
export function checkRetention(r: B2Retention | undefined): B2Retention | undefined {
  if (r === undefined) return undefined;
  if (r.mode !== 'governance' && r.mode !== 'compliance') throw invalidArgument('fileRetention.mode', 'must be governance or compliance');
  if (!Number.isSafeInteger(r.retainUntilTimestamp) || r.retainUntilTimestamp <= 0) {
    throw invalidArgument('fileRetention.retainUntilTimestamp', 'must be a time in milliseconds since the epoch');
  }
  return { mode: r.mode, retainUntilTimestamp: r.retainUntilTimestamp };
}

/** A legal hold, checked: `invalid_argument` naming `field` unless "on" or "off". */
export function checkLegalHold(value: unknown, field = 'legalHold'): 'on' | 'off' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'on' && value !== 'off') throw invalidArgument(field, 'must be "on" or "off"');
  return value;
}
