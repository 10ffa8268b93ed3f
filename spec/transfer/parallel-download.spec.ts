/**
 * Marble specs of the parallel download's parts (src/transfer/parallel-download.ts,
 * src/transfer/download-order.ts) over cold() fakes of B2Api.downloadFile: nothing before
 * subscribe, the ranges' concurrency and turns, unsubscribing reaching every range in flight, a
 * range's failure ending its siblings, chunks put and hashed in file order whatever order the
 * ranges arrive in, and how far a file is written with nothing missing.
 */
import { Subject, asyncScheduler, of, switchMap, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2DownloadRequest } from '../../src/api/b2-api';
import { B2Error } from '../../src/http/b2-error';
import type { B2Event } from '../../src/http/events';
import { platform, type Sha1 } from '../../src/platform';
import type { DownloadDeps } from '../../src/transfer/download';
import { hashInOrder, inFileOrder, writtenInOrder, type FileWritten, type RangeChunk, type RangeWritten } from '../../src/transfer/download-order';
import { parallelDownload, rangeBody, rangesInTurn, type ParallelDownloadEvent } from '../../src/transfer/parallel-download';
import { planParts } from '../../src/transfer/part-plan';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunk: Uint8Array) => new TextDecoder().decode(chunk);
const failure = new B2Error({ status: 503, code: 'service_unavailable', message: 'busy' });

describe('parallel download (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const parts = planParts(12, 3).parts; // 4 ranges of 3 bytes

  describe('rangesInTurn', () => {
    it('starts at most `concurrency` ranges, the next one at each turn; nothing before subscribe', () => {
      scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const bodies = parts.map((p) => cold(`---(${'abcd'[p.partNumber - 1]}|)`));
        const turns = hot<void>('-----t--t');
        const started: number[] = [];
        const all = rangesInTurn(parts, 2, turns, (part) => {
          started.push(part.partNumber);
          return bodies[part.partNumber - 1];
        });
        expect(started).toEqual([]);
        expectObservable(all).toBe('---(ab)-c--(d|)');
        expectSubscriptions(bodies[0].subscriptions).toBe('^--!');
        expectSubscriptions(bodies[1].subscriptions).toBe('^--!');
        // Range 3 waits for a turn (frame 5), range 4 for the next (frame 8).
        expectSubscriptions(bodies[2].subscriptions).toBe('-----^--!');
        expectSubscriptions(bodies[3].subscriptions).toBe('--------^--!');
      });
    });

    it('mergeMap concurrency holds even when turns come early', () => {
      scheduler.run(({ cold, hot, expectSubscriptions }) => {
        const bodies = parts.map(() => cold('----|'));
        const turns = hot<void>('(ttt)');
        rangesInTurn(parts, 2, turns, (part) => bodies[part.partNumber - 1]).subscribe();
        expectSubscriptions(bodies[0].subscriptions).toBe('^---!');
        expectSubscriptions(bodies[1].subscriptions).toBe('^---!');
        expectSubscriptions(bodies[2].subscriptions).toBe('----^---!');
        expectSubscriptions(bodies[3].subscriptions).toBe('----^---!');
      });
    });

    it('unsubscribing reaches every range in flight', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const bodies = parts.map(() => cold('-----a|'));
        const all = rangesInTurn(parts, 3, new Subject<void>(), (part) => bodies[part.partNumber - 1]);
        expectObservable(all, '^--!').toBe('');
        for (const b of bodies.slice(0, 3)) expectSubscriptions(b.subscriptions).toBe('^--!');
        expectSubscriptions(bodies[3].subscriptions).toBe([]);
      });
    });

    it('a range that fails ends its siblings and errors with its failure', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const ok = cold('------a|');
        const bad = cold('--#', undefined, failure);
        const all = rangesInTurn(parts.slice(0, 2), 2, new Subject<void>(), (part) => (part.partNumber === 1 ? ok : bad));
        expectObservable(all).toBe('--#', undefined, failure);
        expectSubscriptions(ok.subscriptions).toBe('^-!');
        expectSubscriptions(bad.subscriptions).toBe('^-!');
      });
    });
  });

  describe('rangeBody', () => {
    function depsWith(answer: (req: B2DownloadRequest) => Observable<B2Event<unknown, unknown>>): { deps: DownloadDeps; requests: B2DownloadRequest[] } {
      const requests: B2DownloadRequest[] = [];
      return {
        requests,
        deps: {
          api: {
            downloadFile: (req) => {
              requests.push(req);
              return answer(req);
            },
          },
          retry: { maxAttempts: 3 },
          progressIntervalMs: 0,
          scheduler,
        },
      };
    }
    const target = { fileId: 'f1', contentLength: 12, expectedSha1: null, headers: { 'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256' } };

    it('asks for its range with the headers it is handed, on subscribe only', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const { deps, requests } = depsWith(() =>
          cold('-r|', { r: { type: 'response', status: 206, headers: { 'content-length': '3' }, body: cold('-a|', { a: bytes('def') }) } }),
        );
        const body = rangeBody(deps, target, parts[1]);
        expect(requests).toEqual([]);
        expectObservable(body).toBe('--a|', { a: bytes('def') });
        scheduler.flush();
        expect(requests).toEqual([
          { by: { fileId: 'f1' }, headers: { 'X-Bz-Server-Side-Encryption-Customer-Algorithm': 'AES256', Range: 'bytes=3-5' }, authorizationToken: undefined },
        ]);
      });
    });

    it('a range answered with fewer bytes than asked for fails with truncated', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const { deps } = depsWith(() => cold('r|', { r: { type: 'response', status: 206, headers: {}, body: cold('-a|', { a: bytes('de') }) } }));
        expectObservable(rangeBody(deps, target, parts[1])).toBe('-a#', { a: bytes('de') }, jasmine.objectContaining({ code: 'truncated' }));
      });
    });
  });

  describe('inFileOrder and hashInOrder', () => {
    /** A Sha1 that records what it was fed, in order. */
    const recorder = (): Sha1 & { fed: string[] } => {
      const fed: string[] = [];
      return { fed, update: (b) => void fed.push(text(b)), digest: () => fed.join('') };
    };
    const c = (index: number, s: string): RangeChunk => ({ index, chunk: bytes(s) });
    const end = (index: number): RangeChunk => ({ index, end: true });

    it('passes the first range at once, holds later ones until every range before ended, and hashes in file order', () => {
      scheduler.run(({ cold, expectObservable }) => {
        // Ranges 2 and 1 arrive before range 0 ends.
        const arrivals = cold('-a-b-c-d-e-f-g------|', { a: c(2, 'gh'), b: c(0, 'ab'), c: c(1, 'cd'), d: end(1), e: end(2), f: c(0, 'ef'), g: end(0) });
        const hash = recorder();
        const ordered = arrivals.pipe(inFileOrder(), hashInOrder(hash));
        expectObservable(ordered).toBe('---b-------f-(gcdaE)|', { b: c(0, 'ab'), f: c(0, 'ef'), g: end(0), c: c(1, 'cd'), d: end(1), a: c(2, 'gh'), E: end(2) });
        scheduler.flush();
        expect(hash.fed).toEqual(['ab', 'ef', 'cd', 'gh']);
      });
    });

    it('errors when its source completes with a range still held', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const arrivals = cold('-a|', { a: c(1, 'x') });
        expectObservable(arrivals.pipe(inFileOrder())).toBe('--#', undefined, jasmine.any(Error));
      });
    });
  });

  describe('writtenInOrder', () => {
    it('tells how far the file is written with nothing missing, and how many whole ranges that is, never going back', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const w = (index: number, written: number): RangeWritten => ({ index, written });
        // Ranges of 3, 3, 3, 3: range 1 is written first, then range 0 in two steps.
        const writes = cold('-a-b-c-d-e|', { a: w(1, 3), b: w(0, 2), c: w(2, 1), d: w(0, 3), e: w(3, 3) });
        const f = (through: number, ranges: number): FileWritten => ({ through, ranges });
        expectObservable(writes.pipe(writtenInOrder([3, 3, 3, 3]))).toBe('---b---d--|', { b: f(2, 0), d: f(7, 2) });
      });
    });
  });

  describe('parallelDownload', () => {
    it('as a stream: ranges arriving out of order come out in file order, verified, with progress never going back', async () => {
      const content = 'abcdefghijkl';
      const sha1 = platform.createSha1();
      sha1.update(bytes(content));
      const expectedSha1 = sha1.digest();
      // Ranges finish out of order (range 1 before range 0, range 3 before range 2): real time only shuffles them.
      const delays = [30, 0, 20, 0];
      const ranges: string[] = [];
      const deps: DownloadDeps = {
        api: {
          downloadFile: (req) => {
            ranges.push(req.headers.Range);
            const [start, end] = req.headers.Range.slice('bytes='.length).split('-').map(Number);
            const index = start / 3;
            const body = timer(delays[index]).pipe(switchMap(() => of(bytes(content.slice(start, start + 1)), bytes(content.slice(start + 1, end + 1)))));
            return of<B2Event<unknown, unknown>>({ type: 'response', status: 206, headers: { 'content-length': String(end - start + 1) }, body });
          },
        },
        retry: {},
        progressIntervalMs: 0,
        scheduler: asyncScheduler,
      };
      const events: ParallelDownloadEvent[] = [];
      let read: Promise<string> | undefined;
      await new Promise<void>((resolve, reject) =>
        parallelDownload(deps, { fileId: 'f1', contentLength: 12, expectedSha1, headers: {} }, { concurrency: 2, partSize: 3 }, 'stream').subscribe({
          next: (e) => {
            events.push(e);
            if (e.type === 'responseHeader') {
              read = (async () => {
                let all = '';
                for await (const chunk of e.body!) all += text(chunk);
                return all;
              })();
            }
          },
          error: reject,
          complete: resolve,
        }),
      );
      expect(await read).toBe(content);
      expect(events[0]).toEqual({ type: 'sent', attempt: 1 });
      expect(events[events.length - 1]).toEqual({ type: 'response', status: 200, headers: {}, body: { bytes: 12, verifiedSha1: expectedSha1, verified: 'wholeFile' } });
      const loaded = events.flatMap((e) => (e.type === 'downloadProgress' ? [e.loaded] : []));
      expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
      expect(loaded[loaded.length - 1]).toBe(12);
      expect(ranges.sort()).toEqual(['bytes=0-2', 'bytes=3-5', 'bytes=6-8', 'bytes=9-11']);
    });

    it('as a stream: bytes that do not match the SHA-1 fail the stream and the Observable with checksum_mismatch', async () => {
      const deps: DownloadDeps = {
        api: { downloadFile: () => of<B2Event<unknown, unknown>>({ type: 'response', status: 206, headers: {}, body: of(bytes('xyz')) }) },
        retry: {},
        progressIntervalMs: 0,
        scheduler: asyncScheduler,
      };
      let readError: unknown;
      const failed = await new Promise<unknown>((resolve) =>
        parallelDownload(deps, { fileId: 'f1', contentLength: 9, expectedSha1: '0'.repeat(40), headers: {} }, { concurrency: 2, partSize: 3 }, 'stream').subscribe({
          next: (e) => {
            if (e.type === 'responseHeader')
              void (async () => {
                try {
                  for await (const chunk of e.body!) void chunk;
                } catch (err) {
                  readError = err;
                }
              })();
          },
          error: resolve,
        }),
      );
      expect(failed).toEqual(jasmine.objectContaining({ code: 'checksum_mismatch' }));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(readError).toEqual(jasmine.objectContaining({ code: 'checksum_mismatch' }));
    });
  });
});
