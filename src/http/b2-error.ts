import { NotSupportedError } from '../platform/platform';

/**
 * B2's error codes (https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes
 * and each call's page). Codes B2 adds later still type-check.
 */
export type B2ServerErrorCode =
  | 'access_denied'
  | 'already_hidden'
  | 'auth_token_limit'
  | 'bad_auth_token'
  | 'bad_bucket_id'
  | 'bad_json'
  | 'bad_request'
  | 'bucket_missing_file_lock'
  | 'cannot_delete_non_empty_bucket'
  | 'cap_exceeded'
  | 'conflict'
  | 'download_cap_exceeded'
  | 'duplicate_bucket_name'
  | 'email_not_verified'
  | 'expired_auth_token'
  | 'file_lock_conflict'
  | 'file_not_present'
  | 'internal_error'
  | 'invalid_bucket_id'
  | 'invalid_file_id'
  | 'method_not_allowed'
  | 'missing_auth_token'
  | 'missing_part'
  | 'no_payment_history'
  | 'no_such_file'
  | 'not_found'
  | 'out_of_range'
  | 'range_not_satisfiable'
  | 'request_timeout'
  | 'restricted_bucket_conflict'
  | 'retain_until_timestamp_must_be_in_future'
  | 'service_unavailable'
  | 'source_replication_conflict'
  | 'source_too_large'
  | 'storage_cap_exceeded'
  | 'too_many_buckets'
  | 'too_many_requests'
  | 'transaction_cap_exceeded'
  | 'unauthorized'
  | 'unsupported';

/** rxb2's own codes, for failures that no B2 answer carries (see `B2Error.code`). */
export type B2ClientErrorCode =
  | 'invalid_argument'
  | 'network_error'
  | 'connect_timeout'
  | 'idle_timeout'
  | 'aborted'
  | 'bad_response'
  | 'checksum_mismatch'
  | 'truncated'
  | 'file_changed'
  | 'source_changed'
  | 'stream_not_replayable'
  | 'local_io_error'
  | 'sync_failed';

/** Any `B2Error.code`: B2's, rxb2's, or one B2 adds later. */
export type B2ErrorCode = B2ServerErrorCode | B2ClientErrorCode | (string & {});

/**
 * The one error type rxb2 raises. Carries B2's `status`, `code` and `message`, the server's
 * `Retry-After`, and predicates for what a caller (or the retry operator) should do next.
 * It never carries a key, a token, or the raw HTTP library error: those stay out of messages,
 * `toString()`, `JSON.stringify` and stacks.
 */
export class B2Error extends Error {
  /** HTTP status from B2; 0 for network failures and for input rejected before any request. */
  readonly status: number;
  /**
   * B2's error code (`bad_request`, `expired_auth_token`, …), or rxb2's own: `network_error`,
   * `connect_timeout` (no connection within `timeouts.connectMs`), `idle_timeout` (connected, then
   * no byte either way for `timeouts.idleMs`: a stalled connection), `invalid_argument`,
   * `checksum_mismatch`, `aborted`, `local_io_error` (a local file could not be read or written:
   * see `osCode` and `path`), `source_changed` (a local file changed while it was uploaded),
   * `file_changed` (the B2 file changed while it was downloaded), `truncated`, `bad_response`,
   * `stream_not_replayable`, `sync_failed`. The type lists them all and still accepts codes B2 adds.
   */
  readonly code: B2ErrorCode;
  /** Seconds the server asked to wait (`Retry-After`), if it said. */
  readonly retryAfter: number | undefined;
  /** For `invalid_argument`: the field that is wrong. */
  readonly field: string | undefined;
  /** The B2 call that failed, e.g. `b2_upload_file`. */
  readonly operation: string | undefined;
  /**
   * The operating system's code: for `local_io_error` (`ENOSPC`, `ENOENT`, `EACCES`, `ENOTDIR`, …),
   * and for network failures when one is known (`ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, …).
   */
  readonly osCode: string | undefined;
  /** For `local_io_error`: the path the caller gave (never a temporary name rxb2 wrote under). */
  readonly path: string | undefined;

  constructor(init: { status: number; code: B2ErrorCode; message: string; retryAfter?: number; field?: string; operation?: string; osCode?: string; path?: string }) {
    super(init.message);
    this.name = 'B2Error';
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
    this.field = init.field;
    this.operation = init.operation;
    this.osCode = init.osCode;
    this.path = init.path;
  }

  /**
   * Worth trying again after a pause: 408, 429, 5xx, network errors and timeouts
   * (https://www.backblaze.com/docs/cloud-storage-integration-checklist).
   */
  get isRetryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500 || isNetworkCode(this.code);
  }

  /**
   * No connection to the server could be made (refused, unknown host, no route, `connect_timeout`):
   * the request never reached it. Before a client's first authorization this fails fast.
   */
  get isUnreachable(): boolean {
    return this.code === 'connect_timeout' || (this.code === 'network_error' && this.osCode !== undefined && UNREACHABLE.has(this.osCode));
  }

  /** The account token is no longer good: authorize again, then retry. */
  get isExpiredAuth(): boolean {
    return this.status === 401 && (this.code === 'expired_auth_token' || this.code === 'bad_auth_token');
  }

  /**
   * After this failure an upload must get a fresh upload URL: any 401, 408, 5xx, network errors and timeouts,
   * and a token already in use (`auth_token_limit`). 429 waits and keeps the URL.
   */
  get needsNewUploadUrl(): boolean {
    return (this.status === 401 && this.code !== 'unauthorized') || this.status === 408 || this.status >= 500 || isNetworkCode(this.code) || this.code === 'auth_token_limit';
  }

  override toString(): string {
    return `B2Error [${this.status} ${this.code}]${this.operation ? ` ${this.operation}` : ''}: ${this.message}`;
  }

  /** The fields above as a plain object (`JSON.stringify` uses it): never a key, a token or the HTTP library's error. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      status: this.status,
      code: this.code,
      message: this.message,
      retryAfter: this.retryAfter,
      field: this.field,
      operation: this.operation,
      osCode: this.osCode,
      path: this.path,
    };
  }
}

/** rxb2's codes for failures below HTTP: all retryable, all take a fresh upload URL. */
function isNetworkCode(code: string): boolean {
  return code === 'network_error' || code === 'connect_timeout' || code === 'idle_timeout';
}

/** System codes of a connection that could not be made (DNS: ENOTFOUND, EAI_AGAIN; TCP: refused, no route). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A connection that stalled: no byte either way for `idleMs` while the server owed one
 * (`idle_timeout`, retryable). Raised by the transport, and by a streamed download's body.
 */
export function idleTimeout(idleMs: number, operation?: string, origin?: string): B2Error {
  const message = `the connection${origin ? ` to ${origin}` : ''} stalled: no data either way for ${idleMs} ms`;
  return new B2Error({ status: 0, code: 'idle_timeout', message, operation });
}

/** Input rejected before any request: names the field and what is wrong with it. */
export function invalidArgument(field: string, problem: string): B2Error {
  return new B2Error({ status: 0, code: 'invalid_argument', message: `${field}: ${problem}`, field });
}

const OS_PROBLEMS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such folder or file',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * A local file operation failed (writing a download, a checkpoint, an output file): a B2Error
 * `local_io_error` with the OS code kept (`osCode`) and the caller's `path` named, whatever
 * temporary name the operation used. A B2Error passes through unchanged; a platform without files
 * (`NotSupportedError`, a browser) gives `invalid_argument` for `path`.
 *
 * @param doing what was being done, e.g. `cannot write` (the message reads `cannot write PATH: …`)
 */
export function localIoError(err: unknown, path: string, doing: string): B2Error {
  if (err instanceof B2Error) return err;
  // No file system at all (a browser): the caller asked for a file where only Node has them.
  if (err instanceof NotSupportedError) return invalidArgument('path', err.message);
  const osCode = isOsError(err) ? err.code : 'EIO';
  const problem = OS_PROBLEMS[osCode] ?? 'the operating system refused';
  return new B2Error({ status: 0, code: 'local_io_error', message: `${doing} ${path}: ${problem} (${osCode})`, osCode, path });
}

/** An error the operating system raised for a file operation (Node's `code` `E…` and `syscall`). */
export function isOsError(err: unknown): err is Error & { code: string; syscall: string } {
  const e = err as { code?: unknown; syscall?: unknown } | null;
  return typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/** Whether a value is a `B2Error` (for `catchError` and type narrowing). */
export function isB2Error(value: unknown): value is B2Error {
  return value instanceof B2Error;
}
