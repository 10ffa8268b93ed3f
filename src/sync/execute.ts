/**
 * Carrying out a sync plan: batch by batch (the next batch is planned only once this one is done,
 * so memory stays flat), each batch's steps through `mergeMap` with a concurrency limit.
 */
import { EMPTY, Observable, catchError, concat, concatWith, defer, expand, from, map, mergeMap, of, throwError } from 'rxjs';
import type { Pager } from './merge-listings';
import type { RemoteVersion, SyncAction } from './plan';
import { B2SyncError, failureReason, type B2SyncFailure } from './sync-error';

/** Bytes moved so far by one step (uploads and downloads report them as they go). */
export interface SyncStepProgress {
  loaded: number;
}

/** How each kind of step is done (a fake in specs; the bucket and the file system in a real sync). */
export interface SyncExecutor<V extends RemoteVersion = RemoteVersion> {
  /** Emits bytes sent as they go; completes once the file is stored; errors with the reason. */
  upload(action: SyncAction<V>): Observable<SyncStepProgress>;
  download(action: SyncAction<V>): Observable<SyncStepProgress>;
  /** Deletes `action.versions` on B2, or the local file (`action.where`). */
  delete(action: SyncAction<V>): Observable<SyncStepProgress>;
  hide(action: SyncAction<V>): Observable<SyncStepProgress>;
}

/** Totals of a sync so far. `filesTotal`/`bytesTotal` grow as the plan is made, page after page; the `summary` event has the final ones. */
export interface B2SyncProgress {
  /** Steps finished so far (uploads, downloads, deletes, hides). */
  filesDone: number;
  /** Steps failed so far (each also a `failed` event, and listed in the final `B2SyncError`). */
  filesFailed: number;
  /** Steps planned so far that do something (skips are not counted). */
  filesTotal: number;
  /** Bytes moved so far: those of finished steps, and what the steps in flight sent or received. */
  bytesDone: number;
  /** Bytes the steps planned so far move (a file's size per upload or download). */
  bytesTotal: number;
}

/**
 * What a sync emits: each planned step (`planned`, skips included, in name order, batch by batch),
 * bytes moving (`progress`), each finished step (`done`), and, unless the sync stops at the first
 * failure, each failed one (`failed`); last, once both listings were read to the end and every step
 * ran, `summary` with the final totals. A dry run emits `planned` and `summary`.
 */
export type B2SyncEvent<V extends RemoteVersion = RemoteVersion> =
  | {
      /** A step was decided, before it runs (a skip does not run, unless its local file has a `problem`: then it fails). */
      type: 'planned';
      /** The step: what, on which name, and why. */
      action: SyncAction<V>;
    }
  | {
      /** Bytes of a step moved (at each progress event of its transfer). */
      type: 'progress';
      /** The step moving bytes. */
      action: SyncAction<V>;
      /** The sync's totals now. */
      progress: B2SyncProgress;
    }
  | {
      /** A step finished. */
      type: 'done';
      /** The step that finished. */
      action: SyncAction<V>;
      /** The sync's totals, this step counted. */
      progress: B2SyncProgress;
    }
  | {
      /** A step failed; the sync carries on (without `failFast`). */
      type: 'failed';
      /** The step that failed. */
      action: SyncAction<V>;
      /** Why, in words (as in `B2SyncFailure.reason`). */
      reason: string;
      /** What was raised: a `B2Error`, or the platform's error for a local file. */
      error: unknown;
      /** The sync's totals, this failure counted. */
      progress: B2SyncProgress;
    }
  | {
      /** The last event: both sides were read to the end and every step ran. */
      type: 'summary';
      /** The final totals. */
      progress: B2SyncProgress;
    };

export interface RunSettings {
  concurrency: number;
  dryRun: boolean;
  failFast: boolean;
}

const BATCH_DONE = Symbol('batch done');

/**
 * Runs `plan` with `executor`. Completes after the last step when all went well; errors with
 * `B2SyncError` (`sync_failed`, every failure listed) after the last step when some failed, or at
 * the first failure with `failFast` (the steps in flight are then unsubscribed: aborted). A plan
 * that errors (a listing failed) ends the sync with that error. Unsubscribing stops everything.
 */
export function runSync<V extends RemoteVersion>(plan: Pager<SyncAction<V>>, executor: SyncExecutor<V>, settings: RunSettings): Observable<B2SyncEvent<V>> {
  return defer(() => {
    const totals = { filesDone: 0, filesFailed: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    const failures: B2SyncFailure[] = [];
    const moving = new Map<SyncAction<V>, number>();
    const snapshot = (): B2SyncProgress => {
      let inFlight = 0;
      for (const n of moving.values()) inFlight += n;
      return { ...totals, bytesDone: totals.bytesDone + inFlight };
    };
    const perform = (action: SyncAction<V>): Observable<B2SyncEvent<V>> => {
      const step = defer(() => {
        if (action.local?.problem !== undefined) return throwError(() => Object.assign(new Error(action.local!.problem), { code: 'local_problem' }));
        switch (action.kind) {
          case 'upload':
            return executor.upload(action);
          case 'download':
            return executor.download(action);
          case 'delete':
            return executor.delete(action);
          case 'hide':
            return executor.hide(action);
          default:
            return EMPTY;
        }
      });
      return step.pipe(
        map((p): B2SyncEvent<V> => {
          moving.set(action, Math.min(p.loaded, action.bytes));
          return { type: 'progress', action, progress: snapshot() };
        }),
        concatWith(
          defer(() => {
            moving.delete(action);
            totals.filesDone++;
            totals.bytesDone += action.bytes;
            return of<B2SyncEvent<V>>({ type: 'done', action, progress: snapshot() });
          }),
        ),
        catchError((error: unknown) => {
          moving.delete(action);
          totals.filesFailed++;
          const failure: B2SyncFailure = { action, reason: failureReason(error), error };
          failures.push(failure);
          if (settings.failFast) return throwError(() => new B2SyncError([failure], true));
          return of<B2SyncEvent<V>>({ type: 'failed', action, reason: failure.reason, error, progress: snapshot() });
        }),
      );
    };
    // A batch's `planned` events (thousands of unchanged names) go on as one array, so that `expand`
    // below looks at that array (and at each event of a step), not at each planned event.
    const batch = (): Observable<B2SyncEvent<V> | readonly B2SyncEvent<V>[] | typeof BATCH_DONE> =>
      plan().pipe(
        mergeMap((actions) => {
          if (actions.length === 0) return of<B2SyncEvent<V>>({ type: 'summary', progress: snapshot() });
          for (const a of actions) {
            if (a.kind === 'skip' && a.local?.problem === undefined) continue;
            totals.filesTotal++;
            totals.bytesTotal += a.bytes;
          }
          const planned = actions.map((action): B2SyncEvent<V> => ({ type: 'planned', action }));
          const work = settings.dryRun ? [] : actions.filter((a) => a.kind !== 'skip' || a.local?.problem !== undefined);
          // Nothing to do in this batch (a dry run, or every name unchanged): its events at once.
          if (work.length === 0) return of(planned, BATCH_DONE);
          return concat(of(planned), from(work).pipe(mergeMap(perform, settings.concurrency)), of(BATCH_DONE));
        }),
      );
    return spread(batch().pipe(expand((e) => (e === BATCH_DONE ? batch() : EMPTY)))).pipe(
      concatWith(defer(() => (failures.length > 0 ? throwError(() => new B2SyncError(failures, false)) : EMPTY))),
    );
  });
}

/** Every event, one by one: those that come in an array (a batch's planned events) in turn; the batch markers left out. */
function spread<E>(source: Observable<E | readonly E[] | typeof BATCH_DONE>): Observable<E> {
  return new Observable<E>((subscriber) =>
    source.subscribe({
      next: (value) => {
        if (value === BATCH_DONE) return;
        if (!Array.isArray(value)) return subscriber.next(value as E);
        for (const e of value as readonly E[]) {
          // Unsubscribed (or failed) on the way: the rest of the array is not delivered.
          if (subscriber.closed) return;
          subscriber.next(e);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    }),
  );
}
