/**
 * The raw-API seam: one cold Observable per b2_* call, each with the account's authorization
 * already applied. Pipelines depend on this interface alone, so their marble specs drive them
 * with `cold()` fakes of it (as Angular's specs drive HttpClient through a testing backend).
 *
 * The session's implementation (`sessionApi` in src/session/) authorizes lazily, re-authorizes
 * once on an expired token and retries by B2's rules
 * (https://www.backblaze.com/docs/cloud-storage-integration-checklist), except where a method
 * says it is not retried: an upload is retried by its pipeline with a fresh URL, and a download
 * body by resuming from the next byte.
 *
 * Every method is cold: nothing is sent before subscribe, and unsubscribing aborts the request.
 */
import type { Observable } from 'rxjs';
import type { B2Event } from '../http/events';
import type { B2UploadBody } from '../http/transport';
import type { B2Authorization } from './account';
import type { CreateBucketRequest, ListBucketsRequest, UpdateBucketRequest } from './buckets';
import type { CopyFileRequest, GetDownloadAuthorizationRequest, ListFileNamesRequest, ListFileVersionsRequest } from './files';
import type { CreateKeyRequest } from './keys';
import type { CopyPartRequest, StartLargeFileRequest } from './large-files';
import type { UploadFileHeaders } from './transfers';
import type {
  B2BucketWire,
  B2CancelLargeFileWire,
  B2CreatedKeyWire,
  B2DeleteFileVersionWire,
  B2DownloadAuthorizationWire,
  B2FileRetentionValue,
  B2FileWire,
  B2KeyWire,
  B2ListFileNamesWire,
  B2ListFileVersionsWire,
  B2ListKeysWire,
  B2ListPartsWire,
  B2ListUnfinishedWire,
  B2PartWire,
  B2UploadPartUrlWire,
  B2UploadUrlWire,
} from './wire';

/** An upload URL and its token, from b2_get_upload_url or b2_get_upload_part_url. */
export interface B2UploadTarget {
  uploadUrl: string;
  authorizationToken: string;
}

/** Which file a download reads: by id, or by bucket and name. */
export type B2DownloadBy = { fileId: string } | { bucketName: string; fileName: string };

export interface B2DownloadRequest {
  by: B2DownloadBy;
  /** Request headers (Range, SSE-C key headers, b2-content-* overrides). */
  headers: Record<string, string>;
  /**
   * A download-authorization token to send instead of the account's
   * (https://www.backblaze.com/apidocs/b2-get-download-authorization): an expired one is its
   * owner's to renew, so it is not answered by re-authorizing the account.
   */
  authorizationToken?: string;
}

/**
 * Hooks of one call, for a caller whose call is not idempotent: a retry after a lost answer may
 * find its work already done (a large file started twice, a version already deleted).
 */
export interface B2CallHooks {
  /** Told as each attempt is sent (1, 2, …), before its request. */
  onAttempt?: (attempt: number) => void;
}

export interface B2Api {
  /** The account's authorization (its URLs, part sizes and what the key may do); emits once. */
  authorization(): Observable<B2Authorization>;

  // Buckets (https://www.backblaze.com/docs/cloud-storage-buckets)
  createBucket(req: Omit<CreateBucketRequest, 'accountId'>): Observable<B2BucketWire>;
  listBuckets(req: Omit<ListBucketsRequest, 'accountId'>): Observable<{ buckets: B2BucketWire[] }>;
  updateBucket(req: Omit<UpdateBucketRequest, 'accountId'>): Observable<B2BucketWire>;
  deleteBucket(req: { bucketId: string }): Observable<B2BucketWire>;

  // Files (https://www.backblaze.com/docs/cloud-storage-files)
  listFileNames(req: ListFileNamesRequest): Observable<B2ListFileNamesWire>;
  listFileVersions(req: ListFileVersionsRequest): Observable<B2ListFileVersionsWire>;
  getFileInfo(req: { fileId: string }): Observable<B2FileWire>;
  hideFile(req: { bucketId: string; fileName: string }, hooks?: B2CallHooks): Observable<B2FileWire>;
  deleteFileVersion(req: { fileName: string; fileId: string; bypassGovernance?: boolean }, hooks?: B2CallHooks): Observable<B2DeleteFileVersionWire>;
  copyFile(req: CopyFileRequest): Observable<B2FileWire>;
  getUploadUrl(req: { bucketId: string }): Observable<B2UploadUrlWire>;
  getDownloadAuthorization(req: GetDownloadAuthorizationRequest): Observable<B2DownloadAuthorizationWire>;
  updateFileRetention(req: {
    fileName: string;
    fileId: string;
    fileRetention: B2FileRetentionValue;
    bypassGovernance?: boolean;
  }): Observable<{ fileId: string; fileName: string; fileRetention: B2FileRetentionValue }>;
  updateFileLegalHold(req: { fileName: string; fileId: string; legalHold: 'on' | 'off' }): Observable<{ fileId: string; fileName: string; legalHold: 'on' | 'off' }>;

  // Large files (https://www.backblaze.com/docs/cloud-storage-large-files)
  startLargeFile(req: StartLargeFileRequest, hooks?: B2CallHooks): Observable<B2FileWire>;
  getUploadPartUrl(req: { fileId: string }): Observable<B2UploadPartUrlWire>;
  listParts(req: { fileId: string; startPartNumber?: number; maxPartCount?: number }): Observable<B2ListPartsWire>;
  finishLargeFile(req: { fileId: string; partSha1Array: string[] }): Observable<B2FileWire>;
  cancelLargeFile(req: { fileId: string }): Observable<B2CancelLargeFileWire>;
  listUnfinishedLargeFiles(req: { bucketId: string; namePrefix?: string; startFileId?: string; maxFileCount?: number }): Observable<B2ListUnfinishedWire>;
  copyPart(req: CopyPartRequest): Observable<B2PartWire>;

  // Keys (https://www.backblaze.com/docs/cloud-storage-application-keys)
  createKey(req: Omit<CreateKeyRequest, 'accountId'>): Observable<B2CreatedKeyWire>;
  listKeys(req: { maxKeyCount?: number; startApplicationKeyId?: string }): Observable<B2ListKeysWire>;
  deleteKey(req: { applicationKeyId: string }): Observable<B2KeyWire>;

  // Raw bodies (https://www.backblaze.com/apidocs/b2-upload-file, https://www.backblaze.com/apidocs/b2-upload-part)
  /**
   * One attempt of b2_upload_file to `target`: emits `sent`, `uploadProgress`, `responseHeader`,
   * `response`. Not retried: the upload pipeline retries with a fresh URL.
   */
  uploadFile(target: B2UploadTarget, headers: UploadFileHeaders, body: B2UploadBody, attempt: number): Observable<B2Event<B2FileWire, unknown>>;
  /** One attempt of b2_upload_part, as `uploadFile`. `extra`: SSE-C key headers. */
  uploadPart(
    target: B2UploadTarget,
    part: { partNumber: number; contentSha1: string; extra?: Record<string, string> },
    body: B2UploadBody,
    attempt: number,
  ): Observable<B2Event<B2PartWire, unknown>>;
  /**
   * b2_download_file_by_id or _by_name (https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api):
   * emits `sent` per attempt, then `response` once its headers arrived, with the body unread (a
   * response stream, for `platform.responseChunks`). Retried by B2's rules until the headers
   * arrive; the body is the pipeline's to read, and to resume.
   */
  downloadFile(req: B2DownloadRequest): Observable<B2Event<unknown, unknown>>;
}
