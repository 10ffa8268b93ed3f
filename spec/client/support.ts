/**
 * Shared set-up for the client integration specs, and the target they run against:
 *
 * - by default, an in-process emulator on 127.0.0.1:0 (one per suite), with its controls (fault
 *   plan, clock, token expiry) and request counting through the fault plan (a `delay` of 0 ms on a
 *   call is counted by `injected().delay` and changes nothing else);
 * - with `RXB2_TEST_REALM` set, an external server (a live B2 account, an emulator in another
 *   process), reached with `RXB2_TEST_KEY_ID` / `RXB2_TEST_KEY` (or, if those are unset, the
 *   library's own `B2_APPLICATION_KEY_ID` / `B2_APPLICATION_KEY`). The specs then share one bucket,
 *   `RXB2_TEST_BUCKET` (it must exist; nothing outside this run's folder is touched) or, unset, one
 *   created for the run and deleted at its end. Each suite works in a folder of its own
 *   (`rxb2-test-RUN/SUITE/`, see jail.ts), emptied (every version, unfinished large files, the keys
 *   it made) when the suite ends. Specs that need the emulator's own controls, or buckets and part
 *   sizes of their own, are pending there and say why.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, mergeMap, toArray, type Observable } from 'rxjs';
import { cancelLargeFile, listUnfinishedLargeFiles } from '../../src/api/large-files';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { AxiosTransport, B2, B2Error, toResponseBody, type B2Options, type Bucket, type B2File } from '../../src';
import { authorize as rawAuthorize, type Auth } from '../helpers/b2-http';
import { Jail } from './jail';

/** What the specs drive: the in-process emulator, or an external server whose emulator-only controls pend the spec. */
export type Emu = Pick<RunningEmulator, 'url' | 'accountId' | 'keyId' | 'applicationKey' | 'faults' | 'advanceClock' | 'expireAllTokens' | 'close'> & {
  /** Set when the specs run against an external server (its folder of the run bucket). */
  readonly jail?: Jail;
};

/** Tiny part sizes (as the large-file specs use them): uploads above 2,000 bytes may go as large files. */
export const TINY_PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 2000 };

/**
 * Production's part sizes: every upload in these specs (at most a few MB) stays one b2_upload_file
 * request, whatever threshold the client uses to switch to large files. The specs of small-file
 * behaviour (contentSha1 of the bytes, b2_upload_file faults and retries) use these.
 */
export const SMALL_FILE_PARTS = { absoluteMinimumPartSize: 5_000_000, recommendedPartSize: 100_000_000 };

type Parts = { absoluteMinimumPartSize: number; recommendedPartSize: number };

/** The external server named by the environment, if any. */
const external = process.env.RXB2_TEST_REALM
  ? {
      realm: process.env.RXB2_TEST_REALM,
      keyId: process.env.RXB2_TEST_KEY_ID ?? process.env.B2_APPLICATION_KEY_ID ?? '',
      key: process.env.RXB2_TEST_KEY ?? process.env.B2_APPLICATION_KEY ?? '',
      bucket: process.env.RXB2_TEST_BUCKET,
    }
  : undefined;

/** True when the specs run against an external server (`RXB2_TEST_REALM`). */
export const EXTERNAL = external !== undefined;

/**
 * Starts the suite's target: an in-process emulator with these part sizes (TINY_PARTS when not
 * given), or the external server's folder for this suite. Externally, a suite that asks for part
 * sizes the server does not advertise is pending (its uploads would take another path).
 */
export async function startClientEmulator(parts?: Parts): Promise<Emu> {
  if (external) return startExternal(parts);
  return startEmulator({ host: '127.0.0.1', port: 0, ...(parts ?? TINY_PARTS) });
}

/** A new client (own session, own upload-URL pool) against `emu`. */
export function client(emu: Emu, options: Partial<B2Options> = {}): B2 {
  return new B2({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    realm: emu.url,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...options,
    ...(emu.jail ? { transport: emu.jail.transport(options.transport ?? new AxiosTransport({ log: options.log })) } : {}),
  });
}

/**
 * Marks every spec of the enclosing describe pending on an external server, saying why. Call it
 * first in the describe's body: the suite's own set-up then runs against a throwaway in-process
 * emulator, so it writes nothing on the external server.
 */
export function onlyOnEmulator(why: string): void {
  if (!EXTERNAL) return;
  beforeAll(() => {
    suiteSkip = `needs the in-process emulator: ${why}`;
  });
  afterAll(() => {
    suiteSkip = undefined;
  });
}

/** Inside a spec: pending on an external server, saying why. */
export function needsEmulator(why: string): void {
  if (EXTERNAL) pending(`needs the in-process emulator: ${why}`);
}

// ---------------------------------------------------------------- external server

const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let suites = 0;
/** Why the running suite cannot run here (set by its startClientEmulator; cleared by its close()). */
let suiteSkip: string | undefined;
let runBucket: Promise<{ admin: B2; bucket: Bucket; created: boolean; accountId: string; parts: Parts }> | undefined;

if (external) {
  beforeEach(() => {
    if (suiteSkip) pending(suiteSkip);
  });
  afterAll(async () => {
    // The run's own bucket, created at the first suite, goes at the end (the suites emptied their folders).
    const run = await runBucket;
    if (run?.created) await removeFolder(run, '').then(() => firstValueFrom(run.bucket.delete()));
  });
}

function openRunBucket() {
  runBucket ??= (async () => {
    const admin = new B2({ applicationKeyId: external!.keyId, applicationKey: external!.key, realm: external!.realm, retry: { baseDelayMs: 100, maxDelayMs: 2000 } });
    const auth = await firstValueFrom(admin.authorize());
    const parts = { absoluteMinimumPartSize: auth.absoluteMinimumPartSize, recommendedPartSize: auth.recommendedPartSize };
    if (external!.bucket) return { admin, bucket: await firstValueFrom(admin.buckets.get(external!.bucket)), created: false, accountId: auth.accountId, parts };
    const bucket = await firstValueFrom(admin.buckets.create(`rxb2-test-${RUN}`));
    return { admin, bucket, created: true, accountId: auth.accountId, parts };
  })();
  return runBucket;
}

async function startExternal(parts: Parts | undefined): Promise<Emu> {
  const run = await openRunBucket();
  if (parts && (parts.absoluteMinimumPartSize !== run.parts.absoluteMinimumPartSize || parts.recommendedPartSize !== run.parts.recommendedPartSize)) {
    suiteSkip ??=
      `needs a server advertising part sizes ${parts.absoluteMinimumPartSize}/${parts.recommendedPartSize} ` +
      `(absoluteMinimumPartSize/recommendedPartSize); this one advertises ${run.parts.absoluteMinimumPartSize}/${run.parts.recommendedPartSize}`;
  }
  if (suiteSkip) {
    // Every spec of the suite is pending: its set-up runs on a throwaway emulator, not on the server.
    const throwaway = await startEmulator({ host: '127.0.0.1', port: 0, ...(parts ?? TINY_PARTS) });
    const stop = throwaway.close.bind(throwaway);
    return Object.assign(throwaway, {
      close: async () => {
        suiteSkip = undefined;
        await stop();
      },
    });
  }
  const jail = new Jail(run.bucket, `rxb2-test-${RUN}/s${++suites}/`);
  const control = (what: string) => () => {
    pending(`needs the emulator's ${what}`);
    throw new Error('unreachable');
  };
  return {
    url: external!.realm,
    accountId: run.accountId,
    keyId: external!.keyId,
    applicationKey: external!.key,
    jail,
    faults: { add: control('fault plan'), injected: control('fault plan'), clear: () => undefined },
    advanceClock: control('clock'),
    expireAllTokens: control('token controls'),
    close: async () => {
      suiteSkip = undefined;
      await removeFolder(run, jail.prefix);
      for (const applicationKeyId of jail.keys) await lastValueFrom(run.admin.keys.delete(applicationKeyId));
    },
  };
}

/** Deletes every version and unfinished large file under `prefix` in the run bucket. */
async function removeFolder(run: NonNullable<Awaited<typeof runBucket>>, prefix: string): Promise<void> {
  // Listed in full first, so deleting does not move the listing's cursor under it.
  await lastValueFrom(
    run.bucket.listFileVersions({ prefix }).pipe(
      toArray(),
      mergeMap((vs) => vs),
      mergeMap((v) => v.delete(), 4),
      toArray(),
    ),
  );
  const auth = await firstValueFrom(run.admin.authorize());
  const target = { transport: new AxiosTransport(), apiUrl: auth.apiUrl, authorizationToken: auth.authorizationToken };
  for (;;) {
    const { files } = await lastValueFrom(listUnfinishedLargeFiles(target, { bucketId: run.bucket.bucketId, namePrefix: prefix || undefined, maxFileCount: 100 }));
    if (files.length === 0) break;
    for (const f of files) await lastValueFrom(cancelLargeFile(target, { fileId: f.fileId! }));
  }
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
  if (emu.jail) pending("needs the emulator's request counter");
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

/** What a large-file suite works with: its emulator, a client, a bucket, a scratch folder, a raw authorization. */
export interface LargeFileWorld {
  emu: Emu;
  b2: B2;
  bucket: Bucket;
  dir: string;
  raw: Auth;
}

/**
 * Sets up a large-file suite (call it in the `describe`): an emulator with `parts`, a bucket named
 * after `name`, a scratch folder; faults cleared after each spec; all of it stopped and removed
 * after the suite. The returned world is filled in by the suite's `beforeAll`.
 */
export function largeFileWorld(parts: Parts, name: string): LargeFileWorld {
  const world = {} as LargeFileWorld;
  beforeAll(async () => {
    world.emu = await startClientEmulator(parts);
    world.b2 = client(world.emu);
    world.bucket = await firstValueFrom(world.b2.buckets.create(bucketName(name)));
    world.dir = await mkdtemp(join(tmpdir(), `rxb2-${name}-`));
    world.raw = await rawAuthorize(world.emu);
  });
  afterEach(() => world.emu?.faults.clear());
  afterAll(async () => {
    await world.emu?.close();
    if (world.dir) await rm(world.dir, { recursive: true, force: true });
  });
  return world;
}
