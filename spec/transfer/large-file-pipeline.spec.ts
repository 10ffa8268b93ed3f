import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { B2FileWire } from '../../src/api/wire';
import { B2Error } from '../../src/http/b2-error';
import {
  runLargeUpload,
  type B2LargeUploadEvent,
  type LargeUploadCheckpoint,
  type LargeUploadRun,
  type LargeUploadSteps,
  type PartEvent,
} from '../../src/transfer/large-file-pipeline';
import type { PartDescriptor } from '../../src/transfer/part-plan';
import { fileWire } from './fake-api';

type Started = { fileId: string; resumed: boolean; partsDone: ReadonlyMap<number, string> };

/** Three parts of a 25-byte file cut at 10 bytes: the last one is shorter. */
const THREE: PartDescriptor[] = [
  { partNumber: 1, offset: 0, length: 10 },
  { partNumber: 2, offset: 10, length: 10 },
  { partNumber: 3, offset: 20, length: 5 },
];
/** Four parts of a 40-byte file. */
const FOUR: PartDescriptor[] = [...THREE.slice(0, 2), { partNumber: 3, offset: 20, length: 10 }, { partNumber: 4, offset: 30, length: 10 }];

const FILE: B2FileWire = fileWire();

const fresh: Started = { fileId: 'f1', resumed: false, partsDone: new Map() };
const progress = (loaded: number): PartEvent => ({ type: 'progress', loaded });
const done = (contentSha1: string, contentLength?: number): PartEvent =>
  contentLength === undefined ? { type: 'done', contentSha1 } : { type: 'done', contentSha1, contentLength };
const skipped: PartEvent = { type: 'skipped' };

function runOf(parts: PartDescriptor[], over: Partial<LargeUploadRun> = {}): LargeUploadRun {
  return {
    fileName: 'big.bin',
    size: parts.reduce((n, p) => n + p.length, 0),
    partSize: parts[0].length,
    parts,
    concurrency: parts.length,
    keepOnFailure: false,
    ...over,
  };
}

/** The events `runLargeUpload` should emit for `run`, built field by field. */
function eventsOf(run: LargeUploadRun) {
  const checkpoint = (partsDone: Record<number, string>): LargeUploadCheckpoint => ({
    fileId: 'f1',
    fileName: run.fileName,
    size: run.size,
    partSize: run.partSize,
    partsDone,
  });
  return {
    started: (resumed: boolean, partsDone: Record<number, string> = {}): B2LargeUploadEvent => ({
      type: 'largeFileStarted',
      fileId: 'f1',
      resumed,
      checkpoint: checkpoint(partsDone),
    }),
    progress: (loaded: number): B2LargeUploadEvent => ({ type: 'uploadProgress', loaded, total: run.size }),
    uploaded: (
      partNumber: number,
      contentSha1: string,
      partsDone: Record<number, string>,
      contentLength = (run.parts as readonly PartDescriptor[])[partNumber - 1].length,
    ): B2LargeUploadEvent => ({
      type: 'partUploaded',
      partNumber,
      contentSha1,
      contentLength,
      checkpoint: checkpoint(partsDone),
    }),
    response: (): B2LargeUploadEvent => ({ type: 'response', status: 200, headers: {}, body: FILE }),
  };
}

interface Fakes {
  start: Observable<Started>;
  /** Part number → what its upload emits (one cold observable per part). */
  parts: Record<number, Observable<PartEvent>>;
  finish: Observable<B2FileWire>;
  cancel: Observable<unknown>;
}

/** LargeUploadSteps whose methods are spies answering the given observables. */
function fakeSteps(f: Fakes) {
  return {
    start: jasmine.createSpy<LargeUploadSteps['start']>('start').and.callFake(() => f.start),
    uploadPart: jasmine.createSpy<LargeUploadSteps['uploadPart']>('uploadPart').and.callFake((_fileId, part) => {
      const run = f.parts[part.partNumber];
      if (!run) throw new Error(`unexpected upload of part ${part.partNumber}`);
      return run;
    }),
    finish: jasmine.createSpy<LargeUploadSteps['finish']>('finish').and.callFake(() => f.finish),
    cancel: jasmine.createSpy<LargeUploadSteps['cancel']>('cancel').and.callFake(() => f.cancel),
  };
}

/** The most subscriptions open at the same time across several logs (a log ends at its unsubscribe). */
function maxInFlight(logs: { subscribedFrame: number; unsubscribedFrame: number }[]): number {
  const edges = logs.flatMap((l) => [
    { at: l.subscribedFrame, d: +1 },
    { at: l.unsubscribedFrame, d: -1 },
  ]);
  // At one frame, an end is counted before a start: mergeMap starts the next part as the last one ends.
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.d));
  return most;
}

describe('runLargeUpload', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('concurrency', () => {
    it('keeps at most `concurrency` parts in flight: part k+2 starts exactly when an earlier part completes', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(FOUR, { concurrency: 2 });
        const ev = eventsOf(run);
        const p1 = cold('---(x|)', { x: done('sha1') });
        const p2 = cold('-------(x|)', { x: done('sha2') });
        const p3 = cold('------------(x|)', { x: done('sha3') });
        const p4 = cold('----(x|)', { x: done('sha4') });
        const finish = cold('----(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3, 4: p4 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('S--(ab)(cd)(ef)(gh)(r|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          c: ev.progress(20),
          d: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2' }),
          e: ev.progress(30),
          f: ev.uploaded(4, 'sha4', { 1: 'sha1', 2: 'sha2', 4: 'sha4' }),
          g: ev.progress(40),
          h: ev.uploaded(3, 'sha3', { 1: 'sha1', 2: 'sha2', 3: 'sha3', 4: 'sha4' }),
          r: ev.response(),
        });
        expectSubscriptions(p1.subscriptions).toBe('^--!');
        expectSubscriptions(p2.subscriptions).toBe('^------!');
        // Part 3 starts at frame 3, as part 1 ends; part 4 at frame 7, as part 2 ends.
        expectSubscriptions(p3.subscriptions).toBe('---^-----------!');
        expectSubscriptions(p4.subscriptions).toBe('-------^---!');
        expectSubscriptions(finish.subscriptions).toBe('---------------^---!');
        expectSubscriptions(cancel.subscriptions).toBe([]);
        scheduler.flush();
        expect(maxInFlight([p1, p2, p3, p4].flatMap((p) => p.subscriptions))).toBe(2);
        expect(steps.uploadPart.calls.allArgs()).toEqual([
          ['f1', FOUR[0]],
          ['f1', FOUR[1]],
          ['f1', FOUR[2]],
          ['f1', FOUR[3]],
        ]);
      });
    });

    it('with concurrency 1 sends the parts one after another, in part order', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE, { concurrency: 1 });
        const ev = eventsOf(run);
        const p1 = cold('-(x|)', { x: done('sha1') });
        const p2 = cold('----(x|)', { x: done('sha2') });
        const p3 = cold('----(x|)', { x: done('sha3') });
        const finish = cold('----(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('S(ab)(cd)(ef)(r|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          c: ev.progress(20),
          d: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2' }),
          e: ev.progress(25),
          f: ev.uploaded(3, 'sha3', { 1: 'sha1', 2: 'sha2', 3: 'sha3' }),
          r: ev.response(),
        });
        expectSubscriptions(p1.subscriptions).toBe('^!');
        expectSubscriptions(p2.subscriptions).toBe('-^---!');
        expectSubscriptions(p3.subscriptions).toBe('-----^---!');
        expectSubscriptions(finish.subscriptions).toBe('---------^---!');
        scheduler.flush();
        expect(maxInFlight([p1, p2, p3].flatMap((p) => p.subscriptions))).toBe(1);
      });
    });

    it('starts no part before the large file is started, and uploads every part to its fileId', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const start = cold('---(s|)', { s: fresh });
        const p1 = cold('-(x|)', { x: done('sha1') });
        const finish = cold('----(f|)', { f: FILE });
        const steps = fakeSteps({ start, parts: { 1: p1 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('---S(ab)(r|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          r: ev.response(),
        });
        expectSubscriptions(start.subscriptions).toBe('^--!');
        expectSubscriptions(p1.subscriptions).toBe('---^!');
        expectSubscriptions(finish.subscriptions).toBe('----^---!');
        scheduler.flush();
        expect(steps.uploadPart).toHaveBeenCalledOnceWith('f1', THREE[0]);
        expect(steps.finish).toHaveBeenCalledOnceWith('f1', ['sha1']);
      });
    });
  });

  describe('failure', () => {
    it('ends the parts in flight at the failing frame, skips finish, cancels once, then errors with the part error', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const ev = eventsOf(run);
        const err = new B2Error({ status: 500, code: 'internal_error', message: 'part 2 failed after its retries' });
        const p1 = cold('-a------(x|)', { a: progress(4), x: done('sha1') });
        const p2 = cold<PartEvent>('---#', undefined, err);
        const p3 = cold('-a-----(x|)', { a: progress(2), x: done('sha3') });
        const finish = cold('-(f|)', { f: FILE });
        const cancel = cold('--(c|)', { c: 'cancelled' });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel });

        // The error waits for the cancel to finish (frame 5).
        expectObservable(runLargeUpload(steps, run)).toBe('S(ab)#', { S: ev.started(false), a: ev.progress(4), b: ev.progress(6) }, err);
        expectSubscriptions(p1.subscriptions).toBe('^--!');
        expectSubscriptions(p2.subscriptions).toBe('^--!');
        expectSubscriptions(p3.subscriptions).toBe('^--!');
        expectSubscriptions(finish.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe('---^-!');
        scheduler.flush();
        expect(steps.cancel).toHaveBeenCalledOnceWith('f1');
        expect(steps.finish).not.toHaveBeenCalled();
      });
    });

    it('never starts the parts still queued behind the failed one', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(FOUR, { concurrency: 2 });
        const ev = eventsOf(run);
        const err = new B2Error({ status: 400, code: 'bad_request', message: 'part 1 rejected' });
        const p1 = cold<PartEvent>('--#', undefined, err);
        const p2 = cold('-----(x|)', { x: done('sha2') });
        const p3 = cold('-(x|)', { x: done('sha3') });
        const p4 = cold('-(x|)', { x: done('sha4') });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3, 4: p4 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('S-#', { S: ev.started(false) }, err);
        expectSubscriptions(p1.subscriptions).toBe('^-!');
        expectSubscriptions(p2.subscriptions).toBe('^-!');
        expectSubscriptions(p3.subscriptions).toBe([]);
        expectSubscriptions(p4.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe('--(^!)');
      });
    });

    it('surfaces the original error when the cancel itself fails', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const ev = eventsOf(run);
        const err = new B2Error({ status: 503, code: 'service_unavailable', message: 'part 3 failed' });
        const cancelErr = new B2Error({ status: 500, code: 'internal_error', message: 'cancel failed too' });
        const p1 = cold('-a---(x|)', { a: progress(1), x: done('sha1') });
        const p2 = cold('-------(x|)', { x: done('sha2') });
        const p3 = cold<PartEvent>('--#', undefined, err);
        const cancel = cold('-#', undefined, cancelErr);
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('Sa-#', { S: ev.started(false), a: ev.progress(1) }, err);
        expectSubscriptions(p1.subscriptions).toBe('^-!');
        expectSubscriptions(p2.subscriptions).toBe('^-!');
        expectSubscriptions(cancel.subscriptions).toBe('--^!');
      });
    });

    it('with keepOnFailure: errors at once and never cancels the large file', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE, { keepOnFailure: true });
        const ev = eventsOf(run);
        const err = new B2Error({ status: 500, code: 'internal_error', message: 'part 2 failed' });
        const p1 = cold('-a------(x|)', { a: progress(4), x: done('sha1') });
        const p2 = cold<PartEvent>('---#', undefined, err);
        const p3 = cold('-------(x|)', { x: done('sha3') });
        const finish = cold('(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('Sa-#', { S: ev.started(false), a: ev.progress(4) }, err);
        expectSubscriptions(p1.subscriptions).toBe('^--!');
        expectSubscriptions(p3.subscriptions).toBe('^--!');
        expectSubscriptions(finish.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe([]);
        scheduler.flush();
        expect(steps.cancel).not.toHaveBeenCalled();
      });
    });

    it('cancels once and errors when finish fails', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const err = new B2Error({ status: 400, code: 'bad_request', message: 'finish refused' });
        const p1 = cold('-(x|)', { x: done('sha1') });
        const finish = cold<B2FileWire>('--#', undefined, err);
        const cancel = cold('--(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('S(ab)#', { S: ev.started(false), a: ev.progress(10), b: ev.uploaded(1, 'sha1', { 1: 'sha1' }) }, err);
        expectSubscriptions(finish.subscriptions).toBe('-^-!');
        expectSubscriptions(cancel.subscriptions).toBe('---^-!');
      });
    });

    it('never finishes with a missing part: a part that completes without its SHA-1 is an error, and the file is cancelled', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 2));
        const ev = eventsOf(run);
        const p1 = cold('-(x|)', { x: done('sha1') });
        const p2 = cold('-----a|', { a: progress(10) });
        const finish = cold('(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2 }, finish, cancel });
        const missing = new B2Error({ status: 0, code: 'missing_part', message: 'parts 2 were not uploaded; not finishing' });

        expectObservable(runLargeUpload(steps, run)).toBe(
          'S(ab)c#',
          { S: ev.started(false), a: ev.progress(10), b: ev.uploaded(1, 'sha1', { 1: 'sha1' }), c: ev.progress(20) },
          missing,
        );
        expectSubscriptions(finish.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe('------(^!)');
        let caught: unknown;
        runLargeUpload(fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: cold('(x|)', { x: done('sha1') }), 2: cold('|') }, finish, cancel: cold('|') }), run).subscribe({
          error: (e) => (caught = e),
        });
        scheduler.flush();
        expect(caught).toEqual(jasmine.objectContaining({ status: 0, code: 'missing_part' }));
        expect(steps.finish).not.toHaveBeenCalled();
      });
    });

    it('errors without cancelling when start fails (there is no file to cancel)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const err = new B2Error({ status: 403, code: 'cap_exceeded', message: 'storage cap exceeded' });
        const start = cold<Started>('--#', undefined, err);
        const p1 = cold('(x|)', { x: done('sha1') });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start, parts: { 1: p1 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run)).toBe('--#', undefined, err);
        expectSubscriptions(start.subscriptions).toBe('^-!');
        expectSubscriptions(p1.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe([]);
      });
    });
  });

  describe('SHA-1s', () => {
    it('hands finish the SHA-1s in part order whatever order the parts complete in (3, 1, 2)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const ev = eventsOf(run);
        const p1 = cold('-----(x|)', { x: done('sha1') });
        const p2 = cold('---------(x|)', { x: done('sha2') });
        const p3 = cold('-(x|)', { x: done('sha3') });
        const finish = cold('----(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('S(ab)(cd)(ef)(r|)', {
          S: ev.started(false),
          a: ev.progress(5),
          b: ev.uploaded(3, 'sha3', { 3: 'sha3' }),
          c: ev.progress(15),
          d: ev.uploaded(1, 'sha1', { 1: 'sha1', 3: 'sha3' }),
          e: ev.progress(25),
          f: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2', 3: 'sha3' }),
          r: ev.response(),
        });
        expectSubscriptions(finish.subscriptions).toBe('---------^---!');
        scheduler.flush();
        expect(steps.finish).toHaveBeenCalledOnceWith('f1', ['sha1', 'sha2', 'sha3']);
      });
    });
  });

  describe('progress', () => {
    it('sums per-part progress into one monotonic uploadProgress; a part restarting at 0 neither goes back nor counts twice', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const ev = eventsOf(run);
        // Part 1 reaches 8 bytes, its request fails and the retry inside uploadPart starts again at 0.
        const p1 = cold('-a-b-c-d-e-(x|)', { a: progress(4), b: progress(8), c: progress(0), d: progress(6), e: progress(10), x: done('sha1') });
        // Part 2 reaches 3 bytes, then restarts at 0 much later.
        const p2 = cold('--a-----------bc(x|)', { a: progress(3), b: progress(0), c: progress(10), x: done('sha2') });
        const p3 = cold('------------a(x|)', { a: progress(5), x: done('sha3') });
        const finish = cold('-(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel: cold('(c|)') });

        const values = {
          S: ev.started(false),
          a: ev.progress(4),
          b: ev.progress(7),
          c: ev.progress(11),
          d: ev.progress(13), // part 1 at 10 (its best so far), part 2 at 3
          '1': ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          e: ev.progress(18),
          '3': ev.uploaded(3, 'sha3', { 1: 'sha1', 3: 'sha3' }),
          f: ev.progress(25),
          '2': ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2', 3: 'sha3' }),
          r: ev.response(),
        };
        const events$ = runLargeUpload(steps, run);
        // Frames 5 and 7 (part 1 at 0, then 6) and 14 (part 2 at 0) emit nothing.
        expectObservable(events$).toBe('Sabc-----d-1e3-f2(r|)', values);
        expectSubscriptions(p1.subscriptions).toBe('^----------!');
        expectSubscriptions(p2.subscriptions).toBe('^---------------!');
        expectSubscriptions(p3.subscriptions).toBe('^------------!');
        expectSubscriptions(finish.subscriptions).toBe('----------------^!');
      });
    });

    it('emits no progress event when a completed part adds nothing new', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const p1 = cold('-a-(x|)', { a: progress(10), x: done('sha1') });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish: cold('(f|)', { f: FILE }), cancel: cold('(c|)') });

        // Part 1's last progress already counted all 10 bytes: its completion adds partUploaded only.
        expectObservable(runLargeUpload(steps, run)).toBe('Sa-(br|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          r: ev.response(),
        });
      });
    });
  });

  describe('events', () => {
    it('emits largeFileStarted first and the response with the finished file last, then completes', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const run = runOf(THREE.slice(0, 2));
        const ev = eventsOf(run);
        const p1 = cold('-a(x|)', { a: progress(5), x: done('sha1') });
        const p2 = cold('------(x|)', { x: done('sha2') });
        const steps = fakeSteps({ start: cold('-(s|)', { s: fresh }), parts: { 1: p1, 2: p2 }, finish: cold('----(f|)', { f: FILE }), cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('-Sa(bc)(de)(r|)', {
          S: ev.started(false),
          a: ev.progress(5),
          b: ev.progress(10),
          c: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          d: ev.progress(20),
          e: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2' }),
          r: ev.response(),
        });
      });
    });

    it('gives each partUploaded its own checkpoint snapshot (later parts do not rewrite earlier ones)', () => {
      scheduler.run(({ cold }) => {
        const run = runOf(THREE);
        const p1 = cold('-(x|)', { x: done('sha1') });
        const p2 = cold('--(x|)', { x: done('sha2') });
        const p3 = cold('---(x|)', { x: done('sha3') });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish: cold('(f|)', { f: FILE }), cancel: cold('(c|)') });
        const checkpoints: LargeUploadCheckpoint[] = [];
        runLargeUpload(steps, run).subscribe((e) => {
          if (e.type === 'largeFileStarted' || e.type === 'partUploaded') checkpoints.push(e.checkpoint);
        });
        scheduler.flush();
        expect(checkpoints.map((c) => c.partsDone)).toEqual([{}, { 1: 'sha1' }, { 1: 'sha1', 2: 'sha2' }, { 1: 'sha1', 2: 'sha2', 3: 'sha3' }]);
        // Serializable: a checkpoint survives JSON (to resume from another process).
        expect(JSON.parse(JSON.stringify(checkpoints[2]))).toEqual({ fileId: 'f1', fileName: 'big.bin', size: 25, partSize: 10, partsDone: { 1: 'sha1', 2: 'sha2' } });
      });
    });
  });

  describe('resume', () => {
    it('skips parts already on B2: part 1 is never sent, progress starts at its length, finish gets its SHA-1', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE, { concurrency: 2 });
        const ev = eventsOf(run);
        const resumed: Started = { fileId: 'f1', resumed: true, partsDone: new Map([[1, 'sha-a']]) };
        const p1 = cold('(x|)', { x: done('never') });
        const p2 = cold('-a(x|)', { a: progress(4), x: done('sha2') });
        const p3 = cold('------(x|)', { x: done('sha3') });
        const finish = cold('----(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: resumed }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('Sa(bc)(de)(r|)', {
          S: ev.started(true, { 1: 'sha-a' }),
          a: ev.progress(14),
          b: ev.progress(20),
          c: ev.uploaded(2, 'sha2', { 1: 'sha-a', 2: 'sha2' }),
          d: ev.progress(25),
          e: ev.uploaded(3, 'sha3', { 1: 'sha-a', 2: 'sha2', 3: 'sha3' }),
          r: ev.response(),
        });
        expectSubscriptions(p1.subscriptions).toBe([]);
        expectSubscriptions(p2.subscriptions).toBe('^-!');
        expectSubscriptions(p3.subscriptions).toBe('^-----!');
        scheduler.flush();
        expect(steps.uploadPart.calls.allArgs().map(([, p]) => p.partNumber)).toEqual([2, 3]);
        expect(steps.finish).toHaveBeenCalledOnceWith('f1', ['sha-a', 'sha2', 'sha3']);
      });
    });

    it('finishes straight away when every part is already on B2', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const ev = eventsOf(run);
        const partsDone = new Map([
          [1, 'sha-a'],
          [2, 'sha-b'],
          [3, 'sha-c'],
        ]);
        const p1 = cold('(x|)', { x: done('never') });
        const finish = cold('--(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: { fileId: 'f1', resumed: true, partsDone } }), parts: { 1: p1 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('S-(r|)', { S: ev.started(true, { 1: 'sha-a', 2: 'sha-b', 3: 'sha-c' }), r: ev.response() });
        expectSubscriptions(p1.subscriptions).toBe([]);
        expectSubscriptions(finish.subscriptions).toBe('^-!');
        scheduler.flush();
        expect(steps.uploadPart).not.toHaveBeenCalled();
        expect(steps.finish).toHaveBeenCalledOnceWith('f1', ['sha-a', 'sha-b', 'sha-c']);
      });
    });
  });

  describe('unsubscribing', () => {
    it('aborts every part in flight at that frame and cancels the large file once', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE, { concurrency: 2 });
        const ev = eventsOf(run);
        const p1 = cold('-a--------(x|)', { a: progress(3), x: done('sha1') });
        const p2 = cold('--a-------(x|)', { a: progress(2), x: done('sha2') });
        const p3 = cold('(x|)', { x: done('sha3') });
        const finish = cold('(f|)', { f: FILE });
        const cancel = cold('--(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run), '^----!').toBe('Sab', { S: ev.started(false), a: ev.progress(3), b: ev.progress(5) });
        expectSubscriptions(p1.subscriptions).toBe('^----!');
        expectSubscriptions(p2.subscriptions).toBe('^----!');
        expectSubscriptions(p3.subscriptions).toBe([]);
        expectSubscriptions(finish.subscriptions).toBe([]);
        // The cancel outlives the subscriber: it runs to its end.
        expectSubscriptions(cancel.subscriptions).toBe('-----^-!');
        scheduler.flush();
        expect(steps.cancel).toHaveBeenCalledOnceWith('f1');
      });
    });

    it('with keepOnFailure: aborts the parts and leaves the large file alone', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE, { concurrency: 3, keepOnFailure: true });
        const ev = eventsOf(run);
        const p1 = cold('-a--------(x|)', { a: progress(3), x: done('sha1') });
        const p2 = cold('---------(x|)', { x: done('sha2') });
        const p3 = cold('--(x|)', { x: done('sha3') });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run), '^-----!').toBe('Sa(bc)', {
          S: ev.started(false),
          a: ev.progress(3),
          b: ev.progress(8),
          c: ev.uploaded(3, 'sha3', { 3: 'sha3' }),
        });
        expectSubscriptions(p1.subscriptions).toBe('^-----!');
        expectSubscriptions(p2.subscriptions).toBe('^-----!');
        expectSubscriptions(p3.subscriptions).toBe('^-!');
        expectSubscriptions(cancel.subscriptions).toBe([]);
        scheduler.flush();
        expect(steps.cancel).not.toHaveBeenCalled();
      });
    });

    it('cancels an upload abandoned while finish is in flight (finish is aborted)', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const p1 = cold('-(x|)', { x: done('sha1') });
        const finish = cold('-----(f|)', { f: FILE });
        const cancel = cold('-(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run), '^---!').toBe('S(ab)', { S: ev.started(false), a: ev.progress(10), b: ev.uploaded(1, 'sha1', { 1: 'sha1' }) });
        expectSubscriptions(finish.subscriptions).toBe('-^--!');
        expectSubscriptions(cancel.subscriptions).toBe('----^!');
      });
    });

    it('does not cancel after a normal completion, even when the subscriber unsubscribes later', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const p1 = cold('-(x|)', { x: done('sha1') });
        const finish = cold('----(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish, cancel });

        expectObservable(runLargeUpload(steps, run), '^---------!').toBe('S(ab)(r|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          r: ev.response(),
        });
        expectSubscriptions(cancel.subscriptions).toBe([]);
      });
    });

    it('cancels nothing when unsubscribed before the large file exists', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE);
        const start = cold('----(s|)', { s: fresh });
        const p1 = cold('(x|)', { x: done('sha1') });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start, parts: { 1: p1 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run), '^-!').toBe('');
        expectSubscriptions(start.subscriptions).toBe('^-!');
        expectSubscriptions(p1.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe([]);
      });
    });

    it('lets the cancel after a failure run to its end when the subscriber leaves meanwhile, and starts no second one', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 2));
        const ev = eventsOf(run);
        const err = new B2Error({ status: 500, code: 'internal_error', message: 'part 1 failed' });
        const p1 = cold<PartEvent>('-#', undefined, err);
        const p2 = cold('------(x|)', { x: done('sha2') });
        const cancel = cold('----(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2 }, finish: cold('(f|)', { f: FILE }), cancel });

        // Part 1 fails at 1 and the cancel starts; the subscriber leaves at 3, before the error arrives (5).
        expectObservable(runLargeUpload(steps, run), '^--!').toBe('S', { S: ev.started(false) });
        expectSubscriptions(p2.subscriptions).toBe('^!');
        expectSubscriptions(cancel.subscriptions).toBe('-^---!');
        scheduler.flush();
        expect(steps.cancel).toHaveBeenCalledTimes(1);
      });
    });
  });

  describe('parts of a stream of unknown length (descriptors as an Observable)', () => {
    const desc = (partNumber: number): PartDescriptor => ({ partNumber, offset: (partNumber - 1) * 10, length: 10 });

    it('uploads descriptors as they come, takes each length from its answer, ignores skipped parts, and finishes with parts 1..last', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const descriptors = cold('(ab)--c|', { a: desc(1), b: desc(2), c: desc(3) });
        const run: LargeUploadRun = { fileName: 'big.bin', size: undefined, partSize: 10, parts: descriptors, concurrency: 2, keepOnFailure: false };
        const ev = eventsOf(run);
        const p1 = cold('-a-(x|)', { a: progress(6), x: done('sha1', 10) });
        // The stream ended 4 bytes into part 2; part 3 (read ahead) found no bytes.
        const p2 = cold('--------(x|)', { x: done('sha2', 4) });
        const p3 = cold('(k|)', { k: skipped });
        const finish = cold('----(f|)', { f: FILE });
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel: cold('(c|)') });

        expectObservable(runLargeUpload(steps, run)).toBe('Sa-(bc)-(de)(r|)', {
          S: ev.started(false),
          a: ev.progress(6),
          b: ev.progress(10),
          c: ev.uploaded(1, 'sha1', { 1: 'sha1' }, 10),
          d: ev.progress(14),
          e: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2' }, 4),
          r: ev.response(),
        });
        expectSubscriptions(descriptors.subscriptions).toBe('^------!');
        expectSubscriptions(p1.subscriptions).toBe('^--!');
        expectSubscriptions(p2.subscriptions).toBe('^-------!');
        expectSubscriptions(p3.subscriptions).toBe('------(^!)');
        expectSubscriptions(finish.subscriptions).toBe('--------^---!');
        scheduler.flush();
        expect(steps.finish).toHaveBeenCalledOnceWith('f1', ['sha1', 'sha2']);
      });
    });

    it('never finishes with a gap: a skipped part before a done one is a missing part, and the file is cancelled', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const descriptors = cold('(abc|)', { a: desc(1), b: desc(2), c: desc(3) });
        const run: LargeUploadRun = { fileName: 'big.bin', size: undefined, partSize: 10, parts: descriptors, concurrency: 3, keepOnFailure: false };
        const ev = eventsOf(run);
        const p1 = cold('-(x|)', { x: done('sha1', 10) });
        const p2 = cold('(k|)', { k: skipped });
        const p3 = cold('-----(x|)', { x: done('sha3', 10) });
        const finish = cold('(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel });
        const missing = new B2Error({ status: 0, code: 'missing_part', message: 'parts 2 were not uploaded; not finishing' });

        expectObservable(runLargeUpload(steps, run)).toBe(
          'S(ab)(cd#)',
          {
            S: ev.started(false),
            a: ev.progress(10),
            b: ev.uploaded(1, 'sha1', { 1: 'sha1' }, 10),
            c: ev.progress(20),
            d: ev.uploaded(3, 'sha3', { 1: 'sha1', 3: 'sha3' }, 10),
          },
          missing,
        );
        expectSubscriptions(finish.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe('-----(^!)');
      });
    });

    it('refuses to finish a large file with no part at all', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const descriptors = cold<PartDescriptor>('--|');
        const run: LargeUploadRun = { fileName: 'big.bin', size: undefined, partSize: 10, parts: descriptors, concurrency: 2, keepOnFailure: false };
        const ev = eventsOf(run);
        const finish = cold('(f|)', { f: FILE });
        const cancel = cold('-(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: {}, finish, cancel });
        const missing = new B2Error({ status: 0, code: 'missing_part', message: 'parts 1 were not uploaded; not finishing' });

        expectObservable(runLargeUpload(steps, run)).toBe('S--#', { S: ev.started(false) }, missing);
        expectSubscriptions(finish.subscriptions).toBe([]);
        expectSubscriptions(cancel.subscriptions).toBe('--^!');
      });
    });

    it('aborts the descriptor stream and the parts in flight on unsubscribe, and cancels once', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const descriptors = cold('(ab)------c|', { a: desc(1), b: desc(2), c: desc(3) });
        const run: LargeUploadRun = { fileName: 'big.bin', size: undefined, partSize: 10, parts: descriptors, concurrency: 2, keepOnFailure: false };
        const ev = eventsOf(run);
        const p1 = cold('-a-------(x|)', { a: progress(3), x: done('sha1', 10) });
        const p2 = cold('---------(x|)', { x: done('sha2', 10) });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2 }, finish: cold('(f|)', { f: FILE }), cancel });

        expectObservable(runLargeUpload(steps, run), '^---!').toBe('Sa', { S: ev.started(false), a: ev.progress(3) });
        expectSubscriptions(descriptors.subscriptions).toBe('^---!');
        expectSubscriptions(p1.subscriptions).toBe('^---!');
        expectSubscriptions(p2.subscriptions).toBe('^---!');
        expectSubscriptions(cancel.subscriptions).toBe('----(^!)');
      });
    });
  });

  describe('laziness', () => {
    it('does nothing before subscribe: start is not even called', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 1));
        const ev = eventsOf(run);
        const start = cold('(s|)', { s: fresh });
        const p1 = cold('-(x|)', { x: done('sha1') });
        const finish = cold('----(f|)', { f: FILE });
        const cancel = cold('(c|)');
        const steps = fakeSteps({ start, parts: { 1: p1 }, finish, cancel });

        const events$ = runLargeUpload(steps, run);
        expect(steps.start).not.toHaveBeenCalled();
        expect(steps.uploadPart).not.toHaveBeenCalled();
        expect(steps.finish).not.toHaveBeenCalled();
        expect(steps.cancel).not.toHaveBeenCalled();

        expectObservable(events$, '---^').toBe('---S(ab)(r|)', {
          S: ev.started(false),
          a: ev.progress(10),
          b: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          r: ev.response(),
        });
        expectSubscriptions(start.subscriptions).toBe('---(^!)');
        expectSubscriptions(p1.subscriptions).toBe('---^!');
        expectSubscriptions(finish.subscriptions).toBe('----^---!');
        expectSubscriptions(cancel.subscriptions).toBe([]);
      });
    });

    it('runs each subscription independently: its own start, parts, byte counts and checkpoints', () => {
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const run = runOf(THREE.slice(0, 2));
        const ev = eventsOf(run);
        const start = cold('(s|)', { s: fresh });
        const p1 = cold('-a(x|)', { a: progress(6), x: done('sha1') });
        const p2 = cold('------(x|)', { x: done('sha2') });
        const finish = cold('(f|)', { f: FILE });
        const steps = fakeSteps({ start, parts: { 1: p1, 2: p2 }, finish, cancel: cold('(c|)') });
        const values = {
          S: ev.started(false),
          a: ev.progress(6),
          b: ev.progress(10),
          c: ev.uploaded(1, 'sha1', { 1: 'sha1' }),
          d: ev.progress(20),
          e: ev.uploaded(2, 'sha2', { 1: 'sha1', 2: 'sha2' }),
          r: ev.response(),
        };
        const events$ = runLargeUpload(steps, run);

        expectObservable(events$).toBe('Sa(bc)(der|)', values);
        expectObservable(events$, '--^').toBe('--Sa(bc)(der|)', values);
        expectSubscriptions(start.subscriptions).toBe(['(^!)', '--(^!)']);
        expectSubscriptions(p1.subscriptions).toBe(['^-!', '--^-!']);
        expectSubscriptions(p2.subscriptions).toBe(['^-----!', '--^-----!']);
      });
    });
  });
});

describe('runLargeUpload checkSource (a file that changed while it was uploaded)', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const changed = new B2Error({ status: 0, code: 'source_changed', message: 'file big.bin changed while it was being uploaded (its size went from 25 to 7 bytes)' });

  it('checks the source once every part is on B2, and finishes only after the check passed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const run = runOf(THREE.slice(0, 1));
      const ev = eventsOf(run);
      const p1 = cold('-(x|)', { x: done('sha1') });
      const check = cold('-----(k|)', { k: undefined });
      const finish = cold('-(f|)', { f: FILE });
      const cancel = cold('(c|)');
      const steps = {
        ...fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish, cancel }),
        checkSource: jasmine.createSpy('checkSource').and.callFake(() => check),
      };

      expectObservable(runLargeUpload(steps, run)).toBe('S(ab)--(R|)', { S: ev.started(false), a: ev.progress(10), b: ev.uploaded(1, 'sha1', { 1: 'sha1' }), R: ev.response() });
      expectSubscriptions(check.subscriptions).toBe('-^----!');
      expectSubscriptions(finish.subscriptions).toBe('------^!');
      expectSubscriptions(cancel.subscriptions).toBe([]);
      scheduler.flush();
      expect(steps.checkSource).toHaveBeenCalledTimes(1);
    });
  });

  it('a failed check skips finish, cancels the large file even with keepOnFailure, then errors with it', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const run = runOf(THREE.slice(0, 1), { keepOnFailure: true });
      const ev = eventsOf(run);
      const p1 = cold('-(x|)', { x: done('sha1') });
      const check = cold('-----#', undefined, changed);
      const finish = cold('-(f|)', { f: FILE });
      const cancel = cold('--(c|)');
      const steps = { ...fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1 }, finish, cancel }), checkSource: () => check };

      expectObservable(runLargeUpload(steps, run)).toBe('S(ab)---#', { S: ev.started(false), a: ev.progress(10), b: ev.uploaded(1, 'sha1', { 1: 'sha1' }) }, changed);
      expectSubscriptions(finish.subscriptions).toBe([]);
      expectSubscriptions(cancel.subscriptions).toBe('------^-!');
    });
  });

  it('a part failing with source_changed ends its siblings and cancels the large file even with keepOnFailure', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const run = runOf(THREE, { keepOnFailure: true });
      const ev = eventsOf(run);
      const p1 = cold('-a------(x|)', { a: progress(4), x: done('sha1') });
      const p2 = cold<PartEvent>('---#', undefined, changed);
      const p3 = cold('-------(x|)', { x: done('sha3') });
      const finish = cold('(f|)', { f: FILE });
      const cancel = cold('-(c|)');
      const steps = fakeSteps({ start: cold('(s|)', { s: fresh }), parts: { 1: p1, 2: p2, 3: p3 }, finish, cancel });

      expectObservable(runLargeUpload(steps, run)).toBe('Sa--#', { S: ev.started(false), a: ev.progress(4) }, changed);
      expectSubscriptions(p1.subscriptions).toBe('^--!');
      expectSubscriptions(p3.subscriptions).toBe('^--!');
      expectSubscriptions(finish.subscriptions).toBe([]);
      expectSubscriptions(cancel.subscriptions).toBe('---^!');
    });
  });
});
