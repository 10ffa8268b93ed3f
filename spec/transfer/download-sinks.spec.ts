/**
 * Marble specs of a download's sinks (src/transfer/download-sinks.ts): `intoBuffer` collecting
 * exactly the body's bytes, `intoFile` writing them through the platform into a temporary folder
 * and leaving nothing behind on failure. The downloads are cold() Observables of events whose
 * `responseHeader` carries a body read as a Promise-driven stream: subscription logs are checked
 * in virtual time, what the sink emits once the body was read is awaited after it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Subject, finalize, merge, tap, type Observable, type Subscription } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import { B2Error } from '../../src/http/b2-error';
import type { B2Event } from '../../src/http/events';
import type { B2ByteStream, B2DownloadEvent, B2DownloadResult } from '../../src/transfer/download';
import { intoBuffer, intoFile } from '../../src/transfer/download-sinks';

const bytes = (text: string) => new TextEncoder().encode(text);
const failure = new B2Error({ status: 0, code: 'network_error', message: 'connection reset' });
const headers = { 'content-length': '6', 'x-bz-file-id': 'f1' };
const result: B2DownloadResult = { bytes: 6, verifiedSha1: null, verified: 'nothing', unverifiedReason: 'noSha1' };
const sent: B2DownloadEvent = { type: 'sent', attempt: 1 };
const progress: B2DownloadEvent = { type: 'downloadProgress', loaded: 6, total: 6 };
const response: B2DownloadEvent = { type: 'response', status: 200, headers, body: result };
const header = (body: B2ByteStream): B2DownloadEvent => ({ type: 'responseHeader', status: 200, headers, body });
/** A cold() source, with its subscription log. */
type ColdObservable<T> = Observable<T> & Pick<ReturnType<RunHelpers['cold']>, 'subscriptions'>;
/** Lets every pending Promise and I/O callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A body stream of `chunks`, then failing with `fail` if given, or waiting for `cut` if given; counts its reads. */
function body(chunks: Uint8Array[], end: { fail?: Error; cut?: Promise<never> } = {}) {
  const state = { reads: 0 };
  async function* read(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) {
      state.reads++;
      await settle();
      yield chunk;
    }
    if (end.cut) await end.cut;
    if (end.fail) throw end.fail;
  }
  return { stream: read(), state };
}

/** Waits until `done()` holds, polling for at most 10 s (files are opened and written on the thread pool, slow on a loaded machine). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Waits until the one file in `dir` holds `size` bytes; its path. */
async function untilTempHolds(dir: string, size: number): Promise<string> {
  const files = () => fs.readdirSync(dir).map((name) => path.join(dir, name));
  await until(() => files().length === 1 && fs.statSync(files()[0]).size === size);
  expect(files().length).toBe(1);
  expect(fs.statSync(files()[0]).size).toBe(size);
  return files()[0];
}

/** What a sink emits. */
type SinkEvent = B2Event<B2DownloadResult & { data?: Uint8Array; path?: string }>;

/** Everything a sink does, recorded; `done` resolves when it errors or completes. */
function record(source: Observable<SinkEvent>) {
  const seen = { events: [] as SinkEvent[], error: undefined as unknown, complete: false };
  const done = new Promise<void>((resolve) =>
    source.subscribe({
      next: (e) => seen.events.push(e),
      error: (e) => {
        seen.error = e;
        resolve();
      },
      complete: () => {
        seen.complete = true;
        resolve();
      },
    }),
  );
  return { seen, done };
}

describe('download sinks (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('intoBuffer', () => {
    it('reads nothing before subscribe; emits the events, the header without its body, and the response with exactly the bytes, then completes', async () => {
      const b = body([bytes('ab'), new Uint8Array(0), bytes('cde'), bytes('f')]);
      let run!: ReturnType<typeof record>;
      scheduler.run(({ cold, expectSubscriptions }) => {
        const download = cold<B2DownloadEvent>('-s-h-p-r|', { s: sent, h: header(b.stream), p: progress, r: response });
        const buffered = download.pipe(intoBuffer());
        expect(b.state.reads).toBe(0);
        run = record(buffered);
        expectSubscriptions(download.subscriptions).toBe('^-------!');
      });
      await run.done;
      expect(run.seen.error).toBeUndefined();
      expect(run.seen.complete).toBe(true);
      const { events } = run.seen;
      expect(events.slice(0, 3)).toEqual([sent, { type: 'responseHeader', status: 200, headers }, progress]);
      expect('body' in events[1]).toBe(false);
      expect(events.length).toBe(4);
      const last = events[3] as { type: string; body: B2DownloadResult & { data: Uint8Array } };
      expect(last.type).toBe('response');
      expect({ ...last.body, data: undefined }).toEqual({ ...result, data: undefined });
      expect(Buffer.from(last.body.data).toString()).toBe('abcdef');
      expect(last.body.data.length).toBe(6);
    });

    it('collects a body of many chunks byte for byte', async () => {
      const chunks = Array.from({ length: 40 }, (_, i) => Uint8Array.from({ length: (i * 37) % 101 }, (_, j) => (i * 31 + j * 7) % 256));
      const whole = Buffer.concat(chunks);
      let run!: ReturnType<typeof record>;
      scheduler.run(({ cold }) => {
        run = record(cold<B2DownloadEvent>('-h-r|', { h: header(body(chunks).stream), r: response }).pipe(intoBuffer()));
      });
      await run.done;
      const data = (run.seen.events[1] as { body: { data: Uint8Array } }).body.data;
      expect(data.length).toBe(whole.length);
      expect(createHash('sha1').update(data).digest('hex')).toBe(createHash('sha1').update(whole).digest('hex'));
    });

    it('a download that fails mid-body errors with the download’s error, not the body’s, and emits no response', async () => {
      const b = body([bytes('ab')], { fail: new Error('The operation was aborted') });
      let run!: ReturnType<typeof record>;
      scheduler.run(({ cold, expectSubscriptions }) => {
        const download = cold<B2DownloadEvent>('-h-#', { h: header(b.stream) }, failure);
        run = record(download.pipe(intoBuffer()));
        expectSubscriptions(download.subscriptions).toBe('^--!');
      });
      await run.done;
      expect(run.seen.error).toBe(failure);
      expect(run.seen.events.map((e) => e.type)).toEqual(['responseHeader']);
    });

    it('a download that fails before its body errors at once with its error', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const download = cold<B2DownloadEvent>('-s-#', { s: sent }, failure);
        expectObservable(download.pipe(intoBuffer())).toBe('-s-#', { s: sent }, failure);
        expectSubscriptions(download.subscriptions).toBe('^--!');
      });
    });

    it('a body that fails while the download runs on errors with the body’s failure and unsubscribes the download', async () => {
      const broken = new Error('socket hang up');
      let run!: ReturnType<typeof record>;
      let download!: ColdObservable<B2DownloadEvent>;
      scheduler.run(({ cold }) => {
        download = cold<B2DownloadEvent>('-h', { h: header(body([bytes('ab')], { fail: broken }).stream) });
        run = record(download.pipe(intoBuffer()));
      });
      expect(download.subscriptions[0].unsubscribedFrame).toBe(Infinity);
      await run.done;
      expect(run.seen.error).toBe(broken);
      expect(download.subscriptions.length).toBe(1);
      expect(download.subscriptions[0].unsubscribedFrame).not.toBe(Infinity);
    });

    it('unsubscribing unsubscribes the download', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const download = cold<B2DownloadEvent>('-s-h---r|', { s: sent, h: header(body([bytes('ab')]).stream), r: response });
        expectObservable(download.pipe(intoBuffer()), '^----!').toBe('-s-h', { s: sent, h: { type: 'responseHeader', status: 200, headers } });
        expectSubscriptions(download.subscriptions).toBe('^----!');
      });
    });
  });

  describe('intoFile', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-sinks-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes exactly the bytes at `path`, nothing else in its folder, and emits the response once the file is in place', async () => {
      const target = path.join(dir, 'out.bin');
      const b = body([bytes('ab'), bytes('cde'), bytes('f')]);
      let run!: ReturnType<typeof record>;
      let inPlaceAtResponse: boolean | undefined;
      scheduler.run(({ cold, expectSubscriptions }) => {
        const download = cold<B2DownloadEvent>('-s-h-p-r|', { s: sent, h: header(b.stream), p: progress, r: response });
        const written = download.pipe(
          intoFile(target),
          tap((e) => {
            if (e.type === 'response') inPlaceAtResponse = fs.readFileSync(target).toString() === 'abcdef';
          }),
        );
        expect(fs.readdirSync(dir)).toEqual([]);
        run = record(written);
        expectSubscriptions(download.subscriptions).toBe('^-------!');
      });
      await run.done;
      expect(run.seen.error).toBeUndefined();
      expect(run.seen.complete).toBe(true);
      const events = run.seen.events;
      expect(events.slice(0, 3)).toEqual([sent, { type: 'responseHeader', status: 200, headers }, progress]);
      expect(events[3]).toEqual({ type: 'response', status: 200, headers, body: { ...result, path: target } });
      expect(inPlaceAtResponse).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['out.bin']);
      expect(fs.readFileSync(target).toString()).toBe('abcdef');
    });

    it('a download that fails mid-body errors with its error once nothing is left in the folder', async () => {
      const target = path.join(dir, 'out.bin');
      let abort!: (err: Error) => void;
      const cut = new Promise<never>((_, reject) => (abort = reject));
      const b = body([bytes('ab')], { cut });
      const fails = new Subject<never>();
      let download!: ColdObservable<B2DownloadEvent>;
      let run!: ReturnType<typeof record>;
      scheduler.run(({ cold }) => {
        download = cold<B2DownloadEvent>('-h', { h: header(b.stream) });
        run = record(merge(download, fails).pipe(intoFile(target)));
      });
      await untilTempHolds(dir, 2);
      // The download fails: its body ends with an error, and then the download with its own.
      abort(new Error('The operation was aborted'));
      fails.error(failure);
      await run.done;
      expect(run.seen.error).toBe(failure);
      expect(run.seen.events.map((e) => e.type)).toEqual(['responseHeader']);
      expect(download.subscriptions[0].unsubscribedFrame).not.toBe(Infinity);
      // Reported after the sink settled: the temporary file is already gone.
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('a folder that is not there errors with local_io_error naming the path and the system’s code, and writes nothing', async () => {
      const target = path.join(dir, 'missing', 'out.bin');
      let run!: ReturnType<typeof record>;
      scheduler.run(({ cold }) => {
        run = record(cold<B2DownloadEvent>('-h-r|', { h: header(body([bytes('ab')]).stream), r: response }).pipe(intoFile(target)));
      });
      await run.done;
      expect(run.seen.error).toEqual(jasmine.objectContaining({ code: 'local_io_error', osCode: 'ENOENT', path: target }));
      expect(run.seen.complete).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('unsubscribing unsubscribes the download; the body it ends leaves no file behind', async () => {
      const target = path.join(dir, 'out.bin');
      let abort!: (err: Error) => void;
      const cut = new Promise<never>((_, reject) => (abort = reject));
      // Handled by the body if it waits for it by then; not a failure of the spec otherwise.
      cut.catch(() => undefined);
      const b = body([bytes('ab')], { cut });
      let download!: ColdObservable<B2DownloadEvent>;
      const seen: SinkEvent[] = [];
      let subscription!: Subscription;
      scheduler.run(({ cold }) => {
        download = cold<B2DownloadEvent>('-h', { h: header(b.stream) });
        // As the real download does, unsubscribing it ends its body (with an error).
        const aborting = download.pipe(finalize(() => abort(new Error('The operation was aborted'))));
        subscription = aborting.pipe(intoFile(target)).subscribe((e) => seen.push(e));
      });
      expect(await untilTempHolds(dir, 2)).not.toBe(target);
      subscription.unsubscribe();
      expect(download.subscriptions.length).toBe(1);
      expect(download.subscriptions[0].unsubscribedFrame).not.toBe(Infinity);
      expect(seen.map((e) => e.type)).toEqual(['responseHeader']);
      // The write notices the cut body and removes its temporary file: wait (boundedly) for that.
      await until(() => fs.readdirSync(dir).length === 0);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });
});
