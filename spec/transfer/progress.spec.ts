import { TestScheduler } from 'rxjs/testing';
import { monotonicProgress, neverBack } from '../../src/transfer/progress';

describe('monotonicProgress / neverBack (the one never-back count)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const p = (loaded: number) => ({ type: 'uploadProgress', loaded, total: 30 });

  it('passes other events, and progress only above every count passed before (and above `from`)', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-c-d-e-f-(g|)', { a: p(5), b: p(12), c: { type: 'sent' }, d: p(3), e: p(12), f: p(20), g: { type: 'response' } });
      expectObservable(source.pipe(monotonicProgress(5))).toBe('--b-c-----f-(g|)', { b: p(12), c: { type: 'sent' }, f: p(20), g: { type: 'response' } });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  it('keeps its count per subscription', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const progress$ = cold('a-b|', { a: p(10), b: p(4) }).pipe(monotonicProgress());
      expectObservable(progress$).toBe('a--|', { a: p(10) });
      expectObservable(progress$).toBe('a--|', { a: p(10) });
    });
  });

  it('neverBack remembers the highest count it passed', () => {
    const advance = neverBack();
    expect([3, 2, 3, 7, 0, 8].map(advance)).toEqual([true, false, false, true, false, true]);
  });
});
