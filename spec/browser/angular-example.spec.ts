/**
 * The Angular example (examples/angular) for real: built with Angular's own builder (the steps of
 * npm run build there), served by its server.mjs (the only holder of the key) against an emulator this spec
 * starts on 127.0.0.1, and driven in Debian's Chromium like a person would: choose two files,
 * watch both progress bars move, cancel one, list, download the other and check its bytes. Then
 * it proves the page never saw the key: not in a request it sent, not in anything it received,
 * not in the page. Screenshots go to examples/angular/screenshots/ (ignored by git).
 *
 * Needs examples/angular/node_modules (bash .ci/install-angular-example.sh): without it, and
 * without Chromium, pending with a hint, unless CI is set (then it fails).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import * as raw from '../helpers/b2-http';
import { CHROMIUM, CHROMIUM_ARGS, CI, ROOT } from './harness';

const EXAMPLE = path.join(ROOT, 'examples/angular');
const SHOTS = path.join(EXAMPLE, 'screenshots');
const BUILD_TIMEOUT = 300_000;
const TIMEOUT = 60_000;

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');
function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The environment for npm and node children: no trace of an outer `npm run`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || /^B2_/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Starts server.mjs and resolves its URL once it printed `listening on …`. */
function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['server.mjs'], { cwd: EXAMPLE, env: childEnv({ ...env, PORT: '0', HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server.mjs said nothing within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server.mjs exited with ${code}:\n${output}`));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await raw.sleep(25);
  }
}

/** Whether lib/ (swapped in whole by .ci/build-package.mjs) is newer than every source file and package.json. */
function libIsFresh(): boolean {
  const built = path.join(ROOT, 'lib/esm/index.js');
  if (!existsSync(built)) return false;
  const at = statSync(built).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs), 0);
  return Math.max(newest(path.join(ROOT, 'src')), statSync(path.join(ROOT, 'package.json')).mtimeMs) < at;
}

/** Everything the page sent or received, as text to search. */
interface Traffic {
  sent: string[];
  received: string[];
  urls: string[];
}

describe('the Angular example app (examples/angular) in Chromium', () => {
  if ((!existsSync(CHROMIUM) || !existsSync(path.join(EXAMPLE, 'node_modules/@angular/build'))) && !CI) {
    it('needs Chromium and the example installed', () =>
      pending(`needs ${CHROMIUM} and examples/angular/node_modules (bash .ci/install-angular-example.sh); with CI=true this spec fails instead`));
    return;
  }

  let emu: RunningEmulator;
  let auth: raw.Auth;
  let bucket: { bucketId: string; bucketName: string };
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let serverKey: { applicationKeyId: string; applicationKey: string };
  let browser: Browser | undefined;
  let tab: Page;
  const traffic: Traffic = { sent: [], received: [], urls: [] };
  const reading: Promise<void>[] = [];
  const consoleErrors: string[] = [];
  let buildSeconds = 0;

  beforeAll(async () => {
    if (!existsSync(path.join(EXAMPLE, 'node_modules/@angular/build')))
      throw new Error('examples/angular/node_modules is missing and CI is set: bash .ci/install-angular-example.sh');
    const started = Date.now();
    // What `npm run build` there does; rxb2's lib/ only when older than its sources (the pack spec builds it too).
    const steps = [...(libIsFresh() ? [] : [[path.join(ROOT, '.ci/build-package.mjs')]]), ['scripts/link-rxb2.mjs'], ['scripts/ng.mjs', 'build']];
    for (const args of steps) {
      await promisify(execFile)(process.execPath, args, { cwd: EXAMPLE, env: childEnv(), timeout: BUILD_TIMEOUT, maxBuffer: 16 << 20 }).catch(
        (err: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`building examples/angular (${args.join(' ')}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
        },
      );
    }
    buildSeconds = (Date.now() - started) / 1000;
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000, recommendedPartSize: 100_000 });
    auth = await raw.authorize(emu);
    bucket = await raw.createBucket(auth, { bucketType: 'allPrivate' });
    // The server's own key, as in production: what the example does (writeBuckets: it sets the
    // bucket's CORS rules). Not the master key, whose id is the account id, which B2 puts in every
    // file's JSON: not a secret, and not the key.
    serverKey = (await raw.keyAuth(emu, auth, ['listBuckets', 'readBuckets', 'writeBuckets', 'listFiles', 'readFiles', 'shareFiles', 'writeFiles', 'deleteFiles'])).key;
    server = await startServer({
      B2_APPLICATION_KEY_ID: serverKey.applicationKeyId,
      B2_APPLICATION_KEY: serverKey.applicationKey,
      B2_REALM: emu.url,
      B2_BUCKET: bucket.bucketName,
      LARGE_FILE_THRESHOLD: '200000',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    tab = await browser.newPage({ viewport: { width: 900, height: 560 } });
    tab.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    tab.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
    tab.on('request', (request) => {
      traffic.urls.push(request.url());
      traffic.sent.push(`${request.method()} ${request.url()}\n${JSON.stringify(request.headers())}\n${request.postData() ?? ''}`);
    });
    tab.on('response', (response) => {
      reading.push(
        (async () => {
          const headers = JSON.stringify(await response.allHeaders());
          const body = await response.body().then(
            (b) => b.toString('latin1'),
            () => '',
          );
          traffic.received.push(`${response.url()}\n${headers}\n${body}`);
        })(),
      );
    });
    mkdirSync(SHOTS, { recursive: true });
    await tab.goto(server.url);
    await tab.waitForSelector('#files:not([disabled])', { timeout: 15_000 });
  }, BUILD_TIMEOUT + TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (server && server.child.exitCode === null) {
      const gone = new Promise((done) => server!.child.once('exit', done));
      server.child.kill('SIGTERM');
      await gone;
    }
    await emu?.close();
  }, TIMEOUT);

  it(
    'uploads two files with two progress bars, cancels one (nothing left on B2), lists, downloads the other intact; the page never sees the key',
    async () => {
      const keep = bytes(700_000, 1);
      const drop = bytes(2_000_000, 2);
      // Parts held back, so both uploads are visibly under way for a while.
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 60 }, times: Infinity });

      await tab.setInputFiles('#files', [
        { name: 'keep.bin', mimeType: 'application/octet-stream', buffer: keep },
        { name: 'drop.bin', mimeType: 'application/octet-stream', buffer: drop },
      ]);
      const bar = (name: string) => tab.locator(`.upload[data-name="${name}"] progress`);
      const value = async (name: string) => Number(await bar(name).evaluate((p) => (p as HTMLProgressElement).value));
      // Both bars moving at the same time.
      const seen = { keep: new Set<number>(), drop: new Set<number>() };
      await until('both progress bars to move', async () => {
        const [k, d] = [await value('keep.bin'), await value('drop.bin')];
        seen.keep.add(k);
        seen.drop.add(d);
        return k > 0 && k < 1 && d > 0 && d < 1 ? true : undefined;
      });
      expect(await tab.locator('.in-flight').textContent()).toContain('2 in flight');
      await tab.screenshot({ path: path.join(SHOTS, 'uploading.png') });

      await tab.locator('.upload[data-name="drop.bin"] .cancel').click();
      await tab.waitForSelector('.upload[data-name="drop.bin"] .state-cancelled');
      const stoppedAt = await value('drop.bin');
      expect(stoppedAt).toBeLessThan(1);
      await tab.waitForSelector('.upload[data-name="keep.bin"] .state-done', { timeout: 30_000 });
      expect(await value('keep.bin')).toBe(1);
      await tab.screenshot({ path: path.join(SHOTS, 'done.png') });
      expect(await value('drop.bin')).toBe(stoppedAt);

      // Nothing of the cancelled upload on B2: no file, no unfinished large file.
      await until('the cancelled large file to be gone', async () => {
        const unfinished = await raw.callOk(auth, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId });
        return (unfinished.files as unknown[]).length === 0 ? true : undefined;
      });
      const versions = await raw.callOk(auth, 'b2_list_file_versions', { bucketId: bucket.bucketId });
      expect((versions.files as { fileName: string; action: string }[]).map((f) => `${f.fileName} ${f.action}`)).toEqual(['uploads/keep.bin upload']);

      // List, then download the kept file in the page and check its bytes.
      await tab.click('#list');
      await tab.waitForSelector('tr[data-file="uploads/keep.bin"]');
      expect(await tab.locator('tr[data-file]').count()).toBe(1);
      await tab.click('tr[data-file="uploads/keep.bin"] .download');
      await tab.waitForSelector('#downloaded');
      expect(await tab.locator('#downloaded .bytes').textContent()).toBe(String(keep.length));
      expect(await tab.locator('#downloaded .sha1').textContent()).toBe(sha1(keep));
      await tab.screenshot({ path: path.join(SHOTS, 'downloaded.png') });
      const stored = await raw.downloadByName(auth, bucket.bucketName, 'uploads/keep.bin');
      expect(sha1(stored.body)).toBe(sha1(keep));

      // The key: in no request the page sent, nothing it received, no string in the page.
      await Promise.all(reading);
      const html = await tab.content();
      const state = await tab.evaluate(() => JSON.stringify({ storage: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie }));
      for (const secret of [serverKey.applicationKeyId, serverKey.applicationKey, emu.applicationKey]) {
        expect(traffic.sent.filter((t) => t.includes(secret)).length)
          .withContext('requests carrying the key')
          .toBe(0);
        expect(traffic.received.filter((t) => t.includes(secret)).length)
          .withContext('responses carrying the key')
          .toBe(0);
        expect(html.includes(secret)).withContext('the page').toBeFalse();
        expect(state.includes(secret)).withContext('storage').toBeFalse();
      }
      // Nor did it authorize with B2 or call its account API: only the server, upload URLs and the download.
      expect(traffic.urls.filter((u) => /b2_authorize_account|\/b2api\/v\d\/b2_(?!upload)/.test(u))).toEqual([]);
      expect(traffic.urls.some((u) => u.startsWith(emu.url))).toBeTrue();
      expect(traffic.sent.length).toBeGreaterThan(10);
      expect(consoleErrors).toEqual([]);
      writeFileSync(path.join(SHOTS, 'build-seconds.txt'), `${buildSeconds}\n`);
    },
    2 * TIMEOUT,
  );
});
