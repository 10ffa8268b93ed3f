/**
 * Interop: rclone 1.60 (b2 backend, native API v1) against the emulator.
 *
 * rclone is configured only through environment variables (remote `emu:`) and an empty config
 * file, with retries off so an emulator error is never hidden. The steps run in order inside one
 * spec (jasmine's random order would shuffle separate `it`s); a failing step fails the spec with
 * the step name, the rclone command line and its output.
 *
 * To see the HTTP traffic of a failing step, rerun with e.g.
 *   RXB2_RCLONE_FLAGS='-vv --dump headers' npx jasmine --config=jasmine.json --filter=rclone
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { startEmulator } from '../../src/emulator';
import { cleanEnv, describeRun, diffManifests, makeTempDir, onCi, removeDir, run, sha1Hex, toolMissing, treeManifest } from './support';

const RCLONE = '/usr/bin/rclone';
/** Number of `step(...)` calls below. Keep in sync. */
const EXPECTED_STEPS = 17;
const MiB = 1024 * 1024;
/** rclone's minimum b2 chunk size is 5 MiB; files above the cutoff go multi-part. */
const CHUNK = '5M';

/** Test tree: relative path → size. ~50 files, 0 bytes … 3 parts, awkward names, nested folders. */
function testFiles(): Array<[string, number]> {
  const files: Array<[string, number]> = [
    ['empty.txt', 0],
    ['one-byte.bin', 1],
    ['with space.txt', 100],
    ['plus+sign.txt', 200],
    ['percent%20literal.txt', 300],
    ['percent%.txt', 50],
    ['amp&and.txt', 10],
    ['equals=sign & more.txt', 20],
    ["apostrophe's.txt", 30],
    ['comma,semi;colon.txt', 40],
    ['hash#tag?query.txt', 44],
    ['brackets [1] (2) {3}.txt', 55],
    ['tilde~dash-under_score.txt', 66],
    ['unicode ü ß é.txt', 77],
    ['中文 自由.txt', 88],
    ['emoji 🚀.txt', 99],
    ['nested/a/b/c/deep file.txt', 123],
    ['nested/a/sibling.bin', 4567],
    ['nested/space dir/file one.txt', 11],
    ['nested/ü dir/ß.txt', 22],
    ['nested/plus+dir/x&y=z.txt', 33],
    ['sizes/4095.bin', 4095],
    ['sizes/4096.bin', 4096],
    ['sizes/65536.bin', 65536],
    ['sizes/1MiB-1.bin', MiB - 1],
    ['sizes/1MiB.bin', MiB],
    ['sizes/3MB.bin', 3_000_000],
    ['sizes/5MiB.bin', 5 * MiB], // exactly the cutoff: still a single upload
    ['sizes/5MiB+1.bin', 5 * MiB + 1], // two parts, the last of 1 byte
    ['sizes/12MB.bin', 12_000_000], // three parts
  ];
  let seed = 12345;
  for (let i = 0; i < 22; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    files.push([`bulk/file-${String(i).padStart(2, '0')}.dat`, seed % 150_000]);
  }
  return files;
}

const BIG = 'sizes/12MB.bin';
const SMALL_FOR_COPY = 'plus+sign.txt';
/** A fixed, whole-second mtime per file so modification times can be compared exactly. */
const baseMtime = Date.UTC(2021, 0, 2, 3, 4, 5) / 1000;

interface LsJsonEntry {
  Path: string;
  Name: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
  Hashes?: Record<string, string>;
}

describe('interop: rclone 1.60 (b2 backend, API v1)', () => {
  let emu: Awaited<ReturnType<typeof startEmulator>> | undefined;
  let work: string | undefined;

  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000_000 });
  }, 30_000);

  afterAll(async () => {
    await removeDir(work);
    await emu?.close();
  }, 60_000);

  it(`passes all ${EXPECTED_STEPS} rclone steps (mkdir, copy up/down, check, lsjson, server-side copy, delete, purge)`, async () => {
    const missing = toolMissing(RCLONE, 'install rclone (apt-get install -y rclone; .ci/run does this)');
    if (missing) {
      if (onCi()) fail(`rclone interop cannot run: ${missing}`);
      else pending(`rclone interop skipped: ${missing}`);
      return;
    }
    if (!emu) throw new Error('emulator did not start (see beforeAll failure)');

    work = await makeTempDir('rclone');
    const src = path.join(work, 'src');
    const down = path.join(work, 'down');
    const configFile = path.join(work, 'rclone.conf');
    await fs.writeFile(configFile, '');
    const bucket = `interop-rclone-${Math.random().toString(16).slice(2, 10)}`;
    const remote = `emu:${bucket}`;

    // ---- the local tree
    const files = testFiles();
    const contents = new Map<string, Buffer>();
    let i = 0;
    for (const [rel, size] of files) {
      const data = randomBytes(size);
      const full = path.join(src, rel);
      await fs.mkdir(path.dirname(full), { recursive: true });
      await fs.writeFile(full, data);
      await fs.utimes(full, baseMtime + i, baseMtime + i);
      contents.set(rel, data);
      i++;
    }
    const expected = await treeManifest(src);
    expect(expected.size).withContext('local test files').toBe(files.length);

    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(['RCLONE_']),
      RCLONE_CONFIG_EMU_TYPE: 'b2',
      RCLONE_CONFIG_EMU_ACCOUNT: emu.keyId,
      RCLONE_CONFIG_EMU_KEY: emu.applicationKey,
      RCLONE_CONFIG_EMU_ENDPOINT: emu.url,
    };
    const extra = (process.env.RXB2_RCLONE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const common = [
      '--config',
      configFile,
      '--cache-dir',
      path.join(work, 'cache'),
      '--low-level-retries',
      '1',
      '--retries',
      '1',
      '--b2-upload-cutoff',
      CHUNK,
      '--b2-chunk-size',
      CHUNK,
      '--b2-copy-cutoff',
      CHUNK,
      '--stats',
      '0',
      '-v',
      ...extra,
    ];

    const done: string[] = [];
    let current = '';
    async function rclone(args: string[], opts: { binaryStdout?: boolean; allowDirNotFound?: boolean } = {}) {
      const r = await run(RCLONE, [...common, ...args], { env, timeoutMs: 240_000, binaryStdout: opts.binaryStdout });
      // exit code 3 = directory not found: an empty prefix on a bucket-based remote may report this
      const dirNotFound = opts.allowDirNotFound && r.code === 3 && /directory not found/i.test(r.stderr);
      if ((r.code !== 0 && !dirNotFound) || r.timedOut) throw new Error(`rclone failed\n${describeRun(r)}`);
      return dirNotFound ? { ...r, stdout: '[]' } : r;
    }
    async function step(name: string, body: () => Promise<void>): Promise<void> {
      current = name;
      await body();
      done.push(name);
    }
    function check(condition: boolean, message: string): void {
      if (!condition) throw new Error(message);
    }
    async function lsjson(target: string, flags: string[] = []): Promise<LsJsonEntry[]> {
      const r = await rclone(['lsjson', '-R', '--files-only', '--hash', ...flags, target], { allowDirNotFound: true });
      try {
        return JSON.parse(r.stdout) as LsJsonEntry[];
      } catch {
        throw new Error(`lsjson output is not JSON\n${describeRun(r)}`);
      }
    }

    try {
      await step('mkdir', async () => {
        await rclone(['mkdir', remote]);
      });

      await step('lsd (bucket listed)', async () => {
        const r = await rclone(['lsd', 'emu:']);
        check(
          r.stdout.split('\n').some((l) => l.trim().endsWith(` ${bucket}`)),
          `bucket ${bucket} not in lsd output\n${describeRun(r)}`,
        );
      });

      await step('copy up', async () => {
        await rclone(['copy', src, remote]);
      });

      await step('lsjson (names, sizes, SHA-1, mtimes)', async () => {
        const entries = await lsjson(remote);
        const remoteManifest = new Map(entries.map((e) => [e.Path, { size: e.Size, sha1: e.Hashes?.sha1 ?? '(no sha1)' }]));
        const problems = diffManifests(expected, remoteManifest, 'remote listing');
        const byPath = new Map(entries.map((e) => [e.Path, e]));
        files.forEach(([rel], n) => {
          const e = byPath.get(rel);
          const want = new Date((baseMtime + n) * 1000).getTime();
          if (e && Date.parse(e.ModTime) !== want) {
            problems.push(`mtime differs on remote: ${JSON.stringify(rel)} ${e.ModTime} != ${new Date(want).toISOString()}`);
          }
        });
        check(problems.length === 0, `remote listing does not match the local tree:\n${problems.join('\n')}`);
      });

      await step('check local vs remote (size + SHA-1)', async () => {
        const r = await rclone(['check', src, remote]);
        check(!/could not be checked|hash.*missing/i.test(r.stderr), `some hashes were not checked (missing SHA-1 on the remote?)\n${describeRun(r)}`);
      });

      await step('check --download (byte compare)', async () => {
        await rclone(['check', '--download', src, remote]);
      });

      await step('copy down', async () => {
        await rclone(['copy', remote, down]);
      });

      await step('downloaded tree equals original', async () => {
        const problems = diffManifests(expected, await treeManifest(down), 'downloaded copy');
        for (const [rel] of files) {
          const a = await fs.stat(path.join(src, rel)).catch(() => null);
          const b = await fs.stat(path.join(down, rel)).catch(() => null);
          if (a && b && Math.floor(a.mtimeMs / 1000) !== Math.floor(b.mtimeMs / 1000)) {
            problems.push(`mtime not restored on download: ${JSON.stringify(rel)} ${b.mtime.toISOString()} != ${a.mtime.toISOString()}`);
          }
        }
        check(problems.length === 0, problems.join('\n'));
        await rclone(['check', src, down]); // rclone's own local-vs-local comparison too
      });

      await step('server-side copy (b2_copy_file and multi-part b2_copy_part)', async () => {
        const r1 = await rclone(['copyto', `${remote}/${BIG}`, `${remote}/server-copy/${BIG}`]);
        const r2 = await rclone(['copyto', `${remote}/${SMALL_FOR_COPY}`, `${remote}/server-copy/${SMALL_FOR_COPY}`]);
        for (const r of [r1, r2]) check(/server-side copy/i.test(r.stderr), `rclone did not use a server-side copy\n${describeRun(r)}`);
        for (const rel of [BIG, SMALL_FOR_COPY]) {
          const c = await rclone(['cat', `${remote}/server-copy/${rel}`], { binaryStdout: true });
          const want = contents.get(rel)!;
          check(
            c.stdoutBytes.equals(want),
            `server-side copy of ${rel}: got ${c.stdoutBytes.length} bytes sha1 ${sha1Hex(c.stdoutBytes)}, want ${want.length} bytes sha1 ${sha1Hex(want)}`,
          );
        }
      });

      await step('cat with offset/count (range download across a part boundary)', async () => {
        const offset = 5 * MiB - 10;
        const c = await rclone(['cat', '--offset', String(offset), '--count', '20', `${remote}/${BIG}`], { binaryStdout: true });
        const want = contents.get(BIG)!.subarray(offset, offset + 20);
        check(c.stdoutBytes.equals(want), `range ${offset}+20: got ${c.stdoutBytes.toString('hex')}, want ${want.toString('hex')}`);
      });

      await step('sync a changed tree (new version, deletion)', async () => {
        const changed = path.join(src, 'with space.txt');
        await fs.writeFile(changed, Buffer.from('changed content, longer than before '.repeat(5)));
        await fs.utimes(changed, baseMtime + 1000, baseMtime + 1000);
        await fs.rm(path.join(src, 'bulk', 'file-00.dat'));
        await rclone(['sync', src, remote, '--exclude', 'server-copy/**']);
        const entries = await lsjson(remote, ['--exclude', 'server-copy/**']);
        const problems = diffManifests(await treeManifest(src), new Map(entries.map((e) => [e.Path, { size: e.Size, sha1: e.Hashes?.sha1 ?? '(no sha1)' }])), 'remote after sync');
        check(problems.length === 0, problems.join('\n'));
      });

      await step('check after sync', async () => {
        await rclone(['check', src, remote, '--exclude', 'server-copy/**']);
      });

      await step('delete a folder (hide markers)', async () => {
        await rclone(['delete', `${remote}/nested`]);
        const left = await lsjson(`${remote}/nested`);
        check(left.length === 0, `files still listed after delete: ${left.map((e) => e.Path).join(', ')}`);
        const others = await lsjson(remote);
        check(
          others.some((e) => e.Path === BIG),
          'delete of nested/ removed files outside it',
        );
      });

      await step('--b2-versions lists the hidden old versions', async () => {
        const versions = await lsjson(`${remote}/nested`, ['--b2-versions']);
        const present = new Set(versions.map((e) => `${e.Size}:${e.Hashes?.sha1 ?? ''}`));
        const lost = files.filter(([rel]) => rel.startsWith('nested/')).filter(([rel]) => !present.has(`${contents.get(rel)!.length}:${sha1Hex(contents.get(rel)!)}`));
        check(
          lost.length === 0,
          `old versions missing from --b2-versions listing: ${lost.map(([rel]) => rel).join(', ')}\n` + `listed: ${versions.map((e) => `${e.Path} (${e.Size})`).join(', ')}`,
        );
        // 'with space.txt' was overwritten by sync: both versions must be listed
        const all = await lsjson(remote, ['--b2-versions']);
        const spaceVersions = all.filter((e) => e.Path.startsWith('with space')).map((e) => e.Hashes?.sha1);
        const oldSha1 = sha1Hex(contents.get('with space.txt')!);
        check(
          spaceVersions.length >= 2 && spaceVersions.includes(oldSha1),
          `expected the old and new version of "with space.txt", got: ${all
            .filter((e) => e.Path.startsWith('with space'))
            .map((e) => e.Path)
            .join(', ')}`,
        );
      });

      await step('delete everything', async () => {
        await rclone(['delete', remote]);
        const left = await lsjson(remote);
        check(left.length === 0, `files still listed after delete: ${left.map((e) => e.Path).join(', ')}`);
      });

      await step('purge (all versions and the bucket)', async () => {
        await rclone(['purge', remote]);
      });

      await step('lsd after purge (bucket gone)', async () => {
        const r = await rclone(['lsd', 'emu:']);
        check(!r.stdout.includes(bucket), `bucket ${bucket} still listed after purge\n${describeRun(r)}`);
      });
    } catch (e) {
      fail(
        `rclone interop failed at step ${done.length + 1} "${current}" (ok so far: ${done.join(', ') || 'none'}); ` +
          `emulator ${emu.url}\n${e instanceof Error ? e.message : String(e)}`,
      );
    }
    expect(done.length)
      .withContext(`rclone steps completed (${done.join(', ')})`)
      .toBe(EXPECTED_STEPS);
  }, 900_000);
});
