/** b2_authorize_account (https://www.backblaze.com/apidocs/b2-authorize-account): one model, a response shape per API version. */
import type { B2AuthorizeResponseV2, B2AuthorizeResponseV3 } from '../../api/wire';
import { checkKeyVersion } from '../auth';
import type { Engine, JsonCall } from '../engine';
import { fail } from '../errors';

export function authorizeAccount(engine: Engine, call: JsonCall): B2AuthorizeResponseV2 | B2AuthorizeResponseV3 {
  const [keyId, secret] = parseBasic(call.authorization);
  const key = engine.lookupKey(keyId);
  const valid = key === 'master' ? secret === engine.state.account.masterKey : key?.applicationKey === secret;
  // b2sdk's simulator answers bad credentials with 401 unauthorized (live traffic once showed bad_auth_token).
  if (!key || !valid) throw fail.unauthorized('application key ID or secret is not valid');
  checkKeyVersion(key, call.version);
  const caller = engine.tokens.callerFor(keyId);
  const token = engine.tokens.issueAccountToken(keyId, call.testModes.has('expire_some_account_authorization_tokens'));

  const capabilities = [...caller.capabilities];
  const buckets = caller.bucketIds?.map((id) => ({ id, name: engine.state.buckets.get(id)?.bucketName ?? null })) ?? null;
  const common = {
    apiUrl: call.baseUrl,
    downloadUrl: call.baseUrl,
    s3ApiUrl: call.baseUrl,
    recommendedPartSize: engine.config.recommendedPartSize,
    absoluteMinimumPartSize: engine.config.absoluteMinimumPartSize,
  };
  const accountId = engine.accountId;
  if (call.version <= 2) {
    const out: B2AuthorizeResponseV2 = {
      accountId,
      authorizationToken: token,
      ...common,
      allowed: { bucketId: buckets?.[0]?.id ?? null, bucketName: buckets?.[0]?.name ?? null, capabilities, namePrefix: caller.namePrefix },
    };
    if (call.version === 1) out.minimumPartSize = common.recommendedPartSize;
    return out;
  }
  const expiration = key === 'master' ? null : key.expirationTimestamp;
  if (call.version === 3) {
    return {
      accountId,
      authorizationToken: token,
      applicationKeyExpirationTimestamp: expiration,
      apiInfo: {
        storageApi: {
          infoType: 'storageApi',
          ...common,
          bucketId: buckets?.[0]?.id ?? null,
          bucketName: buckets?.[0]?.name ?? null,
          capabilities,
          namePrefix: caller.namePrefix,
        },
      },
    };
  }
  return {
    accountId,
    authorizationToken: token,
    applicationKeyExpirationTimestamp: expiration,
    apiInfo: {
      storageApi: {
        ...common,
        // Also emitted directly under storageApi, as b2sdk's simulator does (https://www.backblaze.com/apidocs/b2-authorize-account).
        capabilities,
        namePrefix: caller.namePrefix,
        allowed: { buckets, capabilities, namePrefix: caller.namePrefix },
      },
    },
  };
}

function parseBasic(authorization: string | undefined): [string, string] {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw fail.badRequest('authorize needs an Authorization header: Basic base64(keyId:applicationKey)');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw fail.badRequest('Authorization header: expected base64(keyId:applicationKey)');
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
