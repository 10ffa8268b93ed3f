/**
 * Resuming a large upload after its process was killed: a child node process (fixtures/
 * resume-child) uploads with keepOnFailure and concurrency 1, printing each part's checkpoint; the
 * spec kills it with SIGKILL after at least 3 parts, then resumes here, by `resume: true` (finding
 * the unfinished file) or from the child's last `checkpoint`, and checks only the missing parts
 * were sent.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { toResponseBody, type B2File, type B2LargeFileStartedEvent, type B2PartUploadedEvent, type B2UploadEvent, type Bucket, type LargeUploadCheckpoint } from '../../src';
import { callOk, type Auth } from '../helpers/b2-http';
import { all, bytes, countRequests, delay, sha1, largeFileWorld, type Emu } from './support';

const PARTS = { absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 };
const SIZE = 100_000;
const PART_SIZE = 5000;
const TOTAL_PARTS = SIZE / PART_SIZE;
const CHILD = join(__dirname, 'fixtures', 'resume-child.js');

interface ChildLine {
  type: 'started' | 'part' | 'finished';
  fileId?: string;
  partNumber?: number;
  checkpoint?: LargeUploadCheckpoint;
}

describe('client large files resume', () => {
  const world = largeFileWorld(PARTS, 'lg-resume');
  let emu: Emu;
  let bucket: Bucket;
  let dir: string;
  let raw: Auth;
  beforeAll(() => ({ emu, bucket, dir, raw } = world));

  /** Runs the child until it printed `killAfter` parts, kills it with SIGKILL; returns what it printed. */
  async function killedChild(path: string, fileName: string, killAfter = 3): Promise<{ fileId: string; parts: ChildLine[]; signal: NodeJS.Signals | null }> {
    // Slow parts (each b2_upload_part waits 50 ms) so the kill lands mid-upload.
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 50 }, times: Infinity });
    const child = spawn(process.execPath, [CHILD, emu.url, bucket.bucketName, path, fileName], {
      env: { ...process.env, RXB2_KEY_ID: emu.keyId, RXB2_KEY: emu.applicationKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: ChildLine[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as ChildLine);
        buffered = buffered.slice(nl + 1);
      }
      if (lines.filter((l) => l.type === 'part').length >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child did not reach ${killAfter} parts in time; stderr: ${stderr}`));
      }, 15_000);
      child.on('close', (_code, sig) => {
        clearTimeout(timer);
        resolve(sig);
      });
    });
    emu.faults.clear();
    expect(stderr).toBe('');
    expect(lines.some((l) => l.type === 'finished'))
      .withContext('the child finished before it was killed')
      .toBeFalse();
    const start = lines.find((l) => l.type === 'started');
    expect(start).withContext('the child never started its large file').toBeDefined();
    return { fileId: start!.fileId!, parts: lines.filter((l) => l.type === 'part'), signal };
  }

  /** Part numbers on B2 for `fileId`, once the in-flight part of the killed child settled. */
  async function partsOnServer(fileId: string): Promise<number[]> {
    // A part whose body was fully sent before the kill is still stored after its 50 ms delay.
    await delay(250);
    const page = await callOk(raw, 'b2_list_parts', { fileId, maxPartCount: 1000 });
    return (page.parts as Array<{ partNumber: number }>).map((p) => p.partNumber).sort((a, b) => a - b);
  }

  async function expectResumed(events: B2UploadEvent[], childFileId: string, onServer: number[], sent: number, data: Buffer): Promise<void> {
    const last = events[events.length - 1];
    expect(last.type).toBe('response');
    const file = (last as { body: B2File }).body;
    const start = events.filter((e): e is B2LargeFileStartedEvent => e.type === 'largeFileStarted');
    expect(start.length).toBe(1);
    expect(start[0].resumed).toBeTrue();
    expect(start[0].fileId).toBe(childFileId);
    expect(
      Object.keys(start[0].checkpoint.partsDone)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(onServer);
    const parts = events
      .filter((e): e is B2PartUploadedEvent => e.type === 'partUploaded')
      .map((p) => p.partNumber)
      .sort((a, b) => a - b);
    const missing = Array.from({ length: TOTAL_PARTS }, (_, i) => i + 1).filter((n) => !onServer.includes(n));
    expect(parts).toEqual(missing);
    expect(sent).toBe(TOTAL_PARTS - onServer.length);
    expect(file.fileId).toBe(childFileId);
    expect(file.contentLength).toBe(SIZE);
    const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(sha1(back.data)).toBe(sha1(data));
  }

  it('client large: resume: true finds the killed upload and sends only the missing parts', async () => {
    const data = bytes(SIZE, 201);
    const path = join(dir, 'resume-flag.bin');
    await writeFile(path, data);
    const fileName = 'resume/flag.bin';
    const child = await killedChild(path, fileName);
    expect(child.signal).toBe('SIGKILL');
    const done = child.parts.length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(TOTAL_PARTS);

    const onServer = await partsOnServer(child.fileId);
    // What the child reported, plus at most the part in flight when it was killed.
    expect(onServer.length === done || onServer.length === done + 1)
      .withContext(`parts on B2 ${onServer} vs ${done} reported`)
      .toBeTrue();
    for (const p of child.parts) expect(onServer).toContain(p.partNumber!);

    const count = countRequests(emu, 'b2_upload_part');
    const events = await all(bucket.uploadLargeFile({ fileName, contents: { path }, partSize: PART_SIZE, resume: true }));
    const sent = count();
    expect(sent === TOTAL_PARTS - done || sent === TOTAL_PARTS - done - 1)
      .withContext(`sent ${sent}, child did ${done}`)
      .toBeTrue();
    await expectResumed(events, child.fileId, onServer, sent, data);
    const left = await callOk(raw, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId, namePrefix: fileName });
    expect(left.files).toEqual([]);
  }, 30_000);

  it('client large: resumes from the last checkpoint the killed child printed', async () => {
    const data = bytes(SIZE, 202);
    const path = join(dir, 'resume-checkpoint.bin');
    await writeFile(path, data);
    const fileName = 'resume/checkpoint.bin';
    const child = await killedChild(path, fileName, 4);
    expect(child.signal).toBe('SIGKILL');
    const done = child.parts.length;
    expect(done).toBeGreaterThanOrEqual(4);
    const cp = child.parts[done - 1].checkpoint!;
    expect(cp.fileId).toBe(child.fileId);
    expect(cp.fileName).toBe(fileName);
    expect(cp.size).toBe(SIZE);
    expect(cp.partSize).toBe(PART_SIZE);
    expect(Object.keys(cp.partsDone).length).toBe(done);

    const onServer = await partsOnServer(child.fileId);
    expect(onServer.length === done || onServer.length === done + 1)
      .withContext(`parts on B2 ${onServer} vs ${done} reported`)
      .toBeTrue();

    const count = countRequests(emu, 'b2_upload_part');
    // Through JSON, as another process would store it.
    const checkpoint = JSON.parse(JSON.stringify(cp)) as LargeUploadCheckpoint;
    const events = await all(bucket.uploadLargeFile({ fileName, contents: { path }, checkpoint }));
    const sent = count();
    expect(sent === TOTAL_PARTS - done || sent === TOTAL_PARTS - done - 1)
      .withContext(`sent ${sent}, child did ${done}`)
      .toBeTrue();
    await expectResumed(events, child.fileId, onServer, sent, data);
  }, 30_000);
});
