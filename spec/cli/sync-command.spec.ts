/** `rxb2 sync`: parsing (which side is B2, flags, usage errors) and runs in-process against the emulator. */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2 } from '../../src';
import { parseCommand } from '../../src/cli/parse-command';
import { run } from '../../src/cli/rxb2';
import { bucketName, captureIo, startCliEmulator, waitFor, type Emu } from './support';

function parse(argv: string[]) {
  let err = '';
  const result = parseCommand(argv, { writeOut: () => undefined, writeErr: (s) => (err += s) });
  return { result, err };
}

describe('rxb2 sync: parsing', () => {
  it('a folder then a bucket path syncs up; b2:// first syncs down', () => {
    expect(parse(['sync', './photos', 'my-bucket/photos']).result).toEqual(
      jasmine.objectContaining({
        command: jasmine.objectContaining({
          name: 'sync',
          direction: 'up',
          folder: './photos',
          bucket: 'my-bucket',
          prefix: 'photos',
          delete: 'keep',
          compare: 'modTime',
          dryRun: false,
        }),
      }),
    );
    expect(parse(['sync', './photos', 'b2://my-bucket']).result).toEqual(
      jasmine.objectContaining({ command: jasmine.objectContaining({ direction: 'up', bucket: 'my-bucket', prefix: '' }) }),
    );
    expect(parse(['sync', 'b2://my-bucket/a/b', 'out', '--delete', '--checksum', '--exclude', '*.tmp', '--exclude', 'cache/', '--dry-run']).result).toEqual(
      jasmine.objectContaining({
        command: jasmine.objectContaining({
          direction: 'down',
          folder: 'out',
          bucket: 'my-bucket',
          prefix: 'a/b',
          delete: 'delete',
          compare: 'sha1',
          exclude: ['*.tmp', 'cache/'],
          dryRun: true,
        }),
      }),
    );
    expect(
      parse(['sync', 'src', 'b2://bk/p', '--hide', '--keep-days', '30', '--skip-symlinks', '--size-only', '--concurrency', '4', '--fail-fast', '--include', '*.jpg']).result,
    ).toEqual(
      jasmine.objectContaining({
        command: jasmine.objectContaining({ delete: 'hide', keepDays: 30, symlinks: 'skip', compare: 'size', concurrency: 4, failFast: true, include: ['*.jpg'] }),
      }),
    );
  });

  it('usage errors end with exit code 2 and say what is wrong', () => {
    const cases: [string[], string][] = [
      [['sync', 'b2://a/x', 'b2://b/y'], 'one side must be a local folder'],
      [['sync', 'b2:///x', 'dir'], 'expected b2://BUCKET'],
      [['sync', 'dir', 'b2://bk', '--delete', '--hide'], '--delete and --hide do not go together'],
      [['sync', 'dir', 'b2://bk', '--checksum', '--size-only'], '--checksum and --size-only'],
      [['sync', 'dir', 'b2://bk', '--concurrency', '0'], '--concurrency'],
      [['sync', 'dir'], "missing required argument 'destination'"],
    ];
    for (const [argv, words] of cases) {
      const { result, err } = parse(argv);
      expect(result).withContext(argv.join(' ')).toEqual({ exitCode: 2 });
      expect(err).withContext(argv.join(' ')).toContain(words);
    }
  });
});

describe('rxb2 sync: flag values, parsed as the other commands parse theirs', () => {
  it('--concurrency and --keep-days out of range: exit 2, the message and --json field naming the flag', () => {
    const cases: [string[], string, string][] = [
      [['sync', 'dir', 'b2://bk', '--concurrency', '65'], '--concurrency', "rxb2: --concurrency: expected a whole number from 1 to 64, not '65'"],
      [['sync', 'dir', 'b2://bk', '--concurrency', '0'], '--concurrency', "rxb2: --concurrency: expected a whole number from 1 to 64, not '0'"],
      [['sync', 'dir', 'b2://bk', '--keep-days', 'x'], '--keep-days', "rxb2: --keep-days: expected a whole number of days from 0 to 100000, not 'x'"],
    ];
    for (const [argv, flag, line] of cases) {
      const { result, err } = parse(argv);
      expect(result).withContext(argv.join(' ')).toEqual({ exitCode: 2 });
      expect(err).withContext(argv.join(' ')).toBe(`${line}\n`);
      const json = parse([...argv, '--json']);
      expect(JSON.parse(json.err))
        .withContext(argv.join(' '))
        .toEqual({ error: jasmine.objectContaining({ code: 'usage', field: flag }), exitCode: 2 });
    }
  });
});

describe('rxb2 sync (in-process)', () => {
  let emu: Emu;
  let b2: B2;
  let dir: string;

  beforeAll(async () => {
    emu = await startCliEmulator();
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxb2-cli-sync-'));
  });
  afterEach(async () => {
    emu.faults.clear();
    await rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('on an interrupt, resolves 130 and says to run it again; running it again finishes', async () => {
    const name = bucketName('synci');
    await firstValueFrom(b2.buckets.create(name));
    const src = join(dir, 'src');
    await mkdir(src);
    for (let i = 0; i < 20; i++) await writeFile(join(src, `f${String(i).padStart(2, '0')}`), `file ${i}`);
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'delay', ms: 30 }, times: Infinity });
    const first = captureIo(emu);
    const running = run(['sync', src, `b2://${name}`, '--concurrency', '1'], first.io);
    await waitFor('a first upload', () => first.stdout.text.includes('uploaded '));
    first.interrupt.abort();
    expect(await running).toBe(130);
    expect(first.stderr.text).toMatch(/^interrupted: sync stopped \(\d+ files transferred\); run the same command again to finish\n$/);
    emu.faults.clear();
    const second = captureIo(emu);
    expect(await run(['sync', src, `b2://${name}`], second.io)).toBe(0);
    const bucket = await firstValueFrom(b2.buckets.get(name));
    expect((await lastValueFrom(bucket.listFiles().pipe(toArray()))).length).toBe(20);
    const uploadedFirst = first.stdout.lines().filter((l) => l.startsWith('uploaded ')).length;
    expect(second.stdout.lines().filter((l) => l.startsWith('uploaded ')).length).toBeLessThanOrEqual(20 - uploadedFirst);
  });

  it('syncs up, shows a dry run, syncs down, and a second run changes nothing', async () => {
    const name = bucketName('sync');
    await firstValueFrom(b2.buckets.create(name));
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'alpha');
    await writeFile(join(src, 'sub', 'b.bin'), Buffer.alloc(12_000, 7));

    const dry = captureIo(emu);
    expect(await run(['sync', src, `${name}/backup`, '--dry-run'], dry.io)).toBe(0);
    expect(dry.stdout.lines()).toEqual(['would upload a.txt (new)', 'would upload sub/b.bin (new)', `dry run: sync ${src} → b2://${name}/backup: 2 to upload`]);

    const up = captureIo(emu);
    expect(await run(['sync', src, `b2://${name}/backup`], up.io)).toBe(0);
    expect(up.stdout.lines().slice(0, 2).sort()).toEqual(['uploaded a.txt (new)', 'uploaded sub/b.bin (new)']);
    expect(up.stdout.lines()[2]).toMatch(new RegExp(`^sync ${src} → b2://${name}/backup: 2 uploaded, 12005 bytes, `));
    const bucket = await firstValueFrom(b2.buckets.get(name));
    expect((await lastValueFrom(bucket.listFiles().pipe(toArray()))).map((f) => f.fileName)).toEqual(['backup/a.txt', 'backup/sub/b.bin']);

    const again = captureIo(emu);
    expect(await run(['sync', src, `b2://${name}/backup`], again.io)).toBe(0);
    expect(again.stdout.lines()).toEqual([jasmine.stringMatching(/: 0 uploaded, 2 unchanged, 0 bytes, /) as unknown as string]);

    const dest = join(dir, 'dest');
    const down = captureIo(emu);
    expect(await run(['sync', `b2://${name}/backup`, dest], down.io)).toBe(0);
    expect(await readFile(join(dest, 'a.txt'), 'utf8')).toBe('alpha');
    expect(down.stdout.lines().pop()).toMatch(/: 2 downloaded, 12005 bytes/);
  });

  it('fails with 1, naming each file that failed and why, after syncing the rest', async () => {
    const name = bucketName('syncf');
    await firstValueFrom(b2.buckets.create(name));
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'ok'), 'fine');
    await writeFile(join(src, 'bad\u0002'), 'control character');
    const { io, stderr, stdout } = captureIo(emu);
    expect(await run(['sync', src, `b2://${name}`], io)).toBe(1);
    expect(stdout.lines()).toEqual(['uploaded ok (new)']);
    expect(stderr.lines()).toEqual([
      'failed upload bad\u0002: fileName: contains the control character 0x02',
      'rxb2: sync finished with 1 failed file: upload "bad\\u0002": fileName: contains the control character 0x02 (sync_failed)',
    ]);
  });

  it('refuses a prefix with a leading slash before any request, and a missing folder (exit 2, invalid_argument)', async () => {
    const bad = captureIo(emu);
    expect(await run(['sync', dir, 'b2://some-bucket//abs'], bad.io)).toBe(2);
    expect(bad.stderr.text).toContain('prefix: must not start with "/"');
    const missing = captureIo(emu);
    const name = bucketName('syncm');
    await firstValueFrom(b2.buckets.create(name));
    expect(await run(['sync', join(dir, 'nope'), `b2://${name}`], missing.io)).toBe(2);
    expect(missing.stderr.text).toContain('localFolder:');
    expect(missing.stderr.text).toContain('does not exist');
  });
});
