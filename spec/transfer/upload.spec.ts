import { EMPTY, mergeMap, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2Api, B2UploadTarget } from '../../src/api/b2-api';
import type { UploadFileHeaders } from '../../src/api/transfers';
import type { B2FileWire, B2PartWire } from '../../src/api/wire';
import type { B2Event, B2ResponseEvent } from '../../src/http/events';
import type { B2UploadBody } from '../../src/http/transport';
import { uploadPartBody, uploadSmallFile, type UploadMetadata } from '../../src/transfer/upload';
import { bytesSource } from '../../src/transfer/upload-source';
import { b2Error, depsOf, fakeApi, fileWire, url } from './fake-api';

const META: UploadMetadata = { fileName: 'a.txt', contentType: 'text/plain', fileInfo: { k: 'v' }, protection: { legalHold: 'on' } };
const FILE = fileWire({ fileName: 'a.txt', contentLength: 10 });
const response: B2ResponseEvent<B2FileWire> = { type: 'response', status: 200, headers: {}, body: FILE };
const progress = (loaded: number) => ({ type: 'uploadProgress' as const, loaded, total: 10 });

/**
 * A fake transport attempt: numbers in its marbles are byte counts the transport reports through
 * the body's `onProgress` (as a real one does while it writes); other values are its events.
 */
function attempt<T>(marbles: Observable<number | B2Event<T, unknown>>, body: B2UploadBody): Observable<B2Event<T, unknown>> {
  return marbles.pipe(
    mergeMap((v) => {
      if (typeof v !== 'number') return of(v);
      body.onProgress?.(v);
      return EMPTY;
    }),
  );
}

describe('uploadSmallFile (marbles, fake B2Api)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('asks for nothing before subscribe; then takes a URL, sends the body with its headers, and gives the URL back after success', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const urls = cold('--u|', { u: url(1) });
      const sent = cold('-(r|)', { r: response });
      const calls: { target: B2UploadTarget; headers: UploadFileHeaders; attempt: number }[] = [];
      const api = fakeApi({
        getUploadUrl: () => urls,
        uploadFile: (target, headers, _body, n) => {
          calls.push({ target, headers, attempt: n });
          return sent;
        },
      });
      const deps = depsOf(api, scheduler);
      const bytes = new TextEncoder().encode('0123456789');
      const upload$ = uploadSmallFile(deps, 'bucket-1', bytesSource(bytes, 'bytes'), META);
      expect(calls).toEqual([]);
      expectObservable(upload$).toBe('---(r|)', { r: response });
      expectSubscriptions(urls.subscriptions).toBe('^--!');
      expectSubscriptions(sent.subscriptions).toBe('--^!');
      flush();
      expect(calls).toEqual([
        {
          target: url(1),
          headers: { fileName: 'a.txt', contentType: 'text/plain', contentSha1: bytesSource(bytes, 'x').sha1!, fileInfo: { k: 'v' }, extra: { 'X-Bz-File-Legal-Hold': 'on' } },
          attempt: 1,
        },
      ]);
      expect(deps.uploadUrls.idleCount('bucket-1')).toBe(1);
    });
  });

  it('reuses an idle URL without asking for one', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const urls = cold('--u|', { u: url(9) });
      const api = fakeApi({ getUploadUrl: () => urls, uploadFile: () => cold('-(r|)', { r: response }) });
      const deps = depsOf(api, scheduler);
      deps.uploadUrls.release('bucket-1', url(1));
      expectObservable(uploadSmallFile(deps, 'bucket-1', bytesSource(new Uint8Array(10), 'bytes'), META)).toBe('-(r|)', { r: response });
      scheduler.flush();
      expect(urls.subscriptions).toEqual([]);
    });
  });

  it('retries a failed attempt after B2 wait with a fresh URL (the failed one is dropped); progress never goes back', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const url1 = cold('-u|', { u: url(1) });
      const url2 = cold('-u|', { u: url(2) });
      const urlAnswers = [url1, url2];
      const targets: string[] = [];
      const attempts: Observable<number | B2Event<B2FileWire, unknown>>[] = [
        cold('a-b-#', { a: 4, b: 8 }, b2Error(503, 'service_unavailable')),
        cold('a-b-c-(r|)', { a: 4, b: 8, c: 12, r: response }),
      ];
      const api = fakeApi({
        getUploadUrl: () => urlAnswers.shift()!,
        uploadFile: (target, _headers, body, n) => {
          targets.push(`${target.uploadUrl} #${n}`);
          return attempt(attempts[n - 1], body);
        },
      });
      const deps = depsOf(api, scheduler);
      // Attempt 1: URL at 1, progress 4 and 8, fails at 5; wait 10; attempt 2: URL at 16, progress 4 and 8 (dropped: not above 8), 12 (capped at 10) at 20, response at 22.
      expectObservable(uploadSmallFile(deps, 'bucket-1', bytesSource(new Uint8Array(10), 'bytes'), META)).toBe('-a-b' + '-'.repeat(16) + 'c-(r|)', {
        a: progress(4),
        b: progress(8),
        c: progress(10),
        r: response,
      });
      expectSubscriptions(url1.subscriptions).toBe('^-!');
      expectSubscriptions(url2.subscriptions).toBe('---------------^-!');
      flush();
      expect(targets).toEqual(['https://pod-1.example/upload #1', 'https://pod-2.example/upload #2']);
      // The failed URL is dropped; the one that succeeded is idle again.
      expect(deps.uploadUrls.idleCount('bucket-1')).toBe(1);
    });
  });

  it('errors at once on a failure B2 says not to retry, dropping the URL', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const refused = b2Error(400, 'bad_request');
      const api = fakeApi({ getUploadUrl: () => cold('(u|)', { u: url(1) }), uploadFile: () => cold('--#', undefined, refused) });
      const deps = depsOf(api, scheduler);
      expectObservable(uploadSmallFile(deps, 'bucket-1', bytesSource(new Uint8Array(10), 'bytes'), META)).toBe('--#', undefined, refused);
      flush();
      expect(deps.uploadUrls.idleCount('bucket-1')).toBe(0);
    });
  });

  it('unsubscribing aborts the request in flight and drops its URL', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const sent = cold('-----(r|)', { r: response });
      const api = fakeApi({ getUploadUrl: () => cold('-u|', { u: url(1) }), uploadFile: () => sent });
      const deps = depsOf(api, scheduler);
      expectObservable(uploadSmallFile(deps, 'bucket-1', bytesSource(new Uint8Array(10), 'bytes'), META), '^--!').toBe('');
      expectSubscriptions(sent.subscriptions).toBe('-^-!');
      flush();
      expect(deps.uploadUrls.idleCount('bucket-1')).toBe(0);
    });
  });

  it('unsubscribing during the wait before a retry asks for no new URL', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      let asked = 0;
      const api = fakeApi({
        getUploadUrl: () => {
          asked++;
          return cold('(u|)', { u: url(asked) });
        },
        uploadFile: () => cold('-#', undefined, b2Error(503, 'service_unavailable')),
      });
      expectObservable(uploadSmallFile(depsOf(api, scheduler), 'bucket-1', bytesSource(new Uint8Array(10), 'bytes'), META), '^----!').toBe('');
      flush();
      expect(asked).toBe(1);
    });
  });
});

describe('uploadPartBody (marbles, fake B2Api)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends a part to a URL of its large file with its number, SHA-1 and key headers, and emits its progress and SHA-1', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const part: B2PartWire = { fileId: 'f1', partNumber: 3, contentLength: 10, contentSha1: 'abc', contentMd5: null, uploadTimestamp: 1 };
      const seen: unknown[] = [];
      const api: Partial<B2Api> = {
        getUploadPartUrl: (req) => {
          seen.push(req);
          return cold('-u|', { u: url(1) });
        },
        uploadPart: (target, p, body, n) => {
          seen.push({ target: target.uploadUrl, partNumber: p.partNumber, extra: p.extra, attempt: n });
          return attempt(cold('a-(r|)', { a: 10, r: { type: 'response', status: 200, headers: {}, body: part } as B2ResponseEvent<B2PartWire> }), body);
        },
      };
      const deps = depsOf(fakeApi(api), scheduler);
      const extra = { 'X-Bz-Server-Side-Encryption-Customer-Key': 'k' };
      expectObservable(uploadPartBody(deps, 'f1', { partNumber: 3, source: bytesSource(new Uint8Array(30), 'bytes'), offset: 20, length: 10, knownSha1: undefined, extra })).toBe(
        '-a-(d|)',
        { a: { type: 'progress', loaded: 10 }, d: { type: 'done', contentSha1: 'abc', contentLength: 10 } },
      );
      flush();
      expect(seen).toEqual([{ fileId: 'f1' }, { target: 'https://pod-1.example/upload', partNumber: 3, extra, attempt: 1 }]);
      expect(deps.uploadUrls.idleCount('f1')).toBe(1);
    });
  });
});
