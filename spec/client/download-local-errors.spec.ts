/**
 * Local I/O failures of downloads into files (a full disk, a missing folder, no permission): a
 * B2Error `local_io_error` that keeps the OS code and names the user's path, never an AbortError
 * or a raw Node error, and nothing half-written left behind.
 *
 * A full disk and a permission error are injected where the platform writes (node:fs's
 * createWriteStream and FileHandle.writev, open), so the specs run anywhere (root ignores
 * permission bits; a small tmpfs needs mount rights). A missing folder and a file where a folder
 * is expected are real.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { B2Error, type B2File } from '../../src';
import { bucketName, bytes, client, startClientEmulator, upload, type Emu } from './support';

// The module object the platform's named imports read at each call (CommonJS build).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof import('node:fs') = require('node:fs');

/** A Node system error as fs raises it. */
function osError(code: 'ENOSPC' | 'EACCES', syscall: string, path?: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'permission denied';
  return Object.assign(new Error(`${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`), { code, errno: code === 'ENOSPC' ? -28 : -13, syscall, path });
}

const isTemp = (path: unknown) => /\.rxb2-.*\.part$/.test(String(path));

/** Writes to rxb2's temporary files fail with ENOSPC once `room` bytes are written. */
function diskFullAfter(room: number): void {
  let written = 0;
  const take = (n: number) => {
    written += n;
    return written > room;
  };
  const realStream = fs.createWriteStream;
  // A write stream takes the fs functions it calls as an option: its writes fail once the disk is full.
  const write = ((fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: (e: Error | null, n?: number) => void) =>
    take(length) ? process.nextTick(callback, osError('ENOSPC', 'write')) : fs.write(fd, buffer, offset, length, position, callback)) as typeof fs.write;
  spyOn(fs, 'createWriteStream').and.callFake(((path: string, options: object) =>
    realStream(path, isTemp(path) ? { ...options, fs: { open: fs.open, close: fs.close, write } } : options)) as typeof fs.createWriteStream);
  const realOpen = fs.promises.open;
  spyOn(fs.promises, 'open').and.callFake(async (path, flags, mode) => {
    const handle = await realOpen(path, flags, mode);
    if (!isTemp(path)) return handle;
    const writev = handle.writev.bind(handle);
    handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
      if (take(buffers.reduce((n, b) => n + b.byteLength, 0))) throw osError('ENOSPC', 'write');
      return writev(buffers, position);
    }) as typeof handle.writev;
    return handle;
  });
}

/** Creating rxb2's temporary files fails with EACCES (a folder the user may not write to). */
function noPermission(): void {
  const realStream = fs.createWriteStream;
  const open = ((path: string, _flags: unknown, _mode: unknown, callback: (e: Error | null, fd?: number) => void) =>
    process.nextTick(callback, osError('EACCES', 'open', path))) as unknown as typeof fs.open;
  spyOn(fs, 'createWriteStream').and.callFake(((path: string, options: object) =>
    realStream(path, isTemp(path) ? { ...options, fs: { open, close: fs.close, write: fs.write } } : options)) as typeof fs.createWriteStream);
  const realOpen = fs.promises.open;
  spyOn(fs.promises, 'open').and.callFake(async (path, flags, mode) => {
    if (isTemp(path)) throw osError('EACCES', 'open', String(path));
    return realOpen(path, flags, mode);
  });
}

async function failureOf(download: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(download);
  } catch (err) {
    return err;
  }
  throw new Error('expected the download to fail, but it completed');
}

function expectLocalIoError(err: unknown, osCode: string, path: string): void {
  expect(err).toBeInstanceOf(B2Error);
  const e = err as B2Error;
  expect(e.code).toBe('local_io_error');
  expect(e.status).toBe(0);
  expect(e.osCode).toBe(osCode);
  expect(e.path).toBe(path);
  expect(e.message).toContain(path);
  expect(e.message).toContain(osCode);
  expect(e.message).not.toMatch(/\.rxb2-|\.part\b|AbortError|aborted/);
  expect(String(e)).toContain('local_io_error');
}

describe('client downloads into files: local I/O errors', () => {
  let emu: Emu;
  let file: B2File;
  let dir: string;
  const data = bytes(300_000, 41);

  beforeAll(async () => {
    emu = await startClientEmulator();
    const bucket = await firstValueFrom(client(emu).buckets.create(bucketName('dl-io')));
    file = await upload(bucket, 'io/data.bin', data);
    dir = await mkdtemp(join(tmpdir(), 'rxb2-client-io-'));
  });
  afterAll(async () => {
    await emu.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Single stream: one GET piped to a file. Parallel: ranged GETs written at their offsets.
  const ways = [
    { way: 'single-stream', options: { concurrency: 1 } },
    { way: 'parallel', options: { concurrency: 4, partSize: 50_000 } },
  ];

  for (const { way, options } of ways) {
    describe(way, () => {
      it('a full disk (ENOSPC): a local_io_error naming the path, nothing left behind', async () => {
        const folder = await mkdtemp(join(dir, 'full-'));
        const path = join(folder, 'data.bin');
        diskFullAfter(100_000);
        const err = await failureOf(file.downloadToFile(path, options));
        expectLocalIoError(err, 'ENOSPC', path);
        expect(await readdir(folder)).toEqual([]);
      });

      it('a missing folder (ENOENT): a local_io_error naming the path', async () => {
        const path = join(dir, `missing-${way}`, 'data.bin');
        const err = await failureOf(file.downloadToFile(path, options));
        expectLocalIoError(err, 'ENOENT', path);
      });

      it('a file where a folder is expected (ENOTDIR): a local_io_error naming the path', async () => {
        const notAFolder = join(dir, `plain-file-${way}`);
        await writeFile(notAFolder, 'x');
        const path = join(notAFolder, 'data.bin');
        const err = await failureOf(file.downloadToFile(path, options));
        expectLocalIoError(err, 'ENOTDIR', path);
      });

      it('no permission to write (EACCES): a local_io_error naming the path, nothing left behind', async () => {
        const folder = await mkdtemp(join(dir, 'ro-'));
        const path = join(folder, 'data.bin');
        noPermission();
        const err = await failureOf(file.downloadToFile(path, options));
        expectLocalIoError(err, 'EACCES', path);
        expect(await readdir(folder)).toEqual([]);
      });
    });
  }

  it('intoFile on a download() stream maps the same way', async () => {
    const { intoFile } = await import('../../src');
    const path = join(dir, 'missing-into', 'data.bin');
    const err = await failureOf(file.download().pipe(intoFile(path)));
    expectLocalIoError(err, 'ENOENT', path);
  });

  describe('on a real full file system (a 128 KiB tmpfs: needs root with mount rights)', () => {
    let mount: string | undefined;
    let why = '';
    beforeAll(async () => {
      const at = await mkdtemp(join(dir, 'tmpfs-'));
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', at], { stdio: 'pipe' });
        mount = at;
      } catch (err) {
        why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      }
    });
    afterAll(() => {
      if (mount) execFileSync('umount', [mount]);
    });

    for (const { way, options } of ways) {
      it(`${way}: ENOSPC is a local_io_error naming the path, nothing left behind`, async () => {
        if (!mount) pending(`cannot mount a tmpfs here (${why}); the injected ENOSPC specs above cover this`);
        const path = join(mount!, 'data.bin');
        const err = await failureOf(file.downloadToFile(path, options));
        expectLocalIoError(err, 'ENOSPC', path);
        expect(await readdir(mount!)).toEqual([]);
      });
    }
  });
});
