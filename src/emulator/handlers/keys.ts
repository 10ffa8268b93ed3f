/** b2_create_key, b2_list_keys, b2_delete_key (https://www.backblaze.com/docs/cloud-storage-application-keys); v4 keys carry bucketIds. */
import type { B2CreatedKeyWire, B2KeyWire, B2ListKeysWire } from '../../api/wire';
import { ALL_CAPABILITIES } from '../auth';
import type { Engine, JsonCall } from '../engine';
import type { KeyRecord } from '../model';
import { fail } from '../errors';
import { newApplicationKey, newApplicationKeyId } from '../ids';
import { countParam, optArray, optInt, optString, reqString } from '../params';
import { keyWire } from '../serialize';

/** Capabilities a bucket-restricted key may hold (https://www.backblaze.com/docs/cloud-storage-application-keys). */
const BUCKET_KEY_CAPABILITIES = new Set([
  'listAllBucketNames',
  'listBuckets',
  'readBuckets',
  'readBucketEncryption',
  'writeBucketEncryption',
  'readBucketRetentions',
  'writeBucketRetentions',
  'readBucketNotifications',
  'writeBucketNotifications',
  'listFiles',
  'readFiles',
  'shareFiles',
  'writeFiles',
  'deleteFiles',
  'readFileLegalHolds',
  'writeFileLegalHolds',
  'readFileRetentions',
  'writeFileRetentions',
  'bypassGovernance',
]);

export function createKey(engine: Engine, call: JsonCall): B2CreatedKeyWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeKeys');
  caller.needAccount(reqString(p, 'accountId'));
  const capabilities = optArray(p, 'capabilities');
  if (!capabilities || capabilities.length === 0) throw fail.badRequest('capabilities must be a non-empty array');
  for (const c of capabilities) {
    if (typeof c !== 'string' || !ALL_CAPABILITIES.includes(c)) throw fail.badRequest(`unknown capability: ${String(c)}`);
  }
  const keyName = reqString(p, 'keyName');
  if (!/^[A-Za-z0-9-]{1,100}$/.test(keyName)) throw fail.badRequest('keyName must be 1-100 letters, digits or "-"');
  const duration = optInt(p, 'validDurationInSeconds');
  if (duration !== undefined && (duration < 1 || duration > 86_400_000)) {
    throw fail.badRequest('validDurationInSeconds must be between 1 and 86400000');
  }
  let bucketIds: string[] | null;
  if (call.version >= 4) {
    const ids = optArray(p, 'bucketIds');
    if (ids && ids.some((x) => typeof x !== 'string')) throw fail.badRequest('bucketIds must be an array of strings');
    bucketIds = ids && ids.length > 0 ? (ids as string[]) : null;
  } else {
    const id = optString(p, 'bucketId');
    bucketIds = id ? [id] : null;
  }
  for (const id of bucketIds ?? []) {
    caller.needBucket(id);
    if (!engine.state.buckets.has(id)) throw fail.badBucketId(id);
  }
  if (bucketIds) {
    for (const c of capabilities as string[]) {
      if (!BUCKET_KEY_CAPABILITIES.has(c)) throw fail.badRequest(`capability ${c} is not allowed on a key restricted to buckets`);
    }
  }
  const namePrefix = optString(p, 'namePrefix') ?? null;
  const key: KeyRecord = {
    applicationKeyId: newApplicationKeyId(engine.accountId),
    applicationKey: newApplicationKey(),
    keyName,
    capabilities: capabilities as string[],
    bucketIds,
    namePrefix,
    expirationTimestamp: duration === undefined ? null : engine.clock.now() + duration * 1000,
    multiBucket: call.version >= 4,
    seq: engine.state.nextSeq(),
  };
  engine.state.commit([engine.state.put('key', key.applicationKeyId, key)]);
  return { ...keyWire(key, engine.accountId, call.version), applicationKey: key.applicationKey };
}

export function listKeys(engine: Engine, call: JsonCall): B2ListKeysWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('listKeys');
  caller.needAccount(reqString(p, 'accountId'));
  const max = countParam(p, 'maxKeyCount', 100, 10000);
  const start = optString(p, 'startApplicationKeyId');
  const keys = [...engine.state.keys.values()]
    .filter((k) => k.multiBucket === call.version >= 4)
    .filter((k) => start === undefined || k.applicationKeyId >= start)
    .sort((a, b) => (a.applicationKeyId < b.applicationKeyId ? -1 : 1));
  const page = keys.slice(0, max);
  return {
    keys: page.map((k) => keyWire(k, engine.accountId, call.version)),
    nextApplicationKeyId: keys.length > max ? keys[max].applicationKeyId : null,
  };
}

export function deleteKey(engine: Engine, call: JsonCall): B2KeyWire {
  const caller = engine.caller(call);
  caller.need('deleteKeys');
  const keyId = reqString(call.params, 'applicationKeyId');
  const key = engine.state.keys.get(keyId);
  if (!key) throw fail.badRequest(`Application key does not exist: ${keyId}`);
  engine.state.commit([engine.state.del('key', keyId)]);
  engine.tokens.revokeKey(keyId);
  return keyWire(key, engine.accountId, call.version);
}
