import { lastValueFrom, map, of, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mergeListings } from '../../src/sync/merge-listings';
import { planSync, type LocalEntry, type PlanSettings, type RemoteEntry, type RemoteVersion, type SyncAction } from '../../src/sync/plan';
import { drain, pagerOf } from './support';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

function file(name: string, size: number, modifiedMillis: number, extra: Partial<LocalEntry> = {}): LocalEntry {
  return { name, path: `/f/${name}`, size, modifiedMillis, ...extra };
}

let ids = 0;
function version(
  fileName: string,
  size: number,
  opts: { mtime?: number; uploaded?: number; action?: string; sha1?: string | null; info?: Record<string, string> } = {},
): RemoteVersion {
  return {
    fileId: `id${ids++}`,
    fileName,
    contentLength: size,
    contentSha1: opts.sha1 === undefined ? 'a'.repeat(40) : opts.sha1,
    fileInfo: { ...(opts.mtime === undefined ? {} : { src_last_modified_millis: String(opts.mtime) }), ...opts.info },
    action: opts.action ?? 'upload',
    uploadTimestamp: opts.uploaded ?? NOW - DAY,
  };
}

function entry(name: string, ...versions: RemoteVersion[]): RemoteEntry {
  return { name, fileName: `p/${name}`, current: versions[0].action === 'hide' ? null : versions[0], versions };
}

function settings(overrides: Partial<PlanSettings> = {}): PlanSettings {
  return {
    direction: 'up',
    compare: 'modTime',
    deleteMode: 'keep',
    now: NOW,
    prefix: 'p/',
    localPath: (name) => `/f/${name}`,
    sha1Of: () => of('b'.repeat(40)),
    ...overrides,
  };
}

async function plan(local: LocalEntry[], remote: RemoteEntry[], s: PlanSettings): Promise<string[]> {
  const pairs = mergeListings(pagerOf([of(local), of([])]), pagerOf([of(remote), of([])]), { local: (e) => e.name, remote: (e) => e.name });
  const batches = await lastValueFrom(drain(planSync(pairs, s)).pipe(toArray()));
  return batches.flat().map((a: SyncAction) => `${a.kind}${a.where ? `(${a.where})` : ''} ${a.name}: ${a.reason}`);
}

describe('planSync (what each name needs, and why)', () => {
  it('up, by size and modification time: new, same, size differs, time differs, hidden on B2, extra kept', async () => {
    const steps = await plan(
      [file('a', 1, 1000), file('b', 2, 2000), file('c', 3, 3000), file('d', 4, 4000), file('e', 5, 5000)],
      [
        entry('b', version('p/b', 2, { mtime: 2000 })),
        entry('c', version('p/c', 30, { mtime: 3000 })),
        entry('d', version('p/d', 4, { mtime: 3999 })),
        entry('e', version('p/e', 0, { action: 'hide' }), version('p/e', 5, { mtime: 5000 })),
        entry('f', version('p/f', 6, { mtime: 6000 })),
      ],
      settings(),
    );
    expect(steps).toEqual([
      'upload a: new',
      'skip b: same size and modification time',
      'upload c: size differs (30 → 3 bytes)',
      'upload d: modification time differs (source newer: 1970-01-01T00:00:04.000Z)',
      'upload e: hidden on B2',
      'skip f: not in the local folder (kept on B2)',
    ]);
  });

  it('reads the modification time as b2sdk and rclone store it (src_last_modified_millis), else the upload time', async () => {
    const steps = await plan(
      [file('a', 1, 1234), file('b', 1, 777)],
      [entry('a', version('p/a', 1, { mtime: 1234, uploaded: 9999 })), entry('b', version('p/b', 1, { uploaded: 777 }))],
      settings(),
    );
    expect(steps).toEqual(['skip a: same size and modification time', 'skip b: same size and modification time']);
  });

  it('delete mode: delete takes every version of an extra name; hide makes a hide marker; a hidden name needs nothing', async () => {
    const remote = [entry('x', version('p/x', 1, { mtime: 1 }), version('p/x', 2, { mtime: 0 })), entry('y', version('p/y', 0, { action: 'hide' }), version('p/y', 1))];
    expect(await plan([], remote, settings({ deleteMode: 'delete' }))).toEqual(['delete(b2) x: not in the local folder']);
    expect(await plan([], remote, settings({ deleteMode: 'hide' }))).toEqual(['hide x: not in the local folder']);
    const pairs = mergeListings(pagerOf([of([]), of([])]), pagerOf([of(remote), of([])]), { local: (e: LocalEntry) => e.name, remote: (e: RemoteEntry) => e.name });
    const [actions] = await lastValueFrom(drain(planSync(pairs, settings({ deleteMode: 'delete' }))).pipe(toArray()));
    expect(actions[0].versions!.map((v) => v.fileId)).toEqual(remote[0].versions.map((v) => v.fileId));
  });

  it('keepDays deletes versions superseded more than N days ago, not newer ones, not the current one', async () => {
    const remote = [
      entry(
        'a',
        version('p/a', 1, { mtime: 5, uploaded: NOW - 2 * DAY }),
        version('p/a', 1, { mtime: 4, uploaded: NOW - 20 * DAY }),
        version('p/a', 1, { mtime: 3, uploaded: NOW - 40 * DAY }),
      ),
    ];
    expect(await plan([file('a', 1, 5)], remote, settings({ keepDays: 10 }))).toEqual([
      'skip a: same size and modification time',
      'delete(b2) a: old version, superseded more than 10 days ago',
    ]);
    expect(await plan([file('a', 1, 5)], remote, settings({ keepDays: 1 }))).toEqual([
      'skip a: same size and modification time',
      'delete(b2) a: old version, superseded more than 1 days ago',
      'delete(b2) a: old version, superseded more than 1 days ago',
    ]);
  });

  it('compare size ignores times; compare sha1 hashes local files of equal size and uses large_file_sha1 for large files', async () => {
    const remote = [
      entry('a', version('p/a', 1, { mtime: 1 })),
      entry('b', version('p/b', 2, { mtime: 1, sha1: 'b'.repeat(40) })),
      entry('c', version('p/c', 3, { mtime: 1, sha1: 'none', info: { large_file_sha1: 'b'.repeat(40) } })),
      entry('d', version('p/d', 4, { mtime: 4, sha1: 'none' })),
      entry('e', version('p/e', 9, { mtime: 1 })),
    ];
    const local = [file('a', 1, 99), file('b', 2, 99), file('c', 3, 99), file('d', 4, 4), file('e', 5, 1)];
    expect(await plan(local, remote, settings({ compare: 'size' }))).toEqual([
      'skip a: same size',
      'skip b: same size',
      'skip c: same size',
      'skip d: same size',
      'upload e: size differs (9 → 5 bytes)',
    ]);
    const hashed: string[] = [];
    const sha1Of = (e: LocalEntry) => {
      hashed.push(e.name);
      return of('b'.repeat(40));
    };
    expect(await plan(local, remote, settings({ compare: 'sha1', sha1Of }))).toEqual([
      'upload a: SHA-1 differs',
      'skip b: same SHA-1',
      'skip c: same SHA-1',
      'skip d: same size and modification time (no SHA-1 on B2)',
      'upload e: size differs (9 → 5 bytes)',
    ]);
    expect(hashed).toEqual(['a', 'b', 'c']);
  });

  it('down: downloads new and different names, deletes local extras only with delete mode, ignores hidden names', async () => {
    const remote = [
      entry('a', version('p/a', 1, { mtime: 10 })),
      entry('b', version('p/b', 2, { mtime: 20 })),
      entry('h', version('p/h', 0, { action: 'hide' }), version('p/h', 1)),
    ];
    const local = [file('b', 2, 10), file('c', 3, 30), file('h', 1, 1)];
    expect(await plan(local, remote, settings({ direction: 'down' }))).toEqual([
      'download a: new',
      'download b: modification time differs (source newer: 1970-01-01T00:00:00.020Z)',
      'skip c: not on B2 (kept locally)',
      'skip h: not on B2 (kept locally)',
    ]);
    expect(await plan(local, remote, settings({ direction: 'down', deleteMode: 'delete' }))).toEqual([
      'download a: new',
      'download b: modification time differs (source newer: 1970-01-01T00:00:00.020Z)',
      'delete(local) c: not on B2',
      'delete(local) h: not on B2',
    ]);
  });

  it('a local problem is a failing step, and a folder that could not be read keeps the B2 names below it', async () => {
    const local = [
      file('a', 1, 1, { problem: 'permission denied' }),
      file('d/', 0, 0, { problem: 'cannot read the folder: permission denied' }),
      file('s', 0, 0, { skip: 'symbolic link (symlinks: skip)' }),
    ];
    const remote = [entry('d/x', version('p/d/x', 1)), entry('d0', version('p/d0', 1)), entry('s', version('p/s', 1))];
    expect(await plan(local, remote, settings({ deleteMode: 'delete' }))).toEqual([
      'upload a: permission denied',
      'upload d/: cannot read the folder: permission denied',
      'skip d/x: kept: its local folder could not be read',
      'delete(b2) d0: not in the local folder',
      'skip s: symbolic link (symlinks: skip)',
    ]);
  });

  it('plans batch by batch as pages come (marble): hashing in sha1 mode happens in name order', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const l1 = cold<LocalEntry[]>('-x|', { x: [file('a', 1, 1), file('b', 1, 1)] });
      const l2 = cold<LocalEntry[]>('-x|', { x: [] });
      const r1 = cold<RemoteEntry[]>('--x|', { x: [entry('a', version('p/a', 1)), entry('b', version('p/b', 1, { sha1: 'b'.repeat(40) }))] });
      const r2 = cold<RemoteEntry[]>('-x|', { x: [] });
      const hashA = cold<string>('--(h|)', { h: 'c'.repeat(40) });
      const hashB = cold<string>('-(h|)', { h: 'b'.repeat(40) });
      const pairs = mergeListings(pagerOf([l1, l2]), pagerOf([r1, r2]), { local: (e) => e.name, remote: (e) => e.name });
      const hashes: Record<string, Observable<string>> = { a: hashA, b: hashB };
      const actions = drain(planSync(pairs, settings({ compare: 'sha1', sha1Of: (e) => hashes[e.name] }))).pipe(map((batch) => batch.map((a) => `${a.kind} ${a.name}`).join(', ')));
      // l1 at 0–2 and r1 at 0–3, hash a 3–5, hash b 5–6, then l2 and r2 (the end) together at 6–8.
      expectObservable(actions).toBe('------x-|', { x: 'upload a, skip b' });
      expectSubscriptions(hashA.subscriptions).toBe('---^-!');
      expectSubscriptions(hashB.subscriptions).toBe('-----^!');
      expectSubscriptions(l2.subscriptions).toBe('------^-!');
      expectSubscriptions(r2.subscriptions).toBe('------^-!');
    });
  });
});
