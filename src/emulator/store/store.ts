/**
 * The emulator's storage seam: blobs (file and part bytes) and a metadata journal.
 * Two implementations: in memory (no data directory) and on disk (crash-safe, see disk-store.ts).
 */
import type { Readable } from 'node:stream';
import type { RecordKind, RecordKinds } from '../model';

/** Receives one upload body. Nothing is visible in the store before `commit()`. */
export interface BlobWriter {
  /** Appends bytes. Resolves when the writer can take more (backpressure); the chunk may be kept, do not reuse it. */
  write(chunk: Buffer): Promise<void>;
  /** Makes the bytes durable and returns the new blob's id. */
  commit(): Promise<string>;
  /** Throws away everything written; safe to call after a failed write and more than once. */
  abort(): Promise<void>;
}

export interface BlobStore {
  create(): BlobWriter;
  /** Streams bytes [start, start+length) of a blob. */
  read(blobId: string, start: number, length: number): Readable;
  delete(blobId: string): Promise<void>;
}

export type JournalEntry = { [K in RecordKind]: { op: 'put'; kind: K; id: string; record: RecordKinds[K] } }[RecordKind] | { op: 'del'; kind: RecordKind; id: string };

/** Persists record changes; replayed on start. Appends are durable once they return. */
export interface MetadataJournal {
  /** Every entry appended so far, oldest first (a torn last line from a crash is dropped). */
  load(): JournalEntry[];
  append(entries: JournalEntry[]): void;
  /** Rewrites the journal as the given live state (called after load, to drop history). */
  compact(entries: JournalEntry[]): void;
  close(): void;
}

export interface Store {
  blobs: BlobStore;
  journal: MetadataJournal;
  /** Blob ids present in storage, so orphans (from a crash between blob commit and journal append) can be removed. */
  listBlobIds(): Promise<string[]>;
  close(): Promise<void>;
}
