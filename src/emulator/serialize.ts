/** Records → wire JSON, per API version and per what the caller may read (https://www.backblaze.com/docs/cloud-storage-files). */
import type { B2BucketWire, B2FileWire, B2KeyWire, B2PartWire, B2ApiVersion, B2ServerSideEncryptionWire } from '../api/wire';
import type { BucketRecord, FileRecord, KeyRecord, PartRecord, SseSetting } from './model';
import type { Caller } from './auth';

export function sseWire(sse: SseSetting): B2ServerSideEncryptionWire {
  return { mode: sse.mode, algorithm: sse.algorithm };
}

export function fileWire(file: FileRecord, accountId: string, caller: Caller, version: B2ApiVersion, action: string = file.action): B2FileWire {
  const out: B2FileWire = {
    accountId,
    action,
    bucketId: file.bucketId,
    contentLength: file.contentLength,
    contentMd5: file.contentMd5,
    contentSha1: file.contentSha1,
    contentType: file.contentType,
    fileId: file.fileId,
    fileInfo: { ...file.fileInfo },
    fileName: file.fileName,
    uploadTimestamp: file.uploadTimestamp,
  };
  // Hide markers carry no retention, hold or encryption (live v2 traffic, https://www.backblaze.com/apidocs/b2-list-file-versions).
  if (file.action !== 'hide') {
    const readRetention = caller.can('readFileRetentions');
    const readHold = caller.can('readFileLegalHolds');
    out.fileRetention = {
      isClientAuthorizedToRead: readRetention,
      value: readRetention ? (file.retention ?? { mode: null, retainUntilTimestamp: null }) : null,
    };
    out.legalHold = { isClientAuthorizedToRead: readHold, value: readHold ? file.legalHold : null };
    out.serverSideEncryption = sseWire(file.sse);
  }
  if (version === 1) out.size = file.contentLength;
  return out;
}

/** A `folder` row of a delimited listing (https://www.backblaze.com/apidocs/b2-list-file-versions). */
export function folderWire(bucketId: string, accountId: string, name: string, version: B2ApiVersion): B2FileWire {
  const out: B2FileWire = {
    accountId,
    action: 'folder',
    bucketId,
    contentLength: 0,
    contentMd5: null,
    contentSha1: null,
    contentType: null,
    fileId: null,
    fileInfo: {},
    fileName: name,
    uploadTimestamp: 0,
  };
  if (version === 1) out.size = 0;
  return out;
}

export function partWire(part: PartRecord, sse: SseSetting): B2PartWire {
  return {
    fileId: part.fileId,
    partNumber: part.partNumber,
    contentLength: part.contentLength,
    contentSha1: part.contentSha1,
    contentMd5: part.contentMd5,
    serverSideEncryption: sseWire(sse),
    uploadTimestamp: part.uploadTimestamp,
  };
}

export function bucketWire(bucket: BucketRecord, accountId: string, caller: Caller): B2BucketWire {
  const readSse = caller.can('readBucketEncryption');
  const readLock = caller.can('readBucketRetentions');
  return {
    accountId,
    bucketId: bucket.bucketId,
    bucketInfo: { ...bucket.bucketInfo },
    bucketName: bucket.bucketName,
    bucketType: bucket.bucketType,
    corsRules: bucket.corsRules,
    defaultServerSideEncryption: { isClientAuthorizedToRead: readSse, value: readSse ? sseWire(bucket.defaultSse) : null },
    fileLockConfiguration: {
      isClientAuthorizedToRead: readLock,
      value: readLock ? { defaultRetention: bucket.defaultRetention, isFileLockEnabled: bucket.fileLockEnabled } : null,
    },
    lifecycleRules: bucket.lifecycleRules,
    options: ['s3'],
    revision: bucket.revision,
  };
}

export function keyWire(key: KeyRecord, accountId: string, version: B2ApiVersion): B2KeyWire {
  const out: B2KeyWire = {
    accountId,
    applicationKeyId: key.applicationKeyId,
    capabilities: key.capabilities,
    expirationTimestamp: key.expirationTimestamp,
    keyName: key.keyName,
    namePrefix: key.namePrefix,
    options: ['s3'],
  };
  if (version >= 4) out.bucketIds = key.bucketIds;
  else out.bucketId = key.bucketIds?.[0] ?? null;
  return out;
}
