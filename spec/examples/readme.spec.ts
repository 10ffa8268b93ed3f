/**
 * The README's code samples, section by section, run against the emulator: the names, options and
 * results the README shows are the ones the API has. A sample that stops compiling or behaving as
 * described fails here. (The Angular samples are the app in examples/angular, built and driven in
 * Chromium by spec/browser/angular-example.spec.ts; rxb2/angular itself: spec/angular.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Subject, defer, filter, firstValueFrom, lastValueFrom, mergeMap, take, takeUntil, tap, toArray, type Observable } from 'rxjs';
import { eachValueFrom } from 'rxjs-for-await';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { B2, B2Error, intoBuffer, isB2Error, retryB2, toResponseBody, type B2File, type B2UploadEvent, type Bucket, type LargeUploadCheckpoint } from '../../src';

/** Tiny parts, so "large" files are a few KB: above 5,000 bytes uploads go in parts. */
const PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 };

let serial = 0;
const unique = (tag: string) => `readme-${tag}-${Date.now().toString(36)}-${(serial++).toString(36)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const all = <T>(source: Observable<T>) => lastValueFrom(source.pipe(toArray()));

describe('README examples', () => {
  let emu: RunningEmulator;
  let b2: B2;
  let dir: string;

  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, ...PARTS });
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    dir = await mkdtemp(join(tmpdir(), 'rxb2-readme-'));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function newBucket(tag: string, options: Parameters<B2['buckets']['create']>[1] = {}): Promise<Bucket> {
    return lastValueFrom(b2.buckets.create(unique(tag), options));
  }

  async function put(bucket: Bucket, fileName: string, contents: string | Uint8Array): Promise<B2File> {
    return lastValueFrom(bucket.uploadFile({ contents, fileName }).pipe(toResponseBody()));
  }

  /** Actions of every version under a name (plain strings: a failing expectation prints no client). */
  async function actions(bucket: Bucket, name: string): Promise<string[]> {
    return (await all(bucket.listFileVersions({ prefix: name }))).map((v) => v.action);
  }

  it('README: the B2 object: authorize() emits the authorization; a bad key is a B2Error', async () => {
    const local = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    const auth = await lastValueFrom(local.authorize());
    expect(auth.allowed.capabilities).toContain('writeFiles');
    expect(auth.recommendedPartSize).toBe(5000);

    const wrong = new B2({ applicationKeyId: emu.keyId, applicationKey: 'not-the-key', realm: emu.url });
    const err = await lastValueFrom(wrong.authorize()).catch((e: unknown) => e);
    expect(isB2Error(err)).toBeTrue();
    expect((err as B2Error).status).toBe(401);
    expect(String(err)).not.toContain(emu.applicationKey);
  });

  it('README: buckets: create, list, get by name and id, update, delete', async () => {
    const bucket = await lastValueFrom(b2.buckets.create(unique('b'), { type: 'allPublic' }));
    expect(bucket.bucketType).toBe('allPublic');
    const names = (await all(b2.buckets.all())).map((b) => b.bucketName);
    expect(names).toContain(bucket.bucketName);
    expect((await lastValueFrom(b2.buckets.get(bucket.bucketName))).bucketId).toBe(bucket.bucketId);
    expect((await lastValueFrom(b2.buckets.get({ bucketId: bucket.bucketId }))).bucketName).toBe(bucket.bucketName);
    const missing = await lastValueFrom(b2.buckets.get(unique('none'))).catch((e: B2Error) => e);
    expect([(missing as B2Error).status, (missing as B2Error).code]).toEqual([404, 'not_found']);

    const updated = await lastValueFrom(bucket.update({ type: 'allPrivate', ifRevisionIs: bucket.revision }));
    expect(updated.bucketType).toBe('allPrivate');
    const deleted = await lastValueFrom(updated.delete());
    expect(deleted.deleted).toBeTrue();
  });

  it('README: files: list lazily with prefix, delimiter and limit', async () => {
    const bucket = await newBucket('list');
    for (const name of ['videos/a.mp4', 'videos/b.mp4', 'videos/sub/c.mp4', 'other.txt']) await put(bucket, name, name);
    const rows = await all(bucket.listFiles({ prefix: 'videos/', delimiter: '/' }).pipe(take(5)));
    expect(rows.map((f) => [f.fileName, f.action])).toEqual([
      ['videos/a.mp4', 'upload'],
      ['videos/b.mp4', 'upload'],
      ['videos/sub/', 'folder'],
    ]);
    expect((await all(bucket.listFiles({ limit: 2 }))).length).toBe(2);
  });

  it('README: files: upload from { path }, upload a large file, get, download (buffer, range, file, stream)', async () => {
    const bucket = await newBucket('files');
    const hello = join(dir, 'hello.txt');
    await writeFile(hello, 'hello, B2');
    const file = await lastValueFrom(bucket.uploadFile({ contents: { path: hello }, fileName: 'folder/hello.txt' }).pipe(toResponseBody()));
    expect(file.contentLength).toBe(9);

    const bigPath = join(dir, 'large_file.bin');
    const bigData = randomBytes(23_000);
    await writeFile(bigPath, bigData);
    const events = await all(bucket.uploadLargeFile({ contents: { path: bigPath }, fileName: 'folder/large_file.bin', concurrency: 4 }));
    expect(events.filter((e) => e.type === 'partUploaded').length).toBe(5);
    const big = events[events.length - 1].type === 'response' ? (events[events.length - 1] as { body: B2File }).body : undefined;
    expect(big?.contentLength).toBe(23_000);

    expect((await lastValueFrom(bucket.getFile({ name: 'folder/hello.txt' }))).fileId).toBe(file.fileId);
    expect((await lastValueFrom(bucket.getFile({ id: file.fileId }))).fileName).toBe('folder/hello.txt');

    const { data } = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(Buffer.from(data).toString()).toBe('hello, B2');
    const head = await lastValueFrom(file.downloadToBuffer({ range: { start: 0, end: 4 } }).pipe(toResponseBody()));
    expect(Buffer.from(head.data).toString()).toBe('hello');
    const out = join(dir, 'large-copy.bin');
    const copied = await lastValueFrom(big!.downloadToFile(out, { concurrency: 4, partSize: 5000 }).pipe(toResponseBody()));
    expect((await readFile(out)).equals(bigData)).toBeTrue();
    // "Upload a large file" / "Download a file": large_file_sha1 recorded, the response says what was verified.
    expect(big!.fileInfo.large_file_sha1).toBe(createHash('sha1').update(bigData).digest('hex'));
    expect([copied.verified, copied.verifiedSha1]).toEqual(['wholeFile', big!.fileInfo.large_file_sha1]);
    expect([head.verified, head.verifiedSha1, head.unverifiedReason]).toEqual(['nothing', null, 'range']);
    const byName = await lastValueFrom(bucket.downloadFileByName('folder/hello.txt').pipe(intoBuffer(), toResponseBody()));
    expect(Buffer.from(byName.data).toString()).toBe('hello, B2');

    const streamed = join(dir, 'streamed.txt');
    let verified: string | null | undefined;
    await lastValueFrom(
      file.download().pipe(
        tap((event) => {
          if (event.type === 'responseHeader') pipeline(event.body!, createWriteStream(streamed)).catch(() => undefined);
          if (event.type === 'response') verified = event.body.verifiedSha1;
        }),
      ),
    );
    expect(verified).toBe(file.contentSha1);
    await sleep(20);
    expect(await readFile(streamed, 'utf8')).toBe('hello, B2');
  });

  it('README: files: versions, delete one, delete all (three ways), hide, copy', async () => {
    const bucket = await newBucket('versions');
    for (let i = 0; i < 3; i++) await put(bucket, 'folder/hello.txt', `v${i}`);
    const file = await lastValueFrom(bucket.getFile({ name: 'folder/hello.txt' }));
    expect((await lastValueFrom(file.getVersions().pipe(toArray()))).length).toBe(3);
    const lastTwo = await lastValueFrom(file.getVersions({ limit: 2 }).pipe(toArray()));
    expect(lastTwo.length).toBe(2);

    const copy = await lastValueFrom(file.copy({ fileName: 'backup/hello.txt' }).pipe(toResponseBody()));
    expect(copy.fileName).toBe('backup/hello.txt');

    const deleted = await lastValueFrom(lastTwo[1].delete());
    expect(deleted.deleted).toBeTrue();
    expect(await actions(bucket, 'folder/hello.txt')).toEqual(['upload', 'upload']);

    const marker = await lastValueFrom(file.hide());
    expect(marker.action).toBe('hide');
    expect((await all(bucket.listFiles({ prefix: 'folder/' }))).length).toBe(0);

    await lastValueFrom(file.deleteAllVersions({ concurrency: 4 }).pipe(toArray()));
    expect(await actions(bucket, 'folder/hello.txt')).toEqual([]);

    for (let i = 0; i < 2; i++) await put(bucket, 'folder/hello.txt', `w${i}`);
    await lastValueFrom(bucket.deleteAllVersions('folder/hello.txt', { concurrency: 4 }).pipe(toArray()));
    expect(await actions(bucket, 'folder/hello.txt')).toEqual([]);

    for (let i = 0; i < 2; i++) await put(bucket, 'folder/hello.txt', `x${i}`);
    const again = await lastValueFrom(bucket.getFile({ name: 'folder/hello.txt' }));
    await lastValueFrom(
      again.getVersions().pipe(
        toArray(),
        mergeMap((versions) => versions),
        mergeMap((v) => v.delete(), 4),
        toArray(),
      ),
    );
    expect(await actions(bucket, 'folder/hello.txt')).toEqual([]);
  });

  it('README: progress: the switch over B2UploadEvent sees progress, parts and the response', async () => {
    const bucket = await newBucket('progress');
    const path = join(dir, 'video.mp4');
    await writeFile(path, randomBytes(12_000));
    const seen: string[] = [];
    await lastValueFrom(
      bucket.uploadFile({ contents: { path }, fileName: 'videos/video.mp4' }).pipe(
        tap((event: B2UploadEvent) => {
          switch (event.type) {
            case 'uploadProgress':
              seen.push(`${Math.round((100 * event.loaded) / event.total!)}%`);
              break;
            case 'partUploaded':
              seen.push(`part ${event.partNumber}`);
              break;
            case 'response':
              seen.push(`uploaded ${event.body.fileName}`);
          }
        }),
      ),
    );
    expect(seen).toContain('100%');
    expect(seen.filter((s) => s.startsWith('part ')).length).toBe(3);
    expect(seen[seen.length - 1]).toBe('uploaded videos/video.mp4');
  });

  it('README: cancel: takeUntil mid-upload aborts and cancels the large file', async () => {
    const bucket = await newBucket('cancel');
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 40 }, times: Infinity });
    const path = join(dir, 'big.iso');
    await writeFile(path, randomBytes(60_000));
    const cancelClicks = new Subject<void>();
    const upload = bucket.uploadFile({ contents: { path }, fileName: 'isos/big.iso' });
    const done = lastValueFrom(
      upload.pipe(
        tap((e) => {
          if (e.type === 'partUploaded') cancelClicks.next();
        }),
        takeUntil(cancelClicks),
        toArray(),
      ),
    );
    const events = await done;
    expect(events.some((e) => e.type === 'response')).toBeFalse();
    let left = await actions(bucket, 'isos/big.iso');
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await sleep(50);
      left = await actions(bucket, 'isos/big.iso');
    }
    expect(left).toEqual([]);
  });

  it('README: resume: keepOnFailure then resume: true, and a checkpoint resume, send only the missing parts', async () => {
    const bucket = await newBucket('resume');
    const path = join(dir, 'resume.iso');
    await writeFile(path, randomBytes(30_000));

    // A first run stopped after 2 parts, kept for resuming; its last checkpoint saved as JSON.
    let saved = '';
    await lastValueFrom(
      bucket.uploadLargeFile({ contents: { path }, fileName: 'isos/big.iso', keepOnFailure: true, concurrency: 1 }).pipe(
        tap((e) => {
          if (e.type === 'largeFileStarted' || e.type === 'partUploaded') saved = JSON.stringify(e.checkpoint);
        }),
        filter((e) => e.type === 'partUploaded'),
        take(2),
      ),
    );
    await sleep(50);
    expect(await actions(bucket, 'isos/big.iso')).toEqual(['start']);

    const checkpoint = JSON.parse(saved) as LargeUploadCheckpoint;
    const events = await all(bucket.uploadLargeFile({ contents: { path }, fileName: 'isos/big.iso', checkpoint }));
    expect(events.filter((e) => e.type === 'partUploaded').length).toBe(4);
    expect(await actions(bucket, 'isos/big.iso')).toEqual(['upload']);

    // resume: true finds an unfinished upload by itself.
    await lastValueFrom(
      bucket.uploadLargeFile({ contents: { path }, fileName: 'isos/again.iso', keepOnFailure: true, concurrency: 1 }).pipe(
        filter((e) => e.type === 'partUploaded'),
        take(3),
      ),
    );
    await sleep(50);
    const resumed = await all(bucket.uploadLargeFile({ contents: { path }, fileName: 'isos/again.iso', resume: true, keepOnFailure: true }));
    const started = resumed.find((e) => e.type === 'largeFileStarted');
    expect(started && started.type === 'largeFileStarted' && started.resumed).toBeTrue();
    expect(resumed.filter((e) => e.type === 'partUploaded').length).toBe(3);
  });

  it('README: retry: client options, retry: false, and retryB2 around a whole upload', async () => {
    const bucket = await newBucket('retry');
    const patient = new B2({
      applicationKeyId: emu.keyId,
      applicationKey: emu.applicationKey,
      realm: emu.url,
      retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 20, jitter: 0.5 },
    });
    const impatient = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, retry: false });
    await lastValueFrom(impatient.authorize());
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503 }, times: 1 });
    const failed = await lastValueFrom(impatient.buckets.get(bucket.bucketName)).catch((e: B2Error) => e);
    expect((failed as B2Error).status).toBe(503);
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503 }, times: 2 });
    expect((await lastValueFrom(patient.buckets.get(bucket.bucketName))).bucketId).toBe(bucket.bucketId);

    // The client gives up after one try; retryB2 runs the whole upload again.
    const strictBucket = await lastValueFrom(impatient.buckets.get(bucket.bucketName));
    const path = join(dir, 'report.pdf');
    await writeFile(path, 'report');
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'status', status: 500 }, times: 2 });
    const file = await lastValueFrom(
      defer(() => strictBucket.uploadFile({ contents: { path }, fileName: 'reports/report.pdf' })).pipe(retryB2({ maxAttempts: 3, baseDelayMs: 5 }), toResponseBody()),
    );
    expect(file.fileName).toBe('reports/report.pdf');
  });

  it('README: for await: break stops paging', async () => {
    const bucket = await newBucket('forawait');
    for (let i = 0; i < 6; i++) await put(bucket, `logs/2023-0${i}`, 'x');
    await put(bucket, 'logs/2024-01', 'x');
    const pages = { n: 0 };
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'delay', ms: 0 }, times: Infinity });
    const before = emu.faults.injected().delay ?? 0;
    const names: string[] = [];
    for await (const file of eachValueFrom(bucket.listFiles({ prefix: 'logs/', pageSize: 2 }))) {
      if (file.fileName >= 'logs/2023-03') break;
      names.push(file.fileName);
    }
    pages.n = (emu.faults.injected().delay ?? 0) - before;
    expect(names).toEqual(['logs/2023-00', 'logs/2023-01', 'logs/2023-02']);
    await sleep(50);
    expect((emu.faults.injected().delay ?? 0) - before).toBe(pages.n);
    expect(pages.n).toBeLessThanOrEqual(2);
  });

  it('README: for await: a listing pulls its pages, even with an awaiting body', async () => {
    const bucket = await newBucket('forawait-lazy');
    for (let i = 0; i < 6; i++) await put(bucket, `logs/2023-0${i}`, 'x');
    await put(bucket, 'logs/2024-01', 'x');
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'delay', ms: 0 }, times: Infinity });
    const before = emu.faults.injected().delay ?? 0;
    const archived: string[] = [];
    const archive = async (file: { fileName: string }) => {
      await sleep(20);
      archived.push(file.fileName);
    };
    for await (const file of bucket.listFiles({ prefix: 'logs/', pageSize: 2 })) {
      if (file.fileName >= 'logs/2023-02') break;
      await archive(file);
    }
    await sleep(50);
    expect(archived).toEqual(['logs/2023-00', 'logs/2023-01']);
    expect((emu.faults.injected().delay ?? 0) - before).toBe(2); // page 1, and page 2 (prefetched as file 2 was taken)

    const file = await put(bucket, 'hello.txt', 'hello');
    const dir = await mkdtemp(join(tmpdir(), 'rxb2-readme-'));
    const types: string[] = [];
    for await (const event of eachValueFrom(file.downloadToFile(join(dir, 'hello.txt')))) types.push(event.type);
    expect(types[types.length - 1]).toBe('response');
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).toBe('hello');
    await rm(dir, { recursive: true, force: true });
  });

  it('README: encryption: bucket default SSE-B2, SSE-B2 per file, SSE-C upload, download and copy', async () => {
    const sealed = await lastValueFrom(b2.buckets.create(unique('sealed'), { defaultServerSideEncryption: { mode: 'SSE-B2' } }));
    expect(sealed.defaultServerSideEncryption?.mode).toBe('SSE-B2');
    const bucket = await newBucket('sse');
    const contents = randomBytes(2000);
    const a = await lastValueFrom(bucket.uploadFile({ contents, fileName: 'a.bin', serverSideEncryption: { mode: 'SSE-B2' } }).pipe(toResponseBody()));
    expect(a.serverSideEncryption?.mode).toBe('SSE-B2');

    const customerKey = randomBytes(32);
    const secret = await lastValueFrom(bucket.uploadFile({ contents, fileName: 'secret.bin', serverSideEncryption: { mode: 'SSE-C', customerKey } }).pipe(toResponseBody()));
    expect(secret.serverSideEncryption?.mode).toBe('SSE-C');
    const read = await lastValueFrom(secret.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey } }).pipe(toResponseBody()));
    expect(Buffer.from(read.data).equals(contents)).toBeTrue();
    const copy = await lastValueFrom(
      secret.copy({ fileName: 'secret-copy.bin', sourceEncryption: { mode: 'SSE-C', customerKey }, serverSideEncryption: { mode: 'SSE-B2' } }).pipe(toResponseBody()),
    );
    expect(copy.serverSideEncryption?.mode).toBe('SSE-B2');
  });

  it('README: Object Lock: default retention, retention and legal hold on upload, release, delete', async () => {
    const vault = await lastValueFrom(b2.buckets.create(unique('vault'), { fileLockEnabled: true }));
    const updated = await lastValueFrom(vault.update({ defaultRetention: { mode: 'governance', period: { duration: 30, unit: 'days' } } }));
    expect(updated.fileLockConfiguration).not.toBeNull();
    const record = await lastValueFrom(
      vault
        .uploadFile({
          contents: 'ledger',
          fileName: 'ledger.txt',
          fileRetention: { mode: 'governance', retainUntilTimestamp: Date.now() + 7 * 86_400_000 },
          legalHold: 'on',
        })
        .pipe(toResponseBody()),
    );
    expect(record.legalHold).toBe('on');
    expect(record.fileRetention?.mode).toBe('governance');
    const locked = await lastValueFrom(record.delete()).catch((e: B2Error) => e);
    expect(locked instanceof B2Error).toBeTrue();

    expect(await lastValueFrom(record.updateLegalHold('off'))).toBe('off');
    await lastValueFrom(record.updateRetention(null, { bypassGovernance: true }));
    expect((await lastValueFrom(record.delete({ bypassGovernance: true }))).deleted).toBeTrue();
  });

  it('README: in the browser: a restricted key (listBuckets, writeFiles, prefix, 1 h) uploads only under its prefix', async () => {
    const bucket = await newBucket('uploads');
    const userId = 'u42';
    // server
    const key = await lastValueFrom(
      b2.keys.create({
        keyName: `upload-${userId}`,
        capabilities: ['listBuckets', 'writeFiles'],
        bucketId: bucket.bucketId,
        namePrefix: `users/${userId}/`,
        validDurationInSeconds: 3600,
      }),
    );
    const grant = { applicationKeyId: key.applicationKeyId, applicationKey: key.applicationKey, bucketName: bucket.bucketName, namePrefix: key.namePrefix! };
    await lastValueFrom(
      bucket.update({
        corsRules: [
          {
            corsRuleName: 'uploadFromApp',
            allowedOrigins: ['https://app.example.com'],
            allowedOperations: ['b2_upload_file', 'b2_upload_part'],
            allowedHeaders: ['authorization', 'content-type', 'x-bz-*'],
            maxAgeSeconds: 3600,
          },
        ],
      }),
    );

    // page
    const page = new B2({ applicationKeyId: grant.applicationKeyId, applicationKey: grant.applicationKey, realm: emu.url });
    const pageBucket = await lastValueFrom(page.buckets.get(grant.bucketName));
    const picked = new Blob([randomBytes(12_000)]);
    const uploaded = await lastValueFrom(pageBucket.uploadFile({ contents: picked, fileName: grant.namePrefix + 'photo.jpg' }).pipe(toResponseBody()));
    expect(uploaded.fileName).toBe('users/u42/photo.jpg');
    expect(uploaded.contentLength).toBe(12_000);

    const outside = await lastValueFrom(pageBucket.uploadFile({ contents: 'x', fileName: 'users/other/x.txt' })).catch((e: B2Error) => e);
    expect([(outside as B2Error).status, (outside as B2Error).code]).toEqual([401, 'unauthorized']);
    const listing = await lastValueFrom(pageBucket.listFiles({ prefix: grant.namePrefix })).catch((e: B2Error) => e);
    expect((listing as B2Error).status).toBe(401);
  });

  it('README: testing: an emulator on port 0 and a client pointed at it', async () => {
    const own = await startEmulator({ port: 0 });
    try {
      const client = new B2({ applicationKeyId: own.keyId, applicationKey: own.applicationKey, realm: own.url });
      expect((await firstValueFrom(client.authorize())).accountId).toBe(own.accountId);
    } finally {
      await own.close();
    }
  });
});
