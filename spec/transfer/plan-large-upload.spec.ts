import { filter, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2Api } from '../../src/api/b2-api';
import type { StartLargeFileRequest } from '../../src/api/large-files';
import type { B2PartWire } from '../../src/api/wire';
import type { B2Event } from '../../src/http/events';
import type { B2LargeUploadEvent } from '../../src/transfer/large-file-pipeline';
import { uploadLargeFile } from '../../src/transfer/plan-large-upload';
import type { UploadMetadata } from '../../src/transfer/upload';
import { bytesSource } from '../../src/transfer/upload-source';
import { AUTH, b2Error, depsOf, fakeApi, fileWire, url } from './fake-api';

const META: UploadMetadata = { fileName: 'big.bin', contentType: 'b2/x-auto', fileInfo: {}, protection: {} };
const BYTES = new Uint8Array(40).map((_, i) => i);
const source = bytesSource(BYTES, 'bytes');
const CANCELLED = { fileId: 'f1', fileName: 'big.bin', accountId: 'acct', bucketId: 'bucket-1' };

/** Events as short names: `s` started, `pN` part N uploaded, `r` the response (progress left out). */
const names = (source: Observable<B2LargeUploadEvent>) =>
  source.pipe(
    filter((e) => e.type !== 'uploadProgress'),
    namesOf,
  );
const namesOf = map((e: B2LargeUploadEvent) => (e.type === 'partUploaded' ? `p${e.partNumber}` : e.type === 'largeFileStarted' ? 's' : e.type === 'response' ? 'r' : e.type));
const partAnswer = (partNumber: number) => ({
  type: 'response' as const,
  status: 200,
  headers: {},
  body: { fileId: 'f1', partNumber, contentLength: 10, contentSha1: `sha-${partNumber}`, contentMd5: null, uploadTimestamp: 1 },
});

describe('uploadLargeFile (plans, hashes ahead, runs the parts; marbles, fake B2Api)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A fake B2Api whose part N answers with `parts[N - 1]`; every part gets a URL at once. */
  function apiWith(cold: TestScheduler['createColdObservable'], parts: Observable<B2Event<B2PartWire, unknown>>[], over: Partial<B2Api> = {}) {
    const authorization = cold('(a|)', { a: AUTH });
    const seen = { authorization, starts: [] as StartLargeFileRequest[], finishes: [] as string[][], cancels: 0, partUrls: 0 };
    const api = fakeApi({
      authorization: () => authorization,
      startLargeFile: (req) => {
        seen.starts.push(req);
        return cold('-(f|)', { f: fileWire({ action: 'start' }) });
      },
      getUploadPartUrl: () => cold('(u|)', { u: url(++seen.partUrls) }),
      uploadPart: (_target, part) => parts[part.partNumber - 1],
      finishLargeFile: (req) => {
        seen.finishes.push(req.partSha1Array);
        return cold('-(f|)', { f: fileWire() });
      },
      cancelLargeFile: () => {
        seen.cancels++;
        return cold('-(c|)', { c: CANCELLED });
      },
      ...over,
    });
    return { api, seen };
  }

  it('does nothing before subscribe', () => {
    scheduler.run(({ cold, flush }) => {
      const { api, seen } = apiWith(cold, []);
      uploadLargeFile(depsOf(api, scheduler), 'bucket-1', source, META, { partSize: 10 });
      flush();
      expect(seen.authorization.subscriptions).toEqual([]);
      expect(seen.starts).toEqual([]);
    });
  });

  it('records the whole SHA-1 it knows, keeps `concurrency` parts in flight, and finishes with the SHA-1s in part order', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const p = [cold('---(r|)', { r: partAnswer(1) }), cold('-----(r|)', { r: partAnswer(2) }), cold('-(r|)', { r: partAnswer(3) }), cold('--(r|)', { r: partAnswer(4) })];
      const { api, seen } = apiWith(cold, p);
      const upload$ = uploadLargeFile(depsOf(api, scheduler), 'bucket-1', source, META, { partSize: 10, concurrency: 2 }).pipe(names);
      // Started at 1; parts 1 and 2 at once; 3 when 1 is done (4), 4 when 3 is done (5); finish once 2 (6) and 4 (7) are done, answered at 8.
      expectObservable(upload$).toBe('-s--abcd(r|)', { s: 's', a: 'p1', b: 'p3', c: 'p2', d: 'p4', r: 'r' });
      expectSubscriptions(p[0].subscriptions).toBe('-^--!');
      expectSubscriptions(p[1].subscriptions).toBe('-^----!');
      expectSubscriptions(p[2].subscriptions).toBe('----^!');
      expectSubscriptions(p[3].subscriptions).toBe('-----^-!');
      flush();
      expect(seen.starts.map((s) => s.fileInfo)).toEqual([{ large_file_sha1: source.sha1! }]);
      expect(seen.finishes).toEqual([['sha-1', 'sha-2', 'sha-3', 'sha-4']]);
      expect(seen.cancels).toBe(0);
    });
  });

  it('a part that fails for good ends its siblings in flight, starts no other, cancels the large file once and errors with the part error', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const refused = b2Error(400, 'bad_request');
      const p = [
        cold('-----(r|)', { r: partAnswer(1) }),
        cold<B2Event<B2PartWire, unknown>>('--#', undefined, refused),
        cold('-(r|)', { r: partAnswer(3) }),
        cold('-(r|)', { r: partAnswer(4) }),
      ];
      const { api, seen } = apiWith(cold, p);
      expectObservable(uploadLargeFile(depsOf(api, scheduler), 'bucket-1', source, META, { partSize: 10, concurrency: 2 }).pipe(names)).toBe('-s--#', { s: 's' }, refused);
      expectSubscriptions(p[0].subscriptions).toBe('-^-!');
      expectSubscriptions(p[1].subscriptions).toBe('-^-!');
      expectSubscriptions(p[2].subscriptions).toBe([]);
      expectSubscriptions(p[3].subscriptions).toBe([]);
      flush();
      expect(seen.cancels).toBe(1);
      expect(seen.finishes).toEqual([]);
    });
  });

  it('unsubscribing aborts every part in flight at that frame and cancels the large file once', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const p = [cold('-----(r|)', { r: partAnswer(1) }), cold('-----(r|)', { r: partAnswer(2) }), cold('-----(r|)', { r: partAnswer(3) }), cold('-(r|)', { r: partAnswer(4) })];
      const { api, seen } = apiWith(cold, p);
      expectObservable(uploadLargeFile(depsOf(api, scheduler), 'bucket-1', source, META, { partSize: 10, concurrency: 3 }).pipe(names), '^--!').toBe('-s', { s: 's' });
      for (const part of p.slice(0, 3)) expectSubscriptions(part.subscriptions).toBe('-^-!');
      expectSubscriptions(p[3].subscriptions).toBe([]);
      flush();
      expect(seen.cancels).toBe(1);
    });
  });

  it('with keepOnFailure: unsubscribing aborts the parts and leaves the large file for a resume', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const p = [0, 1, 2, 3].map((i) => cold('-----(r|)', { r: partAnswer(i + 1) }));
      const { api, seen } = apiWith(cold, p);
      expectObservable(uploadLargeFile(depsOf(api, scheduler), 'bucket-1', source, META, { partSize: 10, keepOnFailure: true }).pipe(names), '^--!').toBe('-s', { s: 's' });
      flush();
      expect(seen.cancels).toBe(0);
    });
  });

  it('refuses to resume a stream, before any request', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const { api, seen } = apiWith(cold, []);
      const stream = { ...bytesSource(BYTES, 'stream'), oneShot: true };
      expectObservable(uploadLargeFile(depsOf(api, scheduler), 'bucket-1', stream, META, { partSize: 10, resume: true })).toBe(
        '#',
        undefined,
        jasmine.objectContaining({ code: 'invalid_argument', field: 'resume' }),
      );
      flush();
      expect(seen.starts).toEqual([]);
    });
  });
});
