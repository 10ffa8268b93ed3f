/**
 * Uploads with only what a server handed out: an upload URL and its token for a small file
 * (https://www.backblaze.com/apidocs/b2-get-upload-url), or, for a large file, a file id the server
 * started and part URLs (https://www.backblaze.com/apidocs/b2-get-upload-part-url), finished by the
 * server (https://www.backblaze.com/apidocs/b2-finish-large-file). No account key, no session: each
 * attempt asks the caller's authorizer, and every answer is checked before any byte is sent.
 */
import { Observable, asyncScheduler, defer, from, map, switchMap, throwError, catchError, type ObservableInput } from 'rxjs';
import { uploadFile, uploadPart } from '../api/transfers';
import type { B2FileWire, B2UploadPartUrlWire, B2UploadUrlWire } from '../api/wire';
import { B2Error, invalidArgument } from '../http/b2-error';
import type { B2Transport } from '../http/transport';
import { throttleProgress } from '../operators/throttle-progress';
import type { RetryB2Options } from '../operators/retry-b2';
import { UploadUrlPool } from '../session/upload-url-pool';
import { runLargeUpload, type B2LargeUploadEvent, type LargeUploadSteps } from './large-file-pipeline';
import { planParts } from './part-plan';
import { uploadPartBody, uploadSmallFile, type UploadApi, type UploadDeps } from './upload';
import type { UploadSource } from './upload-source';

/** What a server answers when it started a large file for a page (see `Bucket.startLargeUpload`). */
export interface B2LargeUploadStart {
  /** The unfinished large file's id, which part URLs, finish and cancel take. */
  fileId: string;
  /** Its name in the bucket. */
  fileName: string;
  /** The bucket it goes into. */
  bucketId: string;
  /** Bytes per part the page must send (the last part may be shorter). */
  partSize: number;
}

/**
 * The caller's way to its server, which holds the key. Each method is called on demand (per
 * attempt for URLs: a retry after a failed or expired upload asks again) and may return an
 * Observable, a Promise or an array; the first value is used.
 */
export interface B2UploadAuthorizer {
  /** A small file's upload URL and token: the server's `bucket.getUploadAuthorization()`. */
  uploadUrl(): ObservableInput<B2UploadUrlWire>;
  /** Large files; without it every upload is a small file (B2 takes up to 5 GB in one request). */
  largeFile?: {
    /** The server starts the large file (`bucket.startLargeUpload`) and answers its id and part size. */
    start(file: { fileName: string; contentType: string; contentLength: number; fileInfo: Record<string, string> }): ObservableInput<B2LargeUploadStart>;
    /** A part URL and token for the file: the server's `bucket.getUploadPartAuthorization(fileId)`. */
    partUrl(fileId: string): ObservableInput<B2UploadPartUrlWire>;
    /** The server finishes the file (`bucket.finishLargeUpload`), which needs the account token; answers the file. */
    finish(fileId: string, partSha1Array: string[]): ObservableInput<B2FileWire>;
    /** The server cancels the file (`bucket.cancelLargeUpload`): after a failure or an unsubscribe. */
    cancel(fileId: string): ObservableInput<unknown>;
  };
}

/** A checked upload, ready to send. */
export interface AuthorizedUploadRun {
  source: UploadSource;
  fileName: string;
  contentType: string;
  fileInfo: Record<string, string>;
  authorizer: B2UploadAuthorizer;
  transport: B2Transport;
  retry: RetryB2Options;
  progressIntervalMs: number;
  large: boolean;
  concurrency: number;
}

/**
 * The first value of an authorizer's answer. Once it came, the answer is left to complete on its
 * own until the next microtask (an HTTP client completes right after its response: leaving it
 * earlier would abort a request that is already done); then it is unsubscribed.
 */
const first = <T>(input: ObservableInput<T>, what: string): Observable<T> =>
  new Observable<T>((subscriber) => {
    let got = false;
    const answer = from(input).subscribe({
      next: (value) => {
        if (got) return;
        got = true;
        queueMicrotask(() => answer.unsubscribe());
        subscriber.next(value);
        subscriber.complete();
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        if (!got) subscriber.error(invalidArgument(what, 'the server answered nothing (the authorizer completed without a value)'));
      },
    });
    return () => {
      if (!got) answer.unsubscribe();
    };
  });

const isUrl = (value: unknown): value is string => typeof value === 'string' && /^https?:\/\/[^/\s]+/.test(value);
const isToken = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && !/[\r\n]/.test(value);

/** An upload URL answer, checked: `invalid_argument` naming the authorizer method when it is not one. */
function checkUploadUrl<U extends { uploadUrl: string; authorizationToken: string }>(answer: unknown, what: string, idField: 'bucketId' | 'fileId', id?: string): U {
  const a = answer as Record<string, unknown> | null;
  if (typeof a !== 'object' || a === null) throw invalidArgument(what, 'is not an upload authorization (expected { uploadUrl, authorizationToken })');
  if (!isUrl(a.uploadUrl)) throw invalidArgument(`${what}.uploadUrl`, 'is not an upload authorization: uploadUrl must be an http(s) URL');
  if (!isToken(a.authorizationToken)) throw invalidArgument(`${what}.authorizationToken`, 'is not an upload authorization: authorizationToken must be a non-empty string');
  if (id !== undefined && a[idField] !== undefined && a[idField] !== id) throw invalidArgument(`${what}.${idField}`, `is for ${String(a[idField])}, not ${id}`);
  return { ...(a as object), uploadUrl: a.uploadUrl, authorizationToken: a.authorizationToken } as unknown as U;
}

function checkStart(answer: unknown, fileName: string): B2LargeUploadStart {
  const a = answer as Record<string, unknown> | null;
  const what = 'authorizer.largeFile.start';
  if (typeof a !== 'object' || a === null || typeof a.fileId !== 'string' || a.fileId === '') {
    throw invalidArgument(what, 'is not a started large file (expected { fileId, fileName, bucketId, partSize })');
  }
  if (!Number.isSafeInteger(a.partSize) || (a.partSize as number) < 1) throw invalidArgument(`${what}.partSize`, 'must be a positive whole number of bytes');
  if (a.fileName !== fileName) throw invalidArgument(`${what}.fileName`, `is ${JSON.stringify(a.fileName)}, not the file being uploaded (${JSON.stringify(fileName)})`);
  return { fileId: a.fileId, fileName, bucketId: String(a.bucketId ?? ''), partSize: a.partSize as number };
}

function checkFile(answer: unknown, what: string): B2FileWire {
  const a = answer as Record<string, unknown> | null;
  if (typeof a !== 'object' || a === null || typeof a.fileId !== 'string' || typeof a.fileName !== 'string') {
    throw invalidArgument(what, 'is not a file (expected B2 file fields: fileId, fileName, …)');
  }
  return a as unknown as B2FileWire;
}

/** An upload refused for its token after the retries: say what to do. */
function explainExpired(err: unknown): unknown {
  if (!(err instanceof B2Error) || err.status !== 401 || err.code === 'unauthorized') return err;
  if (err.operation !== 'b2_upload_file' && err.operation !== 'b2_upload_part') return err;
  return new B2Error({
    status: 401,
    code: err.code,
    operation: err.operation,
    message: `the upload authorization expired or is no longer valid (${err.code}): ask the server for a new one (the authorizer returned one B2 refused on every attempt)`,
  });
}

/**
 * The upload calls of one authorized upload: URLs from the authorizer (each answer checked before
 * any byte is sent to it), bodies through the transport. The upload pipelines take it in place of
 * the session's B2Api, so one body and part-upload path serves both.
 */
function authorizerApi(run: AuthorizedUploadRun): UploadApi {
  return {
    getUploadUrl: () =>
      defer(() => first(run.authorizer.uploadUrl(), 'authorizer.uploadUrl')).pipe(map((a) => checkUploadUrl<B2UploadUrlWire>(a, 'authorizer.uploadUrl', 'bucketId'))),
    getUploadPartUrl: ({ fileId }) =>
      defer(() => first(run.authorizer.largeFile!.partUrl(fileId), 'authorizer.largeFile.partUrl')).pipe(
        map((a) => checkUploadUrl<B2UploadPartUrlWire>(a, 'authorizer.largeFile.partUrl', 'fileId', fileId)),
      ),
    uploadFile: (target, headers, body, attempt) => uploadFile(run.transport, target, headers, body, attempt),
    uploadPart: (target, part, body, attempt) => uploadPart(run.transport, target, part.partNumber, part.contentSha1, body, attempt, part.extra),
  };
}

/**
 * Runs one upload with server-issued authorizations. Emits the events of `Bucket.uploadFile`
 * (`sent`, monotonic `uploadProgress`, for large files `largeFileStarted` and `partUploaded`, and
 * `response` with the file's wire fields last). A failed attempt (network, 5xx, 401 expired token)
 * asks the authorizer for a fresh URL and tries again by B2's retry rules. Unsubscribing aborts
 * what is in flight and asks the server to cancel a started large file.
 */
export function authorizedUpload(run: AuthorizedUploadRun): Observable<B2LargeUploadEvent<B2FileWire>> {
  return defer(() => {
    const scheduler = run.retry.scheduler ?? asyncScheduler;
    const deps: UploadDeps = { api: authorizerApi(run), uploadUrls: new UploadUrlPool(), retry: run.retry, progressIntervalMs: run.progressIntervalMs, scheduler };
    const events = run.large
      ? largeAuthorized(run, deps).pipe(throttleProgress<B2LargeUploadEvent<B2FileWire>>(run.progressIntervalMs, scheduler))
      : uploadSmallFile(deps, 'file', run.source, { fileName: run.fileName, contentType: run.contentType, fileInfo: run.fileInfo, protection: {} });
    return events.pipe(catchError((err: unknown) => throwError(() => explainExpired(err))));
  });
}

function largeAuthorized(run: AuthorizedUploadRun, deps: UploadDeps): Observable<B2LargeUploadEvent<B2FileWire>> {
  const large = run.authorizer.largeFile!;
  return defer(() =>
    first(large.start({ fileName: run.fileName, contentType: run.contentType, contentLength: run.source.size, fileInfo: run.fileInfo }), 'authorizer.largeFile.start'),
  ).pipe(
    switchMap((answer) => {
      const started = checkStart(answer, run.fileName);
      let plan: ReturnType<typeof planParts>;
      try {
        plan = planParts(run.source.size, started.partSize);
      } catch (err) {
        // The server started a file this upload cannot use: cancel it, then fail.
        return defer(() => first(large.cancel(started.fileId), 'authorizer.largeFile.cancel')).pipe(
          catchError(() => [null]),
          switchMap(() => throwError(() => err)),
        );
      }
      const steps: LargeUploadSteps = {
        start: () => defer(() => [{ fileId: started.fileId, resumed: false, partsDone: new Map<number, string>() }]),
        uploadPart: (fileId, part) =>
          uploadPartBody(deps, fileId, { partNumber: part.partNumber, source: run.source, offset: part.offset, length: part.length, knownSha1: undefined }),
        finish: (fileId, partSha1Array) =>
          defer(() => first(large.finish(fileId, partSha1Array), 'authorizer.largeFile.finish')).pipe(map((a) => checkFile(a, 'authorizer.largeFile.finish'))),
        cancel: (fileId) => defer(() => first(large.cancel(fileId), 'authorizer.largeFile.cancel')),
      };
      return runLargeUpload(steps, {
        fileName: run.fileName,
        size: run.source.size,
        partSize: plan.partSize,
        parts: plan.parts,
        concurrency: run.concurrency,
        keepOnFailure: false,
      });
    }),
  );
}
