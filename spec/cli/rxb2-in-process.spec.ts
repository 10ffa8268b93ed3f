/**
 * The rxb2 command run in-process (`run(argv, io)`): captured output, a fake terminal for the
 * progress bar, an AbortController for Ctrl-C, and the emulator command started and stopped.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { B2, toResponseBody, type Bucket } from '../../src';
import { run } from '../../src/cli/rxb2';
import { bucketName, bytes, captureIo, startCliEmulator, waitFor, type Emu } from './support';

describe('rxb2 run (in-process)', () => {
  let emu: Emu;
  let b2: B2;
  let dir: string;
  let bigFile: string;

  beforeAll(async () => {
    emu = await startCliEmulator();
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    dir = await mkdtemp(join(tmpdir(), 'rxb2-cli-ip-'));
    bigFile = join(dir, 'big.bin');
    await writeFile(bigFile, bytes(40_000, 5));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const versions = (bucket: Bucket) => lastValueFrom(bucket.listFileVersions().pipe(toArray()));
  const put = (bucket: Bucket, fileName: string, contents: string) => lastValueFrom(bucket.uploadFile({ fileName, contents }).pipe(toResponseBody()));

  it('creates a bucket and lists it, output on the given streams', async () => {
    const name = bucketName('ip');
    const { io, stdout, stderr } = captureIo(emu);
    expect(await run(['buckets', 'create', name], io)).toBe(0);
    expect(await run(['ls', name], io)).toBe(0);
    expect(stdout.lines()).toEqual([jasmine.stringMatching(`^created bucket ${name} `)]);
    expect(stderr.text).toBe('');
  });

  it('draws a progress bar with rate and ETA on a terminal, and only a final line otherwise', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('bar')));
    // Slow enough for the bar to be redrawn while parts go up.
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 30 }, times: Infinity });
    const tty = captureIo(emu, { tty: true });
    expect(await run(['upload', bigFile, `${bucket.bucketName}/tty.bin`, '--concurrency', '2'], tty.io)).toBe(0);
    expect(tty.stdout.text).toMatch(/upload +\[[^\]]+\] +\d+% \| [\d.]+ KiB \/ 39\.1 KiB \| [\d.]+ (B|KiB|MiB)\/s \| ETA /);
    expect(tty.stdout.text).toMatch(/100% \| 39\.1 KiB \/ 39\.1 KiB/);
    expect(tty.stdout.text).toContain(`uploaded ${bigFile} → ${bucket.bucketName}/tty.bin: 40000 bytes, 8 parts`);

    const plain = captureIo(emu);
    expect(await run(['upload', bigFile, `${bucket.bucketName}/plain.bin`], plain.io)).toBe(0);
    expect(plain.stdout.lines()).toEqual([jasmine.stringMatching(/^uploaded .*: 40000 bytes, 8 parts, [\d.]+ s, .*\/s, file id \S+$/)]);
    expect(plain.stdout.text).not.toContain('ETA');
  });

  it('draws no bar on a terminal with --no-progress, --json or --quiet', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('nobar')));
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 30 }, times: Infinity });
    for (const flag of ['--no-progress', '--json', '--quiet']) {
      const tty = captureIo(emu, { tty: true });
      expect(await run(['upload', bigFile, `${bucket.bucketName}/${flag.slice(2)}.bin`, '--concurrency', '2', flag], tty.io))
        .withContext(flag)
        .toBe(0);
      expect(tty.stdout.text).withContext(flag).not.toContain('ETA');
      expect(tty.stderr.text).withContext(flag).toBe('');
    }
  });

  it('on an interrupt, resolves 130 only once the unfinished large file is cancelled', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('abort')));
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 200 }, times: Infinity });
    const { io, stderr, interrupt } = captureIo(emu);
    const running = run(['upload', bigFile, `${bucket.bucketName}/big.bin`, '--concurrency', '2'], io);
    await waitFor('the large file to start', async () => (await versions(bucket)).some((v) => v.action === 'start'));
    interrupt.abort();
    expect(await running).toBe(130);
    expect(stderr.text).toContain('its unfinished large file was cancelled on B2');
    // No polling: the cancel is done when run() resolves.
    expect(await versions(bucket)).toEqual([]);
  });

  it('lists with a prefix: folders unless --recursive, every version with --versions', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('ls')));
    for (const name of ['a.txt', 'photos/1.jpg', 'photos/2.jpg', 'photos/2020/x.jpg', 'zz.txt']) await put(bucket, name, name);
    await put(bucket, 'a.txt', 'second version of a');
    const b = bucket.bucketName;
    const ls = async (...argv: string[]) => {
      const { io, stdout, stderr } = captureIo(emu);
      expect(await run(['ls', ...argv], io))
        .withContext(stderr.text)
        .toBe(0);
      return stdout.lines().map((l) => l.trim().split(/\s+/));
    };
    const names = (rows: string[][]) => rows.map((r) => r[r.length - 1]);

    const top = await ls(b);
    expect(names(top)).toEqual(['a.txt', 'photos/', 'zz.txt']);
    expect(top[1]).toEqual(['-', '-', 'photos/']);
    expect(top[0]).toEqual(['19', jasmine.stringMatching(/^\d{4}-\d\d-\d\d$/), jasmine.stringMatching(/^\d\d:\d\d:\d\d$/), 'a.txt']);
    expect(names(await ls(`${b}/photos/`))).toEqual(['photos/1.jpg', 'photos/2.jpg', 'photos/2020/']);
    expect(names(await ls(`${b}/photos/`, '--recursive'))).toEqual(['photos/1.jpg', 'photos/2.jpg', 'photos/2020/x.jpg']);
    expect(names(await ls(`${b}/photos/2`))).toEqual(['photos/2.jpg', 'photos/2020/']);
    expect(names(await ls(`${b}/nothing-here/`))).toEqual([]);
    const versionsOfA = await ls(`${b}/a`, '--versions');
    expect(versionsOfA.map((r) => [r[0], r[3], r[5]])).toEqual([
      ['19', 'upload', 'a.txt'],
      ['5', 'upload', 'a.txt'],
    ]);
  });

  it('a download into a folder that is not there, or under a file, fails with the OS code and the path given, leaving nothing', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('local-io')));
    await put(bucket, 'doc.txt', 'document');
    const plainFile = join(dir, 'plain-file');
    await writeFile(plainFile, 'x');
    const cases: Array<[string, string]> = [
      [join(dir, 'no-such-folder', 'doc.txt'), 'no such folder or file (ENOENT)'],
      [join(plainFile, 'doc.txt'), 'a part of the path is not a folder (ENOTDIR)'],
    ];
    for (const [target, problem] of cases) {
      for (const concurrency of ['1', '4']) {
        const { io, stdout, stderr } = captureIo(emu);
        // A missing folder on the way is "not found" (exit code 3), as a missing bucket or file is.
        expect(await run(['download', `${bucket.bucketName}/doc.txt`, target, '--concurrency', concurrency, '--part-size', '2'], io)).toBe(3);
        expect(stderr.text).withContext(target).toBe(`rxb2: cannot write ${target}: ${problem} (local_io_error)\n`);
        expect(stdout.text).toBe('');
      }
    }
    expect(await readdir(dir)).not.toContain('no-such-folder');
  });

  it('deletes every version, downloads into a directory, and reports what is missing', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('files')));
    const b = bucket.bucketName;
    await put(bucket, 'y.txt', 'y one');
    await put(bucket, 'y.txt', 'y two');
    await lastValueFrom(bucket.getFile({ name: 'y.txt' }).pipe(mergeMap((f) => f.hide())));

    const into = join(dir, 'into');
    await mkdir(into, { recursive: true });
    const got = captureIo(emu);
    await put(bucket, 'docs/z.txt', 'zed');
    expect(await run(['download', `${b}/docs/z.txt`, into], got.io))
      .withContext(got.stderr.text)
      .toBe(0);
    expect(await readFile(join(into, 'z.txt'), 'utf8')).toBe('zed');
    expect(got.stdout.text).toMatch(/: 3 bytes .*SHA-1 [0-9a-f]{40} verified\n$/);

    const all = captureIo(emu);
    expect(await run(['rm', `${b}/y.txt`, '--all-versions'], all.io))
      .withContext(all.stderr.text)
      .toBe(0);
    expect(
      all.stdout
        .lines()
        .filter((l) => l.startsWith(`deleted ${b}/y.txt (`))
        .map((l) => /\((\w+),/.exec(l)![1])
        .sort(),
    ).toEqual(['hide', 'upload', 'upload']);
    expect(all.stdout.lines().pop()).toBe(`deleted 3 versions of ${b}/y.txt`);
    expect(await versions(bucket)).toEqual([jasmine.objectContaining({ fileName: 'docs/z.txt' })]);

    // Exit codes: 3 for what is not there, 2 for a bad argument (named as the command line calls it).
    const failures: Array<[string[], RegExp, number]> = [
      [['rm', `${b}/y.txt`], /^rxb2: no file named y\.txt in bucket .* \(not_found, HTTP 404\)\n$/, 3],
      [['rm', `${b}/y.txt`, '--all-versions'], /^rxb2: no versions of y\.txt in bucket .* \(not_found, HTTP 404\)\n$/, 3],
      [['hide', `${b}/y.txt`], /^rxb2: no file named y\.txt /, 3],
      [['download', `${b}/nope`, join(dir, 'nope')], /^rxb2: no file named nope /, 3],
      [['ls', 'no-such-bucket-here'], /^rxb2: no bucket no-such-bucket-here \(not_found, HTTP 404\)\n$/, 3],
      [['buckets', 'rm', 'no-such-bucket-here'], /^rxb2: no bucket no-such-bucket-here /, 3],
      [['buckets', 'create', 'x'], /^rxb2: bucket name: must be 6 to 63 letters, digits or "-"\n$/, 2],
    ];
    for (const [argv, message, code] of failures) {
      const { io, stdout, stderr } = captureIo(emu);
      expect(await run(argv, io))
        .withContext(argv.join(' '))
        .toBe(code);
      expect(stderr.text).withContext(argv.join(' ')).toMatch(message);
      expect(stdout.text).withContext(argv.join(' ')).toBe('');
    }
  });

  it('on an interrupt of a download, resolves 130 and leaves no file behind', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('dl-abort')));
    await put(bucket, 'slow.bin', 'x'.repeat(10_000));
    const target = join(dir, 'dl-abort');
    await mkdir(target);
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'delay', ms: 200 }, times: Infinity });
    const { io, stderr, interrupt } = captureIo(emu);
    const before = emu.faults.injected().delay ?? 0;
    const running = run(['download', `${bucket.bucketName}/slow.bin`, target, '--part-size', '2000'], io);
    await waitFor('the download to start', () => (emu.faults.injected().delay ?? 0) > before);
    interrupt.abort();
    expect(await running).toBe(130);
    expect(stderr.text).toBe(`interrupted: download of ${bucket.bucketName}/slow.bin stopped, ${join(target, 'slow.bin')} was not written\n`);
    // The client removes its temporary file once the aborted body ends (it does not say when).
    await waitFor('the temporary file to go', async () => (await readdir(target)).length === 0, 2000);
  });

  it('fails with 2 (usage) and a clear message without credentials', async () => {
    const { io, stderr } = captureIo(emu, { env: { B2_APPLICATION_KEY_ID: '' } });
    expect(await run(['buckets', 'ls'], io)).toBe(2);
    expect(stderr.text).toMatch(/^rxb2: no credentials: /);
  });

  it('fails with 3 (not found) when the file to upload does not exist', async () => {
    const { io, stderr } = captureIo(emu);
    expect(await run(['upload', join(dir, 'missing.bin'), 'some-bucket/x'], io)).toBe(3);
    expect(stderr.text).toBe(`rxb2: ${join(dir, 'missing.bin')}: no such file\n`);
  });

  it('starts the emulator and stops it on the interrupt', async () => {
    const { io, stdout, interrupt } = captureIo(emu);
    const running = run(['emulator', '--port', '0', '--part-size', '5000', '--min-part-size', '1000'], io);
    await waitFor('the emulator to listen', () => stdout.text.includes('(Ctrl-C stops it)'));
    const url = /listening on (\S+)/.exec(stdout.text)![1];
    const keyId = /keyId: +(\S+)/.exec(stdout.text)![1];
    const applicationKey = /applicationKey: +(\S+)/.exec(stdout.text)![1];
    const auth = await firstValueFrom(new B2({ applicationKeyId: keyId, applicationKey, realm: url }).authorize());
    expect(auth.recommendedPartSize).toBe(5000);
    interrupt.abort();
    expect(await running).toBe(0);
    expect(stdout.lines().pop()).toBe('rxb2 emulator stopped');
  });
});
