/** Observables run to the end from the CLI's promises, stopped by its interrupt signal. */
import type { Observable } from 'rxjs';
import { CliFailure, Interrupted } from './errors';

/**
 * Subscribes to `source`, handing each value to `next`. Resolves `true` when it completed, or
 * `false` when the signal aborted first (after unsubscribing, which aborts the requests in
 * flight). Rejects with the source's error.
 */
export function consume<T>(source: Observable<T>, signal: AbortSignal | undefined, next: (value: T) => void = () => undefined): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      subscription.unsubscribe();
      resolve(false);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const subscription = source.subscribe({
      next,
      error: (err) => {
        done();
        reject(err);
      },
      complete: () => {
        done();
        resolve(true);
      },
    });
  });
}

/** The last value of `source`; throws `Interrupted` when the signal aborts first. */
export async function one<T>(source: Observable<T>, signal: AbortSignal | undefined): Promise<T> {
  let last: { value: T } | undefined;
  if (!(await consume(source, signal, (value) => (last = { value })))) throw new Interrupted();
  if (!last) throw new CliFailure('no answer');
  return last.value;
}
