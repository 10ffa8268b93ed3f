/**
 * The Node platform's positional file (parallel downloads): bytes written at their offsets land
 * exactly, what is written is flushed to the disk behind the writes (so the closing fsync has
 * only the tail left), and a failed background flush is reported, never lost.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { platform } from '../../src/platform';
import { FLUSH_BEHIND } from '../../src/platform/node';

const MiB = 1 << 20;

/** FileHandle.prototype: where `datasync` and `sync` live (spied on, then called through). */
async function fileHandlePrototype(dir: string): Promise<{ datasync(): Promise<void>; sync(): Promise<void> }> {
  const handle = await fsp.open(path.join(dir, 'probe'), 'w');
  await handle.close();
  fs.rmSync(path.join(dir, 'probe'));
  return Object.getPrototypeOf(handle) as { datasync(): Promise<void>; sync(): Promise<void> };
}

/** A MiB of bytes that differ from every other MiB of the file. */
function mib(k: number): Buffer {
  const b = Buffer.alloc(MiB, k & 0xff);
  b.writeUInt32LE(k, 0);
  return b;
}

function eio(): NodeJS.ErrnoException {
  return Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', syscall: 'fdatasync' });
}

describe('Node platform: openPositionalFile', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-positional-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('flushes behind the writes, and commits exactly the bytes written at their offsets', async () => {
    const proto = await fileHandlePrototype(dir);
    const datasync = spyOn(proto, 'datasync').and.callThrough();
    const sync = spyOn(proto, 'sync').and.callThrough();
    const total = (2 * FLUSH_BEHIND) / MiB + 3;
    const target = path.join(dir, 'out.bin');
    const file = await platform.openPositionalFile(target);
    // Two ranges written side by side, as a parallel download does: the second half first.
    const half = Math.ceil(total / 2);
    const expected = createHash('sha1');
    for (let k = 0; k < total; k++) expected.update(mib(k));
    for (let i = 0; i < half; i++) {
      if (half + i < total) await file.writeAt([mib(half + i)], (half + i) * MiB);
      await file.writeAt([mib(i)], i * MiB);
    }
    // Behind the writes, not all at the end: at least one flush began before the commit.
    expect(datasync.calls.count()).toBeGreaterThanOrEqual(1);
    expect(sync).not.toHaveBeenCalled();
    await file.commit();
    expect(sync).toHaveBeenCalledTimes(1);
    expect(fs.readdirSync(dir)).toEqual(['out.bin']);
    expect(createHash('sha1').update(fs.readFileSync(target)).digest('hex')).toBe(expected.digest('hex'));
  });

  it('writes that stay under the flush step leave the whole flush to the commit', async () => {
    const proto = await fileHandlePrototype(dir);
    const datasync = spyOn(proto, 'datasync').and.callThrough();
    const file = await platform.openPositionalFile(path.join(dir, 'small.bin'));
    await file.writeAt([mib(0), mib(1)], 0);
    await file.commit();
    expect(datasync).not.toHaveBeenCalled();
    expect(fs.readFileSync(path.join(dir, 'small.bin')).length).toBe(2 * MiB);
  });

  it('a failed background flush fails the next write, and the abort leaves nothing behind', async () => {
    const proto = await fileHandlePrototype(dir);
    spyOn(proto, 'datasync').and.callFake(() => Promise.reject(eio()));
    const target = path.join(dir, 'out.bin');
    const file = await platform.openPositionalFile(target);
    const step = FLUSH_BEHIND / MiB;
    for (let k = 0; k < step; k++) await file.writeAt([mib(k)], k * MiB);
    // The flush started by the last write has failed by the time the next write comes.
    await new Promise((resolve) => setImmediate(resolve));
    await expectAsync(file.writeAt([mib(step)], step * MiB)).toBeRejectedWith(jasmine.objectContaining({ code: 'EIO', syscall: 'fdatasync' }));
    await file.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a failed background flush fails the commit when no write follows it: nothing is renamed into place', async () => {
    const proto = await fileHandlePrototype(dir);
    spyOn(proto, 'datasync').and.callFake(() => Promise.reject(eio()));
    const target = path.join(dir, 'out.bin');
    const file = await platform.openPositionalFile(target);
    for (let k = 0; k < FLUSH_BEHIND / MiB; k++) await file.writeAt([mib(k)], k * MiB);
    await expectAsync(file.commit()).toBeRejectedWith(jasmine.objectContaining({ code: 'EIO' }));
    expect(fs.existsSync(target)).toBeFalse();
    await file.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
