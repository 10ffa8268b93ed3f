/**
 * Shared set-up for the client integration specs: an in-process emulator on 127.0.0.1:0, a client
 * pointed at it with short retry delays, unique bucket names, and request counting through the
 * emulator's fault plan (a `delay` of 0 ms on a call is counted by `injected().delay` and changes
 * nothing else).
 */
import { createHash, randomBytes } from 'node:crypto';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { B2, B2Error, toResponseBody, type B2Options, type Bucket, type B2File } from '../../src';

export type Emu = RunningEmulator;

/** Tiny part sizes (as the large-file specs use them): uploads above 2,000 bytes may go as large files. */
export const TINY_PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 2000 };

/**
 * Production's part sizes: every upload in these specs (at most a few MB) stays one b2_upload_file
 * request, whatever threshold the client uses to switch to large files. The specs of small-file
 * behaviour (contentSha1 of the bytes, b2_upload_file faults and retries) use these.
 */
export const SMALL_FILE_PARTS = { absoluteMinimumPartSize: 5_000_000, recommendedPartSize: 100_000_000 };

export async function startClientEmulator(parts: { absoluteMinimumPartSize: number; recommendedPartSize: number } = TINY_PARTS): Promise<Emu> {
  return startEmulator({ host: '127.0.0.1', port: 0, ...parts });
}

/** A new client (own session, own upload-URL pool) against `emu`. */
export function client(emu: Emu, options: Partial<B2Options> = {}): B2 {
  return new B2({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    realm: emu.url,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...options,
  });
}

let serial = 0;
/** A bucket name no other spec uses (6–63 letters, digits, '-'). */
export function bucketName(tag = 'b'): string {
  return `cl-${tag}-${Date.now().toString(36)}-${(serial++).toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function sha1(bytes: Uint8Array | string): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Deterministic, non-repeating-looking bytes. */
export function bytes(size: number, seed = 1): Buffer<ArrayBuffer> {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Counts requests to `call` ('*' for all) from now on. Add it AFTER any fault rule of the same
 * call: the first rule that fires wins, so a counter added first would shadow the fault.
 * Returns a reader of how many requests were counted since.
 */
export function countRequests(emu: Emu, call = '*'): () => number {
  const before = emu.faults.injected().delay ?? 0;
  emu.faults.add({ call, fault: { kind: 'delay', ms: 0 }, times: Infinity });
  return () => (emu.faults.injected().delay ?? 0) - before;
}

export function all<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()));
}

export async function upload(bucket: Bucket, fileName: string, contents: Uint8Array | string, fileInfo?: Record<string, string>): Promise<B2File> {
  return lastValueFrom(bucket.uploadFile({ fileName, contents, fileInfo }).pipe(toResponseBody()));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The error an Observable fails with (fails the spec if it completes instead). */
export async function failure(source: Observable<unknown>): Promise<B2Error> {
  try {
    await lastValueFrom(source, { defaultValue: undefined });
  } catch (err) {
    expect(err).toBeInstanceOf(B2Error);
    return err as B2Error;
  }
  throw new Error('expected the Observable to fail, but it completed');
}
