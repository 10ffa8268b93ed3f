/**
 * A minimal declaration of the npm package `backblaze-b2` (1.7.x ships no types): only what
 * bench/peers/backblaze-b2-client.ts uses. Every call resolves to the axios response; `data` is
 * B2's JSON body (or, for downloads with `responseType: 'stream'`, the body stream).
 */
declare module 'backblaze-b2' {
  import type { AxiosRequestConfig, AxiosResponse } from 'axios';

  namespace B2 {
    interface Options {
      applicationKeyId?: string;
      accountId?: string;
      applicationKey: string;
      /** Defaults of the axios instance the library creates. */
      axios?: AxiosRequestConfig;
      /** axios-retry options (default `{ retries: 3 }`: network errors and 5xx on idempotent requests). */
      retry?: { retries?: number };
    }

    /** The per-call options every action takes, deep-merged into its axios request. */
    interface Common {
      /** Merged under the library's own request (only keys it does not set). */
      axios?: AxiosRequestConfig;
      /** Merged over the library's own request. */
      axiosOverride?: AxiosRequestConfig;
    }

    interface Authorization {
      accountId: string;
      authorizationToken: string;
      apiUrl: string;
      downloadUrl: string;
      recommendedPartSize: number;
      absoluteMinimumPartSize: number;
    }

    interface Bucket {
      bucketId: string;
      bucketName: string;
      bucketType: string;
    }

    interface UploadUrl {
      uploadUrl: string;
      authorizationToken: string;
    }

    interface FileVersion {
      fileId: string;
      fileName: string;
      contentLength: number;
      contentSha1: string | null;
      fileInfo: Record<string, string>;
    }

    interface PartInfo {
      fileId: string;
      partNumber: number;
      contentLength: number;
      contentSha1: string;
    }

    interface FileNames {
      files: FileVersion[];
      nextFileName: string | null;
    }

    type Body = Buffer | NodeJS.ReadableStream | string;
  }

  class B2 {
    constructor(options: B2.Options);
    authorize(args?: B2.Common): Promise<AxiosResponse<B2.Authorization>>;
    getBucket(args: { bucketName?: string; bucketId?: string } & B2.Common): Promise<AxiosResponse<{ buckets: B2.Bucket[] }>>;
    getUploadUrl(args: { bucketId: string } & B2.Common): Promise<AxiosResponse<B2.UploadUrl>>;
    uploadFile(
      args: {
        uploadUrl: string;
        uploadAuthToken: string;
        fileName: string;
        data: B2.Body;
        /** SHA-1 hex; the library computes sha1(data) when omitted. */
        hash?: string;
        mime?: string;
        info?: Record<string, string>;
        contentLength?: number;
      } & B2.Common,
    ): Promise<AxiosResponse<B2.FileVersion>>;
    startLargeFile(args: { bucketId: string; fileName: string; contentType?: string } & B2.Common): Promise<AxiosResponse<B2.FileVersion>>;
    getUploadPartUrl(args: { fileId: string } & B2.Common): Promise<AxiosResponse<B2.UploadUrl>>;
    uploadPart(
      args: {
        partNumber: number;
        uploadUrl: string;
        uploadAuthToken: string;
        data: B2.Body;
        hash?: string;
        contentLength?: number;
      } & B2.Common,
    ): Promise<AxiosResponse<B2.PartInfo>>;
    finishLargeFile(args: { fileId: string; partSha1Array: string[] } & B2.Common): Promise<AxiosResponse<B2.FileVersion>>;
    cancelLargeFile(args: { fileId: string } & B2.Common): Promise<AxiosResponse<unknown>>;
    listFileNames(args: { bucketId: string; startFileName?: string; maxFileCount?: number; prefix?: string; delimiter?: string } & B2.Common): Promise<AxiosResponse<B2.FileNames>>;
    downloadFileById<T = unknown>(args: { fileId: string; responseType?: AxiosRequestConfig['responseType'] } & B2.Common): Promise<AxiosResponse<T>>;
    downloadFileByName<T = unknown>(args: { bucketName: string; fileName: string; responseType?: AxiosRequestConfig['responseType'] } & B2.Common): Promise<AxiosResponse<T>>;
  }

  export = B2;
}
