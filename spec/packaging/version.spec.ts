/**
 * One version, package.json's: written into src/version.ts by .ci/write-version.mjs at build time,
 * printed by `rxb2 --version` and sent in the client's User-Agent.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { B2 } from '../../src';
import { parseCommand } from '../../src/cli/rxb2';
import { VERSION } from '../../src/version';

const REPO = resolve(__dirname, '../../..');
const packageVersion = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe('rxb2 version', () => {
  it("src/version.ts carries package.json's version", () => {
    expect(VERSION).toBe(packageVersion);
  });

  it('.ci/write-version.mjs writes the version of the package.json next to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxb2-version-'));
    try {
      mkdirSync(join(dir, '.ci'));
      mkdirSync(join(dir, 'src'));
      copyFileSync(join(REPO, '.ci', 'write-version.mjs'), join(dir, '.ci', 'write-version.mjs'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '9.8.7-beta.1' }));
      await promisify(execFile)(process.execPath, [join(dir, '.ci', 'write-version.mjs')]);
      expect(readFileSync(join(dir, 'src', 'version.ts'), 'utf8')).toContain("export const VERSION = '9.8.7-beta.1';");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rxb2 --version prints it', () => {
    let out = '';
    const result = parseCommand(['--version'], { writeOut: (s) => (out += s), writeErr: () => undefined });
    expect(result).toEqual({ exitCode: 0 });
    expect(out.trim()).toBe(packageVersion);
  });

  it("the client's User-Agent is rxb2/<version>", async () => {
    const agents: string[] = [];
    const server = http.createServer((req, res) => {
      agents.push(String(req.headers['user-agent']));
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 401, code: 'unauthorized', message: 'no' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expectAsync(firstValueFrom(new B2({ applicationKeyId: 'id', applicationKey: 'key', realm, retry: false }).authorize())).toBeRejected();
      expect(agents).toEqual([`rxb2/${packageVersion}`]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
