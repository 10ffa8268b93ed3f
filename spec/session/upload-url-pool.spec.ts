import { of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { B2Error } from '../../src/http/b2-error';
import { UploadUrlPool, type UploadUrl } from '../../src/session/upload-url-pool';

const url = (n: number): UploadUrl => ({ uploadUrl: `https://pod-${n}.example/upload`, authorizationToken: `upload-token-${n}` });
const u = { u1: url(1), u2: url(2), u3: url(3), u4: url(4) };

describe('UploadUrlPool', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A fake b2_get_upload_url: its n-th call answers the n-th cold observable. */
  function fakeFetch(...answers: Observable<UploadUrl>[]) {
    let n = 0;
    return jasmine.createSpy('fetch').and.callFake(() => {
      const answer = answers[n++];
      if (!answer) throw new Error(`unexpected fetch ${n}`);
      return answer;
    });
  }

  it('fetches lazily: nothing before subscribe, the fetch on subscribe', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const f1 = cold('-a|', { a: u.u1 });
      const fetch = fakeFetch(f1);
      const pool = new UploadUrlPool();
      const taken$ = pool.take('bucket', fetch);
      expect(fetch).not.toHaveBeenCalled();
      expectObservable(taken$, '--^').toBe('---a|', { a: u.u1 });
      expectSubscriptions(f1.subscriptions).toBe('--^-!');
      scheduler.flush();
      expect(fetch).toHaveBeenCalledTimes(1);
    });
  });

  it('never hands one URL to two takers at once; reuses released URLs and drops unreleased ones', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const f1 = cold('-a|', { a: u.u1 });
      const f2 = cold('-a|', { a: u.u2 });
      const f3 = cold('-a|', { a: u.u3 });
      const f4 = cold('-a|', { a: u.u4 });
      const fetch = fakeFetch(f1, f2, f3, f4);
      const pool = new UploadUrlPool();
      const take = () => pool.take('bucket', fetch);

      // A and B at 0: two fetches, two URLs
      expectObservable(take()).toBe('-a|', { a: u.u1 });
      expectObservable(take()).toBe('-a|', { a: u.u2 });
      // A succeeded and releases u1 at 3; B failed and does not release u2
      scheduler.schedule(() => pool.release('bucket', u.u1), 3);
      // C and D at 5: C gets u1 from the pool without a fetch; D must not get u1 too, nor u2: it fetches
      expectObservable(take(), '-----^').toBe('-----(a|)', { a: u.u1 });
      expectObservable(take(), '-----^').toBe('------a|', { a: u.u3 });
      // E at 8, while u1 is still C's: another fetch
      expectObservable(take(), '--------^').toBe('---------a|', { a: u.u4 });

      expectSubscriptions(f1.subscriptions).toBe('^-!');
      expectSubscriptions(f2.subscriptions).toBe('^-!');
      expectSubscriptions(f3.subscriptions).toBe('-----^-!');
      expectSubscriptions(f4.subscriptions).toBe('--------^-!');
      scheduler.flush();
      expect(fetch).toHaveBeenCalledTimes(4);
      expect(pool.idleCount('bucket')).toBe(0);
    });
  });

  it('hands out each released URL once, then fetches', () => {
    scheduler.run(({ cold }) => {
      const fetch = fakeFetch(cold('-a|', { a: u.u3 }));
      const pool = new UploadUrlPool();
      pool.release('bucket', u.u1);
      pool.release('bucket', u.u2);
      expect(pool.idleCount('bucket')).toBe(2);

      const got: UploadUrl[] = [];
      for (let i = 0; i < 3; i++) pool.take('bucket', fetch).subscribe((x) => got.push(x));
      scheduler.flush();
      expect(got.length).toBe(3);
      expect(new Set(got.map((x) => x.uploadUrl)).size).toBe(3);
      expect(got.map((x) => x.uploadUrl).sort()).toEqual([u.u1, u.u2, u.u3].map((x) => x.uploadUrl));
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(pool.idleCount('bucket')).toBe(0);
    });
  });

  it('keeps keys apart, and clear(key) forgets only that key', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const pool = new UploadUrlPool();
      pool.release('bucket-1', u.u1);
      pool.release('large-file-9', u.u2);
      pool.clear('large-file-9');
      expect(pool.idleCount('bucket-1')).toBe(1);
      expect(pool.idleCount('large-file-9')).toBe(0);

      const fetchForBucket2 = fakeFetch(cold('-a|', { a: u.u3 }));
      expectObservable(pool.take('bucket-2', fetchForBucket2)).toBe('-a|', { a: u.u3 });
      const fetchForLargeFile = fakeFetch(cold('--a|', { a: u.u4 }));
      expectObservable(pool.take('large-file-9', fetchForLargeFile)).toBe('--a|', { a: u.u4 });
      const noFetch = fakeFetch();
      expectObservable(pool.take('bucket-1', noFetch)).toBe('(a|)', { a: u.u1 });
      scheduler.flush();
      expect(noFetch).not.toHaveBeenCalled();
    });
  });

  it('a taker that unsubscribes before the fetch answers ends the fetch and takes nothing', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const f1 = cold('---a|', { a: u.u1 });
      const pool = new UploadUrlPool();
      expectObservable(pool.take('bucket', fakeFetch(f1)), '^-!').toBe('');
      expectSubscriptions(f1.subscriptions).toBe('^-!');
      scheduler.flush();
      expect(pool.idleCount('bucket')).toBe(0);
    });
  });
  it('take hands out each released URL once, newest first, and fetches only when none is idle', () => {
    const pool = new UploadUrlPool();
    const fetched: string[] = [];
    const fetch = (key: string) => () => {
      fetched.push(key);
      return of(u.u4);
    };
    const taken = (key: string) => {
      let got: unknown;
      pool.take(key, fetch(key)).subscribe((x) => (got = x));
      return got;
    };
    expect(taken('bucket')).toEqual(u.u4);
    expect(fetched).toEqual(['bucket']);
    pool.release('bucket', u.u1);
    pool.release('bucket', u.u2);
    pool.release('other', u.u3);
    expect(taken('bucket')).toEqual(u.u2);
    expect(pool.idleCount('bucket')).toBe(1);
    expect(taken('bucket')).toEqual(u.u1);
    expect(fetched).toEqual(['bucket']);
    expect(taken('bucket')).toEqual(u.u4);
    expect(fetched).toEqual(['bucket', 'bucket']);
    expect(pool.idleCount('other')).toBe(1);
  });

  describe('upload (attempts that each hold a URL)', () => {
    const retry = (scheduler: TestScheduler) => ({ baseDelayMs: 10, maxDelayMs: 10, jitter: 0, maxAttempts: 3, scheduler });
    const unavailable = () => new B2Error({ status: 503, code: 'service_unavailable', message: `503 #${Math.random()}` });

    it('runs nothing before subscribe; an idle URL is used without a fetch and given back after success', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const pool = new UploadUrlPool();
        pool.release('bucket', u.u1);
        const sent = cold('-a-(b|)', { a: 'a', b: 'b' });
        const attempt = jasmine.createSpy('attempt').and.returnValue(sent);
        const upload$ = pool.upload('bucket', fakeFetch(), attempt, retry(scheduler));
        expect(attempt).not.toHaveBeenCalled();
        expectObservable(upload$).toBe('-a-(b|)', { a: 'a', b: 'b' });
        expectSubscriptions(sent.subscriptions).toBe('^--!');
        flush();
        expect(attempt.calls.allArgs()).toEqual([[u.u1, 1]]);
        expect(pool.idleCount('bucket')).toBe(1);
      });
    });

    it('drops the URL of a failed attempt and retries after B2 wait with a fresh one', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const pool = new UploadUrlPool();
        const f2 = cold('-a|', { a: u.u2 });
        const fetch = fakeFetch(cold('(a|)', { a: u.u1 }), f2);
        const attempts = [cold<string>('--#', undefined, unavailable()), cold('-(r|)', { r: 'r' })];
        const attempt = jasmine.createSpy('attempt').and.callFake((_url: UploadUrl, n: number) => attempts[n - 1]);
        expectObservable(pool.upload('bucket', fetch, attempt, retry(scheduler))).toBe('--------------(r|)', { r: 'r' });
        expectSubscriptions(f2.subscriptions).toBe('------------^-!');
        flush();
        expect(attempt.calls.allArgs()).toEqual([
          [u.u1, 1],
          [u.u2, 2],
        ]);
        // u1 dropped, u2 given back.
        expect(pool.idleCount('bucket')).toBe(1);
        let next: UploadUrl | undefined;
        pool.take('bucket', fakeFetch()).subscribe((x) => (next = x));
        expect(next).toEqual(u.u2);
      });
    });

    it('errors at once on a failure B2 does not retry; unsubscribing aborts the attempt in flight and drops its URL', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const pool = new UploadUrlPool();
        const refused = new B2Error({ status: 400, code: 'bad_request', message: 'refused' });
        expectObservable(pool.upload('bucket', fakeFetch(cold('(a|)', { a: u.u1 })), () => cold('-#', undefined, refused), retry(scheduler))).toBe('-#', undefined, refused);
        const long = cold('-----(r|)', { r: 'r' });
        expectObservable(
          pool.upload('bucket', fakeFetch(cold('(a|)', { a: u.u2 })), () => long, retry(scheduler)),
          '^--!',
        ).toBe('');
        expectSubscriptions(long.subscriptions).toBe('^--!');
        flush();
        expect(pool.idleCount('bucket')).toBe(0);
      });
    });
  });
});
