/** The in-memory store, used when the emulator has no data directory. */
import { Readable } from 'node:stream';
import type { BlobStore, BlobWriter, JournalEntry, MetadataJournal, Store } from './store';

class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer[]>();
  private nextId = 1;

  create(): BlobWriter {
    let chunks: Buffer[] | null = [];
    return {
      write: async (chunk) => {
        if (!chunks) throw new Error('blob writer already closed');
        chunks.push(chunk);
      },
      commit: async () => {
        if (!chunks) throw new Error('blob writer already closed');
        const id = `m${this.nextId++}`;
        this.blobs.set(id, chunks);
        chunks = null;
        return id;
      },
      abort: async () => {
        chunks = null;
      },
    };
  }

  read(blobId: string, start: number, length: number): Readable {
    const chunks = this.blobs.get(blobId);
    if (!chunks) throw new Error(`blob ${blobId} is missing`);
    return Readable.from(sliceChunks(chunks, start, length), { objectMode: false });
  }

  async delete(blobId: string): Promise<void> {
    this.blobs.delete(blobId);
  }

  ids(): string[] {
    return [...this.blobs.keys()];
  }
}

/** Yields views (no copies) of [start, start+length) across a list of chunks. */
function* sliceChunks(chunks: Buffer[], start: number, length: number): Generator<Buffer> {
  let position = 0;
  let remaining = length;
  for (const chunk of chunks) {
    if (remaining <= 0) return;
    const chunkEnd = position + chunk.length;
    if (chunkEnd > start) {
      const from = Math.max(0, start - position);
      const to = Math.min(chunk.length, from + remaining);
      remaining -= to - from;
      yield chunk.subarray(from, to);
    }
    position = chunkEnd;
  }
}

/** Nothing to persist in memory: the live maps are the state. */
class NullJournal implements MetadataJournal {
  load(): JournalEntry[] {
    return [];
  }
  append(): void {}
  compact(): void {}
  close(): void {}
}

export function createMemoryStore(): Store {
  const blobs = new MemoryBlobStore();
  return {
    blobs,
    journal: new NullJournal(),
    listBlobIds: async () => blobs.ids(),
    close: async () => {},
  };
}
