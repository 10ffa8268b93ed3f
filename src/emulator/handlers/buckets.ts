/** b2_create_bucket, b2_list_buckets, b2_update_bucket, b2_delete_bucket (https://www.backblaze.com/docs/cloud-storage-buckets). */
import type { B2BucketWire, B2CorsRule, B2DefaultRetention, B2LifecycleRule } from '../../api/wire';
import type { Engine, JsonCall } from '../engine';
import type { BucketRecord } from '../model';
import { fail } from '../errors';
import { newBucketId } from '../ids';
import { checkBucketName } from '../names';
import { optArray, optBool, optInt, optObject, optString, reqString, stringMap, type Params } from '../params';
import { bucketWire } from '../serialize';

const MAX_BUCKETS = 100;
const CREATABLE_TYPES = ['allPublic', 'allPrivate'];
const CORS_OPERATIONS = ['b2_download_file_by_name', 'b2_download_file_by_id', 'b2_upload_file', 'b2_upload_part', 's3_delete', 's3_get', 's3_head', 's3_post', 's3_put'];

export function createBucket(engine: Engine, call: JsonCall): B2BucketWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeBuckets');
  caller.needAccount(reqString(p, 'accountId'));
  if (caller.bucketIds) throw fail.unauthorized('a bucket-restricted application key cannot create buckets');
  const bucketName = checkBucketName(p.bucketName);
  const bucketType = bucketTypeParam(p, true)!;
  const fileLockEnabled = optBool(p, 'fileLockEnabled') ?? false;
  if (fileLockEnabled) caller.need('writeBucketRetentions');
  const sse = optObject(p, 'defaultServerSideEncryption');
  if (sse) caller.need('writeBucketEncryption');
  if (engine.state.bucketByName(bucketName)) throw fail.duplicateBucketName();
  if (engine.state.buckets.size >= MAX_BUCKETS) throw fail.tooManyBuckets();
  const bucket: BucketRecord = {
    bucketId: newBucketId(),
    bucketName,
    bucketType,
    bucketInfo: bucketInfoParam(p) ?? {},
    corsRules: corsRulesParam(p) ?? [],
    lifecycleRules: lifecycleRulesParam(p) ?? [],
    revision: 1,
    defaultSse: bucketSse(engine, sse),
    fileLockEnabled,
    defaultRetention: { mode: null, period: null },
  };
  engine.state.commit([engine.state.put('bucket', bucket.bucketId, bucket)]);
  return bucketWire(bucket, engine.accountId, caller);
}

export function listBuckets(engine: Engine, call: JsonCall): { buckets: B2BucketWire[] } {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('listBuckets');
  caller.needAccount(reqString(p, 'accountId'));
  const bucketId = optString(p, 'bucketId');
  const bucketName = optString(p, 'bucketName');
  const types = optArray(p, 'bucketTypes');
  if (caller.bucketIds && bucketId === undefined && bucketName === undefined) {
    // v1 quietly listed the allowed bucket; v2+ refuse an unfiltered list (https://www.backblaze.com/docs/cloud-storage-application-keys).
    if (call.version >= 2) throw fail.unauthorized('a bucket-restricted application key must name its bucket (bucketId or bucketName)');
  }
  let typeFilter: Set<string> | null = new Set(['allPublic', 'allPrivate', 'snapshot']);
  if (types) {
    if (types.length === 0) throw fail.badRequest('bucketTypes must not be empty');
    if (types.includes('all')) {
      if (types.length > 1) throw fail.badRequest('bucketTypes: "all" cannot be combined with other types');
      typeFilter = null;
    } else {
      for (const t of types) if (!['allPublic', 'allPrivate', 'snapshot', 'restricted', 'shared'].includes(t as string)) throw fail.badRequest(`unknown bucket type: ${String(t)}`);
      typeFilter = new Set(types as string[]);
    }
  }
  const buckets = [...engine.state.buckets.values()]
    .filter((b) => !caller.bucketIds || caller.bucketIds.includes(b.bucketId))
    .filter((b) => bucketId === undefined || b.bucketId === bucketId)
    .filter((b) => bucketName === undefined || b.bucketName === bucketName)
    .filter((b) => !typeFilter || typeFilter.has(b.bucketType))
    .sort((a, b) => (a.bucketName < b.bucketName ? -1 : a.bucketName > b.bucketName ? 1 : 0));
  if (caller.bucketIds) {
    // Naming any other bucket, even one that does not exist, is refused (b2sdk's simulator).
    const allowedNames = caller.bucketIds.map((id) => engine.state.buckets.get(id)?.bucketName);
    if ((bucketId !== undefined && !caller.bucketIds.includes(bucketId)) || (bucketName !== undefined && !allowedNames.includes(bucketName))) {
      throw fail.unauthorized('application key is not allowed to list this bucket');
    }
  }
  return { buckets: buckets.map((b) => bucketWire(b, engine.accountId, caller)) };
}

export function updateBucket(engine: Engine, call: JsonCall): B2BucketWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('writeBuckets');
  caller.needAccount(optString(p, 'accountId'));
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  const ifRevisionIs = optInt(p, 'ifRevisionIs');
  const next: BucketRecord = { ...bucket };
  const type = bucketTypeParam(p, false);
  if (type !== undefined) next.bucketType = type;
  const info = bucketInfoParam(p);
  if (info !== undefined) next.bucketInfo = info;
  const cors = corsRulesParam(p);
  if (cors !== undefined) next.corsRules = cors;
  const lifecycle = lifecycleRulesParam(p);
  if (lifecycle !== undefined) next.lifecycleRules = lifecycle;
  const sse = optObject(p, 'defaultServerSideEncryption');
  if (sse) {
    caller.need('writeBucketEncryption');
    next.defaultSse = bucketSse(engine, sse);
  }
  const lock = optBool(p, 'fileLockEnabled');
  if (lock !== undefined) {
    caller.need('writeBucketRetentions');
    if (!lock && bucket.fileLockEnabled) throw fail.fileLockConflict();
    next.fileLockEnabled = lock || bucket.fileLockEnabled;
  }
  const retention = optObject(p, 'defaultRetention');
  if (retention) {
    caller.need('writeBucketRetentions');
    if (!next.fileLockEnabled) throw fail.bucketMissingFileLock();
    next.defaultRetention = defaultRetentionParam(retention);
  }
  if (ifRevisionIs !== undefined && ifRevisionIs !== bucket.revision) throw fail.conflict();
  next.revision = bucket.revision + 1;
  engine.state.commit([engine.state.put('bucket', next.bucketId, next)]);
  return bucketWire(next, engine.accountId, caller);
}

export function deleteBucket(engine: Engine, call: JsonCall): B2BucketWire {
  const caller = engine.caller(call);
  const p = call.params;
  caller.need('deleteBuckets');
  caller.needAccount(optString(p, 'accountId'));
  const bucket = engine.bucket(caller, reqString(p, 'bucketId'));
  // Hide markers and unfinished large files are versions too: they keep the bucket non-empty.
  if (!engine.state.bucketIsEmpty(bucket.bucketId)) throw fail.bucketNotEmpty();
  engine.state.commit([engine.state.del('bucket', bucket.bucketId)]);
  return bucketWire(bucket, engine.accountId, caller);
}

function bucketTypeParam(p: Params, required: boolean): string | undefined {
  const type = required ? reqString(p, 'bucketType') : optString(p, 'bucketType');
  if (type !== undefined && !CREATABLE_TYPES.includes(type)) throw fail.badRequest(`bucketType must be allPublic or allPrivate, not ${type}`);
  return type;
}

function bucketInfoParam(p: Params): Record<string, string> | undefined {
  const info = optObject(p, 'bucketInfo');
  if (info === undefined) return undefined;
  const map = stringMap(info, 'bucketInfo');
  if (Object.keys(map).length > 10) throw fail.badRequest('bucketInfo may hold at most 10 entries');
  return map;
}

function bucketSse(engine: Engine, sse: Record<string, unknown> | undefined) {
  if (sse?.mode === 'SSE-C') throw fail.badRequest('SSE-C cannot be a bucket default');
  return engine.sseFromJson(sse, null, 'defaultServerSideEncryption');
}

function defaultRetentionParam(r: Record<string, unknown>): B2DefaultRetention {
  const mode = r.mode ?? null;
  if (mode !== null && mode !== 'governance' && mode !== 'compliance') throw fail.badRequest(`invalid defaultRetention.mode: ${String(mode)}`);
  const period = (r.period ?? null) as { duration?: unknown; unit?: unknown } | null;
  if (mode === null) {
    if (period !== null) throw fail.badRequest('defaultRetention.period needs a mode');
    return { mode: null, period: null };
  }
  if (!period || !Number.isSafeInteger(period.duration) || (period.duration as number) < 1 || (period.unit !== 'days' && period.unit !== 'years')) {
    throw fail.badRequest('defaultRetention.period must be {duration: positive integer, unit: "days"|"years"}');
  }
  return { mode, period: { duration: period.duration as number, unit: period.unit } };
}

function corsRulesParam(p: Params): B2CorsRule[] | undefined {
  const rules = optArray(p, 'corsRules');
  if (rules === undefined) return undefined;
  if (rules.length > 100) throw fail.badRequest('at most 100 CORS rules per bucket');
  const names = new Set<string>();
  return rules.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw fail.badRequest(`corsRules[${i}] must be an object`);
    const r = raw as Record<string, unknown>;
    const name = r.corsRuleName;
    if (typeof name !== 'string' || !/^[A-Za-z0-9-]{6,50}$/.test(name) || name.startsWith('b2-')) {
      throw fail.badRequest(`corsRules[${i}].corsRuleName must be 6-50 letters, digits or "-", not starting with "b2-"`);
    }
    if (names.has(name)) throw fail.badRequest(`duplicate corsRuleName: ${name}`);
    names.add(name);
    const list = (field: string, required: boolean): string[] | undefined => {
      const v = r[field];
      if (v === undefined || v === null) {
        if (required) throw fail.badRequest(`corsRules[${i}].${field} is required`);
        return undefined;
      }
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string') || (required && v.length === 0)) {
        throw fail.badRequest(`corsRules[${i}].${field} must be a${required ? ' non-empty' : 'n'} array of strings`);
      }
      return v as string[];
    };
    const allowedOrigins = list('allowedOrigins', true)!;
    const allowedOperations = list('allowedOperations', true)!;
    for (const op of allowedOperations) if (!CORS_OPERATIONS.includes(op)) throw fail.badRequest(`corsRules[${i}]: unknown operation ${op}`);
    const maxAge = r.maxAgeSeconds;
    if (!Number.isSafeInteger(maxAge) || (maxAge as number) < 0 || (maxAge as number) > 86400) {
      throw fail.badRequest(`corsRules[${i}].maxAgeSeconds must be an integer from 0 to 86400`);
    }
    const rule: B2CorsRule = { corsRuleName: name, allowedOrigins, allowedOperations, maxAgeSeconds: maxAge as number };
    const headers = list('allowedHeaders', false);
    if (headers) rule.allowedHeaders = headers;
    const expose = list('exposeHeaders', false);
    if (expose) rule.exposeHeaders = expose;
    if (Buffer.byteLength(JSON.stringify(rule)) >= 1000) throw fail.badRequest(`corsRules[${i}] is too large (must be under 1000 bytes)`);
    return rule;
  });
}

function lifecycleRulesParam(p: Params): B2LifecycleRule[] | undefined {
  const rules = optArray(p, 'lifecycleRules');
  if (rules === undefined) return undefined;
  if (rules.length > 100) throw fail.badRequest('at most 100 lifecycle rules per bucket');
  const parsed = rules.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw fail.badRequest(`lifecycleRules[${i}] must be an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.fileNamePrefix !== 'string') throw fail.badRequest(`lifecycleRules[${i}].fileNamePrefix is required`);
    const days = (field: string): number | null => {
      const v = r[field] ?? null;
      if (v === null) return null;
      if (!Number.isSafeInteger(v) || (v as number) < 1) throw fail.badRequest(`lifecycleRules[${i}].${field} must be a positive integer or null`);
      return v as number;
    };
    const rule: B2LifecycleRule = {
      daysFromHidingToDeleting: days('daysFromHidingToDeleting'),
      daysFromUploadingToHiding: days('daysFromUploadingToHiding'),
      fileNamePrefix: r.fileNamePrefix,
    };
    const cancel = days('daysFromStartingToCancelingUnfinishedLargeFiles');
    if (cancel !== null) rule.daysFromStartingToCancelingUnfinishedLargeFiles = cancel;
    if (rule.daysFromHidingToDeleting === null && rule.daysFromUploadingToHiding === null && cancel === null) {
      throw fail.badRequest(`lifecycleRules[${i}] must set at least one of the day counts`);
    }
    return rule;
  });
  for (const a of parsed) {
    for (const b of parsed) {
      if (a !== b && b.fileNamePrefix.startsWith(a.fileNamePrefix)) {
        throw fail.badRequest(`lifecycle rules overlap: "${a.fileNamePrefix}" and "${b.fileNamePrefix}"`);
      }
    }
  }
  return parsed;
}
