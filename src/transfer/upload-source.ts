/**
 * What an upload reads from: bytes in memory, a file, a Blob, or a one-shot stream, behind one
 * shape. Files, Blobs and streams are hashed as they are sent (`hex_digits_at_end`), so each byte
 * is read and hashed once; bytes in memory, and files up to 1 MiB (read whole), are hashed up front.
 * A large upload of a file or a Blob hashes it ahead too (`hashAhead`), for `large_file_sha1`.
 *
 * A file that changes while it is read fails the upload with `source_changed`: a read that runs
 * short of the planned length, or a size, modification time or inode that differs at the end of
 * a read from when the file was opened. Both are checked before the body's last byte (the SHA-1
 * digits at its end) goes out, so B2 never stores what was read.
 */
import { platform, type HashedAhead, type RandomAccessSource } from '../platform';
import { B2Error, invalidArgument } from '../http/b2-error';

/** Upload contents: bytes, text (UTF-8), `{ path }` of a file, a Blob, or a readable stream of bytes. */
export type B2UploadContents =
  | Uint8Array
  | string
  | { path: string }
  | Blob
  | AsyncIterable<Uint8Array>;

export interface UploadSource {
  readonly size: number;
  /** SHA-1 when known before sending (bytes in memory); otherwise it rides at the end of the body. */
  readonly sha1: string | undefined;
  /** A stream: readable once, in order (large uploads then hold each part in memory while it is sent). */
  readonly oneShot?: boolean;
  /**
   * Reads [start, start+length). A one-shot stream can be read once, from its start. With `into`,
   * a source that can (a file, where the platform reads files into given memory) reads each chunk
   * into the memory `into()` hands it and yields a view of that: the caller owns and reuses it.
   * Other sources ignore `into`.
   */
  read(start: number, length: number, into?: () => Uint8Array): AsyncIterable<Uint8Array>;
  readonly description: string;
  /** The bytes, when the source is in memory. */
  readonly bytes?: Uint8Array;
  /**
   * A file's or a Blob's: its whole SHA-1 and each part's, read ahead of a large upload (off the
   * main thread where the platform can). Fails with `source_changed` when the file shrank meanwhile.
   */
  hashAhead?(partSize: number, signal: AbortSignal): Promise<HashedAhead>;
  /** A file's: fails with `source_changed` when it differs from when it was opened. */
  checkUnchanged?(): Promise<void>;
}

const CHUNK = 1 << 20;
/**
 * Buffers a file part's body is read into, in turn. A fresh buffer per chunk makes V8 run a full
 * mark-compact every few tens of MiB once the old generation is past its 8 MB activation threshold
 * (axios alone takes a process there): ~0.6 CPU-s per GiB sent. Reusing a few is safe because the
 * transport pulls a chunk only once every chunk before the previous one was written out (Node's
 * pipe with backpressure, one chunk buffered; spec/transfer/upload-source.spec.ts checks it through
 * the real transport): two would do, four leave a margin.
 */
const RING = 4;
/** Files up to this size are read into memory whole (see openUploadSource). */
const SMALL_FILE = 1 << 20;
/**
 * Sources from this size are hashed ahead in worker threads (where the platform has them). Below,
 * on the main thread in 1 MiB steps: starting a worker costs ~15 ms, about the time to hash 20 MiB.
 */
const HASH_IN_WORKER = 8 << 20;

/** The error of a source that changed while it was read: names the file, says what changed. */
export function sourceChanged(description: string, what: string): B2Error {
  return new B2Error({
    status: 0,
    code: 'source_changed',
    message: `${description} changed while it was being uploaded (${what}); the upload stopped and nothing was stored: upload it again once it no longer changes`,
  });
}

/** Resolves contents into a source; `contentLength` is required for streams. Runs at subscribe time. */
export async function openUploadSource(contents: B2UploadContents, contentLength?: number): Promise<UploadSource> {
  if (typeof contents === 'string' || contents instanceof Uint8Array) return openBytesSource(contents);
  if (typeof Blob !== 'undefined' && contents instanceof Blob) return randomAccess(blobSource(contents), contents);
  if (isPathContents(contents)) {
    try {
      const file = await platform.openFile(contents.path);
      // A small file is read whole: hashed up front and sent in one write, which costs far less
      // than a stream per request (and a retry resends the same snapshot).
      return file.size <= SMALL_FILE ? bytesSource(await readWhole(file), file.description) : randomAccess(file, contents);
    } catch (err) {
      if (err instanceof B2Error) throw err;
      throw invalidArgument('contents.path', `cannot read ${contents.path}: ${(err as Error).message}`);
    }
  }
  if (isAsyncIterable(contents)) {
    if (contentLength === undefined || !Number.isSafeInteger(contentLength) || contentLength < 0) {
      throw invalidArgument('contentLength', 'a stream upload needs its exact byte count (contentLength)');
    }
    return streamSource(contents, contentLength);
  }
  throw invalidArgument('contents', 'expected a Uint8Array/Buffer, a string, { path }, a Blob or a readable stream');
}

/** Bytes or text (UTF-8) in memory: opened synchronously. */
export function openBytesSource(contents: Uint8Array | string): UploadSource {
  return typeof contents === 'string' ? bytesSource(new TextEncoder().encode(contents), 'text') : bytesSource(contents, 'bytes');
}

function isPathContents(value: unknown): value is { path: string } {
  return typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string' && !isAsyncIterable(value);
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

export function bytesSource(bytes: Uint8Array, description: string): UploadSource {
  const hash = platform.createSha1();
  hash.update(bytes);
  return {
    size: bytes.length,
    bytes,
    sha1: hash.digest(),
    description,
    async *read(start, length) {
      // Views, not copies.
      for (let at = start; at < start + length; at += CHUNK) yield bytes.subarray(at, Math.min(start + length, at + CHUNK));
    },
  };
}

/** All of a random-access source; fails if it changed size since it was opened. */
async function readWhole(source: RandomAccessSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  for await (const chunk of source.read(0, source.size)) {
    chunks.push(chunk);
    got += chunk.length;
  }
  if (got !== source.size) throw sourceChanged(source.description, `it ended after ${got} of ${source.size} bytes`);
  const changed = await source.changed?.();
  if (changed) throw sourceChanged(source.description, changed);
  return chunks.length === 1 ? chunks[0] : platform.concat(chunks, got);
}

/**
 * A file or a Blob read by ranges. Each range read checks, before its end, that it got all its
 * bytes and that the file did not change since it was opened: an upload body then fails before
 * its SHA-1 digits go out, instead of hanging short of its Content-Length or storing a mix.
 */
function randomAccess(source: RandomAccessSource, what: { path: string } | Blob): UploadSource {
  const checkUnchanged = async () => {
    const changed = await source.changed?.();
    if (changed) throw sourceChanged(source.description, changed);
  };
  return {
    size: source.size,
    sha1: undefined,
    description: source.description,
    async *read(start, length, into) {
      let got = 0;
      for await (const chunk of source.read(start, length, into)) {
        got += chunk.length;
        yield chunk;
      }
      if (got < length) throw sourceChanged(source.description, `it ended ${length - got} bytes short of byte ${start + length}`);
      await checkUnchanged();
    },
    checkUnchanged,
    async hashAhead(partSize, signal) {
      const hashed =
        platform.hashInWorker && source.size >= HASH_IN_WORKER
          ? await platform.hashInWorker(what, source.size, partSize, signal)
          : await hashHere(source, partSize, signal);
      if (hashed.bytes < source.size) throw sourceChanged(source.description, `it ended after ${hashed.bytes} of ${source.size} bytes`);
      return hashed;
    },
  };
}

/** `hashAhead` on the main thread: one pass, 1 MiB at a time into one buffer, the whole and each part. */
async function hashHere(source: RandomAccessSource, partSize: number, signal: AbortSignal): Promise<HashedAhead> {
  const whole = platform.createSha1();
  const partSha1s: string[] = [];
  let part = platform.createSha1();
  let inPart = 0;
  let bytes = 0;
  let buffer: Uint8Array | undefined;
  for await (let chunk of source.read(0, source.size, () => (buffer ??= new Uint8Array(CHUNK)))) {
    if (signal.aborted) throw new Error('aborted');
    whole.update(chunk);
    bytes += chunk.length;
    while (chunk.length > 0) {
      const piece = chunk.subarray(0, partSize - inPart);
      part.update(piece);
      inPart += piece.length;
      chunk = chunk.subarray(piece.length);
      if (inPart === partSize) {
        partSha1s.push(part.digest());
        part = platform.createSha1();
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || partSha1s.length === 0) partSha1s.push(part.digest());
  return { sha1: whole.digest(), partSha1s, bytes };
}

export function blobSource(blob: Blob): RandomAccessSource {
  return {
    size: blob.size,
    description: `Blob of ${blob.size} bytes`,
    async *read(start, length) {
      for (let at = start; at < start + length; at += CHUNK) {
        yield new Uint8Array(await blob.slice(at, Math.min(start + length, at + CHUNK)).arrayBuffer());
      }
    },
  };
}

/** A one-shot stream: readable once, in order, and exactly `size` bytes long. */
function streamSource(stream: AsyncIterable<Uint8Array>, size: number): UploadSource {
  let position = 0;
  let iterator: AsyncIterator<Uint8Array> | undefined;
  let carry: Uint8Array | undefined;
  return {
    size,
    sha1: undefined,
    oneShot: true,
    description: 'stream',
    async *read(start, length) {
      if (start !== position) {
        throw new B2Error({
          status: 0,
          code: 'stream_not_replayable',
          message: `a stream cannot be read again (an attempt failed after ${position} bytes were sent); upload from a file, a Blob or bytes to allow retries`,
        });
      }
      iterator ??= stream[Symbol.asyncIterator]();
      let remaining = length;
      while (remaining > 0) {
        let chunk = carry;
        carry = undefined;
        if (!chunk) {
          const next = await iterator.next();
          if (next.done) throw invalidArgument('contentLength', `the stream ended after ${position} bytes, before the ${size} declared`);
          chunk = next.value;
        }
        if (chunk.length > remaining) {
          carry = chunk.subarray(remaining);
          chunk = chunk.subarray(0, remaining);
        }
        remaining -= chunk.length;
        position += chunk.length;
        yield chunk;
      }
      if (position === size) {
        const extra = carry && carry.length > 0 ? { done: false, value: carry } : await iterator.next();
        if (!extra.done && extra.value.length > 0) throw invalidArgument('contentLength', `the stream is longer than the ${size} bytes declared`);
      }
    },
  };
}

/**
 * The bytes of [start, start+length) when they go in one write: in memory, their SHA-1 known and
 * at most one read chunk (progress has one step either way). Otherwise undefined: streamed.
 */
export function oneWriteBytes(source: UploadSource, start: number, length: number, knownSha1: string | undefined): Uint8Array | undefined {
  return knownSha1 && source.bytes && length <= CHUNK ? source.bytes.subarray(start, start + length) : undefined;
}

/**
 * The wire body for [start, start+length) of a source: the bytes, then — when the SHA-1 is not
 * known up front — its 40 hex digits, computed as the bytes go by (`hex_digits_at_end`).
 */
export function wireBody(source: UploadSource, start: number, length: number, knownSha1: string | undefined) {
  return {
    sha1Header: knownSha1 ?? 'hex_digits_at_end',
    length: knownSha1 ? length : length + 40,
    bytes: oneWriteBytes(source, start, length, knownSha1),
    async *open(): AsyncGenerator<Uint8Array> {
      // Each attempt reads into its own ring (allocated as first used): never reused after it ends,
      // when the transport may still hold its last chunks.
      const ring: Uint8Array[] = [];
      let turn = 0;
      const into = () => (ring[turn++ % RING] ??= new Uint8Array(CHUNK));
      if (knownSha1) {
        // A file part whose SHA-1 was computed ahead (large uploads): B2 checks it.
        yield* source.read(start, length, into);
        return;
      }
      const hash = platform.createSha1();
      for await (const chunk of source.read(start, length, into)) {
        // Hashed before the next read can reuse the memory.
        hash.update(chunk);
        yield chunk;
      }
      yield new TextEncoder().encode(hash.digest());
    },
  };
}
