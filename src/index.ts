/**
 * rxb2: a reactive client for Backblaze B2's native API. Every operation is a cold Observable.
 * @module rxb2
 */
export { B2, PRODUCTION_REALM, type B2Options, type CreateBucketOptions, type CreateKeyOptions } from './client';
export { Bucket, type ListFilesOptions, type UploadFileOptions, type BucketUpdate, type B2UploadEvent } from './resources/bucket';
export type { B2LargeFileStartedEvent, B2PartUploadedEvent, B2LargeUploadEvent, LargeUploadCheckpoint } from './transfer/large-file-pipeline';
export type { LargeUploadOptions } from './transfer/plan-large-upload';
export { B2File } from './resources/b2-file';
export { uploadWithAuthorization, type AuthorizedUploadOptions, type B2AuthorizedUploadEvent } from './resources/authorized-upload';
export type { B2UploadAuthorizer, B2LargeUploadStart } from './transfer/authorized-upload';
export type { B2Encryption, B2Retention, B2FileProtection } from './resources/protection';
export { B2Error, isB2Error, type B2ErrorCode, type B2ServerErrorCode, type B2ClientErrorCode } from './http/b2-error';
export type { B2Event, B2SentEvent, B2UploadProgressEvent, B2ResponseHeaderEvent, B2DownloadProgressEvent, B2ResponseEvent, B2ProgressEvent } from './http/events';
export { isResponse, isProgress } from './http/events';
export type { B2Transport, B2HttpRequest, B2UploadBody } from './http/transport';
export { AxiosTransport, DEFAULT_TIMEOUTS, type AxiosTransportOptions, type B2RequestLogEntry, type B2Timeouts } from './http/axios-transport';
export type { B2Authorization } from './api/account';
export type { B2UploadContents, B2UploadFile, B2UploadStream } from './transfer/upload-source';
export type { B2DownloadEvent, B2DownloadResult, B2ByteStream } from './transfer/download';
export type { DownloadOptions } from './resources/b2-file';
export type { ParallelDownloadOptions } from './transfer/parallel-download';
export { retryB2, type RetryB2Options, type B2RetryEvent } from './operators/retry-b2';
export { paginate } from './operators/paginate';
export { Listing } from './operators/listing';
export { toResponseBody } from './operators/to-response-body';
export { throttleProgress } from './operators/throttle-progress';
export { intoBuffer, intoFile } from './transfer/download-sinks';
export type * from './api/wire';
export { syncUp, syncDown, type B2SyncOptions } from './sync/sync';
export type { SymlinkPolicy } from './sync/local-folder';
export type { B2SyncEvent, B2SyncProgress } from './sync/execute';
export type { SyncAction, SyncActionKind, SyncCompare, SyncDeleteMode, LocalEntry, RemoteVersion } from './sync/plan';
export { B2SyncError, type B2SyncFailure } from './sync/sync-error';
