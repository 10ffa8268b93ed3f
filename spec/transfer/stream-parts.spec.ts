/**
 * A stream's chunks become bytes in one place (`streamBytes`); `peekStream` and `StreamParts` read
 * what it gives. These specs drive them directly: text as UTF-8 (surrogate pairs split between
 * chunks joined), bytes as they are, empty chunks dropped, any other chunk refused as soon as it
 * is read (and nothing past it), web streams read through their reader and cancelled when left.
 */
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { B2Error } from '../../src/http/b2-error';
import { StreamParts, peekStream } from '../../src/transfer/stream-parts';
import { openUploadSource, streamBytes, type B2UploadStream } from '../../src/transfer/upload-source';
import { bytes } from '../client/support';
import { fuzz } from '../fuzz/support';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

const joined = (chunks: Uint8Array[]) => Buffer.concat(chunks);

async function* yieldAll<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** A generator of `items` that counts how many were pulled. */
function counted(items: unknown[]): { stream: B2UploadStream; pulled: () => number } {
  let pulled = 0;
  async function* gen() {
    for (const item of items) {
      pulled++;
      yield item;
    }
  }
  return { stream: gen() as B2UploadStream, pulled: () => pulled };
}

async function rejection(promise: Promise<unknown>): Promise<B2Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(B2Error);
    return err as B2Error;
  }
  throw new Error('expected a rejection');
}

describe('streamBytes: the one place stream chunks become bytes', () => {
  it('passes bytes through as they are (views at an offset included) and encodes text as UTF-8', async () => {
    const backing = Buffer.from('xxHELLOxx');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 5);
    const buffer = Buffer.from([0xff, 0x00]);
    const chunks = await collect(streamBytes(Readable.from(['héllo ', view, buffer, '✓'])));
    expect(chunks[1]).toBe(view);
    expect(chunks[2]).toBe(buffer);
    expect(joined(chunks)).toEqual(Buffer.concat([Buffer.from('héllo '), Buffer.from('HELLO'), buffer, Buffer.from('✓')]));
  });

  it('joins a surrogate pair split between two text chunks: the bytes are those of the text joined', async () => {
    const text = 'a😀b𝄞';
    for (let cut = 0; cut <= text.length; cut++) {
      const chunks = await collect(streamBytes(Readable.from([text.slice(0, cut), text.slice(cut)])));
      expect(joined(chunks)).withContext(`cut at ${cut}`).toEqual(Buffer.from(text, 'utf8'));
    }
    // Split over three chunks, the low half alone in the middle one.
    expect(joined(await collect(streamBytes(Readable.from(['\ud83d', '\ude00', '!']))))).toEqual(Buffer.from('😀!'));
  });

  it('(property) any mix of text and bytes chunks: the bytes of each run of text joined, as UTF-8, then each bytes chunk', async () => {
    const surrogate = fc.constantFrom('\ud83d', '\ude00', '\udbff', '\udc00', 'a\ud83d', '\ude00b');
    const chunk = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), surrogate, fc.uint8Array({ maxLength: 8 }));
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 12 }), async (chunks) => {
        // The oracle: consecutive strings joined, then encoded by Node's own UTF-8 encoder.
        const expected: Buffer[] = [];
        let run = '';
        for (const c of chunks) {
          if (typeof c === 'string') run += c;
          else {
            expected.push(Buffer.from(run, 'utf8'), Buffer.from(c));
            run = '';
          }
        }
        expected.push(Buffer.from(run, 'utf8'));
        const got = await collect(streamBytes(yieldAll(chunks)));
        expect(joined(got)).toEqual(Buffer.concat(expected));
        expect(got.every((c) => c.length > 0)).toBeTrue();
      }),
      fuzz(500),
    );
  });

  it('a high surrogate with no low half (at the end, or before bytes) is sent as U+FFFD, as TextEncoder does', async () => {
    expect(joined(await collect(streamBytes(Readable.from(['a\ud83d']))))).toEqual(Buffer.from('a\ufffd'));
    expect(joined(await collect(streamBytes(Readable.from(['a\ud83d', Buffer.from('z')]))))).toEqual(Buffer.from('a\ufffdz'));
  });

  it('drops empty chunks', async () => {
    const chunks = await collect(streamBytes(Readable.from(['', new Uint8Array(0), 'a', Buffer.alloc(0)])));
    expect(chunks.map((c) => c.length)).toEqual([1]);
  });

  it('refuses a chunk of neither bytes nor text as soon as it is read, naming contents, and reads nothing past it', async () => {
    for (const bad of [5, null, undefined, {}, [1, 2], new ArrayBuffer(2), new Uint16Array(1), new DataView(new ArrayBuffer(1)), true]) {
      const { stream, pulled } = counted([Buffer.from('ab'), 'cd', bad, 'never']);
      const seen: Uint8Array[] = [];
      const err = await rejection(
        (async () => {
          for await (const c of streamBytes(stream)) seen.push(c);
        })(),
      );
      expect([err.code, err.field, err.status]).toEqual(['invalid_argument', 'contents', 0]);
      expect(err.message).toMatch(/^contents: chunk 3 of the stream is (null|an? \S+); a stream's chunks must be bytes/);
      expect(joined(seen)).toEqual(Buffer.from('abcd'));
      expect(pulled()).toBe(3);
    }
  });

  it('refuses a Node stream decoding as text of another encoding than UTF-8 before reading it', async () => {
    for (const encoding of ['hex', 'base64', 'latin1', 'utf16le'] as const) {
      let read = 0;
      const stream = new Readable({
        read() {
          read++;
          this.push(null);
        },
      }).setEncoding(encoding);
      const err = await rejection(collect(streamBytes(stream)));
      expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
      expect(err.message).toContain(`as ${encoding} text`);
      expect(read).toBe(0);
    }
    const utf8 = Readable.from([Buffer.from('é')], { objectMode: false }).setEncoding('utf8');
    expect(joined(await collect(streamBytes(utf8)))).toEqual(Buffer.from('é'));
  });

  it('reads a web stream through its reader, also one without Symbol.asyncIterator (as in some browsers)', async () => {
    const web = new ReadableStream<string | Uint8Array>({
      start(controller) {
        controller.enqueue('ab');
        controller.enqueue(new Uint8Array([0x63]));
        controller.close();
      },
    });
    // Only getReader: what a browser without async iteration of streams offers.
    const readerOnly = { getReader: () => web.getReader() } as unknown as ReadableStream<string | Uint8Array>;
    expect(joined(await collect(streamBytes(readerOnly)))).toEqual(Buffer.from('abc'));
    expect(web.locked).toBeFalse();
  });

  it('cancels a web stream whose reading stops early (a refused chunk), and releases its lock', async () => {
    let cancelled: unknown = 'not cancelled';
    let i = 0;
    const web = new ReadableStream<unknown>({
      pull(controller) {
        controller.enqueue(i++ === 0 ? 'ok' : 42);
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const err = await rejection(collect(streamBytes(web as ReadableStream<string>)));
    expect(err.field).toBe('contents');
    expect(cancelled).toBeUndefined();
    expect(web.locked).toBeFalse();
  });

  it('destroys a Node stream refused mid-way', async () => {
    const stream = Readable.from(['a', 7, 'b']);
    await rejection(collect(streamBytes(stream as B2UploadStream)));
    expect(stream.destroyed).toBeTrue();
  });
});

describe('peekStream and StreamParts over text and mixed chunks', () => {
  it('peeks the head of a stream of strings as bytes, then gives the whole stream again', async () => {
    const text = 'ü'.repeat(700) + 'tail';
    const chunks = text.match(/.{1,99}/gsu)!;
    const { head, ended, whole } = await peekStream(Readable.from(chunks), 1000);
    expect(ended).toBeFalse();
    expect(head.length).toBeGreaterThan(1000);
    expect(Buffer.from(head)).toEqual(Buffer.from(text).subarray(0, head.length));
    expect(joined(await collect(whole))).toEqual(Buffer.from(text));
  });

  it('a stream of strings that ends within the limit is its head', async () => {
    const { head, ended } = await peekStream(Readable.from(['ab', 'ç']), 1000);
    expect(ended).toBeTrue();
    expect(Buffer.from(head)).toEqual(Buffer.from('abç'));
  });

  it('refuses a bad chunk within the head, before any part is read', async () => {
    const err = await rejection(peekStream(Readable.from([Buffer.alloc(10), { a: 1 }]) as B2UploadStream, 1000));
    expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
  });

  it('cuts parts of exact size from mixed chunks (the stream that failed with "chunk.subarray is not a function")', async () => {
    const data = bytes(5000, 3);
    const mixed: Array<string | Uint8Array> = [];
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = 1 + ((i * 37) % 300);
      const piece = data.subarray(at, at + n);
      // Bytes below 0x80 are one-byte UTF-8: send those pieces as text.
      mixed.push(piece.every((b) => b < 0x80) ? piece.toString('latin1') : i % 2 ? piece : new Uint8Array(piece));
      at += n;
    }
    const ascii = Buffer.from(Array.from({ length: 4500 }, (_, i) => 0x20 + (i % 90)));
    const stream = Readable.from([...mixed, ...ascii.toString('latin1').match(/.{1,250}/gs)!]);
    const expected = Buffer.concat([data, ascii]);
    const { whole } = await peekStream(stream, 2000);
    const parts = new StreamParts(whole, 2000);
    const got: Uint8Array[] = [];
    for (let n = 1; ; n++) {
      const part = await parts.read({ partNumber: n, offset: (n - 1) * 2000, length: 2000 });
      got.push(part);
      if (part.length < 2000) break;
    }
    expect(got.map((p) => p.length)).toEqual([2000, 2000, 2000, 2000, 1500]);
    expect(joined(got)).toEqual(expected);
  });
});

describe('openUploadSource of a stream of given length', () => {
  it('reads its first chunk up front: a first chunk of neither bytes nor text is refused there, and the stream destroyed', async () => {
    const stream = Readable.from([{ not: 'bytes' }]);
    const err = await rejection(openUploadSource(stream as B2UploadStream, 10));
    expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
    expect(stream.destroyed).toBeTrue();
  });

  it('refuses at its first read a stream that is empty though declared longer, or not empty though declared empty', async () => {
    const empty = await rejection(openUploadSource(Readable.from([]), 10));
    expect([empty.field, empty.message]).toEqual(['contentLength', 'contentLength: the stream is empty, not the 10 bytes declared']);
    const nonEmpty = Readable.from(['x']);
    const longer = await rejection(openUploadSource(nonEmpty, 0));
    expect(longer.field).toBe('contentLength');
    expect(nonEmpty.destroyed).toBeTrue();
  });

  it('gives the stream as bytes, text encoded, exactly the length declared', async () => {
    const source = await openUploadSource(Readable.from(['dé', Buffer.from('f')]), 4);
    expect(joined(await collect(source.read(0, 4)))).toEqual(Buffer.from('déf'));
  });
});
