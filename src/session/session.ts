/**
 * The session: one cached authorization shared by every call (the one deliberate share in rxb2),
 * fetched lazily on first use and fetched again, once for all concurrent callers, when B2 says the
 * token expired.
 */
import { Observable, defer, of, shareReplay, switchMap, take, tap } from 'rxjs';
import type { B2Authorization } from '../api/account';
import type { B2ApiTarget } from '../api/call';
import type { B2Error } from '../http/b2-error';
import type { B2Transport } from '../http/transport';
import { retryB2, type RetryB2Options } from '../operators/retry-b2';

interface CachedAuthorization {
  authorization$: Observable<B2Authorization>;
  /** Known once the authorization arrived; a pending one is never invalidated. */
  token?: string;
  /** The authorization, once it arrived. */
  value?: B2Authorization;
}

/**
 * Attempts of b2_authorize_account when the realm cannot be reached (refused, unknown host, no
 * route, connect timeout) and this session never authorized: a wrong realm or a machine offline
 * fails in seconds instead of after the whole backoff.
 */
const FAIL_FAST_ATTEMPTS = 3;

export class B2Session {
  private cached: CachedAuthorization | null = null;
  /** Whether an authorization ever arrived: from then on an unreachable realm is an outage, retried in full. */
  private authorizedOnce = false;

  /** The retry settings every call of this session uses, the fail-fast rule included. */
  readonly retryOptions: RetryB2Options;

  constructor(
    readonly transport: B2Transport,
    private readonly authorize: () => Observable<B2Authorization>,
    retryOptions: RetryB2Options,
  ) {
    this.retryOptions = { ...retryOptions, maxAttemptsFor: (error) => this.failFastBudget(error) ?? retryOptions.maxAttemptsFor?.(error) };
  }

  /** The current authorization: cold; the first subscriber starts it, concurrent ones share it. */
  authorization(): Observable<B2Authorization> {
    return defer(() => {
      if (!this.cached) {
        const entry: CachedAuthorization = { authorization$: null as unknown as Observable<B2Authorization> };
        entry.authorization$ = this.authorize().pipe(
          tap({
            next: (auth) => {
              entry.token = auth.authorizationToken;
              entry.value = auth;
              this.authorizedOnce = true;
            },
            // A failed authorization is not cached: the next call tries again.
            error: () => {
              if (this.cached === entry) this.cached = null;
            },
          }),
          shareReplay({ bufferSize: 1, refCount: false }),
        );
        this.cached = entry;
      }
      return this.cached.authorization$.pipe(take(1));
    });
  }

  /**
   * The authorization in hand, if one has arrived and was not dropped since; `undefined` while
   * none has (then use `authorized()`). Lets a hot path skip the Observable plumbing.
   */
  current(): B2Authorization | undefined {
    return this.cached?.value;
  }

  /**
   * The current authorization, authorizing first if needed, with authorize's transient failures
   * (503, network) retried like any call's. One in hand is emitted as it is, on subscribe: every
   * upload asks for it first, and a call's retry plumbing doubles a small upload's garbage.
   */
  authorized(): Observable<B2Authorization> {
    return new Observable<B2Authorization>((subscriber) => {
      const value = this.cached?.value;
      if (!value) return this.call((_target, auth) => of(auth)).subscribe(subscriber);
      subscriber.next(value);
      subscriber.complete();
      return undefined;
    });
  }

  /** Drops the authorization that carried `token`, so the next call authorizes again. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
  }

  /** Forgets the authorization whatever its token (the next call authorizes again). */
  reset(): void {
    this.cached = null;
  }

  /**
   * Runs one API call with the current authorization and B2's retry rules: an expired token
   * re-authorizes once (shared with concurrent callers) and retries. Until the first
   * authorization arrives, a realm that cannot be reached gets `FAIL_FAST_ATTEMPTS` attempts.
   */
  call<T>(op: (target: B2ApiTarget, auth: B2Authorization) => Observable<T>, retry: RetryB2Options = {}): Observable<T> {
    return defer(() => {
      let usedToken: string | undefined;
      return defer(() => {
        usedToken = undefined; // per attempt: set only once this attempt has a token
        return this.authorization();
      }).pipe(
        switchMap((auth) => {
          usedToken = auth.authorizationToken;
          return op({ transport: this.transport, apiUrl: auth.apiUrl, authorizationToken: auth.authorizationToken }, auth);
        }),
        retryB2<T>({
          ...this.retryOptions,
          ...retry,
          // A call's own attempt rule never lifts the fail-fast rule.
          ...(retry.maxAttemptsFor ? { maxAttemptsFor: (error: B2Error) => this.failFastBudget(error) ?? retry.maxAttemptsFor!(error) } : {}),
          onExpiredAuth: (error) => {
            // A 401 from b2_authorize_account itself: authorizing again cannot help (https://www.backblaze.com/docs/cloud-storage-integration-checklist).
            if (usedToken === undefined) throw error;
            this.invalidate(usedToken);
          },
        }),
      );
    });
  }

  /** The fail-fast rule: an unreachable realm before the first authorization gets a short budget. */
  private failFastBudget(error: B2Error): number | undefined {
    return !this.authorizedOnce && error.operation === 'b2_authorize_account' && error.isUnreachable ? FAIL_FAST_ATTEMPTS : undefined;
  }
}
