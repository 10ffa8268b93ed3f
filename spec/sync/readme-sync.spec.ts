/** The README's "Sync" sample, run against the emulator; and sync in the browser platform. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { platform as browser } from '../../src/platform/browser';
import { NotSupportedError } from '../../src/platform/platform';
import { syncDown, syncUp, type Bucket } from '../../src';
import { bucketName, client, startClientEmulator, type Emu } from '../client/support';

describe('README: Sync', () => {
  let emu: Emu;
  let bucket: Bucket;
  let dir: string;

  beforeAll(async () => {
    emu = await startClientEmulator();
    bucket = await lastValueFrom(client(emu).buckets.create(bucketName('readme-sync')));
    dir = await mkdtemp(join(tmpdir(), 'rxb2-readme-sync-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await emu.close();
  });

  it('runs the sample: a sync up with hide and excludes, then a sync down', async () => {
    const cwd = process.cwd();
    await mkdir(join(dir, 'photos', 'cache'), { recursive: true });
    await writeFile(join(dir, 'photos', 'cat.jpg'), 'meow');
    await writeFile(join(dir, 'photos', 'draft.tmp'), 'x');
    await writeFile(join(dir, 'photos', 'cache', 'thumb'), 'x');
    process.chdir(dir);
    const said: string[] = [];
    const console = {
      log: (...a: unknown[]) => said.push(a.join(' ')),
      warn: (...a: unknown[]) => said.push(`warn ${a.join(' ')}`),
      error: (...a: unknown[]) => said.push(`error ${a.join(' ')}`),
    };
    const moved: number[] = [];
    const bar = { update: (done: number, total: number) => moved.push(done, total) };
    try {
      await new Promise<void>((resolve) => {
        syncUp(bucket, { localFolder: './photos', prefix: 'photos/', delete: 'hide', exclude: ['*.tmp', 'cache/'] }).subscribe({
          next: (e) => {
            if (e.type === 'planned' && e.action.kind !== 'skip') console.log('will', e.action.kind, e.action.name, '-', e.action.reason);
            if (e.type === 'progress' || e.type === 'done') bar.update(e.progress.bytesDone, e.progress.bytesTotal);
            if (e.type === 'failed') console.warn(e.action.name, e.reason);
          },
          error: (err) => (console.error(err.message), resolve()),
          complete: () => (console.log('in sync'), resolve()),
        });
      });
      await lastValueFrom(syncDown(bucket, { localFolder: './restore', prefix: 'photos/' }), { defaultValue: null });
    } finally {
      process.chdir(cwd);
    }
    expect(said).toEqual(['will upload cat.jpg - new', 'in sync']);
    expect(moved.slice(-2)).toEqual([4, 4]);
    expect(await readFile(join(dir, 'restore', 'cat.jpg'), 'utf8')).toBe('meow');
  });

  // The platform knows no B2Error (src/platform imports nothing of src/http): it says ENOTSUP, which
  // sync's folder check turns into invalid_argument for localFolder before any request.
  it('in the browser a sync errors with invalid_argument (localFolder), before any request', async () => {
    const err = await browser.statPath('/x', true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).message).toContain('syncing a local folder needs Node');
    expect(await browser.readFolder('/x').catch((e: unknown) => e)).toEqual(jasmine.objectContaining({ code: 'ENOTSUP' }));
  });
});
