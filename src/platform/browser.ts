/**
 * The browser platform: no Node built-ins. SHA-1 and MD5 in plain TypeScript (Web Crypto cannot
 * hash incrementally), base64 through btoa/atob, uploads through XHR (the only browser API with
 * upload progress events) with the body gathered into a Blob, and streamed downloads through
 * fetch's ReadableStream. Files on disk do not exist here: pass a Blob (a `File` is one).
 *
 * Bundlers pick this file instead of `./index` through package.json's `browser` field.
 */
import { B2Error, invalidArgument } from '../http/b2-error';
import type { Platform, Sha1 } from './platform';

export const platform: Platform = {
  name: 'browser',
  createSha1: () => new Sha1Hash(),
  md5Base64: (bytes) => bytesToBase64(md5(bytes)),
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
  fromBase64(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  },
  axiosDefaults() {
    // XHR: the adapter with upload progress events. The transport sends streamed downloads
    // (responseType "stream") through axios' fetch adapter, which hands over a ReadableStream.
    return { adapter: 'xhr' };
  },
  uploadBytes(bytes) {
    // A Blob of exactly this view (axios would send a plain view's whole ArrayBuffer).
    return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  },
  async uploadData(chunks) {
    // XHR cannot stream a request body: gather it (at most one part, or one small file) into a Blob.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for await (const chunk of chunks) parts.push(chunk as Uint8Array<ArrayBuffer>);
    return new Blob(parts);
  },
  async openFile() {
    // The upload names the path in its own message ("contents.path: cannot read …: ").
    throw new B2Error({ status: 0, code: 'invalid_argument', field: 'contents.path', message: 'a file path needs Node; pass a Blob (a File is one)' });
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
        if (destroyed.has(stream)) throw aborted();
        for await (const chunk of chunks) {
          if (destroyed.has(stream)) throw aborted();
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
    throw invalidArgument('path', `writing a file needs Node; download into memory (downloadToBuffer) or read the body stream instead (${path})`);
  },
  async openPositionalFile(path) {
    throw invalidArgument('path', `writing a file needs Node; download into memory (downloadToBuffer) or read the body stream instead (${path})`);
  },
};

// ------------------------------------------------------------------ streams

/** Streams (and byte streams) ended by destroyResponse / destroyStream: reading them fails. */
const destroyed = new WeakSet<object>();
/** The reader of each response stream being read, so destroyResponse can cancel a locked stream. */
const readers = new WeakMap<object, ReadableStreamDefaultReader<Uint8Array>>();

function aborted(): B2Error {
  return new B2Error({ status: 0, code: 'aborted', message: 'the download was aborted' });
}

function isWebStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && value instanceof ReadableStream;
}

/** A download body as chunks: fetch's ReadableStream; also bytes, a Blob or text, whatever came. */
async function* responseChunks(body: unknown): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  if (isWebStream(body)) {
    if (destroyed.has(body)) throw aborted();
    const reader = body.getReader();
    readers.set(body, reader);
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (destroyed.has(body)) throw aborted();
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
  else throw new B2Error({ status: 0, code: 'bad_response', message: 'the download body is not a stream of bytes' });
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

// ------------------------------------------------------------------ SHA-1 (FIPS 180-4)

/** An incremental SHA-1: blocks of 64 bytes, any chunk sizes in between. */
class Sha1Hash implements Sha1 {
  private readonly state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  private readonly buffer = new Uint8Array(64);
  private buffered = 0;
  private total = 0;
  private readonly w = new Int32Array(80);

  update(bytes: Uint8Array): void {
    let at = 0;
    this.total += bytes.length;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      at = take;
      if (this.buffered < 64) return;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; at + 64 <= bytes.length; at += 64) this.block(bytes, at);
    if (at < bytes.length) {
      this.buffer.set(bytes.subarray(at), 0);
      this.buffered = bytes.length - at;
    }
  }

  /** Lower-case hex of the bytes so far (the hash itself is left as it was). */
  digest(): string {
    const copy = new Sha1Hash();
    copy.state.set(this.state);
    copy.buffer.set(this.buffer);
    copy.buffered = this.buffered;
    copy.total = this.total;
    return copy.finish();
  }

  private finish(): string {
    const total = this.total;
    const padding = new Uint8Array((this.buffered < 56 ? 56 : 120) - this.buffered + 8);
    padding[0] = 0x80;
    // The message length in bits, big-endian, in the last 8 bytes (total < 2^53).
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(total / 0x20000000));
    view.setUint32(padding.length - 4, (total % 0x20000000) * 8);
    this.update(padding);
    let hex = '';
    for (const word of this.state) hex += (word >>> 0).toString(16).padStart(8, '0');
    return hex;
  }

  private block(bytes: Uint8Array, at: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++, at += 4) w[t] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    const s = this.state;
    let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
  }
}

// ------------------------------------------------------------------ MD5 (RFC 1321), one shot

const MD5_SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000));

/** MD5 of some bytes (SSE-C sends the MD5 of its 32-byte key; nothing large is hashed here). */
function md5(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  const padded = new Uint8Array((((length + 8) >> 6) + 1) * 64);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length % 0x20000000) * 8, true);
  view.setUint32(padded.length - 4, Math.floor(length / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  const m = new Int32Array(16);
  for (let at = 0; at < padded.length; at += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getInt32(at + i * 4, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const shift = MD5_SHIFTS[(i >> 4) * 4 + (i & 3)];
      const sum = (a + f + MD5_K[i] + m[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  [a0, b0, c0, d0].forEach((word, i) => outView.setInt32(i * 4, word, true));
  return out;
}
