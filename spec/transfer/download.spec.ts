/**
 * Marble specs of the download pipeline (src/transfer/download.ts) over a cold() fake of
 * B2Api.downloadFile whose bodies are cold Observables of chunks: nothing before subscribe, the
 * events in order, a cut body resumed from the next byte (onRetry told), another version on resume
 * (`file_changed`), a short body (`truncated`), and unsubscribing reaching the request and body.
 */
import { filter, switchMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2DownloadRequest } from '../../src/api/b2-api';
import { B2Error } from '../../src/http/b2-error';
import type { B2Event } from '../../src/http/events';
import type { B2RetryEvent } from '../../src/operators/retry-b2';
import { downloadPipeline, openDownload, type DownloadDeps, type OpenedDownload } from '../../src/transfer/download';

const bytes = (text: string) => new TextEncoder().encode(text);
const sent = { type: 'sent' as const, attempt: 1 };
const cut = new B2Error({ status: 0, code: 'network_error', message: 'connection reset' });

describe('download pipeline (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A fake api answering each downloadFile with the next of `answers`, recording the requests. */
  function depsWith(answers: (() => Observable<B2Event<unknown, unknown>>)[], retries: B2RetryEvent[] = []) {
    const requests: B2DownloadRequest[] = [];
    const deps: DownloadDeps = {
      api: {
        downloadFile: (req) => {
          requests.push(req);
          return answers[requests.length - 1]();
        },
      },
      retry: { maxAttempts: 3, onRetry: (e) => retries.push(e) },
      progressIntervalMs: 0,
      scheduler,
    };
    return { deps, requests };
  }

  /** The chunks of the download `request` opens. */
  const chunksOf = (deps: DownloadDeps, request: Parameters<typeof openDownload>[1]): Observable<Uint8Array> =>
    openDownload(deps, request).pipe(
      filter((e): e is OpenedDownload => e.type === 'opened'),
      switchMap((opened) => opened.body()),
    );

  const response = (body: unknown, headers: Record<string, string>, status = 200): B2Event<unknown, unknown> => ({ type: 'response', status, headers, body });

  it('sends nothing before subscribe, then emits each attempt sent and the opened download', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('-s--r|', { s: sent, r: response('body', { 'content-length': '5', 'x-bz-file-id': 'f1' }) });
      const { deps, requests } = depsWith([() => answer]);
      const opened$ = openDownload(deps, { by: { fileId: 'f1' }, headers: { 'X-Extra': '1' } });
      expect(requests).toEqual([]);
      expectObservable(opened$, '^--------').toBe('-s--o|', {
        s: sent,
        o: jasmine.objectContaining({ type: 'opened', status: 200, length: 5 }) as unknown as OpenedDownload,
      });
      expectSubscriptions(answer.subscriptions).toBe('^----!');
      scheduler.flush();
      expect(requests).toEqual([{ by: { fileId: 'f1' }, headers: { 'X-Extra': '1' }, authorizationToken: undefined }]);
    });
  });

  it('a range asks for it; a cut body resumes from the next byte of the range, onRetry told, and the bytes run on', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<Uint8Array>('-a-#', { a: bytes('hel') }, cut);
      const second = cold<Uint8Array>('-b|', { b: bytes('lo') });
      const retries: B2RetryEvent[] = [];
      const { deps, requests } = depsWith(
        [
          () => cold('r|', { r: response(first, { 'content-length': '5', 'x-bz-file-id': 'f1' }, 206) }),
          () => cold('--r|', { r: response(second, { 'x-bz-file-id': 'f1' }, 206) }),
        ],
        retries,
      );
      expectObservable(chunksOf(deps, { by: { fileId: 'f1' }, headers: {}, range: { start: 10, end: 14 } })).toBe('-a----b|', { a: bytes('hel'), b: bytes('lo') });
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe('-----^-!');
      scheduler.flush();
      expect(requests.map((r) => r.headers.Range)).toEqual(['bytes=10-14', 'bytes=13-14']);
      expect(retries.map((r) => [r.operation, r.attempt, r.delayMs, r.error.code])).toEqual([['b2_download_file_by_id', 1, 0, 'network_error']]);
    });
  });

  it('a resume answered by another version of the file fails with file_changed', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const first = cold<Uint8Array>('-a#', { a: bytes('hel') }, cut);
      const { deps } = depsWith([
        () => cold('r|', { r: response(first, { 'content-length': '5', 'x-bz-file-id': 'f1' }) }),
        () => cold('r|', { r: response(cold('-b|', { b: bytes('lo') }), { 'x-bz-file-id': 'f2' }) }),
      ]);
      expectObservable(chunksOf(deps, { by: { fileId: 'f1' }, headers: {} })).toBe('-a#', { a: bytes('hel') }, jasmine.objectContaining({ code: 'file_changed' }));
    });
  });

  it('resumes at most maxAttempts - 1 times, then fails with the cut, named as the download call', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const cutBody = () => cold<Uint8Array>('-a#', { a: bytes('h') }, cut);
      const { deps, requests } = depsWith([1, 2, 3].map(() => () => cold('r|', { r: response(cutBody(), { 'content-length': '5', 'x-bz-file-id': 'f1' }) })));
      expectObservable(chunksOf(deps, { by: { bucketName: 'b', fileName: 'n' }, headers: {} })).toBe(
        '-a-a-a#',
        { a: bytes('h') },
        jasmine.objectContaining({ code: 'network_error', operation: 'b2_download_file_by_name' }),
      );
      scheduler.flush();
      expect(requests.length).toBe(3);
    });
  });

  it('a body that ends short of its content length fails with truncated', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { deps } = depsWith([() => cold('r|', { r: response(cold('-a|', { a: bytes('hel') }), { 'content-length': '5' }) })]);
      expectObservable(chunksOf(deps, { by: { fileId: 'f1' }, headers: {} })).toBe('-a#', { a: bytes('hel') }, jasmine.objectContaining({ code: 'truncated' }));
    });
  });

  it('downloadPipeline: sent, then responseHeader with the body stream; nothing sent before subscribe; unsubscribing reaches the request', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('-s-r|', { s: sent, r: response(cold('-a|', { a: bytes('x') }), { 'content-length': '1' }) });
      const { deps, requests } = depsWith([() => answer]);
      const events = downloadPipeline(deps, { by: { fileId: 'f1' }, headers: {} });
      expect(requests).toEqual([]);
      expectObservable(events, '^---!').toBe('-s-h', { s: sent, h: jasmine.objectContaining({ type: 'responseHeader', status: 200 }) as never });
      expectSubscriptions(answer.subscriptions).toBe('^---!');
    });
  });

  it('downloadPipeline: unsubscribed before the headers arrive, the request is unsubscribed and nothing is emitted after sent', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('-s---r|', { s: sent, r: response(cold('-a|', { a: bytes('x') }), {}) });
      const { deps } = depsWith([() => answer]);
      expectObservable(downloadPipeline(deps, { by: { fileId: 'f1' }, headers: {} }), '^-!').toBe('-s', { s: sent });
      expectSubscriptions(answer.subscriptions).toBe('^-!');
    });
  });
});
