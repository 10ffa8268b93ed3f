/**
 * Ctrl-C during a multi-part upload, with the built command as a child process and slow parts
 * (each b2_upload_part held 200 ms by the emulator): SIGINT after the first part is on B2. Without
 * --resume the unfinished large file is cancelled before the command exits with 130; with
 * --resume it is kept, and a second --resume run sends only the missing parts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, toResponseBody, type Bucket } from '../../src';
import { authorize as rawAuthorize, callOk, type Auth } from '../helpers/b2-http';
import { bucketName, bytes, cliEnv, runCli, spawnCli, startCliEmulator, waitFor, type Emu } from './support';

const SIZE = 30_000;
const TOTAL_PARTS = 6;

describe('rxb2 upload interrupted by Ctrl-C (child process)', () => {
  let emu: Emu;
  let b2: B2;
  let raw: Auth;
  let env: Record<string, string>;
  let dir: string;
  let source: string;
  let content: Buffer;

  beforeAll(async () => {
    emu = await startCliEmulator();
    b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    raw = await rawAuthorize(emu);
    env = cliEnv(emu);
    dir = await mkdtemp(join(tmpdir(), 'rxb2-cli-int-'));
    source = join(dir, 'video.bin');
    content = bytes(SIZE, 3);
    await writeFile(source, content);
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const unfinished = async (bucket: Bucket) => (await lastValueFrom(bucket.listFileVersions().pipe(toArray()))).filter((v) => v.action === 'start');

  async function partsOnB2(fileId: string): Promise<number> {
    const page = await callOk(raw, 'b2_list_parts', { fileId, maxPartCount: 100 });
    return (page.parts as unknown[]).length;
  }

  /** Starts a slow upload, sends SIGINT once a part is on B2, and returns how the command ended. */
  async function interruptedUpload(bucket: Bucket, name: string, extra: string[]) {
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 200 }, times: Infinity });
    const child = spawnCli(['upload', source, `${bucket.bucketName}/${name}`, '--concurrency', '2', ...extra], env);
    let partsBefore = 0;
    await waitFor('the first part on B2', async () => {
      const [file] = await unfinished(bucket);
      partsBefore = file ? await partsOnB2(file.fileId) : 0;
      return partsBefore > 0;
    });
    child.process.kill('SIGINT');
    return { ...(await child.done), partsBefore };
  }

  it('cancels the unfinished large file and exits with 130', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('int')));
    const result = await interruptedUpload(bucket, 'video.bin', []);
    expect(result.code).withContext(result.stderr).toBe(130);
    expect(result.stderr).toBe(`interrupted: upload of ${bucket.bucketName}/video.bin stopped, its unfinished large file was cancelled on B2\n`);
    expect(result.stdout).toBe('');
    // Cancelled before the command exited: nothing unfinished, nothing uploaded.
    expect(await unfinished(bucket)).toEqual([]);
    expect(await lastValueFrom(bucket.listFileVersions().pipe(toArray()))).toEqual([]);
  }, 15_000);

  it('keeps it with --resume, and a second --resume run uploads only the missing parts', async () => {
    const bucket = await firstValueFrom(b2.buckets.create(bucketName('res')));
    const target = `${bucket.bucketName}/clips/video.bin`;
    const first = await interruptedUpload(bucket, 'clips/video.bin', ['--resume']);
    expect(first.code).withContext(first.stderr).toBe(130);
    expect(first.stderr).toMatch(/^interrupted: unfinished large file \S+ kept on B2 \(\d of 6 parts uploaded\); run the same command with --resume to continue\n$/);
    const kept = await unfinished(bucket);
    expect(kept.length).toBe(1);
    expect(kept[0].fileName).toBe('clips/video.bin');

    emu.faults.clear();
    const before = emu.faults.injected().delay ?? 0;
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 0 }, times: Infinity });
    const partRequests = () => (emu.faults.injected().delay ?? 0) - before;

    const second = await runCli(['upload', source, target, '--concurrency', '2', '--resume'], env);
    expect(second.code).withContext(second.stderr).toBe(0);
    const m = /: 30000 bytes, 6 parts \((\d) already on B2, (\d) sent\)/.exec(second.stdout);
    expect(m).withContext(second.stdout).not.toBeNull();
    const [already, sent] = [Number(m![1]), Number(m![2])];
    expect(already).toBeGreaterThanOrEqual(first.partsBefore);
    expect(already + sent).toBe(TOTAL_PARTS);
    expect(sent).toBeGreaterThan(0);
    // Only the missing parts went up.
    expect(partRequests()).toBe(sent);

    expect(await unfinished(bucket)).toEqual([]);
    const file = await firstValueFrom(bucket.getFile({ name: 'clips/video.bin' }));
    expect(file.fileId).toBe(kept[0].fileId);
    expect(file.fileInfo.large_file_sha1).toBe(createHash('sha1').update(content).digest('hex'));
    const { data } = (await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()))) as { data: Uint8Array };
    expect(Buffer.from(data).equals(content)).toBeTrue();
  }, 20_000);
});
