/** b2_authorize_account, normalised over the v2 (flat), v3 and v4 response shapes. */
import { filter, map, type Observable } from 'rxjs';
import type { B2Transport } from '../http/transport';
import { isResponse } from '../http/events';
import type { B2AuthorizeResponseV2, B2AuthorizeResponseV3, B2StorageApiInfoV3, B2StorageApiInfoV4 } from './wire';
import { API_VERSION } from './call';

/** What an authorization grants, whichever API version answered. */
export interface B2Authorization {
  /** The account's id. */
  accountId: string;
  /** The account token every other call sends (valid for up to 24 hours). */
  authorizationToken: string;
  /** Base URL for API calls. */
  apiUrl: string;
  /** Base URL for downloads. */
  downloadUrl: string;
  /** The part size B2 recommends for large files, bytes. */
  recommendedPartSize: number;
  /** The smallest part B2 accepts (but the last), bytes. */
  absoluteMinimumPartSize: number;
  /** What the key may do. */
  allowed: {
    /** The buckets the key is restricted to, each with its id and name (null when deleted); null: every bucket. */
    buckets:
      | {
          /** The bucket's id. */
          id: string;
          /** Its name; null when the bucket was deleted. */
          name: string | null;
        }[]
      | null;
    /** What the key may do (see `B2Capability`). */
    capabilities: string[];
    /** Names the key is restricted to; null: any. */
    namePrefix: string | null;
  };
}

/** Encodes `keyId:key` for HTTP Basic; works in Node and browsers. */
function basic(keyId: string, key: string): string {
  const bytes = new TextEncoder().encode(`${keyId}:${key}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export function authorizeAccount(transport: B2Transport, realm: string, keyId: string, applicationKey: string): Observable<B2Authorization> {
  return transport
    .request<B2AuthorizeResponseV2 | B2AuthorizeResponseV3>({
      method: 'GET',
      url: `${realm.replace(/\/+$/, '')}/b2api/${API_VERSION}/b2_authorize_account`,
      operation: 'b2_authorize_account',
      headers: { Authorization: basic(keyId, applicationKey) },
    })
    .pipe(
      filter(isResponse),
      map((e) => normalizeAuthorization(e.body)),
    );
}

export function normalizeAuthorization(body: B2AuthorizeResponseV2 | B2AuthorizeResponseV3): B2Authorization {
  if ('apiInfo' in body) {
    const s = body.apiInfo.storageApi as B2StorageApiInfoV3 & Partial<B2StorageApiInfoV4>;
    const buckets = s.allowed?.buckets ?? (s.bucketId ? [{ id: s.bucketId, name: s.bucketName ?? null }] : null);
    return {
      accountId: body.accountId,
      authorizationToken: body.authorizationToken,
      apiUrl: s.apiUrl,
      downloadUrl: s.downloadUrl,
      recommendedPartSize: s.recommendedPartSize,
      absoluteMinimumPartSize: s.absoluteMinimumPartSize,
      allowed: {
        buckets,
        capabilities: s.allowed?.capabilities ?? s.capabilities ?? [],
        namePrefix: s.allowed?.namePrefix ?? s.namePrefix ?? null,
      },
    };
  }
  return {
    accountId: body.accountId,
    authorizationToken: body.authorizationToken,
    apiUrl: body.apiUrl,
    downloadUrl: body.downloadUrl,
    recommendedPartSize: body.recommendedPartSize,
    absoluteMinimumPartSize: body.absoluteMinimumPartSize,
    allowed: {
      buckets: body.allowed.bucketId ? [{ id: body.allowed.bucketId, name: body.allowed.bucketName }] : null,
      capabilities: body.allowed.capabilities,
      namePrefix: body.allowed.namePrefix,
    },
  };
}
