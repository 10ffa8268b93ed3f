/**
 * The large-file pipeline: part descriptors into `mergeMap(…, concurrency)`, each part with its
 * own upload-part URL from the pool, its SHA-1 and the retry operator; `b2_finish_large_file`
 * with the SHA-1s in part order; the large file cancelled after a failure or an unsubscribe
 * (unless kept for resuming). Never a "success" with a missing part.
 */
import { Observable, concat, defer, from, ignoreElements, map, mergeMap, of, switchMap, throwError, catchError, type OperatorFunction } from 'rxjs';
import type { B2FileWire, B2PartWire } from '../api/wire';
import type { B2Event, B2ResponseEvent, B2UploadProgressEvent } from '../http/events';
import { B2Error } from '../http/b2-error';
import type { PartDescriptor } from './part-plan';
import { monotonicProgress } from './progress';

/** Enough to resume an upload from another process: serializable as JSON. */
export interface LargeUploadCheckpoint {
  /** The unfinished large file's id on B2. */
  fileId: string;
  /** Its name: a resume of another name (or size) is refused with `invalid_argument` naming `checkpoint`. */
  fileName: string;
  /** Total bytes; undefined for a stream of unknown length. */
  size: number | undefined;
  /** Bytes per part (the last may be shorter): a resume cuts the parts the same way. */
  partSize: number;
  /** Parts already on B2: part number → SHA-1. */
  partsDone: Record<number, string>;
}

/**
 * A large upload's first event: the large file is started on B2
 * (https://www.backblaze.com/apidocs/b2-start-large-file), or found to resume.
 */
export interface B2LargeFileStartedEvent {
  /** Always `largeFileStarted`. */
  type: 'largeFileStarted';
  /** The large file's id on B2. */
  fileId: string;
  /** True when an unfinished large file was resumed rather than started. */
  resumed: boolean;
  /** Enough to resume from another process (`checkpoint` option), with the parts already on B2 (a resumed file's). */
  checkpoint: LargeUploadCheckpoint;
}

/** One part of a large upload is on B2 (https://www.backblaze.com/apidocs/b2-upload-part): one event per part sent. */
export interface B2PartUploadedEvent {
  /** Always `partUploaded`. */
  type: 'partUploaded';
  /** The part's number, from 1 (parts may finish out of order). */
  partNumber: number;
  /** The part's SHA-1 as B2 checked it, 40 hex digits. */
  contentSha1: string;
  /** The part's length in bytes. */
  contentLength: number;
  /** The checkpoint with this part counted: save it to resume from another process. */
  checkpoint: LargeUploadCheckpoint;
}

/**
 * The events of an upload that may go as a large file: those of one request (`sent`,
 * `uploadProgress`, `response` with `T`, the file) and, for a large file, `largeFileStarted` first
 * and a `partUploaded` per part.
 */
export type B2LargeUploadEvent<T = B2FileWire> = B2Event<T, unknown> | B2LargeFileStartedEvent | B2PartUploadedEvent;

/**
 * What one part's upload emits: its own progress, then its SHA-1 (and its length when it was only
 * known once read, for streams). `skipped`: a stream ended before this part had any bytes.
 */
export type PartEvent = { type: 'progress'; loaded: number } | { type: 'done'; contentSha1: string; contentLength?: number } | { type: 'skipped' };

/**
 * A part upload's events as the pipeline's part events: progress, then `done` with the part's
 * SHA-1 from B2's answer (the server checked the SHA-1 sent with the part). Other events are dropped.
 */
export const toPartEvents = (): OperatorFunction<B2Event<B2PartWire, unknown>, PartEvent> =>
  mergeMap((e): PartEvent[] => {
    if (e.type === 'uploadProgress') return [{ type: 'progress', loaded: e.loaded }];
    if (e.type === 'response') return [{ type: 'done', contentSha1: e.body.contentSha1, contentLength: e.body.contentLength }];
    return [];
  });

/** The steps the pipeline composes; each is a cold Observable (the seams marble specs fake). */
export interface LargeUploadSteps {
  /** Starts the large file, or finds the one to resume: its id and the parts already there. */
  start(): Observable<{ fileId: string; resumed: boolean; partsDone: ReadonlyMap<number, string> }>;
  /** Uploads one part (URL pool and retries inside). */
  uploadPart(fileId: string, part: PartDescriptor): Observable<PartEvent>;
  finish(fileId: string, partSha1Array: string[]): Observable<B2FileWire>;
  cancel(fileId: string): Observable<unknown>;
  /**
   * Checks, once every part is on B2 and before finishing, that the source did not change since
   * it was opened (a file): errors with `source_changed` when it did. Absent: nothing to check.
   */
  checkSource?(): Observable<unknown>;
}

export interface LargeUploadRun {
  fileName: string;
  /** Total bytes; undefined for a stream of unknown length. */
  size: number | undefined;
  partSize: number;
  /** Every part, or (a stream of unknown length) descriptors emitted as the stream is read. */
  parts: readonly PartDescriptor[] | Observable<PartDescriptor>;
  concurrency: number;
  /** Keep the unfinished large file on failure or unsubscribe, for resuming. */
  keepOnFailure: boolean;
}

/**
 * Runs the steps. Emits `largeFileStarted`, aggregated monotonic `uploadProgress`, a
 * `partUploaded` per part, and `response` with the finished file last. A part that fails after
 * its retries ends its in-flight siblings, skips finish, cancels the large file once (unless
 * kept) and errors. Before finishing, `checkSource` runs: its failure skips finish the same way.
 * A source that changed (`source_changed`) cancels the large file even when kept: its parts, or
 * its recorded `large_file_sha1`, no longer match the source, so it could not be resumed.
 * Unsubscribing aborts every part in flight and cancels the large file (unless kept).
 */
export function runLargeUpload(steps: LargeUploadSteps, run: LargeUploadRun): Observable<B2LargeUploadEvent> {
  // start() is called on subscribe, not here: nothing happens before subscribe.
  return defer(() => steps.start()).pipe(
    switchMap(
      ({ fileId, resumed, partsDone }) =>
        new Observable<B2LargeUploadEvent>((subscriber) => {
          const sha1s = new Map(partsDone);
          const perPart = new Map<number, number>();
          const known = Array.isArray(run.parts) ? (run.parts as readonly PartDescriptor[]) : null;
          let doneBytes = (known ?? []).filter((p) => sha1s.has(p.partNumber)).reduce((n, p) => n + p.length, 0);
          let settled = false;
          let cancelling = false;
          const checkpoint = (): LargeUploadCheckpoint => ({
            fileId,
            fileName: run.fileName,
            size: run.size,
            partSize: run.partSize,
            partsDone: Object.fromEntries(sha1s),
          });
          // Never going back is monotonicProgress's, below: a part that failed and is retried drops its count.
          const progress = (): B2UploadProgressEvent[] => {
            let inFlight = 0;
            for (const bytes of perPart.values()) inFlight += bytes;
            return [{ type: 'uploadProgress', loaded: doneBytes + inFlight, total: run.size }];
          };
          const todo = known ? from(known.filter((p) => !sha1s.has(p.partNumber))) : (run.parts as Observable<PartDescriptor>);
          const partsRun = todo.pipe(
            mergeMap(
              (part) =>
                steps.uploadPart(fileId, part).pipe(
                  mergeMap((e): B2LargeUploadEvent[] => {
                    if (e.type === 'progress') {
                      // A retried part starts again from 0: keep its best count so progress never goes back.
                      perPart.set(part.partNumber, Math.max(perPart.get(part.partNumber) ?? 0, e.loaded));
                      return progress();
                    }
                    perPart.delete(part.partNumber);
                    if (e.type === 'skipped') return [];
                    const length = e.contentLength ?? part.length;
                    doneBytes += length;
                    sha1s.set(part.partNumber, e.contentSha1);
                    return [...progress(), { type: 'partUploaded', partNumber: part.partNumber, contentSha1: e.contentSha1, contentLength: length, checkpoint: checkpoint() }];
                  }),
                ),
              run.concurrency,
            ),
          );
          const finish = defer(() => {
            // Every part from 1 to the last must be there: never a "success" with a missing part.
            const count = known ? known.length : Math.max(0, ...sha1s.keys());
            const numbers = Array.from({ length: count }, (_, i) => i + 1);
            const missing = numbers.filter((n) => !sha1s.has(n));
            if (missing.length > 0 || count === 0) {
              return throwError(() => new B2Error({ status: 0, code: 'missing_part', message: `parts ${missing.join(', ') || '1'} were not uploaded; not finishing` }));
            }
            const sha1Array = numbers.map((n) => sha1s.get(n)!);
            return steps.checkSource ? concat(steps.checkSource().pipe(ignoreElements()), steps.finish(fileId, sha1Array)) : steps.finish(fileId, sha1Array);
          }).pipe(map((file): B2ResponseEvent<B2FileWire> => ({ type: 'response', status: 200, headers: {}, body: file })));
          const all = concat(
            of<B2LargeUploadEvent>({ type: 'largeFileStarted', fileId, resumed, checkpoint: checkpoint() }),
            partsRun.pipe(monotonicProgress(doneBytes)),
            finish,
          ).pipe(
            catchError((err: unknown) => {
              if (run.keepOnFailure && !(err instanceof B2Error && err.code === 'source_changed')) return throwError(() => err);
              cancelling = true;
              // Cancel once, then the original error (a failed cancel must not hide it). The cancel is
              // not tied to this subscription: a subscriber leaving meanwhile must not abort it.
              return new Observable<never>((failed) => {
                defer(() => steps.cancel(fileId)).subscribe({ error: () => failed.error(err), complete: () => failed.error(err) });
              });
            }),
          );
          const sub = all.subscribe({
            next: (e) => subscriber.next(e),
            error: (err) => {
              settled = true;
              subscriber.error(err);
            },
            complete: () => {
              settled = true;
              subscriber.complete();
            },
          });
          return () => {
            sub.unsubscribe();
            // Abandoned mid-way: cancel on B2 so no unfinished file is left behind.
            if (!settled && !cancelling && !run.keepOnFailure) steps.cancel(fileId).subscribe({ error: () => undefined });
          };
        }),
    ),
  );
}
