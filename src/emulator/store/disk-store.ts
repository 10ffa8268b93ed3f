/**
 * The on-disk store, used when the emulator has a data directory. Crash-safe:
 *
 *   dataDir/tmp/<random>     bodies being received; emptied on open (uploads cut off by a crash)
 *   dataDir/blobs/<id>       committed blobs: written in tmp, fsynced, renamed here, directory fsynced
 *   dataDir/journal.jsonl    the metadata journal (see journal.ts)
 *
 * Ordering that makes a crash harmless: the engine appends a record only after the blob it
 * references is committed, so a record never points at a missing blob; a crash between the two
 * leaves an orphan blob, which the engine removes on start (listBlobIds + delete).
 *
 * Bodies stream straight to disk: a writer holds at most two ~1 MiB batches (one being written,
 * one filling), so RSS stays flat however large the upload. Every 32 MiB it also starts a
 * background fdatasync, so commit's final fsync does not have to flush the whole body at once.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { DiskJournal, fsyncDir } from './journal';
import type { BlobStore, BlobWriter, Store } from './store';

/** Write batch size and read stream chunk size. */
const IO_CHUNK = 1024 * 1024;
/**
 * A writer starts a background fdatasync after this many unsynced bytes, so the disk works while
 * the body still arrives and commit's final fsync has little left to do (instead of flushing a
 * whole 1 GiB body at the end).
 */
const SYNC_EVERY = 32 * 1024 * 1024;
const BLOB_ID = /^[A-Za-z0-9_-]+$/;

class DiskBlobStore implements BlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.blobDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
  }

  create(): BlobWriter {
    return new DiskBlobWriter(this.tmpDir, this.blobDir);
  }

  read(blobId: string, start: number, length: number): Readable {
    // Opened synchronously so a missing blob throws here, as in the memory store, and so the read
    // keeps working on the open inode even if the blob is deleted meanwhile.
    const fd = fs.openSync(this.blobPath(blobId), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0) {
        throw new RangeError(`bad range ${start}+${length} of blob ${blobId}`);
      }
      if (start + length > size) {
        throw new RangeError(`blob ${blobId} has ${size} bytes, cannot read ${start}+${length}`);
      }
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    if (length === 0) {
      fs.closeSync(fd);
      return Readable.from([], { objectMode: false });
    }
    return fs.createReadStream(this.blobPath(blobId), { fd, start, end: start + length - 1, highWaterMark: IO_CHUNK, autoClose: true });
  }

  async delete(blobId: string): Promise<void> {
    try {
      await fsp.unlink(this.blobPath(blobId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.blobDir);
    return names.filter((name) => BLOB_ID.test(name));
  }

  private blobPath(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new Error(`bad blob id ${JSON.stringify(blobId)}`);
    return path.join(this.blobDir, blobId);
  }
}

type WriterState = 'open' | 'committing' | 'committed' | 'aborted';

/**
 * Streams one body into tmp/. Chunks are kept (not copied) until ~1 MiB has gathered, then written
 * with one writev while the next batch fills: `write()` resolves at once unless a batch is already
 * being written, which is the backpressure the caller waits on.
 */
class DiskBlobWriter implements BlobWriter {
  private readonly tmpPath: string;
  private state: WriterState = 'open';
  private handle: Promise<fsp.FileHandle> | null = null;
  private batch: Buffer[] = [];
  private batchLength = 0;
  /** File offset of the next batch (batches are written at explicit positions). */
  private position = 0;
  /** The batch being written, if any; never rejects (the failure is kept in `failure`). */
  private inFlight: Promise<void> | null = null;
  private failure: Error | null = null;
  /** A background fdatasync in progress, if any; never rejects (failure kept in `failure`). */
  private syncing: Promise<void> | null = null;
  private unsynced = 0;

  constructor(
    tmpDir: string,
    private readonly blobDir: string,
  ) {
    this.tmpPath = path.join(tmpDir, randomId());
  }

  async write(chunk: Buffer): Promise<void> {
    this.checkOpen();
    if (chunk.length === 0) return;
    this.batch.push(chunk);
    this.batchLength += chunk.length;
    if (this.batchLength < IO_CHUNK) return;
    // A full batch: wait for the one being written (the backpressure), then start writing this
    // one. A loop, so overlapping write() calls still write one batch at a time.
    while (this.inFlight) await this.inFlight;
    this.checkOpen();
    if (this.batchLength >= IO_CHUNK) this.startFlush();
  }

  async commit(): Promise<string> {
    this.checkOpen();
    this.state = 'committing';
    try {
      await this.settle();
      if (this.batchLength > 0) this.startFlush();
      await this.settle();
      if (this.state !== 'committing') throw new Error('blob writer aborted during commit');
      const handle = await this.open();
      await handle.sync();
      await handle.close();
      this.handle = null;
      const id = randomId();
      await fsp.rename(this.tmpPath, path.join(this.blobDir, id));
      this.state = 'committed';
      await fsyncDirAsync(this.blobDir);
      return id;
    } catch (error) {
      if (this.state === 'committing') this.state = 'open';
      await this.abort();
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.batch = [];
    this.batchLength = 0;
    while (this.inFlight || this.syncing) await (this.inFlight ?? this.syncing);
    const handle = this.handle;
    this.handle = null;
    if (handle) {
      try {
        await (await handle).close();
      } catch {
        // Opening failed or already closed: nothing to release.
      }
    }
    try {
      await fsp.unlink(this.tmpPath);
    } catch {
      // Never created, or already gone.
    }
  }

  private checkOpen(): void {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new Error(`blob writer already ${this.state === 'committing' ? 'committing' : 'closed'}`);
  }

  private open(): Promise<fsp.FileHandle> {
    if (!this.handle) this.handle = fsp.open(this.tmpPath, 'wx');
    return this.handle;
  }

  /** Waits for the batch being written; rethrows its failure. */
  private async settle(): Promise<void> {
    while (this.inFlight || this.syncing) await (this.inFlight ?? this.syncing);
    if (this.failure) throw this.failure;
  }

  private startFlush(): void {
    const buffers = this.batch;
    const position = this.position;
    this.position += this.batchLength;
    this.batch = [];
    this.batchLength = 0;
    const length = this.position - position;
    this.inFlight = this.writeAll(buffers, position).then(
      () => {
        this.inFlight = null;
        this.unsynced += length;
        if (this.unsynced >= SYNC_EVERY && !this.syncing && this.state === 'open') this.startSync();
      },
      (error: Error) => {
        this.inFlight = null;
        this.failure = error;
      },
    );
  }

  private startSync(): void {
    this.unsynced = 0;
    this.syncing = this.open()
      .then((handle) => handle.datasync())
      .then(
        () => {
          this.syncing = null;
        },
        (error: Error) => {
          this.syncing = null;
          this.failure ??= error;
        },
      );
  }

  private async writeAll(buffers: Buffer[], position: number): Promise<void> {
    const handle = await this.open();
    const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    let written = (await handle.writev(buffers, position)).bytesWritten;
    if (written < total) {
      // writev may write less than asked (rare for files): go on from where it stopped.
      const all = Buffer.concat(buffers, total);
      while (written < total) {
        written += (await handle.write(all, written, total - written, position + written)).bytesWritten;
      }
    }
  }
}

/** fsync of a directory (makes a rename in it durable) without blocking the event loop. */
async function fsyncDirAsync(dir: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dir, 'r');
  } catch {
    return; // Platforms that cannot open a directory (Windows) cannot fsync one either.
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

function randomId(): string {
  return crypto.randomBytes(16).toString('hex');
}

/** Opens (creating if needed) a data directory; removes bodies of uploads a crash interrupted. */
export async function createDiskStore(dataDir: string): Promise<Store> {
  const blobs = new DiskBlobStore(dataDir);
  await fsp.mkdir(blobs.blobDir, { recursive: true });
  await fsp.mkdir(blobs.tmpDir, { recursive: true });
  // One emulator per directory: a second would wipe the first one's uploads and journal.
  const releaseLock = await lockDataDir(dataDir);
  for (const name of await fsp.readdir(blobs.tmpDir)) {
    await fsp.rm(path.join(blobs.tmpDir, name), { recursive: true, force: true });
  }
  fsyncDir(dataDir);
  const journal = new DiskJournal(dataDir);
  return {
    blobs,
    journal,
    listBlobIds: () => blobs.ids(),
    close: async () => {
      journal.close();
      await releaseLock();
    },
  };
}

/**
 * Takes `dataDir/LOCK` (holding our pid). A lock left by a process that is gone (killed) is taken
 * over; one held by a live process is refused.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lock = path.join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fsp.rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`data directory ${dataDir} is in use by another emulator (pid ${pid})`);
      }
      if (pid === process.pid) throw new Error(`data directory ${dataDir} is already open in this process`);
      await fsp.rm(lock, { force: true });
    }
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
