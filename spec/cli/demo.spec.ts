/**
 * `npm start` (the built demo, dist/src/cli/demo.js) as a child process against an emulator
 * given by the environment: B2_REALM, B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { cliEnv } from './support';

const DEMO = join(__dirname, '..', '..', 'src', 'cli', 'demo.js');

function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DEMO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not end; stdout: ${stdout}; stderr: ${stderr}`));
    }, 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm start (the demo)', () => {
  let emu: RunningEmulator;
  beforeAll(async () => (emu = await startEmulator({ host: '127.0.0.1', port: 0 })));
  afterAll(async () => emu?.close());

  it('runs against the server in B2_REALM with the keys in B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY', async () => {
    // A delay of 0 ms changes nothing but is counted: it shows the parts reached this emulator.
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 0 }, times: Infinity });
    emu.faults.add({ call: 'b2_delete_bucket', fault: { kind: 'delay', ms: 0 }, times: Infinity });
    const result = await runDemo(cliEnv(emu));
    expect(result.code).withContext(result.stderr).toBe(0);
    expect(result.stdout).toContain(`Using ${emu.url} with the key ${emu.keyId}`);
    expect(result.stdout).not.toContain('embedded emulator');
    expect(result.stdout).toMatch(/uploaded +67\.108864 MB in 8 parts/);
    expect(result.stdout).toContain('SHA-1 verified: yes');
    // 8 parts and the clean-up's bucket deletion, all here.
    expect(emu.faults.injected().delay).toBe(9);
  }, 120_000);
});
