import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { createDiskStore } from '../../../src/emulator/store/disk-store';
import type { JournalEntry, Store } from '../../../src/emulator/store/store';
import type { PartRecord } from '../../../src/emulator/model';

const MiB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha1(data: Buffer): string {
  return crypto.createHash('sha1').update(data).digest('hex');
}

function part(fileId: string, partNumber: number, blobId = 'b', length = 1): JournalEntry {
  const record: PartRecord = {
    fileId,
    partNumber,
    contentLength: length,
    contentSha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    contentMd5: null,
    uploadTimestamp: 1_700_000_000_000 + partNumber,
    segment: { blobId, offset: 0, length },
  };
  return { op: 'put', kind: 'part', id: `${fileId}:${partNumber}`, record };
}

describe('disk store', () => {
  let dir: string;
  let store: Store | null;

  const reopen = async (): Promise<Store> => {
    if (store) await store.close();
    store = await createDiskStore(dir);
    return store;
  };
  const tmpFiles = (): string[] => fs.readdirSync(path.join(dir, 'tmp'));
  const blobFiles = (): string[] => fs.readdirSync(path.join(dir, 'blobs'));
  const journalFile = (): string => path.join(dir, 'journal.jsonl');

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-disk-store-'));
    store = await createDiskStore(dir);
  });

  afterEach(async () => {
    if (store) await store.close();
    store = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('blobs', () => {
    it('round-trips a blob written in uneven chunks and reads any range of it', async () => {
      const sizes = [1, 100, 65536, 3 * MiB + 17, 0, 5, MiB - 1, MiB, 2, 700_000];
      const chunks = sizes.map((size) => crypto.randomBytes(size));
      const expected = Buffer.concat(chunks);
      const writer = store!.blobs.create();
      for (const chunk of chunks) await writer.write(chunk);
      const id = await writer.commit();

      expect(await store!.listBlobIds()).toEqual([id]);
      expect(tmpFiles()).toEqual([]);
      expect(fs.statSync(path.join(dir, 'blobs', id)).size).toBe(expected.length);

      const ranges: Array<[number, number]> = [
        [0, expected.length],
        [0, 1],
        [0, 0],
        [expected.length, 0],
        [expected.length - 1, 1],
        [MiB - 3, 10],
        [12345, 3 * MiB],
        [expected.length - 2 * MiB - 1, 2 * MiB + 1],
      ];
      for (const [start, length] of ranges) {
        const got = await readAll(store!.blobs.read(id, start, length));
        expect(got.length).withContext(`${start}+${length}`).toBe(length);
        expect(got.equals(expected.subarray(start, start + length)))
          .withContext(`${start}+${length}`)
          .toBeTrue();
      }
    });

    it('keeps bytes in order when write() calls overlap, and across concurrent writers', async () => {
      const make = (seed: number): Buffer[] => Array.from({ length: 40 }, (_, i) => Buffer.alloc(((i * 7919 + seed) % 300_000) + 1, (i + seed) % 256));
      const bodies = [make(1), make(2), make(3)];
      const ids = await Promise.all(
        bodies.map(async (chunks) => {
          const writer = store!.blobs.create();
          // Not awaited one by one: the writer must still lay them down in call order.
          await Promise.all(chunks.map((chunk) => writer.write(chunk)));
          return writer.commit();
        }),
      );
      expect(new Set(ids).size).toBe(3);
      for (let i = 0; i < 3; i++) {
        const expected = Buffer.concat(bodies[i]);
        const got = await readAll(store!.blobs.read(ids[i], 0, expected.length));
        expect(sha1(got)).toBe(sha1(expected));
      }
    });

    it('commits an empty blob', async () => {
      const id = await store!.blobs.create().commit();
      expect(await store!.listBlobIds()).toEqual([id]);
      expect((await readAll(store!.blobs.read(id, 0, 0))).length).toBe(0);
    });

    it('abort leaves nothing behind and is safe to repeat', async () => {
      const writer = store!.blobs.create();
      // The second full batch waits for the first to be written: the file exists by then.
      await writer.write(crypto.randomBytes(3 * MiB));
      await writer.write(crypto.randomBytes(MiB));
      expect(tmpFiles().length).toBe(1);
      await writer.abort();
      await writer.abort();
      expect(tmpFiles()).toEqual([]);
      expect(blobFiles()).toEqual([]);
      await expectAsync(writer.write(Buffer.from('x'))).toBeRejected();
      await expectAsync(writer.commit()).toBeRejected();

      // Aborting before anything reached the disk, and aborting after a commit, are no-ops.
      await store!.blobs.create().abort();
      const committed = store!.blobs.create();
      await committed.write(Buffer.from('kept'));
      const id = await committed.commit();
      await committed.abort();
      expect(await store!.listBlobIds()).toEqual([id]);
      expect(tmpFiles()).toEqual([]);
    });

    it('read of a missing blob or past the end throws; delete removes, missing is fine', async () => {
      expect(() => store!.blobs.read('nope', 0, 1)).toThrow();
      expect(() => store!.blobs.read('../journal.jsonl', 0, 1)).toThrow();
      const writer = store!.blobs.create();
      await writer.write(Buffer.from('hello'));
      const id = await writer.commit();
      expect(() => store!.blobs.read(id, 3, 3)).toThrow();
      expect((await readAll(store!.blobs.read(id, 1, 3))).toString()).toBe('ell');

      await store!.blobs.delete(id);
      await store!.blobs.delete(id);
      await store!.blobs.delete('never-existed');
      expect(await store!.listBlobIds()).toEqual([]);
    });

    it('a read started before delete still gets all its bytes', async () => {
      const body = crypto.randomBytes(4 * MiB);
      const writer = store!.blobs.create();
      await writer.write(body);
      const id = await writer.commit();
      const stream = store!.blobs.read(id, 0, body.length);
      await store!.blobs.delete(id);
      expect((await readAll(stream)).equals(body)).toBeTrue();
    });

    it('removes bodies of uncommitted uploads when reopened', async () => {
      const writer = store!.blobs.create();
      await writer.write(crypto.randomBytes(2 * MiB));
      await writer.write(crypto.randomBytes(10));
      fs.writeFileSync(path.join(dir, 'tmp', 'stray'), 'x');
      fs.mkdirSync(path.join(dir, 'tmp', 'stray-dir'));
      const done = store!.blobs.create();
      await done.write(Buffer.from('committed'));
      const id = await done.commit();
      expect(tmpFiles().length).toBe(3);

      await reopen();
      expect(tmpFiles()).toEqual([]);
      expect(await store!.listBlobIds()).toEqual([id]);
      expect((await readAll(store!.blobs.read(id, 0, 9))).toString()).toBe('committed');
      await writer.abort(); // releases the handle the simulated crash left open
    });

    it('streams a large body without holding it in memory', async () => {
      const total = 256 * MiB;
      const pattern = crypto.randomBytes(64 * 1024);
      const hash = crypto.createHash('sha1');
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const writer = store!.blobs.create();
      for (let written = 0; written < total; written += pattern.length) {
        const chunk = Buffer.from(pattern); // a fresh buffer per chunk, as from a socket
        hash.update(chunk);
        await writer.write(chunk);
        if (written % (16 * MiB) === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
      const id = await writer.commit();
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(peak - before).toBeLessThan(96 * MiB);

      const readHash = crypto.createHash('sha1');
      for await (const chunk of store!.blobs.read(id, 0, total)) {
        readHash.update(chunk as Buffer);
        expect((chunk as Buffer).length).toBeLessThanOrEqual(MiB);
      }
      expect(readHash.digest('hex')).toBe(hash.digest('hex'));
    }, 60_000);
  });

  describe('journal', () => {
    it('round-trips appends across a reopen', async () => {
      const entries: JournalEntry[] = [part('f1', 1), part('f1', 2), part('f1', 3), { op: 'del', kind: 'part', id: 'f1:2' }, part('f2', 1, 'blob-\u2028-é', 7)];
      expect(store!.journal.load()).toEqual([]);
      store!.journal.append([entries[0]]);
      store!.journal.append([entries[1], entries[2]]);
      store!.journal.append([]);
      store!.journal.append([entries[3]]);
      store!.journal.append([entries[4]]);
      expect(store!.journal.load()).toEqual(entries);

      await reopen();
      expect(store!.journal.load()).toEqual(entries);
      // One line per non-empty append: a multi-entry append is one line.
      const lines = fs.readFileSync(journalFile(), 'utf8').split('\n');
      expect(lines.length).toBe(5);
      expect(lines[4]).toBe('');
    });

    it('drops a torn trailing line (without newline) and keeps appending cleanly after it', async () => {
      const kept = [part('f1', 1), part('f1', 2)];
      store!.journal.append([kept[0]]);
      store!.journal.append([kept[1]]);
      await store!.close();
      store = null;
      fs.appendFileSync(journalFile(), '{"op":"put","kind":"pa');

      await reopen();
      expect(store!.journal.load()).toEqual(kept);
      store!.journal.append([part('f1', 3)]);
      await reopen();
      expect(store!.journal.load()).toEqual([...kept, part('f1', 3)]);
    });

    it('drops every entry of a multi-entry append whose line was torn', async () => {
      store!.journal.append([part('f1', 1)]);
      await store!.close();
      store = null;
      const line = JSON.stringify([part('f2', 1), part('f2', 2), part('f2', 3)]);
      fs.appendFileSync(journalFile(), line.slice(0, Math.floor(line.length / 2)));
      await reopen();
      expect(store!.journal.load()).toEqual([part('f1', 1)]);

      // Even a complete JSON text lacking its newline was never acknowledged: dropped too.
      await store!.close();
      store = null;
      fs.appendFileSync(journalFile(), line);
      await reopen();
      expect(store!.journal.load()).toEqual([part('f1', 1)]);
    });

    it('drops an unparsable last line that has its newline (e.g. zero-filled after power loss)', async () => {
      store!.journal.append([part('f1', 1)]);
      await store!.close();
      store = null;
      fs.appendFileSync(journalFile(), Buffer.concat([Buffer.alloc(50), Buffer.from('\n')]));
      await reopen();
      expect(store!.journal.load()).toEqual([part('f1', 1)]);
      store!.journal.append([part('f1', 2)]);
      await reopen();
      expect(store!.journal.load()).toEqual([part('f1', 1), part('f1', 2)]);
    });

    it('refuses a bad line that is not the last', async () => {
      store!.journal.append([part('f1', 1)]);
      await store!.close();
      store = null;
      fs.appendFileSync(journalFile(), 'garbage\n' + JSON.stringify(part('f1', 2)) + '\n');
      await expectAsync(createDiskStore(dir)).toBeRejectedWithError(/line 2/);
    });

    it('compact keeps exactly the given entries, and later appends land in the new file', async () => {
      for (let i = 1; i <= 20; i++) store!.journal.append([part('f1', i)]);
      store!.journal.append([{ op: 'del', kind: 'part', id: 'f1:1' }]);
      const live = [part('f1', 2), part('f1', 3), part('f9', 1)];
      store!.journal.compact(live);
      expect(store!.journal.load()).toEqual(live);
      store!.journal.append([part('f1', 21)]);
      // No leftover compaction file; LOCK is held while the store is open.
      expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'blobs', 'journal.jsonl', 'tmp']);

      await reopen();
      expect(store!.journal.load()).toEqual([...live, part('f1', 21)]);
      store!.journal.compact([]);
      await reopen();
      expect(store!.journal.load()).toEqual([]);
    });

    it('removes a compaction file left by a crash, keeping the journal it would have replaced', async () => {
      store!.journal.append([part('f1', 1)]);
      await store!.close();
      store = null;
      fs.writeFileSync(path.join(dir, 'journal.jsonl.tmp'), JSON.stringify(part('x', 1)));
      await reopen();
      expect(store!.journal.load()).toEqual([part('f1', 1)]);
      expect(fs.existsSync(path.join(dir, 'journal.jsonl.tmp'))).toBeFalse();
    });

    it('refuses appends after close', async () => {
      await store!.close();
      expect(() => store!.journal.append([part('f1', 1)])).toThrow();
      store = null;
    });
  });

  describe('crash', () => {
    // The compiled store, next to this compiled spec: dist/spec/emulator/store -> dist/src/emulator/store.
    const diskStoreJs = path.resolve(__dirname, '../../../src/emulator/store/disk-store.js');

    // Writes blobs and journals them in a loop, with one big upload always in progress, until killed.
    // Each file f<n> gets (n % 3) + 1 parts appended in ONE journal call; each part's blob holds
    // deterministic bytes whose SHA-1 the record carries.
    const childScript = `
      const crypto = require('node:crypto');
      const { createDiskStore } = require(${JSON.stringify(diskStoreJs)});
      const dir = process.argv[2];
      const MiB = 1024 * 1024;
      function body(n, p) {
        const size = 1 + ((n * 7919 + p * 104729) % (3 * MiB));
        const seed = crypto.createHash('sha256').update(n + ':' + p).digest();
        const out = Buffer.allocUnsafe(size);
        for (let i = 0; i < size; i += seed.length) seed.copy(out, i);
        return out;
      }
      (async () => {
        const store = await createDiskStore(dir);
        // An upload that never finishes: it must not survive the crash.
        const stuck = store.blobs.create();
        await stuck.write(crypto.randomBytes(2 * MiB));
        // Big uploads, one after the other, always one in progress.
        const bigChunk = crypto.randomBytes(MiB);
        const bigSha1 = (n) => { const h = crypto.createHash('sha1'); for (let i = 0; i < n; i++) h.update(bigChunk); return h.digest('hex'); };
        let bigCommitted = 0;
        (async () => {
          for (let b = 0; ; b++) {
            const chunks = 32 + (b % 3) * 16;
            const writer = store.blobs.create();
            for (let i = 0; i < chunks; i++) await writer.write(bigChunk);
            const blobId = await writer.commit();
            const length = chunks * MiB;
            store.journal.append([{ op: 'put', kind: 'part', id: 'big' + b + ':1', record: {
              fileId: 'big' + b, partNumber: 1, contentLength: length, contentSha1: bigSha1(chunks), contentMd5: null,
              uploadTimestamp: Date.now(), segment: { blobId, offset: 0, length } } }]);
            bigCommitted++;
          }
        })().catch((e) => { console.error(e); process.exit(3); });
        let announced = false;
        for (let n = 0; ; n++) {
          const entries = [];
          for (let p = 1; p <= (n % 3) + 1; p++) {
            const data = body(n, p);
            const writer = store.blobs.create();
            for (let i = 0; i < data.length; i += 100000) await writer.write(data.subarray(i, i + 100000));
            const blobId = await writer.commit();
            entries.push({ op: 'put', kind: 'part', id: 'f' + n + ':' + p, record: {
              fileId: 'f' + n, partNumber: p, contentLength: data.length,
              contentSha1: crypto.createHash('sha1').update(data).digest('hex'), contentMd5: null,
              uploadTimestamp: Date.now(), segment: { blobId, offset: 0, length: data.length } } });
          }
          store.journal.append(entries);
          if (!announced && n >= 10 && bigCommitted >= 1) { announced = true; process.stdout.write('ready\\n'); }
        }
      })().catch((e) => { console.error(e); process.exit(2); });
    `;

    it('after SIGKILL mid-write: journal loads, tmp is emptied, every journaled blob is complete', async () => {
      const scriptFile = path.join(dir, '..', `${path.basename(dir)}-child.js`);
      fs.writeFileSync(scriptFile, childScript);
      await store!.close();
      store = null;
      try {
        for (let round = 0; round < 2; round++) {
          const child = spawn(process.execPath, [scriptFile, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
          const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
          await new Promise<void>((resolve, reject) => {
            child.stdout.on('data', (data: Buffer) => {
              if (data.toString().includes('ready')) resolve();
            });
            child.on('exit', (code) => reject(new Error(`child exited (${code}) before ready: ${stderr}`)));
          });
          await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
          // The stuck upload (at least) is in tmp at the moment of the crash.
          expect(tmpFiles().length).toBeGreaterThan(0);
          child.kill('SIGKILL');
          expect(await exited).toBe('SIGKILL');

          const reopened = await reopen();
          expect(tmpFiles()).toEqual([]);
          const entries = reopened.journal.load();
          const parts = new Map<string, number[]>();
          let bigs = 0;
          for (const entry of entries) {
            expect(entry.op).toBe('put');
            if (entry.op !== 'put' || entry.kind !== 'part') continue;
            const record = entry.record;
            const list = parts.get(record.fileId) ?? [];
            list.push(record.partNumber);
            parts.set(record.fileId, list);
            if (record.fileId.startsWith('big')) bigs++;
            const blobFile = path.join(dir, 'blobs', record.segment.blobId);
            expect(fs.statSync(blobFile).size).withContext(entry.id).toBe(record.contentLength);
            const hash = crypto.createHash('sha1');
            for await (const chunk of reopened.blobs.read(record.segment.blobId, 0, record.contentLength)) {
              hash.update(chunk as Buffer);
            }
            expect(hash.digest('hex')).withContext(entry.id).toBe(record.contentSha1);
          }
          expect(bigs).toBeGreaterThanOrEqual(1);
          // Small files were journaled in order, each with all its parts or (if torn) not at all.
          const small = [...parts.keys()].filter((id) => id.startsWith('f'));
          expect(small.length).toBeGreaterThanOrEqual(11);
          small.forEach((fileId, index) => {
            expect(fileId).toBe(`f${index}`);
            expect(parts.get(fileId)).toEqual(Array.from({ length: (index % 3) + 1 }, (_, p) => p + 1));
          });
          // Start the next round from an empty journal (blobs stay: orphans are the engine's job).
          reopened.journal.compact([]);
          await reopened.close();
          store = null;
        }
      } finally {
        fs.rmSync(scriptFile, { force: true });
      }
    }, 120_000);
  });
});
