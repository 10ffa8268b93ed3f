/**
 * The emulator's one error factory: every refusal is a `B2Failure` carrying the exact HTTP status,
 * B2 code and message that the server sends as `{status, code, message}` (https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes).
 */
export class B2Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'B2Failure';
  }

  toBody(): { status: number; code: string; message: string } {
    return { status: this.status, code: this.code, message: this.message };
  }
}

export const fail = {
  badRequest: (message: string) => new B2Failure(400, 'bad_request', message),
  badJson: (message: string) => new B2Failure(400, 'bad_json', message),
  badBucketId: (bucketId: string) => new B2Failure(400, 'bad_bucket_id', `Bucket ${bucketId} does not exist`),
  invalidBucketId: (bucketId: string) => new B2Failure(400, 'invalid_bucket_id', `Invalid bucketId: ${bucketId}`),
  invalidFileId: (fileId: string) => new B2Failure(400, 'invalid_file_id', `Invalid startFileId: ${fileId}`),
  badFileId: (fileId: string) => new B2Failure(400, 'bad_request', `Invalid fileId: ${fileId}`),
  outOfRange: (message: string) => new B2Failure(400, 'out_of_range', message),
  duplicateBucketName: () => new B2Failure(400, 'duplicate_bucket_name', 'Bucket name is already in use.'),
  tooManyBuckets: () => new B2Failure(400, 'too_many_buckets', 'Account already has the maximum number of buckets (100)'),
  bucketNotEmpty: () => new B2Failure(400, 'cannot_delete_non_empty_bucket', 'Cannot delete non-empty bucket'),
  fileNotPresent: (name: string, fileId: string) => new B2Failure(400, 'file_not_present', `File not present: ${name} ${fileId}`),
  noSuchFile: (name: string) => new B2Failure(400, 'no_such_file', `File not present: ${name}`),
  alreadyHidden: (name: string) => new B2Failure(400, 'already_hidden', `File already hidden: ${name}`),
  missingPart: (message: string) => new B2Failure(400, 'missing_part', message),
  partSha1Mismatch: (partNumber: number) => new B2Failure(400, 'part_sha1_mismatch', `Part number ${partNumber} has wrong SHA1`),
  authTokenLimit: (token: string) => new B2Failure(400, 'auth_token_limit', `more than one upload using auth token ${token}`),
  sourceTooLarge: (size: number) => new B2Failure(400, 'source_too_large', `Copy source too big: ${size}`),
  bucketMissingFileLock: () => new B2Failure(400, 'bucket_missing_file_lock', 'The bucket is not file lock enabled'),
  retainUntilInPast: () => new B2Failure(400, 'retain_until_timestamp_must_be_in_future', 'Retain until timestamp must be in the future'),
  fileLockConflict: () => new B2Failure(400, 'file_lock_conflict', 'fileLockEnabled value of false is not allowed when bucket is already file lock enabled'),
  unauthorized: (message: string) => new B2Failure(401, 'unauthorized', message),
  badAuthToken: (message = 'Invalid authorization token') => new B2Failure(401, 'bad_auth_token', message),
  expiredAuthToken: () => new B2Failure(401, 'expired_auth_token', 'Authorization token has expired'),
  missingAuthToken: () => new B2Failure(401, 'missing_auth_token', 'No Authorization header'),
  unsupported: (message: string) => new B2Failure(401, 'unsupported', message),
  // Unconfirmed in live traffic: b2sdk's simulator raises its 403 `access_denied` class for these.
  accessDenied: (message = 'Access Denied') => new B2Failure(403, 'access_denied', message),
  storageCapExceeded: () => new B2Failure(403, 'storage_cap_exceeded', 'Cannot upload files, storage cap exceeded.'),
  /**
   * The data directory's disk is full (ENOSPC/EDQUOT). B2 documents no such error; the nearest it
   * does is 403 `storage_cap_exceeded` ("Usage cap exceeded", https://www.backblaze.com/apidocs/b2-upload-file),
   * which clients treat as final: retrying cannot free disk space, whereas a 5xx would have them
   * retry a hopeless upload with backoff for minutes. Reads and deletes go on working.
   */
  outOfDiskSpace: (code: string) =>
    new B2Failure(403, 'storage_cap_exceeded', `The emulator's data directory is out of disk space (${code}): nothing was stored; free some space, then retry.`),
  notFound: (message: string) => new B2Failure(404, 'not_found', message),
  methodNotAllowed: (method: string) => new B2Failure(405, 'method_not_allowed', `Method not allowed: ${method}`),
  requestTimeout: () => new B2Failure(408, 'request_timeout', 'Request timed out'),
  conflict: () => new B2Failure(409, 'conflict', 'simultaneous updates to bucket'),
  rangeNotSatisfiable: (size: number) =>
    new B2Failure(416, 'range_not_satisfiable', `The range is not satisfiable for a file of ${size} bytes`, {
      'Content-Range': `bytes */${size}`,
    }),
  tooManyRequests: (retryAfterSeconds?: number) => new B2Failure(429, 'too_many_requests', 'Too many requests', retryAfterHeader(retryAfterSeconds)),
  internalError: (message = 'Internal server error') => new B2Failure(500, 'internal_error', message),
  serviceUnavailable: (retryAfterSeconds?: number) => new B2Failure(503, 'service_unavailable', 'Service temporarily unavailable', retryAfterHeader(retryAfterSeconds)),
};

function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'Retry-After': String(seconds) };
}
