/**
 * Upload bodies read into recycled memory: `wireBody` reads a source that honours `into` (a file,
 * where the platform reads into given memory) into a ring of a few buffers, reused in turn. These
 * specs send such bodies through the real transport to a server that reads slowly, so chunks wait
 * in the socket's queue, and check every byte that arrived: reuse must never overwrite a chunk
 * before it was written. A source reusing one buffer at once shows the check would catch it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { AxiosTransport } from '../../src/http/axios-transport';
import type { B2Event } from '../../src/http/events';
import { blobSource, wireBody, type UploadSource } from '../../src/transfer/upload-source';
import { bytes, sha1 } from '../client/support';

const MiB = 1 << 20;

/**
 * A random-access source over `data` that reads like a file read into given memory: 1 MiB at a
 * time, asynchronously. `ownBuffer` ignores `into` and reuses one buffer of its own at once.
 */
function fileLike(data: Buffer, options: { ownBuffer?: boolean } = {}) {
  const used = new Set<Uint8Array>();
  let own: Uint8Array | undefined;
  const source: UploadSource = {
    size: data.length,
    sha1: undefined,
    description: 'file-like',
    async *read(start, length, into) {
      for (let at = start; at < start + length;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        const memory = options.ownBuffer ? (own ??= new Uint8Array(MiB)) : into ? into() : new Uint8Array(MiB);
        used.add(memory);
        const n = Math.min(memory.length, start + length - at);
        memory.set(data.subarray(at, at + n));
        at += n;
        yield memory.subarray(0, n);
      }
    },
  };
  return { source, used };
}

describe('upload bodies in recycled memory', () => {
  let server: http.Server;
  let url: string;
  /** What the server got per request: the content and the SHA-1 digits at its end. */
  const received: { content: Buffer; digits: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      // Reads slowly: the client's socket buffers fill and its chunks wait in Node's write queue.
      req.on('data', (c: Buffer) => {
        chunks.push(Buffer.from(c));
        req.pause();
        setTimeout(() => req.resume(), 1);
      });
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const content = body.subarray(0, body.length - 40);
        const digits = body.subarray(body.length - 40).toString('latin1');
        received.push({ content, digits });
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ contentSha1: sha1(content), contentLength: content.length }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => (received.length = 0));

  async function send(source: UploadSource, start: number, length: number) {
    const body = wireBody(source, start, length, undefined);
    const events = await lastValueFrom(
      new AxiosTransport().request<{ contentSha1: string }>({
        method: 'POST',
        url,
        operation: 'b2_upload_part',
        headers: { 'X-Bz-Content-Sha1': body.sha1Header },
        body: { length: body.length, open: () => body.open() },
      }),
    );
    return events as Extract<B2Event<{ contentSha1: string }, unknown>, { type: 'response' }>;
  }

  it('a part read into a ring of buffers arrives whole, its SHA-1 at the end, in at most four buffers', async () => {
    const data = bytes(24 * MiB + 12_345, 7);
    const { source, used } = fileLike(data);
    const start = 3 * MiB + 17;
    const length = 20 * MiB + 1000;
    const response = await send(source, start, length);
    expect(received.length).toBe(1);
    const expected = data.subarray(start, start + length);
    expect(received[0].content.equals(expected)).withContext('the bytes that arrived').toBeTrue();
    expect(received[0].digits).toBe(sha1(expected));
    expect(response.body.contentSha1).toBe(sha1(expected));
    expect(used.size).toBeLessThanOrEqual(4);
  });

  it('(control) a source reusing one buffer at once corrupts what is sent: the check above sees reuse', async () => {
    const data = bytes(16 * MiB, 8);
    const { source } = fileLike(data, { ownBuffer: true });
    await send(source, 0, data.length);
    expect(received.length).toBe(1);
    // The digits were computed as the bytes were read; what arrived differs from them.
    expect(received[0].content.equals(data)).toBeFalse();
    expect(sha1(received[0].content)).not.toBe(received[0].digits);
  });

  it('a source that ignores into (a Blob, a stream) is read as before', async () => {
    const data = bytes(3 * MiB + 5, 9);
    const fresh: UploadSource = {
      size: data.length,
      sha1: undefined,
      description: 'fresh',
      async *read(start, length) {
        for (let at = start; at < start + length; at += MiB) yield new Uint8Array(data.subarray(at, Math.min(start + length, at + MiB)));
      },
    };
    await send(fresh, 0, data.length);
    expect(received[0].content.equals(data)).toBeTrue();
    expect(received[0].digits).toBe(sha1(data));
  });
});

describe('a Blob source', () => {
  async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return Buffer.concat(parts);
  }

  it('reads each range through one stream of its slice (an arrayBuffer per MiB costs a browser a blob-store round trip each)', async () => {
    const data = bytes(3 * MiB + 5, 10);
    const blob = new Blob([data]);
    const slice = spyOn(blob, 'slice').and.callThrough();
    const source = blobSource(blob);
    for (const [start, length] of [
      [0, data.length],
      [1, 3 * MiB],
      [MiB - 1, 2],
      [data.length - 7, 7],
      [5, 0],
    ]) {
      slice.calls.reset();
      expect((await collect(source.read(start, length))).equals(data.subarray(start, start + length)))
        .withContext(`${start}+${length}`)
        .toBeTrue();
      expect(slice.calls.allArgs())
        .withContext(`${start}+${length}`)
        .toEqual([[start, start + length]]);
    }
  });

  it('a reader stopping early cancels the rest of the stream', async () => {
    const data = bytes(4 * MiB, 11);
    const blob = new Blob([data]);
    let cancelled = 0;
    // Its slices stream 64 KiB at a time, as a browser's do.
    spyOn(blob, 'slice').and.callFake((start = 0, end = data.length) => {
      let at = start;
      const stream = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          if (at >= end) return controller.close();
          controller.enqueue(data.slice(at, Math.min(end, at + 65_536)));
          at += 65_536;
        },
        cancel: () => {
          cancelled++;
        },
      });
      return Object.assign(Blob.prototype.slice.call(blob, start, end), { stream: () => stream });
    });
    for await (const chunk of blobSource(blob).read(0, data.length)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(cancelled).toBe(1);
  });
});
