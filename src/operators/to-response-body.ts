import { filter, map, type OperatorFunction } from 'rxjs';
import type { B2Event } from '../http/events';

/**
 * Turns an operation's events into just its result: the body of the final `response` event
 * (for an upload, the uploaded file).
 *
 * Emits once, when the response arrives; completes with the source; errors as the source does.
 *
 * @example
 * bucket.uploadFile({ contents, fileName }).pipe(toResponseBody()).subscribe((file) => console.log(file.fileId));
 */
export function toResponseBody<T>(): OperatorFunction<B2Event<T, unknown>, T> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<B2Event<T, unknown>, { type: 'response' }> => e.type === 'response'),
      map((e) => e.body),
    );
}
