import { filter, map, type OperatorFunction } from 'rxjs';
import type { B2ResponseEvent } from '../http/events';

/**
 * Turns an operation's events into just its result: the body of the final `response` event
 * (for an upload, the uploaded file).
 *
 * Emits once, when the response arrives; completes with the source; errors as the source does.
 *
 * @example
 * bucket.uploadFile({ contents, fileName }).pipe(toResponseBody()).subscribe((file) => console.log(file.fileId));
 */
export function toResponseBody<T>(): OperatorFunction<
  | {
      /** The event's kind: every event but `response` is skipped. */
      type: string;
    }
  | B2ResponseEvent<T>,
  T
> {
  return (source) =>
    source.pipe(
      filter((e): e is B2ResponseEvent<T> => e.type === 'response'),
      map((e) => e.body),
    );
}
