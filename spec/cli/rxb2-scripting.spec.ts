/**
 * The built rxb2 command as scripts use it (child processes, stdout and stderr pipes, never a
 * TTY): an exit code per class of failure (usage, not found, temporary, other), flags named in
 * messages, --json lines, --quiet, -v on retries injected by the emulator's fault plan, progress
 * bars only when asked, and uploads from standard input.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, toResponseBody, type Bucket } from '../../src';
import { bucketName, bytes, cliEnv, runCli, spawnCli, startCliEmulator, type CliResult, type Emu } from './support';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

/** Each line of `text` parsed as JSON (a line that is not JSON fails the spec). */
function jsonLines(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

/** Runs the built command with `input` on its standard input. */
async function runWithInput(args: string[], env: Record<string, string>, input: Uint8Array): Promise<CliResult> {
  const child = spawnCli(args, env);
  // Written in pieces, as a pipe delivers them.
  for (let at = 0; at < input.length; at += 4096) child.process.stdin.write(input.subarray(at, at + 4096));
  child.process.stdin.end();
  return child.done;
}

/** A port on 127.0.0.1 that nothing listens on (a server bound it, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('rxb2 command in scripts (child process)', () => {
  let emu: Emu;
  let b2: B2;
  let env: Record<string, string>;
  let dir: string;
  let small: string;
  let big: string;
  const bigBytes = bytes(23_000, 11);

  beforeAll(async () => {
    emu = await startCliEmulator();
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    env = cliEnv(emu);
    dir = await mkdtemp(join(tmpdir(), 'rxb2-cli-script-'));
    small = join(dir, 'small.txt');
    big = join(dir, 'big.bin');
    await writeFile(small, 'small file of the scripting specs\n');
    await writeFile(big, bigBytes);
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const newBucket = (tag: string): Promise<Bucket> => firstValueFrom(b2.buckets.create(bucketName(tag)));
  const versions = (bucket: Bucket) => lastValueFrom(bucket.listFileVersions().pipe(toArray()));
  const put = (bucket: Bucket, fileName: string, contents: string | Uint8Array) => lastValueFrom(bucket.uploadFile({ fileName, contents }).pipe(toResponseBody()));

  it('exits with 2 on a usage error, naming the flag or argument as written, before anything is stored', async () => {
    const bucket = await newBucket('usage');
    const b = bucket.bucketName;
    const cases: Array<[string[], RegExp]> = [
      // Below the emulator's absoluteMinimumPartSize (1,000): known only once authorized.
      [['upload', big, `${b}/x.bin`, '--part-size', '100'], /^rxb2: --part-size: must be at least 1000 bytes \(this account's smallest part\), not 100\n$/],
      [['upload', big, `${b}/x.bin`, '--part-size', '6GB'], /^rxb2: --part-size: must be at most 5000000000 bytes, not 6000000000\n$/],
      [['upload', small, `${b}/x.txt`, '--concurrency', '0'], /^rxb2: --concurrency: expected a whole number from 1 to 64, not '0'\n$/],
      [['download', `${b}/x`, join(dir, 'x'), '--part-size', 'lots'], /^rxb2: --part-size: expected a byte count such as 5000, 100MB or 64MiB, not 'lots'\n$/],
      [['buckets', 'ls', '--retries', 'many'], /^rxb2: --retries: expected a whole number from 0 to 20, not 'many'\n$/],
      [['download', 'no-name-here', join(dir, 'x')], /^rxb2: <bucket\/name>: expected BUCKET\/NAME, not 'no-name-here'\n$/],
      [['upload', '-', `${b}/`], /^rxb2: <bucket\/name>: standard input has no name: give BUCKET\/NAME\n$/],
      [['upload', small, `${b}/x.txt`, '--content-type', 'not a type'], /^rxb2: --content-type: /],
      [['buckets', 'create', 'x'], /^rxb2: bucket name: must be 6 to 63 letters, digits or "-"\n$/],
      [['ls', b, '--bogus'], /unknown option '--bogus'/],
      [['buckets', 'ls', '--json', '--quiet'], /option '-q, --quiet' cannot be used with option '--json'/],
      [['buckets', 'ls'], /^rxb2: no credentials: set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY/],
    ];
    const results = await Promise.all(cases.map(([argv], i) => runCli(argv, i === cases.length - 1 ? cliEnv(emu, { B2_APPLICATION_KEY: '' }) : env)));
    results.forEach((r, i) => {
      const [argv, message] = cases[i];
      expect(r.code).withContext(argv.join(' ')).toBe(2);
      expect(r.stderr).withContext(argv.join(' ')).toMatch(message);
      expect(r.stderr)
        .withContext(argv.join(' '))
        .not.toMatch(/(^|[^-])\b(partSize|concurrency|contentType|bucketName|largeFileThreshold):/);
      expect(r.stdout).withContext(argv.join(' ')).toBe('');
    });
    expect(await versions(bucket)).toEqual([]);
  }, 20_000);

  it('exits with 3 when a bucket, a file or a local path is not there, naming the path the user gave', async () => {
    const bucket = await newBucket('nf');
    const b = bucket.bucketName;
    await put(bucket, 'here.txt', 'here');
    const missingDir = join(dir, 'no-such-dir');
    const cases: Array<[string[], RegExp]> = [
      [['ls', 'no-such-bucket-anywhere'], /^rxb2: no bucket no-such-bucket-anywhere \(not_found, HTTP 404\)\n$/],
      [['download', `${b}/not-here.txt`, join(dir, 'x')], /^rxb2: no file named not-here\.txt in bucket /],
      [['hide', `${b}/not-here.txt`], /^rxb2: no file named not-here\.txt /],
      [['upload', join(dir, 'missing.bin'), `${b}/m.bin`], new RegExp(`^rxb2: ${join(dir, 'missing.bin')}: no such file\\n$`)],
      [
        ['download', `${b}/here.txt`, join(missingDir, 'here.txt')],
        new RegExp(`^rxb2: cannot write ${join(missingDir, 'here.txt')}: no such folder or file \\(ENOENT\\) \\(local_io_error\\)\\n$`),
      ],
    ];
    const results = await Promise.all(cases.map(([argv]) => runCli(argv, env)));
    results.forEach((r, i) => {
      const [argv, message] = cases[i];
      expect(r.code).withContext(argv.join(' ')).toBe(3);
      expect(r.stderr).withContext(argv.join(' ')).toMatch(message);
      expect(r.stderr).withContext(argv.join(' ')).not.toContain('.rxb2-');
    });
    expect((await versions(bucket)).map((v) => v.fileName)).toEqual(['here.txt']);
    expect(await readdir(dir)).not.toContain('no-such-dir');
  }, 20_000);

  it('exits with 4 when B2 answers 503 on every attempt, once the retries ran out', async () => {
    // Retry-After: 0 keeps the client's waits short; every attempt fails.
    // Counted from here: other specs of this emulator inject 503s too (the count is cumulative).
    const before = emu.faults.injected()['status:503'] ?? 0;
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: Infinity });
    const failed = await runCli(['buckets', 'ls'], env);
    expect(failed.code).withContext(failed.stderr).toBe(4);
    expect(failed.stderr).toMatch(/^rxb2: .*\(service_unavailable, HTTP 503, b2_list_buckets\)\n$/);
    // The client's default: 8 attempts.
    expect(emu.faults.injected()['status:503'] - before).toBe(8);

    const fewer = await runCli(['buckets', 'ls', '--retries', '2'], env);
    expect(fewer.code).toBe(4);
    expect(emu.faults.injected()['status:503'] - before).toBe(8 + 3);
  }, 20_000);

  it('exits with 4 when the connection is refused', async () => {
    const port = await closedPort();
    const refused = await runCli(['buckets', 'ls', '--retries', '0'], cliEnv(emu, { B2_REALM: `http://127.0.0.1:${port}` }));
    expect(refused.code).withContext(refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/^rxb2: .*\(network_error, b2_authorize_account\)\n$/);
  }, 20_000);

  it('exits with 1 on any other failure: bad credentials', async () => {
    const bad = await runCli(['buckets', 'ls'], cliEnv(emu, { B2_APPLICATION_KEY: 'K001notTheKey0000000000000000' }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\(unauthorized, HTTP 401, b2_authorize_account\)\n$/);
  }, 15_000);

  it('--json prints listings and results one JSON object per line, and errors as JSON on stderr', async () => {
    const bucket = await newBucket('json');
    const b = bucket.bucketName;
    await put(bucket, 'docs/a.txt', 'aaa');
    await put(bucket, 'docs/sub/b.txt', 'bb');
    await put(bucket, 'top.txt', 'top');

    const buckets = await runCli(['buckets', 'ls', '--json'], env);
    expect(buckets.code).toBe(0);
    expect(jsonLines(buckets.stdout)).toContain({ bucketName: b, bucketId: bucket.bucketId, bucketType: 'allPrivate' });

    const listing = await runCli(['--json', 'ls', `${b}/docs/`], env);
    expect(listing.code).toBe(0);
    const rows = jsonLines(listing.stdout);
    expect(rows.map((r) => [r.fileName, r.action])).toEqual([
      ['docs/a.txt', 'upload'],
      ['docs/sub/', 'folder'],
    ]);
    expect(rows[0]).toEqual({
      fileName: 'docs/a.txt',
      fileId: jasmine.any(String),
      action: 'upload',
      contentLength: 3,
      contentType: jasmine.any(String),
      contentSha1: sha1(Buffer.from('aaa')),
      uploadTimestamp: jasmine.any(Number),
    });

    const up = await runCli(['upload', big, `${b}/big.bin`, '--json'], env);
    expect(up.code).withContext(up.stderr).toBe(0);
    const [uploaded] = jsonLines(up.stdout);
    expect(jsonLines(up.stdout).length).toBe(1);
    expect(uploaded.uploaded).toEqual(jasmine.objectContaining({ bucketName: b, fileName: 'big.bin', contentLength: 23_000, action: 'upload' }));
    expect(uploaded.parts).toBe(5);
    expect(uploaded.source).toBe(big);
    const stored = await firstValueFrom(bucket.getFile({ name: 'big.bin' }));
    expect(uploaded.uploaded.fileId).toBe(stored.fileId);

    const out = join(dir, 'json-big.bin');
    const down = await runCli(['download', `${b}/big.bin`, out, '--json'], env);
    expect(down.code).withContext(down.stderr).toBe(0);
    expect(jsonLines(down.stdout)).toEqual([
      { downloaded: { bucketName: b, fileName: 'big.bin', fileId: stored.fileId }, path: out, bytes: 23_000, verifiedSha1: sha1(bigBytes), seconds: jasmine.any(Number) },
    ]);
    expect((await readFile(out)).equals(bigBytes)).toBeTrue();

    const hidden = await runCli(['hide', `${b}/top.txt`, '--json'], env);
    const marker = (await versions(bucket)).find((v) => v.fileName === 'top.txt' && v.action === 'hide');
    expect(jsonLines(hidden.stdout)).toEqual([{ hidden: { bucketName: b, fileName: 'top.txt', fileId: marker!.fileId, action: 'hide' } }]);

    const removed = await runCli(['rm', `${b}/top.txt`, '--all-versions', '--json'], env);
    expect(removed.code).toBe(0);
    expect(
      jsonLines(removed.stdout)
        .map((r) => r.deleted.action)
        .sort(),
    ).toEqual(['hide', 'upload']);

    const missing = await runCli(['--json', 'rm', `${b}/top.txt`], env);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(jsonLines(missing.stderr)).toEqual([{ error: { code: 'not_found', message: `no file named top.txt in bucket ${b}`, status: 404 }, exitCode: 3 }]);

    const nowhere = join(dir, 'not-a-folder', 'big.bin');
    const local = await runCli(['--json', 'download', `${b}/big.bin`, nowhere], env);
    expect(local.code).toBe(3);
    expect(jsonLines(local.stderr)).toEqual([
      { error: { code: 'local_io_error', message: `cannot write ${nowhere}: no such folder or file (ENOENT)`, osCode: 'ENOENT', path: nowhere }, exitCode: 3 },
    ]);

    const usage = await runCli(['--json', 'upload', big, `${b}/x`, '--concurrency', '99'], env);
    expect(usage.code).toBe(2);
    expect(jsonLines(usage.stderr)).toEqual([
      { error: { code: 'usage', message: "--concurrency: expected a whole number from 1 to 64, not '99'", field: '--concurrency' }, exitCode: 2 },
    ]);
    const unknown = await runCli(['--json', 'frob'], env);
    expect(unknown.code).toBe(2);
    expect(jsonLines(unknown.stderr)).toEqual([{ error: { code: 'usage', message: "unknown command 'frob'" }, exitCode: 2 }]);
  }, 30_000);

  it('--quiet prints listings and errors only', async () => {
    const bucket = await newBucket('quiet');
    const b = bucket.bucketName;
    const up = await runCli(['upload', small, `${b}/q.txt`, '--quiet'], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toBe('');
    expect(up.stderr).toBe('');
    const listing = await runCli(['-q', 'ls', b], env);
    expect(listing.stdout).toMatch(/^ +34 {2}\S+ \S+ {2}q\.txt\n$/);
    const missing = await runCli(['-q', 'rm', `${b}/nope.txt`], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^rxb2: no file named nope\.txt /);
  }, 15_000);

  it('-v prints each request and each retry on stderr, as lines or as JSON', async () => {
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const verbose = await runCli(['buckets', 'ls', '-v'], env);
    expect(verbose.code).withContext(verbose.stderr).toBe(0);
    const lines = verbose.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toEqual([
      jasmine.stringMatching(/^rxb2: GET b2_authorize_account http:\/\/127\.0\.0\.1:\d+\/b2api\/v\d\/b2_authorize_account → 200 \(\d+ ms\)$/) as unknown as string,
      jasmine.stringMatching(/^rxb2: POST b2_list_buckets \S+ → 503 service_unavailable \(\d+ ms\)$/) as unknown as string,
      jasmine.stringMatching(/^rxb2: retry b2_list_buckets: attempt 1 failed \(503 service_unavailable: .*\); next attempt in 0 ms$/) as unknown as string,
      jasmine.stringMatching(/^rxb2: POST b2_list_buckets \S+ → 200 \(\d+ ms\)$/) as unknown as string,
    ]);
    expect(verbose.stderr).not.toContain(emu.applicationKey);

    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const json = await runCli(['buckets', 'ls', '-v', '--json'], env);
    expect(json.code).toBe(0);
    const events = jsonLines(json.stderr);
    expect(events.map((e) => (e.request ? `${e.request.operation} ${e.request.status}` : `retry ${e.retry.operation} ${e.retry.attempt}`))).toEqual([
      'b2_authorize_account 200',
      'b2_list_buckets 503',
      'retry b2_list_buckets 1',
      'b2_list_buckets 200',
    ]);
    expect(events[2].retry).toEqual({ operation: 'b2_list_buckets', attempt: 1, delayMs: 0, status: 503, code: 'service_unavailable', message: jasmine.any(String) });
    // Without -v, the same retry is silent.
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const quiet = await runCli(['buckets', 'ls'], env);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  }, 15_000);

  it('draws no progress bar when stdout is not a terminal, unless --progress asks for one', async () => {
    const bucket = await newBucket('bar');
    // Slow parts: a bar asked for gets drawn while they go up.
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 50 }, times: Infinity });
    const plain = await runCli(['upload', big, `${bucket.bucketName}/plain.bin`, '--concurrency', '1'], env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^uploaded .*: 23000 bytes, 5 parts, [^\n]*\n$/);
    expect(plain.stdout).not.toContain('ETA');
    expect(plain.stderr).toBe('');

    const forced = await runCli(['upload', big, `${bucket.bucketName}/forced.bin`, '--concurrency', '1', '--progress'], env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/upload +\[[^\]]+\] +\d+% \| [\d.]+ (B|KiB) \/ 22\.5 KiB \| .* \| ETA /);
  }, 20_000);

  it('uploads standard input (a stream of unknown length) with -, byte-exact, small or in parts', async () => {
    const bucket = await newBucket('stdin');
    const b = bucket.bucketName;
    const large = bytes(23_456, 21);
    const little = bytes(1_234, 22);
    const [bigUp, smallUp] = await Promise.all([
      runWithInput(['upload', '-', `${b}/in/large.bin`], env, large),
      runWithInput(['upload', '-', `${b}/in/small.bin`, '--json'], env, little),
    ]);
    expect(bigUp.code).withContext(bigUp.stderr).toBe(0);
    // Parts of the account's recommended 5,000 bytes, cut as the stream is read.
    expect(bigUp.stdout).toMatch(new RegExp(`^uploaded standard input → ${b}/in/large\\.bin: 23456 bytes, 5 parts, .*file id \\S+\\n$`));
    expect(smallUp.code).withContext(smallUp.stderr).toBe(0);
    expect(jsonLines(smallUp.stdout)[0]).toEqual(jasmine.objectContaining({ source: '-', uploaded: jasmine.objectContaining({ contentLength: 1234, contentSha1: sha1(little) }) }));

    for (const [name, content] of [
      ['in/large.bin', large],
      ['in/small.bin', little],
    ] as const) {
      const out = join(dir, `stdin-${name.replace('/', '-')}`);
      const down = await runCli(['download', `${b}/${name}`, out], env);
      expect(down.code).withContext(down.stderr).toBe(0);
      expect((await readFile(out)).equals(content))
        .withContext(name)
        .toBeTrue();
    }
    expect((await versions(bucket)).filter((v) => v.action === 'start')).toEqual([]);
  }, 20_000);
});
