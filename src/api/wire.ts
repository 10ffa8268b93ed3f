/**
 * B2 native API wire types: the JSON shapes exactly as they travel, with B2's own field names.
 * Shared by the client and the emulator (the only thing the two share).
 */

/** The B2 native API versions the emulator answers (the client speaks v3; https://www.backblaze.com/docs/cloud-storage-native-api-versions). */
export type B2ApiVersion = 1 | 2 | 3 | 4;

/** The JSON body of every B2 error response. */
export interface B2ErrorBody {
  /** The HTTP status, repeated in the body. */
  status: number;
  /** B2's error code (`bad_request`, `expired_auth_token`, …; https://www.backblaze.com/apidocs/b2-upload-file lists them per call). */
  code: string;
  /** A human-readable explanation. */
  message: string;
}

/** Who may read a bucket: `allPublic` (anyone, by URL), `allPrivate` (authorized only); `snapshot`, `restricted` and `shared` are B2's own kinds. Unknown strings pass through. */
export type B2BucketType = 'allPublic' | 'allPrivate' | 'snapshot' | 'restricted' | 'shared' | (string & {});
/** What a file version is (see `B2FileWire.action`). Unknown strings pass through. */
export type B2FileAction = 'upload' | 'start' | 'hide' | 'folder' | 'copy' | (string & {});
/**
 * A file version's `contentSha1`: 40 hex digits, `unverified:` and 40 hex digits (sent with the
 * SHA-1 at the end of the body), or `none` for large files, whose whole SHA-1 B2 does not know
 * (https://www.backblaze.com/apidocs/b2-get-file-info).
 */
export type B2ContentSha1 = 'none' | (string & {});
/** Object Lock modes (https://www.backblaze.com/docs/cloud-storage-object-lock): `governance` may be lifted with `bypassGovernance`, `compliance` never. */
export type B2RetentionMode = 'governance' | 'compliance';
/** An Object Lock legal hold: `on` keeps the version from deletion whatever its retention. */
export type B2LegalHoldValue = 'on' | 'off';

/** How a file or bucket is encrypted, as B2 reports it (https://www.backblaze.com/docs/cloud-storage-server-side-encryption). */
export interface B2ServerSideEncryptionWire {
  /** `SSE-B2`, `SSE-C`, or null when the file or bucket is not encrypted. */
  mode: 'SSE-B2' | 'SSE-C' | null;
  /** Always `AES256` when encrypted; null otherwise. */
  algorithm: 'AES256' | null;
}

/** SSE settings as sent in JSON requests (SSE-C carries the key). */
export interface B2ServerSideEncryptionRequest {
  /** `SSE-B2`, `SSE-C`, or null for none. */
  mode: 'SSE-B2' | 'SSE-C' | null;
  /** `AES256` (the only algorithm B2 offers). */
  algorithm?: 'AES256' | null;
  /** SSE-C only: the 256-bit key, base64. */
  customerKey?: string;
  /** SSE-C only: the MD5 of the key, base64. */
  customerKeyMd5?: string;
}

/** A file's Object Lock retention. */
export interface B2FileRetentionValue {
  /** `governance`, `compliance`, or null when the file has no retention. */
  mode: B2RetentionMode | null;
  /** Milliseconds since the epoch until which the file is protected; null with no mode. */
  retainUntilTimestamp: number | null;
}

/** A setting the key may or may not be allowed to read. */
export interface B2Readable<T> {
  /** False when the key lacks the capability to read this setting; `value` is then null. */
  isClientAuthorizedToRead: boolean;
  /** The setting, when readable. */
  value: T | null;
}

/** A file version as returned by upload, get_file_info, the list calls, hide, copy and large-file calls. */
export interface B2FileWire {
  /** The account that owns the file. */
  accountId: string;
  /** `upload` (a stored version), `start` (an unfinished large file), `hide` (a hide marker), `folder` (a virtual folder in a delimited listing), `copy`. */
  action: B2FileAction;
  /** The bucket that holds the file. */
  bucketId: string;
  /** Bytes of content (0 for hide markers and folders). */
  contentLength: number;
  /** MD5 of the content in hex, when B2 knows it (small files); null otherwise. */
  contentMd5: string | null;
  /** SHA-1 of the content (see `B2ContentSha1`); null for hide markers and folders. */
  contentSha1: B2ContentSha1 | null;
  /** MIME type as stored; null for hide markers and folders. */
  contentType: string | null;
  /** The version's id; null for a folder in a delimited listing. */
  fileId: string | null;
  /** Custom file info (`X-Bz-Info-*` headers at upload), including `src_last_modified_millis` and `large_file_sha1` when set. */
  fileInfo: Record<string, string>;
  /** The full name (UTF-8), `/` included. */
  fileName: string;
  /** Object Lock retention, when the key may read it. */
  fileRetention?: B2Readable<B2FileRetentionValue>;
  /** Object Lock legal hold, when the key may read it. */
  legalHold?: B2Readable<B2LegalHoldValue>;
  /** How the content is encrypted at rest. */
  serverSideEncryption?: B2ServerSideEncryptionWire;
  /** Milliseconds since the epoch when the version was uploaded (or the large file started). */
  uploadTimestamp: number;
  /** API v1 only: the same as contentLength. */
  size?: number;
}

/** A bucket CORS rule (https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules). */
export interface B2CorsRule {
  /** A name for the rule, unique in the bucket. */
  corsRuleName: string;
  /** Origins allowed (`https://example.com`, `*`). */
  allowedOrigins: string[];
  /** Operations allowed, such as `b2_download_file_by_name` or `s3_get`. */
  allowedOperations: string[];
  /** Request headers a preflight may name. */
  allowedHeaders?: string[];
  /** Response headers the browser may show to scripts. */
  exposeHeaders?: string[];
  /** How long a browser may cache the preflight answer. */
  maxAgeSeconds: number;
}

/** A bucket lifecycle rule (https://www.backblaze.com/docs/cloud-storage-lifecycle-rules). */
export interface B2LifecycleRule {
  /** The names the rule applies to (empty: all). */
  fileNamePrefix: string;
  /** Days after upload until a version is hidden; null: never. */
  daysFromUploadingToHiding?: number | null;
  /** Days after hiding until a version is deleted; null: never. */
  daysFromHidingToDeleting?: number | null;
  /** Days after start until an unfinished large file is cancelled; null: never. */
  daysFromStartingToCancelingUnfinishedLargeFiles?: number | null;
}

/** How long a default retention lasts. */
export interface B2RetentionPeriod {
  /** How many `unit`s. */
  duration: number;
  /** `days` or `years`. */
  unit: 'days' | 'years';
}

/** The retention a bucket gives new files. */
export interface B2DefaultRetention {
  /** The mode new files get, or null for none. */
  mode: B2RetentionMode | null;
  /** How long new files are retained, or null with no mode. */
  period: B2RetentionPeriod | null;
}

/** A bucket's Object Lock settings. */
export interface B2FileLockConfiguration {
  /** Whether Object Lock is on for the bucket (it cannot be turned off). */
  isFileLockEnabled: boolean;
  /** The retention new files get by default. */
  defaultRetention: B2DefaultRetention;
}

/** A bucket as B2 returns it (https://www.backblaze.com/apidocs/b2-list-buckets). */
export interface B2BucketWire {
  /** The account that owns the bucket. */
  accountId: string;
  /** The bucket's id. */
  bucketId: string;
  /** The bucket's globally unique name. */
  bucketName: string;
  /** Who may read it (see `B2BucketType`). */
  bucketType: B2BucketType;
  /** Custom bucket info (such as `Cache-Control` for downloads). */
  bucketInfo: Record<string, string>;
  /** The bucket's CORS rules. */
  corsRules: B2CorsRule[];
  /** The bucket's lifecycle rules. */
  lifecycleRules: B2LifecycleRule[];
  /** Incremented on every update; `ifRevisionIs` on b2_update_bucket checks it. */
  revision: number;
  /** Options of the bucket, such as `s3`. */
  options: string[];
  /** The encryption new files get by default, when the key may read it. */
  defaultServerSideEncryption: B2Readable<B2ServerSideEncryptionWire>;
  /** Object Lock settings, when the key may read them. */
  fileLockConfiguration: B2Readable<B2FileLockConfiguration>;
}

/** A large file's part, as b2_upload_part, b2_copy_part and b2_list_parts return it. */
export interface B2PartWire {
  /** The large file the part belongs to. */
  fileId: string;
  /** 1 to 10,000. */
  partNumber: number;
  /** Bytes in the part. */
  contentLength: number;
  /** SHA-1 of the part's bytes, hex. */
  contentSha1: string;
  /** MD5 of the part, hex, when known. */
  contentMd5: string | null;
  /** How the part is encrypted at rest. */
  serverSideEncryption?: B2ServerSideEncryptionWire;
  /** Milliseconds since the epoch when the part was uploaded. */
  uploadTimestamp: number;
}

/** An application key as b2_list_keys and b2_delete_key return it (no secret). */
export interface B2KeyWire {
  /** The account the key belongs to. */
  accountId: string;
  /** The key's id (its public half). */
  applicationKeyId: string;
  /** v1–v3. */
  bucketId?: string | null;
  /** v4. */
  bucketIds?: string[] | null;
  /** What the key may do (see `B2Capability`). */
  capabilities: string[];
  /** Milliseconds since the epoch when the key expires; null: never. */
  expirationTimestamp: number | null;
  /** The name given at creation. */
  keyName: string;
  /** The key may touch only names starting with this; null: any. */
  namePrefix: string | null;
  /** Options of the key, such as `s3`. */
  options: string[];
}

/** A key just created: the only time its secret is returned. */
export interface B2CreatedKeyWire extends B2KeyWire {
  /** The secret half: returned only once, by b2_create_key. */
  applicationKey: string;
}

/** What a key may do, in the v2 authorization. */
export interface B2AllowedV2 {
  /** The one bucket the key is restricted to; null: all. */
  bucketId: string | null;
  /** That bucket's name, when it still exists. */
  bucketName: string | null;
  /** What the key may do. */
  capabilities: string[];
  /** Names the key is restricted to; null: any. */
  namePrefix: string | null;
}

/** b2_authorize_account, v1 and v2 (flat). */
export interface B2AuthorizeResponseV2 {
  /** The account's id. */
  accountId: string;
  /** The account token for every other call (valid for up to 24 hours). */
  authorizationToken: string;
  /** Base URL for API calls. */
  apiUrl: string;
  /** Base URL for downloads. */
  downloadUrl: string;
  /** Base URL of the S3-compatible API. */
  s3ApiUrl: string;
  /** The part size B2 recommends for large files, bytes. */
  recommendedPartSize: number;
  /** The smallest part B2 accepts (but the last), bytes. */
  absoluteMinimumPartSize: number;
  /** v1 only (deprecated alias of recommendedPartSize). */
  minimumPartSize?: number;
  /** What the key may do. */
  allowed: B2AllowedV2;
}

/** The storage API part of a v3 authorization. */
export interface B2StorageApiInfoV3 {
  /** Always `storageApi`. */
  infoType: 'storageApi';
  /** Base URL for API calls. */
  apiUrl: string;
  /** Base URL for downloads. */
  downloadUrl: string;
  /** Base URL of the S3-compatible API. */
  s3ApiUrl: string;
  /** The part size B2 recommends for large files, bytes. */
  recommendedPartSize: number;
  /** The smallest part B2 accepts (but the last), bytes. */
  absoluteMinimumPartSize: number;
  /** The one bucket the key is restricted to; null: all. */
  bucketId: string | null;
  /** That bucket's name. */
  bucketName: string | null;
  /** What the key may do. */
  capabilities: string[];
  /** Names the key is restricted to; null: any. */
  namePrefix: string | null;
}

/** The storage API part of a v4 authorization (several buckets per key). */
export interface B2StorageApiInfoV4 {
  /** Base URL for API calls. */
  apiUrl: string;
  /** Base URL for downloads. */
  downloadUrl: string;
  /** Base URL of the S3-compatible API. */
  s3ApiUrl: string;
  /** The part size B2 recommends for large files, bytes. */
  recommendedPartSize: number;
  /** The smallest part B2 accepts (but the last), bytes. */
  absoluteMinimumPartSize: number;
  /** What the key may do (as in `allowed`). */
  capabilities: string[];
  /** Names the key is restricted to; null: any. */
  namePrefix: string | null;
  /** What the key may do: its buckets (null: all), capabilities and name prefix. */
  allowed: {
    /** The buckets the key is restricted to; null: every bucket. */
    buckets:
      | {
          /** The bucket's id. */
          id: string;
          /** Its name; null when the bucket was deleted. */
          name: string | null;
        }[]
      | null;
    /** What the key may do. */
    capabilities: string[];
    /** Names the key is restricted to; null: any. */
    namePrefix: string | null;
  };
}

/** b2_authorize_account, v3 and v4 (grouped under apiInfo.storageApi). */
export interface B2AuthorizeResponseV3 {
  /** The account's id. */
  accountId: string;
  /** The account token for every other call (valid for up to 24 hours). */
  authorizationToken: string;
  /** When the key expires, milliseconds since the epoch; null: never. */
  applicationKeyExpirationTimestamp: number | null;
  /** The storage API's URLs, part sizes and what the key may do. */
  apiInfo: {
    /** The storage API's part (v3 or v4 shape). */
    storageApi: B2StorageApiInfoV3 | B2StorageApiInfoV4;
  };
}

/** b2_get_upload_url's answer (https://www.backblaze.com/apidocs/b2-get-upload-url). */
export interface B2UploadUrlWire {
  /** The bucket uploads to this URL go to. */
  bucketId: string;
  /** Where to POST b2_upload_file; one upload at a time. */
  uploadUrl: string;
  /** The token for this URL only (valid 24 hours or until a failure). */
  authorizationToken: string;
}

/** b2_get_upload_part_url's answer (https://www.backblaze.com/apidocs/b2-get-upload-part-url). */
export interface B2UploadPartUrlWire {
  /** The large file whose parts go to this URL. */
  fileId: string;
  /** Where to POST b2_upload_part; one part at a time. */
  uploadUrl: string;
  /** The token for this URL only. */
  authorizationToken: string;
}

/** A page of b2_list_file_names (https://www.backblaze.com/apidocs/b2-list-file-names). */
export interface B2ListFileNamesWire {
  /** This page's files, in name order. */
  files: B2FileWire[];
  /** Where the next page starts; null on the last page. */
  nextFileName: string | null;
}

/** A page of b2_list_file_versions (https://www.backblaze.com/apidocs/b2-list-file-versions). */
export interface B2ListFileVersionsWire {
  /** This page's versions, by name then newest first. */
  files: B2FileWire[];
  /** Where the next page starts; null on the last page. */
  nextFileName: string | null;
  /** With `nextFileName`, the version the next page starts at. */
  nextFileId: string | null;
}

/** A page of b2_list_parts (https://www.backblaze.com/apidocs/b2-list-parts). */
export interface B2ListPartsWire {
  /** This page's parts, in part order. */
  parts: B2PartWire[];
  /** Where the next page starts; null on the last page. */
  nextPartNumber: number | null;
}

/** A page of b2_list_unfinished_large_files (https://www.backblaze.com/apidocs/b2-list-unfinished-large-files). */
export interface B2ListUnfinishedWire {
  /** This page's unfinished large files (action `start`). */
  files: B2FileWire[];
  /** Where the next page starts; null on the last page. */
  nextFileId: string | null;
}

/** A page of b2_list_keys (https://www.backblaze.com/apidocs/b2-list-keys). */
export interface B2ListKeysWire {
  /** This page's keys. */
  keys: B2KeyWire[];
  /** Where the next page starts; null on the last page. */
  nextApplicationKeyId: string | null;
}

/** b2_cancel_large_file's answer. */
export interface B2CancelLargeFileWire {
  /** The account. */
  accountId: string;
  /** The bucket. */
  bucketId: string;
  /** The cancelled large file. */
  fileId: string;
  /** Its name. */
  fileName: string;
}

/** b2_delete_file_version's answer. */
export interface B2DeleteFileVersionWire {
  /** The deleted version. */
  fileId: string;
  /** Its name. */
  fileName: string;
}

/** b2_get_download_authorization's answer (https://www.backblaze.com/apidocs/b2-get-download-authorization). */
export interface B2DownloadAuthorizationWire {
  /** The token to send with downloads of names under the prefix. */
  authorizationToken: string;
  /** The bucket it is valid for. */
  bucketId: string;
  /** The names it is valid for. */
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

/** One capability of `B2_CAPABILITIES`. */
export type B2Capability = (typeof B2_CAPABILITIES)[number];
