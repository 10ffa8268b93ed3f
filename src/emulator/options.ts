/** Options of `startEmulator` and the fault plan types. */

export interface EmulatorOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Directory for persistent state; absent = everything in memory. */
  dataDir?: string;
  /** Default 5,000,000 as in production. Tests use a few KB. */
  absoluteMinimumPartSize?: number;
  /** Default 100,000,000 as in production. */
  recommendedPartSize?: number;
  /** Lifetime of account and upload tokens in seconds. Default 86,400 (24 h). */
  tokenLifetimeSeconds?: number;
  /** Faults to inject from the start (more can be added through `emulator.faults`). */
  faults?: FaultRule[];
  /** Seed for probabilistic faults and `X-Bz-Test-Mode: fail_some_uploads`. */
  faultSeed?: number;
  /** Master key id/secret to use (default: generated, or the stored ones with a data directory). */
  accountId?: string;
  /** The master application key (its secret) to use with `accountId` (default: generated, or the stored one). */
  masterKey?: string;
  /**
   * Bodies up to this many bytes get a `contentMd5` (default 100,000,000, the recommended part
   * size). Larger simple uploads report `contentMd5: null`, a deliberate deviation: MD5 costs 2.5×
   * SHA-1, and clients verify SHA-1 only.
   */
  md5Limit?: number;
  /** Every Nth upload under `X-Bz-Test-Mode: fail_some_uploads` fails (default 3). */
  failSomeUploadsEvery?: number;
  /**
   * Serve the console page at `GET /`: buckets, files, uploads, the fault plan and a live request
   * log. Bound to a loopback address it signs in by itself; elsewhere it asks for the key. Default
   * false here (tests rarely want it); the emulator command turns it on unless `--no-console`.
   */
  console?: boolean;
}

/** What an injected fault does to a matching request. */
export type Fault =
  /** Answer with this status and B2 error code (503 service_unavailable, 429 too_many_requests, 500 internal_error, 408 request_timeout). */
  | {
      /** Answer with an error status. */
      kind: 'status';
      /** The status; the B2 error code follows from it. */
      status: 408 | 429 | 500 | 503;
      /** Sent as `Retry-After` when given. */
      retryAfterSeconds?: number;
    }
  /** Answer 401 expired_auth_token. */
  | {
      /** Answer 401 expired_auth_token. */
      kind: 'expiredToken';
    }
  /** Destroy the connection after reading this many request-body bytes (0 = before any). */
  | {
      /** Reset the connection while the request body arrives. */
      kind: 'resetRequest';
      /** Request-body bytes read before the reset. */
      afterBytes: number;
    }
  /** Destroy the connection after sending this many response-body bytes. */
  | {
      /** Reset the connection while the response body goes out. */
      kind: 'resetResponse';
      /** Response-body bytes sent before the reset. */
      afterBytes: number;
    }
  /** Hold the response back for this long before handling the request. */
  | {
      /** Delay the answer. */
      kind: 'delay';
      /** Milliseconds to wait before handling the request. */
      ms: number;
    }
  /**
   * Stall: the connection stays open and nothing more is sent, until the client gives up or the
   * emulator closes. Without `afterBytes` nothing at all is answered (the request body is still read);
   * with it the real answer's status line and headers go out, then that many body bytes (0 = headers only).
   */
  | {
      /** Stall the connection. */
      kind: 'stall';
      /** Response-body bytes sent before the stall; absent: nothing is answered at all. */
      afterBytes?: number;
    };

/** One rule of a fault plan: which calls it matches, what it does to them, how often. */
export interface FaultRule {
  /** B2 call name (`b2_upload_file`, `b2_download_file_by_name`, `b2_list_file_names`, …) or '*' for every call. */
  call: string;
  /** What the rule does to a matching request. */
  fault: Fault;
  /** How many matching requests this rule affects (default 1; Infinity for all). */
  times?: number;
  /** Matching requests to let through before the first fault (default 0). */
  skip?: number;
  /** Affect a matching request only with this probability (seeded, so runs repeat). Default 1. */
  probability?: number;
}
