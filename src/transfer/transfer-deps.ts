/**
 * What every transfer pipeline is handed, the one same way: the B2 calls, the upload-URL pool,
 * the retry rules for the attempts a pipeline retries itself, and time.
 */
import type { SchedulerLike } from 'rxjs';
import type { B2Api } from '../api/b2-api';
import type { RetryB2Options } from '../operators/retry-b2';
import type { UploadUrlPool } from '../session/upload-url-pool';

export interface TransferDeps {
  /** The B2 calls, authorized and (where B2Api says so) retried. Marble specs pass a fake. */
  api: B2Api;
  /** Idle upload URLs, per bucket and per large file (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api). */
  uploadUrls: UploadUrlPool;
  /** B2's retry rules for what a pipeline retries itself: an upload body with a fresh URL, a download body by resuming. */
  retry: RetryB2Options;
  /** Progress events reach the subscriber at most this often (ms); 0: every one. */
  progressIntervalMs: number;
  /** Time for every wait, throttle and timestamp in a pipeline (marble specs pass the TestScheduler). */
  scheduler: SchedulerLike;
}
