/**
 * The one error type rxb2 raises. Carries B2's `status`, `code` and `message`, the server's
 * `Retry-After`, and predicates for what a caller (or the retry operator) should do next.
 * It never carries a key, a token, or the raw HTTP library error: those stay out of messages,
 * `toString()`, `JSON.stringify` and stacks.
 */
export class B2Error extends Error {
  /** HTTP status from B2; 0 for network failures and for input rejected before any request. */
  readonly status: number;
  /** B2's error code (`bad_request`, `expired_auth_token`, …), or rxb2's own: `network_error`, `invalid_argument`, `checksum_mismatch`, `aborted`. */
  readonly code: string;
  /** Seconds the server asked to wait (`Retry-After`), if it said. */
  readonly retryAfter: number | undefined;
  /** For `invalid_argument`: the field that is wrong. */
  readonly field: string | undefined;
  /** The B2 call that failed, e.g. `b2_upload_file`. */
  readonly operation: string | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    retryAfter?: number;
    field?: string;
    operation?: string;
  }) {
    super(init.message);
    this.name = 'B2Error';
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
    this.field = init.field;
    this.operation = init.operation;
  }

  /** Worth trying again after a pause: 408, 429, 5xx and network errors (reference §11). */
  get isRetryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500 || this.code === 'network_error';
  }

  /** The account token is no longer good: authorize again, then retry. */
  get isExpiredAuth(): boolean {
    return this.status === 401 && (this.code === 'expired_auth_token' || this.code === 'bad_auth_token');
  }

  /**
   * After this failure an upload must get a fresh upload URL: any 401, 408, 5xx, network errors,
   * and a token already in use (`auth_token_limit`). 429 waits and keeps the URL.
   */
  get needsNewUploadUrl(): boolean {
    return (
      (this.status === 401 && this.code !== 'unauthorized') ||
      this.status === 408 ||
      this.status >= 500 ||
      this.code === 'network_error' ||
      this.code === 'auth_token_limit'
    );
  }

  override toString(): string {
    return `B2Error [${this.status} ${this.code}]${this.operation ? ` ${this.operation}` : ''}: ${this.message}`;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, status: this.status, code: this.code, message: this.message, retryAfter: this.retryAfter, field: this.field, operation: this.operation };
  }
}

/** Input rejected before any request: names the field and what is wrong with it. */
export function invalidArgument(field: string, problem: string): B2Error {
  return new B2Error({ status: 0, code: 'invalid_argument', message: `${field}: ${problem}`, field });
}

export function isB2Error(value: unknown): value is B2Error {
  return value instanceof B2Error;
}
