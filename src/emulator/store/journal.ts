/**
 * The on-disk metadata journal: `journal.jsonl` in the data directory, one line per `append` call.
 *
 * Format: a line holds either one entry (a JSON object) or, for a multi-entry append, a JSON array
 * of entries. One `append` is ONE line written by ONE `write(2)` and then `fdatasync`ed, so it is
 * durable once it returns and atomic under a crash: a torn write leaves a trailing line without
 * its newline (or a line that does not parse), which `load` drops together with every entry it held.
 *
 * Only the LAST line may be torn (every earlier append completed before the next one started); a
 * bad line anywhere else is corruption and `load` refuses it rather than silently losing records.
 * Opening the journal truncates a torn tail away, so later appends never glue onto the fragment.
 *
 * `compact` writes `journal.jsonl.tmp`, fsyncs it, renames it over `journal.jsonl` and fsyncs the
 * directory: a crash leaves either the old or the new journal, never a mix (a leftover .tmp from
 * an interrupted compaction is deleted on open).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JournalEntry, MetadataJournal } from './store';

export const JOURNAL_FILE = 'journal.jsonl';
const COMPACT_FILE = 'journal.jsonl.tmp';
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

/** Thrown by `load` when a line other than the last does not parse. */
export class JournalCorruptError extends Error {
  constructor(file: string, lineNumber: number, cause: string) {
    super(`metadata journal ${file} is corrupt at line ${lineNumber}: ${cause}`);
    this.name = 'JournalCorruptError';
  }
}

interface Scan {
  entries: JournalEntry[];
  /** Byte length of the valid prefix (every complete, parsable line). */
  validLength: number;
  /** Total byte length of the file. */
  fileLength: number;
}

export class DiskJournal implements MetadataJournal {
  private readonly file: string;
  private fd: number | null;

  /** Opens (creating if needed) `dir/journal.jsonl` and cuts off a torn trailing line. */
  constructor(private readonly dir: string) {
    this.file = path.join(dir, JOURNAL_FILE);
    rmIfPresent(path.join(dir, COMPACT_FILE));
    const existed = fs.existsSync(this.file);
    this.fd = fs.openSync(this.file, 'a+');
    if (!existed) fsyncDir(dir);
    const scan = scanJournal(this.fd, this.file);
    if (scan.validLength < scan.fileLength) {
      fs.ftruncateSync(this.fd, scan.validLength);
      fs.fsyncSync(this.fd);
    }
  }

  load(): JournalEntry[] {
    return scanJournal(this.openFd(), this.file).entries;
  }

  append(entries: JournalEntry[]): void {
    const fd = this.openFd();
    if (entries.length === 0) return;
    const line = entries.length === 1 ? JSON.stringify(entries[0]) : JSON.stringify(entries);
    const before = fs.fstatSync(fd).size;
    try {
      // The fd is O_APPEND: one write(2) puts the whole line at the end of the file.
      writeFully(fd, Buffer.from(line + '\n', 'utf8'));
      fs.fdatasyncSync(fd);
    } catch (err) {
      // A failed write (disk full) must not leave half a line for the next append to glue onto.
      try {
        fs.ftruncateSync(fd, before);
      } catch {
        // The next start drops a torn last line anyway.
      }
      throw err;
    }
  }

  compact(entries: JournalEntry[]): void {
    this.openFd();
    const tmp = path.join(this.dir, COMPACT_FILE);
    const out = fs.openSync(tmp, 'w');
    try {
      // One entry per line, flushed in ~1 MiB batches so a big state is never one giant string.
      let batch: string[] = [];
      let batchLength = 0;
      for (const entry of entries) {
        const line = JSON.stringify(entry) + '\n';
        batch.push(line);
        batchLength += line.length;
        if (batchLength >= READ_CHUNK) {
          writeFully(out, Buffer.from(batch.join(''), 'utf8'));
          batch = [];
          batchLength = 0;
        }
      }
      if (batch.length > 0) writeFully(out, Buffer.from(batch.join(''), 'utf8'));
      fs.fsyncSync(out);
    } catch (error) {
      fs.closeSync(out);
      rmIfPresent(tmp);
      throw error;
    }
    fs.closeSync(out);
    fs.renameSync(tmp, this.file);
    fsyncDir(this.dir);
    // The old fd still points at the replaced inode: reopen so appends go to the new file.
    const old = this.fd!;
    this.fd = fs.openSync(this.file, 'a+');
    fs.closeSync(old);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    fs.closeSync(fd);
  }

  private openFd(): number {
    if (this.fd === null) throw new Error('metadata journal is closed');
    return this.fd;
  }
}

/** Reads the whole journal in 1 MiB chunks (no size limit from one big string) and parses each line. */
function scanJournal(fd: number, file: string): Scan {
  const entries: JournalEntry[] = [];
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  let pending: Buffer[] = [];
  let position = 0;
  let validLength = 0;
  let lineNumber = 0;
  // A line that did not parse: fine only if nothing but blank lines follows it.
  let badLine: { lineNumber: number; cause: string } | null = null;

  const takeLine = (line: Buffer, endOffset: number): void => {
    lineNumber++;
    const text = line.toString('utf8');
    if (text.trim() === '') {
      if (!badLine) validLength = endOffset;
      return;
    }
    if (badLine) throw new JournalCorruptError(file, badLine.lineNumber, badLine.cause);
    const parsed = parseLine(text);
    if (typeof parsed === 'string') {
      badLine = { lineNumber, cause: parsed };
      return;
    }
    for (const entry of parsed) entries.push(entry);
    validLength = endOffset;
  };

  for (;;) {
    const read = fs.readSync(fd, chunk, 0, chunk.length, position);
    if (read === 0) break;
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, from);
      if (newline === -1 || newline >= read) break;
      const piece = chunk.subarray(from, newline);
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      takeLine(line, position + newline + 1);
      from = newline + 1;
    }
    if (from < read) pending.push(Buffer.from(chunk.subarray(from, read)));
    position += read;
  }
  // Bytes after the last newline are a torn append (a line is complete only with its newline).
  return { entries, validLength, fileLength: position };
}

/** The entries of one line, or why it does not parse. */
function parseLine(text: string): JournalEntry[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  const list = Array.isArray(value) ? value : [value];
  for (const entry of list) {
    if (!isEntry(entry)) return 'not a journal entry';
  }
  return list as JournalEntry[];
}

function isEntry(value: unknown): value is JournalEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as { op?: unknown; kind?: unknown; id?: unknown; record?: unknown };
  if (typeof entry.kind !== 'string' || typeof entry.id !== 'string') return false;
  if (entry.op === 'del') return true;
  return entry.op === 'put' && typeof entry.record === 'object' && entry.record !== null;
}

function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    offset += fs.writeSync(fd, data, offset, data.length - offset);
  }
}

export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Platforms that cannot open a directory (Windows) cannot fsync one either.
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

function rmIfPresent(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
