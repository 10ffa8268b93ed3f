/**
 * The session's implementation of the raw-API seam: every b2_* call with the session's
 * authorization applied. JSON calls run through `session.call` (lazy authorization, one
 * re-authorization on an expired token, B2's retry rules:
 * https://www.backblaze.com/docs/cloud-storage-integration-checklist); upload bodies are one
 * attempt each (their pipeline retries with a fresh URL); downloads are retried until their
 * headers arrive.
 */
import { defer, switchMap, type Observable } from 'rxjs';
import type { B2Authorization } from '../api/account';
import type { B2Api, B2CallHooks, B2DownloadRequest } from '../api/b2-api';
import type { B2ApiTarget } from '../api/call';
import { createBucket, deleteBucket, listBuckets, updateBucket } from '../api/buckets';
import {
  copyFile,
  deleteFileVersion,
  getDownloadAuthorization,
  getFileInfo,
  getUploadUrl,
  hideFile,
  listFileNames,
  listFileVersions,
  updateFileLegalHold,
  updateFileRetention,
} from '../api/files';
import { createKey, deleteKey, listKeys } from '../api/keys';
import { cancelLargeFile, copyPart, finishLargeFile, getUploadPartUrl, listParts, listUnfinishedLargeFiles, startLargeFile } from '../api/large-files';
import { downloadFile, uploadFile, uploadPart } from '../api/transfers';
import type { B2Event } from '../http/events';
import { retryB2 } from '../operators/retry-b2';
import type { B2Session } from './session';

/**
 * The B2 calls of `session`, as `B2Api` describes them. Cold: each method sends nothing before
 * subscribe; unsubscribing aborts the request in flight (and a pending retry wait).
 */
export function sessionApi(session: B2Session): B2Api {
  return {
    authorization: () => session.authorized(),

    createBucket: (req) => session.call((t, auth) => createBucket(t, { ...req, accountId: auth.accountId })),
    listBuckets: (req) => session.call((t, auth) => listBuckets(t, { ...req, accountId: auth.accountId })),
    updateBucket: (req) => session.call((t, auth) => updateBucket(t, { ...req, accountId: auth.accountId })),
    deleteBucket: (req) => session.call((t, auth) => deleteBucket(t, { ...req, accountId: auth.accountId })),

    listFileNames: (req) => session.call((t) => listFileNames(t, req)),
    listFileVersions: (req) => session.call((t) => listFileVersions(t, req)),
    getFileInfo: (req) => session.call((t) => getFileInfo(t, req)),
    hideFile: (req, hooks) => counted(session, hooks, (t) => hideFile(t, req)),
    deleteFileVersion: (req, hooks) => counted(session, hooks, (t) => deleteFileVersion(t, req)),
    copyFile: (req) => session.call((t) => copyFile(t, req)),
    getUploadUrl: (req) => session.call((t) => getUploadUrl(t, req)),
    getDownloadAuthorization: (req) => session.call((t) => getDownloadAuthorization(t, req)),
    updateFileRetention: (req) => session.call((t) => updateFileRetention(t, req)),
    updateFileLegalHold: (req) => session.call((t) => updateFileLegalHold(t, req)),

    startLargeFile: (req, hooks) => counted(session, hooks, (t) => startLargeFile(t, req)),
    getUploadPartUrl: (req) => session.call((t) => getUploadPartUrl(t, req)),
    listParts: (req) => session.call((t) => listParts(t, req)),
    finishLargeFile: (req) => session.call((t) => finishLargeFile(t, req)),
    cancelLargeFile: (req) => session.call((t) => cancelLargeFile(t, req)),
    listUnfinishedLargeFiles: (req) => session.call((t) => listUnfinishedLargeFiles(t, req)),
    copyPart: (req) => session.call((t) => copyPart(t, req)),

    createKey: (req) => session.call((t, auth) => createKey(t, { ...req, accountId: auth.accountId })),
    listKeys: (req) => session.call((t, auth) => listKeys(t, { ...req, accountId: auth.accountId })),
    deleteKey: (req) => session.call((t) => deleteKey(t, req)),

    uploadFile: (target, headers, body, attempt) => uploadFile(session.transport, target, headers, body, attempt),
    uploadPart: (target, part, body, attempt) => uploadPart(session.transport, target, part.partNumber, part.contentSha1, body, attempt, part.extra),

    downloadFile: (req) => sessionDownload(session, req),
  };
}

/** `session.call(op)`, telling `hooks.onAttempt` of each attempt, numbered per subscription. */
function counted<T>(session: B2Session, hooks: B2CallHooks | undefined, op: (t: B2ApiTarget) => Observable<T>): Observable<T> {
  return defer(() => {
    let attempt = 0;
    return session.call((t) => {
      hooks?.onAttempt?.(++attempt);
      return op(t);
    });
  });
}

/**
 * One GET, retried by B2's rules until its headers arrive. With the account's token an expired
 * one re-authorizes (`session.call`); with a download-authorization token of the caller's, an
 * expired token is its owner's to renew: the account's authorization stays, and the failure is
 * retried (or not) by the rules alone. Each attempt is numbered for the transport.
 */
function sessionDownload(session: B2Session, req: B2DownloadRequest): Observable<B2Event<unknown, unknown>> {
  return defer(() => {
    let attempt = 0;
    const attemptWith = (auth: B2Authorization) => {
      attempt++;
      const target = { transport: session.transport, downloadUrl: auth.downloadUrl, authorizationToken: req.authorizationToken ?? auth.authorizationToken };
      return downloadFile(target, req.by, req.headers, 'GET', attempt);
    };
    return req.authorizationToken
      ? session.authorization().pipe(switchMap(attemptWith), retryB2<B2Event<unknown, unknown>>(session.retryOptions))
      : session.call((_t, auth) => attemptWith(auth));
  });
}
