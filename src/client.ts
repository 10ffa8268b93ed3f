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

/**
 * Where production accounts authorize: the URL b2_authorize_account is called on
 * (https://www.backblaze.com/apidocs/b2-authorize-account). `realm: 'production'`, or no realm and no
 * `B2_REALM`, means this one.
 */
export const PRODUCTION_REALM = 'https://api.backblazeb2.com';

/**
 * Options of `new B2(options)`, all optional: the key comes from the environment when not given.
 * Checked by the constructor, which throws a `B2Error` `invalid_argument` naming the option
 * (`applicationKeyId`, `applicationKey`, `realm` or `B2_REALM`, `timeouts`, `onRetry`) before
 * anything is sent.
 */
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

/** Options of `b2.buckets.create(name, options)` (https://www.backblaze.com/apidocs/b2-create-bucket). */
export interface CreateBucketOptions {
  /** aiob2's `security`: public or private (default private). */
  type?: 'allPublic' | 'allPrivate';
  /**
   * User data kept with the bucket, string keys to string values (default none). A `Cache-Control`
   * key sets the bucket's default `Cache-Control` for downloads
   * (https://www.backblaze.com/docs/cloud-storage-buckets).
   */
  bucketInfo?: Record<string, string>;
  /**
   * Which web origins may call B2 on this bucket from a browser (default none: cross-origin
   * requests are refused); B2 checks the rules
   * (https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules).
   */
  corsRules?: B2CorsRule[];
  /**
   * When B2 hides and deletes old versions on its own, by name prefix (default none: every version
   * is kept); B2 checks the rules (https://www.backblaze.com/docs/cloud-storage-lifecycle-rules).
   */
  lifecycleRules?: B2LifecycleRule[];
  /** Object Lock (file retention and legal hold) for this bucket. */
  fileLockEnabled?: boolean;
  /** Encrypt new files with SSE-B2 unless they say otherwise. */
  defaultServerSideEncryption?: {
    /**
     * `SSE-B2` (Backblaze's keys, AES-256) or `null` for none; any other value is `invalid_argument`
     * naming `defaultServerSideEncryption.mode`. SSE-C cannot be a bucket's default
     * (https://www.backblaze.com/docs/cloud-storage-server-side-encryption).
     */
    mode: 'SSE-B2' | null;
  };
}

/** Options of `b2.keys.create(options)` (https://www.backblaze.com/apidocs/b2-create-key). */
export interface CreateKeyOptions {
  /**
   * What the key may do (https://www.backblaze.com/docs/cloud-storage-application-key-capabilities):
   * B2's capabilities autocomplete; one B2 adds later is accepted as a string and checked by B2.
   */
  capabilities: (B2Capability | (string & {}))[];
  /** The key's name: 1 to 100 letters, digits or `-` (else `invalid_argument` naming `keyName`); B2 need not keep it unique. */
  keyName: string;
  /**
   * Seconds until the key expires: a whole number from 1 to 86,400,000 (1,000 days), else
   * `invalid_argument` naming `validDurationInSeconds`. Default: it never expires.
   */
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

  /**
   * Authorizes now (otherwise the first call does it;
   * https://www.backblaze.com/apidocs/b2-authorize-account). Emits the authorization once and
   * completes; while it is valid, the one in hand, without a request. Errors with B2's error (a
   * wrong key: 401 `unauthorized`) after retries of transient failures. Unsubscribing stops
   * waiting: an authorization request shared with other calls runs on for them.
   */
  authorize(): Observable<B2Authorization> {
    return this.#ctx.api.authorization();
  }

  /**
   * The account's buckets (https://www.backblaze.com/docs/cloud-storage-buckets): `all()`,
   * `create(name, options)` and `get(name or { bucketId })`, each a cold Observable of `Bucket`.
   */
  readonly buckets = {
    /**
     * Emits each bucket of the account that b2_list_buckets lists by default, in name order
     * (https://www.backblaze.com/apidocs/b2-list-buckets); with a key restricted to one bucket, that
     * bucket. Completes after the last; errors with B2's `B2Error` after retries; unsubscribing
     * aborts the request in flight.
     */
    all: (): Observable<Bucket> =>
      this.#ctx.api.authorization().pipe(
        switchMap((auth) => this.#ctx.api.listBuckets(this.restrictedTo(auth))),
        mergeMap((r) => r.buckets),
        map((w) => new Bucket(this.#ctx, w)),
      ),

    /**
     * Creates a bucket (https://www.backblaze.com/apidocs/b2-create-bucket); emits it once and
     * completes. Errors with `invalid_argument` before any request for a bad name (6 to 63 letters,
     * digits or `-`, not starting with `b2-`) or option (naming it); otherwise with B2's error, such
     * as `duplicate_bucket_name` (names are unique across all accounts). Unsubscribing aborts the
     * request (B2 may have created the bucket meanwhile).
     */
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

    /**
     * A bucket by name, or `{ bucketId }`: emits it once and completes. Errors with 404 `not_found`
     * when there is none, with `invalid_argument` (naming `bucketName` or `bucketId`) before any
     * request for a malformed one, otherwise with B2's error. Unsubscribing aborts the request.
     */
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

  /**
   * The account's application keys (https://www.backblaze.com/docs/cloud-storage-application-keys):
   * `create(options)`, `list()` and `delete(applicationKeyId)`. The key this client uses needs the
   * `writeKeys`, `listKeys` and `deleteKeys` capabilities for them.
   */
  readonly keys = {
    /**
     * Creates an application key (https://www.backblaze.com/apidocs/b2-create-key); emits it once,
     * with its secret `applicationKey` (B2 shows it only this once), and completes. Errors with
     * `invalid_argument` naming the option (`capabilities`, `keyName`, `validDurationInSeconds`)
     * before any request, otherwise with B2's error. Unsubscribing aborts the request (B2 may have
     * made the key meanwhile).
     */
    create: (options: CreateKeyOptions): Observable<B2CreatedKeyWire> =>
      defer(() => {
        options = checkOptions(options);
        if (!Array.isArray(options.capabilities) || options.capabilities.length === 0) throw invalidArgument('capabilities', 'must be a non-empty array');
        if (!/^[A-Za-z0-9-]{1,100}$/.test(options.keyName ?? '')) throw invalidArgument('keyName', 'must be 1-100 letters, digits or "-"');
        if (options.validDurationInSeconds !== undefined) checkPositiveInt(options.validDurationInSeconds, 'validDurationInSeconds', 86_400_000);
        return this.#ctx.api.createKey(options);
      }),

    /**
     * Emits every application key (not the master key), 1,000 per request
     * (https://www.backblaze.com/apidocs/b2-list-keys), fetching the next page only when asked;
     * completes after the last. A `Listing` (`for await` pages on demand). Errors with B2's error
     * after retries; unsubscribing aborts the request in flight and fetches no more pages.
     */
    list: (): Listing<B2KeyWire> =>
      new Listing((demand) =>
        paginate(
          (start: string | undefined) => this.#ctx.api.listKeys({ startApplicationKeyId: start, maxKeyCount: 1000 }),
          (page) => page.nextApplicationKeyId,
          (page) => page.keys,
          demand,
        ),
      ),

    /**
     * Deletes a key (https://www.backblaze.com/apidocs/b2-delete-key); emits the deleted key once
     * and completes. Errors with `invalid_argument` naming `applicationKeyId` for an empty id,
     * before any request; otherwise with B2's error. Unsubscribing aborts the request.
     */
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
