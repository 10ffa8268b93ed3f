/** The rxb2 client: `new B2(...)`, its authorization, buckets and application keys. */
import { Observable, defer, map, mergeMap, switchMap, throwError } from 'rxjs';
import { authorizeAccount, type B2Authorization } from './api/account';
import type { B2Capability, B2CorsRule, B2CreatedKeyWire, B2KeyWire, B2LifecycleRule } from './api/wire';
import { AxiosTransport, type B2RequestLogEntry, type B2Timeouts } from './http/axios-transport';
import { B2Error, invalidArgument } from './http/b2-error';
import type { B2Transport } from './http/transport';
import { Listing } from './operators/listing';
import { paginate } from './operators/paginate';
import type { B2RetryEvent, RetryB2Options } from './operators/retry-b2';
import { Bucket, defaultSse } from './resources/bucket';
import { ClientContext } from './resources/context';
import { checkBucketName, checkOptions, checkPositiveInt } from './resources/validate';
import { B2Session } from './session/session';
import { VERSION } from './version';

export const PRODUCTION_REALM = 'https://api.backblazeb2.com';

export interface B2Options {
  /** Default: env `B2_APPLICATION_KEY_ID` (or aiob2's `B2_KEY_ID`). */
  applicationKeyId?: string;
  /** Default: env `B2_APPLICATION_KEY`. */
  applicationKey?: string;
  /**
   * Where to authorize: `production` or any URL, such as an emulator's. Default: env `B2_REALM`,
   * else production.
   */
  realm?: string;
  /** Retry settings, or `false` to switch retrying off. */
  retry?: RetryB2Options | false;
  /**
   * Told of every retry of every call before its wait (a log line, a CLI's `-v`): the operation,
   * the attempt that failed (1-based), the wait in ms and the `B2Error`. The final failure is not
   * a retry: it reaches the subscriber instead. Overrides `retry.onRetry`.
   */
  onRetry?: (event: B2RetryEvent) => void;
  /** Least time between two progress events of one transfer (default 100 ms). */
  progressIntervalMs?: number;
  /** The HTTP seam (default: axios with keep-alive). */
  transport?: B2Transport;
  /**
   * Connect and idle timeouts of every request (default transport only): `connectMs` (default
   * 10 s) to make a connection, `idleMs` (default 2 min) without a byte either way while the
   * server owes one. A stalled request is aborted and retried; after the retries the call fails
   * with `connect_timeout` or `idle_timeout`. No limit on a request's whole duration. 0 switches
   * one off.
   */
  timeouts?: B2Timeouts;
  /** Request log for debugging (default transport only): one entry per request, never a secret. */
  log?: (entry: B2RequestLogEntry) => void;
}

export interface CreateBucketOptions {
  /** aiob2's `security`: public or private (default private). */
  type?: 'allPublic' | 'allPrivate';
  bucketInfo?: Record<string, string>;
  corsRules?: B2CorsRule[];
  lifecycleRules?: B2LifecycleRule[];
  /** Object Lock (file retention and legal hold) for this bucket. */
  fileLockEnabled?: boolean;
  /** Encrypt new files with SSE-B2 unless they say otherwise. */
  defaultServerSideEncryption?: { mode: 'SSE-B2' | null };
}

export interface CreateKeyOptions {
  /**
   * What the key may do (https://www.backblaze.com/docs/cloud-storage-application-key-capabilities):
   * B2's capabilities autocomplete; one B2 adds later is accepted as a string and checked by B2.
   */
  capabilities: (B2Capability | (string & {}))[];
  keyName: string;
  validDurationInSeconds?: number;
  /** Restrict the key to one bucket. */
  bucketId?: string;
  /** Restrict the key to names starting with this. */
  namePrefix?: string;
}

function env(name: string): string | undefined {
  return typeof process !== 'undefined' ? process.env?.[name] : undefined;
}

/** A realm as given (option or `B2_REALM`): a URL (an emulator's), or `production` / none for production. */
function realmUrl(realm: string | undefined): string {
  return realm === undefined || realm === 'production' ? PRODUCTION_REALM : realm;
}

/**
 * A B2 account. Every method returns a cold Observable: nothing is sent before subscribe, and
 * unsubscribing aborts what is in flight. Authorization is lazy and shared; an expired token is
 * renewed once, for all concurrent calls.
 *
 * @example
 * const b2 = new B2({ applicationKeyId, applicationKey });
 * b2.buckets.all().subscribe((bucket) => console.log(bucket.bucketName));
 */
export class B2 {
  // A true private field: util.inspect, JSON and test failure output never reach the session
  // (and the account token it caches).
  readonly #ctx: ClientContext;

  constructor(options: B2Options = {}) {
    const keyId = options.applicationKeyId ?? env('B2_APPLICATION_KEY_ID') ?? env('B2_KEY_ID');
    const key = options.applicationKey ?? env('B2_APPLICATION_KEY');
    if (!keyId) throw invalidArgument('applicationKeyId', 'missing: pass it or set B2_APPLICATION_KEY_ID');
    if (!key) throw invalidArgument('applicationKey', 'missing: pass it or set B2_APPLICATION_KEY');
    const realm = realmUrl(options.realm ?? (env('B2_REALM') || undefined));
    if (!/^https?:\/\/[^/]/.test(realm)) throw invalidArgument(options.realm === undefined ? 'B2_REALM' : 'realm', 'must be an http(s) URL');
    if (options.timeouts !== undefined && options.transport !== undefined) throw invalidArgument('timeouts', 'set them on your own transport (they apply to the default one)');
    // AxiosTransport checks the timeouts (invalid_argument naming timeouts.connectMs / idleMs).
    const transport =
      options.transport ?? new AxiosTransport({ userAgent: typeof process !== 'undefined' ? `rxb2/${VERSION}` : undefined, log: options.log, timeouts: options.timeouts });
    const retry: RetryB2Options = options.retry === false ? { maxAttempts: 1 } : { ...options.retry };
    if (options.onRetry !== undefined) {
      if (typeof options.onRetry !== 'function') throw invalidArgument('onRetry', 'must be a function');
      retry.onRetry = options.onRetry;
    }
    // The key lives only inside this closure: never on an object that could be logged or serialized.
    const session = new B2Session(transport, () => authorizeAccount(transport, realm, keyId, key), retry);
    this.#ctx = new ClientContext(session, session.retryOptions, options.progressIntervalMs ?? 100);
  }

  /** Authorizes now (otherwise the first call does it). Emits the authorization once. */
  authorize(): Observable<B2Authorization> {
    return this.#ctx.api.authorization();
  }

  readonly buckets = {
    /** Emits each bucket of the account, by name. */
    all: (): Observable<Bucket> =>
      this.#ctx.api.authorization().pipe(
        switchMap((auth) => this.#ctx.api.listBuckets(this.restrictedTo(auth))),
        mergeMap((r) => r.buckets),
        map((w) => new Bucket(this.#ctx, w)),
      ),

    /** Creates a bucket; emits it. */
    create: (name: string, options: CreateBucketOptions = {}): Observable<Bucket> =>
      defer(() => {
        options = checkOptions(options);
        const bucketName = checkBucketName(name);
        const type = options.type ?? 'allPrivate';
        if (type !== 'allPublic' && type !== 'allPrivate') throw invalidArgument('type', 'must be allPublic or allPrivate');
        const defaultServerSideEncryption = defaultSse(options.defaultServerSideEncryption);
        return this.#ctx.api.createBucket({
          bucketName,
          bucketType: type,
          bucketInfo: options.bucketInfo,
          corsRules: options.corsRules,
          lifecycleRules: options.lifecycleRules,
          fileLockEnabled: options.fileLockEnabled,
          defaultServerSideEncryption,
        });
      }).pipe(map((w) => new Bucket(this.#ctx, w))),

    /** A bucket by name, or `{ bucketId }`. Errors with 404 `not_found` when there is none. */
    get: (which: string | { bucketId: string }): Observable<Bucket> =>
      defer(() => {
        if (typeof which !== 'string') {
          which = checkOptions(which, 'bucketId');
          if (typeof which.bucketId !== 'string' || which.bucketId === '') throw invalidArgument('bucketId', 'must be a bucket id');
        }
        const filter = typeof which === 'string' ? { bucketName: checkBucketName(which) } : { bucketId: which.bucketId };
        return this.#ctx.api
          .listBuckets(filter)
          .pipe(
            mergeMap((r) =>
              r.buckets.length > 0
                ? [new Bucket(this.#ctx, r.buckets[0])]
                : throwError(() => new B2Error({ status: 404, code: 'not_found', message: `no bucket ${typeof which === 'string' ? which : which.bucketId}` })),
            ),
          );
      }),
  };

  readonly keys = {
    /** Creates an application key; emits it with its secret `applicationKey` (shown only once). */
    create: (options: CreateKeyOptions): Observable<B2CreatedKeyWire> =>
      defer(() => {
        options = checkOptions(options);
        if (!Array.isArray(options.capabilities) || options.capabilities.length === 0) throw invalidArgument('capabilities', 'must be a non-empty array');
        if (!/^[A-Za-z0-9-]{1,100}$/.test(options.keyName ?? '')) throw invalidArgument('keyName', 'must be 1-100 letters, digits or "-"');
        if (options.validDurationInSeconds !== undefined) checkPositiveInt(options.validDurationInSeconds, 'validDurationInSeconds', 86_400_000);
        return this.#ctx.api.createKey(options);
      }),

    /** Emits every application key (not the master key), paging lazily; a `Listing` (`for await` pages on demand). */
    list: (): Listing<B2KeyWire> =>
      new Listing((demand) =>
        paginate(
          (start: string | undefined) => this.#ctx.api.listKeys({ startApplicationKeyId: start, maxKeyCount: 1000 }),
          (page) => page.nextApplicationKeyId,
          (page) => page.keys,
          demand,
        ),
      ),

    /** Deletes a key; emits the deleted key. */
    delete: (applicationKeyId: string): Observable<B2KeyWire> =>
      defer(() => {
        if (typeof applicationKeyId !== 'string' || applicationKeyId === '') throw invalidArgument('applicationKeyId', 'must be a key id');
        return this.#ctx.api.deleteKey({ applicationKeyId });
      }),
  };

  /** A bucket-restricted key must name its bucket when listing (https://www.backblaze.com/docs/cloud-storage-application-keys). */
  private restrictedTo(auth: B2Authorization): { bucketId?: string } {
    return auth.allowed.buckets?.length === 1 ? { bucketId: auth.allowed.buckets[0].id } : {};
  }
}
