/**
 * The browser platform: no Node built-ins. SHA-1 by hash-wasm (WebAssembly; Web Crypto cannot hash
 * incrementally), MD5 by @noble/hashes, base64 through btoa/atob, and streamed download bodies
 * read from fetch's ReadableStream (the transport's XHR and fetch options are http/browser-axios.ts).
 * Files on disk do not exist here: pass a Blob (a `File` is one); asking for one fails with
 * a `NotSupportedError` (`ENOTSUP`), which callers report as an `invalid_argument` naming their option.
 * A large upload's SHA-1s ahead (the whole Blob's and each part's) are computed in a Web Worker made
 * from a Blob URL, in one pass (`hashInWorker`, browser-hash-worker.ts); where a Content-Security-Policy
 * allows no blob: worker or no WebAssembly, it resolves undefined and they are computed on the main thread.
 *
 * Bundlers pick this file instead of `./index` through package.json's `browser` field.
 */
import { createSHA1, type IHasher } from 'hash-wasm';
import { md5 as nobleMd5, sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { NotSupportedError, streamAborted, type Platform, type Sha1 } from './platform';
import { hashBlobInWorker } from './browser-hash-worker';

export const platform: Platform = {
  name: 'browser',
  createSha1: () => (wasmSha1 ? new WasmSha1(wasmSha1) : new JsSha1()),
  // SSE-C sends the MD5 of its 32-byte key: nothing large is hashed with MD5.
  md5Base64: (bytes) => bytesToBase64(nobleMd5(bytes)),
  concat(chunks, size) {
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  },
  toBase64: (bytes) => bytesToBase64(bytes),
  hashInWorker: hashBlobInWorker,
  fromBase64(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  },
  async openFile() {
    // The upload names the path in its own message ("contents.path: cannot read …: ").
    throw new NotSupportedError('open', 'a file path needs Node; pass a Blob (a File is one)');
  },
  isReadableStream(_value): _value is AsyncIterable<Uint8Array> & { readable: boolean } {
    // "A Node Readable": never in a browser.
    return false;
  },
  responseChunks(body) {
    return responseChunks(body);
  },
  destroyResponse(body) {
    if (!isWebStream(body)) return;
    destroyed.add(body);
    const reader = readers.get(body);
    // A stream being read is locked: cancel through its reader (this ends the fetch too).
    (reader ? reader.cancel() : body.locked ? Promise.resolve() : body.cancel()).catch(() => undefined);
  },
  toByteStream(chunks) {
    const stream: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        if (destroyed.has(stream)) throw streamAborted();
        for await (const chunk of chunks) {
          if (destroyed.has(stream)) throw streamAborted();
          yield chunk;
        }
      },
    };
    return stream;
  },
  destroyStream(stream) {
    // Upload bodies (Blobs, or a Promise of one) need nothing; a byte stream ends its reader.
    if (typeof stream === 'object' && stream !== null && !(stream instanceof Blob)) destroyed.add(stream);
  },
  async writeFileAtomically(path) {
    throw new NotSupportedError('open', `writing a file needs Node; download into memory (downloadToBuffer) or read the body stream instead (${path})`);
  },
  async openPositionalFile(path) {
    throw new NotSupportedError('open', `writing a file needs Node; download into memory (downloadToBuffer) or read the body stream instead (${path})`);
  },
  readFolder: noFolders,
  statPath: noFolders,
  statPaths: noFolders,
  joinPath: (folder, name) => `${folder}/${name}`,
  makeFolder: noFolders,
  removeFile: noFolders,
  removeEmptyFolder: noFolders,
  setModifiedTime: noFolders,
};

/** Local folders (sync) need Node. */
async function noFolders(): Promise<never> {
  throw new NotSupportedError('opendir', 'syncing a local folder needs Node');
}

// ------------------------------------------------------------------ streams

/** Streams (and byte streams) ended by destroyResponse / destroyStream: reading them fails. */
const destroyed = new WeakSet<object>();
/** The reader of each response stream being read, so destroyResponse can cancel a locked stream. */
const readers = new WeakMap<object, ReadableStreamDefaultReader<Uint8Array>>();

function isWebStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && value instanceof ReadableStream;
}

/** A download body as chunks: fetch's ReadableStream; also bytes, a Blob or text, whatever came. */
async function* responseChunks(body: unknown): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  if (isWebStream(body)) {
    if (destroyed.has(body)) throw streamAborted();
    const reader = body.getReader();
    readers.set(body, reader);
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (destroyed.has(body)) throw streamAborted();
        if (done) {
          finished = true;
          return;
        }
        if (value.length > 0) yield value;
      }
    } finally {
      readers.delete(body);
      // Left early (the reader stopped, an error): cancel the rest of the response.
      if (!finished) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  if (body instanceof Uint8Array) yield body;
  else if (body instanceof ArrayBuffer) yield new Uint8Array(body);
  else if (typeof Blob !== 'undefined' && body instanceof Blob) yield new Uint8Array(await body.arrayBuffer());
  else if (typeof body === 'string') yield new TextEncoder().encode(body);
  else throw Object.assign(new TypeError('the download body is not a stream of bytes'), { code: 'bad_response' });
}

// ------------------------------------------------------------------ base64

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode(...) takes a bounded number of arguments.
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

// ------------------------------------------------------------------ SHA-1 and MD5

/**
 * hash-wasm's SHA-1 (WebAssembly, ~2.5× a SHA-1 in TypeScript; see bench/README.md), compiled once as
 * this module loads. One instance serves every hash: each keeps its own state (save/load, ~100
 * bytes), swapped in around its update, so creating a hash stays synchronous. Left undefined until
 * compiled, or for good where WebAssembly cannot run (a Content-Security-Policy without
 * 'wasm-unsafe-eval'): hashes created then use @noble/hashes' SHA-1 (plain JavaScript) throughout.
 */
let wasmSha1: IHasher | undefined;

/** Settles once the WebAssembly SHA-1 is compiled (true) or cannot be (false). For specs and benchmarks. */
export const sha1Compiled: Promise<boolean> = createSHA1().then(
  (hasher) => {
    wasmSha1 = hasher;
    return true;
  },
  () => false,
);

/** The plain-JavaScript SHA-1 that hashes use until the WebAssembly one is compiled. For specs. */
export function createJsSha1(): Sha1 {
  return new JsSha1();
}

/** An incremental SHA-1 on the shared WebAssembly instance: any chunk sizes; digest() leaves it usable. */
class WasmSha1 implements Sha1 {
  private state: Uint8Array;

  constructor(private readonly hasher: IHasher) {
    hasher.init();
    this.state = hasher.save();
  }

  update(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.hasher.load(this.state);
    this.hasher.update(bytes);
    this.state = this.hasher.save();
  }

  /** Lower-case hex of the bytes so far (the state kept is the one before, so the hash goes on). */
  digest(): string {
    this.hasher.load(this.state);
    return this.hasher.digest('hex');
  }
}

/** @noble/hashes' SHA-1, for hashes created before (or without) the WebAssembly one. */
class JsSha1 implements Sha1 {
  // Typed here: @noble/hashes' own typings give `clone()` no usable type through this module resolution.
  private readonly hash: { update(bytes: Uint8Array): unknown; clone(): { digest(): Uint8Array } } = nobleSha1.create();

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  digest(): string {
    return hex(this.hash.clone().digest());
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
