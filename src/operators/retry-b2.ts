import { asyncScheduler, defer, retry, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { B2Error } from '../http/b2-error';

/** How `retryB2` retries: attempts, backoff, what is retried, and a hook per retry. */
export interface RetryB2Options {
  /** Tries in all, the first included (default 8). 1 switches retry off. */
  maxAttempts?: number;
  /** First backoff delay in ms (default 1000). */
  baseDelayMs?: number;
  /** Longest backoff delay in ms (default 64000). */
  maxDelayMs?: number;
  /** Fraction of each delay drawn at random, 0–1 (default 0.5: a delay lies in [d/2, d]). */
  jitter?: number;
  /** Source of randomness for the jitter (default Math.random). */
  random?: () => number;
  /** Scheduler for the waits (default asyncScheduler; marble tests pass the TestScheduler). */
  scheduler?: SchedulerLike;
  /**
   * Called on 401 `expired_auth_token`/`bad_auth_token`: invalidate the authorization so the
   * retried source authorizes again. Retried at once, and only once per subscription. If it
   * throws, the operation fails at once with what it threw.
   */
  onExpiredAuth?: (error: B2Error) => void;
  /** Extra failures to retry beyond B2's retryable ones (uploads: every `needsNewUploadUrl`). */
  alsoRetry?: (error: B2Error) => boolean;
  /**
   * Told of each retry before its wait starts (logging, a CLI's `-v`): which operation failed,
   * which attempt it was, how long the wait is, and the failure. Not called for the final failure
   * (that one reaches the subscriber). What it throws fails the operation at once.
   */
  onRetry?: (event: B2RetryEvent) => void;
  /**
   * A smaller budget for some failures: the most attempts in all (the first included) a failure
   * like this one may use, or `undefined` for `maxAttempts`. The client's fail-fast rule uses it:
   * a realm it cannot reach before its first authorization gets 3 attempts.
   */
  maxAttemptsFor?: (error: B2Error) => number | undefined;
}

/**
 * One retry about to happen, as `onRetry` (in `B2Options` or `RetryB2Options`) receives it.
 *
 * @example
 * new B2({ onRetry: (e) => console.error(`${e.operation}: attempt ${e.attempt} failed (${e.error.code}), retrying in ${e.delayMs} ms`) });
 */
export interface B2RetryEvent {
  /** The B2 call that failed (`b2_upload_part`, `b2_download_file_by_id`, …): the error's `operation`, or `unknown`. */
  operation: string;
  /** The attempt that failed, 1-based: 1 is the first try. */
  attempt: number;
  /** The wait before the next attempt, in ms: 0 for a retry right after re-authorization. */
  delayMs: number;
  /** The failure being retried. */
  error: B2Error;
}

/**
 * Retries a B2 operation by B2's rules (https://www.backblaze.com/docs/cloud-storage-integration-checklist): 408, 429, 5xx and network errors after
 * exponential backoff with jitter and a cap, `Retry-After` taking precedence; an expired token
 * once, right after re-authorization; never 400, 401 `unauthorized`, 403, 404, 409 or 416.
 *
 * Emits what the source emits. Each retry resubscribes to the source, so the source must be cold
 * and re-do its work (take a new upload URL, re-read the body). Errors with the last failure once
 * attempts run out, or at once for a failure that is not retryable. Unsubscribing cancels a
 * pending wait and the attempt in flight. `onRetry`, when given, hears of each retry (attempt,
 * operation, wait, error) before its wait.
 *
 * @example
 * listFileNames(target, req).pipe(retryB2({ maxAttempts: 5 }))
 */
export function retryB2<T>(options: RetryB2Options = {}): MonoTypeOperatorFunction<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 1000;
  const cap = options.maxDelayMs ?? 64_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const random = options.random ?? Math.random;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    defer(() => {
      let reauthorized = false;
      let backoffs = 0;
      return source.pipe(
        retry({
          count: Math.max(0, maxAttempts - 1),
          delay: (error: unknown, retryCount: number) => {
            if (!(error instanceof B2Error)) throw error;
            const wait = (delayMs: number) => {
              options.onRetry?.({ operation: error.operation ?? 'unknown', attempt: retryCount, delayMs, error });
              return timer(delayMs, scheduler);
            };
            if (error.isExpiredAuth && options.onExpiredAuth) {
              if (reauthorized) throw error;
              reauthorized = true;
              options.onExpiredAuth(error);
              return wait(0);
            }
            if (!error.isRetryable && !options.alsoRetry?.(error)) throw error;
            const budget = options.maxAttemptsFor?.(error);
            if (budget !== undefined && retryCount >= budget) throw error;
            if (error.retryAfter !== undefined) {
              // The server's wait wins and restarts the backoff at the base
              // (https://www.backblaze.com/docs/cloud-storage-integration-checklist).
              backoffs = 0;
              return wait(error.retryAfter * 1000);
            }
            const exponential = Math.min(cap, base * 2 ** backoffs++);
            return wait(Math.round(exponential * (1 - jitter * random())));
          },
        }),
      );
    });
}
