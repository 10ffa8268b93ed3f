import { BehaviorSubject, Observable, filter, type Subscription } from 'rxjs';

/**
 * A paginated B2 listing: an Observable of its items that is also an async iterable which pages
 * on demand. What `bucket.listFiles()`, `bucket.listFileVersions()`, `file.getVersions()` and
 * `b2.keys.list()` return.
 *
 * Subscribed as an Observable, it emits every item of page 1, then page 2, …, requesting each page
 * as soon as the previous one was delivered; completes after the last page; errors with the first
 * page that fails; unsubscribing aborts the request in flight and requests nothing more.
 *
 * Iterated with `for await`, it is pulled: the first page is requested by the first `next()`, and
 * the next page only once the loop has taken the last item already received, so the loop never runs
 * more than one page ahead of what it consumed, however long its body awaits. `break`, `return` or a
 * `throw` in the loop (the iterator's `return()`) unsubscribes: the request in flight is aborted and
 * no further page is requested. Items received before an error are yielded first, then the loop
 * throws the `B2Error`. Each `for await` is a run of its own (cold); nothing happens before the
 * first `next()`.
 *
 * Operators (`.pipe(...)`) return plain Observables; to iterate one of those, use
 * `eachValueFrom` from `rxjs-for-await`, which buffers whatever the Observable emits.
 *
 * @example
 * for await (const file of bucket.listFiles({ prefix: 'logs/' })) {
 *   await processLog(file); // page 2 is requested only when page 1's items are all taken
 *   if (done) break;        // aborts a page in flight; requests nothing more
 * }
 */
export class Listing<T> extends Observable<T> implements AsyncIterable<T> {
  /**
   * @param build the listing's pipeline, its pages requested at each emission of `demand` (pass it
   *   to `paginate`), or eagerly when `demand` is undefined
   */
  constructor(private readonly build: (demand?: Observable<unknown>) => Observable<T>) {
    super((subscriber) => build().subscribe(subscriber));
  }

  /**
   * Iterates the listing page by page: a page is requested only when the loop has taken every item
   * before it. Leaving the loop (`break`, `return`, an exception) unsubscribes: a page in flight is
   * aborted and nothing more is requested. A failed request rejects the pending `next()` with its `B2Error`.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const received: T[] = [];
    // True while the loop has nothing buffered: the pipeline may fetch a page.
    const hungry = new BehaviorSubject(true);
    let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
    let ended = false;
    let failed: { error: unknown } | undefined;
    let subscription: Subscription | undefined;

    const settle = () => {
      if (!waiting) return;
      const w = waiting;
      if (received.length > 0) {
        waiting = undefined;
        const value = received.shift()!;
        hungry.next(received.length === 0 && !ended);
        w.resolve({ value, done: false });
      } else if (failed) {
        waiting = undefined;
        const { error } = failed;
        failed = undefined; // thrown once; the iterator is done after
        w.reject(error);
      } else if (ended) {
        waiting = undefined;
        w.resolve({ value: undefined, done: true });
      }
    };
    const finish = (): IteratorResult<T> => {
      ended = true;
      received.length = 0;
      failed = undefined;
      subscription?.unsubscribe();
      hungry.complete();
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: undefined, done: true });
      }
      return { value: undefined, done: true };
    };

    return {
      next: () =>
        new Promise<IteratorResult<T>>((resolve, reject) => {
          if (waiting) throw new Error('Listing: next() called before the previous next() settled');
          waiting = { resolve, reject };
          // The first next() starts the run; after return() nothing starts again.
          if (!subscription && !ended)
            subscription = this.build(hungry.pipe(filter(Boolean))).subscribe({
              next: (item) => {
                received.push(item);
                hungry.next(false);
                settle();
              },
              error: (error: unknown) => {
                ended = true;
                failed = { error };
                settle();
              },
              complete: () => {
                ended = true;
                settle();
              },
            });
          settle();
        }),
      return: async () => finish(),
      throw: async () => finish(),
    };
  }
}
