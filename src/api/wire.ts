/**
 * B2 native API wire types: the JSON shapes exactly as they travel, with B2's own field names.
 * Shared by the client and the emulator (the only thing the two share).
 */

export type B2ApiVersion = 1 | 2 | 3 | 4;

/** The JSON body of every B2 error response. */
export interface B2ErrorBody {
  status: number;
  code: string;
  message: string;
}

export type B2BucketType = 'allPublic' | 'allPrivate' | 'snapshot' | 'restricted' | 'shared' | (string & {});
export type B2FileAction = 'upload' | 'start' | 'hide' | 'folder' | 'copy' | (string & {});
/**
 * A file version's `contentSha1`: 40 hex digits, `unverified:` and 40 hex digits (sent with the
 * SHA-1 at the end of the body), or `none` for large files, whose whole SHA-1 B2 does not know
 * (https://www.backblaze.com/apidocs/b2-get-file-info).
 */
export type B2ContentSha1 = 'none' | (string & {});
export type B2RetentionMode = 'governance' | 'compliance';
export type B2LegalHoldValue = 'on' | 'off';

export interface B2ServerSideEncryptionWire {
  mode: 'SSE-B2' | 'SSE-C' | null;
  algorithm: 'AES256' | null;
}

/** SSE settings as sent in JSON requests (SSE-C carries the key). */
export interface B2ServerSideEncryptionRequest {
  mode: 'SSE-B2' | 'SSE-C' | null;
  algorithm?: 'AES256' | null;
  customerKey?: string;
  customerKeyMd5?: string;
}

export interface B2FileRetentionValue {
  mode: B2RetentionMode | null;
  retainUntilTimestamp: number | null;
}

export interface B2Readable<T> {
  isClientAuthorizedToRead: boolean;
  value: T | null;
}

/** A file version as returned by upload, get_file_info, the list calls, hide, copy and large-file calls. */
export interface B2FileWire {
  accountId: string;
  action: B2FileAction;
  bucketId: string;
  contentLength: number;
  contentMd5: string | null;
  contentSha1: B2ContentSha1 | null;
  contentType: string | null;
  fileId: string | null;
  fileInfo: Record<string, string>;
  fileName: string;
  fileRetention?: B2Readable<B2FileRetentionValue>;
  legalHold?: B2Readable<B2LegalHoldValue>;
  serverSideEncryption?: B2ServerSideEncryptionWire;
  uploadTimestamp: number;
  /** API v1 only: the same as contentLength. */
  size?: number;
}

export interface B2CorsRule {
  corsRuleName: string;
  allowedOrigins: string[];
  allowedOperations: string[];
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds: number;
}

export interface B2LifecycleRule {
  fileNamePrefix: string;
  daysFromUploadingToHiding?: number | null;
  daysFromHidingToDeleting?: number | null;
  daysFromStartingToCancelingUnfinishedLargeFiles?: number | null;
}

export interface B2RetentionPeriod {
  duration: number;
  unit: 'days' | 'years';
}

export interface B2DefaultRetention {
  mode: B2RetentionMode | null;
  period: B2RetentionPeriod | null;
}

export interface B2FileLockConfiguration {
  isFileLockEnabled: boolean;
  defaultRetention: B2DefaultRetention;
}

export interface B2BucketWire {
  accountId: string;
  bucketId: string;
  bucketName: string;
  bucketType: B2BucketType;
  bucketInfo: Record<string, string>;
  corsRules: B2CorsRule[];
  lifecycleRules: B2LifecycleRule[];
  revision: number;
  options: string[];
  defaultServerSideEncryption: B2Readable<B2ServerSideEncryptionWire>;
  fileLockConfiguration: B2Readable<B2FileLockConfiguration>;
}

export interface B2PartWire {
  fileId: string;
  partNumber: number;
  contentLength: number;
  contentSha1: string;
  contentMd5: string | null;
  serverSideEncryption?: B2ServerSideEncryptionWire;
  uploadTimestamp: number;
}

export interface B2KeyWire {
  accountId: string;
  applicationKeyId: string;
  /** v1–v3. */
  bucketId?: string | null;
  /** v4. */
  bucketIds?: string[] | null;
  capabilities: string[];
  expirationTimestamp: number | null;
  keyName: string;
  namePrefix: string | null;
  options: string[];
}

export interface B2CreatedKeyWire extends B2KeyWire {
  applicationKey: string;
}

export interface B2AllowedV2 {
  bucketId: string | null;
  bucketName: string | null;
  capabilities: string[];
  namePrefix: string | null;
}

/** b2_authorize_account, v1 and v2 (flat). */
export interface B2AuthorizeResponseV2 {
  accountId: string;
  authorizationToken: string;
  apiUrl: string;
  downloadUrl: string;
  s3ApiUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  /** v1 only (deprecated alias of recommendedPartSize). */
  minimumPartSize?: number;
  allowed: B2AllowedV2;
}

export interface B2StorageApiInfoV3 {
  infoType: 'storageApi';
  apiUrl: string;
  downloadUrl: string;
  s3ApiUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  bucketId: string | null;
  bucketName: string | null;
  capabilities: string[];
  namePrefix: string | null;
}

export interface B2StorageApiInfoV4 {
  apiUrl: string;
  downloadUrl: string;
  s3ApiUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  capabilities: string[];
  namePrefix: string | null;
  allowed: {
    buckets: { id: string; name: string | null }[] | null;
    capabilities: string[];
    namePrefix: string | null;
  };
}

/** b2_authorize_account, v3 and v4 (grouped under apiInfo.storageApi). */
export interface B2AuthorizeResponseV3 {
  accountId: string;
  authorizationToken: string;
  applicationKeyExpirationTimestamp: number | null;
  apiInfo: { storageApi: B2StorageApiInfoV3 | B2StorageApiInfoV4 };
}

export interface B2UploadUrlWire {
  bucketId: string;
  uploadUrl: string;
  authorizationToken: string;
}

export interface B2UploadPartUrlWire {
  fileId: string;
  uploadUrl: string;
  authorizationToken: string;
}

export interface B2ListFileNamesWire {
  files: B2FileWire[];
  nextFileName: string | null;
}

export interface B2ListFileVersionsWire {
  files: B2FileWire[];
  nextFileName: string | null;
  nextFileId: string | null;
}

export interface B2ListPartsWire {
  parts: B2PartWire[];
  nextPartNumber: number | null;
}

export interface B2ListUnfinishedWire {
  files: B2FileWire[];
  nextFileId: string | null;
}

export interface B2ListKeysWire {
  keys: B2KeyWire[];
  nextApplicationKeyId: string | null;
}

export interface B2CancelLargeFileWire {
  accountId: string;
  bucketId: string;
  fileId: string;
  fileName: string;
}

export interface B2DeleteFileVersionWire {
  fileId: string;
  fileName: string;
}

export interface B2DownloadAuthorizationWire {
  authorizationToken: string;
  bucketId: string;
  fileNamePrefix: string;
}

/** Every capability a key may hold (https://www.backblaze.com/docs/cloud-storage-application-key-capabilities). */
export const B2_CAPABILITIES = [
  'listKeys',
  'writeKeys',
  'deleteKeys',
  'listBuckets',
  'listAllBucketNames',
  'readBuckets',
  'writeBuckets',
  'deleteBuckets',
  'readBucketEncryption',
  'writeBucketEncryption',
  'readBucketRetentions',
  'writeBucketRetentions',
  'readBucketReplications',
  'writeBucketReplications',
  'readBucketNotifications',
  'writeBucketNotifications',
  'readBucketLogging',
  'writeBucketLogging',
  'listFiles',
  'readFiles',
  'shareFiles',
  'writeFiles',
  'deleteFiles',
  'readFileLegalHolds',
  'writeFileLegalHolds',
  'readFileRetentions',
  'writeFileRetentions',
  'bypassGovernance',
] as const;

export type B2Capability = (typeof B2_CAPABILITIES)[number];
