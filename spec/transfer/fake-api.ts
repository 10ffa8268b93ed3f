/**
 * A fake of the raw-API seam for marble specs: each B2 call a spec names is its own (a `cold()`
 * Observable, usually); any other call fails the spec, saying which.
 */
import type { SchedulerLike } from 'rxjs';
import type { B2Authorization } from '../../src/api/account';
import type { B2Api } from '../../src/api/b2-api';
import type { B2FileWire } from '../../src/api/wire';
import { B2Error } from '../../src/http/b2-error';
import { UploadUrlPool } from '../../src/session/upload-url-pool';
import type { TransferDeps } from '../../src/transfer/transfer-deps';

export function fakeApi(calls: Partial<B2Api>): B2Api {
  return new Proxy(calls as B2Api, {
    get(target, name: string) {
      const call = (target as unknown as Record<string, unknown>)[name];
      if (call === undefined) throw new Error(`unexpected B2 call ${name}`);
      return call;
    },
  });
}

/** Dependencies of a pipeline under test: waits of exactly 10 frames between attempts, progress unthrottled. */
export function depsOf(api: B2Api, scheduler: SchedulerLike, over: Partial<TransferDeps> = {}): TransferDeps {
  return { api, uploadUrls: new UploadUrlPool(), retry: { baseDelayMs: 10, maxDelayMs: 10, jitter: 0, maxAttempts: 3, scheduler }, progressIntervalMs: 0, scheduler, ...over };
}

/** An authorization with tiny part sizes: 10-byte parts at least. */
export const AUTH: B2Authorization = {
  accountId: 'acct',
  authorizationToken: 'token',
  apiUrl: 'https://api.example',
  downloadUrl: 'https://f000.example',
  recommendedPartSize: 10,
  absoluteMinimumPartSize: 10,
  allowed: { buckets: null, capabilities: ['writeFiles'], namePrefix: null },
};

/** Upload URL n of bucket-1 (a part URL of f1 too: the pipelines read only the URL and token). */
export const url = (n: number) => ({ bucketId: 'bucket-1', fileId: 'f1', uploadUrl: `https://pod-${n}.example/upload`, authorizationToken: `upload-token-${n}` });

let serial = 0;
/** A B2Error with a unique message (jasmine compares errors by message only). */
export function b2Error(status: number, code: string): B2Error {
  return new B2Error({ status, code, message: `${status} ${code} #${++serial}` });
}

export function fileWire(over: Partial<B2FileWire> = {}): B2FileWire {
  return {
    accountId: 'acct',
    action: 'upload',
    bucketId: 'bucket-1',
    contentLength: 25,
    contentMd5: null,
    contentSha1: 'none',
    contentType: 'application/octet-stream',
    fileId: 'f1',
    fileInfo: {},
    fileName: 'big.bin',
    uploadTimestamp: 1_700_000_000_000,
    ...over,
  };
}
