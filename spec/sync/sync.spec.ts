/** syncUp / syncDown against the emulator over HTTP (spec/client/support.ts), on real temporary folders. */
import { promises as fs, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, tap, toArray, type Observable, type Subscription } from 'rxjs';
import { B2SyncError, syncDown, syncUp, type B2SyncEvent, type Bucket, type B2File } from '../../src';
import { platform } from '../../src/platform';
import { all, bytes, bucketName, client, countRequests, failure, sha1, startClientEmulator, type Emu } from '../client/support';

const T0 = Date.UTC(2024, 4, 6, 7, 8, 9, 123);

async function write(root: string, name: string, contents: string | Uint8Array, mtime = T0): Promise<string> {
  const full = path.join(root, ...name.split('/'));
  await fs.mkdir(path.dirname(full), { recursive: true });
  await fs.writeFile(full, contents);
  await fs.utimes(full, (mtime + 0.5) / 1000, (mtime + 0.5) / 1000);
  return full;
}

function events(source: Observable<B2SyncEvent<B2File>>): Promise<B2SyncEvent<B2File>[]> {
  return lastValueFrom(source.pipe(toArray()));
}

/** `kind name: reason` of each planned step. */
function planned(list: B2SyncEvent<B2File>[]): string[] {
  return list.filter((e) => e.type === 'planned').map((e) => `${e.action.kind} ${e.action.name}: ${e.action.reason}`);
}

describe('sync against the emulator', () => {
  let emu: Emu;
  let bucket: Bucket;
  let work: string;

  beforeAll(async () => {
    emu = await startClientEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    bucket = await lastValueFrom(client(emu).buckets.create(bucketName('sync')));
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'rxb2-sync-'));
  });
  afterEach(async () => {
    // Request counters and delays are fault rules: each spec starts without the last one's.
    emu.faults.clear();
    await fs.rm(work, { recursive: true, force: true });
  });

  const names = async (prefix = '') => (await all(bucket.listFiles({ prefix }))).map((f) => f.fileName);

  it('syncs a folder up in B2 order, with src_last_modified_millis and large_file_sha1; a second run changes nothing', async () => {
    const src = path.join(work, 'src');
    const awkward = ['a/b', 'a-b', 'a.b', 'a0', 'a b/c', '\uFFFD', '\u{1F600}', 'deep/er/still/x.txt'];
    for (const [i, name] of awkward.entries()) await write(src, name, `file ${name}`, T0 + i);
    const big = bytes(5000, 7);
    await write(src, 'big.bin', big);
    const list = await events(syncUp(bucket, { localFolder: src, prefix: 'backup', largeFileThreshold: 3000 }));
    const expected = [...awkward, 'big.bin'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(planned(list)).toEqual(expected.map((n) => `upload ${n}: new`));
    // The walk's order is B2's listing order.
    expect(await names('backup/')).toEqual(expected.map((n) => `backup/${n}`));
    const stored = await all(bucket.listFiles({ prefix: 'backup/' }));
    expect(stored.find((f) => f.fileName === 'backup/a0')!.fileInfo.src_last_modified_millis).toBe(String(T0 + 3));
    const large = stored.find((f) => f.fileName === 'backup/big.bin')!;
    expect(large.contentSha1).toBe('none');
    expect(large.fileInfo.large_file_sha1).toBe(sha1(big));
    const done = list.filter((e) => e.type === 'done');
    const last = done[done.length - 1];
    expect(last.type === 'done' && last.progress).toEqual(jasmine.objectContaining({ filesDone: 9, filesTotal: 9, filesFailed: 0 }));
    expect(last.type === 'done' && last.progress.bytesDone).toBe(last.type === 'done' ? last.progress.bytesTotal : -1);
    const summary = list[list.length - 1];
    expect(summary).toEqual({
      type: 'summary',
      progress: {
        filesDone: 9,
        filesFailed: 0,
        filesTotal: 9,
        bytesDone: 5000 + awkward.reduce((n, a) => n + Buffer.byteLength(`file ${a}`), 0),
        bytesTotal: 5000 + awkward.reduce((n, a) => n + Buffer.byteLength(`file ${a}`), 0),
      },
    });

    const uploads = countRequests(emu, 'b2_upload_file');
    const parts = countRequests(emu, 'b2_upload_part');
    const again = await events(syncUp(bucket, { localFolder: src, prefix: 'backup/', largeFileThreshold: 3000 }));
    expect(planned(again)).toEqual(expected.map((n) => `skip ${n}: same size and modification time`));
    expect(uploads() + parts()).toBe(0);
  });

  it('uploads only what changed, and with delete removes (or with hide hides) names no longer in the folder', async () => {
    const src = path.join(work, 'src');
    for (const n of ['a', 'b', 'c', 'd']) await write(src, n, n);
    await events(syncUp(bucket, { localFolder: src }));
    await write(src, 'b', 'bigger now');
    await write(src, 'c', 'c', T0 + 1000);
    await fs.rm(path.join(src, 'd'));
    const uploads = countRequests(emu, 'b2_upload_file');
    const kept = await events(syncUp(bucket, { localFolder: src }));
    expect(planned(kept)).toEqual([
      'skip a: same size and modification time',
      'upload b: size differs (1 → 10 bytes)',
      'upload c: modification time differs (source newer: 2024-05-06T07:08:10.123Z)',
      'skip d: not in the local folder (kept on B2)',
    ]);
    expect(uploads()).toBe(2);
    await fs.rm(path.join(src, 'c'));
    const hidden = await events(syncUp(bucket, { localFolder: src, delete: 'hide' }));
    expect(planned(hidden)).toEqual([
      'skip a: same size and modification time',
      'skip b: same size and modification time',
      'hide c: not in the local folder',
      'hide d: not in the local folder',
    ]);
    expect(await names()).toEqual(['a', 'b']);
    // Hidden, not deleted: the versions stay.
    expect((await all(bucket.listFileVersions())).filter((v) => v.fileName === 'c').map((v) => v.action)).toEqual(['hide', 'upload', 'upload']);
    await fs.rm(path.join(src, 'b'));
    const deleted = await events(syncUp(bucket, { localFolder: src, delete: 'delete' }));
    expect(planned(deleted)).toEqual(['skip a: same size and modification time', 'delete b: not in the local folder']);
    expect((await all(bucket.listFileVersions())).map((v) => v.fileName)).toEqual(['a', 'c', 'c', 'c', 'd', 'd']);
  });

  it('syncs down into a new folder with B2 modification times; a second run changes nothing; delete removes local extras', async () => {
    const src = path.join(work, 'src');
    await write(src, 'x/y.txt', 'hello', T0 + 5);
    await write(src, 'big.bin', bytes(7000, 3), T0 + 6);
    await events(syncUp(bucket, { localFolder: src, prefix: 'p', largeFileThreshold: 3000 }));
    const dest = path.join(work, 'new', 'dest');
    const down = await events(syncDown(bucket, { localFolder: dest, prefix: 'p/' }));
    expect(planned(down)).toEqual(['download big.bin: new', 'download x/y.txt: new']);
    expect(await fs.readFile(path.join(dest, 'x', 'y.txt'), 'utf8')).toBe('hello');
    expect(sha1(await fs.readFile(path.join(dest, 'big.bin')))).toBe(sha1(bytes(7000, 3)));
    expect(Number((await fs.stat(path.join(dest, 'x', 'y.txt'), { bigint: true })).mtimeNs / 1_000_000n)).toBe(T0 + 5);
    await write(dest, 'extra', 'local only');
    const downloads = countRequests(emu, 'b2_download_file_by_id');
    const again = await events(syncDown(bucket, { localFolder: dest, prefix: 'p/', delete: 'delete' }));
    expect(planned(again)).toEqual(['skip big.bin: same size and modification time', 'delete extra: not on B2', 'skip x/y.txt: same size and modification time']);
    expect(downloads()).toBe(0);
    expect((await fs.readdir(dest)).sort()).toEqual(['big.bin', 'x']);
    // And up again from what came down: nothing to do.
    expect(planned(await events(syncUp(bucket, { localFolder: dest, prefix: 'p' })))).toEqual([
      'skip big.bin: same size and modification time',
      'skip x/y.txt: same size and modification time',
    ]);
  });

  it('refuses bad options and folders with invalid_argument naming the option, before any request', async () => {
    const requests = countRequests(emu);
    const file = await write(work, 'a-file', 'x');
    const cases: [() => Observable<unknown>, string, string][] = [
      [() => syncUp(bucket, { localFolder: path.join(work, 'missing') }), 'localFolder', 'does not exist'],
      [() => syncUp(bucket, { localFolder: file }), 'localFolder', 'is a file'],
      [() => syncDown(bucket, { localFolder: file }), 'localFolder', 'is a file'],
      [() => syncUp(bucket, { localFolder: work, prefix: '/abs' }), 'prefix', 'start with "/"'],
      [() => syncUp(bucket, { localFolder: work, prefix: 'a//b' }), 'prefix', '"//"'],
      [() => syncUp(bucket, { localFolder: work, prefix: 'a\u0001' }), 'prefix', 'control character'],
      [() => syncDown(bucket, { localFolder: work, delete: 'hide' }), 'delete', 'syncUp only'],
      [() => syncUp(bucket, { localFolder: work, compare: 'md5' as never }), 'compare', 'modTime, size or sha1'],
      [() => syncUp(bucket, { localFolder: work, concurrency: 0 }), 'concurrency', 'whole number'],
      [() => syncUp(bucket, { localFolder: work, exclude: ['[oops'] }), 'exclude[0]', 'without its ]'],
      [() => syncUp(bucket, { localFolder: '' }), 'localFolder', 'folder path'],
    ];
    for (const [make, field, words] of cases) {
      const err = await failure(make());
      expect(err.code).withContext(field).toBe('invalid_argument');
      expect(err.field).withContext(words).toBe(field);
      expect(err.message).toContain(words);
    }
    expect(requests()).toBe(0);
  });

  it('carries on past files B2 cannot store and ends with sync_failed naming each (control character, over 1024 bytes)', async () => {
    const src = path.join(work, 'src');
    await write(src, 'good-1', '1');
    await write(src, 'bad\u0001name', 'x');
    const long = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(250)).join('/');
    await write(src, long, 'x');
    await write(src, 'good-2', '2');
    const seen: B2SyncEvent<B2File>[] = [];
    const err = await failure(syncUp(bucket, { localFolder: src }).pipe(tap((e) => seen.push(e))));
    expect(err).toBeInstanceOf(B2SyncError);
    expect(err.code).toBe('sync_failed');
    const reasons = (err as B2SyncError).failures.map((f) => `${f.action.name.slice(0, 12)}: ${f.reason}`).sort();
    expect(reasons).toEqual(['000000000000: fileName: is longer than 1024 bytes of UTF-8', 'bad\u0001name: fileName: contains the control character 0x01']);
    expect(await names()).toEqual(['good-1', 'good-2']);
    expect(seen.filter((e) => e.type === 'failed').length).toBe(2);
  });

  it('stops at the first failure with failFast', async () => {
    const src = path.join(work, 'src');
    await write(src, '\u0001first', 'x');
    for (let i = 0; i < 5; i++) await write(src, `f${i}`, 'x');
    const err = (await failure(syncUp(bucket, { localFolder: src, failFast: true, concurrency: 1 }))) as B2SyncError;
    expect(err.message).toContain('sync stopped at the first failure');
    expect(err.failures.length).toBe(1);
    expect(await names()).toEqual([]);
  });

  it('reports a symbolic-link loop as a failed entry (follow), or skips links (skip), and never deletes below an unreadable folder', async () => {
    const src = path.join(work, 'src');
    await write(src, 'dir/file', 'x');
    await fs.symlink('..', path.join(src, 'dir', 'loop'));
    await fs.symlink('file', path.join(src, 'dir', 'link-to-file'));
    const err = (await failure(syncUp(bucket, { localFolder: src }))) as B2SyncError;
    expect(err.failures.map((f) => `${f.action.name}: ${f.reason}`)).toEqual(['dir/loop/: symbolic link loop (leads back to ".")']);
    // The link to a file was followed: its contents went up under the link's name.
    expect(await names()).toEqual(['dir/file', 'dir/link-to-file']);
    const skipped = await events(syncUp(bucket, { localFolder: src, symlinks: 'skip', delete: 'delete' }));
    expect(planned(skipped)).toEqual([
      'skip dir/file: same size and modification time',
      'skip dir/link-to-file: symbolic link (symlinks: skip)',
      'skip dir/loop: symbolic link (symlinks: skip)',
    ]);
    expect(await names()).toEqual(['dir/file', 'dir/link-to-file']);
  });

  it('a file that changes while it is uploaded fails with its reason and leaves no version behind', async () => {
    const src = path.join(work, 'src');
    const victim = await write(src, 'changing', 'original');
    await write(src, 'steady', 'steady');
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'delay', ms: 50 }, times: Infinity });
    const err = (await failure(
      syncUp(bucket, { localFolder: src }).pipe(
        tap((e) => {
          // Listed as 8 bytes; shrinks before it is read.
          if (e.type === 'planned' && e.action.name === 'changing') writeFileSync(victim, 'tiny');
        }),
      ),
    )) as B2SyncError;
    expect(err.failures.map((f) => `${f.action.name}: ${f.reason}`)).toEqual([
      jasmine.stringMatching(/^changing: .*changed while it was being uploaded \(8 bytes expected, 4 when opened\)/) as unknown as string,
    ]);
    expect((await all(bucket.listFileVersions())).map((v) => v.fileName)).toEqual(['steady']);
  });

  it('unsubscribing stops the sync; running it again finishes what is left', async () => {
    const src = path.join(work, 'src');
    for (let i = 0; i < 12; i++) await write(src, `f${String(i).padStart(2, '0')}`, `contents ${i}`);
    const firstDone = await new Promise<number>((resolve) => {
      let done = 0;
      const subscription = syncUp(bucket, { localFolder: src, concurrency: 2 }).subscribe((e) => {
        if (e.type === 'done' && ++done === 3) {
          subscription.unsubscribe();
          resolve(done);
        }
      });
    });
    expect(firstDone).toBe(3);
    const stored = (await names()).length;
    expect(stored).toBeGreaterThanOrEqual(3);
    expect(stored).toBeLessThan(12);
    const uploads = countRequests(emu, 'b2_upload_file');
    const rest = await events(syncUp(bucket, { localFolder: src }));
    expect(rest.filter((e) => e.type === 'done').length).toBe(12 - stored);
    expect(uploads()).toBe(12 - stored);
    expect((await names()).length).toBe(12);
  });

  it('include and exclude leave other names alone on both sides; an excluded folder is not walked', async () => {
    const src = path.join(work, 'src');
    await write(src, 'keep.txt', 'k');
    await write(src, 'node_modules/pkg/index.js', 'x');
    await write(src, 'photo.jpg', 'j');
    await events(syncUp(bucket, { localFolder: src, exclude: ['node_modules/'] }));
    expect(await names()).toEqual(['keep.txt', 'photo.jpg']);
    await write(work, 'other/remote-only.txt', 'r');
    const list = await events(syncUp(bucket, { localFolder: src, include: ['*.txt'], delete: 'delete' }));
    expect(planned(list)).toEqual(['skip keep.txt: same size and modification time']);
    expect(await names()).toEqual(['keep.txt', 'photo.jpg']);
  });

  it('reads the listing a page at a time: a name whose versions fill a page, and pages of only excluded names', async () => {
    const src = path.join(work, 'src');
    for (const n of ['a', 'b', 'c', 'd']) await write(src, n, n);
    await events(syncUp(bucket, { localFolder: src }));
    // Three more versions of "a" (different times each), then "a" as the folder has it again.
    for (let i = 1; i <= 3; i++) {
      await write(src, 'a', 'a', T0 + i * 1000);
      await events(syncUp(bucket, { localFolder: src }));
    }
    const lists = countRequests(emu, 'b2_list_file_versions');
    const plan = planned(await events(syncUp(bucket, { localFolder: src, pageSize: 2, dryRun: true, delete: 'delete', exclude: ['b', 'c'] })));
    expect(plan).toEqual(['skip a: same size and modification time', 'skip d: same size and modification time']);
    // Pages of 2 versions: "a" (4 versions) is read again with 4, then "b"+"c" (excluded) and "d".
    expect(lists()).toBeGreaterThan(2);
    const all4 = planned(await events(syncUp(bucket, { localFolder: src, pageSize: 1, dryRun: true })));
    expect(all4).toEqual(['a', 'b', 'c', 'd'].map((n) => `skip ${n}: same size and modification time`));
  });

  it('lists current names (b2_list_file_names) unless keepDays or delete: delete needs every version', async () => {
    const src = path.join(work, 'src');
    for (const n of ['a', 'b', 'c', 'd', 'e']) await write(src, n, n);
    await events(syncUp(bucket, { localFolder: src }));
    await write(src, 'b', 'b', T0 + 1000);
    await events(syncUp(bucket, { localFolder: src }));
    await fs.rm(path.join(src, 'e'));
    /** A counter of one call's requests (the emulator's counters add up: one at a time). */
    const count = (call: string) => {
      emu.faults.clear();
      return countRequests(emu, call);
    };
    const skips = ['a', 'b', 'c', 'd'].map((n) => `skip ${n}: same size and modification time`);
    // Pages of 2 names: each page after the first starts at the name B2 said comes next (nextFileName).
    let names = count('b2_list_file_names');
    expect(planned(await events(syncUp(bucket, { localFolder: src, pageSize: 2, dryRun: true })))).toEqual([...skips, 'skip e: not in the local folder (kept on B2)']);
    expect(names()).toBe(3);
    let versions = count('b2_list_file_versions');
    await events(syncUp(bucket, { localFolder: src, pageSize: 2, dryRun: true }));
    expect(versions()).toBe(0);
    versions = count('b2_list_file_versions');
    expect(planned(await events(syncUp(bucket, { localFolder: src, delete: 'hide', dryRun: true })))).toEqual([...skips, 'hide e: not in the local folder']);
    expect(versions()).toBe(0);
    versions = count('b2_list_file_versions');
    await events(syncDown(bucket, { localFolder: path.join(work, 'down'), delete: 'delete', dryRun: true }));
    expect(versions()).toBe(0);
    names = count('b2_list_file_names');
    expect(planned(await events(syncUp(bucket, { localFolder: src, delete: 'delete', dryRun: true })))).toEqual([...skips, 'delete e: not in the local folder']);
    expect(names()).toBe(0);
    names = count('b2_list_file_names');
    const pruned = planned(await events(syncUp(bucket, { localFolder: src, keepDays: 0, dryRun: true })));
    expect(pruned).toContain('delete b: old version, superseded more than 0 days ago');
    expect(names()).toBe(0);
  });

  it('asks for no listing page past one B2 says is the last (names that exactly fill the pages)', async () => {
    const src = path.join(work, 'src');
    for (const n of ['a', 'b', 'c', 'd']) await write(src, n, n);
    await events(syncUp(bucket, { localFolder: src }));
    const skips = ['a', 'b', 'c', 'd'].map((n) => `skip ${n}: same size and modification time`);
    let requests = countRequests(emu, 'b2_list_file_names');
    expect(planned(await events(syncUp(bucket, { localFolder: src, pageSize: 2 })))).toEqual(skips);
    // Page 1: a, b (next: c); page 2: c, d (next: none). Nothing more.
    expect(requests()).toBe(2);
    emu.faults.clear();
    requests = countRequests(emu, 'b2_list_file_versions');
    expect(planned(await events(syncUp(bucket, { localFolder: src, pageSize: 2, delete: 'delete', dryRun: true })))).toEqual(skips);
    expect(requests()).toBe(2);
  });

  it('a listing page of only unfinished large files does not read as the end of the versions', async () => {
    const src = path.join(work, 'src');
    await write(src, 'b', 'b');
    await events(syncUp(bucket, { localFolder: src }));
    for (const fileName of ['a1', 'a2']) await lastValueFrom(bucket.startLargeUpload({ fileName }));
    // Pages of 2 versions: the first holds only the two unfinished large files.
    const plan = planned(await events(syncUp(bucket, { localFolder: src, pageSize: 2, delete: 'delete', dryRun: true })));
    expect(plan).toEqual(['skip b: same size and modification time']);
  });

  it('stops hashing a file (compare: sha1) mid-file when unsubscribed, and closes it', async () => {
    const src = path.join(work, 'src');
    // Below 8 MiB: hashed on the main thread, 1 MiB at a time (larger files go to worker threads).
    const size = 4 << 20;
    await write(src, 'big.bin', bytes(size, 1));
    await events(syncUp(bucket, { localFolder: src }));
    await write(src, 'big.bin', bytes(size, 2));
    const open = platform.openFile.bind(platform);
    let chunks = 0;
    const run: { subscription?: Subscription } = {};
    const closedAfter = new Promise<number>((closed) => {
      spyOn(platform, 'openFile').and.callFake(async (p: string) => {
        const file = await open(p);
        async function* counted(start: number, length: number, into?: () => Uint8Array) {
          try {
            for await (const chunk of file.read(start, length, into)) {
              // The first chunk read: the sync is unsubscribed.
              if (++chunks === 1) run.subscription!.unsubscribe();
              yield chunk;
            }
          } finally {
            closed(chunks);
          }
        }
        return { ...file, read: counted };
      });
    });
    run.subscription = syncUp(bucket, { localFolder: src, compare: 'sha1' }).subscribe();
    // Read in 1 MiB chunks: hashing to the end would read 4.
    expect(await closedAfter).toBe(1);
  });

  it('hashes a file of 8 MiB or more (compare: sha1) in the platform’s worker threads, not on the main thread', async () => {
    const src = path.join(work, 'src');
    const size = 8 << 20;
    await write(src, 'big.bin', bytes(size, 1));
    await write(src, 'same.bin', bytes(size, 3));
    await events(syncUp(bucket, { localFolder: src }));
    await write(src, 'big.bin', bytes(size, 2));
    const workers = spyOn(platform as Required<typeof platform>, 'hashInWorker').and.callThrough();
    const plan = planned(await events(syncUp(bucket, { localFolder: src, compare: 'sha1', dryRun: true })));
    expect(plan).toEqual(['upload big.bin: SHA-1 differs', 'skip same.bin: same SHA-1']);
    expect(workers.calls.allArgs().map(([what]) => path.basename((what as { path: string }).path))).toEqual(['big.bin', 'same.bin']);
  });

  it('uploads a file only as the walk saw it: one changed between the walk and the upload fails before any upload request', async () => {
    const src = path.join(work, 'src');
    const full = await write(src, 'a.txt', 'walked');
    await write(src, 'b.txt', 'b');
    const open = platform.openFile.bind(platform);
    // The walk has looked at a.txt; it is rewritten (other size, other time) just before the upload opens it.
    spyOn(platform, 'openFile').and.callFake(async (p: string) => {
      if (p === full) await write(src, 'a.txt', 'rewritten since', T0 + 5000);
      return open(p);
    });
    const uploads = countRequests(emu, 'b2_upload_file');
    const err = await failure(syncUp(bucket, { localFolder: src }));
    expect(err).toBeInstanceOf(B2SyncError);
    expect((err as B2SyncError).failures.map((f) => `${f.action.name} ${(f.error as { code?: string }).code}`)).toEqual(['a.txt source_changed']);
    // Only b.txt went up: nothing of a.txt was sent (no version to delete afterwards).
    expect(uploads()).toBe(1);
    expect((await all(bucket.listFileVersions())).map((v) => v.fileName)).toEqual(['b.txt']);
  });
});
