/**
 * Parts of a one-shot stream: read strictly in order, each into memory only when its part starts
 * (so a retry can re-send it), so at most `concurrency` parts are held. For a stream of unknown
 * length, part descriptors are handed out on demand: one more each time a part is read full,
 * none after the stream ends.
 */
import { Observable, type Subscriber } from 'rxjs';
import { B2Error } from '../http/b2-error';
import type { PartDescriptor } from './part-plan';
import { platform } from '../platform';
import { streamBytes, type B2UploadStream } from './upload-source';

export class StreamParts {
  private queue: Promise<unknown> = Promise.resolve();
  private nextToRead = 1;
  private iterator: AsyncIterator<Uint8Array>;
  private carry: Uint8Array | undefined;
  private ended = false;
  private demand: Subscriber<PartDescriptor> | undefined;
  private issued = 0;

  constructor(
    stream: AsyncIterable<Uint8Array>,
    private readonly partSize: number,
  ) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** Descriptors for a stream of unknown length: `readAhead` at first, then one per full part read. */
  descriptors(readAhead: number): Observable<PartDescriptor> {
    return new Observable<PartDescriptor>((subscriber) => {
      this.demand = subscriber;
      for (let i = 0; i < readAhead && !this.ended; i++) this.issue();
      return () => {
        this.demand = undefined;
      };
    });
  }

  /** The bytes of `part` (fewer when the stream ends inside it; none past its end). */
  read(part: PartDescriptor): Promise<Uint8Array> {
    const result = this.queue.then(async () => {
      if (part.partNumber !== this.nextToRead) {
        throw new B2Error({
          status: 0,
          code: 'stream_not_replayable',
          message: `part ${part.partNumber} of a stream was read out of order (expected ${this.nextToRead})`,
        });
      }
      this.nextToRead++;
      const bytes = await this.take(part.length);
      if (bytes.length === part.length && !this.ended) this.issue();
      else this.demand?.complete();
      return bytes;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private issue(): void {
    const n = ++this.issued;
    this.demand?.next({ partNumber: n, offset: (n - 1) * this.partSize, length: this.partSize });
  }

  private async take(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length && !this.ended) {
      let chunk = this.carry;
      this.carry = undefined;
      if (!chunk) {
        const next = await this.iterator.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        chunk = next.value;
      }
      const take = Math.min(chunk.length, length - at);
      out.set(chunk.subarray(0, take), at);
      if (take < chunk.length) this.carry = chunk.subarray(take);
      at += take;
    }
    if (at === length && !this.carry && !this.ended) {
      // Look ahead one chunk so a stream ending exactly on a part boundary is seen as ended.
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else this.carry = next.value;
    }
    return at === length ? out : out.subarray(0, at);
  }
}

/**
 * Reads just over `limit` bytes of a stream of upload contents (its chunks made bytes by
 * `streamBytes`, so a chunk of neither bytes nor text within them is refused here, before any
 * request): that head, whether the stream ended there, and the whole stream again as bytes (head
 * included).
 */
export async function peekStream(stream: B2UploadStream, limit: number): Promise<{ head: Uint8Array; ended: boolean; whole: AsyncIterable<Uint8Array> }> {
  const iterator = streamBytes(stream);
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size <= limit) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = chunks.length === 1 ? chunks[0] : platform.concat(chunks, size);
  const whole = {
    async *[Symbol.asyncIterator]() {
      if (head.length > 0) yield head;
      if (!ended) yield* iterator;
    },
  };
  return { head, ended, whole };
}
