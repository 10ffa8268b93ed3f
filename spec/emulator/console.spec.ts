/**
 * The emulator's console page (GET /) in Debian's Chromium (headless, playwright-core): it signs in
 * by itself on a loopback address, lists buckets, versions (sizes, SHA-1s) and unfinished large
 * files, uploads a dropped file with a progress bar through rxb2's own browser build, links
 * downloads, shows the fault plan and a live request log, shows every name as text, and asks for
 * the key when the emulator listens elsewhere. Screenshots go to tmp/screenshots/ (gitignored).
 *
 * Chromium missing: pending with a hint, unless CI is set (then it must run, and fails).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as b2 from '../helpers/b2-http';
import { CHROMIUM, CHROMIUM_ARGS, CI, ROOT } from '../browser/harness';

const SCREENSHOTS = path.join(ROOT, 'tmp', 'screenshots');
const TIMEOUT = 60_000;

const EVIL_NAMES = ['<script>alert("x")</script>.txt', `"double" and 'single' quotes.txt`, 'rtl/\u202Egnp.exe', 'rtl/שלום עולם.txt', '<img src=x onerror=alert(1)>.png'];

describe('emu-http console page (Chromium)', () => {
  if (!existsSync(CHROMIUM) && !CI) {
    it('needs Chromium', () => pending(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH); with CI=true this spec fails instead`));
    return;
  }

  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and CI is set, so this spec must run`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, TIMEOUT);
  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string): Promise<Page> {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    tab.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    tab.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    tab.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await tab.goto(url);
    return tab;
  }

  describe('on a loopback address', () => {
    let emu: b2.Emu;
    let auth: b2.Auth;
    let bucket: any;
    let tab: Page;
    const data = b2.randomData(3000);

    beforeAll(async () => {
      problems.length = 0;
      emu = await b2.startSpecEmulator({ console: true, faults: [{ call: 'b2_hide_file', fault: { kind: 'status', status: 503 }, times: 2 }] });
      auth = await b2.authorize(emu);
      bucket = await b2.createBucket(auth, { bucketName: 'console-demo-bucket' });
      await b2.uploadOk(auth, bucket.bucketId, 'photos/cat.jpg', Buffer.alloc(1234, 1), { contentType: 'b2/x-auto' });
      await b2.uploadOk(auth, bucket.bucketId, 'notes.txt', 'first version');
      await b2.uploadOk(auth, bucket.bucketId, 'notes.txt', data);
      for (const name of EVIL_NAMES) await b2.uploadOk(auth, bucket.bucketId, name, name);
      await b2.startLarge(auth, bucket.bucketId, 'videos/unfinished.mp4');
      tab = await open(`${emu.url}/`);
      await tab.waitForSelector('tr.unfinished-file', { timeout: 20_000 });
    }, TIMEOUT);
    afterAll(async () => {
      await tab?.close();
      await emu?.close();
    });

    it(
      'signs in by itself and lists buckets, versions with sizes and SHA-1s, and unfinished large files',
      async () => {
        expect(await tab.locator('#signin').isHidden()).toBeTrue();
        expect(await tab.locator('.bucket h3').first().textContent()).toContain('console-demo-bucket');
        const rows = await tab.$$eval('tr.file', (trs) =>
          trs.map((tr) => ({ id: tr.getAttribute('data-file-id'), cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent) })),
        );
        const notes = await b2.call(auth, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'notes.txt' });
        const [newest, oldest] = notes.json.files;
        const newestRow = rows.find((r) => r.id === newest.fileId)!;
        expect(newestRow.cells.slice(0, 4)).toEqual(['notes.txt', 'upload', '2.93 KiB', b2.sha1hex(data)]);
        const oldestRow = rows.find((r) => r.id === oldest.fileId)!;
        expect(oldestRow.cells.slice(1, 4)).toEqual(['upload', '13 B', b2.sha1hex('first version')]);
        expect(await tab.locator('tr.unfinished-file td.name').allTextContents()).toEqual(['videos/unfinished.mp4']);
        expect(problems).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'shows every name as text: markup, quotes and RTL characters come back exactly, nothing runs',
      async () => {
        const names = await tab.locator('tr.file td.name').allTextContents();
        for (const name of EVIL_NAMES) expect(names).toContain(name);
        expect(await tab.locator('script').count()).toBe(1);
        expect(await tab.locator('img').count()).toBe(0);
        expect(problems).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'download links fetch the bytes',
      async () => {
        const href = await tab.locator('tr.file', { hasText: 'photos/cat.jpg' }).locator('a.download').getAttribute('href');
        const res = await b2.request(new URL(href!, emu.url).toString());
        expect(res.status).toBe(200);
        expect(res.body.equals(Buffer.alloc(1234, 1))).toBeTrue();
      },
      TIMEOUT,
    );

    it(
      'uploads a dropped file with a progress bar, then lists it and logs the upload',
      async () => {
        const size = 12_000;
        await tab.evaluate((n) => {
          const bytes = new Uint8Array(n);
          for (let i = 0; i < n; i++) bytes[i] = (i * 7) & 0xff;
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], 'dropped.bin'));
          const zone = document.querySelector('.bucket .drop')!;
          zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
          zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }, size);
        await tab.waitForSelector('.upload.done', { timeout: 20_000 });
        const bar = await tab.$eval('.upload.done progress', (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max }));
        expect(bar).toEqual({ value: size, max: size });
        const expected = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) & 0xff));
        const stored = await b2.downloadByName(auth, bucket.bucketName, 'dropped.bin');
        expect(stored.body.equals(expected)).toBeTrue();
        await tab.waitForSelector('tr.file:has-text("dropped.bin")', { timeout: 10_000 });
        await tab.waitForSelector('tr.request:has-text("b2_upload_")', { timeout: 10_000 });
        await tab.screenshot({ path: path.join(SCREENSHOTS, 'emulator-console.png'), fullPage: true });
        expect(problems).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'shows the fault plan in effect and a live request log',
      async () => {
        expect(await tab.locator('#faults tr.rule').allTextContents()).toEqual([jasmine.stringMatching(/b2_hide_file\s*status status=503\s*0 \/ 2/)]);
        b2.expectError(await b2.call(auth, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'notes.txt' }), 503, 'service_unavailable');
        await tab.waitForSelector('tr.request.error:has-text("b2_hide_file")', { timeout: 10_000 });
        await tab.waitForFunction(() => document.querySelector('#faults tr.rule')?.textContent?.includes('1 / 2'), undefined, { timeout: 10_000 });
        expect(await tab.locator('#faults').textContent()).toContain('status:503: 1');
      },
      TIMEOUT,
    );
  });

  describe('on a non-loopback address', () => {
    let emu: b2.Emu;
    let tab: Page;

    beforeAll(async () => {
      problems.length = 0;
      emu = await b2.startSpecEmulator({ console: true, host: '0.0.0.0' });
      const auth = await b2.authorize(emu, { keyId: emu.keyId, key: emu.applicationKey });
      await b2.createBucket(auth, { bucketName: 'asks-for-the-key' });
    }, TIMEOUT);
    afterAll(async () => {
      await tab?.close();
      await emu?.close();
    });

    it(
      'asks for the key (the state route gives none), then lists',
      async () => {
        const port = new URL(emu.url).port;
        const state = await b2.request(`http://127.0.0.1:${port}/console/state`);
        expect(state.json.keyId).toBeNull();
        expect(state.json.applicationKey).toBeNull();
        tab = await open(`http://127.0.0.1:${port}/`);
        await tab.waitForSelector('#signin:not([hidden])');
        await tab.screenshot({ path: path.join(SCREENSHOTS, 'emulator-console-sign-in.png') });
        await tab.fill('#key-id', emu.keyId);
        await tab.fill('#key', emu.applicationKey);
        await tab.click('#signin-form button');
        await tab.waitForSelector('.bucket[data-bucket="asks-for-the-key"]', { timeout: 20_000 });
        expect(await tab.locator('#signin').isHidden()).toBeTrue();
        expect(problems).toEqual([]);
      },
      TIMEOUT,
    );
  });
});
