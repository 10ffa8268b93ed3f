/**
 * Marble specs of the file-order operators of a parallel download (src/transfer/download-order.ts):
 * `inFileOrder` putting ranges that arrive in any order back in file order, completing only once
 * every range ended; `hashInOrder` feeding a real SHA-1 in file order; `writtenInOrder` telling how
 * far a file is written with nothing missing. Values and subscription logs, over cold() and hot().
 */
import { createHash } from 'node:crypto';
import { TestScheduler } from 'rxjs/testing';
import { B2Error } from '../../src/http/b2-error';
import { platform } from '../../src/platform';
import { hashInOrder, inFileOrder, writtenInOrder, type FileWritten, type RangeChunk, type RangeWritten } from '../../src/transfer/download-order';

const bytes = (text: string) => new TextEncoder().encode(text);
const failure = new B2Error({ status: 503, code: 'service_unavailable', message: 'busy' });
const c = (index: number, s: string): RangeChunk => ({ index, chunk: bytes(s) });
const end = (index: number): RangeChunk => ({ index, end: true });
const w = (index: number, written: number): RangeWritten => ({ index, written });
const f = (through: number, ranges: number): FileWritten => ({ through, ranges });

describe('download order (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('inFileOrder', () => {
    it('ranges arriving last-first come out in file order when range 0 ends, then completes with its source', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const arrivals = cold('-a-b-c-d-e-f-g-h--------|', { a: c(3, 'jk'), b: end(3), c: c(2, 'gh'), d: end(2), e: c(1, 'de'), f: end(1), g: c(0, 'ab'), h: end(0) });
        const values = { g: c(0, 'ab'), h: end(0), e: c(1, 'de'), f: end(1), c: c(2, 'gh'), d: end(2), a: c(3, 'jk'), b: end(3) };
        expectObservable(arrivals.pipe(inFileOrder())).toBe('-------------g-(hefcdab)|', values);
        expectSubscriptions(arrivals.subscriptions).toBe(`^${'-'.repeat(23)}!`);
      });
    });

    it('releases a held range as soon as every range before it ended, and passes the head range on at once', () => {
      scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        // Subscribed at frame 3: what the hot source emitted before is not seen.
        const arrivals = hot('-z-^-a-b-c----d----e----f-|', { z: c(5, 'zz'), a: c(1, 'cd'), b: c(0, 'ab'), c: end(0), d: c(2, 'ef'), e: end(1), f: end(2) });
        expectObservable(arrivals.pipe(inFileOrder())).toBe('----b-(ca)------(ed)-f-|', { a: c(1, 'cd'), b: c(0, 'ab'), c: end(0), d: c(2, 'ef'), e: end(1), f: end(2) });
        expectSubscriptions(arrivals.subscriptions).toBe(`^${'-'.repeat(22)}!`);
      });
    });

    it('keeps the order of the chunks within a held range', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const arrivals = cold('-a-b-c-d-e------|', { a: c(1, '1'), b: c(1, '2'), c: c(1, '3'), d: end(1), e: end(0) });
        expectObservable(arrivals.pipe(inFileOrder())).toBe('---------(eabcd)|', { a: c(1, '1'), b: c(1, '2'), c: c(1, '3'), d: end(1), e: end(0) });
      });
    });

    it('errors when its source completes with a later range held (its range before never ended)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const arrivals = cold('-a-b-c|', { a: c(0, 'ab'), b: c(2, 'ef'), c: end(2) });
        expectObservable(arrivals.pipe(inFileOrder())).toBe('-a----#', { a: c(0, 'ab') }, jasmine.objectContaining({ message: jasmine.stringMatching(/range 0 never ended/) }));
        expectSubscriptions(arrivals.subscriptions).toBe('^-----!');
      });
    });

    it('errors when its source completes with the head range started but not ended', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const arrivals = cold('-a-b-c|', { a: c(0, 'ab'), b: end(0), c: c(1, 'cd') });
        expectObservable(arrivals.pipe(inFileOrder())).toBe(
          '-a-b-c#',
          { a: c(0, 'ab'), b: end(0), c: c(1, 'cd') },
          jasmine.objectContaining({ message: jasmine.stringMatching(/range 1 never ended/) }),
        );
      });
    });

    it('an index beyond the file, or a chunk of a range that already ended, is never passed on: completion errors', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const beyond = cold('-a-b-c|', { a: c(0, 'ab'), b: end(0), c: c(7, 'zz') });
        expectObservable(beyond.pipe(inFileOrder())).toBe('-a-b--#', { a: c(0, 'ab'), b: end(0) }, jasmine.any(Error));
        const late = cold('-a-b-c-d|', { a: c(0, 'ab'), b: end(0), c: c(0, 'xx'), d: end(1) });
        expectObservable(late.pipe(inFileOrder())).toBe('-a-b---d#', { a: c(0, 'ab'), b: end(0), d: end(1) }, jasmine.any(Error));
      });
    });

    it('an index arriving twice in a held range is passed on twice, in its place', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const arrivals = cold('-a-b-c-d-----|', { a: c(1, 'cd'), b: c(1, 'cd'), c: end(1), d: end(0) });
        expectObservable(arrivals.pipe(inFileOrder())).toBe('-------(dabc)|', { a: c(1, 'cd'), b: c(1, 'cd'), c: end(1), d: end(0) });
      });
    });

    it('passes its source’s error on at once, held chunks dropped, and unsubscribes it', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const arrivals = cold('-a-b-#', { a: c(1, 'cd'), b: c(0, 'ab') }, failure);
        expectObservable(arrivals.pipe(inFileOrder())).toBe('---b-#', { b: c(0, 'ab') }, failure);
        expectSubscriptions(arrivals.subscriptions).toBe('^----!');
      });
    });

    it('unsubscribing unsubscribes its source', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const arrivals = cold('-a-b-c|', { a: c(0, 'ab'), b: c(1, 'cd'), c: end(0) });
        expectObservable(arrivals.pipe(inFileOrder()), '^--!').toBe('-a', { a: c(0, 'ab') });
        expectSubscriptions(arrivals.subscriptions).toBe('^--!');
      });
    });
  });

  describe('hashInOrder', () => {
    it('after inFileOrder, feeds a real SHA-1 every byte once in file order whatever order ranges arrive in', () => {
      const content = 'the quick brown fox jumps over the lazy dog';
      const expected = createHash('sha1').update(content).digest('hex');
      // Ranges of 10 bytes (the last shorter), split in two chunks each, arriving last range first.
      const ranges = [0, 10, 20, 30, 40].map((start) => content.slice(start, start + 10));
      const arrivals: RangeChunk[] = [];
      for (let i = ranges.length - 1; i >= 0; i--) arrivals.push(c(i, ranges[i].slice(0, 4)), c(i, ranges[i].slice(4)), end(i));
      const letter = (i: number) => String.fromCharCode(65 + i);
      const values = Object.fromEntries(arrivals.map((a, i) => [letter(i), a]));
      scheduler.run(({ cold, expectObservable }) => {
        const source = cold(`${arrivals.map((_, i) => letter(i)).join('')}${'-'.repeat(14)}|`, values);
        // The source completes at frame 29, once the group of frame 14 is over.
        const hash = platform.createSha1();
        // Range 0's chunks pass at once (frames 12, 13); its end releases every range held (frame 14).
        expectObservable(source.pipe(inFileOrder(), hashInOrder(hash))).toBe(`${'-'.repeat(12)}MN(${[14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2].map(letter).join('')})|`, values);
        scheduler.flush();
        expect(hash.digest()).toBe(expected);
      });
      // Fed as the ranges arrived (out of order), the SHA-1 differs: the check above can fail.
      const unordered = platform.createSha1();
      for (const a of arrivals) if ('chunk' in a) unordered.update(a.chunk);
      expect(unordered.digest()).not.toBe(expected);
    });

    it('emits every chunk and end unchanged, at the same frame; ends are not hashed', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|', { a: c(0, 'ab'), b: c(0, 'cd'), c: end(0) });
        const hash = platform.createSha1();
        expectObservable(source.pipe(hashInOrder(hash))).toBe('-a-b-c|', { a: c(0, 'ab'), b: c(0, 'cd'), c: end(0) });
        expectSubscriptions(source.subscriptions).toBe('^-----!');
        scheduler.flush();
        expect(hash.digest()).toBe(createHash('sha1').update('abcd').digest('hex'));
      });
    });

    it('with no hash (nothing to verify), passes the chunks through', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b|', { a: c(0, 'ab'), b: end(0) });
        expectObservable(source.pipe(hashInOrder(null))).toBe('-a-b|', { a: c(0, 'ab'), b: end(0) });
      });
    });

    it('passes its source’s error on, unsubscribing it; unsubscribing unsubscribes its source', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold('-a-#', { a: c(0, 'ab') }, failure);
        expectObservable(failing.pipe(hashInOrder(platform.createSha1()))).toBe('-a-#', { a: c(0, 'ab') }, failure);
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        const long = cold('-a-b-c|', { a: c(0, 'ab'), b: c(0, 'cd'), c: end(0) });
        expectObservable(long.pipe(hashInOrder(platform.createSha1())), '^--!').toBe('-a', { a: c(0, 'ab') });
        expectSubscriptions(long.subscriptions).toBe('^--!');
      });
    });
  });

  describe('writtenInOrder', () => {
    it('ranges written last-first: one emission, the whole file, once range 0 is written', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const writes = cold('-a-b-c-d|', { a: w(3, 2), b: w(2, 3), c: w(1, 3), d: w(0, 3) });
        expectObservable(writes.pipe(writtenInOrder([3, 3, 3, 2]))).toBe('-------d|', { d: f(11, 4) });
        expectSubscriptions(writes.subscriptions).toBe('^-------!');
      });
    });

    it('grows with the head range’s partial writes, and never goes back on a stale or repeated report', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const writes = cold('-a-b-c-d-e-f|', { a: w(0, 1), b: w(0, 2), c: w(0, 1), d: w(0, 2), e: w(0, 3), f: w(1, 1) });
        expectObservable(writes.pipe(writtenInOrder([3, 3]))).toBe('-a-b-----e-f|', { a: f(1, 0), b: f(2, 0), e: f(3, 1), f: f(4, 1) });
        // A stale report of a later range (1 byte after 3) does not undo what it wrote.
        const later = cold('-a-b-c|', { a: w(1, 3), b: w(1, 1), c: w(0, 3) });
        expectObservable(later.pipe(writtenInOrder([3, 3]))).toBe('-----c|', { c: f(6, 2) });
      });
    });

    it('counts a later range’s partial write into the prefix once the ranges before it are whole', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const writes = cold('-a-b-c|', { a: w(1, 2), b: w(2, 1), c: w(0, 3) });
        expectObservable(writes.pipe(writtenInOrder([3, 3, 3]))).toBe('-----c|', { c: f(5, 1) });
      });
    });

    it('steps over an empty range', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const writes = cold('-a-b|', { a: w(2, 2), b: w(0, 3) });
        expectObservable(writes.pipe(writtenInOrder([3, 0, 2]))).toBe('---b|', { b: f(5, 3) });
      });
    });

    it('a write of an index beyond the file moves nothing', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const writes = cold('-a-b-c|', { a: w(5, 3), b: w(0, 3), c: w(5, 3) });
        expectObservable(writes.pipe(writtenInOrder([3, 3]))).toBe('---b--|', { b: f(3, 1) });
      });
    });

    it('passes its source’s error on, unsubscribing it; unsubscribing unsubscribes its source', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold('-a-#', { a: w(0, 1) }, failure);
        expectObservable(failing.pipe(writtenInOrder([3]))).toBe('-a-#', { a: f(1, 0) }, failure);
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        const long = cold('-a-b-c|', { a: w(0, 1), b: w(0, 2), c: w(0, 3) });
        expectObservable(long.pipe(writtenInOrder([3])), '^--!').toBe('-a', { a: f(1, 0) });
        expectSubscriptions(long.subscriptions).toBe('^--!');
      });
    });
  });
});
