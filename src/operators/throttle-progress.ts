import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { isProgress } from '../http/events';

/**
 * Thins out progress events so a UI is not flooded: at most one `uploadProgress` or
 * `downloadProgress` per `intervalMs`, always the first and the final one (loaded === total).
 * A progress event held back is still delivered before the next other event (or completion), so
 * the last count a UI sees is the true one, also when the total is unknown.
 *
 * Emits a subset of the source's events in order; completes and errors with it.
 */
export function throttleProgress<
  E extends {
    /** The event's kind: `uploadProgress` and `downloadProgress` are thinned out, the others pass. */
    type: string;
  },
>(intervalMs = 100, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<E> {
  return (source) =>
    new Observable<E>((subscriber) => {
      let last = -Infinity;
      let held: E | undefined;
      const flush = () => {
        if (held) {
          const event = held;
          held = undefined;
          subscriber.next(event);
        }
      };
      return source.subscribe({
        next(event) {
          if (isProgress(event)) {
            const now = scheduler.now();
            const final = event.total !== undefined && event.loaded >= event.total;
            if (!final && now - last < intervalMs) {
              held = event;
              return;
            }
            last = now;
            held = undefined;
          } else {
            flush();
          }
          subscriber.next(event);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
    });
}
