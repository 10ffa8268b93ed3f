/**
 * Browser upload benchmark (not a test): `npm run bench:browser -- [--size MiB] [--part-size MiB]
 * [--concurrency N] [--runs N] [--hash-size MiB] [--hash-rounds N]`.
 *
 * In Debian's Chromium (/usr/bin/chromium or CHROMIUM_PATH, headless, driven by playwright-core),
 * a page bundled by esbuild from bench/browser-page.ts (src/index.ts with the browser platform,
 * as spec/browser does) uploads one random Blob (default 256 MiB) as a large file to the emulator,
 * started here on 127.0.0.1 (in memory, md5Limit 0: the server does the same work for every
 * upload; it computes the SHA-1 of each part either way) and stopped at the end:
 *
 *   hashed    rxb2's `bucket.uploadFile({ contents: blob, partSize, concurrency })`: the Blob
 *             hashed ahead in a Web Worker (the platform's hashInWorker: one pass, the whole
 *             file's SHA-1 for large_file_sha1 by hash-wasm and each part's by Web Crypto), then
 *             each part read again into the page, gathered into a Blob and sent by XHR with its
 *             SHA-1 in the header. Its time before the large file was started is reported too.
 *   unhashed  the floor: the same B2 calls by hand in the page (fetch for the JSON calls, XHR for
 *             the parts), each part a `Blob.slice` sent as it is with `X-Bz-Content-Sha1:
 *             do_not_verify` (the client has no option to skip the hash). It neither reads the
 *             bytes into the page nor hashes them, so the ratio charges the client with all it
 *             does on top of a raw upload, hashing included.
 *   raw-hashed  (to tell hashing from the rest) the same by hand, each slice first read through its
 *             stream and hashed with the platform's SHA-1, then sent by reference with the digits
 *             after it (`hex_digits_at_end`): only the reading and hashing added.
 *   raw-ahead  the same by hand after the platform's hashInWorker (as the client), recording
 *             large_file_sha1, each part then sent as its slice by reference with its SHA-1: what
 *             the client would take if it sent Blob slices by reference instead of gathering them.
 *
 * The four alternate (the first one rotating) `--runs` times (default 3); each file is checked
 * (size) and deleted after its run, and the page's garbage collected before each. Timed in the page with performance.now(), from the first B2
 * call of the upload (start_large_file) to its finished file; both are authorized before.
 * Before that, the page measures SHA-1 over the same 64 MiB (`--hash-size`) in 1 MiB chunks:
 * the SHA-1 in TypeScript the platform had before (bench/sha1-typescript.ts), hash-wasm's (the
 * platform's now), @noble/hashes' (its fallback) and Web Crypto's in one call (a ceiling: it has
 * no incremental API). Medians of `--hash-rounds` (default 5) interleaved rounds. Then the
 * platform's hashInWorker alone over the whole Blob, `--hash-rounds` times.
 * Last, the size of the client's browser bundle (src/index.ts, esbuild, ESM, minified).
 *
 * Targets: hashed ≥ 0.8× unhashed; the platform's SHA-1 ≥ 3× the TypeScript one.
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmulator, type RunningEmulator } from '../src/emulator';
import { bundle, CHROMIUM, CHROMIUM_ARGS, servePage } from '../spec/browser/harness';
import { RawB2Session } from './raw-b2';
import { median, table } from './table';

const MiB = 1 << 20;

interface Options {
  sizeMiB: number;
  partSizeMiB: number;
  concurrency: number;
  runs: number;
  hashSizeMiB: number;
  hashRounds: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizeMiB: 256, partSizeMiB: 32, concurrency: 4, runs: 3, hashSizeMiB: 64, hashRounds: 5 };
  const flags: Record<string, keyof Options> = {
    '--size': 'sizeMiB',
    '--part-size': 'partSizeMiB',
    '--concurrency': 'concurrency',
    '--runs': 'runs',
    '--hash-size': 'hashSizeMiB',
    '--hash-rounds': 'hashRounds',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = flags[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isSafeInteger(value) || value < 1)
      throw new Error(
        `usage: npm run bench:browser -- [${Object.keys(flags)
          .map((f) => `${f} N`)
          .join('] [')}] (got ${argv[i]} ${argv[i + 1] ?? ''})`,
      );
    options[key] = value;
    i++;
  }
  if (options.partSizeMiB * MiB < 5_000_000) throw new Error("--part-size: at least 5 MiB (B2's minimum part)");
  if (options.hashSizeMiB > options.sizeMiB) throw new Error('--hash-size: at most --size');
  return options;
}

type HashName = 'typescript' | 'hash-wasm' | 'noble' | 'webcrypto';
type BenchApi = {
  makeBlob(sizeMiB: number): Promise<number>;
  hashRates(sizeMiB: number, rounds: number): Promise<{ compiled: boolean; rates: Record<HashName, number[]> }>;
  clientUpload(fileName: string, partSize: number, concurrency: number): Promise<{ seconds: number; parts: number; aheadSeconds?: number }>;
  hashAheadRates(partSize: number, rounds: number): Promise<number[]>;
  rawUpload(
    fileName: string,
    partSize: number,
    concurrency: number,
    mode: 'unhashed' | 'raw-hashed' | 'raw-ahead',
  ): Promise<{ seconds: number; parts: number; aheadSeconds?: number }>;
};

/** Calls `window.rxb2Bench[name](...args)` in the page. */
function inPage<K extends keyof BenchApi>(tab: Page, name: K, ...args: Parameters<BenchApi[K]>): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  return tab.evaluate(
    ([n, a]) => (globalThis as unknown as { rxb2Bench: Record<string, (...x: unknown[]) => unknown> }).rxb2Bench[n as string](...(a as unknown[])) as Promise<never>,
    [name, args] as const,
  );
}

async function bundleSize(): Promise<{ bytes: number; gzip: number }> {
  const { code } = await bundle('src/index.ts', { format: 'esm', minify: true, sourcemap: false });
  const bytes = Buffer.from(code);
  return { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
const fixed = (x: number, digits = 0) => x.toFixed(digits);
const check = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const size = options.sizeMiB * MiB;
  const partSize = options.partSizeMiB * MiB;

  let emu: RunningEmulator | undefined;
  let page: { origin: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;
  try {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000_000, recommendedPartSize: 100_000_000, md5Limit: 0 });
    page = await servePage((await bundle('bench/browser-page.ts', { sourcemap: false })).code, 'rxb2 browser benchmark');
    const session = new RawB2Session(emu);
    await session.authorize();
    const bucketName = 'browser-bench';
    const { bucketId } = await session.call<{ bucketId: string }>('b2_create_bucket', {
      accountId: session.accountId,
      bucketName,
      bucketType: 'allPrivate',
      corsRules: [
        {
          corsRuleName: 'benchPage',
          allowedOrigins: [page.origin],
          allowedOperations: ['b2_upload_part', 'b2_upload_file'],
          allowedHeaders: ['authorization', 'content-type', 'x-bz-file-name', 'x-bz-content-sha1', 'x-bz-part-number', 'x-bz-info-*'],
          maxAgeSeconds: 3600,
        },
      ],
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const tab = await browser.newPage();
    tab.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    // BENCHMARK ONLY: the master key rides in the query string; a real page must never hold it.
    const query = new URLSearchParams({ realm: emu.url, keyId: emu.keyId, key: emu.applicationKey, bucket: bucketName });
    await tab.goto(`${page.origin}/?${query}`);
    await tab.waitForFunction(() => (globalThis as unknown as { rxb2Bench?: { ready: boolean } }).rxb2Bench?.ready === true, undefined, { timeout: 30_000 });
    tab.setDefaultTimeout(600_000);
    await inPage(tab, 'makeBlob', options.sizeMiB);
    // Blobs a run leaves (the client's parts, gathered into Blobs) hold Chromium's blob memory until
    // collected; a page has a bounded share (ERR_BLOB_OUT_OF_MEMORY past it): collect between runs.
    const cdp = await tab.context().newCDPSession(tab);
    const collect = () => cdp.send('HeapProfiler.collectGarbage');

    console.log(`Chromium ${browser.version()}, ${options.sizeMiB} MiB Blob, parts of ${options.partSizeMiB} MiB, ${options.concurrency} at a time, ${options.runs} runs each\n`);

    // SHA-1 alone, in the page.
    const { compiled, rates } = await inPage(tab, 'hashRates', options.hashSizeMiB, options.hashRounds);
    if (!compiled) throw new Error('the WebAssembly SHA-1 did not compile in Chromium');
    const ts = median(rates.typescript);
    const labels: Record<HashName, string> = {
      typescript: 'TypeScript SHA-1 (before)',
      'hash-wasm': "hash-wasm SHA-1 (the platform's)",
      noble: '@noble/hashes SHA-1 (fallback)',
      webcrypto: 'Web Crypto digest (one call, whole buffer)',
    };
    console.log(`SHA-1 of ${options.hashSizeMiB} MiB in 1 MiB chunks (medians of ${options.hashRounds}):\n`);
    console.log(
      table([['SHA-1', 'MB/s', '× TypeScript'], ...(Object.keys(labels) as HashName[]).map((n) => [labels[n], fixed(median(rates[n])), fixed(median(rates[n]) / ts, 2)])]),
    );

    // The platform's hash ahead of the whole Blob (whole and part SHA-1s, one pass in a Web Worker).
    const aheadRates = await inPage(tab, 'hashAheadRates', partSize, options.hashRounds);
    console.log(
      `\nhashInWorker over the ${options.sizeMiB} MiB Blob (the whole SHA-1 and ${Math.ceil(size / partSize)} parts' in one pass in a Web Worker): ${fixed(median(aheadRates))} MB/s, ${fixed(median(aheadRates) / ts, 2)}× the TypeScript SHA-1 (which computes one SHA-1, not two)\n`,
    );

    // Uploads: hashed (the client) and unhashed (raw XHR, do_not_verify), alternating.
    const seconds: Record<'hashed' | 'unhashed' | 'raw-hashed' | 'raw-ahead', number[]> = { hashed: [], unhashed: [], 'raw-hashed': [], 'raw-ahead': [] };
    const expectedParts = Math.ceil(size / partSize);
    const aheadSeconds: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const kinds = ['hashed', 'unhashed', 'raw-hashed', 'raw-ahead'] as const;
      const order = [...kinds.slice(run % kinds.length), ...kinds.slice(0, run % kinds.length)];
      for (const kind of order) {
        const fileName = `bench/${kind}-${run}.bin`;
        await collect();
        const result =
          kind === 'hashed'
            ? await inPage(tab, 'clientUpload', fileName, partSize, options.concurrency)
            : await inPage(tab, 'rawUpload', fileName, partSize, options.concurrency, kind);
        const stored = await session.versions(bucketId, fileName);
        if (result.parts !== expectedParts || stored.length !== 1 || stored[0].contentLength !== size) {
          throw new Error(`${fileName}: ${result.parts} parts (expected ${expectedParts}), stored ${JSON.stringify(stored.map((f) => f.contentLength))}`);
        }
        await session.deleteAll(bucketId, fileName);
        seconds[kind].push(result.seconds);
        const ahead = (result as { aheadSeconds?: number }).aheadSeconds;
        if (ahead !== undefined) aheadSeconds.push(ahead);
        console.error(
          `  run ${run + 1} ${kind}: ${fixed(mbps(size, result.seconds))} MB/s${ahead !== undefined ? ` (${fixed(ahead, 2)} s of ${fixed(result.seconds, 2)} s before the large file started)` : ''}`,
        );
      }
    }
    const hashed = mbps(size, median(seconds.hashed));
    const unhashed = mbps(size, median(seconds.unhashed));
    const rawHashed = mbps(size, median(seconds['raw-hashed']));
    const rawAhead = mbps(size, median(seconds['raw-ahead']));
    console.log(`\nUpload of the ${options.sizeMiB} MiB Blob in ${expectedParts} parts (medians of ${options.runs}):\n`);
    console.log(
      table([
        ['upload', 'MB/s', '× unhashed'],
        ['hashed: rxb2 uploadFile (whole and part SHA-1s hashed ahead)', fixed(hashed), fixed(hashed / unhashed, 2)],
        ['unhashed: raw XHR of Blob slices (do_not_verify)', fixed(unhashed), '1.00'],
        ['raw XHR, each slice hashed first (hash-wasm, hex_digits_at_end)', fixed(rawHashed), fixed(rawHashed / unhashed, 2)],
        ["raw XHR after the platform's hashInWorker, slices by reference with their SHA-1s", fixed(rawAhead), fixed(rawAhead / unhashed, 2)],
      ]),
    );
    console.log(`\nClient: a median ${fixed(median(aheadSeconds), 2)} s of its ${fixed(median(seconds.hashed), 2)} s went before the large file was started (the SHA-1s ahead).`);

    const sizeNow = await bundleSize();
    console.log(`\nClient bundle for the browser (src/index.ts, esbuild ESM, minified): ${sizeNow.bytes} bytes, ${sizeNow.gzip} gzipped`);
    console.log(
      `\nTargets: hashed ≥ 0.8× unhashed: ${check(hashed / unhashed >= 0.8)} (${fixed(hashed / unhashed, 2)}×); platform SHA-1 ≥ 3× TypeScript: ${check(median(rates['hash-wasm']) / ts >= 3)} (${fixed(median(rates['hash-wasm']) / ts, 2)}×)`,
    );
  } finally {
    await browser?.close();
    await page?.close();
    await emu?.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
