/**
 * Hashing a Blob ahead of a large upload in a Web Worker, so the page's main thread stays free.
 * The worker runs from a Blob URL made of hash-wasm's SHA-1 build (browser-hash-wasm-sha1.ts) and
 * the code below: the bundle ships no separate worker file. It is handed the Blob itself (a worker
 * reads a Blob directly; no bytes go through the main thread) and makes one pass over it, part by
 * part, computing the whole-file SHA-1 (for `large_file_sha1`) and each part's:
 *
 * - each part is read through its slice's stream, each chunk fed to the whole-file SHA-1
 *   (hash-wasm, incremental) and gathered into one part-sized buffer, which Web Crypto then digests
 *   in one call (Chromium runs it on another thread, so on two cores the parts' SHA-1s cost little
 *   beside the whole one's). The buffer is reused: Web Crypto copies it as a digest starts, and at
 *   most one digest runs behind the reading.
 * - parts larger than {@link ONE_SHOT_PART} (or no Web Crypto: a page served over plain http from
 *   another host than localhost is no secure context) are streamed instead, each chunk fed to the
 *   whole-file SHA-1 and to a second hash-wasm SHA-1 for the part.
 *
 * Where a worker cannot run (no `Worker`, or a Content-Security-Policy whose `worker-src` /
 * `script-src` leaves out `blob:`) or WebAssembly cannot (no 'wasm-unsafe-eval'), this resolves
 * `undefined` and the caller hashes on the main thread as before.
 */
import type { HashedAhead } from './platform';
import { HASH_WASM_SHA1_UMD } from './browser-hash-wasm-sha1';

/** Parts up to this size are digested by Web Crypto in one call (the part's bytes held in memory); larger ones are streamed. */
export const ONE_SHOT_PART = 128 << 20;

/**
 * The worker's own code, after hash-wasm's (which defines `self.hashwasm`). Plain JavaScript run as
 * a classic worker script. It answers one message `{ blob, partSize, oneShotPart }` with
 * `{ sha1, partSha1s, bytes }`, `{ error }` (the Blob could not be read: a File changed on disk),
 * or `{ unsupported }` (WebAssembly refused).
 */
const WORKER_CODE = `
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
async function hashParts(blob, partSize, oneShotPart) {
  let whole;
  let part;
  try {
    whole = await self.hashwasm.createSHA1();
    part = await self.hashwasm.createSHA1();
  } catch (err) {
    return { unsupported: String((err && err.message) || err) };
  }
  const subtle = self.crypto && self.crypto.subtle;
  const oneShot = !!subtle && partSize <= oneShotPart;
  // One part's bytes, gathered for Web Crypto (which copies them as a digest starts: reused).
  const gathered = oneShot ? new Uint8Array(Math.min(partSize, blob.size)) : undefined;
  whole.init();
  const digests = [];
  let bytes = 0;
  for (let start = 0; start === 0 || start < blob.size; start += partSize) {
    // Through the slice's stream: arrayBuffer() reads a Blob several times slower in Chromium.
    const reader = blob.slice(start, Math.min(blob.size, start + partSize)).stream().getReader();
    if (!oneShot) part.init();
    let inPart = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      whole.update(value);
      if (oneShot) gathered.set(value, inPart);
      else part.update(value);
      inPart += value.length;
    }
    bytes += inPart;
    if (oneShot) {
      // At most one digest behind: bounded memory when Web Crypto is the slower.
      if (digests.length > 0) await digests[digests.length - 1];
      digests.push(subtle.digest('SHA-1', gathered.subarray(0, inPart)).then(hex));
    } else digests.push(part.digest('hex'));
  }
  return { sha1: whole.digest('hex'), partSha1s: await Promise.all(digests), bytes };
}
self.onmessage = (event) => {
  const { blob, partSize, oneShotPart } = event.data;
  hashParts(blob, partSize, oneShotPart).then(
    (answer) => self.postMessage(answer),
    (err) => self.postMessage({ error: String((err && err.message) || err) }),
  );
};
`;

type WorkerAnswer = HashedAhead | { error: string } | { unsupported: string };

/** The worker script's Blob URL: made once per page, on first use (kept: each upload's worker starts from it). */
let workerUrl: string | undefined;

/**
 * What became of the hashing workers of this page so far, for specs: created, answered (the
 * SHA-1s came back), aborted (terminated on the caller's signal, before answering), and fell back
 * (no worker or no WebAssembly: the caller hashed on the main thread).
 */
export const hashWorkerStats = { created: 0, answered: 0, aborted: 0, fellBack: 0 };

/**
 * SHA-1s of a Blob of `size` bytes, whole and per part of `partSize`, in a Web Worker. Resolves
 * `undefined` where no worker (or no WebAssembly) can run here, for the caller to hash on the main
 * thread; rejects when the Blob cannot be read, or when `signal` aborts (the worker is terminated
 * then: its hashing stops at once). `oneShotPart`: see {@link ONE_SHOT_PART} (specs lower it).
 */
export function hashBlobInWorker(
  what: { path: string } | Blob,
  size: number,
  partSize: number,
  signal: AbortSignal,
  oneShotPart = ONE_SHOT_PART,
): Promise<HashedAhead | undefined> {
  if (typeof Blob === 'undefined' || !(what instanceof Blob) || typeof Worker === 'undefined' || typeof URL.createObjectURL !== 'function') return Promise.resolve(undefined);
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      workerUrl ??= URL.createObjectURL(new Blob([HASH_WASM_SHA1_UMD, WORKER_CODE], { type: 'text/javascript' }));
      worker = new Worker(workerUrl);
    } catch {
      // A Content-Security-Policy refusing blob: workers (Chromium throws as the worker is constructed).
      hashWorkerStats.fellBack++;
      resolve(undefined);
      return;
    }
    hashWorkerStats.created++;
    const end = () => {
      signal.removeEventListener('abort', onAbort);
      worker.terminate();
    };
    const onAbort = () => {
      end();
      hashWorkerStats.aborted++;
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      end();
      const answer = event.data;
      if ('unsupported' in answer) {
        hashWorkerStats.fellBack++;
        resolve(undefined);
      } else if ('error' in answer) reject(new Error(answer.error));
      else {
        hashWorkerStats.answered++;
        resolve(answer);
      }
    };
    worker.onerror = (event) => {
      // The script did not load or run (a policy refusing it, found as it loads): hash on the main thread instead.
      event.preventDefault();
      end();
      hashWorkerStats.fellBack++;
      resolve(undefined);
    };
    worker.postMessage({ blob: size === what.size ? what : what.slice(0, size), partSize, oneShotPart });
  });
}
