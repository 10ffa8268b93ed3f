import { NEVER, Observable, Subscription, concatMap, map, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { B2Error } from '../../src';
import { mergeListings, readAhead, type Pager } from '../../src/sync/merge-listings';
import { drain, pagerOf } from './support';

describe('mergeListings (two sorted listings, a page at a time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

  it('pairs names in byte order and asks a side for its next page only once the merge used up the last', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const l1 = cold<string[]>('-x|', { x: ['a', 'c'] });
      const l2 = cold<string[]>('-x|', { x: ['e'] });
      const l3 = cold<string[]>('-x|', { x: [] });
      const r1 = cold<string[]>('-x|', { x: ['b', 'c', 'd'] });
      const r2 = cold<string[]>('-x|', { x: [] });
      const pairs = mergeListings(pagerOf([l1, l2, l3]), pagerOf([r1, r2]), { local: (s) => s, remote: (s) => s });
      const batches = drain(pairs).pipe(map((batch) => batch.map((p) => `${p.local ? 'L' : ''}${p.remote ? 'R' : ''}:${p.name}`).join(' ')));
      expectObservable(batches).toBe('--a-b-c-|', { a: 'L:a R:b LR:c', b: 'R:d', c: 'L:e' });
      // Both first pages at once (both sides start empty).
      expectSubscriptions(l1.subscriptions).toBe('^-!');
      expectSubscriptions(r1.subscriptions).toBe('^-!');
      // l2 only once l1's names are all paired: when "c" met "c".
      expectSubscriptions(l2.subscriptions).toBe('--^-!');
      expectSubscriptions(r2.subscriptions).toBe('----^-!');
      expectSubscriptions(l3.subscriptions).toBe('------^-!');
    });
  });

  it('follows UTF-8 byte order, not UTF-16: "a/b" after "a-b" and "a.b", U+1F600 after U+FFFD', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const local = pagerOf([cold<string[]>('(x|)', { x: ['a-b', 'a.b', 'a/b', '\uFFFD'] }), cold<string[]>('(x|)', { x: [] })]);
      const remote = pagerOf([cold<string[]>('(x|)', { x: ['a.b', 'a/b', 'a0', '\uFFFD', '\u{1F600}'] }), cold<string[]>('(x|)', { x: [] })]);
      const pairs = mergeListings(local, remote, { local: (s) => s, remote: (s) => s });
      const names = drain(pairs).pipe(map((batch) => batch.map((p) => `${p.local ? 'L' : ''}${p.remote ? 'R' : ''}:${p.name}`).join(' ')));
      expectObservable(names).toBe('(ab|)', { a: 'L:a-b LR:a.b LR:a/b R:a0 LR:\uFFFD', b: 'R:\u{1F600}' });
    });
  });

  it('errors when a listing is out of order (it would pair the wrong names)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const local = pagerOf([cold<string[]>('(x|)', { x: ['b', 'a'] })]);
      const remote = pagerOf([cold<string[]>('(x|)', { x: [] })]);
      const pairs = mergeListings(local, remote, { local: (s) => s, remote: (s) => s });
      expectObservable(drain(pairs)).toBe('#', undefined, new B2Error({ status: 0, code: 'sync_failed', message: 'listings out of name order: "a" after "b"' }));
    });
  });

  it('unsubscribing stops the page being read', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const l1 = cold<string[]>('-x|', { x: ['a'] });
      const r1 = cold<string[]>('-----x|', { x: ['a'] });
      const pairs = mergeListings(pagerOf([l1]), pagerOf([r1]), { local: (s) => s, remote: (s) => s });
      expectObservable(drain(pairs), '^---!').toBe('-----');
      expectSubscriptions(r1.subscriptions).toBe('^---!');
    });
  });
});

describe('readAhead (a pager one page ahead of its reader)', () => {
  /** A pager of the given pages (an Observable each), recording which pages were asked for. */
  const recorded = (pages: Observable<readonly string[]>[]) => {
    const asked: number[] = [];
    let i = 0;
    const pager: Pager<string> = () => {
      asked.push(i);
      return pages[i++];
    };
    return { asked, pager };
  };

  it('asks for the next page as soon as one arrives, never two ahead, and not past the end', () => {
    const { asked, pager } = recorded([of(['a', 'b']), of(['c']), of([])]);
    const ahead = readAhead(pager, new Subscription());
    const got: (readonly string[])[] = [];
    const page = ahead();
    expect(asked).toEqual([]);
    page.subscribe((p) => got.push(p));
    expect(got).toEqual([['a', 'b']]);
    expect(asked).toEqual([0, 1]);
    ahead().subscribe((p) => got.push(p));
    expect(asked).toEqual([0, 1, 2]);
    ahead().subscribe((p) => got.push(p));
    expect(got).toEqual([['a', 'b'], ['c'], []]);
    expect(asked).toEqual([0, 1, 2]);
  });

  it('unsubscribing its lifetime aborts the page read ahead', () => {
    let aborted = 0;
    const pending = new Observable<readonly string[]>(() => () => aborted++);
    const { asked, pager } = recorded([of(['a']), pending]);
    const lifetime = new Subscription();
    readAhead(pager, lifetime)().subscribe();
    expect(asked).toEqual([0, 1]);
    expect(aborted).toBe(0);
    lifetime.unsubscribe();
    expect(aborted).toBe(1);
  });

  it("delivers a page's error when that page is asked for", () => {
    const { pager } = recorded([of(['a']), throwError(() => new Error('listing failed')), NEVER]);
    const ahead = readAhead(pager, new Subscription());
    const seen: string[] = [];
    ahead().subscribe({ next: () => seen.push('page'), error: () => seen.push('error') });
    expect(seen).toEqual(['page']);
    ahead().subscribe({ next: () => seen.push('page'), error: (e: Error) => seen.push(e.message) });
    expect(seen).toEqual(['page', 'listing failed']);
  });

  describe('in virtual time', () => {
    let scheduler: TestScheduler;
    beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

    it('asks for the next page when one arrives that was asked for, or when one that arrived is taken: one page ahead, never more', () => {
      scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const p1 = cold<string[]>('-(x|)', { x: ['a'] });
        const p2 = cold<string[]>('-(x|)', { x: ['b'] });
        const p3 = cold<string[]>('-(x|)', { x: ['c'] });
        const p4 = cold<string[]>('-(x|)', { x: [] });
        const ahead = readAhead(pagerOf([p1, p2, p3, p4]), new Subscription());
        // The reader asks for page 1 at once, then at frames 5, 6 and 7.
        const pages = hot<void>('a----bcd').pipe(
          concatMap(() => ahead()),
          map((p) => p.join('')),
        );
        expectObservable(pages).toBe('-a---bc(d)', { a: 'a', b: 'b', c: 'c', d: '' });
        expectSubscriptions(p1.subscriptions).toBe('^!');
        // Page 1 arrived (asked for): page 2 goes at once, and arrives unread.
        expectSubscriptions(p2.subscriptions).toBe('-^!');
        // Page 3 waits for page 2 to be taken (frame 5).
        expectSubscriptions(p3.subscriptions).toBe('-----^!');
        expectSubscriptions(p4.subscriptions).toBe('------^!');
      });
    });

    it('takes a page that comes as several arrays as their concatenation', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const p1 = cold<string[]>('-x-(y|)', { x: ['a', 'b'], y: ['c'] });
        const p2 = cold<string[]>('-(x|)', { x: [] });
        expectObservable(drain(readAhead(pagerOf([p1, p2]), new Subscription())).pipe(map((p) => p.join('')))).toBe('---a|', { a: 'abc' });
      });
    });

    it('delivers an error when its page is asked for, and reads nothing after it', () => {
      scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const p1 = cold<string[]>('-(x|)', { x: ['a'] });
        const p2 = cold<string[]>('-#', undefined, new Error('listing failed'));
        const p3 = cold<string[]>('-(x|)', { x: ['c'] });
        const ahead = readAhead(pagerOf([p1, p2, p3]), new Subscription());
        const pages = hot<void>('a-----b').pipe(
          concatMap(() => ahead()),
          map((p) => p.join('')),
        );
        // The failed page arrived at frame 2; the reader hears of it when it asks, at frame 6.
        expectObservable(pages).toBe('-a----#', { a: 'a' }, new Error('listing failed'));
        expectSubscriptions(p2.subscriptions).toBe('-^!');
        expectSubscriptions(p3.subscriptions).toBe([]);
      });
    });
  });
});
