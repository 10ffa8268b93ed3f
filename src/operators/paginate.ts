import { EMPTY, Observable, concatMap, defer, expand, from, take, takeLast } from 'rxjs';

/**
 * Flattens a paginated B2 listing into its items, fetching pages lazily with `expand` over the
 * `next*` cursor.
 *
 * Emits every item of page 1, then of page 2, …; completes after the page whose cursor is null.
 * A page is requested only after the previous one completed and its items were delivered, so
 * `take(5)` on a 100k-file bucket costs one call, and unsubscribing mid-listing requests nothing
 * more. Errors with the first page that fails.
 *
 * With `demand`, paging is pulled instead: before each page (the first included) paginate
 * subscribes to `demand` afresh and requests the page at its first emission, so a consumer that
 * buffers items (an async iterator) fetches a page only when it wants more (see `Listing`).
 *
 * @param fetchPage cold Observable of one page for a cursor (`undefined` for the first page);
 *   `soFar` is the number of items the pages before it held, so a listing with a limit asks
 *   only for what is left (`maxFileCount: Math.min(pageSize, limit - soFar)`)
 * @param demand emits when the consumer wants the next page (e.g. a `BehaviorSubject` filtered on
 *   "my buffer is empty"); without it every page follows the previous one at once
 * @example
 * paginate((cursor) => listFileNames(t, { bucketId, startFileName: cursor }), (p) => p.nextFileName, (p) => p.files)
 */
export function paginate<P, C, T>(
  fetchPage: (cursor: C | undefined, soFar: number) => Observable<P>,
  nextCursor: (page: P) => C | null | undefined,
  items: (page: P) => readonly T[],
  demand?: Observable<unknown>,
): Observable<T> {
  // expand subscribes to the next page right after emitting a page, even when the consumer has
  // already unsubscribed (take(5)); a closed subscriber must not start a request.
  const fetched = (cursor: C | undefined, soFar: number) =>
    new Observable<P>((subscriber) => (subscriber.closed ? undefined : fetchPage(cursor, soFar).pipe(takeLast(1)).subscribe(subscriber)));
  const page = demand
    ? (cursor: C | undefined, soFar: number) =>
        demand.pipe(
          take(1),
          concatMap(() => fetched(cursor, soFar)),
        )
    : fetched;
  return defer(() => {
    // Items of the pages fetched so far (per subscription): expand asks for the next page only
    // after the previous page's items were delivered.
    let soFar = 0;
    return page(undefined, 0).pipe(
      expand((p) => {
        soFar += items(p).length;
        const next = nextCursor(p);
        return next === null || next === undefined ? EMPTY : page(next, soFar);
      }, 1),
      concatMap((p) => from(items(p))),
    );
  });
}
