import { defer, type Observable } from 'rxjs';
import type { B2Event } from '../../src/http/events';
import { TestScheduler } from 'rxjs/testing';
import type { StartLargeFileRequest } from '../../src/api/large-files';
import type { B2PartWire } from '../../src/api/wire';
import { largeUploadSteps, type LargeUploadPlan } from '../../src/transfer/large-file-on-b2';
import { planParts } from '../../src/transfer/part-plan';
import { bytesSource } from '../../src/transfer/upload-source';
import { b2Error, depsOf, fakeApi, fileWire, url } from './fake-api';

const SSE_B2 = { mode: 'SSE-B2' as const, algorithm: 'AES256' as const };
const source = bytesSource(new Uint8Array(25), 'bytes');

function planOf(over: Partial<LargeUploadPlan> = {}): LargeUploadPlan {
  return {
    bucketId: 'bucket-1',
    source,
    meta: { fileName: 'big.bin', contentType: 'b2/x-auto', fileInfo: { a: '1' }, protection: { serverSideEncryption: SSE_B2, legalHold: 'on' } },
    parts: planParts(25, 10).parts,
    resume: {},
    streamParts: null,
    ...over,
  };
}

const part = (partNumber: number, contentSha1: string, contentLength = 10): B2PartWire => ({
  fileId: 'f9',
  partNumber,
  contentLength,
  contentSha1,
  contentMd5: null,
  uploadTimestamp: 1,
});

describe('largeUploadSteps (the B2 side of a large upload; marbles, fake B2Api)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('start: sends nothing before subscribe, then starts the file with its name, type, info and protection', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const started = cold('--(f|)', { f: fileWire() });
      const requests: StartLargeFileRequest[] = [];
      const api = fakeApi({
        startLargeFile: (req) => {
          requests.push(req);
          return started;
        },
      });
      const start$ = largeUploadSteps(depsOf(api, scheduler), planOf()).start();
      expect(requests).toEqual([]);
      expectObservable(start$).toBe('--(s|)', { s: { fileId: 'f1', resumed: false, partsDone: new Map() } });
      expectSubscriptions(started.subscriptions).toBe('^-!');
      flush();
      expect(requests).toEqual([
        { bucketId: 'bucket-1', fileName: 'big.bin', contentType: 'b2/x-auto', fileInfo: { a: '1' }, serverSideEncryption: SSE_B2, fileRetention: undefined, legalHold: 'on' },
      ]);
    });
  });

  it('start: after a retried start, cancels the files its lost attempts made (same name and info, within the attempts window), and only those', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const ours = fileWire({ fileId: 'ours', fileInfo: { a: '1' }, uploadTimestamp: 10_000, action: 'start' });
      const lost = fileWire({ fileId: 'lost', fileInfo: { a: '1' }, uploadTimestamp: 9_500, action: 'start' });
      const older = fileWire({ fileId: 'older', fileInfo: { a: '1' }, uploadTimestamp: 5_000, action: 'start' });
      const otherInfo = fileWire({ fileId: 'other', fileInfo: { a: '2' }, uploadTimestamp: 9_900, action: 'start' });
      const cancelled: string[] = [];
      const api = fakeApi({
        // The seam retried the start: its hook heard of two attempts.
        startLargeFile: (_req, hooks) =>
          defer(() => {
            hooks?.onAttempt?.(1);
            hooks?.onAttempt?.(2);
            return cold('-(f|)', { f: ours });
          }),
        listUnfinishedLargeFiles: () => cold('-(p|)', { p: { files: [older, lost, otherInfo, ours], nextFileId: null } }),
        cancelLargeFile: ({ fileId }) => {
          cancelled.push(fileId);
          return cold('-(c|)', { c: { fileId, fileName: 'big.bin', accountId: 'acct', bucketId: 'bucket-1' } });
        },
      });
      expectObservable(largeUploadSteps(depsOf(api, scheduler), planOf()).start()).toBe('---(s|)', { s: { fileId: 'ours', resumed: false, partsDone: new Map() } });
      flush();
      expect(cancelled).toEqual(['lost']);
    });
  });

  it('start: a start that was not retried lists nothing', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const api = fakeApi({ startLargeFile: () => cold('-(f|)', { f: fileWire() }) });
      expectObservable(largeUploadSteps(depsOf(api, scheduler), planOf()).start()).toBe('-(s|)', { s: { fileId: 'f1', resumed: false, partsDone: new Map() } });
    });
  });

  it('start with a checkpoint: finds its unfinished file and keeps only the parts whose length and SHA-1 match the source', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const listed: unknown[] = [];
      const api = fakeApi({
        listUnfinishedLargeFiles: (req) => {
          listed.push(req);
          return cold('-(p|)', { p: { files: [fileWire({ fileId: 'f9', action: 'start', fileInfo: { a: '1' } })], nextFileId: null } });
        },
        listParts: () => cold('-(p|)', { p: { parts: [part(1, 's1'), part(2, 'changed'), part(3, 's3', 7)], nextPartNumber: null } }),
      });
      const plan = planOf({
        resume: { checkpoint: { fileId: 'f9', fileName: 'big.bin', size: 25, partSize: 10, partsDone: {} } },
        whole: { sha1: undefined, partSha1s: ['s1', 's2', 's3'] },
      });
      expectObservable(largeUploadSteps(depsOf(api, scheduler), plan).start()).toBe('--(s|)', { s: { fileId: 'f9', resumed: true, partsDone: new Map([[1, 's1']]) } });
      flush();
      expect(listed).toEqual([{ bucketId: 'bucket-1', namePrefix: 'big.bin', startFileId: undefined, maxFileCount: 100 }]);
    });
  });

  it('uploadPart: retries a failed part with a fresh part URL, B2 wait apart, and emits its SHA-1', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const attempts: Observable<B2Event<B2PartWire, unknown>>[] = [
        cold<B2Event<B2PartWire, unknown>>('-#', undefined, b2Error(503, 'service_unavailable')),
        cold('-(r|)', { r: { type: 'response' as const, status: 200, headers: {}, body: part(2, 'b2-sha') } }),
      ];
      const targets: string[] = [];
      let n = 0;
      const urls = [cold('(u|)', { u: url(1) }), cold('(u|)', { u: url(2) })];
      const api = fakeApi({
        getUploadPartUrl: () => urls[n++],
        uploadPart: (target, p, _body, attempt) => {
          targets.push(`${target.uploadUrl} part ${p.partNumber} attempt ${attempt}`);
          return attempts[attempt - 1];
        },
      });
      const deps = depsOf(api, scheduler);
      expectObservable(largeUploadSteps(deps, planOf()).uploadPart('f1', { partNumber: 2, offset: 10, length: 10 })).toBe('------------(d|)', {
        d: { type: 'done', contentSha1: 'b2-sha', contentLength: 10 },
      });
      expectSubscriptions(urls[1].subscriptions).toBe('-----------(^!)');
      flush();
      expect(targets).toEqual(['https://pod-1.example/upload part 2 attempt 1', 'https://pod-2.example/upload part 2 attempt 2']);
      expect(deps.uploadUrls.idleCount('f1')).toBe(1);
    });
  });

  it('finish: a finish refused after a lost answer is the file found finished; the part URLs are forgotten', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const finished = fileWire({ action: 'upload' });
      const api = fakeApi({ finishLargeFile: () => cold('-#', undefined, b2Error(400, 'bad_request')), getFileInfo: () => cold('-(f|)', { f: finished }) });
      const deps = depsOf(api, scheduler);
      deps.uploadUrls.release('f1', url(1));
      expectObservable(largeUploadSteps(deps, planOf()).finish('f1', ['s1', 's2', 's3'])).toBe('--(f|)', { f: finished });
      flush();
      expect(deps.uploadUrls.idleCount('f1')).toBe(0);
    });
  });

  it('finish: a refusal for a file that is not finished stays the error', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const refused = b2Error(400, 'bad_request');
      const api = fakeApi({ finishLargeFile: () => cold('-#', undefined, refused), getFileInfo: () => cold('-(f|)', { f: fileWire({ action: 'start' }) }) });
      expectObservable(largeUploadSteps(depsOf(api, scheduler), planOf()).finish('f1', ['s1'])).toBe('--#', undefined, refused);
    });
  });

  it('cancel: on subscribe only, forgets the part URLs and cancels the file', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const cancel = cold('-(c|)', { c: { fileId: 'f1', fileName: 'big.bin', accountId: 'acct', bucketId: 'bucket-1' } });
      const deps = depsOf(fakeApi({ cancelLargeFile: () => cancel }), scheduler);
      deps.uploadUrls.release('f1', url(1));
      const cancel$ = largeUploadSteps(deps, planOf()).cancel('f1');
      expect(deps.uploadUrls.idleCount('f1')).toBe(1);
      expectObservable(cancel$).toBe('-(c|)', { c: { fileId: 'f1', fileName: 'big.bin', accountId: 'acct', bucketId: 'bucket-1' } });
      expectSubscriptions(cancel.subscriptions).toBe('^!');
      flush();
      expect(deps.uploadUrls.idleCount('f1')).toBe(0);
    });
  });
});
