/**
 * Where a download's bytes cross between the platform's pull streams and the pipeline's
 * Observables: a response body read as an Observable of chunks (with backpressure), and the byte
 * stream handed to the user, fed from an Observable only as fast as the user reads it.
 */
import { Observable, Subscription, isObservable } from 'rxjs';
import { B2Error } from '../http/b2-error';
import { platform } from '../platform';

/** The body of a download: in Node a `stream.Readable`; iterate it or pipe it. */
export type B2ByteStream = AsyncIterable<Uint8Array>;

/**
 * A response body (the transport's unread stream, or an Observable of chunks) as an Observable of
 * its chunks. Each read waits for the Promise `wanted()` returns, if any (backpressure: the
 * socket is not read meanwhile). Errors with the body's failure; unsubscribing destroys the body.
 */
export function bodyChunks(body: unknown, wanted?: () => Promise<void> | undefined): Observable<Uint8Array> {
  if (isObservable(body)) return body as Observable<Uint8Array>;
  return new Observable<Uint8Array>((subscriber) => {
    const chunks = platform.responseChunks(body)[Symbol.asyncIterator]();
    void (async () => {
      try {
        for (;;) {
          const waiting = wanted?.();
          if (waiting) await waiting;
          if (subscriber.closed) return;
          const step = await chunks.next();
          if (subscriber.closed) return;
          if (step.done) return subscriber.complete();
          subscriber.next(step.value);
        }
      } catch (err) {
        subscriber.error(err);
      }
    })();
    return () => platform.destroyResponse(body);
  });
}

/** What `pullStream().feed` does with the chunks it relays. */
export interface PullFeed {
  /** Told of each chunk as it is read from the body, before the reader gets it. */
  onChunk(chunk: Uint8Array): void;
  /** Told of each chunk as the reader takes it. */
  onTaken?(chunk: Uint8Array): void;
  /** Once the reader has read past the last chunk: an error ends its stream with that error; none ends it. */
  onEnd(): Error | undefined;
  /** The body failed (the reader's stream fails with it too), or `onEnd` returned an error. */
  onError(err: unknown): void;
}

/**
 * A byte stream for the user (the platform's: a Node Readable) and `feed`, which relays an
 * Observable of chunks into it one chunk ahead of the reader: the body is read only as the
 * stream is. The body is subscribed on the reader's first read, handed a `wanted` that holds the
 * next read until the reader took the last chunk. Unsubscribing what `feed` returns aborts the
 * body and ends the stream with an `aborted` B2Error; a reader that abandons the stream aborts
 * the body.
 */
export function pullStream(): {
  stream: B2ByteStream;
  feed(body: (wanted: () => Promise<void> | undefined) => Observable<Uint8Array>, feed: PullFeed): Subscription;
} {
  const queue: Uint8Array[] = [];
  let done = false;
  let failed = false;
  let failure: unknown;
  let wakeReader: (() => void) | undefined;
  let wakeSource: (() => void) | undefined;
  let source: Subscription | undefined;
  let start: (() => void) | undefined;
  let handlers: PullFeed | undefined;
  let stopped = false;
  /** The reader read past the end (its stream ended or failed on `onEnd`). */
  let finished = false;
  /** The reader abandoned the stream. */
  let abandoned = false;
  const wake = () => {
    const w = wakeReader;
    wakeReader = undefined;
    w?.();
  };
  const fail = (err: unknown) => {
    failed = true;
    failure = err;
    wake();
  };
  async function* read(): AsyncGenerator<Uint8Array> {
    start?.();
    start = undefined;
    try {
      for (;;) {
        if (queue.length > 0) {
          const chunk = queue.shift()!;
          const w = wakeSource;
          wakeSource = undefined;
          w?.();
          handlers!.onTaken?.(chunk);
          yield chunk;
          continue;
        }
        if (failed) throw failure;
        if (done) {
          finished = true;
          const err = handlers!.onEnd();
          if (err) {
            handlers!.onError(err);
            throw err;
          }
          return;
        }
        if (abandoned) return;
        await new Promise<void>((resolve) => (wakeReader = resolve));
      }
    } finally {
      // Abandoned by its reader (or failed): nothing more is read.
      if (!finished) source?.unsubscribe();
    }
  }
  const reader = read();
  // Abandoned while a read waits for the body, the generator cannot be returned until the body's
  // next chunk (or ever, if the body stalls): unsubscribe the body at once and wake the read.
  const stream = platform.toByteStream({
    [Symbol.asyncIterator]: () => ({
      next: () => reader.next(),
      return: () => {
        abandoned = true;
        if (!finished) source?.unsubscribe();
        wake();
        return reader.return(undefined);
      },
    }),
  });
  return {
    stream,
    feed(body, feed) {
      handlers = feed;
      start = () => {
        if (stopped) return;
        source = body(() => (queue.length === 0 ? undefined : new Promise<void>((resolve) => (wakeSource = resolve)))).subscribe({
          next: (chunk) => {
            feed.onChunk(chunk);
            queue.push(chunk);
            wake();
          },
          error: (err: unknown) => {
            fail(err);
            feed.onError(err);
          },
          complete: () => {
            done = true;
            wake();
          },
        });
      };
      return new Subscription(() => {
        stopped = true;
        source?.unsubscribe();
        // Unsubscribed before the reader read to the end: its stream ends, failed (on its next
        // read: destroying it here would end it with the platform's own error instead).
        if (!finished && !failed) fail(new B2Error({ status: 0, code: 'aborted', message: 'the download was aborted' }));
      });
    },
  };
}
