/**
 * Hashing a file or a Blob ahead of a large upload in worker threads (node:worker_threads), so the
 * main thread keeps serving other transfers: one worker computes the whole-file SHA-1, a second
 * the SHA-1 of each part, both reading the same bytes (the page cache serves the second read).
 * Only src/platform/node.ts imports this: the browser bundle never pulls node:worker_threads.
 */
import { Worker } from 'node:worker_threads';
import type { FileSha1, HashedAhead } from './platform';

/**
 * The worker's code, evaluated as CommonJS (`eval: true`): the same text serves the CommonJS and
 * the ES module builds, with no worker file to locate next to the compiled module. It reads the
 * file (or Blob) in 1 MiB steps into one buffer and posts `{ sha1s, bytes }`: one SHA-1 for the
 * whole (`partSize` 0) or one per part, and how many bytes it read (fewer than `size` when the
 * file shrank meanwhile).
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { open } = require('node:fs/promises');
const { path, blob, size, partSize } = workerData;
const STEP = 1 << 20;
(async () => {
  const sha1s = [];
  let hash = createHash('sha1');
  let inPart = 0;
  let bytes = 0;
  const take = (chunk) => {
    // Split at part boundaries when hashing parts.
    while (chunk.length > 0) {
      const room = partSize > 0 ? partSize - inPart : chunk.length;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      hash.update(piece);
      inPart += piece.length;
      bytes += piece.length;
      chunk = chunk.subarray(piece.length);
      if (partSize > 0 && inPart === partSize) {
        sha1s.push(hash.digest('hex'));
        hash = createHash('sha1');
        inPart = 0;
      }
    }
  };
  if (blob) {
    for (let at = 0; at < size; at += STEP) take(new Uint8Array(await blob.slice(at, Math.min(size, at + STEP)).arrayBuffer()));
  } else {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(STEP);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(STEP, size - at), at);
        if (bytesRead === 0) break;
        take(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  if (partSize === 0 || inPart > 0 || sha1s.length === 0) sha1s.push(hash.digest('hex'));
  parentPort.postMessage({ sha1s, bytes });
})().catch((err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;

/** One worker's pass: `partSize` 0 for the whole-file SHA-1. Terminated on abort. */
function pass(what: { path: string } | Blob, size: number, partSize: number, signal: AbortSignal): Promise<{ sha1s: string[]; bytes: number }> {
  return new Promise((resolve, reject) => {
    const workerData = what instanceof Blob ? { blob: what, size, partSize } : { path: what.path, size, partSize };
    const worker = new Worker(WORKER_CODE, { eval: true, workerData });
    const onAbort = () => {
      void worker.terminate();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    worker.once('message', (m: { sha1s: string[]; bytes: number } | { error: string }) => {
      done();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', (err) => {
      done();
      reject(err);
    });
    worker.once('exit', (code) => {
      done();
      // After a message this settles nothing; before one, the worker died.
      reject(new Error(`the hashing worker exited (${code}) before it answered`));
    });
  });
}

/** The whole SHA-1 and the parts' SHA-1s, in two workers side by side. */
export async function hashInWorkers(what: { path: string } | Blob, size: number, partSize: number, signal: AbortSignal): Promise<HashedAhead> {
  if (signal.aborted) throw new Error('aborted');
  const inner = new AbortController();
  const stop = () => inner.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    const [whole, parts] = await Promise.all([pass(what, size, 0, inner.signal), pass(what, size, partSize, inner.signal)]).catch((err: unknown) => {
      // One pass failed: stop the other.
      inner.abort();
      throw err;
    });
    return { sha1: whole.sha1s[0], partSha1s: parts.sha1s, bytes: Math.min(whole.bytes, parts.bytes) };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/**
 * The in-order SHA-1 of a file being written (parallel downloads), in a worker: it opens `path`
 * for reading and, each time it is told how far the file is written, reads what is new back (from
 * the page cache, in 1 MiB steps into one buffer) and hashes it. On `digest` it hashes up to the
 * size, answers `{ sha1 }` (or `{ error }`) and ends.
 */
const FILE_SHA1_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const fd = openSync(workerData.path, 'r');
const hash = createHash('sha1');
const buffer = Buffer.allocUnsafe(1 << 20);
let at = 0;
parentPort.on('message', (m) => {
  try {
    const target = m.digest !== undefined ? m.digest : m.through;
    while (at < target) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, target - at), at);
      if (n === 0) throw new Error('the file ends after ' + at + ' bytes, short of ' + target);
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      at += n;
    }
    if (m.digest !== undefined) {
      closeSync(fd);
      parentPort.postMessage({ sha1: hash.digest('hex') });
      parentPort.close();
    }
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err), code: err && err.code, syscall: err && err.syscall });
    parentPort.close();
  }
});
`;

/** How far ahead of what the worker was last told the file must be written before it is told again. */
const THROUGH_STEP = 4 << 20;

/** The SHA-1 of the file at `path` from its start, hashed in a worker thread as it is written (see FILE_SHA1_CODE). */
export function fileSha1InWorker(path: string): FileSha1 {
  const worker = new Worker(FILE_SHA1_CODE, { eval: true, workerData: { path } });
  let told = 0;
  const answer = new Promise<string>((resolve, reject) => {
    // A system error keeps its code and syscall (the caller reports it as a local I/O error).
    worker.once('message', (m: { sha1: string } | { error: string; code?: string; syscall?: string }) =>
      'error' in m ? reject(Object.assign(new Error(m.error), m.code ? { code: m.code, syscall: m.syscall } : {})) : resolve(m.sha1),
    );
    worker.once('error', reject);
    // After an answer this settles nothing; before one, the worker died (or was stopped).
    worker.once('exit', (code) => reject(new Error(`the hashing worker exited (${code}) before it answered`)));
  });
  // Stopped without a digest asked for: nobody waits for the answer.
  answer.catch(() => undefined);
  return {
    through(offset) {
      // Told in steps of at least THROUGH_STEP: each message wakes the worker (and, on a busy
      // machine, costs the main thread its core for a moment). The digest catches up the rest.
      if (offset - told < THROUGH_STEP) return;
      told = offset;
      worker.postMessage({ through: offset });
    },
    digest(size) {
      worker.postMessage({ digest: size });
      return answer;
    },
    abort() {
      void worker.terminate();
    },
  };
}
