/** Large uploads end to end: plan the parts, pick start or resume, run the pipeline, throttle progress. */
import { Observable, of, switchMap } from 'rxjs';
import { invalidArgument } from '../http/b2-error';
import { throttleProgress } from '../operators/throttle-progress';
import { runLargeUpload, type B2LargeUploadEvent } from './large-file-pipeline';
import { largeUploadSteps, type ResumeOptions, type WholeFileSha1 } from './large-file-on-b2';
import { choosePartSize, planParts } from './part-plan';
import type { UploadMetadata } from './upload';
import type { TransferDeps } from './transfer-deps';
import { bytesSource, type UploadSource } from './upload-source';
import { StreamParts } from './stream-parts';

/**
 * How a large file is uploaded (https://www.backblaze.com/docs/cloud-storage-large-files): part size
 * and concurrency, what happens to it after a failure, resuming, and its whole-file SHA-1. Bad
 * values fail with `invalid_argument` naming the option, before any request.
 */
export interface LargeUploadOptions extends ResumeOptions {
  /** Bytes per part (default: the account's recommendedPartSize, grown to fit 10,000 parts). */
  partSize?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Keep the unfinished large file after a failure or an unsubscribe, to resume later. */
  keepOnFailure?: boolean;
  /**
   * The whole file's SHA-1, recorded as `large_file_sha1` (as b2sdk's `large_file_sha1`) so full
   * downloads can verify the whole file. Default: computed ahead of the upload for a file or a
   * Blob (off the main thread in Node), known for bytes; none for a stream. A string of 40 hex
   * digits supplies it (nothing is hashed ahead; it must be right, or downloads fail their check);
   * `false` records none (nothing hashed ahead; full downloads then verify nothing).
   */
  largeFileSha1?: string | false;
}

/**
 * Checks `largeFileSha1` against itself and `fileInfo.large_file_sha1`; returns it in lower case.
 * Errors with `invalid_argument` naming `largeFileSha1`.
 */
export function checkLargeFileSha1(value: unknown, fileInfo: Record<string, string>): string | false | undefined {
  if (value === undefined) return undefined;
  const inInfo = fileInfo.large_file_sha1;
  if (value === false) {
    if (inInfo !== undefined) throw invalidArgument('largeFileSha1', 'is false, but fileInfo.large_file_sha1 is set: leave one of them out');
    return false;
  }
  if (typeof value !== 'string' || !/^[0-9a-f]{40}$/i.test(value)) {
    throw invalidArgument('largeFileSha1', "must be the whole file's SHA-1 as 40 hexadecimal digits, or false to record none");
  }
  if (inInfo !== undefined && inInfo.toLowerCase() !== value.toLowerCase()) {
    throw invalidArgument('largeFileSha1', `differs from fileInfo.large_file_sha1 (${inInfo}): leave one of them out`);
  }
  return value.toLowerCase();
}

/** A stream whose length is not known: parts are cut as it is read. */
export interface StreamOfUnknownLength {
  unknownLength: true;
  stream: AsyncIterable<Uint8Array>;
}

const emptySource = bytesSource(new Uint8Array(0), 'none');

/**
 * Uploads `source` as a large file: plans the parts (or cuts a stream's as it is read), hashes a
 * file or a Blob ahead for `large_file_sha1`, starts or resumes the large file and runs its parts.
 * Emits `largeFileStarted`, throttled monotonic `uploadProgress`, a `partUploaded` per part and
 * `response` with the file last. Errors with `invalid_argument` for a stream asked to resume, or
 * B2's error after the retries (the large file cancelled unless `keepOnFailure`). Cold;
 * unsubscribing aborts what is in flight and cancels the large file unless `keepOnFailure`.
 */
export function uploadLargeFile(
  deps: TransferDeps,
  bucketId: string,
  source: UploadSource | StreamOfUnknownLength,
  meta: UploadMetadata,
  options: LargeUploadOptions,
): Observable<B2LargeUploadEvent> {
  return deps.api.authorization().pipe(
    switchMap((auth) => {
      const concurrency = options.concurrency ?? 4;
      if (('unknownLength' in source || source.oneShot) && (options.resume || options.checkpoint)) {
        throw invalidArgument('resume', 'a stream cannot be resumed (its parts cannot be checked): upload from a file, a Blob or bytes');
      }
      const size = 'unknownLength' in source ? undefined : source.size;
      const partSize = options.checkpoint?.partSize ?? choosePartSize(size, auth, options.partSize);
      const keepOnFailure = options.keepOnFailure ?? false;
      if ('unknownLength' in source) {
        const streamParts = new StreamParts(source.stream, partSize);
        const steps = largeUploadSteps(deps, { bucketId, source: emptySource, meta, parts: [], resume: {}, streamParts });
        return runLargeUpload(steps, { fileName: meta.fileName, size, partSize, parts: streamParts.descriptors(concurrency), concurrency, keepOnFailure });
      }
      const plan = planParts(source.size, partSize);
      const streamParts = source.oneShot ? new StreamParts(source.read(0, source.size), partSize) : null;
      return wholeFileSha1(source, meta.fileInfo, options, partSize).pipe(
        switchMap((whole) => {
          // Recorded as large_file_sha1, the file info B2 recommends for large files
          // (https://www.backblaze.com/apidocs/b2-start-large-file), while there is room: B2 allows 10 entries.
          const room = Object.keys(meta.fileInfo).length < 10;
          const fileInfo = whole.sha1 && room && !('large_file_sha1' in meta.fileInfo) ? { ...meta.fileInfo, large_file_sha1: whole.sha1 } : meta.fileInfo;
          const steps = largeUploadSteps(deps, { bucketId, source, meta: { ...meta, fileInfo }, parts: plan.parts, resume: options, streamParts, whole });
          return runLargeUpload(steps, { fileName: meta.fileName, size: source.size, partSize, parts: plan.parts, concurrency, keepOnFailure });
        }),
      );
    }),
    throttleProgress<B2LargeUploadEvent>(deps.progressIntervalMs, deps.scheduler),
  );
}

/**
 * The whole-file SHA-1 this upload records, and the parts' SHA-1s when the source is hashed ahead.
 * Supplied (`largeFileSha1`, or `fileInfo.large_file_sha1`): taken as is. Turned off: none. Bytes
 * in memory: theirs. A file or a Blob: read once ahead of the upload (when there is room to
 * record it, or to check a checkpoint's). A stream: none (it can be read only once). Emits once;
 * unsubscribing stops the hashing.
 */
function wholeFileSha1(source: UploadSource, fileInfo: Record<string, string>, options: LargeUploadOptions, partSize: number): Observable<WholeFileSha1> {
  const option = options.largeFileSha1;
  if (typeof option === 'string') return of({ sha1: option.toLowerCase() });
  if (option === false) return of({ sha1: undefined, skipped: true });
  const given = fileInfo.large_file_sha1;
  if (given !== undefined) return of({ sha1: /^[0-9a-f]{40}$/i.test(given) ? given.toLowerCase() : undefined });
  if (source.sha1) return of({ sha1: source.sha1 });
  const room = Object.keys(fileInfo).length < 10;
  if (!source.hashAhead || (!room && !options.checkpoint)) return of({ sha1: undefined });
  const hashAhead = source.hashAhead.bind(source);
  return new Observable<WholeFileSha1>((subscriber) => {
    const stop = new AbortController();
    hashAhead(partSize, stop.signal).then(
      (hashed) => {
        subscriber.next({ sha1: hashed.sha1, partSha1s: hashed.partSha1s });
        subscriber.complete();
      },
      (err: unknown) => subscriber.error(err),
    );
    return () => stop.abort();
  });
}
