/**
 * Marble specs of authorizedUpload (src/transfer/authorized-upload.ts) with a fake transport and a
 * fake authorizer: when the authorizer is asked (on subscribe, once per attempt), that nothing is
 * sent with an answer that is not an authorization, and that unsubscribing reaches the request.
 */
import { Observable, filter } from 'rxjs';
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

  describe('large files (the server starts, finishes and cancels; the page sends the parts)', () => {
    const started = { fileId: 'L1', fileName: 'a.txt', bucketId: 'b1', partSize: 10 };
    const partGrant = (n: number) => ({ fileId: 'L1', uploadUrl: `http://b2.test/part/${n}`, authorizationToken: `part-token-${n}` });
    const partAnswer = (n: number): B2Event<unknown, unknown> => ({
      type: 'response',
      status: 200,
      headers: {},
      body: { fileId: 'L1', partNumber: n, contentLength: 10, contentSha1: `sha-${n}`, contentMd5: null, uploadTimestamp: 1 },
    });

    function largeRun(transport: B2Transport, calls: string[], cold: TestScheduler['createColdObservable'], concurrency = 2): AuthorizedUploadRun {
      let partUrls = 0;
      return {
        ...runWith(transport, () => cold('a|', { a: grant(1) })),
        source: openBytesSource(new Uint8Array(30)),
        large: true,
        concurrency,
        authorizer: {
          uploadUrl: () => cold('a|', { a: grant(1) }),
          largeFile: {
            start: () => {
              calls.push('start');
              return cold('-a|', { a: started });
            },
            partUrl: (fileId) => {
              calls.push(`partUrl ${fileId}`);
              return cold('(a|)', { a: partGrant(++partUrls) });
            },
            finish: (fileId, sha1s) => {
              calls.push(`finish ${fileId} ${sha1s.join(',')}`);
              return cold('-a|', { a: { ...FILE, fileId: 'L1', contentLength: 30 } });
            },
            cancel: (fileId) => {
              calls.push(`cancel ${fileId}`);
              return cold('-a|', { a: {} });
            },
          },
        },
      };
    }

    it('asks nothing before subscribe; sends the parts `concurrency` at a time to part URLs from the authorizer; finishes through it', () => {
      scheduler.run(({ cold, expectSubscriptions, flush }) => {
        const calls: string[] = [];
        const parts = [cold('---r|', { r: partAnswer(1) }), cold('-r|', { r: partAnswer(2) }), cold('-r|', { r: partAnswer(3) })];
        const sentTo: string[] = [];
        const transport: B2Transport = {
          request: <T>(req: B2HttpRequest) => {
            const n = Number(req.headers?.['X-Bz-Part-Number']);
            sentTo.push(`${n} ${req.url} ${req.headers?.Authorization}`);
            return parts[n - 1] as unknown as Observable<B2Event<T, unknown>>;
          },
        };
        const upload$ = authorizedUpload(largeRun(transport, calls, cold));
        expect(calls).toEqual([]);
        const types: string[] = [];
        upload$.subscribe((e) => types.push(`${scheduler.now()} ${e.type === 'partUploaded' ? `p${e.partNumber}` : e.type}`));
        // Started at 1; parts 1 and 2 at once; 3 once 2 completed (3); finish once 1 and 3 completed (5).
        expectSubscriptions(parts[0].subscriptions).toBe('-^---!');
        expectSubscriptions(parts[1].subscriptions).toBe('-^-!');
        expectSubscriptions(parts[2].subscriptions).toBe('---^-!');
        flush();
        // Part 3 reuses the URL part 2 gave back: two part URLs asked for.
        expect(calls).toEqual(['start', 'partUrl L1', 'partUrl L1', 'finish L1 sha-1,sha-2,sha-3']);
        expect(sentTo).toEqual(['1 http://b2.test/part/1 part-token-1', '2 http://b2.test/part/2 part-token-2', '3 http://b2.test/part/2 part-token-2']);
        expect(types.filter((t) => !t.endsWith('uploadProgress'))).toEqual(['1 largeFileStarted', '2 p2', '4 p1', '4 p3', '6 response']);
      });
    });

    it('a part refused for good ends the part in flight and asks the server to cancel the large file, once', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const calls: string[] = [];
        const refused = new B2Error({ status: 400, code: 'bad_request', message: 'refused part', operation: 'b2_upload_part' });
        const parts = [cold('-----r|', { r: partAnswer(1) }), cold('--#', undefined, refused), cold('-r|', { r: partAnswer(3) })];
        const transport: B2Transport = { request: <T>(req: B2HttpRequest) => parts[Number(req.headers?.['X-Bz-Part-Number']) - 1] as unknown as Observable<B2Event<T, unknown>> };
        expectObservable(authorizedUpload(largeRun(transport, calls, cold)).pipe(filter((e) => e.type !== 'uploadProgress'))).toBe(
          '-s--#',
          { s: jasmine.objectContaining({ type: 'largeFileStarted', fileId: 'L1' }) },
          refused,
        );
        expectSubscriptions(parts[0].subscriptions).toBe('-^-!');
        expectSubscriptions(parts[2].subscriptions).toBe([]);
        flush();
        expect(calls.filter((c) => c.startsWith('cancel') || c.startsWith('finish'))).toEqual(['cancel L1']);
      });
    });

    it('unsubscribing aborts every part in flight and asks the server to cancel, once', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const calls: string[] = [];
        const parts = [0, 1, 2].map((i) => cold('-----r|', { r: partAnswer(i + 1) }));
        const transport: B2Transport = { request: <T>(req: B2HttpRequest) => parts[Number(req.headers?.['X-Bz-Part-Number']) - 1] as unknown as Observable<B2Event<T, unknown>> };
        expectObservable(authorizedUpload(largeRun(transport, calls, cold, 3)).pipe(filter((e) => e.type !== 'uploadProgress')), '^--!').toBe('-s', {
          s: jasmine.objectContaining({ type: 'largeFileStarted' }),
        });
        for (const part of parts) expectSubscriptions(part.subscriptions).toBe('-^-!');
        flush();
        expect(calls.filter((c) => c.startsWith('cancel'))).toEqual(['cancel L1']);
      });
    });
  });
});
