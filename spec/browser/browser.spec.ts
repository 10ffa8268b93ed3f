/**
 * rxb2 in a real browser: Debian's Chromium (headless, driven by playwright-core) loads a page
 * served from another origin than the emulator, with a bundle esbuild builds from
 * spec/browser/page/entry.ts (src/index.ts with the platform mapped to src/platform/browser.ts).
 * The page uploads Blobs (simple and multi-part) and bytes through CORS, downloads them back and
 * cancels an upload mid-way; this spec checks the results from Node, including the emulator's
 * state through the raw API.
 *
 * Chromium missing: pending with a hint, unless CI is set (then it must run, and fails).
 */
import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import type { Metafile } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import * as raw from '../helpers/b2-http';
import { bundle, CHROMIUM, CHROMIUM_ARGS, CI, servePage } from './harness';
import type { DownloadSummary, UploadSummary } from './page/entry';

const TIMEOUT = 30_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await raw.sleep(50);
  }
}

// What window.rxb2Test returns (see page/entry.ts).
interface RoundTrip {
  ranged: boolean;
  fileErrors: { code?: string; message: string; isB2Error: boolean }[];
  uploads: UploadSummary[];
  downloads: DownloadSummary[];
  byName: { same: boolean; verifiedSha1: string | null };
  expectedSha1: { small: string; text: string; big: string };
}
interface StreamKinds {
  results: Array<{ parts: number; download: { fileName: string; length: number; same: boolean; sha1: string; expectedSha1: string } }>;
  refused: { code?: string; message: string; isB2Error: boolean };
  expectedSha1: string[];
}
type PageApi = {
  roundTrip(): Promise<RoundTrip>;
  cancelMidway(fileName: string): Promise<{ events: string[]; largeFileId?: string }>;
  streamKinds(): Promise<StreamKinds>;
  stalled(realm: string): Promise<Record<string, unknown>>;
  sha1InPage(): Promise<{ compiled: boolean; sha1: string[]; expected: string }>;
  hashAheadInWorker(size: number, partSize: number, streamed: boolean): Promise<{ hashed: unknown; expected: unknown; workers: WorkerStats }>;
  largeBlobRoundTrip(
    fileName: string,
    size: number,
    partSize: number,
  ): Promise<{ parts: number; largeFileSha1: string | null; expectedSha1: string; download: DownloadSummary; workers: WorkerStats }>;
  cancelWhileHashing(fileName: string, size: number, partSize: number): Promise<{ events: string[]; workers: WorkerStats }>;
};
interface WorkerStats {
  created: number;
  answered: number;
  aborted: number;
  fellBack: number;
}

describe('in a browser (Debian Chromium, headless)', () => {
  if (!existsSync(CHROMIUM) && !CI) {
    it('needs Chromium', () => pending(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH); with CI=true this spec fails instead`));
    return;
  }

  let emu: RunningEmulator;
  let auth: raw.Auth;
  let bucket: { bucketId: string; bucketName: string };
  let metafile: Metafile;
  let page: { origin: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;
  let tab: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and CI is set, so this spec must run: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 });
    auth = await raw.authorize(emu);
    const built = await bundle('spec/browser/page/entry.ts');
    metafile = built.metafile;
    page = await servePage(built.code);
    bucket = await raw.createBucket(auth, {
      bucketType: 'allPrivate',
      corsRules: [
        {
          corsRuleName: 'browserTestPage',
          allowedOrigins: [page.origin],
          allowedOperations: ['b2_upload_file', 'b2_upload_part', 'b2_download_file_by_id', 'b2_download_file_by_name'],
          // What rxb2 sends from a page: the token, the upload headers, and Range for resumed downloads.
          allowedHeaders: [
            'authorization',
            'content-type',
            'range',
            'x-bz-file-name',
            'x-bz-content-sha1',
            'x-bz-part-number',
            'x-bz-info-*',
            'x-bz-server-side-encryption*',
            'x-bz-file-retention-*',
            'x-bz-file-legal-hold',
          ],
          // What rxb2 reads from a download: the SHA-1 it verifies and the file id a resume checks.
          exposeHeaders: ['x-bz-content-sha1', 'x-bz-file-id', 'x-bz-file-name', 'x-bz-info-large_file_sha1', 'x-bz-upload-timestamp'],
          maxAgeSeconds: 3600,
        },
      ],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    tab = await browser.newPage();
    tab.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    tab.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
    // TEST ONLY: the master key rides in the query string; a real page must never hold it.
    const query = new URLSearchParams({ realm: emu.url, keyId: emu.keyId, key: emu.applicationKey, bucket: bucket.bucketName });
    await tab.goto(`${page.origin}/?${query}`);
    await tab.waitForFunction(() => (globalThis as unknown as { rxb2Test?: { ready: boolean } }).rxb2Test?.ready === true, undefined, { timeout: 10_000 });
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await page?.close();
    await emu?.close();
  }, TIMEOUT);

  afterEach(() => emu.faults.clear());

  it('a server that accepts and never answers: the idle timeout aborts each attempt, then idle_timeout', async () => {
    const sockets: net.Socket[] = [];
    const hole = net.createServer((socket) => {
      sockets.push(socket);
      socket.resume(); // reads the request (or its CORS preflight), never answers
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    try {
      const realm = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
      const result = await tab.evaluate((r) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.stalled(r), realm);
      expect(result).toEqual({
        isB2Error: true,
        code: 'idle_timeout',
        operation: 'b2_authorize_account',
        message: `the connection to ${realm} stalled: no data either way for 300 ms`,
        retries: [{ operation: 'b2_authorize_account', attempt: 1, code: 'idle_timeout' }],
      });
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hole.close(resolve));
    }
  });

  it('the bundle holds no Node built-in, no emulator and no Node platform', () => {
    const inputs = Object.keys(metafile.inputs);
    const imported = Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
    const isBuiltin = (p: string) => p.startsWith('node:') || builtinModules.includes(p) || builtinModules.includes(p.split('/')[0]);
    expect(inputs.filter(isBuiltin)).toEqual([]);
    expect(imported.filter(isBuiltin)).toEqual([]);
    expect(Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))).toEqual([]);
    expect(inputs.filter((p) => p.includes('src/emulator'))).toEqual([]);
    // The main entry never imports Angular (rxb2/angular is its own entry).
    expect(inputs.filter((p) => p.includes('@angular') || p.includes('src/angular'))).toEqual([]);
    expect(inputs).not.toContain('src/platform/node.ts');
    expect(inputs).toContain('src/platform/browser.ts');
    // The transport's axios options: XHR and fetch, never the node:http adapter.
    expect(inputs.filter((p) => /src\/http\/node-/.test(p))).toEqual([]);
    expect(inputs).toContain('src/http/browser-axios.ts');
    expect(inputs.filter((p) => /node_modules\/axios\/lib\/(adapters\/http|platform\/node)/.test(p))).toEqual([]);
  });

  it("hashes with hash-wasm's SHA-1 (compiled as the page loads): hashes side by side match Web Crypto's", async () => {
    const result = await tab.evaluate(() => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.sha1InPage());
    expect(result.compiled).toBeTrue();
    expect(result.sha1).toEqual([result.expected, result.expected]);
  });

  it('where a Content-Security-Policy forbids WebAssembly, hashes with the JavaScript SHA-1 and uploads all the same', async () => {
    const strict = await browser!.newPage();
    try {
      const errors: string[] = [];
      strict.on('pageerror', (err) => errors.push(err.message));
      const query = new URLSearchParams({ realm: emu.url, keyId: emu.keyId, key: emu.applicationKey, bucket: bucket.bucketName });
      await strict.goto(`${page!.origin}/no-wasm?${query}`);
      await strict.waitForFunction(() => (globalThis as unknown as { rxb2Test?: { ready: boolean } }).rxb2Test?.ready === true, undefined, { timeout: 10_000 });
      const hashed = await strict.evaluate(() => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.sha1InPage());
      expect(hashed.compiled).toBeFalse();
      expect(hashed.sha1).toEqual([hashed.expected, hashed.expected]);
      // Blobs and bytes up (a large Blob hashed ahead, whole and per part) and down, verified.
      const result = await strict.evaluate(() => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.roundTrip());
      expect(result.uploads[2].largeFileSha1).toBe(result.expectedSha1.big);
      for (const d of result.downloads) expect(d.same).withContext(d.fileName).toBeTrue();
      expect(result.downloads[2].verifiedSha1).toBe(result.expectedSha1.big);
      expect(errors).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it(
    'uploads Blobs and bytes (simple and multi-part) with progress, and downloads them back intact',
    async () => {
      const errorsBefore = consoleErrors.length;
      const result = await tab.evaluate(() => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.roundTrip());
      const [small, text, big] = result.uploads;

      // Simple uploads: one b2_upload_file each, the server's SHA-1 is the page's.
      expect(small.events).toContain('uploadProgress');
      expect(small.events[small.events.length - 1]).toBe('response');
      expect(small.parts).toBe(0);
      expect(small.contentSha1).toBe(result.expectedSha1.small);
      expect(text.contentSha1).toBe(result.expectedSha1.text);

      // The big Blob: a large file of 8 parts of 5,000 bytes, progress from XHR upload events.
      expect(big.size).toBe(40_000);
      expect(big.events[0]).toBe('largeFileStarted');
      expect(big.parts).toBe(8);
      expect(big.progress.length).toBeGreaterThan(1);
      expect(big.progress.every((loaded, i) => i === 0 || loaded > big.progress[i - 1]))
        .withContext(String(big.progress))
        .toBeTrue();
      expect(big.progress[big.progress.length - 1]).toBe(40_000);
      // A Blob's large upload records its whole SHA-1, hashed ahead on the page's main thread.
      expect(big.largeFileSha1).toBe(result.expectedSha1.big);

      for (const d of result.downloads) {
        expect(d.same).withContext(d.fileName).toBeTrue();
        expect(d.sha1).withContext(d.fileName).toBe(d.expectedSha1);
        expect(d.downloadProgress).withContext(d.fileName).toBeGreaterThan(0);
      }
      // The client verified the whole-file SHA-1 with its own SHA-1 (hash-wasm's).
      expect(result.downloads[0].verifiedSha1).toBe(result.expectedSha1.small);
      expect(result.downloads[1].verifiedSha1).toBe(result.expectedSha1.text);
      expect(result.downloads[2].verifiedSha1).toBe(result.expectedSha1.big);
      expect(result.byName).toEqual({ same: true, verifiedSha1: result.expectedSha1.small });
      expect(result.ranged).toBeTrue();

      // A file path to upload from, a file to download into: invalid_argument, saying what to do.
      const [fromPath, intoFile] = result.fileErrors;
      expect(fromPath).toEqual(jasmine.objectContaining({ isB2Error: true, code: 'invalid_argument' }));
      expect(fromPath.message).toContain('a file path needs Node; pass a Blob');
      expect(intoFile).toEqual(jasmine.objectContaining({ isB2Error: true, code: 'invalid_argument' }));
      expect(intoFile.message).toContain('needs Node');

      // What the emulator holds is what the page had.
      const stored = await raw.downloadByName(auth, bucket.bucketName, 'browser/big.bin');
      expect(stored.status).toBe(200);
      expect(raw.sha1hex(stored.body)).toBe(result.expectedSha1.big);
      // No refused header, no CORS failure, no uncaught error.
      expect(consoleErrors.slice(errorsBefore)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'uploads web ReadableStreams of text and of bytes (also one offering only getReader); refuses one of numbers',
    async () => {
      const errorsBefore = consoleErrors.length;
      const result = await tab.evaluate(() => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.streamKinds());
      const [text, withLength, readerOnly] = result.results;
      // 16,100 bytes of UTF-8 text, length unknown: cut into 4 parts (of 5,000 bytes) as it was read.
      expect(text.parts).toBe(4);
      expect(text.download.length).toBe(16_100);
      expect(text.download.expectedSha1).toBe(result.expectedSha1[0]);
      expect(withLength.parts).toBe(0);
      expect(readerOnly.parts).toBe(0);
      for (const r of result.results) {
        expect(r.download.same).withContext(r.download.fileName).toBeTrue();
        expect(r.download.sha1).withContext(r.download.fileName).toBe(r.download.expectedSha1);
      }
      expect(withLength.download.expectedSha1).toBe(result.expectedSha1[1]);
      expect(readerOnly.download.expectedSha1).toBe(result.expectedSha1[1]);
      expect(result.refused).toEqual(jasmine.objectContaining({ isB2Error: true, code: 'invalid_argument' }));
      expect(result.refused.message).toContain('contents: chunk 1 of the stream is a number');
      expect(consoleErrors.slice(errorsBefore)).toEqual([]);
    },
    TIMEOUT,
  );

  describe("a large Blob's SHA-1s ahead (whole and parts) in a Web Worker", () => {
    const MiB = 1 << 20;

    it(
      "in one pass: the whole SHA-1 and each part's match Web Crypto's (parts digested by Web Crypto, or streamed through hash-wasm)",
      async () => {
        // A short last part; parts that end on the Blob's end; every part streamed.
        for (const [size, partSize, streamed] of [
          [10 * MiB + 5, 3 * MiB, false],
          [9 * MiB, 3 * MiB, false],
          [10 * MiB + 5, 3 * MiB, true],
        ] as const) {
          const result = await tab.evaluate(([a, b, c]) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.hashAheadInWorker(a, b, c), [
            size,
            partSize,
            streamed,
          ] as const);
          expect(result.hashed).withContext(`${size} in ${partSize}, streamed ${streamed}`).toEqual(result.expected);
          expect(result.workers).toEqual({ created: 1, answered: 1, aborted: 0, fellBack: 0 });
        }
      },
      TIMEOUT,
    );

    it(
      'uploads it as a large file recording large_file_sha1, and it downloads back the same',
      async () => {
        const result = await tab.evaluate(([a, b, c]) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.largeBlobRoundTrip(a, b, c), [
          'browser/worker-hashed.bin',
          10 * MiB + 5,
          3 * MiB,
        ] as const);
        expect(result.workers).toEqual({ created: 1, answered: 1, aborted: 0, fellBack: 0 });
        expect(result.parts).toBe(4);
        expect(result.largeFileSha1).toBe(result.expectedSha1);
        expect(result.download.same).toBeTrue();
        expect(result.download.verifiedSha1).toBe(result.expectedSha1);
      },
      TIMEOUT,
    );

    it(
      'unsubscribing while it hashes terminates the worker: no answer comes, no large file is started',
      async () => {
        const fileName = 'browser/cancelled-while-hashing.bin';
        const result = await tab.evaluate(([a, b, c]) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.cancelWhileHashing(a, b, c), [
          fileName,
          96 * MiB,
          16 * MiB,
        ] as const);
        expect(result.workers).toEqual({ created: 1, answered: 0, aborted: 1, fellBack: 0 });
        expect(result.events).toEqual([]);
        const unfinished = await raw.callOk(auth, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId, namePrefix: fileName });
        expect(unfinished.files).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'where a Content-Security-Policy refuses blob: workers and WebAssembly, hashes on the main thread and uploads all the same',
      async () => {
        const strict = await browser!.newPage();
        try {
          const errors: string[] = [];
          strict.on('pageerror', (err) => errors.push(err.message));
          const query = new URLSearchParams({ realm: emu.url, keyId: emu.keyId, key: emu.applicationKey, bucket: bucket.bucketName });
          await strict.goto(`${page!.origin}/no-wasm?${query}`);
          await strict.waitForFunction(() => (globalThis as unknown as { rxb2Test?: { ready: boolean } }).rxb2Test?.ready === true, undefined, { timeout: 10_000 });
          const result = await strict.evaluate(([a, b, c]) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.largeBlobRoundTrip(a, b, c), [
            'browser/no-worker.bin',
            9 * MiB + 1,
            3 * MiB,
          ] as const);
          expect(result.workers.fellBack).toBe(1);
          expect(result.workers.answered).toBe(0);
          expect(result.parts).toBe(4);
          expect(result.largeFileSha1).toBe(result.expectedSha1);
          expect(result.download.same).toBeTrue();
          expect(errors).toEqual([]);
        } finally {
          await strict.close();
        }
      },
      TIMEOUT,
    );
  });

  it(
    'unsubscribing mid-way aborts the parts in flight and cancels the large file',
    async () => {
      // Every part is held back 1.5 s: the first progress comes while the upload is far from done.
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 1500 }, times: Infinity });
      const fileName = 'browser/cancelled.bin';
      const result = await tab.evaluate((name) => (globalThis as unknown as { rxb2Test: PageApi }).rxb2Test.cancelMidway(name), fileName);
      // Stopped at the first uploadProgress, long before any part was answered: XHR reports bytes
      // as they are sent (not when the answer comes).
      expect(result.events).toEqual(['largeFileStarted', 'uploadProgress']);
      expect(result.largeFileId).toBeDefined();

      // The client cancels the large file in the background: wait until none is left.
      const unfinished = () => raw.callOk(auth, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId }).then((r) => r.files as { fileName: string; fileId: string }[]);
      await until('the large file to be cancelled', async () => ((await unfinished()).length === 0 ? true : undefined));
      const names = await raw.callOk(auth, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: fileName });
      expect(names.files).toEqual([]);
    },
    TIMEOUT,
  );
});
