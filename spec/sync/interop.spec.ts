/**
 * Sync interop: a folder synced up by rxb2 is unchanged for `rclone check`, `rclone sync --dry-run`
 * and b2sdk's Synchronizer (its plan is empty); a folder synced up by rclone or b2sdk is unchanged
 * for rxb2 (by modification time and by SHA-1), and rxb2's sync down of it passes `rclone check`.
 * All against the emulator (see spec/interop for how rclone and b2sdk are driven).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { startEmulator } from '../../src/emulator';
import { syncDown, syncUp, type B2SyncOptions, type Bucket } from '../../src';
import { client } from '../client/support';
import { cleanEnv, describeRun, makeTempDir, onCi, removeDir, run, sourceFile, toolMissing } from '../interop/support';

const RCLONE = '/usr/bin/rclone';
const PYTHON = '/usr/bin/python3';
/** Whole seconds: b2sdk reads a time as int(float seconds × 1000), exact only for whole milliseconds that floats hold exactly. */
const BASE = Date.UTC(2022, 1, 3, 4, 5, 6);

/** Awkward names (B2 order differs from a per-folder sort), a large file for b2sdk (> 200 KB) and one for rclone (> 5 MiB). */
const FILES: [string, number][] = [
  ['a-b', 10],
  ['a.b', 11],
  ['a/b', 12],
  ['a/c/d.txt', 13],
  ['a0', 14],
  ['with space.txt', 15],
  ['ü/ß.txt', 16],
  ['emoji 🚀.txt', 17],
  ['\uFFFD.txt', 18],
  ['empty', 0],
  ['deep/er/est/file.bin', 4096],
  ['mid.bin', 300_000],
  ['large.bin', 6 * 1024 * 1024 + 7],
];

async function makeTree(root: string): Promise<void> {
  let seed = 99;
  for (const [i, [name, size]] of FILES.entries()) {
    const full = path.join(root, ...name.split('/'));
    await fs.mkdir(path.dirname(full), { recursive: true });
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j++) data[j] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16;
    await fs.writeFile(full, data);
    await fs.utimes(full, BASE / 1000 + i, BASE / 1000 + i);
  }
}

describe('sync interop (rclone, b2sdk)', () => {
  let emu: Awaited<ReturnType<typeof startEmulator>>;
  let work: string;
  let bucket: Bucket;
  let src: string;

  beforeAll(async () => {
    // Small parts so b2sdk sends mid.bin as a large file; rclone's chunks (5 MiB) stay above the minimum.
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 100_000, recommendedPartSize: 200_000 });
    work = await makeTempDir('sync-interop');
    src = path.join(work, 'src');
    await makeTree(src);
    bucket = await lastValueFrom(client(emu).buckets.create(`sync-interop-${Date.now().toString(36)}`));
  }, 60_000);

  afterAll(async () => {
    await removeDir(work);
    await emu.close();
  }, 60_000);

  const rxSteps = async (options: B2SyncOptions, down = false) => {
    const events = await lastValueFrom((down ? syncDown : syncUp)(bucket, options).pipe(toArray()));
    return events.filter((e) => e.type === 'planned').map((e) => `${e.action.kind} ${e.action.name}: ${e.action.reason}`);
  };
  const allSkipped = (steps: string[], reason: string) => steps.filter((s) => !s.startsWith('skip ') || !s.endsWith(reason));

  it('agrees with rclone 1.60 both ways', async () => {
    const missing = toolMissing(RCLONE, 'install rclone (apt-get install -y rclone)');
    if (missing) {
      if (onCi()) fail(missing);
      else pending(missing);
      return;
    }
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(['RCLONE_']),
      RCLONE_CONFIG_EMU_TYPE: 'b2',
      RCLONE_CONFIG_EMU_ACCOUNT: emu.keyId,
      RCLONE_CONFIG_EMU_KEY: emu.applicationKey,
      RCLONE_CONFIG_EMU_ENDPOINT: emu.url,
    };
    const configFile = path.join(work, 'rclone.conf');
    await fs.writeFile(configFile, '');
    const rclone = async (args: string[]) => {
      const r = await run(
        RCLONE,
        ['--config', configFile, '--low-level-retries', '1', '--retries', '1', '--b2-upload-cutoff', '5M', '--b2-chunk-size', '5M', '--stats', '0', '-v', ...args],
        { env, timeoutMs: 240_000 },
      );
      if (r.code !== 0 || r.timedOut) throw new Error(`rclone failed\n${describeRun(r)}`);
      return r;
    };
    const remote = (prefix: string) => `emu:${bucket.bucketName}/${prefix}`;

    // rxb2 up → rclone sees the same sizes and SHA-1s (large files through large_file_sha1) and nothing to copy.
    expect(await rxSteps({ localFolder: src, prefix: 'rx', largeFileThreshold: 5 * 1024 * 1024 })).toEqual(jasmine.arrayContaining(['upload large.bin: new']));
    const check = await rclone(['check', src, remote('rx')]);
    expect(check.stderr).toContain(`${FILES.length} matching files`);
    expect(check.stderr).not.toMatch(/hashes could not be checked|differences found: [1-9]/);
    const dry = await rclone(['sync', '--dry-run', src, remote('rx')]);
    expect(dry.stderr)
      .withContext(describeRun(dry))
      .not.toMatch(/Skipped (copy|delete|update)/);

    // rclone up → rxb2 sees nothing to do, by modification time and by SHA-1.
    await rclone(['copy', src, remote('rc')]);
    expect(allSkipped(await rxSteps({ localFolder: src, prefix: 'rc', dryRun: true }), 'same size and modification time')).toEqual([]);
    expect(allSkipped(await rxSteps({ localFolder: src, prefix: 'rc', dryRun: true, compare: 'sha1' }), 'same SHA-1')).toEqual([]);

    // rxb2 down from what rclone stored → rclone check agrees, and modification times came along.
    const down = path.join(work, 'down-rc');
    expect((await rxSteps({ localFolder: down, prefix: 'rc' }, true)).length).toBe(FILES.length);
    await rclone(['check', down, remote('rc')]);
    const dryDown = await rclone(['sync', '--dry-run', remote('rc'), down]);
    expect(dryDown.stderr)
      .withContext(describeRun(dryDown))
      .not.toMatch(/Skipped (copy|delete|update)/);
  }, 600_000);

  it('agrees with b2sdk 1.17 Synchronizer both ways', async () => {
    const missing =
      toolMissing(PYTHON, 'install python3') ??
      (await run(PYTHON, ['-c', 'import b2sdk.v2'], { env: cleanEnv(['PYTHON']), timeoutMs: 60_000 }).then((r) => (r.code === 0 ? null : 'python3-b2sdk is not installed')));
    if (missing) {
      if (onCi()) fail(missing);
      else pending(missing);
      return;
    }
    const script = sourceFile('spec/sync/b2sdk_sync.py');
    const env = { ...cleanEnv(['PYTHON', 'B2_']), PYTHONDONTWRITEBYTECODE: '1', B2_INTEROP_REALM: emu.url, B2_INTEROP_KEY_ID: emu.keyId, B2_INTEROP_KEY: emu.applicationKey };
    const b2sdk = async (mode: string, prefix: string) => {
      const r = await run(PYTHON, ['-B', script, mode, src, bucket.bucketName, prefix], { env, timeoutMs: 300_000 });
      if (r.code !== 0 || r.timedOut) throw new Error(`b2sdk ${mode} failed\n${describeRun(r)}`);
      return r.stdout;
    };

    // rxb2 up (mid.bin as a large file) → b2sdk plans nothing (it would raise had B2 looked newer).
    await rxSteps({ localFolder: src, prefix: 'rx2', largeFileThreshold: 200_000 });
    expect(await b2sdk('plan', 'rx2')).toBe('ACTIONS 0\n');
    // Sanity: a b2sdk plan into an empty prefix does list every file.
    expect(await b2sdk('plan', 'nothing-here')).toContain(`ACTIONS ${FILES.length}`);

    // b2sdk up → rxb2 sees nothing to do.
    expect(await b2sdk('up', 'bs')).toContain('SYNCED');
    expect(allSkipped(await rxSteps({ localFolder: src, prefix: 'bs', dryRun: true }), 'same size and modification time')).toEqual([]);
  }, 600_000);
});
