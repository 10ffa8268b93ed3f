/**
 * The emulator's internal records: what it stores, persisted as-is by the metadata journal.
 * Wire shapes are produced from these by serialize.ts; nothing here is sent to a client directly.
 */
import type { B2CorsRule, B2LifecycleRule, B2DefaultRetention, B2RetentionMode, B2LegalHoldValue } from '../api/wire';

/** A run of bytes inside a stored blob. File content is a list of these (parts, copies). */
export interface Segment {
  blobId: string;
  offset: number;
  length: number;
}

export interface AccountRecord {
  accountId: string;
  /** The master key's id equals the account id (https://www.backblaze.com/apidocs/b2-authorize-account). */
  masterKey: string;
}

export interface BucketRecord {
  bucketId: string;
  bucketName: string;
  bucketType: string;
  bucketInfo: Record<string, string>;
  corsRules: B2CorsRule[];
  lifecycleRules: B2LifecycleRule[];
  revision: number;
  defaultSse: SseSetting;
  fileLockEnabled: boolean;
  defaultRetention: B2DefaultRetention;
}

export interface SseSetting {
  mode: 'SSE-B2' | 'SSE-C' | null;
  algorithm: 'AES256' | null;
  /** SSE-C only: base64 MD5 of the customer key, echoed on downloads. */
  customerKeyMd5?: string;
  /** SSE-C only: SHA-256 (hex) of the key bytes; B2 keeps only a hash to validate the key. */
  customerKeyHash?: string;
}

export interface RetentionSetting {
  mode: B2RetentionMode | null;
  retainUntilTimestamp: number | null;
}

export type StoredFileAction = 'upload' | 'start' | 'hide';

export interface FileRecord {
  fileId: string;
  bucketId: string;
  fileName: string;
  action: StoredFileAction;
  contentLength: number;
  /** 40 hex, "none" for large files, "unverified:<hex>" for do_not_verify uploads. */
  contentSha1: string | null;
  contentMd5: string | null;
  contentType: string;
  fileInfo: Record<string, string>;
  uploadTimestamp: number;
  /** Global, strictly increasing creation order: ties on uploadTimestamp never reorder versions. */
  seq: number;
  sse: SseSetting;
  retention: RetentionSetting | null;
  legalHold: B2LegalHoldValue | null;
  /** The bytes, in order. Empty for hide markers and unfinished large files. */
  segments: Segment[];
  isLargeFile: boolean;
}

export interface PartRecord {
  fileId: string;
  partNumber: number;
  contentLength: number;
  contentSha1: string;
  contentMd5: string | null;
  uploadTimestamp: number;
  segment: Segment;
}

export interface KeyRecord {
  applicationKeyId: string;
  applicationKey: string;
  keyName: string;
  capabilities: string[];
  /** null = all buckets. */
  bucketIds: string[] | null;
  namePrefix: string | null;
  expirationTimestamp: number | null;
  /** Created through v4 (`bucketIds`): b2_list_keys v4 lists only these, v1–v3 only the others (https://www.backblaze.com/docs/cloud-storage-native-api-versions). */
  multiBucket: boolean;
  seq: number;
}

/** What the metadata journal persists, one kind of record each. */
export interface RecordKinds {
  account: AccountRecord;
  bucket: BucketRecord;
  file: FileRecord;
  part: PartRecord;
  key: KeyRecord;
}
export type RecordKind = keyof RecordKinds;
