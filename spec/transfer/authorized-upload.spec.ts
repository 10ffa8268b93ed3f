/**
 * Marble specs of authorizedUpload (src/transfer/authorized-upload.ts) with a fake transport and a
 * fake authorizer: when the authorizer is asked (on subscribe, once per attempt), that nothing is
 * sent with an answer that is not an authorization, and that unsubscribing reaches the request.
 */
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2FileWire, B2UploadUrlWire } from '../../src/api/wire';
import { B2Error } from '../../src/http/b2-error';
import type { B2Event } from '../../src/http/events';
import type { B2HttpRequest, B2Transport } from '../../src/http/transport';
import { authorizedUpload, type AuthorizedUploadRun } from '../../src/transfer/authorized-upload';
import { openBytesSource } from '../../src/transfer/upload-source';

const FILE = { fileId: 'f1', fileName: 'a.txt', contentLength: 5 } as B2FileWire;
const grant = (n: number): B2UploadUrlWire => ({ bucketId: 'b1', uploadUrl: `http://b2.test/upload/${n}`, authorizationToken: `token-${n}` });
const response: B2Event<B2FileWire, unknown> = { type: 'response', status: 200, headers: {}, body: FILE };
const expired = new B2Error({ status: 401, code: 'expired_auth_token', message: 'expired', operation: 'b2_upload_file' });

describe('authorizedUpload (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  function runWith(transport: B2Transport, uploadUrl: () => Observable<unknown>): AuthorizedUploadRun {
    return {
      source: openBytesSource('hello'),
      fileName: 'a.txt',
      contentType: 'text/plain',
      fileInfo: {},
      authorizer: { uploadUrl: uploadUrl as () => Observable<B2UploadUrlWire> },
      transport,
      retry: { baseDelayMs: 10, maxDelayMs: 10, jitter: 0, maxAttempts: 3, scheduler },
      progressIntervalMs: 0,
      large: false,
      concurrency: 1,
    };
  }

  it('asks the authorizer on subscribe, sends with its URL and token, and emits the response', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const answers = cold('--a|', { a: grant(1) });
      const urls: string[] = [];
      const transport: B2Transport = {
        request: <T>(req: B2HttpRequest) => {
          urls.push(`${req.url} ${req.headers?.Authorization}`);
          return cold('-r|', { r: response }) as unknown as Observable<B2Event<T, unknown>>;
        },
      };
      expectObservable(authorizedUpload(runWith(transport, () => answers))).toBe('---r|', { r: response });
      // The answer is left to complete on its own (an HTTP client's request is done by then).
      expectSubscriptions(answers.subscriptions).toBe('^--!');
      scheduler.flush();
      expect(urls).toEqual(['http://b2.test/upload/1 token-1']);
    });
  });

  it('an expired authorization: the retry asks again and uses the fresh one', () => {
    scheduler.run(({ cold, expectObservable }) => {
      let asked = 0;
      const tokens: string[] = [];
      const transport: B2Transport = {
        request: <T>(req: B2HttpRequest) => {
          tokens.push(String(req.headers?.Authorization));
          return (tokens.length === 1 ? cold('-#', {}, expired) : cold('-r|', { r: response })) as unknown as Observable<B2Event<T, unknown>>;
        },
      };
      // answer at 1, failure at 2, back off 10 ms to 12, answer at 13, response at 14.
      expectObservable(authorizedUpload(runWith(transport, () => cold('-a|', { a: grant(++asked) })))).toBe('-- 10ms --r|', { r: response });
      scheduler.flush();
      expect(tokens).toEqual(['token-1', 'token-2']);
    });
  });

  it('an answer that is not an authorization: invalid_argument and no request', () => {
    scheduler.run(({ cold, expectObservable }) => {
      let requests = 0;
      const transport: B2Transport = {
        request: () => {
          requests++;
          return cold('-|');
        },
      };
      const bad = new B2Error({ status: 0, code: 'invalid_argument', field: 'authorizer.uploadUrl.uploadUrl', message: '' });
      expectObservable(authorizedUpload(runWith(transport, () => cold('-a|', { a: { uploadUrl: 'ftp://x', authorizationToken: 't' } })))).toBe(
        '-#',
        undefined,
        jasmine.objectContaining({ code: bad.code, field: bad.field }) as unknown as B2Error,
      );
      scheduler.flush();
      expect(requests).toBe(0);
    });
  });

  it('unsubscribing while the request is in flight unsubscribes from it (the transport aborts)', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const request = cold('-----r|', { r: response });
      const transport: B2Transport = { request: <T>() => request as unknown as Observable<B2Event<T, unknown>> };
      expectObservable(authorizedUpload(runWith(transport, () => cold('a|', { a: grant(1) }))), '^--!').toBe('---');
      expectSubscriptions(request.subscriptions).toBe('^--!');
    });
  });
});
