/**
 * The emulator's engine: state, tokens, clock and configuration, plus the rules several calls
 * share (bucket and file look-ups with permission checks, Object Lock, SSE). No sockets here:
 * handlers receive parsed calls, the server (server.ts) owns HTTP.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { B2ApiVersion } from '../api/wire';
import type { BucketRecord, FileRecord, KeyRecord, RetentionSetting, SseSetting } from './model';
import type { Store } from './store/store';
import { EmulatorState } from './state';
import { EmulatorClock } from './clock';
import { Caller, TokenRegistry } from './auth';
import { fail } from './errors';
import { isWellFormedBucketId, isWellFormedFileId, newAccountId, newApplicationKey } from './ids';
import type { Params } from './params';

export interface EngineConfig {
  absoluteMinimumPartSize: number;
  recommendedPartSize: number;
  tokenLifetimeMs: number;
  failSomeUploadsEvery: number;
  /** Bodies up to this size get a contentMd5; bigger ones report null (MD5 costs 2.5× SHA-1). */
  md5Limit: number;
}

/** One parsed JSON call. */
export interface JsonCall {
  version: B2ApiVersion;
  params: Params;
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
  testModes: ReadonlySet<string>;
  /** The server's base URL (apiUrl, downloadUrl and upload hosts). */
  baseUrl: string;
}

export const MAX_SMALL_FILE = 5_000_000_000;
export const MAX_PART_SIZE = 5_000_000_000;
export const MAX_PARTS = 10_000;
export const MAX_LARGE_FILE = 10_000_000_000_000;

export class Engine {
  readonly clock = new EmulatorClock();
  readonly state: EmulatorState;
  readonly tokens: TokenRegistry;
  private uploadCounter = 0;

  constructor(
    readonly store: Store,
    readonly config: EngineConfig,
  ) {
    this.state = new EmulatorState(store);
    this.tokens = new TokenRegistry(
      this.clock,
      config.tokenLifetimeMs,
      (keyId) => this.lookupKey(keyId),
      () => this.state.account.accountId,
    );
  }

  async load(accountId?: string, masterKey?: string): Promise<void> {
    await this.state.load(() => ({ accountId: accountId ?? newAccountId(), masterKey: masterKey ?? newApplicationKey() }));
  }

  get accountId(): string {
    return this.state.account.accountId;
  }

  lookupKey(keyId: string): KeyRecord | 'master' | undefined {
    return keyId === this.state.account.accountId ? 'master' : this.state.keys.get(keyId);
  }

  /** The caller of a JSON call, from its account token. */
  caller(call: JsonCall): Caller {
    return this.tokens.accountCaller(call.authorization);
  }

  /** `X-Bz-Test-Mode: fail_some_uploads`: every Nth such upload fails as a busy pod would. */
  failSomeUploads(call: { testModes: ReadonlySet<string> }): void {
    if (call.testModes.has('fail_some_uploads') && ++this.uploadCounter % this.config.failSomeUploadsEvery === 0) {
      throw fail.serviceUnavailable();
    }
  }

  forceCapExceeded(call: { testModes: ReadonlySet<string> }): void {
    if (call.testModes.has('force_cap_exceeded')) throw fail.storageCapExceeded();
  }

  // ---- look-ups with permission checks ----

  /** A bucket by id for a call on it: malformed → 400 invalid_bucket_id (listing) or bad_bucket_id. */
  bucket(caller: Caller, bucketId: string, malformedCode: 'bad_bucket_id' | 'invalid_bucket_id' = 'bad_bucket_id'): BucketRecord {
    if (!isWellFormedBucketId(bucketId) && malformedCode === 'invalid_bucket_id') throw fail.invalidBucketId(bucketId);
    caller.needBucket(bucketId);
    const bucket = this.state.buckets.get(bucketId);
    if (!bucket) throw fail.badBucketId(bucketId);
    return bucket;
  }

  /** A file version by id, with its bucket permission checked: malformed → 400, unknown → 404. */
  fileById(caller: Caller, fileId: string, missing: 'not_found' | 'bad_request' = 'not_found'): FileRecord {
    if (!isWellFormedFileId(fileId)) throw fail.badFileId(fileId);
    const file = this.state.files.get(fileId);
    if (!file) {
      if (missing === 'bad_request') throw fail.badFileId(fileId);
      throw fail.notFound(`File with id ${fileId} not found`);
    }
    caller.needBucket(file.bucketId);
    caller.needFileName(file.fileName);
    return file;
  }

  /** An unfinished large file (action `start`) by id. */
  largeFile(caller: Caller, fileId: string): FileRecord {
    const file = this.fileById(caller, fileId, 'bad_request');
    if (file.action !== 'start') throw fail.badRequest(`large file ${fileId} is not unfinished`);
    return file;
  }

  // ---- Object Lock (https://www.backblaze.com/docs/cloud-storage-object-lock) ----

  /** Retention for a new version: explicit, else the bucket default, else none. */
  newRetention(caller: Caller, bucket: BucketRecord, explicit: RetentionSetting | undefined): RetentionSetting | null {
    if (explicit) {
      if (!bucket.fileLockEnabled) throw fail.bucketMissingFileLock();
      caller.need('writeFileRetentions');
      this.checkRetentionValue(explicit);
      return explicit;
    }
    const def = bucket.defaultRetention;
    if (bucket.fileLockEnabled && def.mode && def.period) {
      const days = def.period.unit === 'years' ? def.period.duration * 365 : def.period.duration;
      return { mode: def.mode, retainUntilTimestamp: this.clock.now() + days * 86_400_000 };
    }
    return null;
  }

  newLegalHold(caller: Caller, bucket: BucketRecord, value: string | undefined): 'on' | 'off' | null {
    if (value === undefined) return null;
    if (!bucket.fileLockEnabled) throw fail.bucketMissingFileLock();
    caller.need('writeFileLegalHolds');
    if (value !== 'on' && value !== 'off') throw fail.badRequest(`legal hold must be "on" or "off", not ${value}`);
    return value;
  }

  checkRetentionValue(r: RetentionSetting): void {
    if (r.mode === null) {
      if (r.retainUntilTimestamp !== null) throw fail.badRequest('retainUntilTimestamp needs a retention mode');
      return;
    }
    if (r.mode !== 'governance' && r.mode !== 'compliance') throw fail.badRequest(`invalid retention mode: ${r.mode}`);
    if (r.retainUntilTimestamp === null || !Number.isSafeInteger(r.retainUntilTimestamp)) {
      throw fail.badRequest('retainUntilTimestamp is required with a retention mode');
    }
    if (r.retainUntilTimestamp <= this.clock.now()) throw fail.retainUntilInPast();
  }

  /** Parses a JSON `fileRetention` object. */
  parseRetention(value: Record<string, unknown> | undefined): RetentionSetting | undefined {
    if (!value) return undefined;
    const mode = value.mode ?? null;
    const until = value.retainUntilTimestamp ?? null;
    if (mode !== null && typeof mode !== 'string') throw fail.badRequest('fileRetention.mode must be a string');
    if (until !== null && typeof until !== 'number') throw fail.badRequest('fileRetention.retainUntilTimestamp must be an integer');
    return { mode: mode as RetentionSetting['mode'], retainUntilTimestamp: until as number | null };
  }

  /** Refuses deleting a version under legal hold or unexpired retention (governance: unless bypassed). */
  checkDeletable(caller: Caller, file: FileRecord, bypassGovernance: boolean): void {
    if (file.legalHold === 'on') throw fail.accessDenied('Access Denied: the file version is under legal hold');
    const r = file.retention;
    if (!r?.mode || r.retainUntilTimestamp === null || r.retainUntilTimestamp <= this.clock.now()) return;
    if (r.mode === 'compliance') throw fail.accessDenied('Access Denied: the file version is under compliance retention');
    if (!bypassGovernance || !caller.can('bypassGovernance')) {
      throw fail.accessDenied('Access Denied: the file version is under governance retention (bypassGovernance needed)');
    }
  }

  // ---- server-side encryption (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api) ----

  /** SSE from upload headers (`X-Bz-Server-Side-Encryption*`); absent → the bucket default. */
  sseFromHeaders(headers: IncomingHttpHeaders, bucket: BucketRecord): SseSetting {
    const sseB2 = header(headers, 'x-bz-server-side-encryption');
    const algorithm = header(headers, 'x-bz-server-side-encryption-customer-algorithm');
    if (algorithm !== undefined) {
      return this.sseC(algorithm, header(headers, 'x-bz-server-side-encryption-customer-key'), header(headers, 'x-bz-server-side-encryption-customer-key-md5'));
    }
    if (sseB2 !== undefined) {
      if (sseB2 !== 'AES256') throw fail.badRequest(`X-Bz-Server-Side-Encryption must be AES256, not ${sseB2}`);
      return { mode: 'SSE-B2', algorithm: 'AES256' };
    }
    return { ...bucket.defaultSse };
  }

  /** SSE from a JSON `serverSideEncryption` object; absent → the bucket default. */
  sseFromJson(value: Record<string, unknown> | undefined, bucket: BucketRecord | null, field: string): SseSetting {
    if (!value || value.mode === null || value.mode === undefined) {
      return bucket ? { ...bucket.defaultSse } : { mode: null, algorithm: null };
    }
    if (value.mode === 'SSE-B2') {
      if ((value.algorithm ?? 'AES256') !== 'AES256') throw fail.badRequest(`${field}.algorithm must be AES256`);
      return { mode: 'SSE-B2', algorithm: 'AES256' };
    }
    if (value.mode === 'SSE-C') {
      return this.sseC(String(value.algorithm ?? 'AES256'), value.customerKey as string | undefined, value.customerKeyMd5 as string | undefined);
    }
    throw fail.badRequest(`${field}.mode must be SSE-B2 or SSE-C`);
  }

  private sseC(algorithm: string, key: string | undefined, keyMd5: string | undefined): SseSetting {
    if (algorithm !== 'AES256') throw fail.badRequest('SSE-C algorithm must be AES256');
    if (typeof key !== 'string' || typeof keyMd5 !== 'string') throw fail.badRequest('SSE-C needs the customer key and its MD5');
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== 32) throw fail.badRequest('SSE-C customer key must be 32 bytes, base64-encoded');
    if (createHash('md5').update(bytes).digest('base64') !== keyMd5) throw fail.badRequest('SSE-C customer key MD5 does not match the key');
    return { mode: 'SSE-C', algorithm: 'AES256', customerKeyMd5: keyMd5, customerKeyHash: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Reading an SSE-C file needs the same key (https://www.backblaze.com/apidocs/b2-download-file-by-name, https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api). */
  checkSseKey(file: { sse: SseSetting }, presented: SseSetting | null): void {
    if (file.sse.mode !== 'SSE-C') return;
    if (!presented || presented.mode !== 'SSE-C') {
      throw fail.badRequest('The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
    }
    if (presented.customerKeyHash !== file.sse.customerKeyHash) throw fail.accessDenied('Wrong or no SSE-C key provided when reading a file.');
  }

  /** The SSE-C key presented in request headers, if any. */
  presentedSseKey(headers: IncomingHttpHeaders): SseSetting | null {
    const algorithm = header(headers, 'x-bz-server-side-encryption-customer-algorithm');
    if (algorithm === undefined) return null;
    return this.sseC(algorithm, header(headers, 'x-bz-server-side-encryption-customer-key'), header(headers, 'x-bz-server-side-encryption-customer-key-md5'));
  }

  /** Header budget for name + info: 2048 with SSE or Object Lock, else 7000 (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api). */
  headerBudget(bucket: BucketRecord, sse: SseSetting): number {
    return sse.mode || bucket.fileLockEnabled ? 2048 : 7000;
  }
}

/** One header's value; a repeated header is joined with ", " by Node already. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
