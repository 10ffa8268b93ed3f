/**
 * A file upload with `expect` (the size and modification time the caller last saw, as a sync's walk
 * hands them): the file is checked when it is opened, before any request.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { B2Error } from '../../src';
import { platform } from '../../src/platform';
import { openUploadSource } from '../../src/transfer/upload-source';

const T = Date.UTC(2024, 4, 6, 7, 8, 9, 123);

describe('openUploadSource({ path, expect })', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rxb2-expect-'));
    file = path.join(dir, 'f.txt');
    await fs.writeFile(file, 'hello');
    await fs.utimes(file, (T + 0.5) / 1000, (T + 0.5) / 1000);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const code = (err: unknown) => (err instanceof B2Error ? `${err.code}: ${err.message}` : String(err));

  it('opens a file that is as expected (size and modification time to the millisecond)', async () => {
    const source = await openUploadSource({ path: file, expect: { size: 5, modifiedMillis: T } });
    expect(source.size).toBe(5);
  });

  it('the platform reports an opened file’s modification time in whole milliseconds, as a folder walk reads it', async () => {
    const opened = await platform.openFile(file);
    const walked = await platform.statPath(file, true);
    expect(opened.modifiedMillis).toBe(T);
    expect(opened.modifiedMillis).toBe(walked!.modifiedMillis);
  });

  it('fails with source_changed when the size differs from the expected one', async () => {
    const err = await openUploadSource({ path: file, expect: { size: 4, modifiedMillis: T } }).catch((e: unknown) => e);
    expect(code(err)).toMatch(/^source_changed: .*4 bytes expected, 5 when opened/);
  });

  it('fails with source_changed when the modification time differs (one millisecond)', async () => {
    const err = await openUploadSource({ path: file, expect: { size: 5, modifiedMillis: T - 1 } }).catch((e: unknown) => e);
    expect(code(err)).toMatch(/^source_changed: .*modified since it was looked at/);
  });

  it('refuses an expect that is not { size, modifiedMillis } as whole numbers, naming it', async () => {
    for (const expected of [{ size: -1, modifiedMillis: T }, { size: 5, modifiedMillis: 1.5 }, { size: '5', modifiedMillis: T }, null]) {
      const err = await openUploadSource({ path: file, expect: expected as never }).catch((e: unknown) => e);
      expect(code(err)).toMatch(/^invalid_argument: contents\.expect/);
    }
  });
});
