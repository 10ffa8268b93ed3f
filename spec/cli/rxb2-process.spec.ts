/**
 * The built rxb2 command as a child process (`node dist/src/cli/rxb2.js …`) against an emulator
 * in this process: buckets, uploads (small and multi-part), listings, downloads, deletes, hides,
 * errors and exit codes. Every result is checked through the client too, not only the output.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, toResponseBody, type Bucket } from '../../src';
import { bucketName, bytes, cliEnv, runCli, spawnCli, startCliEmulator, waitFor, type Emu } from './support';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

describe('rxb2 command (child process)', () => {
  let emu: Emu;
  let b2: B2;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    emu = await startCliEmulator();
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    env = cliEnv(emu);
    dir = await mkdtemp(join(tmpdir(), 'rxb2-cli-'));
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function newBucket(tag: string): Promise<Bucket> {
    return firstValueFrom(b2.buckets.create(bucketName(tag)));
  }

  async function put(bucket: Bucket, name: string, contents: string | Uint8Array): Promise<void> {
    await lastValueFrom(bucket.uploadFile({ fileName: name, contents }).pipe(toResponseBody()));
  }

  const versions = (bucket: Bucket, prefix?: string) => lastValueFrom(bucket.listFileVersions({ prefix }).pipe(toArray()));

  it('creates, lists and removes buckets', async () => {
    const priv = bucketName('bk');
    const pub = bucketName('bk');
    const created = await runCli(['buckets', 'create', priv], env);
    expect(created.code).withContext(created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created bucket ${priv} \\(allPrivate, id \\w+\\)\\n$`));
    await firstValueFrom(b2.buckets.create(pub, { type: 'allPublic' }));

    const listed = await runCli(['buckets', 'ls'], env);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.split('\n').map((l) => l.split(/\s+/));
    expect(rows).toContain([priv, 'allPrivate', jasmine.any(String)] as unknown as string[]);
    expect(rows).toContain([pub, 'allPublic', jasmine.any(String)] as unknown as string[]);

    const removed = await runCli(['buckets', 'rm', priv], env);
    expect(removed.code).withContext(removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed bucket ${priv}\n`);
    const names = await lastValueFrom(b2.buckets.all().pipe(toArray()));
    expect(names.map((b) => b.bucketName)).not.toContain(priv);
    expect(names.map((b) => b.bucketName)).toContain(pub);
  }, 15_000);

  it('uploads a small and a multi-part file, lists them, and downloads them byte-equal with the SHA-1 verified', async () => {
    const bucket = await newBucket('up');
    const small = join(dir, 'note.txt');
    const big = join(dir, 'big.bin');
    const bigBytes = bytes(23_000, 7);
    await writeFile(small, 'hello from the rxb2 command\n');
    await writeFile(big, bigBytes);

    const [up1, up2] = await Promise.all([
      runCli(['upload', small, `${bucket.bucketName}/docs/`], env),
      runCli(['upload', big, `${bucket.bucketName}/docs/big.bin`, '--concurrency', '3'], env),
    ]);
    expect(up1.code).withContext(up1.stderr).toBe(0);
    expect(up1.stdout).toMatch(new RegExp(`^uploaded .*note\\.txt → ${bucket.bucketName}/docs/note\\.txt: 28 bytes, .*file id \\S+\\n$`));
    expect(up2.code).withContext(up2.stderr).toBe(0);
    // Not a TTY: no bar, one final line. 23,000 bytes in parts of 5,000: 5 parts.
    expect(up2.stdout).toMatch(new RegExp(`^uploaded .*big\\.bin → ${bucket.bucketName}/docs/big\\.bin: 23000 bytes, 5 parts, .*/s, file id \\S+\\n$`));
    expect(up2.stderr).toBe('');

    const listing = await runCli(['ls', `${bucket.bucketName}/docs/`], env);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/^ +23000 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}docs\/big\.bin\n +28 {2}\S+ \S+ {2}docs\/note\.txt\n$/);

    const stored = await firstValueFrom(bucket.getFile({ name: 'docs/big.bin' }));
    expect(stored.contentLength).toBe(23_000);
    expect(stored.fileInfo.large_file_sha1).toBe(sha1(bigBytes));
    expect((await versions(bucket)).filter((v) => v.action === 'start')).toEqual([]);

    const out = join(dir, 'big.out');
    const down = await runCli(['download', `${bucket.bucketName}/docs/big.bin`, out, '--concurrency', '3'], env);
    expect(down.code).withContext(down.stderr).toBe(0);
    expect(down.stdout).toContain(`: 23000 bytes`);
    expect(down.stdout).toContain(`SHA-1 ${sha1(bigBytes)} verified`);
    expect((await readFile(out)).equals(bigBytes)).toBeTrue();
  }, 20_000);

  it('deletes the current version and hides', async () => {
    const bucket = await newBucket('rm');
    const b = bucket.bucketName;
    await put(bucket, 'x.txt', 'x one');
    await put(bucket, 'x.txt', 'x two');
    await put(bucket, 'y.txt', 'y');

    const [hidden, removed] = await Promise.all([runCli(['hide', `${b}/y.txt`], env), runCli(['rm', `${b}/x.txt`], env)]);
    expect(hidden.code).withContext(hidden.stderr).toBe(0);
    expect(hidden.stdout).toMatch(new RegExp(`^hidden ${b}/y\\.txt \\(hide marker \\S+\\)\\n$`));
    expect((await versions(bucket, 'y.txt')).map((v) => v.action)).toEqual(['hide', 'upload']);
    const current = await lastValueFrom(bucket.listFiles().pipe(toArray()));
    expect(current.map((f) => f.fileName)).toEqual(['x.txt']);

    expect(removed.code).withContext(removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^deleted ${b}/x\\.txt \\(file id \\S+\\)\\n$`));
    // The older version becomes current.
    expect(current[0].contentLength).toBe(5);
    expect((await versions(bucket, 'x.txt')).length).toBe(1);
  }, 15_000);

  it("fails with exit code 1 and B2's message on bad credentials, never printing the key", async () => {
    const wrongKey = 'K001thisIsNotTheRightKeyAtAll00';
    const bad = await runCli(['buckets', 'ls'], cliEnv(emu, { B2_APPLICATION_KEY: wrongKey }));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^rxb2: .*not valid.*\(unauthorized, HTTP 401, b2_authorize_account\)\n$/);
    expect(bad.stderr).not.toContain(wrongKey);
    expect(bad.stderr).not.toContain(emu.applicationKey);
  }, 15_000);

  it('ends a usage error with exit code 2', async () => {
    const unknown = await runCli(['frob'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain("error: unknown command 'frob'");
  }, 15_000);

  it('runs the emulator until Ctrl-C', async () => {
    const child = spawnCli(['emulator', '--port', '0', '--min-part-size', '1000'], env);
    let url = '';
    await waitFor('the emulator to listen', () => {
      url = /listening on (http:\/\/\S+)/.exec(child.output().stdout)?.[1] ?? '';
      return url !== '';
    });
    const { stdout } = child.output();
    const keyId = /keyId: +(\S+)/.exec(stdout)![1];
    const applicationKey = /applicationKey: +(\S+)/.exec(stdout)![1];
    expect(stdout).toContain(`export B2_REALM=${url} B2_APPLICATION_KEY_ID=${keyId} B2_APPLICATION_KEY=${applicationKey}`);
    const other = new B2({ applicationKeyId: keyId, applicationKey, realm: url });
    expect((await firstValueFrom(other.authorize())).absoluteMinimumPartSize).toBe(1000);
    child.process.kill('SIGINT');
    const done = await child.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('rxb2 emulator stopped');
  }, 15_000);
});
