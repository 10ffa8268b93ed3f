/** `platform.statPaths`, `readFolder` and `joinPath` (Node), with which the sync's walk reads folders and looks at a page of files at once. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { platform } from '../../src/platform';
import { platform as browser } from '../../src/platform/browser';
import { NotSupportedError, type PathInfo } from '../../src/platform/platform';

describe('platform.statPaths', () => {
  let work: string;
  beforeEach(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'rxb2-stat-paths-'));
  });
  afterEach(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('answers each path in order as statPath would: info, null when nothing is there, the error otherwise', async () => {
    // More paths than one slice (256): the answers stay in order across the turns of the event loop.
    const paths: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = path.join(work, `f${i}`);
      await fs.writeFile(p, Buffer.alloc(i));
      await fs.utimes(p, 1_700_000_000 + i, 1_700_000_000 + i);
      paths.push(p);
    }
    const file = paths[5];
    const all = await platform.statPaths([...paths, path.join(work, 'missing'), path.join(file, 'below-a-file'), work], true);
    expect(all.length).toBe(303);
    for (let i = 0; i < 300; i++) {
      expect(all[i]).toEqual(await platform.statPath(paths[i], true));
      expect(all[i]).toEqual(jasmine.objectContaining({ kind: 'file', size: i, modifiedMillis: (1_700_000_000 + i) * 1000 }));
    }
    expect(all[300]).toBeNull();
    const notDir = all[301];
    expect(notDir instanceof Error && (notDir as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(all[302]).toEqual(jasmine.objectContaining({ kind: 'folder' }));
  });

  it('does not follow a symbolic link unless asked', async () => {
    const target = path.join(work, 'target');
    await fs.writeFile(target, 'abc');
    const link = path.join(work, 'link');
    await fs.symlink(target, link);
    const [followed] = await platform.statPaths([link], true);
    const [own] = await platform.statPaths([link], false);
    expect(followed).toEqual(jasmine.objectContaining({ kind: 'file', size: 3 }));
    expect(own).toEqual(jasmine.objectContaining({ kind: 'symlink' }));
  });

  // The platform knows no B2Error: ENOTSUP, which sync reports as invalid_argument (localFolder).
  it('in the browser platform: ENOTSUP (no folders there)', async () => {
    const err = await browser.statPaths(['/x'], true).catch((e: unknown) => e);
    expect(err instanceof NotSupportedError && err.code).toBe('ENOTSUP');
  });
});

describe('platform.readFolder and joinPath (the walk)', () => {
  let work: string;
  beforeEach(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'rxb2-read-folder-'));
  });
  afterEach(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('reads every name of a folder larger than one slice (1,024 names), with its kind', async () => {
    for (let i = 0; i < 1100; i++) await fs.writeFile(path.join(work, `f${i}`), '');
    await fs.mkdir(path.join(work, 'sub'));
    await fs.symlink(path.join(work, 'f0'), path.join(work, 'link'));
    const entries = await platform.readFolder(work);
    expect(entries.length).toBe(1102);
    expect(new Set(entries.map((e) => e.name)).size).toBe(1102);
    expect(entries.filter((e) => e.kind === 'file').length).toBe(1100);
    expect(entries.find((e) => e.name === 'sub')?.kind).toBe('folder');
    expect(entries.find((e) => e.name === 'link')?.kind).toBe('symlink');
    expect(await platform.readFolder(path.join(work, 'missing')).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
    expect(await platform.readFolder(path.join(work, 'f1')).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOTDIR');
  });

  it("gives a folder's identity (the same by two paths), and '' for other kinds", async () => {
    await fs.mkdir(path.join(work, 'sub'));
    await fs.writeFile(path.join(work, 'file'), 'x');
    await fs.symlink(path.join(work, 'sub'), path.join(work, 'to-sub'));
    const [sub, viaLink, file] = await platform.statPaths([path.join(work, 'sub'), path.join(work, 'to-sub'), path.join(work, 'file')], true);
    expect((sub as PathInfo).identity).toMatch(/^\d+:\d+$/);
    expect((viaLink as PathInfo).identity).toBe((sub as PathInfo).identity);
    expect((file as PathInfo).identity).toBe('');
    expect((await platform.statPath(path.join(work, 'file'), true))?.identity).toBe('');
  });

  it('joinPath joins as path.join does, whatever the folder and the name', () => {
    const folders = ['/a/b', '/a/b/', '/', '', '.', './a', 'a/./b', 'a//b', '..', '../a', 'a/..', '/a/b/..', 'C:', 'x:y'];
    const names = ['c', 'c.txt', '', '.', '..', 'c/d', '../c', '.hidden', 'c\\d'];
    for (const folder of folders) for (const name of names) expect(platform.joinPath(folder, name)).withContext(`${folder} + ${name}`).toBe(path.join(folder, name));
    // The same folder again (joinPath remembers the last normal one).
    expect(platform.joinPath('/a/b', 'c')).toBe('/a/b/c');
    expect(platform.joinPath('/a/b/', 'c')).toBe('/a/b/c');
  });
});
