/** The Node platform: node:crypto SHA-1, fs file sources, Node streams. */
import { createHash } from 'node:crypto';
import { type BigIntStats, close, createReadStream, createWriteStream, open, promises as fsp, lstatSync, opendirSync, read, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileSha1InWorker, hashInWorkers } from './node-hash-worker';
import type { FolderEntry, PathInfo, PathKind, Platform, RandomAccessSource } from './platform';

/** Files are read in 1 MiB chunks: the 64 KiB default costs ~45% more CPU per GiB sent. */
const READ_CHUNK = 1 << 20;

export const platform: Platform = {
  name: 'node',
  createSha1() {
    const hash = createHash('sha1');
    return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest('hex') };
  },
  md5Base64: (bytes) => createHash('md5').update(bytes).digest('base64'),
  toBase64: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  fromBase64: (text) => Buffer.from(text, 'base64'),
  concat: (chunks, size) => Buffer.concat(chunks, size),
  hashInWorker: hashInWorkers,
  async openFile(path): Promise<RandomAccessSource> {
    // bigint: nanosecond times, truncated to whole milliseconds exactly (as statPath reads them).
    // Synchronous, as `changed` below and for the same reason: every small upload from a file
    // opens one, and the asynchronous stat costs several times the CPU of the call itself.
    const stat = statSync(path, { bigint: true });
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    return {
      size: Number(stat.size),
      modifiedMillis: Number(stat.mtimeNs / 1_000_000n),
      description: `file ${path}`,
      async changed() {
        // Size, modification time and inode: a file rewritten in place, grown, shrunk, or replaced
        // by another one renamed over its path (as editors save). Synchronous: a stat of a file just
        // read costs ~1.5 µs of CPU, the asynchronous one ~17 µs and a thread-pool round trip, and
        // every small upload from a file makes one check.
        // Only a missing file is 'gone': any other failure (EACCES, EIO) is thrown as it is.
        const now = statSync(path, { bigint: true, throwIfNoEntry: false });
        if (!now) return 'it is gone';
        if (now.size !== stat.size) return `its size went from ${stat.size} to ${now.size} bytes`;
        if (now.ino !== stat.ino || now.dev !== stat.dev) return 'another file replaced it';
        if (now.mtimeNs !== stat.mtimeNs) return 'its modification time changed';
        return undefined;
      },
      read: (start, length, into) =>
        length === 0
          ? emptyChunks()
          : into
            ? readInto(path, start, length, into)
            : length <= READ_CHUNK
              ? readRange(path, start, length)
              : createReadStream(path, { start, end: start + length - 1, highWaterMark: READ_CHUNK }),
    };
  },
  isReadableStream(value): value is AsyncIterable<Uint8Array> & { readable: boolean } {
    return value instanceof Readable;
  },
  responseChunks(body) {
    return body instanceof Readable ? flowingChunks(body) : (body as AsyncIterable<Uint8Array>);
  },
  destroyResponse(body) {
    (body as Readable | undefined)?.destroy?.();
  },
  toByteStream(chunks) {
    return Readable.from(chunks, { objectMode: false, highWaterMark: READ_CHUNK });
  },
  destroyStream(stream) {
    if (stream instanceof Readable) stream.destroy();
  },
  async openPositionalFile(path) {
    const temp = tempName(path);
    // Parallel downloads hash what they wrote by reading it back, in a worker (sha1FromStart).
    const handle = await fsp.open(temp, 'w');
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    };
    // Flush behind: every FLUSH_BEHIND bytes written, the file's dirty pages are sent to the disk
    // (fdatasync, on the thread pool) while the download goes on, so the fsync that makes the file
    // durable before its rename has only the tail left to write, instead of the whole file at the end.
    let unflushed = 0;
    let flushing: Promise<void> | undefined;
    /** A failed flush (EIO, ENOSPC on some file systems): the next write or the commit reports it. */
    let flushError: unknown;
    const flushBehind = () => {
      unflushed = 0;
      flushing = handle.datasync().then(
        () => void (flushing = undefined),
        (err: unknown) => {
          flushing = undefined;
          flushError ??= err;
        },
      );
    };
    return {
      async writeAt(chunks, position) {
        if (flushError !== undefined) throw flushError;
        let pending = chunks;
        while (pending.length > 0) {
          const { bytesWritten } = await handle.writev(pending, position);
          position += bytesWritten;
          unflushed += bytesWritten;
          // A short write: carry on from the first byte not written.
          let skip = bytesWritten;
          const rest: Uint8Array[] = [];
          for (const c of pending) {
            if (skip >= c.length) skip -= c.length;
            else {
              rest.push(skip > 0 ? c.subarray(skip) : c);
              skip = 0;
            }
          }
          pending = rest;
        }
        if (unflushed >= FLUSH_BEHIND && flushing === undefined) flushBehind();
      },
      async commit() {
        await flushing;
        if (flushError !== undefined) throw flushError;
        await handle.sync();
        await close();
        await fsp.rename(temp, path);
      },
      async abort() {
        await flushing;
        await close().catch(() => undefined);
        // A failed clean-up (the folder is not there, or not a folder) must not hide why it failed.
        await fsp.rm(temp, { force: true }).catch(() => undefined);
      },
      sha1FromStart: () => fileSha1InWorker(temp),
    };
  },
  async writeFileAtomically(path, chunks) {
    const temp = tempName(path);
    const out = createWriteStream(temp, { highWaterMark: READ_CHUNK });
    try {
      await pipeline(Readable.from(chunks, { objectMode: false }), out);
      await fsp.rename(temp, path);
    } catch (err) {
      // A body that failed while the file was still being opened: the open completes after the
      // pipeline gave up, and would create the file after the clean-up below. Wait for the close.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      // A failed clean-up (the folder is not there, or not a folder) must not hide why it failed.
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  },
  async readFolder(path) {
    // Read synchronously, a slice at a time with the event loop let run between slices (as
    // statPaths): a sync walks folder after folder, and a thread-pool round trip for each one
    // (fs.promises.readdir) left the walk waiting longer than reading a folder of 100 names takes.
    const dir = opendirSync(path, { bufferSize: 256 });
    const out: FolderEntry[] = [];
    try {
      for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
        out.push({ name: e.name, kind: kindOf(e) });
        if (out.length % READ_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      dir.closeSync();
    }
    return out;
  },
  async statPath(path, follow): Promise<PathInfo | null> {
    try {
      // bigint: nanosecond times, truncated to whole milliseconds exactly (mtimeMs is a rounded float).
      const s = follow ? await fsp.stat(path, { bigint: true }) : await fsp.lstat(path, { bigint: true });
      return pathInfo(s);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  async statPaths(paths, follow) {
    // Synchronous stats, a slice at a time with the event loop let run between slices: a stat of
    // a local file costs a few µs this way, against ~15 µs of CPU and a thread-pool round trip for
    // each asynchronous one (a sync of 10,000 unchanged files is mostly these stats).
    const out: (PathInfo | null | Error)[] = [];
    for (let i = 0; i < paths.length; i++) {
      if (i > 0 && i % STAT_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      try {
        const s = follow ? statSync(paths[i], { bigint: true, throwIfNoEntry: false }) : lstatSync(paths[i], { bigint: true, throwIfNoEntry: false });
        out.push(s === undefined ? null : pathInfo(s));
      } catch (err) {
        out.push(err as Error);
      }
    }
    return out;
  },
  joinPath,
  async makeFolder(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  async removeFile(path) {
    await fsp.rm(path, { force: true });
  },
  async removeEmptyFolder(path) {
    try {
      await fsp.rmdir(path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
      throw err;
    }
  },
  async setModifiedTime(path, millis) {
    // Half a millisecond past: seconds as a double land just below a whole millisecond about half
    // the time, and the time read back (truncated) would be one millisecond early.
    const seconds = (millis + 0.5) / 1000;
    await fsp.utimes(path, seconds, seconds);
  },
};

/** The last folder `joinPath` found already normal (the sync's walk joins each folder with each of its names in turn). */
let normalFolder: string | undefined;

/**
 * `path.join`, without normalizing the whole path again for each name of a folder: a folder that
 * is already normal (checked once) joined with one plain name (no separator, not `.` or `..`) is
 * the two with a separator between, which is what `join` returns for them.
 */
function joinPath(folder: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || (sep === '\\' && name.includes('\\'))) return join(folder, name);
  if (folder !== normalFolder) {
    // '' and '.' vanish in a join, a root or a drive (`C:`) takes no separator added.
    if (folder === '' || folder === '.' || folder.endsWith(sep) || folder.endsWith(':') || normalize(folder) !== folder) return join(folder, name);
    normalFolder = folder;
  }
  return `${folder}${sep}${name}`;
}

/** What a stat found; the identity (two BigInts written out) only for folders, the one kind it is compared for. */
function pathInfo(s: BigIntStats): PathInfo {
  const kind = kindOf(s);
  return { kind, size: Number(s.size), modifiedMillis: Number(s.mtimeNs / 1_000_000n), identity: kind === 'folder' ? `${s.dev}:${s.ino}` : '' };
}

function kindOf(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): PathKind {
  return entry.isFile() ? 'file' : entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'symlink' : 'other';
}

async function* emptyChunks(): AsyncGenerator<Uint8Array> {}

/**
 * Bytes a positional file (parallel download) writes between two background flushes: a 1 GiB
 * download's closing fsync took ~0.4 s of its ~1.5 s here when all of it was left to the end.
 */
export const FLUSH_BEHIND = 64 << 20;

/** Files looked at between two turns of the event loop by `statPaths` (~1 ms on a local disk). */
const STAT_SLICE = 256;
/** Names `readFolder` reads between two turns of the event loop (~1 ms). */
const READ_SLICE = 1024;

/**
 * Up to one read chunk of a file in one read (open, read, close): a stream per small file costs
 * several times the read itself. Like a ranged read stream, a file that shrank yields what is left.
 */
async function* readRange(path: string, start: number, length: number): AsyncGenerator<Uint8Array> {
  yield await new Promise<Buffer>((resolve, reject) => {
    open(path, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      const buffer = Buffer.allocUnsafe(length);
      let got = 0;
      const finish = (error: Error | null) =>
        close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure) reject(failure);
          else resolve(got === length ? buffer : buffer.subarray(0, got));
        });
      const next = (): void =>
        read(fd, buffer, got, length - got, start + got, (readError, bytesRead) => {
          if (readError) return finish(readError);
          got += bytesRead;
          if (bytesRead === 0 || got === length) finish(null);
          else next();
        });
      next();
    });
  });
}

/**
 * [start, start+length) of a file, each chunk read into the memory `into()` hands over and yielded
 * as a view of it (the caller reuses that memory: no buffer allocated per chunk). One descriptor
 * for the range, closed when the reading ends or is abandoned; like a ranged read stream, a file
 * that shrank yields what is left.
 */
async function* readInto(path: string, start: number, length: number, into: () => Uint8Array): AsyncGenerator<Uint8Array> {
  const handle = await fsp.open(path, 'r');
  try {
    for (let at = start, end = start + length; at < end;) {
      const memory = into();
      const { bytesRead } = await handle.read(memory, 0, Math.min(memory.length, end - at), at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield memory.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** A stream's chunks queued at most this deep before it is paused (its socket then waits). */
const FLOWING_QUEUE = 4;

/**
 * A Readable's chunks as they arrive ('data' events), each as the stream delivered it: a Readable's
 * own async iterator calls read(), which joins every chunk buffered meanwhile into a new Buffer — a
 * copy of most bytes of a busy download, and garbage that costs major GCs. Paused while the reader
 * is FLOWING_QUEUE chunks behind (backpressure reaches the socket); destroyed when the reader stops
 * before the end. A stream closed before its end fails with ERR_STREAM_PREMATURE_CLOSE, as
 * Node's iterator does.
 */
async function* flowingChunks(stream: Readable): AsyncGenerator<Uint8Array> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= FLOWING_QUEUE) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: unknown) => {
    failure ??= err;
    notify();
  };
  const onClose = () => {
    if (!ended) failure ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    notify();
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  try {
    for (;;) {
      if (queue.length > 0) {
        const chunk = queue.shift()!;
        if (queue.length === 0 && stream.isPaused()) stream.resume();
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    if (!ended) stream.destroy();
  }
}

/** A sibling temporary name, so the final rename stays on one file system. */
function tempName(path: string): string {
  return `${path}.rxb2-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.part`;
}
