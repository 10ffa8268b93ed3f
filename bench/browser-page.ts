/**
 * The page script of `npm run bench:browser` (bench/browser.ts bundles it with esbuild, the
 * platform mapped to src/platform/browser.ts, and drives it in Chromium through
 * `window.rxb2Bench`). It gets the emulator's realm, key and bucket through the query string
 * (BENCHMARK ONLY: a real page never holds the master key).
 *
 * - hashRates: SHA-1 over the same bytes in 1 MiB chunks (the client's read size) by the SHA-1 in
 *   TypeScript the platform had before, by the platform's own (hash-wasm's), by its fallback
 *   (@noble/hashes), and, for reference, by Web Crypto in one call over the whole buffer.
 * - clientUpload: `bucket.uploadFile` of the Blob, parts of `partSize`, `concurrency` at a time
 *   (hashed ahead: the whole Blob's SHA-1 and each part's).
 * - rawUpload: the floor without hashing: the same B2 calls by hand (fetch for the JSON calls,
 *   XHR for the parts, as the client), each part a `Blob.slice` sent as it is with
 *   `X-Bz-Content-Sha1: do_not_verify`, `concurrency` workers each with its own upload URL. With
 *   `hashed`, each part is first read through its stream and hashed with the platform's SHA-1,
 *   and sent as the slice (by reference) followed by the digits (`hex_digits_at_end`): what
 *   hashing alone costs, without the client's other work.
 */
import { lastValueFrom, tap } from 'rxjs';
import { B2, type Bucket } from '../src';
import { createJsSha1, platform, sha1Compiled } from '../src/platform/browser';
import type { Sha1 } from '../src/platform/platform';
import { TypeScriptSha1 } from './sha1-typescript';

const params = new URLSearchParams(location.search);
const realm = params.get('realm') ?? '';
const keyId = params.get('keyId') ?? '';
const applicationKey = params.get('key') ?? '';
const bucketName = params.get('bucket') ?? '';
const MiB = 1 << 20;

let bytes = new Uint8Array(0);
let blob = new Blob([]);

/** Random bytes (getRandomValues fills at most 64 KiB per call) and a Blob of them. */
function makeBlob(sizeMiB: number): number {
  bytes = new Uint8Array(sizeMiB * MiB);
  for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  blob = new Blob([bytes]);
  return blob.size;
}

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

type HashName = 'typescript' | 'hash-wasm' | 'noble' | 'webcrypto';

/** MB/s of each SHA-1 over the first `sizeMiB` of the bytes, `rounds` times interleaved; every digest checked against Web Crypto's. */
async function hashRates(sizeMiB: number, rounds: number): Promise<{ compiled: boolean; rates: Record<HashName, number[]> }> {
  const compiled = await sha1Compiled;
  const data = bytes.subarray(0, sizeMiB * MiB);
  const expected = hex(await crypto.subtle.digest('SHA-1', data));
  const incremental = (create: () => Sha1) => async () => {
    const hash = create();
    for (let at = 0; at < data.length; at += MiB) hash.update(data.subarray(at, at + MiB));
    return hash.digest();
  };
  const runs: Record<HashName, () => Promise<string>> = {
    typescript: incremental(() => new TypeScriptSha1()),
    'hash-wasm': incremental(() => platform.createSha1()),
    noble: incremental(createJsSha1),
    webcrypto: async () => hex(await crypto.subtle.digest('SHA-1', data)),
  };
  const rates: Record<HashName, number[]> = { typescript: [], 'hash-wasm': [], noble: [], webcrypto: [] };
  const names = Object.keys(runs) as HashName[];
  // One untimed pass each (JIT, WebAssembly tier-up), then the timed rounds.
  for (const name of names) await runs[name]();
  for (let round = 0; round < rounds; round++) {
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const start = performance.now();
      const digest = await runs[name]();
      const seconds = (performance.now() - start) / 1000;
      if (digest !== expected) throw new Error(`${name}: SHA-1 ${digest}, expected ${expected}`);
      rates[name].push(data.length / 1e6 / seconds);
    }
  }
  return { compiled, rates };
}

let bucket: Bucket | undefined;

/** The client's upload of the Blob; the bucket is looked up (and the client authorized) before the timer starts. */
async function clientUpload(fileName: string, partSize: number, concurrency: number): Promise<{ seconds: number; parts: number; aheadSeconds: number }> {
  if (!bucket) {
    const b2 = new B2({ applicationKeyId: keyId, applicationKey, realm });
    bucket = await lastValueFrom(b2.buckets.get(bucketName));
  }
  let parts = 0;
  const start = performance.now();
  // When the large file is started: the SHA-1s ahead are known (and b2_start_large_file answered).
  let startedAt = start;
  const last = await lastValueFrom(
    bucket.uploadFile({ fileName, contents: blob, partSize, concurrency, largeFileThreshold: partSize }).pipe(
      tap((e) => {
        parts += e.type === 'partUploaded' ? 1 : 0;
        if (e.type === 'largeFileStarted') startedAt = performance.now();
      }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  if (last.type !== 'response') throw new Error(`${fileName}: the upload ended with ${last.type}`);
  return { seconds, parts, aheadSeconds: (startedAt - start) / 1000 };
}

let account: { apiUrl: string; token: string; bucketId: string } | undefined;

async function call<T>(name: string, body: object): Promise<T> {
  const response = await fetch(`${account!.apiUrl}/b2api/v3/${name}`, {
    method: 'POST',
    headers: { Authorization: account!.token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** One part by XHR: `sha1` is `do_not_verify` or `hex_digits_at_end` (the body then ends with the digits). Resolves the SHA-1 the server has. */
function sendPart(url: { uploadUrl: string; authorizationToken: string }, partNumber: number, body: Blob, sha1: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url.uploadUrl);
    xhr.setRequestHeader('Authorization', url.authorizationToken);
    xhr.setRequestHeader('X-Bz-Part-Number', String(partNumber));
    xhr.setRequestHeader('X-Bz-Content-Sha1', sha1);
    xhr.onload = () =>
      xhr.status === 200
        ? resolve((JSON.parse(xhr.responseText) as { contentSha1: string }).contentSha1)
        : reject(new Error(`part ${partNumber}: HTTP ${xhr.status} ${xhr.responseText}`));
    xhr.onerror = () => reject(new Error(`part ${partNumber}: network error`));
    xhr.send(body);
  });
}

/** A part as its Blob slice (by reference): as it is, or read through its stream, hashed with the platform's SHA-1, and followed by the digits. */
async function partBody(slice: Blob, hashed: boolean): Promise<{ body: Blob; sha1: string }> {
  if (!hashed) return { body: slice, sha1: 'do_not_verify' };
  const hash = platform.createSha1();
  const reader = slice.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
  }
  return { body: new Blob([slice, hash.digest()]), sha1: 'hex_digits_at_end' };
}

/**
 * MB/s of the platform's `hashInWorker` over the whole Blob (the whole SHA-1 and each part's, in
 * one pass in a Web Worker), `rounds` times; each result checked against Web Crypto's digest.
 */
async function hashAheadRates(partSize: number, rounds: number): Promise<number[]> {
  const expected = hex(await crypto.subtle.digest('SHA-1', bytes));
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const hashed = await platform.hashInWorker!(blob, blob.size, partSize, new AbortController().signal);
    const seconds = (performance.now() - start) / 1000;
    if (hashed?.sha1 !== expected) throw new Error(`hashInWorker: ${hashed?.sha1}, expected ${expected}`);
    rates.push(blob.size / 1e6 / seconds);
  }
  return rates;
}

/**
 * The same large-file upload by hand; authorized before the timer starts. `mode`: `unhashed` (each
 * part `do_not_verify`), `raw-hashed` (each part hashed on the page as it goes, digits at the end),
 * `raw-ahead` (the platform's hashInWorker first, as the client does, large_file_sha1 recorded,
 * then each part sent as its slice by reference with its SHA-1 in the header).
 */
async function rawUpload(
  fileName: string,
  partSize: number,
  concurrency: number,
  mode: 'unhashed' | 'raw-hashed' | 'raw-ahead',
): Promise<{ seconds: number; parts: number; aheadSeconds?: number }> {
  const hashed = mode === 'raw-hashed';
  if (!account) {
    const auth = await fetch(`${realm}/b2api/v3/b2_authorize_account`, { headers: { Authorization: 'Basic ' + btoa(`${keyId}:${applicationKey}`) } });
    const body = (await auth.json()) as { accountId: string; authorizationToken: string; apiInfo: { storageApi: { apiUrl: string } } };
    account = { apiUrl: body.apiInfo.storageApi.apiUrl, token: body.authorizationToken, bucketId: '' };
    const listed = await call<{ buckets: { bucketId: string }[] }>('b2_list_buckets', { accountId: body.accountId, bucketName });
    account.bucketId = listed.buckets[0].bucketId;
  }
  const start = performance.now();
  const ahead = mode === 'raw-ahead' ? await platform.hashInWorker!(blob, blob.size, partSize, new AbortController().signal) : undefined;
  const aheadSeconds = (performance.now() - start) / 1000;
  const fileInfo = ahead ? { large_file_sha1: ahead.sha1 } : {};
  const { fileId } = await call<{ fileId: string }>('b2_start_large_file', { bucketId: account.bucketId, fileName, contentType: 'b2/x-auto', fileInfo });
  const count = Math.ceil(blob.size / partSize);
  const sha1s = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      const url = await call<{ uploadUrl: string; authorizationToken: string }>('b2_get_upload_part_url', { fileId });
      while (next < count) {
        const i = next++;
        const slice = blob.slice(i * partSize, Math.min(blob.size, (i + 1) * partSize));
        const part = ahead ? { body: slice, sha1: ahead.partSha1s[i] } : await partBody(slice, hashed);
        sha1s[i] = await sendPart(url, i + 1, part.body, part.sha1);
      }
    }),
  );
  await call('b2_finish_large_file', { fileId, partSha1Array: sha1s });
  return { seconds: (performance.now() - start) / 1000, parts: count, ...(ahead ? { aheadSeconds } : {}) };
}

const api = { makeBlob, hashRates, hashAheadRates, clientUpload, rawUpload, ready: true };
(globalThis as unknown as { rxb2Bench: typeof api }).rxb2Bench = api;
