/**
 * What an upload reads from: bytes in memory, a file, a Blob, or a one-shot stream, behind one
 * shape. Files, Blobs and streams are hashed as they are sent (`hex_digits_at_end`), so each byte
 * is read and hashed once; bytes in memory, and files up to 1 MiB (read whole), are hashed up front.
 * A stream's chunks become bytes in one place, `streamBytes`: text is encoded as UTF-8, anything
 * that is neither bytes nor text is refused as soon as it is read.
 * A large upload of a file or a Blob hashes it ahead too (`hashAhead`), for `large_file_sha1`.
 *
 * A file that changes while it is read fails the upload with `source_changed`: a read that runs
 * short of the planned length, or a size, modification time or inode that differs at the end of
 * a read from when the file was opened. Both are checked before the body's last byte (the SHA-1
 * digits at its end) goes out, so B2 never stores what was read.
 */
import { platform, type HashedAhead, type RandomAccessSource } from '../platform';
import { B2Error, invalidArgument } from '../http/b2-error';

/**
 * A stream of upload contents: any async iterable (a Node Readable, also in object mode or with
 * `setEncoding('utf8')`; an async generator) or a web ReadableStream. Its chunks are bytes
 * (Uint8Array; a Buffer is one) or text (string, sent as UTF-8), in any mix.
 */
export type B2UploadStream = AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array | string>;

/**
 * A file to upload. With `expect` (its size and modification time as the caller last saw it, e.g. a
 * sync's walk), the upload fails with `source_changed` before any request if the file differs when
 * it is opened: the file read is the one the caller decided on, and whatever changes it later is
 * caught by the upload's own check (size, modification time, inode) before the body ends.
 */
export interface B2UploadFile {
  /** The file's path (Node); one that cannot be opened is `invalid_argument` naming `contents.path`. */
  path: string;
  /** The file as the caller saw it (whole numbers ≥ 0, else `invalid_argument` naming `contents.expect`). */
  expect?: {
    /** Its size in bytes. */
    size: number;
    /** Its modification time in whole milliseconds since the epoch. */
    modifiedMillis: number;
  };
}

/** Upload contents: bytes, text (UTF-8), `{ path }` of a file, a Blob, or a stream of bytes and/or text. */
export type B2UploadContents = Uint8Array | string | B2UploadFile | Blob | B2UploadStream;

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

/**
 * Resolves contents into a source; a stream needs its `contentLength` here (one of unknown length
 * goes through `peekStream`). A given `contentLength` must be the contents' exact size. Runs at
 * subscribe time, before any request: a stream's first chunk is read now, so a stream of neither
 * bytes nor text, or one ending before its declared length at its first read, is refused up front.
 */
export async function openUploadSource(contents: B2UploadContents, contentLength?: number): Promise<UploadSource> {
  if (typeof contents === 'string' || contents instanceof Uint8Array) return openBytesSource(contents, contentLength);
  if (isUploadStream(contents)) {
    if (contentLength === undefined || !Number.isSafeInteger(contentLength) || contentLength < 0) {
      throw invalidArgument('contentLength', 'a stream upload needs its exact byte count (contentLength)');
    }
    const chunks = streamBytes(contents);
    try {
      return streamSource(chunks, await chunks.next(), contentLength);
    } catch (err) {
      // Refused at its first read: let the stream go (a Node Readable is destroyed).
      await chunks.return();
      throw err;
    }
  }
  return checkedLength(await openRandomAccess(contents), contentLength);
}

async function openRandomAccess(contents: B2UploadContents): Promise<UploadSource> {
  if (typeof Blob !== 'undefined' && contents instanceof Blob) return randomAccess(blobSource(contents), contents);
  if (isPathContents(contents)) {
    const expected = contents.expect;
    if (expected !== undefined) {
      if (typeof expected !== 'object' || expected === null || !isWhole(expected.size) || !isWhole(expected.modifiedMillis)) {
        throw invalidArgument('contents.expect', 'must be { size, modifiedMillis }, whole numbers ≥ 0');
      }
    }
    try {
      const file = await platform.openFile(contents.path);
      if (expected !== undefined) {
        if (file.size !== expected.size) throw sourceChanged(file.description, `${expected.size} bytes expected, ${file.size} when opened`);
        if (file.modifiedMillis !== undefined && file.modifiedMillis !== expected.modifiedMillis) throw sourceChanged(file.description, 'modified since it was looked at');
      }
      // A small file is read whole: hashed up front and sent in one write, which costs far less
      // than a stream per request (and a retry resends the same snapshot).
      return file.size <= SMALL_FILE ? bytesSource(await readWhole(file), file.description) : randomAccess(file, contents);
    } catch (err) {
      if (err instanceof B2Error) throw err;
      throw invalidArgument('contents.path', `cannot read ${contents.path}: ${(err as Error).message}`);
    }
  }
  throw invalidArgument('contents', `expected a Uint8Array/Buffer, a string, { path }, a Blob or a stream of bytes or text; got ${describe(contents)}`);
}

/** Bytes or text (UTF-8) in memory: opened synchronously. A given `contentLength` must be their size. */
export function openBytesSource(contents: Uint8Array | string, contentLength?: number): UploadSource {
  const source = typeof contents === 'string' ? bytesSource(new TextEncoder().encode(contents), 'text') : bytesSource(contents, 'bytes');
  return checkedLength(source, contentLength);
}

/** The source, when `contentLength` is not given or is its size (for text, the UTF-8 byte count). */
function checkedLength(source: UploadSource, contentLength: number | undefined): UploadSource {
  if (contentLength === undefined || contentLength === source.size) return source;
  throw invalidArgument('contentLength', `${describeNumber(contentLength)} given, but the contents (${source.description}) are ${source.size} bytes`);
}

const isWhole = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function isPathContents(value: unknown): value is B2UploadFile {
  return typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string' && !isUploadStream(value);
}

/** Whether contents are a stream: an async iterable (a Node Readable, a generator) or a web ReadableStream. */
export function isUploadStream(value: unknown): value is B2UploadStream {
  return typeof value === 'object' && value !== null && (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || isWebStream(value));
}

/** A web ReadableStream (or a polyfill of one): read through its reader, which every browser has. */
function isWebStream(value: object): value is ReadableStream<unknown> {
  return typeof (value as ReadableStream<unknown>).getReader === 'function';
}

/**
 * The bytes of a stream of upload contents: the one place its chunks are turned into bytes.
 * Uint8Arrays (Buffers, views at any offset) pass as they are; text is encoded as UTF-8 (a
 * surrogate pair split between two text chunks is joined first, so the bytes are those of the
 * text joined); empty chunks are dropped. Any other chunk (a number or an object from an
 * object-mode stream, an ArrayBuffer, null) fails the reading with invalid_argument on
 * `contents` as soon as it is read, and so does a Node stream decoding its bytes into text of
 * another encoding than UTF-8 (`setEncoding('hex')`: its text is not its bytes).
 */
export async function* streamBytes(stream: B2UploadStream): AsyncGenerator<Uint8Array, void, undefined> {
  const encoding = (stream as { readableEncoding?: unknown }).readableEncoding;
  if (typeof encoding === 'string' && !/^utf-?8$/i.test(encoding)) {
    throw invalidArgument(
      'contents',
      `the stream decodes its bytes as ${encoding} text, which would be sent re-encoded as UTF-8, not as the bytes read; remove setEncoding (or the encoding option) to upload the bytes`,
    );
  }
  const encoder = new TextEncoder();
  /** A high surrogate that ended the last text chunk, waiting for its low half. */
  let pending = '';
  let index = 0;
  for await (const chunk of isWebStream(stream) ? webStreamChunks(stream) : (stream as AsyncIterable<unknown>)) {
    index++;
    if (typeof chunk === 'string') {
      let text = pending + chunk;
      pending = '';
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        pending = text.slice(-1);
        text = text.slice(0, -1);
      }
      if (text.length > 0) yield encoder.encode(text);
    } else if (chunk instanceof Uint8Array) {
      if (pending) yield encoder.encode(pending);
      pending = '';
      if (chunk.length > 0) yield chunk;
    } else {
      throw invalidArgument('contents', `chunk ${index} of the stream is ${describe(chunk)}; a stream's chunks must be bytes (Uint8Array, Buffer) or text (string)`);
    }
  }
  if (pending) yield encoder.encode(pending);
}

/** A web ReadableStream's chunks through its reader; cancelled when the reading stops early. */
async function* webStreamChunks<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** What a value is, for messages (never its contents). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  const name = typeof value === 'object' ? (value as object).constructor?.name || 'object' : typeof value;
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describe(value);
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
        (platform.hashInWorker && source.size >= HASH_IN_WORKER ? await platform.hashInWorker(what, source.size, partSize, signal) : undefined) ??
        (await hashHere(source, partSize, signal));
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
      // One stream per range: an arrayBuffer() per 1 MiB slice costs the browser a round trip to
      // its blob store each, and reads several times slower (see bench/README.md).
      // Left early (the upload stopped), webStreamChunks cancels the rest of the range.
      for await (const chunk of webStreamChunks(blob.slice(start, start + length).stream())) {
        if (chunk.length > 0) yield chunk;
      }
    },
  };
}

/**
 * A one-shot stream of `size` bytes, its first chunk (`first`) already read: readable once, in
 * order. A stream ending before `size` bytes, or going on past them, fails the read with
 * invalid_argument on `contentLength` (before any request when its first read shows it).
 */
function streamSource(chunks: AsyncIterator<Uint8Array, void>, first: IteratorResult<Uint8Array, void>, size: number): UploadSource {
  if (first.done && size > 0) throw invalidArgument('contentLength', `the stream is empty, not the ${size} bytes declared`);
  if (!first.done && size === 0) throw invalidArgument('contentLength', 'the stream is longer than the 0 bytes declared');
  let position = 0;
  let carry: Uint8Array | undefined = first.done ? undefined : first.value;
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
      let remaining = length;
      while (remaining > 0) {
        let chunk = carry;
        carry = undefined;
        if (!chunk) {
          const next = await chunks.next();
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
      // streamBytes drops empty chunks: any chunk past the declared length is surplus.
      if (position === size && (carry || !(await chunks.next()).done)) {
        throw invalidArgument('contentLength', `the stream is longer than the ${size} bytes declared`);
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
