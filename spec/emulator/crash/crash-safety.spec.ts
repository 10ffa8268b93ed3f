/**
 * Crash safety of the emulator's data directory, end to end: the emulator CLI runs in a child
 * process on a temp directory, is killed with SIGKILL in the middle of uploads, and is started
 * again on the same directory. After each restart the master key is the same, nothing the client
 * saw succeed is lost or changed, nothing cut off is visible, `tmp/` is empty and `blobs/` holds
 * exactly the bytes the listed versions and parts reference.
 */
import { mulberry32 } from '../../../src/emulator/faults';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, toArray, type Subscription } from 'rxjs';
import { B2, B2File, Bucket, toResponseBody, type B2HttpRequest, type B2UploadEvent } from '../../../src';
import type { FileRecord } from '../../../src/emulator/model';
import { authorize, callOk, getUploadUrl, startHeldPost, uploadHeaders, uniqueBucketName, type Auth } from '../../helpers/b2-http';
import { CountingTransport, dataDirState, killAllEmulators, makeTempDir, removeTempDirs, sleep, spawnEmulator, tmpBytes, waitFor, type EmulatorProcess } from './emulator-process';

const MiB = 1024 * 1024;
/** The emulator's --part-size; every large upload here uses it. */
const PART = 5000;

const sha1 = (data: Uint8Array): string => crypto.createHash('sha1').update(data).digest('hex');

function client(emu: EmulatorProcess, options: { transport?: CountingTransport; retry?: false; progressIntervalMs?: number } = {}): B2 {
  return new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, ...options });
}

function rawAuth(emu: EmulatorProcess): Promise<Auth> {
  return authorize({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey, accountId: emu.keyId });
}

async function allVersions(bucket: Bucket): Promise<B2File[]> {
  return lastValueFrom(bucket.listFileVersions().pipe(toArray()));
}

async function currentFiles(bucket: Bucket): Promise<B2File[]> {
  return lastValueFrom(bucket.listFiles().pipe(toArray()));
}

async function downloaded(file: B2File): Promise<Buffer> {
  const result = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
  return Buffer.from(result.data);
}

async function unfinishedLargeFiles(auth: Auth, bucketId: string): Promise<any[]> {
  return (await callOk(auth, 'b2_list_unfinished_large_files', { bucketId, maxFileCount: 100 })).files;
}

async function partsOf(auth: Auth, fileId: string): Promise<any[]> {
  return (await callOk(auth, 'b2_list_parts', { fileId, maxPartCount: 1000 })).parts;
}

const isLarge = (f: { fileId: string | null; contentSha1: string | null }): boolean => f.contentSha1 === 'none' || /_f2/.test(f.fileId ?? '');

/**
 * How many blobs the listed versions (and the parts of unfinished large files) reference: one per
 * non-empty small upload, one per part of a finished large file (all parts here are PART bytes but
 * the last), one per non-empty part of an unfinished one.
 */
async function expectedBlobs(auth: Auth, versions: readonly B2File[]): Promise<number> {
  let blobs = 0;
  for (const v of versions) {
    if (v.action === 'upload') blobs += isLarge(v) ? Math.ceil(v.contentLength / PART) : v.contentLength > 0 ? 1 : 0;
    else if (v.action === 'start') blobs += (await partsOf(auth, v.fileId)).filter((p) => p.contentLength > 0).length;
  }
  return blobs;
}

/** An async iterable that yields `source` up to `limit` bytes, calls `onStall`, then waits for `go` before the rest. */
async function* stallAfter(source: AsyncIterable<Uint8Array>, limit: number, onStall: () => void, go: Promise<void>): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let stalled = false;
  for await (const chunk of source) {
    if (!stalled && sent + chunk.length >= limit) {
      const head = chunk.subarray(0, limit - sent);
      if (head.length > 0) yield head;
      stalled = true;
      onStall();
      await go;
      yield chunk.subarray(head.length);
    } else yield chunk;
    sent += chunk.length;
  }
}

/** A deferred that is resolved in afterEach, so no stalled body outlives its spec. */
const releaseStalls: Array<() => void> = [];
function stall(): Promise<void> {
  return new Promise<void>((resolve) => releaseStalls.push(resolve));
}

/** The loop's random choices repeat for a given seed (timing still varies). */
const rng = mulberry32;

describe('emulator crash safety (kill -9 of the CLI on a data directory)', () => {
  const subscriptions: Subscription[] = [];

  afterEach(async () => {
    for (const s of subscriptions.splice(0)) s.unsubscribe();
    for (const release of releaseStalls.splice(0)) release();
    await killAllEmulators();
    removeTempDirs();
  });

  afterAll(async () => {
    await killAllEmulators();
    removeTempDirs();
  });

  it('kill -9 mid simple upload: the cut-off uploads vanish, earlier files stay intact, tmp/ is emptied, no orphan blob is left', async () => {
    const dir = makeTempDir();
    const emu = await spawnEmulator(dir);
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const b2 = client(emu);
    const bucketName = uniqueBucketName('crash');
    const bucket = await firstValueFrom(b2.buckets.create(bucketName));

    const done = new Map<string, Buffer>([
      ['done/empty', Buffer.alloc(0)],
      ['done/one-byte', crypto.randomBytes(1)],
      ['done/small', crypto.randomBytes(3000)],
      ['done/bigger', crypto.randomBytes(200_000)],
    ]);
    for (const [fileName, data] of done) {
      const file = await lastValueFrom(bucket.uploadFile({ contents: data, fileName, largeFileThreshold: 10 * MiB }).pipe(toResponseBody()));
      expect(file.contentSha1).toBe(sha1(data));
    }
    expect(dataDirState(dir).blobs.size).toBe(3);
    const key = await firstValueFrom(b2.keys.create({ capabilities: ['listBuckets', 'listFiles', 'readFiles'], keyName: 'survives-crashes' }));

    // Cut off #1, raw HTTP: 3 MiB declared, 2 MiB sent, so at least one 1 MiB batch is in tmp/.
    const auth = await rawAuth(emu);
    const upload = await getUploadUrl(auth, bucket.bucketId);
    const big = crypto.randomBytes(3 * MiB);
    startHeldPost(upload.uploadUrl, uploadHeaders(upload, { name: 'cut/raw', data: big }), big, 2 * MiB);

    // Cut off #2, the client with a slow stream: 4000 bytes declared, stuck after 2000.
    const slowB2 = client(emu, { retry: false, progressIntervalMs: 0 });
    const slowBucket = await firstValueFrom(slowB2.buckets.get(bucketName));
    const slowData = crypto.randomBytes(4000);
    let stalled = false;
    const stuck = stall();
    async function* slowStream(): AsyncGenerator<Uint8Array> {
      yield slowData.subarray(0, 2000);
      stalled = true;
      await stuck;
      yield slowData.subarray(2000);
    }
    let slowOutcome: 'pending' | 'completed' | 'errored' = 'pending';
    subscriptions.push(
      slowBucket.uploadFile({ contents: slowStream(), contentLength: slowData.length, fileName: 'cut/stream' }).subscribe({
        error: () => (slowOutcome = 'errored'),
        complete: () => (slowOutcome = 'completed'),
      }),
    );

    await waitFor('the raw upload to reach tmp/', () => tmpBytes(dir) >= MiB);
    await waitFor('the slow stream to stall', () => stalled);
    await sleep(100); // let the stream's first 2000 bytes cross the socket
    expect(dataDirState(dir).tmp.length).toBeGreaterThan(0);
    expect(await emu.kill9()).toBe('SIGKILL');
    await waitFor('the slow upload to fail', () => slowOutcome !== 'pending');
    expect(slowOutcome).toBe('errored');

    const again = await spawnEmulator(dir);
    // The master key is persisted: the same id and secret work after the restart.
    expect(again.keyId).toBe(emu.keyId);
    expect(again.applicationKey).toBe(emu.applicationKey);
    expect(again.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // So does an application key created before the crash.
    const keyClient = new B2({ applicationKeyId: key.applicationKeyId, applicationKey: key.applicationKey, realm: again.url });
    expect((await lastValueFrom(keyClient.buckets.all().pipe(toArray()))).map((b) => b.bucketName)).toEqual([bucketName]);

    const state = dataDirState(dir);
    expect(state.tmp).withContext('tmp/ after the restart').toEqual([]);

    const b2Again = client(again);
    const bucketAgain = await firstValueFrom(b2Again.buckets.get(bucketName));
    const versions = await allVersions(bucketAgain);
    const names = [...done.keys()].sort();
    expect(versions.map((v) => v.fileName)).toEqual(names);
    expect(versions.every((v) => v.action === 'upload')).toBeTrue();
    expect((await currentFiles(bucketAgain)).map((f) => f.fileName)).toEqual(names);
    for (const v of versions) {
      const data = done.get(v.fileName)!;
      expect(v.contentLength).withContext(v.fileName).toBe(data.length);
      expect(v.contentSha1).withContext(v.fileName).toBe(sha1(data));
      expect(sha1(await downloaded(v)))
        .withContext(v.fileName)
        .toBe(sha1(data));
    }
    const authAgain = await rawAuth(again);
    expect(await unfinishedLargeFiles(authAgain, bucketAgain.bucketId)).toEqual([]);

    // blobs/ holds exactly the three non-empty files: no partial body, no orphan.
    expect(state.blobs.size).toBe(await expectedBlobs(authAgain, versions));
    expect([...state.blobs.values()].sort((a, b) => a - b)).toEqual([1, 3000, 200_000]);

    // And the emulator answers normally: the cut-off names can be uploaded now.
    for (const [fileName, data] of [
      ['cut/raw', big],
      ['cut/stream', slowData],
    ] as const) {
      const file = await lastValueFrom(bucketAgain.uploadFile({ contents: data, fileName, largeFileThreshold: 10 * MiB }).pipe(toResponseBody()));
      expect(file.contentSha1).toBe(sha1(data));
      expect(sha1(await downloaded(file))).toBe(sha1(data));
    }
    expect(dataDirState(dir).blobs.size).toBe(5);
    expect(dataDirState(dir).tmp).toEqual([]);
    expect(again.stderr()).toBe('');
  }, 20_000);

  it('kill -9 mid large upload: the unfinished file and its finished parts survive, and resume sends only the missing parts', async () => {
    const dir = makeTempDir();
    const emu = await spawnEmulator(dir);
    const data = crypto.randomBytes(7 * PART + 3500); // 8 parts, the last one short
    const partSha1 = (n: number): string => sha1(data.subarray((n - 1) * PART, Math.min(n * PART, data.length)));
    const fileName = 'large/file.bin';

    // Part 4's body stalls after half of it: it is in flight when the emulator dies.
    let part4Stalled = false;
    const transport = new CountingTransport((req: B2HttpRequest): B2HttpRequest => {
      if (req.operation !== 'b2_upload_part' || req.headers?.['X-Bz-Part-Number'] !== '4' || !req.body) return req;
      const body = req.body;
      return { ...req, body: { length: body.length, onProgress: body.onProgress, open: () => stallAfter(body.open(), PART / 2, () => (part4Stalled = true), stall()) } };
    });
    const b2 = client(emu, { transport, retry: false });
    const bucketName = uniqueBucketName('crash');
    const bucket = await firstValueFrom(b2.buckets.create(bucketName));

    let largeFileId = '';
    const uploaded: Array<{ partNumber: number; contentSha1: string }> = [];
    let outcome: 'pending' | 'completed' | 'errored' = 'pending';
    subscriptions.push(
      bucket.uploadLargeFile({ contents: data, fileName, partSize: PART, concurrency: 1, keepOnFailure: true }).subscribe({
        next: (e: B2UploadEvent) => {
          if (e.type === 'largeFileStarted') largeFileId = e.fileId;
          if (e.type === 'partUploaded') uploaded.push({ partNumber: e.partNumber, contentSha1: e.contentSha1 });
        },
        error: () => (outcome = 'errored'),
        complete: () => (outcome = 'completed'),
      }),
    );
    await waitFor('3 parts uploaded and part 4 stalled', () => uploaded.length >= 3 && part4Stalled);
    await sleep(100);
    expect(uploaded.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect(await emu.kill9()).toBe('SIGKILL');
    await waitFor('the large upload to fail', () => outcome !== 'pending');
    expect(outcome).toBe('errored');
    expect(transport.count('b2_cancel_large_file')).withContext('keepOnFailure').toBe(0);

    const again = await spawnEmulator(dir);
    expect(again.keyId).toBe(emu.keyId);
    expect(again.applicationKey).toBe(emu.applicationKey);
    expect(dataDirState(dir).tmp).toEqual([]);

    const auth = await rawAuth(again);
    const unfinished = await unfinishedLargeFiles(auth, bucket.bucketId);
    expect(unfinished.length).toBe(1);
    expect(unfinished[0].fileId).toBe(largeFileId);
    expect(unfinished[0].fileName).toBe(fileName);
    expect(unfinished[0].action).toBe('start');
    expect(unfinished[0].fileInfo.large_file_sha1).toBe(sha1(data));
    const parts = await partsOf(auth, largeFileId);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const p of parts) {
      expect(p.contentLength).toBe(PART);
      expect(p.contentSha1).withContext(`part ${p.partNumber}`).toBe(partSha1(p.partNumber));
      expect(p.contentSha1).toBe(uploaded[p.partNumber - 1].contentSha1);
    }
    expect(dataDirState(dir).blobs.size).toBe(3);

    // Not visible as a file; listed only as an unfinished version.
    const counting = new CountingTransport();
    const b2Again = client(again, { transport: counting });
    const bucketAgain = await firstValueFrom(b2Again.buckets.get(bucketName));
    expect(await currentFiles(bucketAgain)).toEqual([]);
    expect((await allVersions(bucketAgain)).map((v) => [v.fileName, v.action])).toEqual([[fileName, 'start']]);

    const events = await lastValueFrom(
      bucketAgain.uploadLargeFile({ contents: data, fileName, partSize: PART, concurrency: 1, resume: true, keepOnFailure: true }).pipe(toArray()),
    );
    const started = events.find((e) => e.type === 'largeFileStarted');
    expect(started).toEqual(jasmine.objectContaining({ type: 'largeFileStarted', fileId: largeFileId, resumed: true }));
    expect(counting.count('b2_upload_part')).withContext(JSON.stringify(counting.all())).toBe(5);
    expect(counting.count('b2_start_large_file')).toBe(0);
    expect(counting.count('b2_finish_large_file')).toBe(1);
    expect(counting.count('b2_cancel_large_file')).toBe(0);

    const response = events.find((e) => e.type === 'response');
    const file = (response as { body: B2File }).body;
    expect(file.fileId).toBe(largeFileId);
    expect(file.action).toBe('upload');
    expect(file.contentLength).toBe(data.length);
    expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
    expect(sha1(await downloaded(file))).toBe(sha1(data));

    expect(await unfinishedLargeFiles(auth, bucket.bucketId)).toEqual([]);
    const state = dataDirState(dir);
    expect(state.tmp).toEqual([]);
    expect(state.blobs.size).toBe(8);
    expect([...state.blobs.values()].reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(again.stderr()).toBe('');
  }, 20_000);

  it('crash windows too narrow for a timed kill, laid out on disk: an orphan blob, a body in tmp/, a torn journal append, an unfinished compaction', async () => {
    const dir = makeTempDir();
    const emu = await spawnEmulator(dir);
    const b2 = client(emu);
    const bucketName = uniqueBucketName('crash');
    const bucket = await firstValueFrom(b2.buckets.create(bucketName));
    const kept = crypto.randomBytes(2000);
    const keptFile = await lastValueFrom(bucket.uploadFile({ contents: kept, fileName: 'kept' }).pipe(toResponseBody()));
    expect(await emu.kill9()).toBe('SIGKILL');

    // What a kill leaves in each window (disk-store.ts, journal.ts):
    const journal = path.join(dir, 'journal.jsonl');
    const journalBefore = fs.readFileSync(journal);
    // ...between a blob's rename into blobs/ and its record's append: a blob nothing refers to;
    const orphan = crypto.randomBytes(16).toString('hex');
    const orphanBytes = crypto.randomBytes(3000);
    fs.writeFileSync(path.join(dir, 'blobs', orphan), orphanBytes);
    // ...while a body arrives: its file in tmp/;
    fs.writeFileSync(path.join(dir, 'tmp', crypto.randomBytes(16).toString('hex')), crypto.randomBytes(1500));
    // ...inside an append: a line without its newline (here the record of the orphan blob, cut short);
    const ghostId = keptFile.fileId.replace(/_t(\d{4})$/, (_, n: string) => `_t${String((Number(n) + 1) % 10_000).padStart(4, '0')}`);
    const ghostRecord: FileRecord = {
      fileId: ghostId,
      bucketId: bucket.bucketId,
      fileName: 'ghost',
      action: 'upload',
      contentLength: orphanBytes.length,
      contentSha1: sha1(orphanBytes),
      contentMd5: null,
      contentType: 'application/octet-stream',
      fileInfo: {},
      uploadTimestamp: keptFile.uploadTimestamp + 1,
      seq: 1_000_000,
      sse: { mode: null, algorithm: null },
      retention: null,
      legalHold: null,
      segments: [{ blobId: orphan, offset: 0, length: orphanBytes.length }],
      isLargeFile: false,
    };
    const ghost = { op: 'put', kind: 'file', id: ghostId, record: ghostRecord };
    const ghostLine = JSON.stringify(ghost);
    fs.appendFileSync(journal, ghostLine.slice(0, Math.floor(ghostLine.length / 2)));
    // ...inside a compaction: journal.jsonl.tmp, complete but never renamed over the journal.
    fs.writeFileSync(path.join(dir, 'journal.jsonl.tmp'), journalBefore.toString() + ghostLine + '\n');

    const again = await spawnEmulator(dir);
    expect(again.keyId).toBe(emu.keyId);
    expect(again.applicationKey).toBe(emu.applicationKey);
    const state = dataDirState(dir);
    expect(state.tmp).toEqual([]);
    expect([...state.blobs.keys()]).not.toContain(orphan);
    expect(state.blobs.size).toBe(1);
    expect(fs.existsSync(path.join(dir, 'journal.jsonl.tmp'))).toBeFalse();
    const b2Again = client(again);
    const bucketAgain = await firstValueFrom(b2Again.buckets.get(bucketName));
    const versions = await allVersions(bucketAgain);
    expect(versions.map((v) => [v.fileName, v.fileId])).toEqual([['kept', keptFile.fileId]]);
    expect(sha1(await downloaded(versions[0]))).toBe(sha1(kept));

    // Appends after the restart do not glue onto the torn fragment: they survive the next kill.
    const later = crypto.randomBytes(1200);
    const laterFile = await lastValueFrom(bucketAgain.uploadFile({ contents: later, fileName: 'later' }).pipe(toResponseBody()));
    await firstValueFrom(versions[0].hide());
    expect(await again.kill9()).toBe('SIGKILL');

    const third = await spawnEmulator(dir);
    const bucketThird = await firstValueFrom(client(third).buckets.get(bucketName));
    const thirdVersions = await allVersions(bucketThird);
    expect(thirdVersions.map((v) => [v.fileName, v.action])).toEqual([
      ['kept', 'hide'],
      ['kept', 'upload'],
      ['later', 'upload'],
    ]);
    expect((await currentFiles(bucketThird)).map((f) => f.fileId)).toEqual([laterFile.fileId]);
    expect(sha1(await downloaded(thirdVersions[2]))).toBe(sha1(later));
    expect(dataDirState(dir).blobs.size).toBe(2);
    expect(third.stderr()).toBe('');
  }, 20_000);

  it('refuses a second emulator on a data directory a running one uses (else writes the first acknowledges are lost)', async () => {
    const dir = makeTempDir();
    const first = await spawnEmulator(dir);
    const bucketName = uniqueBucketName('crash');
    const bucket = await firstValueFrom(client(first).buckets.create(bucketName));
    await lastValueFrom(bucket.uploadFile({ contents: 'before', fileName: 'before' }).pipe(toResponseBody()));

    let second: EmulatorProcess | null = null;
    try {
      second = await spawnEmulator(dir);
    } catch {
      // Refused, as it should be.
    }
    await lastValueFrom(bucket.uploadFile({ contents: 'after', fileName: 'after' }).pipe(toResponseBody()));
    await killAllEmulators();
    const again = await spawnEmulator(dir);
    const names = (await allVersions(await firstValueFrom(client(again).buckets.get(bucketName)))).map((v) => v.fileName);
    expect(second).withContext('a second emulator must be refused on a directory in use').toBeNull();
    expect(names).toEqual(['after', 'before']);
  }, 20_000);

  it('kill -9 at random moments, 5 rounds of uploads, hides and deletes: everything confirmed survives, nothing half-done is visible', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const random = rng(seed);
    const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    const ctx = `seed ${seed}`;
    const dir = makeTempDir();
    const bucketName = uniqueBucketName('crash');
    const WORKERS = 3;
    const namesOf = (w: number): string[] => [0, 1, 2, 3].map((k) => `w${w}/name-${k}`);

    /** One version the client created (or tried to): in creation order, which per name is server order. */
    interface Version {
      name: string;
      action: 'upload' | 'hide';
      large: boolean;
      data?: Buffer;
      sha1?: string;
      fileId?: string;
      /** The client's B2File for it (from the client of the round that created or last listed it). */
      file?: B2File;
      created: 'yes' | 'maybe';
      deleted: 'no' | 'maybe' | 'yes';
    }
    let model: Version[] = [];
    /** Unfinished large files left by cut-off large uploads: fileId → their bytes. */
    const unfinished = new Map<string, { name: string; data: Buffer }>();
    let uploadsConfirmed = 0;
    let hidesConfirmed = 0;
    let deletesConfirmed = 0;
    /** Kills that found a body in tmp/ (for the record: the spec does not depend on it). */
    let killsMidBody = 0;

    /** Checks the directory and the listings against the model, then resolves every "maybe". */
    const verify = async (emu: EmulatorProcess, b2: B2, label: string): Promise<Bucket> => {
      const where = `${ctx}, ${label}`;
      const state = dataDirState(dir);
      expect(state.tmp).withContext(`${where}: tmp/`).toEqual([]);
      const bucket = await firstValueFrom(b2.buckets.get(bucketName));
      const auth = await rawAuth(emu);
      const listed = await allVersions(bucket);
      const byId = new Map(listed.map((f) => [f.fileId, f]));

      // Confirmed versions are there; confirmed deletes are gone.
      for (const v of model) {
        if (v.created === 'yes' && v.deleted === 'no') {
          expect(byId.has(v.fileId!)).withContext(`${where}: confirmed ${v.action} of ${v.name} (${v.fileId}) is missing`).toBeTrue();
        }
        if (v.deleted === 'yes') expect(byId.has(v.fileId!)).withContext(`${where}: deleted ${v.fileId} came back`).toBeFalse();
      }
      // Every listed version is accounted for: a known one, an uncertain one that did happen, or a known unfinished large file.
      const matched = new Set<Version>();
      for (const f of listed) {
        const known = model.find((v) => v.fileId === f.fileId);
        if (known) {
          matched.add(known);
          continue;
        }
        if (f.action === 'start') {
          if (unfinished.has(f.fileId)) continue;
          const v = model.find((m) => m.created === 'maybe' && !m.fileId && !matched.has(m) && m.large && m.name === f.fileName && f.fileInfo.large_file_sha1 === m.sha1);
          expect(v).withContext(`${where}: unexpected unfinished large file ${f.fileName} ${f.fileId}`).toBeDefined();
          if (v) {
            matched.add(v);
            unfinished.set(f.fileId, { name: v.name, data: v.data! });
            v.deleted = 'yes'; // never a file: dropped from the model below
            v.fileId = f.fileId;
          }
          continue;
        }
        const v = model.find(
          (m) =>
            m.created === 'maybe' &&
            !m.fileId &&
            !matched.has(m) &&
            m.name === f.fileName &&
            m.action === f.action &&
            (m.action === 'hide' || (m.large ? f.fileInfo.large_file_sha1 === m.sha1 : f.contentSha1 === m.sha1)),
        );
        expect(v).withContext(`${where}: unexpected version ${f.action} ${f.fileName} ${f.fileId} (${f.contentLength} bytes, ${f.contentSha1})`).toBeDefined();
        if (v) {
          matched.add(v);
          v.fileId = f.fileId;
          v.created = 'yes';
        }
      }
      // Versions of a name are listed newest first, and their upload timestamps agree (across restarts too).
      for (let i = 1; i < listed.length; i++) {
        const [newer, older] = [listed[i - 1], listed[i]];
        if (newer.fileName !== older.fileName || newer.action === 'start' || older.action === 'start') continue;
        expect(newer.uploadTimestamp)
          .withContext(`${where}: timestamps of ${newer.fileName} (${newer.fileId} listed before ${older.fileId})`)
          .toBeGreaterThan(older.uploadTimestamp);
      }
      // Unfinished large files keep exactly their parts.
      for (const [fileId, u] of unfinished) {
        expect(byId.get(fileId)?.action).withContext(`${where}: unfinished ${fileId}`).toBe('start');
        for (const p of await partsOf(auth, fileId)) {
          const slice = u.data.subarray((p.partNumber - 1) * PART, p.partNumber * PART);
          expect(p.contentSha1).withContext(`${where}: part ${p.partNumber} of ${fileId}`).toBe(sha1(slice));
          expect(p.contentLength).toBe(slice.length);
        }
      }
      // Resolve the uncertain: what is listed happened, what is not did not.
      model = model.filter((v) => {
        if (v.created === 'maybe' && !matched.has(v)) return false;
        if (v.deleted === 'yes') return false;
        if (v.deleted === 'maybe') {
          if (!byId.has(v.fileId!)) return false;
          v.deleted = 'no';
        }
        v.file = byId.get(v.fileId!);
        return true;
      });
      expect(model.every((v) => v.created === 'yes' && v.deleted === 'no' && v.file)).toBeTrue();
      expect(model.length + unfinished.size)
        .withContext(where)
        .toBe(listed.length);

      // Contents: every upload reads back with its SHA-1.
      for (const v of model) {
        if (v.action !== 'upload') continue;
        const f = v.file!;
        expect(f.contentLength).withContext(`${where}: ${v.name}`).toBe(v.data!.length);
        if (!v.large) expect(f.contentSha1).withContext(`${where}: ${v.name}`).toBe(v.sha1!);
        expect(sha1(await downloaded(f)))
          .withContext(`${where}: download of ${v.name} ${v.fileId}`)
          .toBe(v.sha1!);
      }
      // list_file_names shows the newest version of each name when it is an upload.
      const expectedCurrent: string[] = [];
      for (let w = 0; w < WORKERS; w++) {
        for (const name of namesOf(w)) {
          const newest = model.filter((v) => v.name === name).pop();
          if (newest?.action === 'upload') expectedCurrent.push(`${name} ${newest.fileId}`);
        }
      }
      const current = (await currentFiles(bucket)).map((f) => `${f.fileName} ${f.fileId}`);
      expect(current).withContext(`${where}: list_file_names`).toEqual(expectedCurrent.sort());
      // blobs/ holds exactly what the versions and parts reference.
      expect(state.blobs.size)
        .withContext(`${where}: blobs`)
        .toBe(await expectedBlobs(auth, listed));
      return bucket;
    };

    let first: EmulatorProcess | null = null;
    for (let round = 0; round < 5; round++) {
      const emu = await spawnEmulator(dir);
      if (first) {
        expect(emu.keyId).withContext(`${ctx}, round ${round}: key id`).toBe(first.keyId);
        expect(emu.applicationKey).withContext(`${ctx}, round ${round}: key`).toBe(first.applicationKey);
      } else first = emu;
      // The round's client: no retries, so an operation cut off by the kill fails at once.
      const b2 = client(emu, { retry: false });
      const bucket = round === 0 ? await firstValueFrom(b2.buckets.create(bucketName)) : await verify(emu, b2, `after crash ${round}`);

      let killed = false;
      const preKillErrors: string[] = [];
      const newest = (name: string): Version | undefined => model.filter((v) => v.name === name && v.created === 'yes' && v.deleted === 'no').pop();

      const upload = async (w: number, large: boolean): Promise<void> => {
        const name = namesOf(w)[between(0, 3)];
        // Now and then a body above the store's 1 MiB write batch, so a kill may find it half in tmp/.
        const size = large ? between(2 * PART + 1, 3 * PART) : random() < 0.08 ? between(MiB + 1, 2 * MiB) : between(0, 4000);
        const data = crypto.randomBytes(size);
        const v: Version = { name, action: 'upload', large, data, sha1: sha1(data), created: 'maybe', deleted: 'no' };
        model.push(v);
        const options = { contents: data, fileName: name, partSize: PART, concurrency: 2, keepOnFailure: true, largeFileThreshold: 10 * MiB };
        const file = await lastValueFrom((large ? bucket.uploadLargeFile(options) : bucket.uploadFile(options)).pipe(toResponseBody()));
        if (!large) expect(file.contentSha1).toBe(v.sha1!);
        Object.assign(v, { fileId: file.fileId, file, created: 'yes' });
        uploadsConfirmed++;
      };
      const hide = async (w: number): Promise<boolean> => {
        const candidates = namesOf(w).filter((name) => newest(name)?.action === 'upload');
        if (candidates.length === 0) return false;
        const shown = newest(candidates[between(0, candidates.length - 1)])!;
        const v: Version = { name: shown.name, action: 'hide', large: false, created: 'maybe', deleted: 'no' };
        model.push(v);
        const marker = await firstValueFrom(shown.file!.hide());
        Object.assign(v, { fileId: marker.fileId, file: marker, created: 'yes' });
        hidesConfirmed++;
        return true;
      };
      const remove = async (w: number): Promise<boolean> => {
        const candidates = model.filter((v) => namesOf(w).includes(v.name) && v.created === 'yes' && v.deleted === 'no');
        if (candidates.length === 0) return false;
        const v = candidates[between(0, candidates.length - 1)];
        v.deleted = 'maybe';
        await firstValueFrom(v.file!.delete());
        v.deleted = 'yes';
        deletesConfirmed++;
        return true;
      };
      const worker = async (w: number): Promise<void> => {
        while (!killed) {
          const r = random();
          const op = r < 0.45 ? 'upload' : r < 0.6 ? 'large upload' : r < 0.8 ? 'hide' : 'delete';
          try {
            if (op === 'upload') await upload(w, false);
            else if (op === 'large upload') await upload(w, true);
            else if (op === 'hide') (await hide(w)) || (await upload(w, false));
            else (await remove(w)) || (await upload(w, false));
          } catch (error) {
            if (!killed) preKillErrors.push(`worker ${w}, ${op}: ${String(error)}`);
            return;
          }
          await sleep(between(0, 5));
        }
      };

      const workers = Promise.all([0, 1, 2].map(worker));
      await sleep(between(80, 400));
      killed = true;
      if (fs.readdirSync(path.join(dir, 'tmp')).length > 0) killsMidBody++;
      expect(await emu.kill9())
        .withContext(`${ctx}, round ${round}`)
        .toBe('SIGKILL');
      await workers;
      expect(preKillErrors).withContext(`${ctx}, round ${round}: errors before the kill`).toEqual([]);
      expect(emu.stderr()).withContext(`${ctx}, round ${round}: stderr`).toBe('');
    }

    // The final restart: full consistency check, then the emulator works as usual.
    const emu = await spawnEmulator(dir);
    expect(emu.keyId).toBe(first!.keyId);
    expect(emu.applicationKey).toBe(first!.applicationKey);
    const bucket = await verify(emu, client(emu), 'after the last crash');
    expect(uploadsConfirmed).withContext(`${ctx}; kills that found a body in tmp/: ${killsMidBody}`).toBeGreaterThan(5);

    const data = crypto.randomBytes(2500);
    const file = await lastValueFrom(bucket.uploadFile({ contents: data, fileName: 'after/all' }).pipe(toResponseBody()));
    expect(sha1(await downloaded(file))).toBe(sha1(data));
    const marker = await firstValueFrom(file.hide());
    expect((await currentFiles(bucket)).some((f) => f.fileName === 'after/all')).toBeFalse();
    await firstValueFrom(marker.delete());
    expect((await currentFiles(bucket)).find((f) => f.fileName === 'after/all')?.fileId).toBe(file.fileId);
    await firstValueFrom(file.delete());
    expect(dataDirState(dir).tmp).toEqual([]);
    expect(emu.stderr()).toBe('');
    expect(hidesConfirmed).withContext(ctx).toBeGreaterThan(0);
    expect(deletesConfirmed).withContext(ctx).toBeGreaterThan(0);
  }, 30_000);
});
