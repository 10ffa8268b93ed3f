/**
 * Runs the client integration specs (dist/spec/client) against an external server: an emulator
 * started as a separate process with the `rxb2-emulator` command, at production's part sizes (as
 * live B2 advertises them), reached only over HTTP with the keys it prints.
 *
 * The specs share one bucket made here (`RXB2_TEST_BUCKET`) holding a file of "someone else's";
 * afterwards that file must be the bucket's only content, and no other bucket or key may be left:
 * the run touched nothing outside its folder and cleaned up after itself.
 *
 * Prints the child jasmine's output, then `tests: N passed, M failed` last (a clean-up failure or a
 * run that never reported counts as one failure). Exit status 0 only when all passed.
 *
 * `npm run test:external` (after a build).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, toResponseBody } from '../../src';

const ROOT = join(__dirname, '..', '..', '..');
const EMULATOR = join(ROOT, 'dist', 'src', 'cli', 'rxb2-emulator.js');
const JASMINE = join(dirname(require.resolve('jasmine', { paths: [ROOT] })), '..', 'bin', 'jasmine.js');
/** Production's part sizes: what live B2 advertises (and what the suite's small-file specs ask for). */
const PART_FLAGS = ['--part-size', '100000000', '--min-part-size', '5000000'];
const SUMMARY = /^tests: (\d+) passed, (\d+) failed$/m;

interface Server {
  url: string;
  keyId: string;
  applicationKey: string;
}

/** Starts the emulator command and reads its URL and master key from what it prints (labels matched loosely). */
function startServer(): Promise<{ child: ChildProcess; server: Server }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EMULATOR, '--host', '127.0.0.1', '--port', '0', ...PART_FLAGS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => fail(new Error('the emulator printed no URL and keys within 30 s')), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new Error(`${err.message}\n--- emulator output:\n${out}`));
    };
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /\bhttps?:\/\/[^\s]+/.exec(out)?.[0];
      const keyId = /\bkey[ _-]?id\b\W*([A-Za-z0-9]+)/i.exec(out)?.[1];
      const applicationKey = /\bapplication[ _-]?key\b\W*([A-Za-z0-9+/=_-]+)/i.exec(out)?.[1];
      if (url && keyId && applicationKey) {
        clearTimeout(timer);
        child.stdout!.off('data', read);
        child.stdout!.resume();
        resolve({ child, server: { url, keyId, applicationKey } });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`the emulator exited (${code})`)));
  });
}

/** Runs jasmine over dist/spec/client with the server in its environment; resolves its summary counts. */
function runSpecs(server: Server, bucket: string): Promise<{ passed: number; failed: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [JASMINE, '--config=jasmine.json', 'dist/spec/client/*.spec.js'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RXB2_TEST_REALM: server.url, RXB2_TEST_KEY_ID: server.keyId, RXB2_TEST_KEY: server.applicationKey, RXB2_TEST_BUCKET: bucket },
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // The child's own summary line is replaced by this run's (printed last).
      process.stdout.write(chunk.toString().replace(new RegExp(SUMMARY.source, 'mg'), (line) => `external run: ${line}`));
    });
    child.on('exit', () => {
      const summary = SUMMARY.exec(out);
      resolve(summary ? { passed: Number(summary[1]), failed: Number(summary[2]) } : { passed: 0, failed: 1 });
    });
  });
}

async function main(): Promise<number> {
  const { child, server } = await startServer();
  const stopped = new Promise((resolve) => child.once('exit', resolve));
  let counts: { passed: number; failed: number };
  try {
    process.stdout.write(`external run: the client specs against the rxb2-emulator process at ${server.url}\n`);
    const admin = new B2({ applicationKeyId: server.keyId, applicationKey: server.applicationKey, realm: server.url });
    const bucket = await firstValueFrom(admin.buckets.create(`rxb2-external-${Date.now().toString(36)}`));
    const sentinel = await lastValueFrom(bucket.uploadFile({ fileName: 'not-the-tests/keep.txt', contents: 'someone else’s file' }).pipe(toResponseBody()));
    counts = await runSpecs(server, bucket.bucketName);

    const left = (await lastValueFrom(bucket.listFileVersions().pipe(toArray()))).map((f) => `${f.fileName} (${f.action})`);
    const buckets = (await lastValueFrom(admin.buckets.all().pipe(toArray()))).map((b) => b.bucketName);
    const keys = await lastValueFrom(admin.keys.list().pipe(toArray()));
    const problems = [
      ...(left.length === 1 && left[0] === `${sentinel.fileName} (upload)`
        ? []
        : [`the shared bucket should hold only ${sentinel.fileName}, it holds: ${left.join(', ') || 'nothing'}`]),
      ...(buckets.length === 1 ? [] : [`buckets left besides the shared one: ${buckets.filter((b) => b !== bucket.bucketName).join(', ')}`]),
      ...(keys.length === 0 ? [] : [`keys left: ${keys.map((k) => k.keyName).join(', ')}`]),
    ];
    for (const problem of problems) process.stdout.write(`external run: FAILED clean-up: ${problem}\n`);
    if (problems.length > 0) counts.failed++;
  } finally {
    child.kill('SIGTERM');
    await stopped;
  }
  process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed\n`);
  return counts.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stdout.write(`external run: ${err.message}\ntests: 0 passed, 1 failed\n`);
    process.exit(1);
  },
);
