/**
 * The B2 side of a large upload: start (or find the unfinished file to resume and check its parts
 * against the source), upload one part through the part-URL pool, finish, cancel.
 */
import { Observable, catchError, defer, filter, first, from, map, mergeMap, of, reduce, switchMap, throwError } from 'rxjs';
import type { B2Api } from '../api/b2-api';
import { startLargeFileRequest } from '../api/large-files';
import { customerKeyHeaders } from '../api/protection-wire';
import type { B2FileWire, B2PartWire } from '../api/wire';
import { B2Error, invalidArgument } from '../http/b2-error';
import { platform } from '../platform';
import { paginate } from '../operators/paginate';
import { type LargeUploadCheckpoint, type LargeUploadSteps, type PartEvent } from './large-file-pipeline';
import type { PartDescriptor } from './part-plan';
import { uploadPartBody, type UploadMetadata } from './upload';
import type { TransferDeps } from './transfer-deps';
import { bytesSource, sourceChanged, type UploadSource } from './upload-source';
import type { StreamParts } from './stream-parts';

export interface ResumeOptions {
  /** Look for a matching unfinished large file (same name, content type and file info) and reuse its parts. */
  resume?: boolean;
  /** Resume exactly this upload (from another process's checkpoint). */
  checkpoint?: LargeUploadCheckpoint;
}

/** The whole-file SHA-1 a large upload records, and the parts' SHA-1s when it was hashed ahead. */
export interface WholeFileSha1 {
  /** What `large_file_sha1` holds on a new large file (and must hold on a resumed one); undefined: none. */
  sha1: string | undefined;
  /** Each part's SHA-1 from the same read (files and Blobs hashed ahead): parts are sent with them. */
  partSha1s?: readonly string[];
  /** The caller turned the whole-file SHA-1 off (`largeFileSha1: false`). */
  skipped?: boolean;
}

/** What one large upload is: where it goes, what it reads, its parts, and how it may resume. */
export interface LargeUploadPlan {
  bucketId: string;
  source: UploadSource;
  meta: UploadMetadata;
  /** Every part of the source (none for a stream of unknown length: `streamParts` cuts them). */
  parts: readonly PartDescriptor[];
  resume: ResumeOptions;
  /** For a one-shot stream: its parts, read in order as they start. */
  streamParts: StreamParts | null;
  /** The whole-file SHA-1 to record (default: none). */
  whole?: WholeFileSha1;
}

export function largeUploadSteps(deps: TransferDeps, plan: LargeUploadPlan): LargeUploadSteps {
  const { api } = deps;
  const { bucketId, source, meta, parts, resume, streamParts } = plan;
  const whole = plan.whole ?? { sha1: undefined };
  const planned = new Map(parts.map((p) => [p.partNumber, p]));
  // Every part of an SSE-C large file repeats the key (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api).
  const partHeaders = customerKeyHeaders(meta.protection.serverSideEncryption);
  // Files and Blobs are read from their byte ranges; a stream's part is read into memory as it starts.
  const partSource = (part: PartDescriptor): Observable<{ source: UploadSource; offset: number; length: number }> =>
    streamParts
      ? defer(() => from(streamParts.read(part))).pipe(map((bytes) => ({ source: bytesSource(bytes, `part ${part.partNumber}`), offset: 0, length: bytes.length })))
      : of({ source, offset: part.offset, length: part.length });

  /** Parts of an unfinished file whose length and SHA-1 match the source; others get re-sent. */
  const verifiedParts = (fileId: string): Observable<Map<number, string>> =>
    paginate(
      (start: number | undefined) => api.listParts({ fileId, startPartNumber: start, maxPartCount: 1000 }),
      (page) => page.nextPartNumber,
      (page) => page.parts,
    ).pipe(
      filter((p: B2PartWire) => planned.get(p.partNumber)?.length === p.contentLength),
      // Hashed ahead: the parts' SHA-1s are at hand; otherwise each part is read again.
      mergeMap(
        (p) =>
          (whole.partSha1s?.[p.partNumber - 1] !== undefined ? of(whole.partSha1s[p.partNumber - 1]) : sha1Of(source, planned.get(p.partNumber)!)).pipe(
            map((sha1) => (sha1 === p.contentSha1 ? ([p.partNumber, p.contentSha1] as const) : null)),
          ),
        2,
      ),
      reduce((done, entry) => (entry ? done.set(entry[0], entry[1]) : done), new Map<number, string>()),
    );

  /** Unfinished large files whose names start with `meta.fileName`, oldest first. */
  const unfinishedOfName = (): Observable<B2FileWire> =>
    paginate(
      (startFileId: string | undefined) => api.listUnfinishedLargeFiles({ bucketId, namePrefix: meta.fileName, startFileId, maxFileCount: 100 }),
      (page) => page.nextFileId,
      (page) => page.files,
    );

  /** Unfinished large files of this name, content type and file info, oldest first. */
  const findUnfinished = (): Observable<B2FileWire> =>
    unfinishedOfName().pipe(
      filter((f) => f.fileName === meta.fileName && sameInfo(f.fileInfo, meta.fileInfo) && (meta.contentType === 'b2/x-auto' || f.contentType === meta.contentType)),
    );

  /** The unfinished large file `fileId` (named `meta.fileName`), or undefined when it is not unfinished. */
  const unfinishedById = (fileId: string): Observable<B2FileWire | undefined> =>
    unfinishedOfName().pipe(
      // The listing stops at the match: no page past it is asked for.
      first((f) => f.fileId === fileId, undefined as B2FileWire | undefined),
    );

  /**
   * A checkpoint's large file recorded its `large_file_sha1` when it started: the source must
   * still have it, or the finished file could never be downloaded whole (its check would fail).
   */
  const checkRecordedSha1 = (found: B2FileWire | undefined) => {
    const recorded = found?.fileInfo?.large_file_sha1?.toLowerCase();
    if (!recorded || recorded === whole.sha1) return;
    if (whole.sha1 === undefined) {
      throw invalidArgument(
        'largeFileSha1',
        whole.skipped
          ? `false, but the upload of the checkpoint recorded large_file_sha1 ${recorded} when it started: it cannot be resumed without checking it (leave largeFileSha1 out, or pass the SHA-1)`
          : `the upload of the checkpoint recorded large_file_sha1 ${recorded}, and this source's SHA-1 is not known to check it`,
      );
    }
    throw new B2Error({
      status: 0,
      code: 'source_changed',
      message:
        `checkpoint: ${source.description} changed since the upload of the checkpoint started: its SHA-1 is now ${whole.sha1}, ` +
        `its large file ${found!.fileId} recorded ${recorded}. Finishing it would store a file whose whole-file check fails on every download; ` +
        'upload it anew (without the checkpoint). The unfinished large file is left as it is.',
    });
  };

  /** The newest matching unfinished file (the list is oldest first). */
  const findResumable = (): Observable<B2FileWire | undefined> => findUnfinished().pipe(reduce((_, f) => f as B2FileWire | undefined, undefined as B2FileWire | undefined));

  /** A lost-start clean-up that failed at start, tried again after finish. */
  let retryCleanup: Observable<unknown> | undefined;

  /**
   * Unfinished files of the same name and file info that our start attempts made before the one
   * that answered (started within the attempts' window, server time): cancelled.
   */
  const cancelLostStarts = (ours: B2FileWire, windowMs: number): Observable<unknown> =>
    findUnfinished().pipe(
      filter((f) => f.fileId !== ours.fileId && f.uploadTimestamp <= ours.uploadTimestamp && f.uploadTimestamp >= ours.uploadTimestamp - windowMs - 1000),
      mergeMap((f) => api.cancelLargeFile({ fileId: f.fileId! }).pipe(catchError(() => of(null))), 2),
      reduce(() => null, null),
    );

  return {
    start: () =>
      defer(() => {
        const fresh = () => {
          let attempts = 0;
          const firstAttempt = deps.scheduler.now();
          return api
            .startLargeFile(startLargeFileRequest({ bucketId, fileName: meta.fileName, contentType: meta.contentType, fileInfo: meta.fileInfo }, meta.protection), {
              onAttempt: (n) => (attempts = n),
            })
            .pipe(
              // A retried start may have started a file whose answer was lost: cancel that one.
              // Best effort: a failed clean-up must not fail an upload whose own file started;
              // it is tried again once the upload finished.
              switchMap((f) => {
                if (attempts <= 1) return of(f);
                const cleanup = cancelLostStarts(f, deps.scheduler.now() - firstAttempt);
                return cleanup.pipe(
                  map(() => f),
                  catchError(() => {
                    retryCleanup = cleanup;
                    return of(f);
                  }),
                );
              }),
              map((f) => ({ fileId: f.fileId!, resumed: false, partsDone: new Map<number, string>() })),
            );
        };
        if (resume.checkpoint) {
          const cp = resume.checkpoint;
          if (cp.fileName !== meta.fileName || cp.size !== source.size) {
            throw new B2Error({ status: 0, code: 'invalid_argument', field: 'checkpoint', message: 'checkpoint: it belongs to another file (name or size differ)' });
          }
          return unfinishedById(cp.fileId).pipe(
            switchMap((found) => {
              checkRecordedSha1(found);
              return verifiedParts(cp.fileId);
            }),
            map((partsDone) => ({ fileId: cp.fileId, resumed: true, partsDone })),
          );
        }
        if (!resume.resume) return fresh();
        return findResumable().pipe(
          switchMap((found) => (found ? verifiedParts(found.fileId!).pipe(map((partsDone) => ({ fileId: found.fileId!, resumed: true, partsDone }))) : fresh())),
        );
      }),

    uploadPart: (fileId, part) =>
      partSource(part).pipe(
        switchMap((p): Observable<PartEvent> =>
          p.length === 0 && part.partNumber > 1
            ? // The stream ended on the previous part's last byte: nothing to send.
              of({ type: 'skipped' })
            : uploadPartBody(deps, fileId, {
                partNumber: part.partNumber,
                source: p.source,
                offset: p.offset,
                length: p.length,
                // Hashed ahead: B2 checks the part against the SHA-1 of the bytes that made large_file_sha1.
                knownSha1: streamParts ? undefined : whole.partSha1s?.[part.partNumber - 1],
                extra: partHeaders,
              }).pipe(
                catchError((err: unknown) => {
                  // B2 refused the part's bytes for its SHA-1, computed ahead from the same file: the file
                  // changed between its hashing and this read.
                  if (!streamParts && whole.partSha1s && err instanceof B2Error && err.status === 400 && /sha1|checksum/i.test(err.message)) {
                    return throwError(() => sourceChanged(source.description, `part ${part.partNumber} is no longer what was hashed before the upload`));
                  }
                  return throwError(() => err);
                }),
              ),
        ),
      ),

    finish: (fileId, partSha1Array) =>
      finishOnce(api, fileId, partSha1Array).pipe(
        switchMap((file) =>
          retryCleanup
            ? retryCleanup.pipe(
                catchError(() => of(null)),
                map(() => file),
              )
            : of(file),
        ),
        map((file) => {
          deps.uploadUrls.clear(fileId);
          return file;
        }),
      ),

    checkSource: source.checkUnchanged ? () => defer(() => source.checkUnchanged!()) : undefined,

    cancel: (fileId) =>
      defer(() => {
        deps.uploadUrls.clear(fileId);
        return api.cancelLargeFile({ fileId });
      }),
  };
}

function sameInfo(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * One part's SHA-1, each chunk hashed before the next is read: one buffer serves them all (see
 * UploadSource.read). Emits the hex digest once; unsubscribing stops the reading after the chunk
 * in hand.
 */
function sha1Of(source: UploadSource, part: PartDescriptor): Observable<string> {
  return defer(() => {
    const hash = platform.createSha1();
    let buffer: Uint8Array | undefined;
    return from(source.read(part.offset, part.length, () => (buffer ??= new Uint8Array(1 << 20)))).pipe(
      reduce((h, chunk) => {
        h.update(chunk);
        return h;
      }, hash),
      map((h) => h.digest()),
    );
  });
}

/**
 * b2_finish_large_file, safe to retry: when an earlier attempt finished the file but its answer
 * was lost, the retry is refused (the file is no longer unfinished); the file, found finished
 * under the same id, is then the result.
 */
export function finishOnce(api: B2Api, fileId: string, partSha1Array: string[]): Observable<B2FileWire> {
  return api.finishLargeFile({ fileId, partSha1Array }).pipe(
    catchError((err: unknown) => {
      if (!(err instanceof B2Error) || err.status !== 400) return throwError(() => err);
      return api.getFileInfo({ fileId }).pipe(
        catchError(() => throwError(() => err)),
        switchMap((file) => (file.action === 'upload' ? of(file) : throwError(() => err))),
      );
    }),
  );
}
