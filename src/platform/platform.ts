/**
 * What differs between Node and the browser, behind one small interface, so the core never imports
 * Node built-ins itself. `platform/index.ts` picks Node; bundlers swap in `platform/browser.ts`
 * through package.json's `browser` field.
 */

/** An incremental SHA-1. */
export interface Sha1 {
  update(bytes: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

/** Bytes that can be read again from any offset (a file, a Blob, a buffer). */
export interface RandomAccessSource {
  readonly size: number;
  /** A file's modification time when it was opened, whole milliseconds (truncated, as `statPath` reads it). */
  readonly modifiedMillis?: number;
  /**
   * Streams [start, start+length) in chunks. With `into`, each chunk is read into the memory
   * `into()` hands over (at most its length) and yielded as a view of it: the caller owns that
   * memory and reuses it, so reading allocates nothing per chunk. A source that cannot ignores it.
   */
  read(start: number, length: number, into?: () => Uint8Array): AsyncIterable<Uint8Array>;
  /** A short description for errors and logs (never contents). */
  readonly description: string;
  /**
   * A file's: how it differs from when it was opened (its size, its modification time, or another
   * file now at its path), or undefined when it looks the same. Sources that cannot change have none.
   */
  changed?(): Promise<string | undefined>;
}

/** A file's or a Blob's SHA-1s, computed ahead of a large upload. */
export interface HashedAhead {
  /** SHA-1 of the whole (lower-case hex). */
  sha1: string;
  /** SHA-1 of each part, part 1 first. */
  partSha1s: string[];
  /** Bytes read: fewer than the size when the file shrank while it was hashed. */
  bytes: number;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  createSha1(): Sha1;
  /** Base64 of the MD5 of some bytes (SSE-C key checks). */
  md5Base64(bytes: Uint8Array): string;
  /** The chunks joined into one array of `size` bytes (a Buffer in Node). */
  concat(chunks: Uint8Array[], size: number): Uint8Array;
  toBase64(bytes: Uint8Array): string;
  fromBase64(text: string): Uint8Array;
  /**
   * Hashes a file or a Blob of `size` bytes (whole, and per part of `partSize`) off the main
   * thread, when the platform can (Node: worker threads; a browser: a Web Worker). Absent, or
   * resolving `undefined` (a browser page whose Content-Security-Policy refuses the worker or
   * WebAssembly), where it cannot: the caller then hashes on the main thread. Rejects when `signal`
   * aborts (the work is stopped).
   */
  hashInWorker?(what: { path: string } | Blob, size: number, partSize: number, signal: AbortSignal): Promise<HashedAhead | undefined>;
  /** A file on disk as a source; the browser has none. */
  openFile(path: string): Promise<RandomAccessSource>;
  /** Whether a value is a Node Readable stream. */
  isReadableStream(value: unknown): value is AsyncIterable<Uint8Array> & { readable: boolean };
  /** Turns a streamed download body (axios responseType "stream") into chunks. */
  responseChunks(body: unknown): AsyncIterable<Uint8Array>;
  /** Destroys a streamed download body (abort). */
  destroyResponse(body: unknown): void;
  /** Wraps chunks as the platform's byte stream (a Node Readable; an async iterable elsewhere). */
  toByteStream(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
  destroyStream(stream: AsyncIterable<Uint8Array>): void;
  /**
   * Writes chunks to a file through a temporary name and renames it at the end, so a failed or
   * aborted download never leaves a half-written file at `path`.
   */
  writeFileAtomically(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** A file written at positions (parallel downloads), under a temporary name until `commit`. */
  openPositionalFile(path: string): Promise<PositionalFile>;
  /**
   * The names in a local folder with their kinds, in no particular order (sync walks folders with
   * it). Rejects with the platform's error (its `code`: ENOENT, EACCES…); the browser has no folders.
   */
  readFolder(path: string): Promise<FolderEntry[]>;
  /** What is at `path`, following symbolic links when `follow`; null when nothing is there. Rejects on other errors (EACCES, ELOOP…). */
  statPath(path: string, follow: boolean): Promise<PathInfo | null>;
  /**
   * `statPath` of many paths at once (sync looks at every file of a folder walk): for each path,
   * in order, what `statPath` would resolve, or the error it would reject with. Never rejects.
   */
  statPaths(paths: readonly string[], follow: boolean): Promise<(PathInfo | null | Error)[]>;
  /** `folder` and `name` joined with the platform's separator. */
  joinPath(folder: string, name: string): string;
  /** Creates a folder and its missing parents. */
  makeFolder(path: string): Promise<void>;
  /** Removes a file (not a folder); nothing there is not an error. */
  removeFile(path: string): Promise<void>;
  /** Removes a folder if it is empty; resolves whether it did. */
  removeEmptyFolder(path: string): Promise<boolean>;
  /** Sets a file's modification time, in milliseconds since the epoch. */
  setModifiedTime(path: string, millis: number): Promise<void>;
}

/** One name in a folder listing. */
export interface FolderEntry {
  name: string;
  kind: PathKind;
}

export type PathKind = 'file' | 'folder' | 'symlink' | 'other';

/** What `statPath` found. */
export interface PathInfo {
  kind: PathKind;
  size: number;
  /** Modification time in whole milliseconds (truncated from the file system's precision). */
  modifiedMillis: number;
  /** A folder's device and inode: the same for two paths to one folder (symbolic-link loop detection); '' for other kinds. */
  identity: string;
}

export interface PositionalFile {
  /**
   * Writes the chunks one after another, starting at `position`. Node sends what was written to
   * the disk in the background as the file grows (flush behind); a failed flush rejects the next
   * write (or the commit).
   */
  writeAt(chunks: Uint8Array[], position: number): Promise<void>;
  /** Flushes to the disk (durable: fsync) and renames into place. */
  commit(): Promise<void>;
  /** Closes and removes the temporary file. */
  abort(): Promise<void>;
  /**
   * The SHA-1 of the file's bytes from its first one, computed as they land: off the main thread
   * where the platform can (Node: a worker thread reads back what was written, from the page
   * cache, which also checks the bytes on disk).
   */
  sha1FromStart(): FileSha1;
}

/** A SHA-1 of a file being written, in file order (see `PositionalFile.sha1FromStart`). */
export interface FileSha1 {
  /** Everything before `offset` is written: hash up to there. */
  through(offset: number): void;
  /** The SHA-1 (lower-case hex) once the first `size` bytes are hashed; rejects if the file holds fewer, or the hashing failed. */
  digest(size: number): Promise<string>;
  /** Stops the hashing (no digest comes). */
  abort(): void;
}

/**
 * What a platform cannot do at all (the browser has no file system), shaped as Node's system
 * errors are (`code` `ENOTSUP`, the `syscall` refused). Callers report it as a B2Error
 * `invalid_argument` naming the option that asked for a file (`localIoError` does).
 */
export class NotSupportedError extends Error {
  readonly code = 'ENOTSUP';
  constructor(
    readonly syscall: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotSupportedError';
  }
}

/** A stream read after it was destroyed (an unsubscribed download): `code` `aborted`, as the client's B2Error for an abort. */
export function streamAborted(): Error & { code: 'aborted' } {
  return Object.assign(new Error('the download was aborted'), { name: 'AbortError', code: 'aborted' as const });
}
