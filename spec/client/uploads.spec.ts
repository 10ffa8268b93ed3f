import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { intoBuffer, toResponseBody, type B2, type B2Event, type B2File, type Bucket } from '../../src';
import { all, bucketName, bytes, client, countRequests, failure, sha1, SMALL_FILE_PARTS, startClientEmulator, type Emu } from './support';

describe('client uploads', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  let dir: string;

  beforeAll(async () => {
    emu = await startClientEmulator(SMALL_FILE_PARTS);
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('up')));
    dir = await mkdtemp(join(tmpdir(), 'rxb2-client-'));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function download(file: B2File): Promise<Buffer> {
    const done = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    return Buffer.from(done.data);
  }

  async function expectStored(file: B2File, expected: Buffer, name: string, contentType: string): Promise<void> {
    expect(file.fileName).toBe(name);
    expect(file.bucketId).toBe(bucket.bucketId);
    expect(file.action).toBe('upload');
    expect(file.contentLength).toBe(expected.length);
    expect(file.contentSha1).toBe(sha1(expected));
    expect(file.contentType).toBe(contentType);
    expect(file.fileId).toMatch(/^4_z/);
    expect(await download(file)).toEqual(expected);
  }

  it('uploads a Buffer', async () => {
    const data = bytes(3000, 11);
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/buffer.bin', contents: data }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/buffer.bin', 'application/octet-stream');
  });

  it('uploads a plain Uint8Array', async () => {
    const data = bytes(2500, 12);
    const plain = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    expect(Buffer.isBuffer(plain)).toBeFalse();
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/uint8.json', contents: plain }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/uint8.json', 'application/json');
  });

  it('uploads a string as UTF-8', async () => {
    const text = 'héllo wörld ✓ 日本語\n';
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/text.txt', contents: text }).pipe(toResponseBody()));
    await expectStored(file, Buffer.from(text, 'utf8'), 'kinds/text.txt', 'text/plain');
  });

  it('uploads a file by { path }', async () => {
    const data = bytes(150_000, 13);
    const path = join(dir, 'source.bin');
    await writeFile(path, data);
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/from-path.png', contents: { path } }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/from-path.png', 'image/png');
  });

  it('uploads a Blob', async () => {
    const data = bytes(4321, 14);
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/blob.csv', contents: new Blob([new Uint8Array(data)]) }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/blob.csv', 'text/csv');
  });

  it('uploads a Node Readable with its contentLength', async () => {
    const data = bytes(70_000, 15);
    const chunks = [data.subarray(0, 1000), data.subarray(1000, 40_000), data.subarray(40_000)];
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/stream.html', contents: Readable.from(chunks), contentLength: data.length }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/stream.html', 'text/html');
  });

  it('uploads a Node Readable without contentLength (its length found by reading it)', async () => {
    // The brief's original contract was invalid_argument; commit 0494fd7 made unknown-length streams uploadable.
    const data = bytes(70_000, 17);
    const chunks = [data.subarray(0, 30_000), data.subarray(30_000)];
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/unknown-length.txt', contents: Readable.from(chunks) }).pipe(toResponseBody()));
    await expectStored(file, data, 'kinds/unknown-length.txt', 'text/plain');
  });

  it('uses an explicit contentType and round-trips fileInfo, unicode values included', async () => {
    const info = { author: 'Zoë Ångström', note: '日本語 & spaces + 100% / ok', src_last_modified_millis: '1700000000000' };
    const file = await lastValueFrom(
      bucket.uploadFile({ fileName: 'meta/info.dat', contents: 'payload', contentType: 'application/x-custom', fileInfo: info }).pipe(toResponseBody()),
    );
    expect(file.contentType).toBe('application/x-custom');
    expect(file.fileInfo).toEqual(info);

    const byId = await firstValueFrom(bucket.getFile({ id: file.fileId }));
    expect(byId.fileInfo).toEqual(info);
    expect(byId.contentType).toBe('application/x-custom');
    const listed = await all(bucket.listFiles({ prefix: 'meta/' }));
    expect(listed.map((f) => f.fileInfo)).toEqual([info]);

    const head = (await lastValueFrom(file.downloadToBuffer())) as Extract<B2Event<unknown>, { type: 'response' }>;
    expect(decodeURIComponent(head.headers['x-bz-info-author'])).toBe(info.author);
    expect(decodeURIComponent(head.headers['x-bz-info-note'].replace(/\+/g, ' '))).toBe(info.note);
  });

  it('emits sent (attempt 1), non-decreasing uploadProgress ending at the total, responseHeader, then response last', async () => {
    const data = bytes(2_500_000, 16);
    const list = await all(bucket.uploadFile({ fileName: 'events/big.bin', contents: data }));
    const types = list.map((e) => e.type);
    expect(list[0]).toEqual({ type: 'sent', attempt: 1 });
    expect(types.filter((t) => t === 'sent').length).toBe(1);
    const header = types.indexOf('responseHeader');
    expect(header).toBeGreaterThan(0);
    expect(types.lastIndexOf('responseHeader')).toBe(header);
    expect(types[types.length - 1]).toBe('response');
    expect(types.filter((t) => t === 'response').length).toBe(1);
    const progress = list.filter((e): e is Extract<B2Event<B2File, unknown>, { type: 'uploadProgress' }> => e.type === 'uploadProgress');
    expect(progress.length).toBeGreaterThan(0);
    // Every progress event comes between `sent` and `responseHeader`.
    expect(types.slice(1, header).every((t) => t === 'uploadProgress')).toBeTrue();
    for (let i = 1; i < progress.length; i++) expect(progress[i].loaded).toBeGreaterThanOrEqual(progress[i - 1].loaded);
    expect(progress.every((p) => p.total === data.length)).toBeTrue();
    expect(progress[progress.length - 1].loaded).toBe(data.length);
    const response = list[list.length - 1] as Extract<B2Event<B2File, unknown>, { type: 'response' }>;
    expect(response.status).toBe(200);
    expect(response.body.contentSha1).toBe(sha1(data));
  });

  it('round-trips file names with unicode, spaces, "+", "%" and "&" through listFiles and download', async () => {
    const names = [
      'odd/ünïcødé 日本語 😀.txt',
      'odd/with space and+plus.txt',
      'odd/100%25 literal %20 percent%.txt',
      'odd/a&b=c?d#e.txt',
      'odd/semi;colon,comma\'quote"(x)[y]{z}~!@$^*.txt',
    ];
    const uploaded: B2File[] = [];
    for (const [i, name] of names.entries()) {
      uploaded.push(await lastValueFrom(bucket.uploadFile({ fileName: name, contents: `content ${i}` }).pipe(toResponseBody())));
    }
    expect(uploaded.map((f) => f.fileName)).toEqual(names);
    const listed = await all(bucket.listFiles({ prefix: 'odd/' }));
    expect(listed.map((f) => f.fileName).sort()).toEqual([...names].sort());
    for (const [i, name] of names.entries()) {
      const file = listed.find((f) => f.fileName === name)!;
      expect((await download(file)).toString()).toBe(`content ${i}`);
      const byName = await lastValueFrom(bucket.downloadFileByName(name).pipe(intoBuffer(), toResponseBody()));
      expect(Buffer.from(byName.data).toString()).toBe(`content ${i}`);
      const got = await firstValueFrom(bucket.getFile({ name }));
      expect(got.fileId).toBe(uploaded[i].fileId);
    }
  });
  it('uploads and downloads a zero-byte file', async () => {
    const file = await lastValueFrom(bucket.uploadFile({ fileName: 'kinds/empty.txt', contents: '' }).pipe(toResponseBody()));
    expect(file.contentLength).toBe(0);
    expect(file.contentSha1).toBe(sha1(''));
    const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(back.bytes).toBe(0);
    expect(back.data.length).toBe(0);
    expect(back.verifiedSha1).toBe(sha1(''));
  });

  it('a { path } that does not exist fails with invalid_argument on contents.path, before any request', async () => {
    await firstValueFrom(b2.authorize());
    const count = countRequests(emu);
    const err = await failure(bucket.uploadFile({ fileName: 'kinds/none.bin', contents: { path: join(dir, 'does-not-exist.bin') } }));
    expect(err.code).toBe('invalid_argument');
    expect(err.field).toBe('contents.path');
    expect(count()).toBe(0);
  });

  it('rejects bad names, content types and fileInfo with invalid_argument before any request', async () => {
    await firstValueFrom(b2.authorize());
    const count = countRequests(emu);
    const cases: [Parameters<Bucket['uploadFile']>[0], string][] = [
      [{ fileName: '', contents: 'x' }, 'fileName'],
      [{ fileName: 'a\u0001b', contents: 'x' }, 'fileName'],
      [{ fileName: 'x'.repeat(1025), contents: 'x' }, 'fileName'],
      [{ fileName: 'ok.txt', contents: 'x', contentType: 'not a type' }, 'contentType'],
      [{ fileName: 'ok.txt', contents: 'x', fileInfo: { 'bad key': 'v' } }, 'fileInfo.bad key'],
      [{ fileName: 'ok.txt', contents: 'x', fileInfo: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, 'fileInfo'],
    ];
    for (const [options, field] of cases) {
      const err = await failure(bucket.uploadFile(options));
      expect([err.code, err.field]).withContext(field).toEqual(['invalid_argument', field]);
    }
    expect(count()).toBe(0);
  });
  it('a Readable shorter than its contentLength fails with invalid_argument on contentLength, nothing stored', async () => {
    const err = await failure(bucket.uploadFile({ fileName: 'kinds/short-stream.bin', contents: Readable.from([Buffer.alloc(500, 1)]), contentLength: 1000 }));
    expect(err.code).toBe('invalid_argument');
    expect(err.field).toBe('contentLength');
    expect(await all(bucket.listFileVersions({ prefix: 'kinds/short-stream.bin' }))).toEqual([]);
  });

  it('a Readable longer than its contentLength fails with invalid_argument on contentLength, nothing stored', async () => {
    // One 1,500-byte chunk: the surplus arrives in the same chunk as the declared bytes.
    const err = await failure(bucket.uploadFile({ fileName: 'kinds/long-stream.bin', contents: Readable.from([Buffer.alloc(1500, 1)]), contentLength: 1000 }));
    expect(err.code).toBe('invalid_argument');
    expect(err.field).toBe('contentLength');
    expect(await all(bucket.listFileVersions({ prefix: 'kinds/long-stream.bin' }))).toEqual([]);
  });
});
