import { defer, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2Authorization } from '../../src/api/account';
import type { B2ApiTarget } from '../../src/api/call';
import { B2Error } from '../../src/http/b2-error';
import type { B2Transport } from '../../src/http/transport';
import { B2Session } from '../../src/session/session';

function auth(token: string): B2Authorization {
  return {
    accountId: 'acc',
    authorizationToken: token,
    apiUrl: `https://api-${token}.example`,
    downloadUrl: 'https://f000.example',
    recommendedPartSize: 100_000_000,
    absoluteMinimumPartSize: 5_000_000,
    allowed: { buckets: null, capabilities: ['listBuckets'], namePrefix: null },
  };
}

let serial = 0;
/** A B2Error with a unique message (jasmine compares errors by message only). */
function b2(status: number, code: string): B2Error {
  return new B2Error({ status, code, message: `${status} ${code} #${++serial}` });
}

/** A fake authorize(): its n-th subscription runs the n-th cold observable. */
function fakeAuthorize(...runs: Observable<B2Authorization>[]) {
  const fake = {
    subscriptions: 0,
    authorize: () =>
      defer(() => {
        const run = runs[fake.subscriptions++];
        if (!run) throw new Error(`unexpected authorization ${fake.subscriptions}`);
        return run;
      }),
  };
  return fake;
}

describe('B2Session', () => {
  let scheduler: TestScheduler;
  const transport = {
    request: () => {
      throw new Error('transport must not be used');
    },
  } as unknown as B2Transport;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('authorizes nothing before subscribe, and starts on subscribe', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('-a|', { a: auth('t1') });
      const fake = fakeAuthorize(a1);
      const op = jasmine.createSpy('op').and.callFake((t: B2ApiTarget) => cold('-r|', { r: t.authorizationToken }));
      const session = new B2Session(transport, fake.authorize, { scheduler });

      const call$ = session.call(op);
      session.authorization();
      expect(fake.subscriptions).toBe(0);
      expect(op).not.toHaveBeenCalled();

      expectObservable(call$, '---^').toBe('-----r|', { r: 't1' });
      expectSubscriptions(a1.subscriptions).toBe('---^-!');
      scheduler.flush();
      expect(fake.subscriptions).toBe(1);
      expect(op).toHaveBeenCalledTimes(1);
    });
  });

  it('hands op a target built from the authorization, and the authorization itself', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const a = auth('t1');
      const fake = fakeAuthorize(cold('-a|', { a }));
      const op = jasmine.createSpy('op').and.returnValue(cold('(r|)', { r: 'ok' }));
      const session = new B2Session(transport, fake.authorize, { scheduler });
      expectObservable(session.call(op)).toBe('-(r|)', { r: 'ok' });
      scheduler.flush();
      expect(op).toHaveBeenCalledOnceWith({ transport, apiUrl: 'https://api-t1.example', authorizationToken: 't1' }, a);
    });
  });

  it('shares one authorization between concurrent calls and later ones', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('--a|', { a: auth('t1') });
      const fake = fakeAuthorize(a1);
      const session = new B2Session(transport, fake.authorize, {});
      const op = (t: B2ApiTarget) => cold('-r|', { r: t.authorizationToken });

      expectObservable(session.call(op, { scheduler })).toBe('---r|', { r: 't1' });
      expectObservable(session.call(op, { scheduler }), '-^').toBe('---r|', { r: 't1' });
      expectObservable(session.call(op, { scheduler }), '--^').toBe('---r|', { r: 't1' });
      // after the authorization arrived: replayed, no new request
      expectObservable(session.call(op, { scheduler }), '------^').toBe('-------r|', { r: 't1' });
      expectSubscriptions(a1.subscriptions).toBe('^--!');
      scheduler.flush();
      expect(fake.subscriptions).toBe(1);
    });
  });

  it('re-authorizes exactly once when N concurrent calls all get 401 expired_auth_token, and retries all of them with the new token', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('-a|', { a: auth('t1') });
      const a2 = cold('--b|', { b: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, {});
      const received: string[] = [];
      const op = (t: B2ApiTarget) => {
        received.push(t.authorizationToken);
        return t.authorizationToken === 't1' ? cold<string>('--#', undefined, b2(401, 'expired_auth_token')) : cold('-r|', { r: t.authorizationToken });
      };

      // t1 at 1; every op fails at 3; the one re-authorization runs 3..6; the retries run 5..7.
      for (let i = 0; i < 3; i++) expectObservable(session.call(op, { scheduler })).toBe('------r|', { r: 't2' });
      expectSubscriptions(a1.subscriptions).toBe('^-!');
      expectSubscriptions(a2.subscriptions).toBe('---^--!');
      scheduler.flush();
      expect(fake.subscriptions).toBe(2);
      expect(received).toEqual(['t1', 't1', 't1', 't2', 't2', 't2']);
    });
  });

  it('does not re-authorize again for a late expiry of the old token once the new one is there', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('-a|', { a: auth('t1') });
      const a2 = cold('--b|', { b: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const received: string[] = [];
      const opWith = (expiresAfter: string) => (t: B2ApiTarget) => {
        received.push(t.authorizationToken);
        return t.authorizationToken === 't1' ? cold<string>(`${expiresAfter}#`, undefined, b2(401, 'expired_auth_token')) : cold('-r|', { r: t.authorizationToken });
      };

      // fast: fails at 2, re-authorizes 2..5, retries 4..6
      expectObservable(session.call(opWith('-'))).toBe('-----r|', { r: 't2' });
      // slow: fails at 9 with the old token; t2 is already cached, so it retries at once, 9..11
      expectObservable(session.call(opWith('--------'))).toBe('----------r|', { r: 't2' });
      expectSubscriptions(a2.subscriptions).toBe('--^--!');
      scheduler.flush();
      expect(fake.subscriptions).toBe(2);
      expect(received).toEqual(['t1', 't1', 't2', 't2']);
    });
  });

  it('a call that expires while the re-authorization is pending joins it', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('-a|', { a: auth('t1') });
      const a2 = cold('----b|', { b: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const opWith = (expiresAfter: string) => (t: B2ApiTarget) =>
        t.authorizationToken === 't1' ? cold<string>(`${expiresAfter}#`, undefined, b2(401, 'expired_auth_token')) : cold('-r|', { r: t.authorizationToken });

      // first fails at 2 and re-authorizes 2..7 (t2 at 6); second fails at 4, while that is pending
      expectObservable(session.call(opWith('-'))).toBe('-------r|', { r: 't2' });
      expectObservable(session.call(opWith('---'))).toBe('-------r|', { r: 't2' });
      expectSubscriptions(a2.subscriptions).toBe('--^----!');
      scheduler.flush();
      expect(fake.subscriptions).toBe(2);
    });
  });

  it('re-authorizes only once per call: a second expiry fails the call', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const fake = fakeAuthorize(cold('-a|', { a: auth('t1') }), cold('-b|', { b: auth('t2') }), cold('-c|', { c: auth('t3') }));
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const second = b2(401, 'expired_auth_token');
      const op = (t: B2ApiTarget) => cold<string>('-#', undefined, t.authorizationToken === 't1' ? b2(401, 'expired_auth_token') : second);
      expectObservable(session.call(op)).toBe('----#', undefined, second);
      scheduler.flush();
      expect(fake.subscriptions).toBe(2);
    });
  });

  it('does not cache a failed authorization: the next call authorizes again', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const denied = b2(401, 'unauthorized');
      const a1 = cold<B2Authorization>('-#', undefined, denied);
      const a2 = cold('-a|', { a: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const op = jasmine.createSpy('op').and.callFake((t: B2ApiTarget) => cold('-r|', { r: t.authorizationToken }));

      expectObservable(session.call(op)).toBe('-#', undefined, denied);
      // a concurrent caller waiting on the same authorization gets the same failure
      expectObservable(session.call(op)).toBe('-#', undefined, denied);
      expectObservable(session.call(op), '-----^').toBe('-------r|', { r: 't2' });
      expectSubscriptions(a1.subscriptions).toBe('^!');
      expectSubscriptions(a2.subscriptions).toBe('-----^-!');
      scheduler.flush();
      expect(op).toHaveBeenCalledTimes(1);
    });
  });

  it('retries a failed authorization by the retry rules (503 after 1000 ms), authorizing again', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold<B2Authorization>('-#', undefined, b2(503, 'service_unavailable'));
      const a2 = cold('-a|', { a: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0 });
      const op = (t: B2ApiTarget) => cold('-r|', { r: t.authorizationToken });
      expectObservable(session.call(op)).toBe('1003ms r|', { r: 't2' });
      expectSubscriptions(a2.subscriptions).toBe('1001ms ^-!');
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-integration-checklist
  it('does not retry a 401 from authorize itself, even bad_auth_token', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const bad = b2(401, 'bad_auth_token');
      const a1 = cold<B2Authorization>('-#', undefined, bad);
      const a2 = cold('-a|', { a: auth('t2') });
      const fake = fakeAuthorize(a1, a2);
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const op = (t: B2ApiTarget) => cold('-r|', { r: t.authorizationToken });
      expectObservable(session.call(op)).toBe('-#', undefined, bad);
      expectSubscriptions(a1.subscriptions).toBe('^!');
      expectSubscriptions(a2.subscriptions).toBe([]);
    });
  });

  it('does not retry a 401 from authorize in a later attempt either (an earlier attempt had a token)', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const bad = b2(401, 'bad_auth_token');
      const a1 = cold('(a|)', { a: auth('t1') });
      const a2 = cold<B2Authorization>('-#', undefined, bad);
      const a3 = cold('(c|)', { c: auth('t3') });
      const fake = fakeAuthorize(a1, a2, a3);
      const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0 });
      // attempt 1 runs with t1 and fails with 503; meanwhile the authorization is dropped (reset)
      const op = (t: B2ApiTarget) => cold<string>('-#', undefined, b2(503, `service_unavailable-${t.authorizationToken}`));
      scheduler.schedule(() => session.reset(), 500);
      // attempt 2 at 1001 must authorize again, and that fails with 401: final
      expectObservable(session.call(op)).toBe('1002ms #', undefined, bad);
      expectSubscriptions(a2.subscriptions).toBe('1001ms ^!');
      expectSubscriptions(a3.subscriptions).toBe([]);
    });
  });

  it('retries op failures with the per-call retry options over the session ones', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const fake = fakeAuthorize(cold('(a|)', { a: auth('t1') }));
      const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0, maxAttempts: 8 });
      const e = b2(500, 'internal_error');
      const op = jasmine.createSpy('op').and.returnValue(cold('-#', undefined, e));
      expectObservable(session.call(op, { maxAttempts: 2 })).toBe('1002ms #', undefined, e);
      scheduler.flush();
      expect(op).toHaveBeenCalledTimes(2);
      expect(fake.subscriptions).toBe(1);
    });
  });

  it('unsubscribing a call ends its op; the shared authorization stays cached for the next call', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('-a|', { a: auth('t1') });
      const fake = fakeAuthorize(a1);
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const running = cold('-----r|', { r: 'slow' });
      expectObservable(
        session.call(() => running),
        '^---!',
      ).toBe('');
      expectSubscriptions(running.subscriptions).toBe('-^--!');
      expectObservable(
        session.call((t) => cold('(r|)', { r: t.authorizationToken })),
        '-------^',
      ).toBe('-------(r|)', { r: 't1' });
      expectSubscriptions(a1.subscriptions).toBe('^-!');
    });
  });

  it('reset() forgets the authorization whatever its token', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const fake = fakeAuthorize(cold('-a|', { a: auth('t1') }), cold('-b|', { b: auth('t2') }));
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const op = (t: B2ApiTarget) => cold('(r|)', { r: t.authorizationToken });
      expectObservable(session.call(op)).toBe('-(r|)', { r: 't1' });
      scheduler.schedule(() => session.reset(), 5);
      expectObservable(session.call(op), '------^').toBe('-------(r|)', { r: 't2' });
    });
  });
  it('current() is undefined until an authorization arrives, then that one until it is dropped', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const fake = fakeAuthorize(cold('--a|', { a: auth('t1') }), cold('-b|', { b: auth('t2') }));
      const session = new B2Session(transport, fake.authorize, { scheduler });
      const seen: (string | undefined)[] = [];
      const look = () => seen.push(session.current()?.authorizationToken);
      look(); // before any call: nothing, and nothing asked
      expectObservable(session.authorized().pipe(map((a) => a.authorizationToken))).toBe('--(a|)', { a: 't1' });
      scheduler.schedule(look, 1); // pending: still nothing
      scheduler.schedule(look, 3); // arrived
      scheduler.schedule(() => session.invalidate('t1'), 4);
      scheduler.schedule(look, 5); // dropped
      scheduler.flush();
      expect(seen).toEqual([undefined, undefined, 't1', undefined]);
      expect(fake.subscriptions).toBe(1);
    });
  });

  it('current() forgets a failed authorization (nothing cached)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const failed = b2(403, 'forbidden');
      const fake = fakeAuthorize(cold('-#', undefined, failed));
      const session = new B2Session(transport, fake.authorize, { scheduler, maxAttempts: 1 });
      expectObservable(session.authorized()).toBe('-#', undefined, failed);
      scheduler.flush();
      expect(session.current()).toBeUndefined();
    });
  });

  describe('fail fast: an unreachable realm before the first authorization', () => {
    const refused = (n: number) =>
      new B2Error({
        status: 0,
        code: 'network_error',
        message: `cannot reach https://realm.example (ECONNREFUSED) #${n}`,
        osCode: 'ECONNREFUSED',
        operation: 'b2_authorize_account',
      });

    it('gets 3 attempts (not maxAttempts), then fails with the last refusal', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const e1 = refused(1);
        const e2 = refused(2);
        const e3 = refused(3);
        const fake = fakeAuthorize(cold('-#', undefined, e1), cold('-#', undefined, e2), cold('-#', undefined, e3));
        const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0 });
        // Attempts at 0, 1001 and 3002 ms (backoff 1000, 2000); maxAttempts would be 8.
        expectObservable(session.authorized()).toBe('3003ms #', undefined, e3);
        scheduler.flush();
        expect(fake.subscriptions).toBe(3);
      });
    });

    it('the same refusal after an authorization succeeded is an outage: retried up to maxAttempts', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const last = refused(9);
        const fake = fakeAuthorize(
          cold('-a|', { a: auth('t1') }),
          cold('-#', undefined, refused(4)),
          cold('-#', undefined, refused(5)),
          cold('-#', undefined, refused(6)),
          cold('-#', undefined, last),
        );
        const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0, maxAttempts: 4 });
        expectObservable(session.authorized().pipe(map((a) => a.authorizationToken))).toBe('-(t|)', { t: 't1' });
        // The token is dropped (expired, say): authorizing again meets a refused connection 4 times.
        cold('--x').subscribe(() => session.reset());
        expectObservable(session.authorized(), '---^').toBe('7007ms #', undefined, last);
        scheduler.flush();
        expect(fake.subscriptions).toBe(5);
      });
    });

    it('a refusal from a call other than b2_authorize_account keeps the full budget', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const fake = fakeAuthorize(cold('-a|', { a: auth('t1') }));
        const session = new B2Session(transport, fake.authorize, { scheduler, jitter: 0, maxAttempts: 4 });
        const down = new B2Error({ status: 0, code: 'network_error', message: 'refused', osCode: 'ECONNREFUSED', operation: 'b2_list_buckets' });
        const op = jasmine.createSpy('op').and.callFake(() => cold('-#', undefined, down));
        expectObservable(session.call(op)).toBe('7005ms #', undefined, down);
        scheduler.flush();
        expect(op).toHaveBeenCalledTimes(4);
      });
    });
  });
});
