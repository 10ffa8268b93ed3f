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

  /** Retry off: an attempt's failure is the upload's (the pool's own rules are what is under test). */
  const once = (scheduler: TestScheduler) => ({ maxAttempts: 1, scheduler });
  const refused = new B2Error({ status: 400, code: 'bad_request', message: 'refused' });

  it('fetches lazily: nothing before subscribe, the fetch on subscribe, the URL given back after the upload', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const f1 = cold('-a|', { a: u.u1 });
      const fetch = fakeFetch(f1);
      const pool = new UploadUrlPool();
      const upload$ = pool.upload('bucket', fetch, (url) => of(url), once(scheduler), scheduler);
      expect(fetch).not.toHaveBeenCalled();
      expectObservable(upload$, '--^').toBe('---a|', { a: u.u1 });
      expectSubscriptions(f1.subscriptions).toBe('--^-!');
      flush();
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(pool.idleCount('bucket')).toBe(1);
    });
  });

  it("never hands one URL to two uploads at once; gives back a succeeded upload's URL and drops a failed one's", () => {
    scheduler.run(({ cold, flush }) => {
      const fetch = fakeFetch(cold('-a|', { a: u.u1 }), cold('-a|', { a: u.u2 }), cold('-a|', { a: u.u3 }), cold('-a|', { a: u.u4 }));
      const pool = new UploadUrlPool();
      const got: Record<string, UploadUrl> = {};
      /** An upload starting at `at` whose attempt, once it holds its URL, lives as `life` (`|` succeeds, `#` fails). */
      const upload = (name: string, at: number, life: string) =>
        scheduler.schedule(
          () =>
            pool
              .upload(
                'bucket',
                fetch,
                (url) => {
                  got[name] = url;
                  return cold(life, undefined, refused);
                },
                once(scheduler),
                scheduler,
              )
              .subscribe({ error: () => undefined }),
          at,
        );
      upload('A', 0, '--|'); // fetches u1 (at 1), succeeds at 3: u1 given back
      upload('B', 0, '--#'); // fetches u2 (at 1), fails at 3: u2 dropped
      upload('C', 5, '-----|'); // u1 from the pool, no fetch; holds it until 10
      upload('D', 5, '-----|'); // u1 is C's and u2 was dropped: fetches u3 (at 6); holds it until 11
      upload('E', 8, '|'); // u1 and u3 are held: fetches u4
      flush();
      expect(got).toEqual({ A: u.u1, B: u.u2, C: u.u1, D: u.u3, E: u.u4 });
      expect(fetch).toHaveBeenCalledTimes(4);
      expect(pool.idleCount('bucket')).toBe(3);
    });
  });

  it('hands out each released URL once, newest first, then fetches', () => {
    scheduler.run(({ cold, flush }) => {
      const fetch = fakeFetch(cold('-a|', { a: u.u3 }));
      const pool = new UploadUrlPool();
      pool.release('bucket', u.u1);
      pool.release('bucket', u.u2);
      expect(pool.idleCount('bucket')).toBe(2);
      const got: UploadUrl[] = [];
      // Three uploads that hold their URLs (attempts that never end).
      for (let i = 0; i < 3; i++) pool.upload('bucket', fetch, (url) => (got.push(url), cold('-')), once(scheduler), scheduler).subscribe();
      flush();
      expect(got).toEqual([u.u2, u.u1, u.u3]);
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(pool.idleCount('bucket')).toBe(0);
    });
  });

  it('keeps keys apart, and clear(key) forgets only that key', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const pool = new UploadUrlPool();
      pool.release('bucket-1', u.u1);
      pool.release('large-file-9', u.u2);
      pool.clear('large-file-9');
      expect(pool.idleCount('bucket-1')).toBe(1);
      expect(pool.idleCount('large-file-9')).toBe(0);

      const sentWith = (url: UploadUrl) => of(url.uploadUrl);
      expectObservable(pool.upload('bucket-2', fakeFetch(cold('-a|', { a: u.u3 })), sentWith, once(scheduler), scheduler)).toBe('-a|', { a: u.u3.uploadUrl });
      expectObservable(pool.upload('large-file-9', fakeFetch(cold('--a|', { a: u.u4 })), sentWith, once(scheduler), scheduler)).toBe('--a|', { a: u.u4.uploadUrl });
      const noFetch = fakeFetch();
      expectObservable(pool.upload('bucket-1', noFetch, sentWith, once(scheduler), scheduler)).toBe('(a|)', { a: u.u1.uploadUrl });
      flush();
      expect(noFetch).not.toHaveBeenCalled();
    });
  });

  it('an upload unsubscribed before the fetch answers ends the fetch and sends nothing', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const f1 = cold('---a|', { a: u.u1 });
      const pool = new UploadUrlPool();
      const attempt = jasmine.createSpy('attempt');
      expectObservable(pool.upload('bucket', fakeFetch(f1), attempt, once(scheduler), scheduler), '^-!').toBe('');
      expectSubscriptions(f1.subscriptions).toBe('^-!');
      flush();
      expect(attempt).not.toHaveBeenCalled();
      expect(pool.idleCount('bucket')).toBe(0);
    });
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
        const upload$ = pool.upload('bucket', fakeFetch(), attempt, retry(scheduler), scheduler);
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
        expectObservable(pool.upload('bucket', fetch, attempt, retry(scheduler), scheduler)).toBe('--------------(r|)', { r: 'r' });
        expectSubscriptions(f2.subscriptions).toBe('------------^-!');
        flush();
        expect(attempt.calls.allArgs()).toEqual([
          [u.u1, 1],
          [u.u2, 2],
        ]);
        // u1 dropped, u2 given back.
        expect(pool.idleCount('bucket')).toBe(1);
        let next: UploadUrl | undefined;
        pool.upload('bucket', fakeFetch(), (x) => ((next = x), of(x)), { maxAttempts: 1 }, scheduler).subscribe();
        expect(next).toEqual(u.u2);
      });
    });

    it('times the wait before a retry with the scheduler given apart from the retry options', () => {
      // Not in run mode, where every scheduler is virtual: the options carry none, so the 10 ms
      // wait is the TestScheduler's only if the pool takes the one given.
      const pool = new UploadUrlPool();
      const fetch = fakeFetch(scheduler.createColdObservable('(a|)', { a: u.u1 }), scheduler.createColdObservable('(a|)', { a: u.u2 }));
      const attempts = [scheduler.createColdObservable<string>('--#', undefined, unavailable()), scheduler.createColdObservable('-(r|)', { r: 'r' })];
      const { scheduler: _virtual, ...noScheduler } = retry(scheduler);
      const got: string[] = [];
      pool.upload('bucket', fetch, (_url, n) => attempts[n - 1], noScheduler, scheduler).subscribe({ next: (v) => got.push(v), complete: () => got.push('done') });
      scheduler.flush();
      expect(got).toEqual(['r', 'done']);
      expect(pool.idleCount('bucket')).toBe(1);
    });

    it('errors at once on a failure B2 does not retry; unsubscribing aborts the attempt in flight and drops its URL', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const pool = new UploadUrlPool();
        const refused = new B2Error({ status: 400, code: 'bad_request', message: 'refused' });
        expectObservable(pool.upload('bucket', fakeFetch(cold('(a|)', { a: u.u1 })), () => cold('-#', undefined, refused), retry(scheduler), scheduler)).toBe(
          '-#',
          undefined,
          refused,
        );
        const long = cold('-----(r|)', { r: 'r' });
        expectObservable(
          pool.upload('bucket', fakeFetch(cold('(a|)', { a: u.u2 })), () => long, retry(scheduler), scheduler),
          '^--!',
        ).toBe('');
        expectSubscriptions(long.subscriptions).toBe('^--!');
        flush();
        expect(pool.idleCount('bucket')).toBe(0);
      });
    });
  });
});
