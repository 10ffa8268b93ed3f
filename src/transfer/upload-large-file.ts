/** Large uploads end to end: plan the parts, pick start or resume, run the pipeline, throttle progress. */
import { Observable, defer, firstValueFrom, switchMap } from 'rxjs';
import { invalidArgument } from '../http/b2-error';
import { throttleProgress } from '../operators/throttle-progress';
import { runLargeUpload, type B2LargeUploadEvent } from './large-upload';
import { largeUploadSteps, type ResumeOptions } from './large-upload-steps';
import { choosePartSize, planParts } from './part-plan';
import type { TransferContext, UploadMetadata } from './upload';
import { bytesSource, type UploadSource } from './upload-source';
import { StreamParts } from './stream-parts';

export interface LargeUploadOptions extends ResumeOptions {
  /** Bytes per part (default: the account's recommendedPartSize, grown to fit 10,000 parts). */
  partSize?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Keep the unfinished large file after a failure or an unsubscribe, to resume later. */
  keepOnFailure?: boolean;
}

/** A stream whose length is not known: parts are cut as it is read. */
export interface StreamOfUnknownLength {
  unknownLength: true;
  stream: AsyncIterable<Uint8Array>;
}

const emptySource = bytesSource(new Uint8Array(0), 'none');

export function uploadLargeFile(
  ctx: TransferContext,
  bucketId: string,
  source: UploadSource | StreamOfUnknownLength,
  meta: UploadMetadata,
  options: LargeUploadOptions,
): Observable<B2LargeUploadEvent> {
  return defer(async () => firstValueFrom(ctx.session.authorized())).pipe(
    switchMap((auth) => {
      const concurrency = options.concurrency ?? 4;
      if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw invalidArgument('concurrency', 'must be a whole number from 1 to 64');
      if (('unknownLength' in source || source.oneShot) && (options.resume || options.checkpoint)) {
        throw invalidArgument('resume', 'a stream cannot be resumed (its parts cannot be checked): upload from a file, a Blob or bytes');
      }
      const size = 'unknownLength' in source ? undefined : source.size;
      const partSize = options.checkpoint?.partSize ?? choosePartSize(size, auth, options.partSize);
      const keepOnFailure = options.keepOnFailure ?? false;
      if ('unknownLength' in source) {
        const streamParts = new StreamParts(source.stream, partSize);
        const steps = largeUploadSteps(ctx, bucketId, emptySource, meta, [], {}, streamParts);
        return runLargeUpload(steps, { fileName: meta.fileName, size, partSize, parts: streamParts.descriptors(concurrency), concurrency, keepOnFailure });
      }
      const plan = planParts(source.size, partSize);
      // The whole-file SHA-1 is known up front only for bytes in memory (reference §7A.9).
      // Only while there is room: B2 allows 10 file-info entries.
      const room = Object.keys(meta.fileInfo).length < 10;
      const fileInfo = source.sha1 && room && !('large_file_sha1' in meta.fileInfo) ? { ...meta.fileInfo, large_file_sha1: source.sha1 } : meta.fileInfo;
      const streamParts = source.oneShot ? new StreamParts(source.read(0, source.size), partSize) : null;
      const steps = largeUploadSteps(ctx, bucketId, source, { ...meta, fileInfo }, plan.parts, options, streamParts);
      return runLargeUpload(steps, { fileName: meta.fileName, size: source.size, partSize, parts: plan.parts, concurrency, keepOnFailure });
    }),
    throttleProgress<B2LargeUploadEvent>(ctx.progressIntervalMs, ctx.retry.scheduler),
  );
}
