/**
 * The emulator with its data directory on a full disk: ENOSPC is injected into the disk store's
 * file API (node:fs/promises `open` for blob bodies, node:fs `writeSync` for the journal), so the
 * specs run on any machine. Uploads get a B2 JSON answer the client does not retry; reads and
 * deletes go on; nothing half-written is left behind, also after a restart.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom } from 'rxjs';
import * as b2 from '../helpers/b2-http';
import { client, countRequests, failure } from '../client/support';

function enospc(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
}

describe('emu-http a full disk under the data directory', () => {
  let dir: string;
  let emu: b2.Emu;
  let auth: b2.Auth;
  let bucket: any;
  /** Blob bodies fail to write while set. */
  let blobsFull = false;
  /** Journal appends whose line contains this text fail while set. */
  let journalFullFor: string | undefined;

  beforeEach(async () => {
    blobsFull = false;
    journalFullFor = undefined;
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxb2-full-'));
    const tmp = path.join(dir, 'tmp') + path.sep;
    const realOpen = fsp.open.bind(fsp);
    spyOn(fsp, 'open').and.callFake(async (file: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
      const handle = await (realOpen as (...a: unknown[]) => Promise<fsp.FileHandle>)(file, ...rest);
      if (String(file).startsWith(tmp)) {
        const writev = handle.writev.bind(handle);
        const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
        handle.writev = ((...a: Parameters<typeof writev>) => (blobsFull ? Promise.reject(enospc('write')) : writev(...a))) as typeof handle.writev;
        handle.write = ((...a: unknown[]) => (blobsFull ? Promise.reject(enospc('write')) : write(...a))) as typeof handle.write;
      }
      return handle;
    });
    const realWriteSync = fs.writeSync.bind(fs) as (...a: unknown[]) => number;
    spyOn(fs, 'writeSync').and.callFake(((fd: number, data: unknown, ...rest: unknown[]) => {
      if (journalFullFor !== undefined && Buffer.isBuffer(data) && data.includes(journalFullFor)) throw enospc('write');
      return realWriteSync(fd, data, ...rest);
    }) as typeof fs.writeSync);
    emu = await b2.startSpecEmulator({ dataDir: dir });
    auth = await b2.authorize(emu);
    bucket = await b2.createBucket(auth);
  });

  afterEach(async () => {
    await emu.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const names = async (): Promise<string[]> => b2.expectOk(await b2.call(auth, 'b2_list_file_versions', { bucketId: bucket.bucketId })).files.map((f: any) => f.fileName);
  const blobCount = async (): Promise<number> => (await fsp.readdir(path.join(dir, 'blobs'))).length;

  function expectDiskFull(r: b2.RawResponse): void {
    b2.expectError(r, 403, 'storage_cap_exceeded');
    expect(r.json.message).toMatch(/out of disk space \(ENOSPC\)/);
  }

  it('an upload (small, or larger than one write batch) gets 403 storage_cap_exceeded, not a reset; reads and deletes go on', async () => {
    const kept = await b2.uploadOk(auth, bucket.bucketId, 'kept.txt', 'kept before the disk filled');
    const doomed = await b2.uploadOk(auth, bucket.bucketId, 'doomed.txt', 'deleted while the disk is full');
    blobsFull = true;
    for (const size of [100, 3 * 1024 * 1024]) {
      const up = await b2.getUploadUrl(auth, bucket.bucketId);
      expectDiskFull(await b2.uploadFile(up, { name: `full-${size}.bin`, data: Buffer.alloc(size, 1) }));
    }
    const started = await b2.startLarge(auth, bucket.bucketId, 'full-large.bin');
    expectDiskFull(await b2.uploadPart(await b2.getPartUrl(auth, started.fileId), 1, Buffer.alloc(2000, 2)));
    expect(b2.expectOk(await b2.call(auth, 'b2_list_parts', { fileId: started.fileId })).parts).toEqual([]);

    const read = await b2.downloadByName(auth, bucket.bucketName, 'kept.txt');
    expect(read.status).toBe(200);
    expect(read.text).toBe('kept before the disk filled');
    b2.expectOk(await b2.call(auth, 'b2_delete_file_version', { fileId: doomed.fileId, fileName: 'doomed.txt' }));
    expect(await names()).toEqual(['full-large.bin', 'kept.txt']);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    expect(await blobCount()).toBe(1);

    blobsFull = false;
    b2.expectOk(await b2.uploadFile(await b2.getUploadUrl(auth, bucket.bucketId), { name: 'after.txt', data: 'space again' }));
    await emu.close();
    emu = await b2.startSpecEmulator({ dataDir: dir });
    auth = await b2.authorize(emu, { keyId: emu.keyId, key: emu.applicationKey });
    expect(await names()).toEqual(['after.txt', 'full-large.bin', 'kept.txt']);
    expect(kept.fileId).toBe((await b2.downloadByName(auth, bucket.bucketName, 'kept.txt')).headers['x-bz-file-id']);
  });

  it('the journal out of space: the upload is refused and its blob deleted; other calls answer the same way', async () => {
    journalFullFor = 'journal-full.bin';
    const before = await blobCount();
    const up = await b2.getUploadUrl(auth, bucket.bucketId);
    expectDiskFull(await b2.uploadFile(up, { name: 'journal-full.bin', data: Buffer.alloc(5000, 3) }));
    expect(await blobCount()).toBe(before);
    expect(await names()).toEqual([]);
    journalFullFor = 'journal-full-bucket';
    expectDiskFull(await b2.call(auth, 'b2_create_bucket', { accountId: auth.accountId, bucketName: 'journal-full-bucket', bucketType: 'allPrivate' }));
    const buckets = b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId })).buckets;
    expect(buckets.map((x: any) => x.bucketName)).toEqual([bucket.bucketName]);
  });

  // Every commit that brings a new blob drops it when the journal refuses the record (the State's
  // commit does it, not each handler): a ranged copy and a copied part make new blobs too. A whole
  // copy shares the source's blobs, which stay.
  it('the journal out of space: a ranged copy and a copied part are refused and their new blobs deleted; a whole copy leaves the source whole', async () => {
    const data = Buffer.alloc(6000, 5);
    const source = await b2.uploadOk(auth, bucket.bucketId, 'source.bin', data);
    const before = await blobCount();

    journalFullFor = 'ranged-copy.bin';
    expectDiskFull(await b2.call(auth, 'b2_copy_file', { sourceFileId: source.fileId, fileName: 'ranged-copy.bin', range: 'bytes=0-2999' }));
    expect(await blobCount()).toBe(before);

    journalFullFor = 'whole-copy.bin';
    expectDiskFull(await b2.call(auth, 'b2_copy_file', { sourceFileId: source.fileId, fileName: 'whole-copy.bin' }));
    expect(await blobCount()).toBe(before);

    journalFullFor = undefined;
    const started = await b2.startLarge(auth, bucket.bucketId, 'large-copy.bin');
    journalFullFor = started.fileId;
    expectDiskFull(await b2.call(auth, 'b2_copy_part', { sourceFileId: source.fileId, largeFileId: started.fileId, partNumber: 1, range: 'bytes=0-999' }));
    expect(await blobCount()).toBe(before);

    journalFullFor = undefined;
    expect(await names()).toEqual(['large-copy.bin', 'source.bin']);
    const read = await b2.downloadByName(auth, bucket.bucketName, 'source.bin');
    expect(read.status).toBe(200);
    expect(read.body.equals(data)).toBeTrue();
  });

  it("rxb2's client gets the 403 once: it does not retry a hopeless upload", async () => {
    blobsFull = true;
    const uploads = countRequests(emu, 'b2_upload_file');
    const rx = client(emu);
    const target = await firstValueFrom(rx.buckets.get(bucket.bucketName));
    const error = await failure(target.uploadFile({ fileName: 'client.bin', contents: Buffer.alloc(1500, 4) }));
    expect(error.status).toBe(403);
    expect(error.code).toBe('storage_cap_exceeded');
    expect(uploads()).toBe(1);
  });
});

describe('emu-http a really full disk (a 1 MiB tmpfs; needs root, else pending)', () => {
  it('answers 403 storage_cap_exceeded to uploads that do not fit, keeps serving the rest, and recovers once space is freed', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxb2-tmpfs-'));
    const { execFileSync } = await import('node:child_process');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      await fsp.rm(dir, { recursive: true, force: true });
      pending('mounting a tmpfs needs root (CAP_SYS_ADMIN); the injected-ENOSPC specs above cover the same paths');
      return;
    }
    let emu: b2.Emu | undefined;
    try {
      emu = await b2.startSpecEmulator({ dataDir: path.join(dir, 'data') });
      const auth = await b2.authorize(emu);
      const bucket = await b2.createBucket(auth);
      const small = await b2.uploadOk(auth, bucket.bucketId, 'small.bin', Buffer.alloc(200_000, 1));
      for (const size of [900_000, 3_000_000]) {
        const r = await b2.uploadFile(await b2.getUploadUrl(auth, bucket.bucketId), { name: `big-${size}.bin`, data: Buffer.alloc(size, 2) });
        b2.expectError(r, 403, 'storage_cap_exceeded');
      }
      expect((await b2.downloadByName(auth, bucket.bucketName, 'small.bin')).body.length).toBe(200_000);
      expect(await fsp.readdir(path.join(dir, 'data', 'tmp'))).toEqual([]);
      b2.expectOk(await b2.call(auth, 'b2_delete_file_version', { fileId: small.fileId, fileName: 'small.bin' }));
      b2.expectOk(await b2.uploadFile(await b2.getUploadUrl(auth, bucket.bucketId), { name: 'fits-now.bin', data: Buffer.alloc(500_000, 3) }));
    } finally {
      await emu?.close();
      execFileSync('umount', [dir]);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
