/** Helpers of the sync specs: pagers made of given pages, and a pager read to its end. */
import { EMPTY, expand, takeWhile, type Observable } from 'rxjs';
import type { Pager } from '../../src/sync/merge-listings';

/** A pager handing out the given page Observables in turn. */
export function pagerOf<T>(pages: Observable<readonly T[]>[]): Pager<T> {
  let i = 0;
  return () => {
    if (i >= pages.length) throw new Error('asked for a page past the end');
    return pages[i++];
  };
}

/** Every batch of a pager until the empty one. */
export function drain<T>(pager: Pager<T>): Observable<readonly T[]> {
  return pager().pipe(
    expand((batch) => (batch.length > 0 ? pager() : EMPTY)),
    takeWhile((batch) => batch.length > 0),
  );
}
