import { TestScheduler } from 'rxjs/testing';
import type { B2Event } from '../../src/http/events';
import { toResponseBody } from '../../src/operators/to-response-body';

interface File {
  fileId: string;
}

const ev: Record<string, B2Event<File, unknown>> = {
  s: { type: 'sent', attempt: 1 },
  p: { type: 'uploadProgress', loaded: 5, total: 10 },
  q: { type: 'uploadProgress', loaded: 10, total: 10 },
  h: { type: 'responseHeader', status: 200, headers: { 'content-type': 'application/json' } },
  d: { type: 'downloadProgress', loaded: 3, total: 3 },
  r: { type: 'response', status: 200, headers: { 'content-type': 'application/json' }, body: { fileId: 'f1' } },
};

describe('toResponseBody', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits only the body of the response event, when it arrives, and completes with the source', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('s-p-q-h-d-r-|', ev);
      expectObservable(source.pipe(toResponseBody())).toBe('----------b-|', { b: { fileId: 'f1' } });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  it('completes empty when the source completes without a response', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('s-p-|', ev).pipe(toResponseBody())).toBe('----|');
    });
  });

  it('errors as the source does', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('upload failed');
      expectObservable(cold('s-p-#', ev, boom).pipe(toResponseBody())).toBe('----#', undefined, boom);
    });
  });

  it('unsubscribing unsubscribes from the source', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('s-p-q-r|', ev);
      expectObservable(source.pipe(toResponseBody()), '^---!').toBe('');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });
});
