/**
 * Hashing ahead of a large upload (src/platform/node-hash-worker.ts in worker threads; the
 * main-thread fallback in src/transfer/upload-source.ts): the whole SHA-1 and each part's, for a
 * file and a Blob, a file that shrank, abort; and how a Node file source tells it changed.
 */
import { createHash } from 'node:crypto';
import { renameSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSha1InWorker, hashInWorkers } from '../../src/platform/node-hash-worker';
import { platform } from '../../src/platform';
import { openUploadSource } from '../../src/transfer/upload-source';
import { bytes } from '../client/support';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

/** The expected answer, computed here directly. */
function expected(data: Buffer, partSize: number) {
  const partSha1s: string[] = [];
  for (let at = 0; at < data.length || partSha1s.length === 0; at += partSize) partSha1s.push(sha1(data.subarray(at, at + partSize)));
  return { sha1: sha1(data), partSha1s, bytes: data.length };
}

describe('hashing ahead (worker threads and the main thread)', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'rxb2-hash-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("a file: the whole SHA-1 and each part's, parts cut across read steps, the last one shorter", async () => {
    const data = bytes(3_500_000, 1);
    const path = join(dir, 'a.bin');
    await writeFile(path, data);
    expect(await hashInWorkers({ path }, data.length, 1_300_000, new AbortController().signal)).toEqual(expected(data, 1_300_000));
    // A size that is a whole number of parts: no empty last part.
    expect(await hashInWorkers({ path }, 2_600_000, 1_300_000, new AbortController().signal)).toEqual(expected(data.subarray(0, 2_600_000), 1_300_000));
  });

  it('an empty file is one empty part', async () => {
    const path = join(dir, 'empty.bin');
    await writeFile(path, '');
    expect(await hashInWorkers({ path }, 0, 1000, new AbortController().signal)).toEqual(expected(Buffer.alloc(0), 1000));
  });

  it('a Blob, the same', async () => {
    const data = bytes(2_100_000, 2);
    expect(await hashInWorkers(new Blob([data]), data.length, 700_000, new AbortController().signal)).toEqual(expected(data, 700_000));
  });

  it('a file shorter than said (it shrank) reports the bytes it read', async () => {
    const data = bytes(1_000_000, 3);
    const path = join(dir, 'short.bin');
    await writeFile(path, data);
    const hashed = await hashInWorkers({ path }, 2_000_000, 500_000, new AbortController().signal);
    expect(hashed.bytes).toBe(1_000_000);
  });

  it('rejects on abort (before or during), and for a missing file', async () => {
    const path = join(dir, 'abort.bin');
    await writeFile(path, bytes(4_000_000, 4));
    const before = new AbortController();
    before.abort();
    await expectAsync(hashInWorkers({ path }, 4_000_000, 1_000_000, before.signal)).toBeRejectedWithError('aborted');
    const during = new AbortController();
    const hashing = hashInWorkers({ path }, 4_000_000, 1_000_000, during.signal);
    during.abort();
    await expectAsync(hashing).toBeRejectedWithError('aborted');
    await expectAsync(hashInWorkers({ path: join(dir, 'missing.bin') }, 10, 5, new AbortController().signal)).toBeRejectedWithError(/ENOENT/);
  });

  it('the main-thread fallback (below 8 MiB, or without workers) gives the same answer, and refuses a file that shrank', async () => {
    const data = bytes(2_345_678, 5);
    const path = join(dir, 'main-thread.bin');
    await writeFile(path, data);
    const source = await openUploadSource({ path });
    const inWorker = spyOn(platform as Required<typeof platform>, 'hashInWorker').and.callThrough();
    expect(await source.hashAhead!(1_000_000, new AbortController().signal)).toEqual(expected(data, 1_000_000));
    expect(inWorker).not.toHaveBeenCalled();
    const blob = await openUploadSource(new Blob([data]));
    expect(await blob.hashAhead!(600_000, new AbortController().signal)).toEqual(expected(data, 600_000));
    truncateSync(path, 2_000_000);
    await expectAsync(source.hashAhead!(1_000_000, new AbortController().signal)).toBeRejectedWith(
      jasmine.objectContaining({ code: 'source_changed', message: jasmine.stringContaining(path) }),
    );
  });
});

describe('the in-order SHA-1 of a file being written (a parallel download to a file)', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'rxb2-filesha1-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('hashes what is written as it is told how far, across read steps, and digests the whole', async () => {
    const data = bytes(2_500_000, 7);
    const path = join(dir, 'growing.bin');
    writeFileSync(path, data.subarray(0, 1_000_000));
    const hash = fileSha1InWorker(path);
    hash.through(700_000);
    hash.through(1_000_000);
    // Told again of less: nothing changes.
    hash.through(10);
    writeFileSync(path, data);
    hash.through(2_000_000);
    expect(await hash.digest(data.length)).toBe(sha1(data));
  });

  it('positional writes through the platform: sha1FromStart gives the SHA-1 of the bytes from the start', async () => {
    const data = bytes(1_500_000, 3);
    const file = await platform.openPositionalFile(join(dir, 'positional.bin'));
    const hash = file.sha1FromStart();
    // The second half lands first; the hash is told only of what is written from the start.
    await file.writeAt([data.subarray(750_000)], 750_000);
    await file.writeAt([data.subarray(0, 750_000)], 0);
    hash.through(data.length);
    expect(await hash.digest(data.length)).toBe(sha1(data));
    await file.abort();
  });

  it('rejects when the file holds fewer bytes than the digest asks for', async () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, bytes(1000, 1));
    await expectAsync(fileSha1InWorker(path).digest(2000)).toBeRejectedWithError(/ends after 1000 bytes/);
  });

  it('a missing file rejects with the system error code (reported as a local I/O error)', async () => {
    await expectAsync(fileSha1InWorker(join(dir, 'missing.bin')).digest(10)).toBeRejectedWith(jasmine.objectContaining({ code: 'ENOENT', syscall: 'open' }));
  });

  it('abort stops the worker: a digest asked for afterwards rejects', async () => {
    const path = join(dir, 'aborted.bin');
    writeFileSync(path, bytes(1000, 2));
    const hash = fileSha1InWorker(path);
    hash.abort();
    await expectAsync(hash.digest(1000)).toBeRejected();
  });
});

describe('a Node file source tells how it changed since it was opened', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'rxb2-changed-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function opened(name: string) {
    const path = join(dir, name);
    writeFileSync(path, bytes(5000, 6));
    return { path, file: await platform.openFile(path) };
  }

  it('unchanged: undefined', async () => {
    const { file } = await opened('same.bin');
    expect(await file.changed!()).toBeUndefined();
  });

  it('its size, its modification time, another file renamed over it, or gone', async () => {
    const shrunk = await opened('shrunk.bin');
    truncateSync(shrunk.path, 100);
    expect(await shrunk.file.changed!()).toBe('its size went from 5000 to 100 bytes');

    const touched = await opened('touched.bin');
    const later = new Date(Date.now() + 10_000);
    utimesSync(touched.path, later, later);
    expect(await touched.file.changed!()).toBe('its modification time changed');

    const replaced = await opened('replaced.bin');
    writeFileSync(join(dir, 'other.bin'), bytes(5000, 7));
    renameSync(join(dir, 'other.bin'), replaced.path);
    expect(await replaced.file.changed!()).toBe('another file replaced it');

    const gone = await opened('gone.bin');
    await rm(gone.path);
    expect(await gone.file.changed!()).toBe('it is gone');
  });
});
