/**
 * `rxb2-emulator` and `rxb2 emulator` are one command: the same flags, defaults and output, a
 * ready-to-paste export line, a fixed key, part sizes, a fault plan file (one that is not JSON or
 * names an unknown call stops it at start, naming the line), /health, and the console on or off.
 * Both run as child processes from dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as b2 from '../helpers/b2-http';

const DIST = resolve(__dirname, '../..');
const SPELLINGS: Record<string, string[]> = {
  'rxb2-emulator': [join(DIST, 'src/cli/rxb2-emulator.js')],
  'rxb2 emulator': [join(DIST, 'src/cli/rxb2.js'), 'emulator'],
};
const KEY_ID = '0123456789ab';
const KEY = 'K00FixedApplicationKeyForSpecs1';

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function start(spelling: string, args: string[]): Running {
  const [script, ...first] = SPELLINGS[spelling];
  const child = spawn(process.execPath, [script, ...first, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('emu the emulator command (rxb2-emulator = rxb2 emulator)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxb2-emu-cmd-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('both spellings list the same flags and defaults', async () => {
    const helps: string[] = [];
    for (const spelling of Object.keys(SPELLINGS)) {
      const run = start(spelling, ['--help']);
      expect(await run.exit).toBe(0);
      helps.push(run.out().slice(run.out().indexOf('Options:')));
    }
    expect(helps[0]).toContain('--faults <file>');
    expect(helps[0]).toContain('--no-console');
    expect(helps[0]).toContain('(default: 8000)');
    expect(helps[1]).toBe(helps[0]);
  }, 20_000);

  it('serves the console page by default and prints its URL', async () => {
    const run = start('rxb2-emulator', ['--port', '0']);
    try {
      await until('the emulator to listen', () => run.out().includes('(Ctrl-C stops it)'));
      const url = /listening on (http:\/\/\S+)/.exec(run.out())![1];
      expect(run.out()).toContain(`  console:         ${url}/\n`);
      const page = await b2.request(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<title>rxb2 emulator</title>');
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exit).toBe(0);
  }, 20_000);

  for (const spelling of Object.keys(SPELLINGS)) {
    it(`${spelling}: a fixed key, part sizes, a fault plan and --no-console; prints the export line; /health; stops on SIGINT`, async () => {
      const plan = join(dir, `plan-${spelling.replace(' ', '-')}.json`);
      writeFileSync(plan, JSON.stringify([{ call: 'b2_list_buckets', fault: { kind: 'status', status: 503 }, times: 1 }], null, 2));
      const run = start(spelling, [
        '--port',
        '0',
        '--key-id',
        KEY_ID,
        '--key',
        KEY,
        '--min-part-size',
        '1000',
        '--part-size',
        '3kB',
        '--token-lifetime',
        '3600',
        '--faults',
        plan,
        '--no-console',
      ]);
      try {
        await until('the emulator to listen', () => run.out().includes('(Ctrl-C stops it)'));
        const url = /listening on (http:\/\/\S+)/.exec(run.out())![1];
        expect(run.out()).toContain(`\nexport B2_REALM=${url} B2_APPLICATION_KEY_ID=${KEY_ID} B2_APPLICATION_KEY=${KEY}\n`);
        expect(run.out()).toContain(`fault plan:      ${plan}`);
        const auth = await b2.authorize({ url, keyId: KEY_ID, applicationKey: KEY, accountId: KEY_ID });
        expect([auth.absoluteMinimumPartSize, auth.recommendedPartSize]).toEqual([1000, 3000]);
        b2.expectError(await b2.call(auth, 'b2_list_buckets', { accountId: KEY_ID }), 503, 'service_unavailable');
        b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: KEY_ID }));
        const health = await b2.request(`${url}/health`);
        expect([health.status, health.json]).toEqual([200, { status: 'ok' }]);
        expect((await b2.request(`${url}/`)).status).toBe(404);
      } finally {
        run.child.kill('SIGINT');
      }
      expect(await run.exit).toBe(0);
      expect(run.out()).toContain('rxb2 emulator stopped');
    }, 20_000);

    it(`${spelling}: a fault plan that is not JSON, or names an unknown call, stops it at start naming the line`, async () => {
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '[\n  {"call": "b2_upload_file", "fault": {"kind": "delay", "ms": 5}},\n  {"call": "b2_list_buckets", "fault": }\n]\n');
      const notJson = start(spelling, ['--port', '0', '--faults', broken]);
      expect(await notJson.exit).toBe(2);
      expect(notJson.err()).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not valid JSON`));
      expect(notJson.out()).toBe('');

      const unknown = join(dir, 'unknown.json');
      writeFileSync(unknown, '[\n  {"call": "b2_upload_file", "fault": {"kind": "delay", "ms": 5}},\n\n  {"call": "b2_upload_files", "fault": {"kind": "stall"}}\n]\n');
      const badCall = start(spelling, ['--port', '0', '--faults', unknown]);
      expect(await badCall.exit).toBe(2);
      expect(badCall.err()).toContain(`${unknown}:4: rule 2: unknown B2 call "b2_upload_files"`);
    }, 20_000);
  }
});

describe('emu-http /health, console on/off, reset()', () => {
  const fx = b2.useEmulator({ bucket: true });

  it('GET /health answers 200 {"status":"ok"} without a token', async () => {
    const health = await b2.request(`${fx.emu.url}/health`);
    expect([health.status, health.json]).toEqual([200, { status: 'ok' }]);
    const head = await b2.request(`${fx.emu.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('the console page is served with console: true, and not by default (startEmulator)', async () => {
    expect((await b2.request(`${fx.emu.url}/`)).status).toBe(404);
    expect((await b2.request(`${fx.emu.url}/console/state`)).status).toBe(404);
    await b2.withEmulator({ console: true }, async (emu) => {
      const page = await b2.request(`${emu.url}/`);
      expect(page.status).toBe(200);
      expect(String(page.headers['content-type'])).toContain('text/html');
      expect(page.text).toContain('<script src="/console/app.js"></script>');
      const script = await b2.request(`${emu.url}/console/app.js`);
      expect(script.text).withContext('the bundle npm run build writes').toContain('Unfinished large files');
    });
  });

  it('reset() empties buckets, files, large files, keys, faults and counts; the master key and its token go on working', async () => {
    await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'a.txt', 'a');
    await b2.startLarge(fx.auth, fx.bucket.bucketId, 'big.bin');
    b2.expectOk(await b2.call(fx.auth, 'b2_create_key', { accountId: fx.auth.accountId, keyName: 'k1', capabilities: ['listBuckets'] }));
    fx.emu.faults.add({ call: 'b2_get_file_info', fault: { kind: 'status', status: 500 }, times: Infinity });
    fx.emu.faults.add({ call: 'b2_list_keys', fault: { kind: 'delay', ms: 0 } });
    b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId }));
    expect(fx.emu.faults.injected()).toEqual({ delay: 1 });

    await fx.emu.reset();

    expect(b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId })).buckets).toEqual([]);
    expect(b2.expectOk(await b2.call(fx.auth, 'b2_list_keys', { accountId: fx.auth.accountId })).keys).toEqual([]);
    expect(fx.emu.faults.injected()).toEqual({});
    const again = await b2.createBucket(fx.auth, { bucketName: fx.bucket.bucketName });
    const up = await b2.uploadOk(fx.auth, again.bucketId, 'a.txt', 'after reset');
    b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: up.fileId }));
    expect(b2.expectOk(await b2.call(fx.auth, 'b2_list_unfinished_large_files', { bucketId: again.bucketId })).files).toEqual([]);
    fx.bucket = again;
  });

  it('reset() with a data directory: a restart finds the empty state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxb2-reset-'));
    try {
      let emu = await b2.startSpecEmulator({ dataDir: dir });
      let auth = await b2.authorize(emu);
      const bucket = await b2.createBucket(auth);
      await b2.uploadOk(auth, bucket.bucketId, 'kept-until-reset.txt', 'x'.repeat(1000));
      await emu.reset();
      await emu.close();
      emu = await b2.startSpecEmulator({ dataDir: dir });
      try {
        auth = await b2.authorize(emu);
        expect(b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId })).buckets).toEqual([]);
      } finally {
        await emu.close();
      }
      expect(readdirSync(join(dir, 'blobs'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
