/** Upload progress that never goes back, for every upload pipeline (a body, a large file, an authorized upload). */
import { defer, filter, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Passes every event except an `uploadProgress` whose `loaded` is not above every count passed
 * before: a retried body (or part) starts counting again from 0, and the subscriber never sees
 * the count go back; nor one at or below `from` (bytes already counted: a resumed large file's
 * parts). The count is kept per subscription. Completes and errors with the source.
 */
export function monotonicProgress<E extends { type: string }>(from = 0): MonoTypeOperatorFunction<E> {
  return (source) =>
    defer(() => {
      const advance = neverBack(from);
      return source.pipe(filter((event) => event.type !== 'uploadProgress' || advance((event as unknown as { loaded: number }).loaded)));
    });
}

/**
 * The one count that never goes back: `advance(loaded)` is true when `loaded` is above every
 * count it passed before (and above `from`), and then remembers it.
 */
export function neverBack(from = 0): (loaded: number) => boolean {
  let reported = from;
  return (loaded) => {
    if (loaded <= reported) return false;
    reported = loaded;
    return true;
  };
}
