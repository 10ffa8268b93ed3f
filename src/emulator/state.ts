/**
 * The emulator's records and their indexes. Every change goes through `commit`, which journals it
 * (durable with a data directory) before it becomes visible, and keeps blob reference counts so
 * bytes are deleted when the last version or part using them goes.
 */
import type { Store, JournalEntry } from './store/store';
import type { AccountRecord, BucketRecord, FileRecord, KeyRecord, PartRecord, RecordKind, RecordKinds, Segment } from './model';
import { compareNames } from './names';

/** One name's versions in a bucket, newest first (by seq). */
interface NameEntry {
  name: string;
  versions: FileRecord[];
}

/** Per-bucket index: names kept sorted by code point for listing. */
class BucketFiles {
  readonly byName = new Map<string, NameEntry>();
  /** Sorted names (compareNames order). */
  readonly names: string[] = [];

  entry(name: string): NameEntry | undefined {
    return this.byName.get(name);
  }

  add(file: FileRecord): void {
    let entry = this.byName.get(file.fileName);
    if (!entry) {
      entry = { name: file.fileName, versions: [] };
      this.byName.set(file.fileName, entry);
      this.names.splice(this.lowerBound(file.fileName), 0, file.fileName);
    }
    const at = entry.versions.findIndex((v) => v.seq < file.seq);
    const existing = entry.versions.findIndex((v) => v.fileId === file.fileId);
    if (existing >= 0) entry.versions[existing] = file;
    else if (at < 0) entry.versions.push(file);
    else entry.versions.splice(at, 0, file);
  }

  remove(file: FileRecord): void {
    const entry = this.byName.get(file.fileName);
    if (!entry) return;
    entry.versions = entry.versions.filter((v) => v.fileId !== file.fileId);
    if (entry.versions.length === 0) {
      this.byName.delete(file.fileName);
      const i = this.lowerBound(file.fileName);
      if (this.names[i] === file.fileName) this.names.splice(i, 1);
    }
  }

  /** Index of the first name ≥ `name`. */
  lowerBound(name: string): number {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNames(this.names[mid], name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get isEmpty(): boolean {
    return this.names.length === 0;
  }
}

export class EmulatorState {
  account!: AccountRecord;
  readonly buckets = new Map<string, BucketRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly keys = new Map<string, KeyRecord>();
  private readonly parts = new Map<string, Map<number, PartRecord>>();
  private readonly bucketFiles = new Map<string, BucketFiles>();
  private readonly blobRefs = new Map<string, number>();
  private seq = 0;

  constructor(private readonly store: Store) {}

  /** Replays the journal, compacts it, and deletes blobs nothing refers to (left by a crash). */
  async load(makeAccount: () => AccountRecord): Promise<void> {
    for (const entry of this.store.journal.load()) this.apply(entry);
    if (!this.account) this.commit([{ op: 'put', kind: 'account', id: 'account', record: makeAccount() }]);
    this.store.journal.compact(this.liveEntries());
    for (const blobId of await this.store.listBlobIds()) {
      if (!this.blobRefs.has(blobId)) await this.store.blobs.delete(blobId);
    }
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // ---- queries ----

  bucketByName(name: string): BucketRecord | undefined {
    const lower = name.toLowerCase();
    for (const bucket of this.buckets.values()) if (bucket.bucketName.toLowerCase() === lower) return bucket;
    return undefined;
  }

  bucketIsEmpty(bucketId: string): boolean {
    return this.bucketFiles.get(bucketId)?.isEmpty ?? true;
  }

  /** Sorted names of a bucket (shared array: do not mutate). */
  sortedNames(bucketId: string): { names: readonly string[]; lowerBound(name: string): number } {
    const index = this.filesOf(bucketId);
    return { names: index.names, lowerBound: (name) => index.lowerBound(name) };
  }

  /** Versions of a name, newest first, including unfinished large files. */
  versionsOf(bucketId: string, name: string): readonly FileRecord[] {
    return this.bucketFiles.get(bucketId)?.entry(name)?.versions ?? [];
  }

  /** The current version of a name: the newest `upload` or `hide` (unfinished large files don't count). */
  currentVersion(bucketId: string, name: string): FileRecord | undefined {
    return this.versionsOf(bucketId, name).find((v) => v.action !== 'start');
  }

  /** Parts of an unfinished large file, ascending by part number. */
  partsOf(fileId: string): PartRecord[] {
    return [...(this.parts.get(fileId)?.values() ?? [])].sort((a, b) => a.partNumber - b.partNumber);
  }

  part(fileId: string, partNumber: number): PartRecord | undefined {
    return this.parts.get(fileId)?.get(partNumber);
  }

  /** Unfinished large files of a bucket, oldest first. */
  unfinishedLargeFiles(bucketId: string): FileRecord[] {
    return [...this.files.values()].filter((f) => f.bucketId === bucketId && f.action === 'start').sort((a, b) => a.seq - b.seq);
  }

  // ---- changes ----

  /** Deletes every bucket, file version, unfinished large file (with its parts) and application key; the account and its master key stay. */
  async reset(): Promise<void> {
    const entries: JournalEntry[] = [
      ...[...this.files.keys()].map((id) => this.del('file', id)),
      ...[...this.keys.keys()].map((id) => this.del('key', id)),
      ...[...this.buckets.keys()].map((id) => this.del('bucket', id)),
    ];
    if (entries.length > 0) await this.commitAndCollect(entries);
  }

  /**
   * Journals the entries, then applies them; blobs left unreferenced are deleted afterwards. If the
   * journal cannot take them (its disk is full), nothing is applied: the blobs the entries bring
   * that nothing references yet (a body just received, a range just copied) are deleted, so nothing
   * is left behind, and the journal's error is rethrown. Every commit that brings a blob comes here.
   */
  async commitAndCollect(entries: JournalEntry[]): Promise<void> {
    let released: string[];
    try {
      released = this.commit(entries);
    } catch (err) {
      for (const blobId of this.unreferencedBlobs(entries)) await this.store.blobs.delete(blobId).catch(() => undefined);
      throw err;
    }
    for (const blobId of released) await this.store.blobs.delete(blobId);
  }

  /** The blobs that the entries' new records reference and that no record references yet. */
  private unreferencedBlobs(entries: JournalEntry[]): Set<string> {
    const blobs = new Set<string>();
    for (const entry of entries) {
      if (entry.op !== 'put') continue;
      const segments = entry.kind === 'file' ? entry.record.segments : entry.kind === 'part' ? [entry.record.segment] : [];
      for (const s of segments) if (!this.blobRefs.has(s.blobId)) blobs.add(s.blobId);
    }
    return blobs;
  }

  /** Journals then applies; returns blob ids no longer referenced (caller deletes them). For entries that bring no blob: others go through `commitAndCollect`. */
  commit(entries: JournalEntry[]): string[] {
    this.store.journal.append(entries);
    const released: string[] = [];
    for (const entry of entries) released.push(...this.apply(entry));
    return released.filter((id) => !this.blobRefs.has(id));
  }

  put<K extends RecordKind>(kind: K, id: string, record: RecordKinds[K]): JournalEntry {
    return { op: 'put', kind, id, record } as JournalEntry;
  }

  del(kind: RecordKind, id: string): JournalEntry {
    return { op: 'del', kind, id };
  }

  partId(fileId: string, partNumber: number): string {
    return `${fileId}#${partNumber}`;
  }

  /** Applies one entry to the maps; returns the blob ids whose reference count dropped. */
  private apply(entry: JournalEntry): string[] {
    const dropped: string[] = [];
    const release = (segments: Segment[]) => {
      for (const s of segments) {
        const n = (this.blobRefs.get(s.blobId) ?? 0) - 1;
        if (n <= 0) this.blobRefs.delete(s.blobId);
        else this.blobRefs.set(s.blobId, n);
        dropped.push(s.blobId);
      }
    };
    const retain = (segments: Segment[]) => {
      for (const s of segments) this.blobRefs.set(s.blobId, (this.blobRefs.get(s.blobId) ?? 0) + 1);
    };
    switch (entry.kind) {
      case 'account':
        if (entry.op === 'put') this.account = entry.record;
        break;
      case 'bucket':
        if (entry.op === 'put') this.buckets.set(entry.id, entry.record);
        else {
          this.buckets.delete(entry.id);
          this.bucketFiles.delete(entry.id);
        }
        break;
      case 'key':
        if (entry.op === 'put') {
          this.keys.set(entry.id, entry.record);
          this.seq = Math.max(this.seq, entry.record.seq);
        } else this.keys.delete(entry.id);
        break;
      case 'file': {
        const old = this.files.get(entry.id);
        if (old) {
          release(old.segments);
          this.filesOf(old.bucketId).remove(old);
          this.files.delete(entry.id);
        }
        if (entry.op === 'put') {
          const file = entry.record;
          this.files.set(entry.id, file);
          this.filesOf(file.bucketId).add(file);
          retain(file.segments);
          this.seq = Math.max(this.seq, file.seq);
        } else {
          // A large file's parts go with it (finish turns them into segments, cancel drops them).
          for (const part of this.parts.get(entry.id)?.values() ?? []) release([part.segment]);
          this.parts.delete(entry.id);
        }
        break;
      }
      case 'part': {
        const [fileId, num] = splitPartId(entry.id);
        let table = this.parts.get(fileId);
        const old = table?.get(num);
        if (old) release([old.segment]);
        if (entry.op === 'put') {
          if (!table) this.parts.set(fileId, (table = new Map<number, PartRecord>()));
          table.set(num, entry.record);
          retain([entry.record.segment]);
        } else {
          table?.delete(num);
        }
        break;
      }
    }
    return dropped;
  }

  private filesOf(bucketId: string): BucketFiles {
    let index = this.bucketFiles.get(bucketId);
    if (!index) this.bucketFiles.set(bucketId, (index = new BucketFiles()));
    return index;
  }

  private liveEntries(): JournalEntry[] {
    const out: JournalEntry[] = [this.put('account', 'account', this.account)];
    for (const [id, r] of this.buckets) out.push(this.put('bucket', id, r));
    for (const [id, r] of this.keys) out.push(this.put('key', id, r));
    for (const [id, r] of this.files) out.push(this.put('file', id, r));
    for (const [fileId, table] of this.parts) {
      for (const [n, r] of table) out.push(this.put('part', this.partId(fileId, n), r));
    }
    return out;
  }
}

function splitPartId(id: string): [string, number] {
  const at = id.lastIndexOf('#');
  return [id.slice(0, at), Number(id.slice(at + 1))];
}
