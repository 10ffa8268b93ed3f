import { defer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { B2Error } from '../../src/http/b2-error';
import { retryB2, type B2RetryEvent, type RetryB2Options } from '../../src/operators/retry-b2';

let serial = 0;
/** A B2Error with a unique message (jasmine compares errors by message only). */
function b2(status: number, code: string, retryAfter?: number): B2Error {
  return new B2Error({ status, code, message: `${status} ${code} #${++serial}`, retryAfter });
}

/** A source whose n-th subscription is the n-th observable (each keeps its own subscription log). */
function attempts<T>(...runs: Observable<T>[]): Observable<T> {
  let n = 0;
  return defer(() => {
    const run = runs[n++];
    if (!run) throw new Error(`unexpected attempt ${n}`);
    return run;
  });
}

describe('retryB2', () => {
  let scheduler: TestScheduler;
  /** Exact waits: no jitter, virtual time. */
  let exact: RetryB2Options;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    exact = { scheduler, jitter: 0 };
  });

  describe('backoff', () => {
    it('waits 1000, 2000, 4000 … ms between attempts, capped at maxDelayMs, then emits the last error', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(500, 'internal_error');
        const source = cold('-#', undefined, e);
        // Each attempt fails one frame after it starts; the next starts 1000, 2000, 4000, 5000, 5000 ms later.
        expectObservable(source.pipe(retryB2({ ...exact, maxAttempts: 6, maxDelayMs: 5000 }))).toBe('17006ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['^!', '1001ms ^!', '3002ms ^!', '7003ms ^!', '12004ms ^!', '17005ms ^!']);
      });
    });

    it('defaults to 8 attempts, a 1000 ms base and a 64 s cap', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(503, 'service_unavailable');
        const source = cold('#', undefined, e);
        expectObservable(source.pipe(retryB2(exact))).toBe('127000ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '1000ms (^!)', '3000ms (^!)', '7000ms (^!)', '15000ms (^!)', '31000ms (^!)', '63000ms (^!)', '127000ms (^!)']);
      });
    });

    it('caps at the default 64 s: a 9th attempt waits 64 s, not 128 s', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        expectObservable(source.pipe(retryB2({ ...exact, maxAttempts: 9 }))).toBe('191000ms #', undefined, e);
        scheduler.flush();
        expect(source.subscriptions.map((s) => s.subscribedFrame)).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000, 127000, 191000]);
      });
    });

    it('honours baseDelayMs', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        expectObservable(source.pipe(retryB2({ ...exact, maxAttempts: 3, baseDelayMs: 300 }))).toBe('900ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '300ms (^!)', '900ms (^!)']);
      });
    });

    it('emits the successful attempt after failed ones and completes', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('--#', undefined, b2(500, 'internal_error'));
        const a2 = cold('--#', undefined, b2(503, 'service_unavailable'));
        const a3 = cold('--a|');
        expectObservable(attempts(a1, a2, a3).pipe(retryB2(exact))).toBe('3006ms a|');
        expectSubscriptions(a1.subscriptions).toBe('^-!');
        expectSubscriptions(a2.subscriptions).toBe('1002ms ^-!');
        expectSubscriptions(a3.subscriptions).toBe('3004ms ^--!');
      });
    });

    it('emits the last error when maxAttempts run out, and never starts another attempt', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = b2(500, 'internal_error');
        const e2 = b2(429, 'too_many_requests');
        const e3 = b2(503, 'service_unavailable');
        const a1 = cold('#', undefined, e1);
        const a2 = cold('#', undefined, e2);
        const a3 = cold('#', undefined, e3);
        const a4 = cold('a|');
        expectObservable(attempts(a1, a2, a3, a4).pipe(retryB2({ ...exact, maxAttempts: 3 }))).toBe('3000ms #', undefined, e3);
        expectSubscriptions(a3.subscriptions).toBe('3000ms (^!)');
        expectSubscriptions(a4.subscriptions).toBe([]);
      });
    });

    it('switches retry off with maxAttempts: 1', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(503, 'service_unavailable');
        const source = cold('--#', undefined, e);
        expectObservable(source.pipe(retryB2({ ...exact, maxAttempts: 1 }))).toBe('--#', undefined, e);
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('keeps attempts and backoff per subscription: a second subscriber starts again at 1000 ms', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        const retried = source.pipe(retryB2({ ...exact, maxAttempts: 3 }));
        expectObservable(retried).toBe('3000ms #', undefined, e);
        expectObservable(retried, '10000ms ^').toBe('13000ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '1000ms (^!)', '3000ms (^!)', '10000ms (^!)', '11000ms (^!)', '13000ms (^!)']);
      });
    });
  });

  describe('Retry-After', () => {
    it('waits Retry-After seconds instead of the backoff, without jitter', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const random = jasmine.createSpy('random').and.returnValue(0.9);
        const a1 = cold('-#', undefined, b2(429, 'too_many_requests', 3));
        const a2 = cold('-a|');
        expectObservable(attempts(a1, a2).pipe(retryB2({ scheduler, random }))).toBe('3002ms a|');
        expectSubscriptions(a2.subscriptions).toBe('3001ms ^-!');
        expect(random).not.toHaveBeenCalled();
      });
    });

    it('takes precedence over the cap as well (503 with Retry-After: 100)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('#', undefined, b2(503, 'service_unavailable', 100));
        const a2 = cold('(a|)');
        expectObservable(attempts(a1, a2).pipe(retryB2({ ...exact, maxDelayMs: 5000 }))).toBe('100000ms (a|)');
        expectSubscriptions(a2.subscriptions).toBe('100000ms (^!)');
      });
    });

    // https://www.backblaze.com/docs/cloud-storage-integration-checklist
    it('resets the backoff to the base after a Retry-After wait', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('#', undefined, b2(500, 'internal_error'));
        const a2 = cold('#', undefined, b2(500, 'internal_error'));
        const a3 = cold('#', undefined, b2(429, 'too_many_requests', 10));
        const a4 = cold('#', undefined, b2(500, 'internal_error'));
        const a5 = cold('(a|)');
        // waits: 1000, 2000, Retry-After 10000, then 1000 again (not 4000)
        expectObservable(attempts(a1, a2, a3, a4, a5).pipe(retryB2(exact))).toBe('14000ms (a|)');
        expectSubscriptions(a2.subscriptions).toBe('1000ms (^!)');
        expectSubscriptions(a3.subscriptions).toBe('3000ms (^!)');
        expectSubscriptions(a4.subscriptions).toBe('13000ms (^!)');
        expectSubscriptions(a5.subscriptions).toBe('14000ms (^!)');
      });
    });
  });

  describe('which failures', () => {
    const final: [number, string][] = [
      [400, 'bad_request'],
      [400, 'auth_token_limit'],
      [401, 'unauthorized'],
      [401, 'expired_auth_token'], // without onExpiredAuth there is nothing to retry with
      [403, 'cap_exceeded'],
      [404, 'not_found'],
      [409, 'conflict'],
      [416, 'range_not_satisfiable'],
    ];
    for (const [status, code] of final) {
      it(`fails at once on ${status} ${code}, with a single subscription`, () => {
        scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
          const e = b2(status, code);
          const source = cold('--#', undefined, e);
          expectObservable(source.pipe(retryB2(exact))).toBe('--#', undefined, e);
          expectSubscriptions(source.subscriptions).toBe('^-!');
        });
      });
    }

    it('fails at once on an error that is not a B2Error', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = new TypeError('a bug, not a B2 failure');
        const source = cold('--#', undefined, e);
        expectObservable(source.pipe(retryB2(exact))).toBe('--#', undefined, e);
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('does not call onExpiredAuth for 401 unauthorized', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const onExpiredAuth = jasmine.createSpy('onExpiredAuth');
        const e = b2(401, 'unauthorized');
        const source = cold('--#', undefined, e);
        expectObservable(source.pipe(retryB2({ ...exact, onExpiredAuth }))).toBe('--#', undefined, e);
        expectSubscriptions(source.subscriptions).toBe('^-!');
        scheduler.flush();
        expect(onExpiredAuth).not.toHaveBeenCalled();
      });
    });

    const retryable: [number, string][] = [
      [408, 'request_timeout'],
      [429, 'too_many_requests'],
      [500, 'internal_error'],
      [502, 'bad_gateway'],
      [503, 'service_unavailable'],
      [0, 'network_error'],
    ];
    for (const [status, code] of retryable) {
      it(`retries ${status} ${code} after 1000 ms`, () => {
        scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
          const a1 = cold('--#', undefined, b2(status, code));
          const a2 = cold('--a|');
          expectObservable(attempts(a1, a2).pipe(retryB2(exact))).toBe('1004ms a|');
          expectSubscriptions(a1.subscriptions).toBe('^-!');
          expectSubscriptions(a2.subscriptions).toBe('1002ms ^--!');
        });
      });
    }

    it('alsoRetry extends the retryable failures (auth_token_limit for uploads)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const alsoRetry = jasmine.createSpy('alsoRetry').and.callFake((e: B2Error) => e.code === 'auth_token_limit');
        const limit = b2(400, 'auth_token_limit');
        const a1 = cold('-#', undefined, limit);
        const a2 = cold('-a|');
        expectObservable(attempts(a1, a2).pipe(retryB2({ ...exact, alsoRetry }))).toBe('1002ms a|');
        expectSubscriptions(a2.subscriptions).toBe('1001ms ^-!');
        scheduler.flush();
        expect(alsoRetry).toHaveBeenCalledOnceWith(limit);
      });
    });

    it('alsoRetry leaves every other final failure final', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(404, 'not_found');
        const source = cold('-#', undefined, e);
        expectObservable(source.pipe(retryB2({ ...exact, alsoRetry: (x) => x.code === 'auth_token_limit' }))).toBe('-#', undefined, e);
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });
  });

  describe('expired token', () => {
    for (const code of ['expired_auth_token', 'bad_auth_token']) {
      it(`401 ${code}: calls onExpiredAuth once and resubscribes at once`, () => {
        scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
          const expired = b2(401, code);
          const onExpiredAuth = jasmine.createSpy('onExpiredAuth');
          const a1 = cold('--#', undefined, expired);
          const a2 = cold('--a|');
          expectObservable(attempts(a1, a2).pipe(retryB2({ ...exact, onExpiredAuth }))).toBe('----a|');
          expectSubscriptions(a1.subscriptions).toBe('^-!');
          expectSubscriptions(a2.subscriptions).toBe('--^--!');
          scheduler.flush();
          expect(onExpiredAuth).toHaveBeenCalledOnceWith(expired);
        });
      });
    }

    it('fails on a second expiry in the same subscription', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const onExpiredAuth = jasmine.createSpy('onExpiredAuth');
        const second = b2(401, 'bad_auth_token');
        const a1 = cold('--#', undefined, b2(401, 'expired_auth_token'));
        const a2 = cold('--#', undefined, second);
        const a3 = cold('a|');
        expectObservable(attempts(a1, a2, a3).pipe(retryB2({ ...exact, onExpiredAuth }))).toBe('----#', undefined, second);
        expectSubscriptions(a2.subscriptions).toBe('--^-!');
        expectSubscriptions(a3.subscriptions).toBe([]);
        scheduler.flush();
        expect(onExpiredAuth).toHaveBeenCalledTimes(1);
      });
    });

    it('fails at once with what onExpiredAuth throws (a caller that cannot re-authorize)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const expired = b2(401, 'expired_auth_token');
        const source = cold('--#', undefined, expired);
        expectObservable(
          source.pipe(
            retryB2({
              ...exact,
              onExpiredAuth: (e) => {
                throw e;
              },
            }),
          ),
        ).toBe('--#', undefined, expired);
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('does not consume the backoff: a 500 after a re-authorization still waits 1000 ms', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('-#', undefined, b2(401, 'expired_auth_token'));
        const a2 = cold('-#', undefined, b2(500, 'internal_error'));
        const a3 = cold('-a|');
        expectObservable(attempts(a1, a2, a3).pipe(retryB2({ ...exact, onExpiredAuth: () => undefined }))).toBe('1003ms a|');
        expectSubscriptions(a2.subscriptions).toBe('-^!');
        expectSubscriptions(a3.subscriptions).toBe('1002ms ^-!');
      });
    });
  });

  describe('onRetry', () => {
    /** A B2Error from the named call, as the transport makes them. */
    function failed(operation: string | undefined, status: number, code: string, retryAfter?: number): B2Error {
      return new B2Error({ status, code, message: `${operation} ${status} ${code} #${++serial}`, retryAfter, operation });
    }

    /** onRetry that records each event with the virtual time it was called at. */
    function recorder(): { onRetry: (e: B2RetryEvent) => void; calls: (B2RetryEvent & { at: number })[] } {
      const calls: (B2RetryEvent & { at: number })[] = [];
      return { calls, onRetry: (e) => calls.push({ ...e, at: scheduler.now() }) };
    }

    it('hears each retry before its wait: operation, the failed attempt (1-based), the wait and the error', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e1 = failed('b2_list_file_names', 500, 'internal_error');
        const e2 = failed('b2_list_file_names', 503, 'service_unavailable');
        const e3 = failed('b2_list_file_names', 0, 'network_error');
        const a1 = cold('-#', undefined, e1);
        const a2 = cold('-#', undefined, e2);
        const a3 = cold('-#', undefined, e3);
        const a4 = cold('-a|');
        const { onRetry, calls } = recorder();
        expectObservable(attempts(a1, a2, a3, a4).pipe(retryB2({ ...exact, onRetry }))).toBe('7004ms a|');
        expectSubscriptions(a4.subscriptions).toBe('7003ms ^-!');
        scheduler.flush();
        expect(calls).toEqual([
          { operation: 'b2_list_file_names', attempt: 1, delayMs: 1000, error: e1, at: 1 },
          { operation: 'b2_list_file_names', attempt: 2, delayMs: 2000, error: e2, at: 1002 },
          { operation: 'b2_list_file_names', attempt: 3, delayMs: 4000, error: e3, at: 3003 },
        ]);
        expect(calls.map((c) => c.error)).toEqual([e1, e2, e3]);
        expect(calls[2].error).toBe(e3);
      });
    });

    it('is not called for the final failure: maxAttempts 3 gives two events, then the error', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const e = failed('b2_upload_part', 500, 'internal_error');
        const source = cold('#', undefined, e);
        const { onRetry, calls } = recorder();
        expectObservable(source.pipe(retryB2({ ...exact, maxAttempts: 3, onRetry }))).toBe('3000ms #', undefined, e);
        scheduler.flush();
        expect(calls.map(({ attempt, delayMs, at }) => ({ attempt, delayMs, at }))).toEqual([
          { attempt: 1, delayMs: 1000, at: 0 },
          { attempt: 2, delayMs: 2000, at: 1000 },
        ]);
      });
    });

    it('reports the jittered wait actually waited, and the Retry-After wait', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const busy = failed('b2_get_upload_url', 429, 'too_many_requests', 3);
        const down = failed('b2_get_upload_url', 503, 'service_unavailable');
        const a1 = cold('#', undefined, busy);
        const a2 = cold('#', undefined, down);
        const a3 = cold('(a|)');
        const { onRetry, calls } = recorder();
        expectObservable(attempts(a1, a2, a3).pipe(retryB2({ scheduler, jitter: 0.5, random: () => 0.5, onRetry }))).toBe('3750ms (a|)');
        scheduler.flush();
        expect(calls.map(({ attempt, delayMs, at }) => ({ attempt, delayMs, at }))).toEqual([
          { attempt: 1, delayMs: 3000, at: 0 },
          { attempt: 2, delayMs: 750, at: 3000 },
        ]);
      });
    });

    it('hears the immediate retry after a re-authorization, with a 0 ms wait', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const expired = failed('b2_list_buckets', 401, 'expired_auth_token');
        const a1 = cold('--#', undefined, expired);
        const a2 = cold('--a|');
        const { onRetry, calls } = recorder();
        expectObservable(attempts(a1, a2).pipe(retryB2({ ...exact, onExpiredAuth: () => undefined, onRetry }))).toBe('----a|');
        scheduler.flush();
        expect(calls).toEqual([{ operation: 'b2_list_buckets', attempt: 1, delayMs: 0, error: expired, at: 2 }]);
      });
    });

    it('is not called for a failure that is not retried, nor for a non-B2Error', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const gone = failed('b2_get_file_info', 404, 'not_found');
        const alien = new Error('not ours');
        const { onRetry, calls } = recorder();
        expectObservable(cold('-#', undefined, gone).pipe(retryB2({ ...exact, onRetry }))).toBe('-#', undefined, gone);
        expectObservable(cold('-#', undefined, alien).pipe(retryB2({ ...exact, onRetry }))).toBe('-#', undefined, alien);
        scheduler.flush();
        expect(calls).toEqual([]);
      });
    });

    it("names the operation 'unknown' when the failure names none", () => {
      scheduler.run(({ cold, expectObservable }) => {
        const e = failed(undefined, 500, 'internal_error');
        const { onRetry, calls } = recorder();
        expectObservable(attempts(cold('#', undefined, e), cold('(a|)')).pipe(retryB2({ ...exact, onRetry }))).toBe('1000ms (a|)');
        scheduler.flush();
        expect(calls.map((c) => c.operation)).toEqual(['unknown']);
      });
    });

    it('fails at once with what onRetry throws, without another attempt', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const thrown = new Error('stop here');
        const source = cold('-#', undefined, failed('b2_list_file_names', 500, 'internal_error'));
        const onRetry = () => {
          throw thrown;
        };
        expectObservable(source.pipe(retryB2({ ...exact, onRetry }))).toBe('-#', undefined, thrown);
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });
  });

  describe('maxAttemptsFor', () => {
    it('gives the failures it names a smaller budget: 3 attempts in all, then that failure', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const refused = new B2Error({ status: 0, code: 'network_error', message: 'refused', osCode: 'ECONNREFUSED', operation: 'b2_authorize_account' });
        const source = cold('-#', undefined, refused);
        const maxAttemptsFor = (e: B2Error) => (e.isUnreachable ? 3 : undefined);
        expectObservable(source.pipe(retryB2({ ...exact, maxAttemptsFor }))).toBe('3003ms #', undefined, refused);
        expectSubscriptions(source.subscriptions).toBe(['^!', '1001ms ^!', '3002ms ^!']);
      });
    });

    it('leaves every other failure to maxAttempts, and counts attempts across kinds of failure', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('-#', undefined, b2(503, 'service_unavailable'));
        const a2 = cold('-#', undefined, b2(503, 'service_unavailable'));
        const refused = new B2Error({ status: 0, code: 'network_error', message: 'refused', osCode: 'ECONNREFUSED' });
        const a3 = cold('-#', undefined, refused);
        const a4 = cold('-a|');
        const maxAttemptsFor = (e: B2Error) => (e.isUnreachable ? 3 : undefined);
        // Two 503s use attempts 1 and 2; the refusal is attempt 3, which is its whole budget.
        expectObservable(attempts(a1, a2, a3, a4).pipe(retryB2({ ...exact, maxAttemptsFor }))).toBe('3003ms #', undefined, refused);
        expectSubscriptions(a3.subscriptions).toBe('3002ms ^!');
        expectSubscriptions(a4.subscriptions).toBe([]);
      });
    });

    it('undefined everywhere is maxAttempts as before', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const e = b2(500, 'internal_error');
        expectObservable(cold('#', undefined, e).pipe(retryB2({ ...exact, maxAttempts: 4, maxAttemptsFor: () => undefined }))).toBe('7000ms #', undefined, e);
      });
    });
  });

  describe('unsubscribing', () => {
    it('cancels a pending wait: the source is not subscribed again', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, b2(503, 'service_unavailable'));
        expectObservable(source.pipe(retryB2(exact)), '^ 500ms !').toBe('');
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });

    it('ends the attempt in flight', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a1 = cold('-#', undefined, b2(500, 'internal_error'));
        const a2 = cold('-----a|');
        expectObservable(attempts(a1, a2).pipe(retryB2(exact)), '1003ms !').toBe('');
        expectSubscriptions(a2.subscriptions).toBe('1001ms ^-!');
      });
    });
  });

  describe('jitter', () => {
    it('draws each backoff from random(): delay × (1 − jitter × random)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const random = jasmine.createSpy('random').and.returnValues(0, 0.5, 0.999);
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        // 1000 × 1, 2000 × 0.75, round(4000 × 0.5005)
        expectObservable(source.pipe(retryB2({ scheduler, jitter: 0.5, random, maxAttempts: 4 }))).toBe('4502ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '1000ms (^!)', '2500ms (^!)', '4502ms (^!)']);
        scheduler.flush();
        expect(random).toHaveBeenCalledTimes(3);
      });
    });

    it('defaults to jitter 0.5: every wait lies in [d/2, d]', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const random = jasmine.createSpy('random').and.returnValues(0.999999, 0, 0.999999);
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        // 500 (lower bound of 1000), 2000 (upper bound), 2000 (lower bound of 4000)
        expectObservable(source.pipe(retryB2({ scheduler, random, maxAttempts: 4 }))).toBe('4500ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '500ms (^!)', '2500ms (^!)', '4500ms (^!)']);
      });
    });

    it('jitter 1 spreads a wait over the whole [0, d]', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        expectObservable(source.pipe(retryB2({ scheduler, jitter: 1, random: () => 0.75, maxAttempts: 3 }))).toBe('750ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '250ms (^!)', '750ms (^!)']);
      });
    });

    it('is applied after the cap', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const e = b2(500, 'internal_error');
        const source = cold('#', undefined, e);
        // min(1500, 1000) × 0.5, then min(1500, 2000) × 0.5
        expectObservable(source.pipe(retryB2({ scheduler, jitter: 1, random: () => 0.5, maxDelayMs: 1500, maxAttempts: 3 }))).toBe('1250ms #', undefined, e);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '500ms (^!)', '1250ms (^!)']);
      });
    });
  });
});
