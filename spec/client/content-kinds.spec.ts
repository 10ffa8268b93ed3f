/**
 * Every kind of contents `uploadFile` accepts round-trips byte-exact, or is refused with a typed
 * error: a property over content kind × size (around the large-file threshold, and several parts)
 * × contentLength given or not, against the emulator with tiny parts (so the large-file paths run
 * on a few KB), each upload downloaded and compared byte for byte and by SHA-1. Then one spec per
 * refusal: before any request (zero requests counted at the server), or, found mid-stream after
 * parts were sent, a typed failure that leaves nothing stored and no unfinished large file.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { toResponseBody, type B2, type B2Error, type B2UploadContents, type B2UploadEvent, type Bucket, type UploadFileOptions } from '../../src';
import { fuzz } from '../fuzz/support';
import { all, bucketName, bytes, client, countRequests, failure, sha1, startClientEmulator, TINY_PARTS, type Emu } from './support';

/** The client's default large-file threshold: the account's recommendedPartSize (2,000 bytes with TINY_PARTS). */
const THRESHOLD = TINY_PARTS.recommendedPartSize;
/** 0, 1, around the threshold, and four parts of the default part size (recommendedPartSize). */
const SIZES = [0, 1, THRESHOLD - 1, THRESHOLD, THRESHOLD + 1, 3 * THRESHOLD + 17];

/** What one run of the property draws: the content's text motif, a byte seed, and where chunks are cut. */
interface Draw {
  /** Code points repeated to make text (1- to 4-byte UTF-8, so 4-byte ones are surrogate pairs). */
  motif: string[];
  seed: number;
  /** Chunk lengths, used in turn. */
  cuts: number[];
  /** Per chunk, how a mixed stream presents it (string, Buffer, Uint8Array, view at an offset). */
  forms: number[];
}

const codePoint = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
);
const drawArb: fc.Arbitrary<Draw> = fc.record({
  motif: fc.array(
    codePoint.map((c) => String.fromCodePoint(c)),
    { minLength: 1, maxLength: 40 },
  ),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  cuts: fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 }),
  forms: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
});

/** Text whose UTF-8 is exactly `size` bytes: the motif over and over, topped up with ASCII. */
function textOf(size: number, motif: string[]): string {
  let text = '';
  let used = 0;
  for (let i = 0; ; i++) {
    const c = motif[i % motif.length];
    const n = Buffer.byteLength(c);
    if (used + n > size) break;
    text += c;
    used += n;
  }
  return text + 'z'.repeat(size - used);
}

/** `items` cut into pieces of the drawn lengths, in turn (at least one piece, even when empty). */
function cut<T extends { length: number; slice(a: number, b: number): T }>(items: T, cuts: number[]): T[] {
  const out: T[] = [];
  for (let at = 0, i = 0; at < items.length; i++) {
    const n = cuts[i % cuts.length];
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

/** A copy of `data` as a view at a non-zero offset inside a bigger buffer, with other bytes around it. */
function viewOf(data: Uint8Array): Uint8Array {
  const backing = new Uint8Array(data.length + 11).fill(0xee);
  backing.set(data, 7);
  const view = backing.subarray(7, 7 + data.length);
  expect(view.byteOffset).toBe(7);
  return view;
}

async function* yieldAll<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

function webStream<T>(items: T[]): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>({
    pull(controller) {
      if (i < items.length) controller.enqueue(items[i++]);
      else controller.close();
    },
  });
}

interface Kind {
  name: string;
  /** Makes the contents from the drawn values; resolves them with the bytes they must store. */
  make(size: number, draw: Draw, dir: string): Promise<{ contents: B2UploadContents; expected: Buffer }>;
}

/** Bytes of `size` from the draw's seed. */
const binary = (size: number, draw: Draw) => bytes(size, draw.seed);
/** Text of `size` UTF-8 bytes from the draw's motif, with those bytes. */
const text = (size: number, draw: Draw) => {
  const t = textOf(size, draw.motif);
  return { text: t, utf8: Buffer.from(t, 'utf8') };
};

const KINDS: Kind[] = [
  { name: 'a string', make: async (size, d) => ({ contents: text(size, d).text, expected: text(size, d).utf8 }) },
  { name: 'a Buffer', make: async (size, d) => ({ contents: binary(size, d), expected: binary(size, d) }) },
  {
    name: 'a plain Uint8Array',
    make: async (size, d) => ({ contents: new Uint8Array(binary(size, d)), expected: binary(size, d) }),
  },
  { name: 'a Uint8Array view at an offset', make: async (size, d) => ({ contents: viewOf(binary(size, d)), expected: binary(size, d) }) },
  { name: 'a Blob', make: async (size, d) => ({ contents: new Blob(cut(binary(size, d), d.cuts)), expected: binary(size, d) }) },
  {
    name: 'a file { path }',
    make: async (size, d, dir) => {
      const path = join(dir, `file-${size}-${d.seed}`);
      await writeFile(path, binary(size, d));
      return { contents: { path }, expected: binary(size, d) };
    },
  },
  { name: 'a Readable of Buffers', make: async (size, d) => ({ contents: Readable.from(cut(binary(size, d), d.cuts)), expected: binary(size, d) }) },
  {
    // Cut anywhere, surrogate pairs included: the bytes are those of the text joined.
    name: 'a Readable of strings',
    make: async (size, d) => ({ contents: Readable.from(cut(text(size, d).text, d.cuts)), expected: text(size, d).utf8 }),
  },
  {
    // Bytes cut mid-character, decoded by the stream itself.
    name: 'a Readable with setEncoding("utf8")',
    make: async (size, d) => {
      const { utf8 } = text(size, d);
      const stream = Readable.from(cut(utf8, d.cuts), { objectMode: false });
      stream.setEncoding('utf8');
      return { contents: stream, expected: utf8 };
    },
  },
  {
    name: 'createReadStream(path, "utf8")',
    make: async (size, d, dir) => {
      const { utf8 } = text(size, d);
      const path = join(dir, `text-${size}-${d.seed}`);
      await writeFile(path, utf8);
      return { contents: createReadStream(path, { encoding: 'utf8', highWaterMark: d.cuts[0] }), expected: utf8 };
    },
  },
  {
    // Text cut between code points, each piece sent as a string, a Buffer, a Uint8Array or a view at an offset.
    name: 'a generator of mixed strings, Buffers and Uint8Arrays',
    make: async (size, d) => {
      const { text: t, utf8 } = text(size, d);
      const pieces = cut(Array.from(t), d.cuts).map((chars) => chars.join(''));
      const chunks = pieces.map((piece, i) => {
        const form = d.forms[i % d.forms.length];
        if (form === 0) return piece;
        const b = Buffer.from(piece, 'utf8');
        return form === 1 ? b : form === 2 ? new Uint8Array(b) : viewOf(b);
      });
      return { contents: yieldAll(chunks), expected: utf8 };
    },
  },
  {
    name: 'a generator of Uint8Array views at offsets',
    make: async (size, d) => ({ contents: yieldAll(cut(binary(size, d), d.cuts).map(viewOf)), expected: binary(size, d) }),
  },
  {
    name: 'a web ReadableStream of bytes',
    make: async (size, d) => ({ contents: webStream(cut(binary(size, d), d.cuts).map((b) => new Uint8Array(b))), expected: binary(size, d) }),
  },
  {
    // A web stream of text: bytes decoded by a TextDecoderStream.
    name: 'a web ReadableStream of strings',
    make: async (size, d) => {
      const { utf8 } = text(size, d);
      const decoded = webStream(cut(utf8, d.cuts).map((b) => new Uint8Array(b))).pipeThrough(new TextDecoderStream());
      return { contents: decoded, expected: utf8 };
    },
  },
];

describe('content kinds', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  let dir: string;
  let serial = 0;

  beforeAll(async () => {
    emu = await startClientEmulator(TINY_PARTS);
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('kinds')));
    dir = await mkdtemp(join(tmpdir(), 'rxb2-kinds-'));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function stored(fileName: string): Promise<Buffer> {
    const file = await firstValueFrom(bucket.getFile({ name: fileName }));
    const done = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    return Buffer.from(done.data);
  }

  describe('round-trip byte-exact, with contentLength given or not', () => {
    for (const kind of KINDS) {
      it(`${kind.name}: sizes ${SIZES.join(', ')}`, async () => {
        for (const size of SIZES) {
          for (const known of [true, false]) {
            await fc.assert(
              fc.asyncProperty(drawArb, async (draw) => {
                const { contents, expected } = await kind.make(size, draw, dir);
                expect(expected.length).toBe(size);
                const fileName = `rt/${serial++}`;
                const what = `${kind.name}, ${size} bytes, contentLength ${known ? 'given' : 'not given'}`;
                const events = await all(bucket.uploadFile({ fileName, contents, contentLength: known ? size : undefined }));
                const file = (events.at(-1) as Extract<B2UploadEvent, { type: 'response' }>).body;
                expect(file.contentLength).withContext(what).toBe(size);
                // Above the threshold a large file (several parts), otherwise one request.
                expect(events.some((e) => e.type === 'largeFileStarted'))
                  .withContext(what)
                  .toBe(size > THRESHOLD);
                const back = await stored(fileName);
                expect(sha1(back)).withContext(what).toBe(sha1(expected));
                expect(back.equals(expected)).withContext(what).toBeTrue();
              }),
              fuzz(3),
            );
          }
        }
      }, 120_000);
    }
  });

  describe('refused before any request: invalid_argument naming the option', () => {
    beforeEach(async () => {
      await firstValueFrom(b2.authorize());
    });

    async function refused(options: Omit<UploadFileOptions, 'fileName'>, field: string, large = false): Promise<B2Error> {
      const fileName = `refused/${serial++}`;
      const count = countRequests(emu);
      const run = large ? bucket.uploadLargeFile({ fileName, ...options }) : bucket.uploadFile({ fileName, ...options });
      const err = await failure(run);
      expect(count()).withContext(err.message).toBe(0);
      expect([err.code, err.field, err.status]).withContext(err.message).toEqual(['invalid_argument', field, 0]);
      expect(err.message.startsWith(`${field}: `)).toBeTrue();
      expect(await all(bucket.listFileVersions({ prefix: fileName }))).toEqual([]);
      return err;
    }

    const badStreams: Array<[string, () => B2UploadContents, string]> = [
      ['an object-mode Readable of numbers', () => Readable.from([1, 2, 3]) as unknown as B2UploadContents, 'a number'],
      ['an object-mode Readable of objects', () => Readable.from([{ bytes: 'abc' }]) as unknown as B2UploadContents, 'an Object'],
      ['a generator yielding null', () => yieldAll<unknown>([null, Buffer.from('ab')]) as B2UploadContents, 'null'],
      ['a generator yielding an ArrayBuffer', () => yieldAll<unknown>([new ArrayBuffer(4)]) as B2UploadContents, 'an ArrayBuffer'],
      ['a generator yielding an Int16Array', () => yieldAll<unknown>([new Int16Array(2)]) as B2UploadContents, 'an Int16Array'],
      ['a generator yielding a DataView', () => yieldAll<unknown>([new DataView(new ArrayBuffer(2))]) as B2UploadContents, 'a DataView'],
      ['a web ReadableStream of numbers', () => webStream<unknown>([7]) as B2UploadContents, 'a number'],
    ];
    for (const [name, make, what] of badStreams) {
      for (const contentLength of [undefined, 3, 3 * THRESHOLD]) {
        it(`${name}, contentLength ${contentLength ?? 'not given'}`, async () => {
          // Its first chunk is read before any request, whatever the size declared.
          const err = await refused({ contents: make(), contentLength }, 'contents');
          expect(err.message).toContain(`chunk 1 of the stream is ${what};`);
        });
      }
    }

    it('a bad chunk after good ones but within the threshold (no contentLength) is found before any request', async () => {
      const err = await refused({ contents: yieldAll<unknown>([bytes(900, 3), 'text', bytes(900, 4), new Float32Array(1)]) as B2UploadContents }, 'contents');
      expect(err.message).toContain('chunk 4 of the stream is a Float32Array');
    });

    it('uploadLargeFile: a stream of numbers is refused before the large file starts', async () => {
      await refused({ contents: Readable.from([1]) as unknown as B2UploadContents }, 'contents', true);
      await refused({ contents: Readable.from([1]) as unknown as B2UploadContents, contentLength: 1 }, 'contents', true);
    });

    it('a Node stream decoding its bytes as hex, base64 or latin1 text (its text is not its bytes)', async () => {
      const path = join(dir, 'encoded.bin');
      await writeFile(path, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      for (const encoding of ['hex', 'base64', 'latin1'] as const) {
        const err = await refused({ contents: createReadStream(path, encoding) }, 'contents');
        expect(err.message).toContain(`as ${encoding} text`);
        const decoded = Readable.from([Buffer.from('abc')], { objectMode: false }).setEncoding(encoding);
        await refused({ contents: decoded, contentLength: 3 }, 'contents');
      }
    });

    it('contents that are no kind of contents', async () => {
      for (const contents of [42, null, new ArrayBuffer(3), [Buffer.from('a')], {}, { path: 7 }, new Int8Array(2)]) {
        await refused({ contents: contents as unknown as B2UploadContents }, 'contents');
      }
    });

    it('a contentLength other than the size of a string, bytes, a Blob or a file', async () => {
      const path = join(dir, 'five.bin');
      await writeFile(path, 'fives');
      // 'é' is one character but two UTF-8 bytes: the count is of bytes.
      await refused({ contents: 'é', contentLength: 1 }, 'contentLength');
      await refused({ contents: Buffer.from('abc'), contentLength: 4 }, 'contentLength');
      await refused({ contents: viewOf(Buffer.from('abc')), contentLength: 11 }, 'contentLength');
      await refused({ contents: new Blob(['abc']), contentLength: 2 }, 'contentLength');
      await refused({ contents: { path }, contentLength: 4 }, 'contentLength');
      await refused({ contents: bytes(THRESHOLD + 5), contentLength: THRESHOLD + 6 }, 'contentLength', true);
    });

    it('a stream whose first read already contradicts its contentLength: empty for 5 bytes, anything for 0', async () => {
      await refused({ contents: yieldAll<Uint8Array>([]), contentLength: 5 }, 'contentLength');
      await refused({ contents: webStream<Uint8Array>([]), contentLength: THRESHOLD * 3 }, 'contentLength');
      await refused({ contents: Readable.from(['x']), contentLength: 0 }, 'contentLength');
    });
  });

  describe('found mid-stream: a typed failure, nothing stored, no unfinished large file', () => {
    /** Runs an upload expected to fail after sending; returns the error and the requests of `call` it made. */
    async function failsAfterSending(upload: (fileName: string) => Observable<unknown>, call: string): Promise<{ err: B2Error; sent: number }> {
      const fileName = `mid/${serial++}`;
      const count = countRequests(emu, call);
      const err = await failure(upload(fileName));
      // listFileVersions lists unfinished large files too: a cancelled one is gone.
      expect(await all(bucket.listFileVersions({ prefix: fileName }))).toEqual([]);
      return { err, sent: count() };
    }

    it('a bad chunk after parts were sent (contentLength not given): the large file is cancelled', async () => {
      const chunks: unknown[] = [bytes(3 * THRESHOLD, 5), 'more text', { not: 'bytes' }];
      const { err, sent } = await failsAfterSending(
        (fileName) => bucket.uploadFile({ fileName, contents: yieldAll(chunks) as B2UploadContents, concurrency: 1 }),
        'b2_upload_part',
      );
      expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
      expect(err.message).toContain('chunk 3 of the stream is an Object');
      expect(sent).toBeGreaterThan(0);
    });

    it('a bad chunk after parts were sent (contentLength given): the large file is cancelled', async () => {
      const chunks: unknown[] = [bytes(3 * THRESHOLD, 6), 17, bytes(100, 7)];
      const contentLength = 3 * THRESHOLD + 100;
      const { err, sent } = await failsAfterSending(
        (fileName) => bucket.uploadFile({ fileName, contents: yieldAll(chunks) as B2UploadContents, contentLength, concurrency: 1 }),
        'b2_upload_part',
      );
      expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
      expect(sent).toBeGreaterThan(0);
    });

    it('a bad chunk in a small stream of given length, found while its body is sent', async () => {
      const { err, sent } = await failsAfterSending(
        (fileName) => bucket.uploadFile({ fileName, contents: yieldAll<unknown>([bytes(500, 8), 9]) as B2UploadContents, contentLength: 1000 }),
        'b2_upload_file',
      );
      expect([err.code, err.field]).toEqual(['invalid_argument', 'contents']);
      expect(sent).toBe(1);
    });

    for (const [name, actual] of [
      ['shorter', 3 * THRESHOLD - 5],
      ['longer', 3 * THRESHOLD + 5],
    ] as const) {
      it(`a large stream ${name} than its contentLength fails on contentLength; the large file is cancelled`, async () => {
        const contentLength = 3 * THRESHOLD;
        const { err, sent } = await failsAfterSending(
          (fileName) => bucket.uploadFile({ fileName, contents: Readable.from(cut(bytes(actual, 9), [700])), contentLength, concurrency: 1 }),
          'b2_upload_part',
        );
        expect([err.code, err.field]).toEqual(['invalid_argument', 'contentLength']);
        expect(sent).toBeGreaterThan(0);
      });
    }

    it('a stream with an empty chunk before its surplus is still longer than its contentLength', async () => {
      const { err } = await failsAfterSending(
        (fileName) => bucket.uploadFile({ fileName, contents: yieldAll([Buffer.from('abc'), new Uint8Array(0), 'd']), contentLength: 3 }),
        'b2_upload_file',
      );
      expect([err.code, err.field]).toEqual(['invalid_argument', 'contentLength']);
    });
  });
});
