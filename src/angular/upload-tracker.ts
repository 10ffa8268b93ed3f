/** `UploadTracker`: runs uploads for a component and follows each one as an Observable and a signal. */
import { DestroyRef, inject, signal, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { BehaviorSubject, ReplaySubject, distinctUntilChanged, type Observable, type Subscription } from 'rxjs';

/** What a tracked upload emits: rxb2's upload events (`uploadProgress`, `response`, …). */
export type TrackableEvent<T> =
  | {
      /** The event's kind: `uploadProgress` moves the progress, the others are passed over. */
      type: string;
      /** Bytes sent so far (`uploadProgress`). */
      loaded?: number;
      /** Bytes in all, when known (`uploadProgress`). */
      total?: number;
    }
  | {
      /** The upload's result, last. */
      type: 'response';
      /** The uploaded file. */
      body: T;
    };

/** Where a tracked upload stands: running, then done, failed or cancelled for good. */
export type UploadState = 'uploading' | 'done' | 'failed' | 'cancelled';

/** One upload the tracker runs. */
export interface TrackedUpload<T> {
  /** Unique within its tracker (for `@for … track`). */
  readonly id: number;
  /** The label given to `start` (usually the file name). */
  readonly name: string;
  /** Bytes, when given to `start` or known from a progress event. */
  readonly size: Signal<number | undefined>;
  /**
   * The fraction done, 0 to 1: 0 at start, rising (never falling, also across retries), 1 once
   * the file is on B2. Replays the current value; completes when the upload ends however it ends.
   */
  readonly progress$: Observable<number>;
  /** The same fraction as a signal. */
  readonly progress: Signal<number>;
  /** `uploading` until the upload ends, then `done`, `failed` or `cancelled`. */
  readonly state: Signal<UploadState>;
  /** The `response` event's body (the uploaded file) once done. */
  readonly result: Signal<T | undefined>;
  /** What the upload failed with (a `B2Error`, or the authorizer's error). */
  readonly error: Signal<unknown>;
  /**
   * Emits the result once and completes when the upload is done; errors as the upload did;
   * completes without a value when cancelled. Replayed to late subscribers; subscribing does not
   * start anything.
   */
  readonly result$: Observable<T>;
  /** Stops this upload only: unsubscribes from it (requests aborted, a large file cancelled on B2). */
  cancel(): void;
}

/**
 * Runs uploads and follows each one: its own progress (as an Observable and as a signal), its
 * state, its result, and a `cancel()` that stops that upload alone. `uploads` lists every upload
 * started (until `clear()` removes the finished ones), `inFlight` those still running.
 *
 * `start(name, upload$)` subscribes to `upload$` (any rxb2 upload: `bucket.uploadFile(…)`,
 * `uploadWithAuthorization(…)`) at once: the tracker is what starts it. Nothing is shared between
 * uploads. Created in an injection context (a component's field), it cancels the uploads still
 * running when that context is destroyed; elsewhere, call `cancelAll()`.
 *
 * @example
 * ```ts
 * readonly uploads = new UploadTracker();
 * pick(file: File) { this.uploads.start(file.name, uploadWithAuthorization({ contents: file, fileName: file.name, authorizer }), file.size); }
 * // template: @for (u of uploads.uploads(); track u.id) { <progress [value]="u.progress()"></progress> }
 * ```
 */
export class UploadTracker {
  readonly #all = signal<readonly TrackedUpload<unknown>[]>([]);
  readonly #running = new Map<number, Subscription>();
  #nextId = 1;

  /** Every upload started, oldest first, until `clear()`. */
  readonly uploads: Signal<readonly TrackedUpload<unknown>[]> = this.#all.asReadonly();
  /** The uploads still running: the one source of `inFlight$` and `inFlight`, set as an upload starts and as it ends. */
  readonly #inFlight$ = new BehaviorSubject<readonly TrackedUpload<unknown>[]>([]);
  /** The uploads still running, as an Observable: the current list at once, then each change; never completes. */
  readonly inFlight$: Observable<readonly TrackedUpload<unknown>[]> = this.#inFlight$.asObservable();
  /** The uploads still running, as a signal (the same list as `inFlight$`). */
  readonly inFlight: Signal<readonly TrackedUpload<unknown>[]> = toSignal(this.#inFlight$, { requireSync: true, manualCleanup: true });

  /** @param destroyRef cancels the running uploads when destroyed; default: the injection context's, if created in one. */
  constructor(destroyRef?: DestroyRef) {
    if (!destroyRef) {
      try {
        destroyRef = inject(DestroyRef);
      } catch {
        // Not in an injection context: the owner calls cancelAll().
      }
    }
    destroyRef?.onDestroy(() => this.cancelAll());
  }

  /** Starts `upload$` (subscribes to it now) and tracks it; `size` helps before the first progress event. */
  start<T>(name: string, upload$: Observable<TrackableEvent<T>>, size?: number): TrackedUpload<T> {
    const id = this.#nextId++;
    // A ReplaySubject, not a BehaviorSubject: it replays the last value after completing too.
    const fraction = new ReplaySubject<number>(1);
    fraction.next(0);
    const progress = signal(0);
    const state = signal<UploadState>('uploading');
    const result = signal<T | undefined>(undefined);
    const error = signal<unknown>(undefined);
    const sizeSignal = signal<number | undefined>(size);
    const result$ = new ReplaySubject<T>(1);
    const advance = (value: number) => {
      if (value > progress()) {
        progress.set(value);
        fraction.next(value);
      }
    };
    const end = (how: UploadState) => {
      state.set(how);
      this.#running.delete(id);
      this.#inFlight$.next(this.#all().filter((u) => u.state() === 'uploading'));
      fraction.complete();
    };
    const tracked: TrackedUpload<T> = {
      id,
      name,
      size: sizeSignal.asReadonly(),
      progress$: fraction.pipe(distinctUntilChanged()),
      progress: progress.asReadonly(),
      state: state.asReadonly(),
      result: result.asReadonly(),
      error: error.asReadonly(),
      result$: result$.asObservable(),
      cancel: () => {
        const running = this.#running.get(id);
        if (!running) return;
        running.unsubscribe();
        end('cancelled');
        result$.complete();
      },
    };
    this.#all.update((list) => [...list, tracked as TrackedUpload<unknown>]);
    this.#inFlight$.next([...this.#inFlight$.value, tracked as TrackedUpload<unknown>]);
    let body: { value: T } | undefined;
    const subscription = upload$.subscribe({
      next: (event) => {
        if (event.type === 'response') {
          body = { value: (event as { body: T }).body };
          return;
        }
        const { loaded, total } = event as { loaded?: number; total?: number };
        if (event.type !== 'uploadProgress' || typeof loaded !== 'number') return;
        if (typeof total === 'number' && total > 0 && sizeSignal() !== total) sizeSignal.set(total);
        const of = total ?? sizeSignal();
        if (of !== undefined && of > 0) advance(Math.min(1, loaded / of));
      },
      error: (err: unknown) => {
        error.set(err);
        end('failed');
        result$.error(err);
      },
      complete: () => {
        if (!body) {
          // Ended without a file (an operator downstream of the upload cut it short): cancelled.
          end('cancelled');
          result$.complete();
          return;
        }
        result.set(body.value);
        advance(1);
        end('done');
        result$.next(body.value);
        result$.complete();
      },
    });
    if (state() === 'uploading') this.#running.set(id, subscription);
    return tracked;
  }

  /** Cancels every upload still running. */
  cancelAll(): void {
    for (const upload of this.#all()) upload.cancel();
  }

  /** Forgets the uploads that ended (done, failed or cancelled); running ones stay. */
  clear(): void {
    this.#all.update((list) => list.filter((u) => u.state() === 'uploading'));
  }
}
