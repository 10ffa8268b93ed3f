import { take, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { paginate } from '../../src/operators/paginate';

interface Page {
  items: string[];
  next: string | null | undefined;
}

/**
 * A listing whose pages are cold observables, one per cursor (`first` for the undefined cursor).
 * Records every cursor fetchPage was called with.
 */
function listing(pages: Record<string, Observable<Page>>, demand?: Observable<unknown>) {
  const cursors: (string | undefined)[] = [];
  const items$ = paginate(
    (cursor: string | undefined) => {
      cursors.push(cursor);
      const page = pages[cursor ?? 'first'];
      if (!page) throw new Error(`no page for cursor ${String(cursor)}`);
      return page;
    },
    (page: Page) => page.next,
    (page: Page) => page.items,
    demand,
  );
  return { items$, cursors };
}

describe('paginate', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits the items of page 1, then page 2, subscribing to each page only after the previous one completed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('--a--|', { a: { items: ['x', 'y'], next: 'c2' } });
      const p2 = cold<Page>('-----b|', { b: { items: ['z'], next: 'c3' } });
      const p3 = cold<Page>('-c|', { c: { items: ['w'], next: null } });
      const { items$ } = listing({ first: p1, c2: p2, c3: p3 });

      // p1 completes at 5 (its items come then), p2 runs 5..11, p3 runs 11..13.
      expectObservable(items$).toBe('-----(xy)--z-(w|)', { x: 'x', y: 'y', z: 'z', w: 'w' });
      expectSubscriptions(p1.subscriptions).toBe('^----!');
      expectSubscriptions(p2.subscriptions).toBe('-----^-----!');
      expectSubscriptions(p3.subscriptions).toBe('-----------^-!');
    });
  });

  it('passes exactly the next* cursors to fetchPage, the first one undefined', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { items$, cursors } = listing({
        first: cold<Page>('-a|', { a: { items: ['1'], next: 'name-b' } }),
        'name-b': cold<Page>('-a|', { a: { items: ['2'], next: 'name-c' } }),
        'name-c': cold<Page>('-a|', { a: { items: ['3'], next: null } }),
      });
      expectObservable(items$).toBe('--1-2-(3|)');
      scheduler.flush();
      expect(cursors).toEqual([undefined, 'name-b', 'name-c']);
    });
  });

  it('completes after a page whose cursor is null, fetching nothing more', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('--a|', { a: { items: ['x', 'y'], next: null } });
      const { items$, cursors } = listing({ first: p1 });
      expectObservable(items$).toBe('---(xy|)');
      expectSubscriptions(p1.subscriptions).toBe('^--!');
      scheduler.flush();
      expect(cursors).toEqual([undefined]);
    });
  });

  it('also completes on an undefined cursor, and keeps going past an empty page that has a cursor', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { items$, cursors } = listing({
        first: cold<Page>('-a|', { a: { items: [], next: 'c2' } }),
        c2: cold<Page>('-a|', { a: { items: ['z'], next: undefined } }),
      });
      expectObservable(items$).toBe('----(z|)');
      scheduler.flush();
      expect(cursors).toEqual([undefined, 'c2']);
    });
  });

  it('leaves page 2 never subscribed (and never fetched) when take(n) is satisfied by page 1', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('--a--|', { a: { items: ['x', 'y', 'v'], next: 'c2' } });
      const p2 = cold<Page>('-b|', { b: { items: ['z'], next: null } });
      const { items$, cursors } = listing({ first: p1, c2: p2 });

      expectObservable(items$.pipe(take(2))).toBe('-----(xy|)');
      expectSubscriptions(p1.subscriptions).toBe('^----!');
      expectSubscriptions(p2.subscriptions).toBe([]);
      scheduler.flush();
      expect(cursors).toEqual([undefined]);
    });
  });

  it('takes exactly what take(n) needs across pages: page 3 is never subscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('-a|', { a: { items: ['x', 'y'], next: 'c2' } });
      const p2 = cold<Page>('---b|', { b: { items: ['z', 'v'], next: 'c3' } });
      const p3 = cold<Page>('-c|', { c: { items: ['w'], next: null } });
      const { items$ } = listing({ first: p1, c2: p2, c3: p3 });

      expectObservable(items$.pipe(take(3))).toBe('--(xy)(z|)');
      expectSubscriptions(p1.subscriptions).toBe('^-!');
      expectSubscriptions(p2.subscriptions).toBe('--^---!');
      expectSubscriptions(p3.subscriptions).toBe([]);
    });
  });

  it('unsubscribing mid-page ends that page and fetches nothing more', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('--a--|', { a: { items: ['x', 'y'], next: 'c2' } });
      const p2 = cold<Page>('-----b|', { b: { items: ['z'], next: 'c3' } });
      const p3 = cold<Page>('-c|', { c: { items: ['w'], next: null } });
      const { items$ } = listing({ first: p1, c2: p2, c3: p3 });

      expectObservable(items$, '^-------!').toBe('-----(xy)');
      expectSubscriptions(p1.subscriptions).toBe('^----!');
      expectSubscriptions(p2.subscriptions).toBe('-----^--!');
      expectSubscriptions(p3.subscriptions).toBe([]);
    });
  });

  it('errors after page 1 items when page 2 fails, and requests no further page', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('page 2 failed');
      const p1 = cold<Page>('--a--|', { a: { items: ['x', 'y'], next: 'c2' } });
      const p2 = cold<Page>('-----#', undefined, boom);
      const p3 = cold<Page>('-c|', { c: { items: ['w'], next: null } });
      const { items$ } = listing({ first: p1, c2: p2, c3: p3 });

      expectObservable(items$).toBe('-----(xy)-#', undefined, boom);
      expectSubscriptions(p1.subscriptions).toBe('^----!');
      expectSubscriptions(p2.subscriptions).toBe('-----^----!');
      expectSubscriptions(p3.subscriptions).toBe([]);
    });
  });

  it('errors without items when page 1 fails', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('page 1 failed');
      const p1 = cold<Page>('---#', undefined, boom);
      const { items$ } = listing({ first: p1 });
      expectObservable(items$).toBe('---#', undefined, boom);
      expectSubscriptions(p1.subscriptions).toBe('^--!');
    });
  });

  it('is lazy and keeps its cursor per subscription: two subscribers are two independent runs', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('-a|', { a: { items: ['x'], next: 'c2' } });
      const p2 = cold<Page>('-b|', { b: { items: ['z'], next: null } });
      const { items$, cursors } = listing({ first: p1, c2: p2 });
      expect(cursors).toEqual([]);

      expectObservable(items$).toBe('--x-(z|)');
      expectObservable(items$, '----------^').toBe('------------x-(z|)');
      expectSubscriptions(p1.subscriptions).toBe(['^-!', '----------^-!']);
      expectSubscriptions(p2.subscriptions).toBe(['--^-!', '------------^-!']);
      scheduler.flush();
      expect(cursors).toEqual([undefined, 'c2', undefined, 'c2']);
    });
  });

  it('tells fetchPage how many items the pages before held (a limit asks only for what is left), per subscription', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const pages: Record<string, Observable<Page>> = {
        first: cold<Page>('----a|', { a: { items: ['1', '2', '3'], next: 'c2' } }),
        c2: cold<Page>('-a|', { a: { items: [], next: 'c3' } }),
        c3: cold<Page>('------a|', { a: { items: ['4', '5'], next: 'c4' } }),
        c4: cold<Page>('------a|', { a: { items: ['6'], next: null } }),
      };
      const calls: [string | undefined, number][] = [];
      const items$ = paginate(
        (cursor: string | undefined, soFar: number) => {
          calls.push([cursor, soFar]);
          return pages[cursor ?? 'first'];
        },
        (page: Page) => page.next,
        (page: Page) => page.items,
      );
      // Pages end at 5, 7, 14 and 21; a second subscriber (take(4)) counts on its own.
      expectObservable(items$).toBe('-----(123)----(45)---(6|)');
      expectObservable(items$.pipe(take(4))).toBe('-----(123)----(4|)');
      scheduler.flush();
      expect(calls).toEqual([
        [undefined, 0],
        [undefined, 0],
        ['c2', 3],
        ['c2', 3],
        ['c3', 3],
        ['c3', 3],
        ['c4', 5],
      ]);
    });
  });

  it("with demand, requests each page (the first included) only at demand's first emission after the previous page", () => {
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('-a|', { a: { items: ['x', 'y'], next: 'c2' } });
      const p2 = cold<Page>('-b|', { b: { items: ['z'], next: 'c3' } });
      const p3 = cold<Page>('-c|', { c: { items: ['w'], next: null } });
      // The consumer wants more at 3, 4 (ignored: no page waits then), 8 and 12.
      const demand = hot('---d-d--d---d');
      const { items$, cursors } = listing({ first: p1, c2: p2, c3: p3 }, demand);

      expectObservable(items$).toBe('-----(xy)-z---(w|)', { x: 'x', y: 'y', z: 'z', w: 'w' });
      expectSubscriptions(p1.subscriptions).toBe('---^-!');
      expectSubscriptions(p2.subscriptions).toBe('--------^-!');
      expectSubscriptions(p3.subscriptions).toBe('------------^-!');
      expectSubscriptions(demand.subscriptions).toBe(['^--!', '-----^--!', '----------^-!']);
      scheduler.flush();
      expect(cursors).toEqual([undefined, 'c2', 'c3']);
    });
  });

  it('with demand, unsubscribing while waiting for it requests nothing more', () => {
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const p1 = cold<Page>('-a|', { a: { items: ['x'], next: 'c2' } });
      const p2 = cold<Page>('-b|', { b: { items: ['z'], next: null } });
      const demand = hot('d--------d');
      const { items$, cursors } = listing({ first: p1, c2: p2 }, demand);

      expectObservable(items$, '^-----!').toBe('--x');
      expectSubscriptions(p2.subscriptions).toBe([]);
      expectSubscriptions(demand.subscriptions).toBe(['(^!)', '--^---!']);
      scheduler.flush();
      expect(cursors).toEqual([undefined]);
    });
  });
});
