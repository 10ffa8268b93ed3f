/**
 * What resources share: the session (for the client's own calls), the raw-API seam over it, and
 * the one dependency bundle every transfer pipeline is handed.
 */
import { asyncScheduler } from 'rxjs';
import type { B2Api } from '../api/b2-api';
import type { RetryB2Options } from '../operators/retry-b2';
import type { B2Session } from '../session/session';
import { sessionApi } from '../session/session-api';
import { UploadUrlPool } from '../session/upload-url-pool';
import type { TransferDeps } from '../transfer/transfer-deps';

export class ClientContext {
  /** The B2 calls, authorized and retried by the session. */
  readonly api: B2Api;
  /** Handed to every upload, copy and download pipeline. */
  readonly transfer: TransferDeps;

  constructor(
    readonly session: B2Session,
    retry: RetryB2Options,
    progressIntervalMs: number,
  ) {
    this.api = sessionApi(session);
    this.transfer = { api: this.api, uploadUrls: new UploadUrlPool(), retry, progressIntervalMs, scheduler: retry.scheduler ?? asyncScheduler };
  }
}
