import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { intoBuffer, toResponseBody, type B2, type B2DownloadEvent, type B2File, type Bucket } from '../../src';
import { bucketName, bytes, client, failure, sha1, SMALL_FILE_PARTS, startClientEmulator, TINY_PARTS, upload, type Emu } from './support';

describe('client getFile and downloads', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  let file: B2File;
  let dir: string;
  const data = bytes(200_000, 31);

  beforeAll(async () => {
    emu = await startClientEmulator(SMALL_FILE_PARTS);
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('dl')));
    file = await upload(bucket, 'dl/data.bin', data, { purpose: 'download-spec' });
    dir = await mkdtemp(join(tmpdir(), 'rxb2-client-dl-'));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('getFile({ name }) and getFile({ id }) return the uploaded version', async () => {
    const byName = await firstValueFrom(bucket.getFile({ name: 'dl/data.bin' }));
    const byId = await firstValueFrom(bucket.getFile({ id: file.fileId }));
    for (const got of [byName, byId]) {
      expect(got.fileId).toBe(file.fileId);
      expect(got.fileName).toBe('dl/data.bin');
      expect(got.contentLength).toBe(data.length);
      expect(got.contentSha1).toBe(sha1(data));
      expect(got.contentType).toBe('application/octet-stream');
      expect(got.fileInfo).toEqual({ purpose: 'download-spec' });
      expect(got.uploadTimestamp).toBe(file.uploadTimestamp);
    }
  });

  it('getFile of a missing name or a deleted id fails with 404 not_found', async () => {
    const byName = await failure(bucket.getFile({ name: 'dl/missing.bin' }));
    expect([byName.status, byName.code]).toEqual([404, 'not_found']);
    // A name that is only a prefix of existing names is missing too.
    const prefixOnly = await failure(bucket.getFile({ name: 'dl/data' }));
    expect([prefixOnly.status, prefixOnly.code]).toEqual([404, 'not_found']);
    const gone = await upload(bucket, 'dl/gone.bin', 'bye');
    await lastValueFrom(gone.delete());
    const byId = await failure(bucket.getFile({ id: gone.fileId }));
    expect([byId.status, byId.code]).toEqual([404, 'not_found']);
  });

  it('download(): the subscriber consumes the body of responseHeader; response comes last with verifiedSha1', async () => {
    const chunks: Buffer[] = [];
    let reading: Promise<void> | undefined;
    const events = await new Promise<B2DownloadEvent[]>((resolve, reject) => {
      const seen: B2DownloadEvent[] = [];
      file.download().subscribe({
        next: (e) => {
          seen.push(e);
          if (e.type === 'responseHeader') {
            reading = (async () => {
              for await (const chunk of e.body!) chunks.push(Buffer.from(chunk));
            })();
          }
        },
        error: reject,
        complete: () => resolve(seen),
      });
    });
    await reading;
    expect(Buffer.concat(chunks).equals(data)).toBeTrue();
    const types = events.map((e) => e.type);
    expect(events[0]).toEqual({ type: 'sent', attempt: 1 });
    expect(types[1]).toBe('responseHeader');
    expect(types[types.length - 1]).toBe('response');
    expect(types.slice(2, -1).every((t) => t === 'downloadProgress')).toBeTrue();
    const header = events[1] as Extract<B2DownloadEvent, { type: 'responseHeader' }>;
    expect(header.status).toBe(200);
    expect(header.headers['x-bz-file-id']).toBe(file.fileId);
    expect(header.headers['content-length']).toBe(String(data.length));
    const progress = events.filter((e): e is Extract<B2DownloadEvent, { type: 'downloadProgress' }> => e.type === 'downloadProgress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toEqual({ type: 'downloadProgress', loaded: data.length, total: data.length });
    const response = events[events.length - 1] as Extract<B2DownloadEvent, { type: 'response' }>;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ bytes: data.length, verifiedSha1: sha1(data), verified: 'wholeFile' });
  });

  it('downloadToBuffer() returns the bytes and the verified SHA-1', async () => {
    const result = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(Buffer.from(result.data).equals(data)).toBeTrue();
    expect(result.bytes).toBe(data.length);
    expect(result.verifiedSha1).toBe(sha1(data));
  });

  it('downloadToFile() writes the bytes to the path, leaving no temporary file', async () => {
    const own = await mkdtemp(join(dir, 'to-file-'));
    const path = join(own, 'out.bin');
    const result = await lastValueFrom(file.downloadToFile(path).pipe(toResponseBody()));
    expect(result.path).toBe(path);
    expect(result.verifiedSha1).toBe(sha1(data));
    expect(result.bytes).toBe(data.length);
    expect((await readFile(path)).equals(data)).toBeTrue();
    expect(await readdir(own)).toEqual(['out.bin']);
  });

  it('a range gives exactly those bytes (inclusive end), status 206, and verifiedSha1 null', async () => {
    const result = await lastValueFrom(file.downloadToBuffer({ range: { start: 1000, end: 1999 } }));
    expect(result.type).toBe('response');
    const response = result as Extract<typeof result, { type: 'response' }>;
    expect(response.status).toBe(206);
    expect(Buffer.from(response.body.data).equals(data.subarray(1000, 2000))).toBeTrue();
    expect(response.body).toEqual(jasmine.objectContaining({ bytes: 1000, verifiedSha1: null }));

    const tail = await lastValueFrom(file.downloadToBuffer({ range: { start: data.length - 10 } }).pipe(toResponseBody()));
    expect(Buffer.from(tail.data).equals(data.subarray(data.length - 10))).toBeTrue();
    expect(tail.verifiedSha1).toBeNull();

    const one = await lastValueFrom(file.downloadToBuffer({ range: { start: 0, end: 0 } }).pipe(toResponseBody()));
    expect(Buffer.from(one.data)).toEqual(data.subarray(0, 1));
  });

  it('downloadFileByName() gives the current version', async () => {
    const viaName = await lastValueFrom(bucket.downloadFileByName('dl/data.bin').pipe(intoBuffer(), toResponseBody()));
    expect(Buffer.from(viaName.data).equals(data)).toBeTrue();
    expect(viaName.verifiedSha1).toBe(sha1(data));
  });

  it('downloads a large-file-sized object (12 MB, several MB chunks) intact', async () => {
    const large = bytes(12_000_000, 32);
    const uploaded = await lastValueFrom(bucket.uploadFile({ fileName: 'dl/large.bin', contents: large }).pipe(toResponseBody()));
    expect(uploaded.contentLength).toBe(large.length);
    const path = join(dir, 'large.bin');
    const toFile = await lastValueFrom(uploaded.downloadToFile(path).pipe(toResponseBody()));
    expect(toFile.verifiedSha1).toBe(sha1(large));
    expect((await readFile(path)).equals(large)).toBeTrue();
    const toBuffer = await lastValueFrom(uploaded.downloadToBuffer().pipe(toResponseBody()));
    expect(toBuffer.bytes).toBe(large.length);
    expect(sha1(toBuffer.data)).toBe(sha1(large));
  });
});

describe('client large-file-sized download', () => {
  let emu: Emu;
  let file: B2File;
  const data = bytes(300_000, 33);

  beforeAll(async () => {
    // Tiny part sizes: 300 KB is 150 times the recommended part size, so the client may upload it as a large file.
    emu = await startClientEmulator(TINY_PARTS);
    const b2 = client(emu);
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('dl-large')));
    file = await lastValueFrom(bucket.uploadFile({ fileName: 'large/data.bin', contents: data }).pipe(toResponseBody()));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  it('is stored whole: its length, and its SHA-1 (contentSha1, or large_file_sha1 for a large file)', () => {
    expect(file.contentLength).toBe(data.length);
    if (file.contentSha1 === 'none') expect(file.fileInfo.large_file_sha1).toBe(sha1(data));
    else expect(file.contentSha1).toBe(sha1(data));
  });

  it('downloads intact and verified', async () => {
    const result = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(result.bytes).toBe(data.length);
    expect(result.verifiedSha1).toBe(sha1(data));
    expect(Buffer.from(result.data).equals(data)).toBeTrue();
  });

  it('a range across several of its parts gives exactly those bytes', async () => {
    const result = await lastValueFrom(file.downloadToBuffer({ range: { start: 1999, end: 10_500 } }).pipe(toResponseBody()));
    expect(Buffer.from(result.data).equals(data.subarray(1999, 10_501))).toBeTrue();
    expect(result.verifiedSha1).toBeNull();
  });

  it('resumes after the connection drops mid-body and still verifies the whole-file SHA-1', async () => {
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 123_457 }, times: 1 });
    const result = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(emu.faults.injected().resetResponse).toBe(1);
    expect(result.verifiedSha1).toBe(sha1(data));
    expect(Buffer.from(result.data).equals(data)).toBeTrue();
  });
});
