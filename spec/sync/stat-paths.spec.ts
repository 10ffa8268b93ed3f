/** `platform.statPaths` (Node), with which the sync's walk looks at a page of files at once. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { platform } from '../../src/platform';
import { platform as browser } from '../../src/platform/browser';
import { NotSupportedError } from '../../src/platform/platform';

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
