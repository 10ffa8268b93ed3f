/**
 * File order for a parallel download, whose ranges arrive in any order: the operators that put
 * a range's chunks (to a stream) or its written bytes (to a file) back in file order, so that the
 * whole-file SHA-1 — sequential by nature — sees every byte once, in order.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Sha1 } from '../platform';

/** A chunk of range `index` (ranges are numbered in file order from 0), or that range's end. */
export type RangeChunk = { index: number; chunk: Uint8Array } | { index: number; end: true };

/**
 * Re-orders the chunks of ranges that arrive interleaved into file order: the first unfinished
 * range's chunks pass at once, a later range's are held until every range before it ended. Emits
 * the chunks and each range's end in file order; completes with its source (erroring if a range
 * never ended), errors with it. Holds at most the chunks of the ranges in flight.
 */
export function inFileOrder(): OperatorFunction<RangeChunk, RangeChunk> {
  return (source) =>
    new Observable<RangeChunk>((subscriber) => {
      let head = 0;
      /** The head range passed a chunk on but has not ended. */
      let headOpen = false;
      const held = new Map<number, RangeChunk[]>();
      return source.subscribe({
        next(item) {
          if (item.index !== head) {
            let list = held.get(item.index);
            if (!list) held.set(item.index, (list = []));
            list.push(item);
            return;
          }
          subscriber.next(item);
          // The head range ended: pass on what the next ones hold, up to the first unfinished one.
          let ended = 'end' in item;
          headOpen = !ended;
          while (ended) {
            head++;
            const list = held.get(head);
            held.delete(head);
            ended = false;
            headOpen = false;
            for (const next of list ?? []) {
              subscriber.next(next);
              if ('end' in next) ended = true;
              else headOpen = true;
            }
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          if (held.size > 0 || headOpen) subscriber.error(new Error(`range ${head} never ended, ${held.size} later range(s) held`));
          else subscriber.complete();
        },
      });
    });
}

/**
 * Hashes the chunks, which arrive in file order, as they pass (`hash` is updated in place);
 * emits them unchanged.
 */
export function hashInOrder(hash: Sha1 | null): OperatorFunction<RangeChunk, RangeChunk> {
  return (source) =>
    new Observable<RangeChunk>((subscriber) =>
      source.subscribe({
        next(item) {
          if (hash && 'chunk' in item) hash.update(item.chunk);
          subscriber.next(item);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}

/** How far range `index` is written, counting from its first byte, with nothing missing before. */
export interface RangeWritten {
  index: number;
  written: number;
}

/** How far the file is written from its first byte, with nothing missing before; and how many whole ranges that is. */
export interface FileWritten {
  through: number;
  ranges: number;
}

/**
 * From ranges written in any order to how far the file is written from its start: emits each time
 * that contiguous prefix grows (for a SHA-1 computed in file order as bytes land on disk).
 * `lengths` are the ranges' lengths in file order. Completes and errors with its source.
 */
export function writtenInOrder(lengths: readonly number[]): OperatorFunction<RangeWritten, FileWritten> {
  return (source) =>
    new Observable<FileWritten>((subscriber) => {
      const written = new Array<number>(lengths.length).fill(0);
      let head = 0;
      let headStart = 0;
      let through = 0;
      return source.subscribe({
        next({ index, written: n }) {
          written[index] = Math.max(written[index], n);
          if (index !== head) return;
          let at = headStart + written[head];
          while (head < lengths.length && written[head] === lengths[head]) {
            headStart += lengths[head];
            head++;
            at = headStart + (head < lengths.length ? written[head] : 0);
          }
          if (at > through) {
            through = at;
            subscriber.next({ through, ranges: head });
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
