/** File-version calls (https://www.backblaze.com/docs/cloud-storage-files): one typed function each. */
import type { Observable } from 'rxjs';
import { jsonCall, type B2ApiTarget } from './call';
import type {
  B2DeleteFileVersionWire,
  B2DownloadAuthorizationWire,
  B2FileRetentionValue,
  B2FileWire,
  B2ListFileNamesWire,
  B2ListFileVersionsWire,
  B2ServerSideEncryptionRequest,
  B2UploadUrlWire,
} from './wire';

export interface ListFileNamesRequest {
  bucketId: string;
  startFileName?: string;
  maxFileCount?: number;
  prefix?: string;
  delimiter?: string;
}

export const listFileNames = (t: B2ApiTarget, req: ListFileNamesRequest): Observable<B2ListFileNamesWire> => jsonCall(t, 'b2_list_file_names', req);

export interface ListFileVersionsRequest extends ListFileNamesRequest {
  startFileId?: string;
}

export const listFileVersions = (t: B2ApiTarget, req: ListFileVersionsRequest): Observable<B2ListFileVersionsWire> => jsonCall(t, 'b2_list_file_versions', req);

export const getFileInfo = (t: B2ApiTarget, req: { fileId: string }): Observable<B2FileWire> => jsonCall(t, 'b2_get_file_info', req);

export const hideFile = (t: B2ApiTarget, req: { bucketId: string; fileName: string }): Observable<B2FileWire> => jsonCall(t, 'b2_hide_file', req);

export const deleteFileVersion = (t: B2ApiTarget, req: { fileName: string; fileId: string; bypassGovernance?: boolean }): Observable<B2DeleteFileVersionWire> =>
  jsonCall(t, 'b2_delete_file_version', req);

export interface CopyFileRequest {
  sourceFileId: string;
  fileName: string;
  destinationBucketId?: string;
  range?: string;
  metadataDirective?: 'COPY' | 'REPLACE';
  contentType?: string;
  fileInfo?: Record<string, string>;
  fileRetention?: B2FileRetentionValue;
  legalHold?: 'on' | 'off';
  sourceServerSideEncryption?: B2ServerSideEncryptionRequest;
  destinationServerSideEncryption?: B2ServerSideEncryptionRequest;
}

export const copyFile = (t: B2ApiTarget, req: CopyFileRequest): Observable<B2FileWire> => jsonCall(t, 'b2_copy_file', req);

export const getUploadUrl = (t: B2ApiTarget, req: { bucketId: string }): Observable<B2UploadUrlWire> => jsonCall(t, 'b2_get_upload_url', req);

export interface GetDownloadAuthorizationRequest {
  bucketId: string;
  fileNamePrefix: string;
  validDurationInSeconds: number;
  b2ContentDisposition?: string;
  b2ContentLanguage?: string;
  b2Expires?: string;
  b2CacheControl?: string;
  b2ContentEncoding?: string;
  b2ContentType?: string;
}

export const getDownloadAuthorization = (t: B2ApiTarget, req: GetDownloadAuthorizationRequest): Observable<B2DownloadAuthorizationWire> =>
  jsonCall(t, 'b2_get_download_authorization', req);

export const updateFileRetention = (
  t: B2ApiTarget,
  req: { fileName: string; fileId: string; fileRetention: B2FileRetentionValue; bypassGovernance?: boolean },
): Observable<{ fileId: string; fileName: string; fileRetention: B2FileRetentionValue }> => jsonCall(t, 'b2_update_file_retention', req);

export const updateFileLegalHold = (
  t: B2ApiTarget,
  req: { fileName: string; fileId: string; legalHold: 'on' | 'off' },
): Observable<{ fileId: string; fileName: string; legalHold: 'on' | 'off' }> => jsonCall(t, 'b2_update_file_legal_hold', req);
