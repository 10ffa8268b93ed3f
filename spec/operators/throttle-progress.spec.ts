import { TestScheduler } from 'rxjs/testing';
import type { B2Event } from '../../src/http/events';
import { throttleProgress } from '../../src/operators/throttle-progress';

type E = B2Event<string, unknown>;

const up = (loaded: number, total: number | undefined = 100): E => ({ type: 'uploadProgress', loaded, total });
const down = (loaded: number, total: number | undefined): E => ({ type: 'downloadProgress', loaded, total });

const ev: Record<string, E> = {
  s: { type: 'sent', attempt: 1 },
  a: up(10),
  b: up(20),
  c: up(30),
  d: up(40),
  e: up(50),
  f: up(60),
  g: up(70),
  z: up(100), // final: loaded === total
  h: { type: 'responseHeader', status: 200, headers: {} },
  r: { type: 'response', status: 200, headers: {}, body: 'ok' },
};

describe('throttleProgress', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('lets one progress event through per interval, the first one at once', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abcdefg--|', ev);
      expectObservable(source.pipe(throttleProgress(3, scheduler))).toBe('a--d--g--|', ev);
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('counts the interval in scheduler milliseconds (default 100 ms)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 49ms b 48ms c d 99ms e', ev);
      // a at 0, b at 50 (dropped), c at 99 (dropped), d at 100, e at 200
      expectObservable(source.pipe(throttleProgress(undefined, scheduler))).toBe('a 99ms d 99ms e', ev);
    });
  });

  it('always lets the final progress event (loaded === total) through, even inside the interval', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('abz(r|)', ev);
      expectObservable(source.pipe(throttleProgress(10, scheduler))).toBe('a-z(r|)', ev);
    });
  });

  it('passes every other event at once, in order, without opening or closing a window', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('sahbcz(r|)', ev);
      // s and h pass at once; b and c fall inside a's window; z is final; r is the response
      expectObservable(source.pipe(throttleProgress(5, scheduler))).toBe('sah--z(r|)', ev);
    });
  });

  it('thins download progress of unknown total too (never "final")', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const values = { w: down(1, undefined), x: down(2, undefined), y: down(3, undefined), z: down(4, undefined) };
      const source = cold('wxyz|', values);
      // z was held back by the window; it is delivered before completion.
      expectObservable(source.pipe(throttleProgress(2, scheduler))).toBe('w-y-(z|)', values);
    });
  });

  it('keeps its window per subscription: a late subscriber gets its own first event', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('abcd|', ev);
      const thinned = source.pipe(throttleProgress(10, scheduler));
      // The last event held back by each window is delivered before completion.
      expectObservable(thinned).toBe('a---(d|)', ev);
      expectObservable(thinned, '-^').toBe('-b--(d|)', ev);
      expectSubscriptions(source.subscriptions).toBe(['^---!', '-^--!']);
    });
  });

  it('errors with the source', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('reset by peer');
      const source = cold('a-b-#', ev, boom);
      expectObservable(source.pipe(throttleProgress(3, scheduler))).toBe('a---#', ev, boom);
    });
  });

  it('unsubscribing unsubscribes from the source', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a--d--g-z|', ev);
      expectObservable(source.pipe(throttleProgress(3, scheduler)), '^----!').toBe('a--d-', ev);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });
});
