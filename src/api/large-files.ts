/** Large-file calls (https://www.backblaze.com/docs/cloud-storage-large-files): one typed function each. */
import type { Observable } from 'rxjs';
import { jsonCall, type B2ApiTarget } from './call';
import type { B2ProtectionWire } from './protection-wire';
import type {
  B2CancelLargeFileWire,
  B2FileRetentionValue,
  B2FileWire,
  B2ListPartsWire,
  B2ListUnfinishedWire,
  B2PartWire,
  B2ServerSideEncryptionRequest,
  B2UploadPartUrlWire,
} from './wire';

export interface StartLargeFileRequest {
  bucketId: string;
  fileName: string;
  contentType: string;
  fileInfo?: Record<string, string>;
  fileRetention?: B2FileRetentionValue;
  legalHold?: 'on' | 'off';
  serverSideEncryption?: B2ServerSideEncryptionRequest;
}

/**
 * The b2_start_large_file request of a new large file (an upload's, or a copy's in parts): its
 * name, content type and file info, with its protection as the wire takes it.
 */
export function startLargeFileRequest(
  file: { bucketId: string; fileName: string; contentType: string; fileInfo: Record<string, string> },
  protection: B2ProtectionWire,
): StartLargeFileRequest {
  return { ...file, serverSideEncryption: protection.serverSideEncryption, fileRetention: protection.fileRetention, legalHold: protection.legalHold };
}

export const startLargeFile = (t: B2ApiTarget, req: StartLargeFileRequest): Observable<B2FileWire> => jsonCall(t, 'b2_start_large_file', req);

export const getUploadPartUrl = (t: B2ApiTarget, req: { fileId: string }): Observable<B2UploadPartUrlWire> => jsonCall(t, 'b2_get_upload_part_url', req);

export const listParts = (t: B2ApiTarget, req: { fileId: string; startPartNumber?: number; maxPartCount?: number }): Observable<B2ListPartsWire> =>
  jsonCall(t, 'b2_list_parts', req);

export const finishLargeFile = (t: B2ApiTarget, req: { fileId: string; partSha1Array: string[] }): Observable<B2FileWire> => jsonCall(t, 'b2_finish_large_file', req);

export const cancelLargeFile = (t: B2ApiTarget, req: { fileId: string }): Observable<B2CancelLargeFileWire> => jsonCall(t, 'b2_cancel_large_file', req);

export const listUnfinishedLargeFiles = (
  t: B2ApiTarget,
  req: { bucketId: string; namePrefix?: string; startFileId?: string; maxFileCount?: number },
): Observable<B2ListUnfinishedWire> => jsonCall(t, 'b2_list_unfinished_large_files', req);

export interface CopyPartRequest {
  sourceFileId: string;
  largeFileId: string;
  partNumber: number;
  range?: string;
  sourceServerSideEncryption?: B2ServerSideEncryptionRequest;
  destinationServerSideEncryption?: B2ServerSideEncryptionRequest;
}

export const copyPart = (t: B2ApiTarget, req: CopyPartRequest): Observable<B2PartWire> => jsonCall(t, 'b2_copy_part', req);
