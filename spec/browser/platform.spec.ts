/**
 * The browser platform's pieces that run anywhere (it uses no Node built-ins): both its SHA-1s
 * (WebAssembly, and JavaScript until that is compiled) and MD5 against published vectors and
 * node:crypto, base64, upload bodies as Blobs, download bodies from a web ReadableStream, and the
 * clear errors for what needs a file system.
 */
import { createHash, randomBytes } from 'node:crypto';
import { localIoError } from '../../src/http/b2-error';
import { axiosPlatform } from '../../src/http/browser-axios';
import { createJsSha1, platform, sha1Compiled } from '../../src/platform/browser';
import { NotSupportedError } from '../../src/platform/platform';
import { readFileSync } from 'node:fs';
import { GENERATED, renderHashWasmSha1 } from './write-hash-wasm-sha1';

const ascii = (text: string) => new TextEncoder().encode(text);

async function rejection(promise: Promise<unknown>): Promise<NotSupportedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(NotSupportedError);
    return err as NotSupportedError;
  }
  throw new Error('expected a rejection');
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

function webStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

describe('browser platform', () => {
  it("ships the installed hash-wasm's SHA-1 build as its hashing worker's code (regenerate with dist/spec/browser/write-hash-wasm-sha1.js)", async () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(await renderHashWasmSha1());
  });

  // Each SHA-1 the platform has: hash-wasm's (WebAssembly, once compiled) and the plain-JavaScript
  // one that hashes created before that use (or all, where WebAssembly cannot run).
  for (const [name, create] of [
    ['SHA-1 (WebAssembly)', () => platform.createSha1()],
    ['SHA-1 (JavaScript, until the WebAssembly one is compiled)', createJsSha1],
  ] as const) {
    describe(name, () => {
      function sha1(bytes: Uint8Array, chunk = bytes.length || 1): string {
        const hash = create();
        for (let at = 0; at < bytes.length; at += chunk) hash.update(bytes.subarray(at, at + chunk));
        return hash.digest();
      }

      beforeAll(async () => {
        expect(await sha1Compiled).toBeTrue();
      });

      it('matches the FIPS 180 vectors', () => {
        expect(sha1(ascii(''))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
        expect(sha1(ascii('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
        expect(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
        expect(sha1(ascii('a'.repeat(1_000_000)), 997)).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
      });

      it('matches node:crypto for every length around the block and padding edges, in any chunking', () => {
        const data = randomBytes(300);
        for (let length = 0; length <= 200; length++) {
          const bytes = data.subarray(0, length);
          const expected = createHash('sha1').update(bytes).digest('hex');
          for (const chunk of [1, 7, 63, 64, 65, 1000]) expect(sha1(bytes, chunk)).withContext(`${length}/${chunk}`).toBe(expected);
        }
        const big = randomBytes(3_000_017);
        expect(sha1(big, 65_537)).toBe(createHash('sha1').update(big).digest('hex'));
      });

      it('digest() leaves the hash usable (a running digest)', () => {
        const hash = create();
        hash.update(ascii('ab'));
        expect(hash.digest()).toBe(createHash('sha1').update('ab').digest('hex'));
        hash.update(ascii('c'));
        expect(hash.digest()).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
        expect(hash.digest()).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
      });

      it('hashes updated in turn (parts hashed side by side, one hash digested mid-way) keep their own state', () => {
        const sources = [randomBytes(200_003), randomBytes(131_072), randomBytes(70_001)];
        const hashes = sources.map(() => create());
        const expected = sources.map(() => createHash('sha1'));
        for (let at = 0; at < 200_003; at += 4_099) {
          sources.forEach((bytes, i) => {
            const chunk = bytes.subarray(at, at + 4_099);
            hashes[i].update(chunk);
            expected[i].update(chunk);
            if (i === 1) expect(hashes[i].digest()).toBe(expected[i].copy().digest('hex'));
          });
        }
        hashes.forEach((hash, i) => expect(hash.digest()).withContext(String(i)).toBe(expected[i].digest('hex')));
      });
    });
  }

  describe('MD5 (SSE-C key checks)', () => {
    it('matches the RFC 1321 vectors and node:crypto', () => {
      const md5hex = (bytes: Uint8Array) => Buffer.from(platform.md5Base64(bytes), 'base64').toString('hex');
      expect(md5hex(ascii(''))).toBe('d41d8cd98f00b204e9800998ecf8427e');
      expect(md5hex(ascii('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
      expect(md5hex(ascii('message digest'))).toBe('f96b697d7cb7938d525a2f31aaf161d0');
      expect(md5hex(ascii('12345678901234567890123456789012345678901234567890123456789012345678901234567890'))).toBe('57edf4a22be3c955ac49da2e2107b67a');
      for (let length = 0; length <= 130; length++) {
        const bytes = randomBytes(length);
        expect(platform.md5Base64(bytes)).withContext(String(length)).toBe(createHash('md5').update(bytes).digest('base64'));
      }
    });
  });

  it('base64 round-trips as Buffer does', () => {
    for (const length of [0, 1, 2, 3, 32, 100_001]) {
      const bytes = randomBytes(length);
      const text = platform.toBase64(bytes);
      expect(text).toBe(bytes.toString('base64'));
      expect(Buffer.from(platform.fromBase64(text)).equals(bytes)).toBeTrue();
    }
  });

  it('axios uses XHR (upload progress events)', () => {
    expect(axiosPlatform.axiosDefaults()).toEqual({ adapter: 'xhr' });
  });

  it('upload bodies are Blobs of exactly the bytes', async () => {
    const bytes = randomBytes(5000);
    const view = bytes.subarray(100, 1100);
    const small = axiosPlatform.uploadBytes(view) as Blob;
    expect(small).toBeInstanceOf(Blob);
    expect(Buffer.from(await small.arrayBuffer()).equals(view)).toBeTrue();

    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 999) yield bytes.subarray(at, at + 999);
    }
    const gathered = await (axiosPlatform.uploadData(chunks(), bytes.length) as Promise<Blob>);
    expect(gathered).toBeInstanceOf(Blob);
    expect(Buffer.from(await gathered.arrayBuffer()).equals(bytes)).toBeTrue();
  });

  // The platform knows no B2Error (it imports nothing of the transport): it says ENOTSUP, and the
  // client turns that into invalid_argument naming the option (localIoError here; the whole
  // client in a browser: spec/browser/browser.spec.ts).
  it('a file path, a file download or a positional file: ENOTSUP, which the client reports as a clear invalid_argument', async () => {
    const open = await rejection(platform.openFile('/etc/hostname'));
    expect(open.code).toBe('ENOTSUP');
    expect(open.message).toContain('a file path needs Node; pass a Blob');
    const write = await rejection(platform.writeFileAtomically('/tmp/x', (async function* () {})()));
    expect(write.code).toBe('ENOTSUP');
    expect(write.message).toContain('needs Node');
    const asB2 = localIoError(write, '/tmp/x', 'cannot write');
    expect(asB2.code).toBe('invalid_argument');
    expect(asB2.field).toBe('path');
    expect(asB2.message).toContain('needs Node');
    expect(localIoError(await rejection(platform.openPositionalFile('/tmp/x')), '/tmp/x', 'cannot write').code).toBe('invalid_argument');
    expect(platform.isReadableStream((async function* () {})())).toBeFalse();
  });

  it('responseChunks reads a fetch ReadableStream (and bytes, an ArrayBuffer, a Blob)', async () => {
    const parts = [randomBytes(10), randomBytes(0), randomBytes(70_000)];
    expect((await collect(platform.responseChunks(webStream(parts)))).equals(Buffer.concat(parts))).toBeTrue();
    expect((await collect(platform.responseChunks(new Uint8Array([1, 2])))).length).toBe(2);
    expect((await collect(platform.responseChunks(new Uint8Array([1, 2, 3]).buffer))).length).toBe(3);
    expect(await collect(platform.responseChunks(new Blob([new Uint8Array(4)])))).toEqual(Buffer.alloc(4));
  });

  it('destroyResponse while a stream is read: the reader fails with aborted and the stream is cancelled', async () => {
    let cancelled = false;
    let sent = false;
    // One chunk, then a response that is still arriving.
    const watched = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return new Promise<void>(() => undefined);
        sent = true;
        controller.enqueue(new Uint8Array([1, 2, 3]));
      },
      cancel() {
        cancelled = true;
      },
    });
    const iterator = platform.responseChunks(watched)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(new Uint8Array([1, 2, 3]));
    const pending = iterator.next();
    platform.destroyResponse(watched);
    await expectAsync(pending).toBeRejectedWith(jasmine.objectContaining({ code: 'aborted' }));
    expect(cancelled).toBeTrue();
    platform.destroyResponse(undefined);
  });

  it('toByteStream is a plain async iterable; destroyStream ends it with aborted', async () => {
    async function* source() {
      yield new Uint8Array([1]);
      yield new Uint8Array([2]);
    }
    expect(await collect(platform.toByteStream(source()))).toEqual(Buffer.from([1, 2]));

    const stream = platform.toByteStream(source());
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(new Uint8Array([1]));
    platform.destroyStream(stream);
    await expectAsync(iterator.next()).toBeRejectedWith(jasmine.objectContaining({ code: 'aborted' }));
  });
});
