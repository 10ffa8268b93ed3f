/**
 * Specs of where a download's bytes cross between pull streams and Observables
 * (src/transfer/download-body.ts). `bodyChunks` over an Observable body is marble-tested (values
 * and subscription logs); over a pull body (the transport's stream) and in `pullStream` the reads
 * are Promises, so those specs step through them by hand: what is read when (`wanted`
 * backpressure), the reader's stream ending and failing, and unsubscribing or abandoning reaching
 * the body.
 */
import { PassThrough } from 'node:stream';
import { Subject, defer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { B2Error } from '../../src/http/b2-error';
import { bodyChunks, pullStream, type B2ByteStream, type PullFeed } from '../../src/transfer/download-body';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunk: Uint8Array) => new TextDecoder().decode(chunk);
const failure = new B2Error({ status: 0, code: 'network_error', message: 'connection reset' });
/** Lets every pending Promise and I/O callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A body read by pulling, as a transport's is: counts its reads, and is told when destroyed (as a
 * Node stream would be); fails with `fail` after its chunks, if given.
 */
function pullBody(chunks: string[], fail?: Error): AsyncIterable<Uint8Array> & { reads: number; destroyed: boolean } {
  const body = {
    reads: 0,
    destroyed: false,
    destroy: () => void (body.destroyed = true),
    [Symbol.asyncIterator]() {
      let at = 0;
      return {
        next: (): Promise<IteratorResult<Uint8Array>> => {
          body.reads++;
          if (at < chunks.length) return Promise.resolve({ done: false, value: bytes(chunks[at++]) });
          return fail === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(fail);
        },
      };
    },
  };
  return body;
}

/** A `wanted` that holds each read until `release()`. */
function gate() {
  const waiting: (() => void)[] = [];
  return {
    wanted: () => new Promise<void>((resolve) => waiting.push(resolve)),
    release: () => waiting.shift()!(),
    get waiting() {
      return waiting.length;
    },
  };
}

/** Everything an Observable does, recorded. */
function record<T>(source: Observable<T>) {
  const seen = { values: [] as T[], error: undefined as unknown, complete: false };
  const subscription = source.subscribe({ next: (v) => seen.values.push(v), error: (e) => (seen.error = e), complete: () => (seen.complete = true) });
  return { seen, subscription };
}

describe('download body', () => {
  describe('bodyChunks (marbles, Observable body)', () => {
    let scheduler: TestScheduler;
    beforeEach(() => {
      scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    });

    it('an Observable body is that Observable: its chunks, completion and subscription', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const body = cold('-a-b|', { a: bytes('ab'), b: bytes('cd') });
        expect(bodyChunks(body)).toBe(body);
        expectObservable(bodyChunks(body, () => undefined)).toBe('-a-b|', { a: bytes('ab'), b: bytes('cd') });
        expectSubscriptions(body.subscriptions).toBe('^---!');
      });
    });

    it('errors with the body’s failure; unsubscribing unsubscribes the body', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold('-a-#', { a: bytes('ab') }, failure);
        expectObservable(bodyChunks(failing)).toBe('-a-#', { a: bytes('ab') }, failure);
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        const long = cold('-a---b|', { a: bytes('ab'), b: bytes('cd') });
        expectObservable(bodyChunks(long), '^--!').toBe('-a', { a: bytes('ab') });
        expectSubscriptions(long.subscriptions).toBe('^--!');
      });
    });
  });

  describe('bodyChunks (pull body)', () => {
    it('reads nothing before subscribe, then every chunk in order, and completes at the body’s end', async () => {
      const body = pullBody(['ab', 'cd', 'ef']);
      const chunks$ = bodyChunks(body);
      await settle();
      expect(body.reads).toBe(0);
      const { seen } = record(chunks$);
      await settle();
      expect(seen.values.map(text)).toEqual(['ab', 'cd', 'ef']);
      expect(seen.complete).toBe(true);
      expect(body.reads).toBe(4);
    });

    it('each read waits for what `wanted` returns: the body is not read meanwhile', async () => {
      const body = pullBody(['ab', 'cd']);
      const g = gate();
      const { seen } = record(bodyChunks(body, g.wanted));
      await settle();
      expect(body.reads).toBe(0);
      expect(g.waiting).toBe(1);
      g.release();
      await settle();
      expect(body.reads).toBe(1);
      expect(seen.values.map(text)).toEqual(['ab']);
      g.release();
      await settle();
      expect(seen.values.map(text)).toEqual(['ab', 'cd']);
      expect(seen.complete).toBe(false);
      g.release();
      await settle();
      expect(body.reads).toBe(3);
      expect(seen.complete).toBe(true);
    });

    it('errors with the body’s failure, after the chunks before it', async () => {
      const { seen } = record(bodyChunks(pullBody(['ab'], failure)));
      await settle();
      expect(seen.values.map(text)).toEqual(['ab']);
      expect(seen.error).toBe(failure);
      expect(seen.complete).toBe(false);
    });

    it('unsubscribing destroys the body, and a read held by `wanted` does not happen', async () => {
      const body = pullBody(['ab', 'cd']);
      const g = gate();
      const { seen, subscription } = record(bodyChunks(body, g.wanted));
      g.release();
      await settle();
      expect(seen.values.map(text)).toEqual(['ab']);
      expect(body.destroyed).toBe(false);
      // The next read waits for `wanted`; unsubscribed meanwhile, the body is not read again.
      subscription.unsubscribe();
      expect(body.destroyed).toBe(true);
      g.release();
      await settle();
      expect(body.reads).toBe(1);
      expect(seen.values.map(text)).toEqual(['ab']);
    });

    it('unsubscribing destroys a Node stream body', async () => {
      const socket = new PassThrough();
      socket.write(bytes('ab'));
      const { seen, subscription } = record(bodyChunks(socket));
      await settle();
      expect(seen.values.map(text)).toEqual(['ab']);
      expect(socket.destroyed).toBe(false);
      subscription.unsubscribe();
      expect(socket.destroyed).toBe(true);
    });
  });

  describe('pullStream', () => {
    /** Reads `stream` to its end (or failure), as a user would. */
    async function readAll(stream: B2ByteStream): Promise<{ read: string[]; error?: unknown }> {
      const read: string[] = [];
      try {
        for await (const chunk of stream) read.push(text(chunk));
        return { read };
      } catch (error) {
        return { read, error };
      }
    }

    /** Handlers that record what they were told, in order. */
    function handlers(onEnd: () => Error | undefined = () => undefined) {
      const told: string[] = [];
      const feed: PullFeed = {
        onChunk: (c) => void told.push(`chunk ${text(c)}`),
        onTaken: (c) => void told.push(`taken ${text(c)}`),
        onEnd: () => {
          told.push('end');
          return onEnd();
        },
        onError: (err) => void told.push(`error ${(err as Error).message}`),
      };
      return { told, feed };
    }

    /** A body Subject that counts its subscriptions and keeps the `wanted` it was handed. */
    function subjectBody() {
      const subject = new Subject<Uint8Array>();
      const state = { subscribed: 0, wanted: undefined as (() => Promise<void> | undefined) | undefined, subject };
      const body = (wanted: () => Promise<void> | undefined) =>
        defer(() => {
          state.subscribed++;
          state.wanted = wanted;
          return subject;
        });
      return { state, body };
    }

    it('subscribes the body on the reader’s first read, relays its chunks in order, and ends the stream at its end', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      const { told, feed: h } = handlers();
      feed(body, h);
      await settle();
      expect(state.subscribed).toBe(0);
      const reading = readAll(stream);
      await settle();
      expect(state.subscribed).toBe(1);
      state.subject.next(bytes('ab'));
      state.subject.next(bytes('cd'));
      await settle();
      state.subject.complete();
      const { read, error } = await reading;
      expect(error).toBeUndefined();
      expect(read.join('')).toBe('abcd');
      expect(told).toEqual(['chunk ab', 'chunk cd', 'taken ab', 'taken cd', 'end']);
      expect(state.subscribed).toBe(1);
    });

    it('hands the body a `wanted` that holds the next read while a chunk waits for the reader', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      feed(body, handlers().feed);
      const reader = stream[Symbol.asyncIterator]();
      const first = reader.next();
      await settle();
      expect(state.wanted!()).toBeUndefined();
      state.subject.next(bytes('x'.repeat(1 << 20)));
      // Queued, not yet taken by the reader: the next read waits.
      const held = state.wanted!();
      expect(held).toBeDefined();
      let released = false;
      void held!.then(() => (released = true));
      expect((await first).value!.length).toBe(1 << 20);
      await settle();
      expect(released).toBe(true);
      expect(state.wanted!()).toBeUndefined();
      await reader.return?.();
    });

    it('a body that fails fails the reader’s stream with its error, and the feed is told', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      const { told, feed: h } = handlers();
      feed(body, h);
      const reading = readAll(stream);
      await settle();
      state.subject.next(bytes('ab'));
      await settle();
      state.subject.error(failure);
      const { read, error } = await reading;
      expect(read).toEqual(['ab']);
      expect(error).toBe(failure);
      expect(told).toEqual(['chunk ab', 'taken ab', 'error connection reset']);
    });

    it('an error from onEnd fails the reader’s stream after the last chunk, and the feed is told', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      const mismatch = new B2Error({ status: 0, code: 'checksum_mismatch', message: 'bad sha1' });
      const { told, feed: h } = handlers(() => mismatch);
      feed(body, h);
      const reading = readAll(stream);
      await settle();
      state.subject.next(bytes('ab'));
      await settle();
      state.subject.complete();
      const { read, error } = await reading;
      expect(read).toEqual(['ab']);
      expect(error).toBe(mismatch);
      expect(told).toEqual(['chunk ab', 'taken ab', 'end', 'error bad sha1']);
    });

    it('unsubscribing what feed returns unsubscribes the body and fails the reader’s stream with `aborted`', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      const sub = feed(body, handlers().feed);
      const reading = readAll(stream);
      await settle();
      state.subject.next(bytes('ab'));
      await settle();
      expect(state.subject.observed).toBe(true);
      sub.unsubscribe();
      expect(state.subject.observed).toBe(false);
      const { read, error } = await reading;
      expect(read).toEqual(['ab']);
      expect(error).toEqual(jasmine.objectContaining({ code: 'aborted' }));
    });

    it('unsubscribed before any read, the body is never subscribed', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      feed(body, handlers().feed).unsubscribe();
      const { read, error } = await readAll(stream);
      expect(read).toEqual([]);
      expect(error).toEqual(jasmine.objectContaining({ code: 'aborted' }));
      expect(state.subscribed).toBe(0);
    });

    it('a reader that abandons the stream unsubscribes the body at once, even while a read waits for it', async () => {
      const { state, body } = subjectBody();
      const { stream, feed } = pullStream();
      const { told, feed: h } = handlers();
      feed(body, h);
      const reading = (async () => {
        for await (const chunk of stream) if (text(chunk) === 'ab') break;
      })();
      await settle();
      state.subject.next(bytes('ab'));
      await reading;
      await settle();
      expect(state.subject.observed).toBe(false);
      expect(told).not.toContain('end');
    });
  });
});
