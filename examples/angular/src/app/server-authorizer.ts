/**
 * The page's way to server.mjs, which holds the B2 key: every upload authorization comes from it
 * (an upload URL for a small file; start, part URLs, finish and cancel for a large one). The page
 * never sees a key or an account token.
 */
import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { B2FileWire, B2LargeUploadStart, B2UploadAuthorizer, B2UploadPartUrlWire, B2UploadUrlWire } from 'rxb2';

export interface ListedFile {
  fileName: string;
  contentLength: number;
  uploadTimestamp: number;
}

@Injectable({ providedIn: 'root' })
export class ServerAuthorizer implements B2UploadAuthorizer {
  private readonly http = inject(HttpClient);

  uploadUrl() {
    return this.http.post<B2UploadUrlWire>('/api/upload-url', {});
  }

  readonly largeFile = {
    start: (file: { fileName: string; contentType: string; contentLength: number }) => this.http.post<B2LargeUploadStart>('/api/large/start', file),
    partUrl: (fileId: string) => this.http.post<B2UploadPartUrlWire>('/api/large/part-url', { fileId }),
    finish: (fileId: string, partSha1Array: string[]) => this.http.post<B2FileWire>('/api/large/finish', { fileId, partSha1Array }),
    cancel: (fileId: string) => this.http.post<unknown>('/api/large/cancel', { fileId }),
  };

  config() {
    return this.http.get<{ largeFileThreshold: number; prefix: string }>('/api/config');
  }

  list() {
    return this.http.get<ListedFile[]>('/api/files');
  }

  /** A short-lived URL for one file (a download authorization for that name, not a key). */
  downloadUrl(fileName: string) {
    return this.http.post<{ url: string }>('/api/download-url', { fileName });
  }
}
