/**
 * Two listings sorted by name, merged as two sorted streams: each side is read a page at a time,
 * and a page is asked for only when the merge has used up the previous one (`readAhead` lets a
 * side fetch one page early), so the memory held is a few pages whatever the number of names.
 */
import { Observable, ReplaySubject, defer, forkJoin, map, mergeMap, of, reduce, tap, type OperatorFunction, type Subscription } from 'rxjs';
import { B2Error } from '../http/b2-error';
import { compareNames } from './names';

/**
 * A listing read a page at a time: each call subscribes to the next page (one array, then
 * complete; an Observable that emits several arrays is taken as their concatenation). An empty
 * page is the end. Stateful: one per run.
 */
export type Pager<T> = () => Observable<readonly T[]>;

/**
 * A pager that asks for its next page as soon as one arrives, so that reading a listing (its round
 * trips) overlaps the work on the page before: one page ahead, never more (more held pages made a
 * sync no faster, and left more for the garbage collector to move). The page read ahead is
 * subscribed under `lifetime`: unsubscribing `lifetime` (the run ending, or being unsubscribed)
 * aborts it. An error of a page read ahead is delivered when that page is asked for.
 */
export function readAhead<T>(pager: Pager<T>, lifetime: Subscription): Pager<T> {
  let ahead: ReplaySubject<readonly T[]> | undefined;
  const read = (): ReplaySubject<readonly T[]> => {
    const page = new ReplaySubject<readonly T[]>(1);
    lifetime.add(pager().pipe(wholePage()).subscribe(page));
    return page;
  };
  return () =>
    defer(() => {
      const page = ahead ?? read();
      ahead = undefined;
      // The end (an empty page) is not read past.
      return page.pipe(tap((items) => (ahead = items.length > 0 ? read() : undefined)));
    });
}

/** A page that came as several arrays, as one (one array, the usual case, kept as it is; none: the empty page, the end). */
function wholePage<T>(): OperatorFunction<readonly T[], readonly T[]> {
  return reduce((page: readonly T[], part: readonly T[]) => (page.length === 0 ? part : page.concat(part)), []);
}

/** A name on one side, the other, or both. */
export interface Paired<L, R> {
  name: string;
  local?: L;
  remote?: R;
}

interface Side<T> {
  next: Pager<T>;
  page: readonly T[];
  at: number;
  ended: boolean;
}

/**
 * Merges two pagers whose items come in `compareNames` order of `nameOf`. Each call of the result
 * emits the next batch of pairs (in name order): everything that can be decided from the pages at
 * hand, asking a side for its next page only once its page is used up (both sides at once when both
 * are); an empty batch is the end.
 * A side out of order errors with `sync_failed` (a listing that is not sorted would pair the wrong names).
 */
export function mergeListings<L, R>(local: Pager<L>, remote: Pager<R>, nameOf: { local: (item: L) => string; remote: (item: R) => string }): Pager<Paired<L, R>> {
  const l: Side<L> = { next: local, page: [], at: 0, ended: false };
  const r: Side<R> = { next: remote, page: [], at: 0, ended: false };
  let lastName: string | undefined;
  const read = <T>(side: Side<T>): Observable<void> =>
    side.next().pipe(
      wholePage(),
      map((page) => {
        side.page = page;
        side.at = 0;
        if (page.length === 0) side.ended = true;
      }),
    );
  const batch = (): Observable<readonly Paired<L, R>[]> =>
    defer(() => {
      const needL = !l.ended && l.at >= l.page.length;
      const needR = !r.ended && r.at >= r.page.length;
      // Both sides out of names (at the start): their next pages are read at the same time.
      if (needL || needR) return forkJoin([needL ? read(l) : of(undefined), needR ? read(r) : of(undefined)]).pipe(mergeMap(() => batch()));
      const out: Paired<L, R>[] = [];
      // Pairs while both sides have an item at hand (or a side has ended for good).
      while ((l.ended || l.at < l.page.length) && (r.ended || r.at < r.page.length)) {
        const li = l.ended ? undefined : l.page[l.at];
        const ri = r.ended ? undefined : r.page[r.at];
        if (li === undefined && ri === undefined) break;
        const ln = li === undefined ? undefined : nameOf.local(li);
        const rn = ri === undefined ? undefined : nameOf.remote(ri);
        const order = ln === undefined ? 1 : rn === undefined ? -1 : compareNames(ln, rn);
        const pair: Paired<L, R> = order < 0 ? { name: ln!, local: li } : order > 0 ? { name: rn!, remote: ri } : { name: ln!, local: li, remote: ri };
        if (order <= 0) l.at++;
        if (order >= 0) r.at++;
        if (lastName !== undefined && compareNames(lastName, pair.name) >= 0) {
          throw new B2Error({ status: 0, code: 'sync_failed', message: `listings out of name order: ${JSON.stringify(pair.name)} after ${JSON.stringify(lastName)}` });
        }
        lastName = pair.name;
        out.push(pair);
      }
      return of(out);
    });
  return batch;
}
