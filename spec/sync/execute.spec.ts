import { NEVER, map, take, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { runSync, type B2SyncEvent, type SyncExecutor, type SyncStepProgress } from '../../src/sync/execute';
import type { SyncAction } from '../../src/sync/plan';
import { B2SyncError } from '../../src/sync/sync-error';
import { B2Error } from '../../src';
import { pagerOf } from './support';

function up(name: string, bytes = 10): SyncAction {
  return { kind: 'upload', name, fileName: `p/${name}`, path: `/f/${name}`, reason: 'new', bytes };
}
function skip(name: string): SyncAction {
  return { kind: 'skip', name, fileName: `p/${name}`, path: `/f/${name}`, reason: 'same size and modification time', bytes: 0 };
}

/** An executor whose uploads are the given cold Observables, by name. */
function executor(steps: Record<string, Observable<SyncStepProgress>>): SyncExecutor {
  const step = (a: SyncAction) => steps[a.name] ?? NEVER;
  return { upload: step, download: step, delete: step, hide: step };
}

const brief = (e: B2SyncEvent) =>
  e.type === 'summary'
    ? `S:${e.progress.filesDone}+${e.progress.filesFailed}/${e.progress.filesTotal}:${e.progress.bytesDone}/${e.progress.bytesTotal}`
    : e.type === 'planned'
      ? `P:${e.action.name}`
      : e.type === 'done'
        ? `D:${e.action.name}:${e.progress.filesDone}/${e.progress.filesTotal}`
        : e.type === 'failed'
          ? `F:${e.action.name}`
          : `p:${e.action.name}:${e.progress.bytesDone}`;

/** Every event with its frame, then `|` or the error, as the scheduler runs. */
function record(scheduler: TestScheduler, events: Observable<B2SyncEvent>, log: string[], errors: unknown[] = []): void {
  events.subscribe({
    next: (e) => log.push(`${scheduler.now()} ${brief(e)}`),
    error: (err: unknown) => {
      log.push(`${scheduler.now()} #${(err as B2Error).code}`);
      errors.push(err);
    },
    complete: () => log.push(`${scheduler.now()} |`),
  });
}

describe('runSync (carrying out the plan)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

  it('runs at most `concurrency` steps at once, reports bytes and totals, and skips do nothing', () => {
    const log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('-x--|', { x: { loaded: 4 } });
      const b = cold<SyncStepProgress>('--|');
      const c = cold<SyncStepProgress>('-|');
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a'), skip('s'), up('b'), up('c')] }), cold<SyncAction[]>('(x|)', { x: [] })]);
      record(scheduler, runSync(plan, executor({ a, b, c }), { concurrency: 2, dryRun: false, failFast: false }), log);
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      // c starts when b's slot frees up.
      expectSubscriptions(c.subscriptions).toBe('--^!');
    });
    expect(log).toEqual(['0 P:a', '0 P:s', '0 P:b', '0 P:c', '1 p:a:4', '2 D:b:1/3', '3 D:c:2/3', '4 D:a:3/3', '4 S:3+0/3:30/30', '4 |']);
  });

  it('plans the next batch only once this batch is done (flat memory)', () => {
    const log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('---|');
      const b = cold<SyncStepProgress>('-|');
      const page2 = cold<SyncAction[]>('-(x|)', { x: [up('b')] });
      const end = cold<SyncAction[]>('(x|)', { x: [] });
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a')] }), page2, end]);
      record(scheduler, runSync(plan, executor({ a, b }), { concurrency: 4, dryRun: false, failFast: false }), log);
      expectSubscriptions(page2.subscriptions).toBe('---^!');
    });
    expect(log).toEqual(['0 P:a', '3 D:a:1/1', '4 P:b', '5 D:b:2/2', '5 S:2+0/2:20/20', '5 |']);
  });

  it('unsubscribing in the middle of a batch of planned steps delivers none of the rest and asks for no more of the plan', () => {
    const log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const page2 = cold<SyncAction[]>('(x|)', { x: [skip('t')] });
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [skip('p'), skip('q'), skip('r')] }), page2]);
      record(scheduler, runSync(plan, executor({}), { concurrency: 2, dryRun: false, failFast: false }).pipe(take(2)), log);
      expectSubscriptions(page2.subscriptions).toBe([]);
    });
    expect(log).toEqual(['0 P:p', '0 P:q', '0 |']);
  });

  it('a dry run emits the plan and runs nothing', () => {
    const log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('-|');
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a'), skip('s')] }), cold<SyncAction[]>('-(x|)', { x: [] })]);
      record(scheduler, runSync(plan, executor({ a }), { concurrency: 2, dryRun: true, failFast: false }), log);
      expectSubscriptions(a.subscriptions).toBe([]);
    });
    expect(log).toEqual(['0 P:a', '0 P:s', '1 S:0+0/1:0/10', '1 |']);
  });

  it('by default a failed file does not stop the others; the sync then errors with sync_failed listing every failure', () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    scheduler.run(({ cold }) => {
      const a = cold<SyncStepProgress>('-#', undefined, new B2Error({ status: 0, code: 'invalid_argument', message: 'fileName: contains the control character 0x01' }));
      const b = cold<SyncStepProgress>('---|');
      const c = cold<SyncStepProgress>('--#', undefined, Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' }));
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a'), up('b'), up('c')] }), cold<SyncAction[]>('(x|)', { x: [] })]);
      const events = runSync(plan, executor({ a, b, c }), { concurrency: 3, dryRun: false, failFast: false });
      record(scheduler, events, log, errors);
    });
    expect(log).toEqual(['0 P:a', '0 P:b', '0 P:c', '1 F:a', '2 F:c', '3 D:b:1/3', '3 S:1+2/3:10/30', '3 #sync_failed']);
    const error = errors[0] as B2SyncError;
    expect(error).toBeInstanceOf(B2SyncError);
    expect(error.failures.map((f) => `${f.action.name}: ${f.reason}`)).toEqual(['a: fileName: contains the control character 0x01', 'c: permission denied']);
    expect(error.message).toBe('sync finished with 2 failed files: upload "a": fileName: contains the control character 0x01; upload "c": permission denied');
  });

  it('failFast stops at the first failure: the steps in flight are unsubscribed, the rest never start', () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('--#', undefined, new Error('boom'));
      const b = cold<SyncStepProgress>('-----|');
      const c = cold<SyncStepProgress>('-|');
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a'), up('b'), up('c')] }), cold<SyncAction[]>('(x|)', { x: [] })]);
      const events = runSync(plan, executor({ a, b, c }), { concurrency: 2, dryRun: false, failFast: true });
      record(scheduler, events, log, errors);
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe([]);
    });
    expect(log).toEqual(['0 P:a', '0 P:b', '0 P:c', '2 #sync_failed']);
    expect((errors[0] as B2SyncError).message).toBe('sync stopped at the first failure: upload "a": boom');
  });

  it('unsubscribing stops every step in flight and plans nothing more', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('------|');
      const b = cold<SyncStepProgress>('--------|');
      const page2 = cold<SyncAction[]>('(x|)', { x: [] });
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [up('a'), up('b')] }), page2]);
      expectObservable(runSync(plan, executor({ a, b }), { concurrency: 2, dryRun: false, failFast: false }).pipe(map(brief)), '^--!').toBe('(xy)', { x: 'P:a', y: 'P:b' });
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
      expectSubscriptions(page2.subscriptions).toBe([]);
    });
  });

  it('a local problem fails its step without calling the executor', () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const a = cold<SyncStepProgress>('-|');
      const broken: SyncAction = { ...up('a'), local: { name: 'a', path: '/f/a', size: 0, modifiedMillis: 0, problem: 'symbolic link loop' } };
      const plan = pagerOf([cold<SyncAction[]>('(x|)', { x: [broken] }), cold<SyncAction[]>('(x|)', { x: [] })]);
      record(scheduler, runSync(plan, executor({ a }), { concurrency: 2, dryRun: false, failFast: false }), log, errors);
      expectSubscriptions(a.subscriptions).toBe([]);
    });
    expect(log).toEqual(['0 P:a', '0 F:a', '0 S:0+1/1:0/10', '0 #sync_failed']);
    expect((errors[0] as B2SyncError).message).toBe('sync finished with 1 failed file: upload "a": symbolic link loop');
  });
});
