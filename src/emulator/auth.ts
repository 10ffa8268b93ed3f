/**
 * Tokens (account, upload, download-authorization) and the caller's permissions. Tokens live in
 * memory only: after a restart clients get `bad_auth_token` and re-authorize, as after a B2 outage.
 */
import type { EmulatorClock } from './clock';
import type { KeyRecord } from './model';
import { fail } from './errors';
import { newToken } from './ids';
import type { B2ApiVersion } from '../api/wire';
import { B2_CAPABILITIES } from '../api/wire';

/** The permissions of whoever presented a token: a key's capabilities and restrictions. */
export class Caller {
  constructor(
    readonly accountId: string,
    readonly keyId: string,
    readonly capabilities: ReadonlySet<string>,
    readonly bucketIds: readonly string[] | null,
    readonly namePrefix: string | null,
  ) {}

  can(capability: string): boolean {
    return this.capabilities.has(capability);
  }

  need(capability: string): void {
    if (!this.can(capability)) throw fail.unauthorized(`application key does not have the capability ${capability}`);
  }

  needBucket(bucketId: string): void {
    if (this.bucketIds && !this.bucketIds.includes(bucketId)) {
      throw fail.unauthorized(`application key is not allowed to access bucket ${bucketId}`);
    }
  }

  needFileName(fileName: string): void {
    if (this.namePrefix && !fileName.startsWith(this.namePrefix)) {
      throw fail.unauthorized(`application key is restricted to file names that start with ${this.namePrefix}`);
    }
  }

  /** A prefix-restricted key must list within its prefix (https://www.backblaze.com/docs/cloud-storage-application-keys). */
  needListPrefix(prefix: string): void {
    if (this.namePrefix && !prefix.startsWith(this.namePrefix)) {
      throw fail.unauthorized(`application key is restricted to file names that start with ${this.namePrefix}; pass a prefix within it`);
    }
  }

  needAccount(accountId: unknown): void {
    if (accountId !== undefined && accountId !== this.accountId) throw fail.unauthorized('accountId does not match the authorization token');
  }
}

export const ALL_CAPABILITIES: readonly string[] = B2_CAPABILITIES;

interface AccountToken {
  kind: 'account';
  keyId: string;
  expiresAt: number;
  /** Tokens issued under `X-Bz-Test-Mode: expire_some_account_authorization_tokens` expire after a few uses. */
  usesLeft: number;
}

export interface UploadToken {
  kind: 'upload';
  /** bucketId for upload URLs, fileId for part URLs. */
  target: string;
  part: boolean;
  keyId: string;
  expiresAt: number;
  busy: boolean;
}

export interface DownloadToken {
  kind: 'download';
  keyId: string;
  bucketId: string;
  fileNamePrefix: string;
  expiresAt: number;
  /** b2Content* overrides the token was minted with; downloads must repeat them. */
  overrides: Record<string, string>;
}

type Token = AccountToken | UploadToken | DownloadToken;

export class TokenRegistry {
  private readonly tokens = new Map<string, Token>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly lifetimeMs: number,
    private readonly lookupKey: (keyId: string) => KeyRecord | 'master' | undefined,
    private readonly accountId: () => string,
  ) {}

  issueAccountToken(keyId: string, expireSoon: boolean): string {
    const token = newToken('4_acct');
    this.tokens.set(token, { kind: 'account', keyId, expiresAt: this.clock.now() + this.lifetimeMs, usesLeft: expireSoon ? 3 : Infinity });
    return token;
  }

  issueUploadToken(target: string, part: boolean, keyId: string): string {
    const token = newToken(part ? '4_part' : '4_upld');
    this.tokens.set(token, { kind: 'upload', target, part, keyId, expiresAt: this.clock.now() + this.lifetimeMs, busy: false });
    return token;
  }

  issueDownloadToken(keyId: string, bucketId: string, fileNamePrefix: string, seconds: number, overrides: Record<string, string>): string {
    const token = newToken('4_dl');
    this.tokens.set(token, { kind: 'download', keyId, bucketId, fileNamePrefix, expiresAt: this.clock.now() + seconds * 1000, overrides });
    return token;
  }

  /** The caller behind an account token; 401 bad/expired/missing otherwise. */
  accountCaller(token: string | undefined): Caller {
    const entry = this.find(token);
    if (entry.kind !== 'account') throw fail.badAuthToken('Invalid authorization token: not an account authorization token');
    if (entry.usesLeft-- <= 0) {
      entry.expiresAt = 0;
      throw fail.expiredAuthToken();
    }
    return this.callerFor(entry.keyId);
  }

  /** The upload token for an upload/part URL, which must be bound to `target`. */
  uploadToken(token: string | undefined, target: string, part: boolean): { entry: UploadToken; caller: Caller } {
    const entry = this.find(token);
    if (entry.kind !== 'upload' || entry.part !== part || entry.target !== target) {
      throw fail.badAuthToken(`Invalid authorization token for this ${part ? 'upload part' : 'upload'} URL`);
    }
    return { entry, caller: this.callerFor(entry.keyId) };
  }

  /** Either an account caller or a download-authorization token (by-name downloads only). */
  downloadCredential(token: string | undefined): { caller: Caller } | { download: DownloadToken } {
    const entry = this.find(token);
    if (entry.kind === 'download') {
      this.callerFor(entry.keyId); // the minting key must still exist
      return { download: entry };
    }
    if (entry.kind !== 'account') throw fail.badAuthToken();
    return { caller: this.accountCaller(token) };
  }

  expireAll(): void {
    for (const entry of this.tokens.values()) entry.expiresAt = 0;
  }

  /** Drops every token minted from a deleted key. */
  revokeKey(keyId: string): void {
    for (const [token, entry] of this.tokens) if (entry.keyId === keyId) this.tokens.delete(token);
  }

  callerFor(keyId: string): Caller {
    const key = this.lookupKey(keyId);
    if (!key) throw fail.badAuthToken('Invalid authorization token: its application key was deleted');
    if (key === 'master') return new Caller(this.accountId(), keyId, new Set(ALL_CAPABILITIES), null, null);
    if (key.expirationTimestamp !== null && key.expirationTimestamp <= this.clock.now()) throw fail.expiredAuthToken();
    return new Caller(this.accountId(), keyId, new Set(key.capabilities), key.bucketIds, key.namePrefix);
  }

  private find(token: string | undefined): Token {
    if (token === undefined || token === '') throw fail.missingAuthToken();
    const entry = this.tokens.get(token);
    if (!entry) throw fail.badAuthToken();
    if (entry.expiresAt <= this.clock.now()) throw fail.expiredAuthToken();
    return entry;
  }
}

/** Which API versions a key may log in through: one allowing several buckets only v4 (https://www.backblaze.com/docs/cloud-storage-native-api-versions). */
export function checkKeyVersion(key: KeyRecord | 'master', version: B2ApiVersion): void {
  if (key !== 'master' && (key.bucketIds?.length ?? 0) > 1 && version < 4) {
    throw fail.unsupported('this application key can only be used with API version 4 or later');
  }
}
