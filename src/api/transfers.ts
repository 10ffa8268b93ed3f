/** The raw-body calls: b2_upload_file, b2_upload_part, and the two downloads (https://www.backblaze.com/apidocs/b2-upload-file, https://www.backblaze.com/apidocs/b2-upload-part, https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api). */
import type { Observable } from 'rxjs';
import type { B2Event } from '../http/events';
import type { B2Transport, B2UploadBody } from '../http/transport';
import { API_VERSION } from './call';
import type { B2FileWire, B2PartWire } from './wire';
import { percentEncode } from './wire-encoding';

export interface UploadFileHeaders {
  fileName: string;
  contentType: string;
  /** 40 hex, or `hex_digits_at_end` when the body ends with its own SHA-1. */
  contentSha1: string;
  fileInfo?: Record<string, string>;
  /** Extra raw headers (SSE, retention, legal hold, test mode). */
  extra?: Record<string, string>;
}

export function uploadFile(
  transport: B2Transport,
  upload: { uploadUrl: string; authorizationToken: string },
  h: UploadFileHeaders,
  body: B2UploadBody,
  attempt: number,
): Observable<B2Event<B2FileWire, unknown>> {
  const headers: Record<string, string> = {
    Authorization: upload.authorizationToken,
    'X-Bz-File-Name': percentEncode(h.fileName),
    'Content-Type': h.contentType,
    'X-Bz-Content-Sha1': h.contentSha1,
    ...h.extra,
  };
  for (const [key, value] of Object.entries(h.fileInfo ?? {})) headers[`X-Bz-Info-${key}`] = percentEncode(value);
  return transport.request<B2FileWire>({ method: 'POST', url: upload.uploadUrl, operation: 'b2_upload_file', headers, body, attempt });
}

export function uploadPart(
  transport: B2Transport,
  upload: { uploadUrl: string; authorizationToken: string },
  partNumber: number,
  contentSha1: string,
  body: B2UploadBody,
  attempt: number,
  extra: Record<string, string> = {},
): Observable<B2Event<B2PartWire, unknown>> {
  return transport.request<B2PartWire>({
    method: 'POST',
    url: upload.uploadUrl,
    operation: 'b2_upload_part',
    headers: { Authorization: upload.authorizationToken, 'X-Bz-Part-Number': String(partNumber), 'X-Bz-Content-Sha1': contentSha1, ...extra },
    body,
    attempt,
  });
}

export interface DownloadTarget {
  transport: B2Transport;
  downloadUrl: string;
  authorizationToken: string | null;
}

/** Download by id or by name; emits the response with the body unread (`responseType: 'stream'`). */
export function downloadFile(
  t: DownloadTarget,
  by: { fileId: string } | { bucketName: string; fileName: string },
  headers: Record<string, string>,
  method: 'GET' | 'HEAD',
  attempt: number,
): Observable<B2Event<unknown, unknown>> {
  const url =
    'fileId' in by
      ? `${t.downloadUrl}/b2api/${API_VERSION}/b2_download_file_by_id?fileId=${encodeURIComponent(by.fileId)}`
      : downloadByNameUrl(t.downloadUrl, by.bucketName, by.fileName);
  return t.transport.request({
    method,
    url,
    operation: 'fileId' in by ? 'b2_download_file_by_id' : 'b2_download_file_by_name',
    headers: t.authorizationToken ? { ...headers, Authorization: t.authorizationToken } : headers,
    responseType: 'stream',
    attempt,
  });
}

export function downloadByNameUrl(downloadUrl: string, bucketName: string, fileName: string): string {
  return `${downloadUrl}/file/${encodeURIComponent(bucketName)}/${percentEncode(fileName)}`;
}
