/**
 * An Angular-style upload service over rxb2: a Blob (a browser `File`) goes up to a bucket while the
 * UI follows `progress$`. It has no Angular dependency, so it compiles and is tested here in Node;
 * in an Angular app, decorate the class as shown below and import from 'rxb2' instead of '../../src'.
 *
 * What is shared and what is not:
 * - `upload()` returns a cold Observable: each subscription is one upload run (nothing is sent
 *   before subscribe; unsubscribing aborts it). The upload is never shared or replayed.
 * - `progress$` is derived from the events of the latest run and shared with
 *   `shareReplay({ bufferSize: 1, refCount: true })`, so any number of template bindings read one
 *   value and a binding that appears late still sees the current fraction.
 */
import {
  BehaviorSubject, Observable, Subject, defer, distinctUntilChanged, of, shareReplay, switchMap, takeUntil, tap,
} from 'rxjs';
import { toResponseBody, type B2File, type B2UploadEvent, type Bucket, type UploadFileOptions } from '../../src';

/** Upload settings passed through to `bucket.uploadFile` (part size, parts in flight, threshold). */
export type UploadServiceOptions = Pick<UploadFileOptions, 'partSize' | 'concurrency' | 'largeFileThreshold' | 'contentType'>;

/** The fraction of an upload done, 0..1, after one of its events (undefined: no change). */
function fractionOf(event: B2UploadEvent, size: number): number | undefined {
  switch (event.type) {
    case 'uploadProgress': {
      const total = event.total ?? size;
      return total > 0 ? Math.min(1, event.loaded / total) : undefined;
    }
    case 'response':
      return 1;
    default:
      return undefined;
  }
}

// In an Angular app the decorator goes here, with a factory that provides the bucket (see the
// README's "Angular" section for one that gets a restricted key from the server per upload):
//   @Injectable({ providedIn: 'root', useFactory: () => new UploadService(bucket$) })
export class UploadService {
  /** The progress of the latest run; a new run replaces it. */
  private readonly current = new BehaviorSubject<Observable<number>>(of(0));
  private readonly cancels = new Subject<void>();

  /**
   * Progress of the latest upload as a fraction from 0 to 1: 0 when it starts, rising (never
   * falling, also across retries), 1 once the file is on B2. Before any upload it is 0. A failed or
   * cancelled upload leaves the last value. Shared: one computation for every subscriber, the
   * current value replayed to late ones; it never completes.
   */
  readonly progress$: Observable<number> = this.current.pipe(
    switchMap((run) => run),
    distinctUntilChanged(),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** @param bucket$ where files go: emits the bucket (looked up on each upload's subscribe). */
  constructor(
    private readonly bucket$: Observable<Bucket>,
    private readonly options: UploadServiceOptions = {},
  ) {}

  /**
   * Uploads `file` as `name`. Emits the uploaded `B2File` once and completes. Errors with a
   * `B2Error` when the upload fails after rxb2's retries. Cold: nothing happens before subscribe,
   * and each subscription is a separate upload, which `progress$` then follows. Unsubscribing, or
   * `cancel()`, aborts the requests in flight and cancels a large file on B2; after `cancel()` the
   * Observable completes without emitting.
   */
  upload(file: Blob, name: string): Observable<B2File> {
    return defer(() => {
      // This run's own progress: a BehaviorSubject, so progress$ subscribers see where it is.
      const fraction = new BehaviorSubject(0);
      this.current.next(fraction);
      return this.bucket$.pipe(
        switchMap((bucket) => bucket.uploadFile({ ...this.options, contents: file, fileName: name })),
        tap((event) => {
          const f = fractionOf(event, file.size);
          if (f !== undefined && f > fraction.value) fraction.next(f);
        }),
        takeUntil(this.cancels),
        toResponseBody(),
      );
    });
  }

  /** Cancels every upload of this service in flight (they complete without a file). */
  cancel(): void {
    this.cancels.next();
  }
}
