import { TestScheduler } from 'rxjs/testing';
import type { B2Api } from '../../src/api/b2-api';
import type { CopyFileRequest } from '../../src/api/files';
import type { CopyPartRequest, StartLargeFileRequest } from '../../src/api/large-files';
import type { B2PartWire } from '../../src/api/wire';
import { copyFileVersion, type CopyRequest, type CopySource } from '../../src/transfer/copy';
import type { B2LargeUploadEvent } from '../../src/transfer/large-file-pipeline';
import { AUTH, b2Error, depsOf, fakeApi, fileWire } from './fake-api';

const SOURCE: CopySource = { fileId: 'src', contentLength: 25, contentType: 'text/plain', fileInfo: { from: 'source' } };
const SSE_C = { mode: 'SSE-C' as const, algorithm: 'AES256' as const, customerKey: 'a2V5', customerKeyMd5: 'bWQ1' };
const REQUEST: CopyRequest = { fileName: 'copy.txt', destinationBucketId: 'bucket-2', metadataDirective: 'COPY', protection: {} };
const copied = (partNumber: number): B2PartWire => ({
  fileId: 'f1',
  partNumber,
  contentLength: partNumber === 3 ? 5 : 10,
  contentSha1: `sha-${partNumber}`,
  contentMd5: null,
  uploadTimestamp: 1,
});
const CANCELLED = { fileId: 'f1', fileName: 'copy.txt', accountId: 'acct', bucketId: 'bucket-2' };

describe('copyFileVersion (marbles, fake B2Api)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('below the threshold: one b2_copy_file on subscribe, nothing before', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const authorization = cold('(a|)', { a: AUTH });
      const requests: CopyFileRequest[] = [];
      const api = fakeApi({
        authorization: () => authorization,
        copyFile: (req) => {
          requests.push(req);
          return cold('--(f|)', { f: fileWire({ fileName: 'copy.txt' }) });
        },
      });
      const copy$ = copyFileVersion(depsOf(api, scheduler), SOURCE, { ...REQUEST, metadataDirective: 'REPLACE', contentType: 'text/csv', largeFileThreshold: 100 });
      expect(authorization.subscriptions).toEqual([]);
      expectObservable(copy$).toBe('--(r|)', { r: { type: 'response', status: 200, headers: {}, body: fileWire({ fileName: 'copy.txt' }) } });
      expectSubscriptions(authorization.subscriptions).toBe('(^!)');
      flush();
      expect(requests).toEqual([
        {
          sourceFileId: 'src',
          fileName: 'copy.txt',
          destinationBucketId: 'bucket-2',
          metadataDirective: 'REPLACE',
          sourceServerSideEncryption: undefined,
          destinationServerSideEncryption: undefined,
          fileRetention: undefined,
          legalHold: undefined,
          contentType: 'text/csv',
          fileInfo: {},
        },
      ]);
    });
  });

  it('above it: a large file of b2_copy_part ranges, `concurrency` at a time, the SSE-C keys on every part, finished in part order', () => {
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const parts = [cold('---(p|)', { p: copied(1) }), cold('-(p|)', { p: copied(2) }), cold('-(p|)', { p: copied(3) })];
      const starts: StartLargeFileRequest[] = [];
      const copies: CopyPartRequest[] = [];
      const finishes: string[][] = [];
      const api = fakeApi({
        authorization: () => cold('(a|)', { a: AUTH }),
        startLargeFile: (req) => {
          starts.push(req);
          return cold('-(f|)', { f: fileWire({ action: 'start' }) });
        },
        copyPart: (req) => {
          copies.push(req);
          return parts[req.partNumber - 1];
        },
        finishLargeFile: (req) => {
          finishes.push(req.partSha1Array);
          return cold('-(f|)', { f: fileWire({ fileName: 'copy.txt' }) });
        },
      });
      const copy$ = copyFileVersion(depsOf(api, scheduler), SOURCE, {
        ...REQUEST,
        largeFileThreshold: 10,
        partSize: 10,
        concurrency: 2,
        sourceEncryption: SSE_C,
        protection: { serverSideEncryption: SSE_C },
      });
      const types = (e: B2LargeUploadEvent) => (e.type === 'partUploaded' ? `p${e.partNumber}` : e.type === 'uploadProgress' ? `${e.loaded} of ${e.total}` : e.type);
      const events: string[] = [];
      copy$.subscribe((e) => events.push(`${scheduler.now()} ${types(e)}`));
      // Started at 1; parts 1 and 2 at once, 3 when 2 is done (2); finish when 1 is done (4).
      expectSubscriptions(parts[0].subscriptions).toBe('-^--!');
      expectSubscriptions(parts[1].subscriptions).toBe('-^!');
      expectSubscriptions(parts[2].subscriptions).toBe('--^!');
      flush();
      // Progress counts the bytes copied, never going back.
      expect(events).toEqual(['1 largeFileStarted', '2 10 of 25', '2 p2', '3 15 of 25', '3 p3', '4 25 of 25', '4 p1', '5 response']);
      expect(starts).toEqual([
        {
          bucketId: 'bucket-2',
          fileName: 'copy.txt',
          contentType: 'text/plain',
          fileInfo: { from: 'source' },
          serverSideEncryption: SSE_C,
          fileRetention: undefined,
          legalHold: undefined,
        },
      ]);
      expect(copies.map((c) => [c.partNumber, c.range, c.largeFileId, c.sourceServerSideEncryption, c.destinationServerSideEncryption])).toEqual([
        [1, 'bytes=0-9', 'f1', SSE_C, SSE_C],
        [2, 'bytes=10-19', 'f1', SSE_C, SSE_C],
        [3, 'bytes=20-24', 'f1', SSE_C, SSE_C],
      ]);
      expect(finishes).toEqual([['sha-1', 'sha-2', 'sha-3']]);
    });
  });

  it('a copied part that fails ends the others and cancels the large file once', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const refused = b2Error(403, 'access_denied');
      const parts = [cold('-----(p|)', { p: copied(1) }), cold<B2PartWire>('--#', undefined, refused), cold('-(p|)', { p: copied(3) })];
      let cancels = 0;
      const api: Partial<B2Api> = {
        authorization: () => cold('(a|)', { a: AUTH }),
        startLargeFile: () => cold('-(f|)', { f: fileWire({ action: 'start' }) }),
        copyPart: (req) => parts[req.partNumber - 1],
        cancelLargeFile: () => {
          cancels++;
          return cold('-(c|)', { c: CANCELLED });
        },
      };
      const copy$ = copyFileVersion(depsOf(fakeApi(api), scheduler), SOURCE, { ...REQUEST, largeFileThreshold: 10, partSize: 10, concurrency: 2 });
      expectObservable(copy$).toBe('-s--#', { s: jasmine.objectContaining({ type: 'largeFileStarted', fileId: 'f1' }) }, refused);
      expectSubscriptions(parts[0].subscriptions).toBe('-^-!');
      expectSubscriptions(parts[2].subscriptions).toBe([]);
      flush();
      expect(cancels).toBe(1);
    });
  });
});
