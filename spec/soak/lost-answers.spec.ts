/**
 * What the fault soak found, each reduced to one deterministic fault (`times: 1` rules) against
 * the in-process emulator: fixed in 20df6aa and kept as regressions, except those marked open,
 * which are pending with a KNOWN CLIENT BUG note while they reproduce (RXB2_SOAK_KNOWN_BUGS=1
 * makes them fail).
 *
 * Most are one pattern: a call that is not idempotent, retried after an attempt whose answer was
 * lost (the server had done the work), either repeated the work (an orphaned large file) or failed
 * on the work already done (a loud error for an operation that succeeded).
 */
import { lastValueFrom, toArray } from 'rxjs';
import { B2, B2Error, toResponseBody, type Bucket } from '../../src';
import { startEmulator, type FaultRule, type RunningEmulator } from '../../src/emulator';
import { rawUnfinishedLargeFiles } from './soak';

const AT = 'at 2e07a15';

const CHECK_KNOWN_BUGS = process.env.RXB2_SOAK_KNOWN_BUGS === '1';

/** An open bug: pending with its description while it reproduces (RXB2_SOAK_KNOWN_BUGS=1: failing). */
function knownBug(reproduced: boolean, bug: string, observed: string): void {
  if (reproduced && !CHECK_KNOWN_BUGS) {
    pending(`KNOWN CLIENT BUG ${bug}\n  observed: ${observed}`);
    return;
  }
  expect(reproduced).withContext(`${bug}\n  observed: ${observed}`).toBeFalse();
}

/** Fails with the bug's description and what was observed when `reproduced`. */
function notAgain(reproduced: boolean, bug: string, observed: string): void {
  expect(reproduced).withContext(`regression of ${bug}\n  observed: ${observed}`).toBeFalse();
}

const describeError = (e: B2Error) => `${e.status} ${e.code} (${e.operation}): ${e.message}`;
const bytes = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) & 0xff));
/** The server does the work; its answer is cut after 30 bytes. */
const lostAnswer = (call: string): FaultRule => ({ call, fault: { kind: 'resetResponse', afterBytes: 30 }, times: 1 });

async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: B2Error }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as B2Error };
  }
}

describe('fault soak findings: lost answers and abandoned uploads (open ones pending; RXB2_SOAK_KNOWN_BUGS=1 makes them fail)', () => {
  let emu: RunningEmulator;
  let bucket: Bucket;
  let serial = 0;

  function newClient(): B2 {
    return new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 10 } });
  }

  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 });
  });
  beforeEach(async () => {
    emu.faults.clear();
    bucket = await lastValueFrom(newClient().buckets.create(`known-${Date.now().toString(36)}-${serial++}`));
  });
  afterAll(async () => {
    await emu.close();
  });

  const unfinished = () => rawUnfinishedLargeFiles(emu, bucket.bucketId);

  /**
   * A client whose cached authorization is gone, as after an expired token whose re-authorization
   * failed: a listing meets expired_auth_token, then every b2_authorize_account of its retries fails.
   */
  async function clientWithoutAuthorization(): Promise<Bucket> {
    const view = await lastValueFrom(newClient().buckets.get({ bucketId: bucket.bucketId }));
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'expiredToken' }, times: 1 });
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: Infinity });
    await outcome(lastValueFrom(view.listFiles().pipe(toArray())));
    emu.faults.clear();
    return view;
  }

  it('A. a lost b2_start_large_file answer does not leave the large file it started behind', async () => {
    emu.faults.add(lostAnswer('b2_start_large_file'));
    const file = await lastValueFrom(bucket.uploadLargeFile({ contents: bytes(12_000), fileName: 'a/large.bin' }).pipe(toResponseBody()));
    const left = await unfinished();
    notAgain(
      left.length > 0,
      `src/transfer/large-file-on-b2.ts start() → fresh() (session.call(startLargeFile), line 76 ${AT}): b2_start_large_file is retried like an ` +
        'idempotent call; when the answer is lost the server has already started a large file, the retry starts a second one and the ' +
        'first is never cancelled.',
      `upload ok as ${file.fileId}; unfinished large files left: ${left.map((f) => f.fileId).join(', ') || 'none'}`,
    );
  });

  it('A2. (open) a failing clean-up after a lost b2_start_large_file answer neither fails the upload nor leaves both files', async () => {
    emu.faults.add(lostAnswer('b2_start_large_file'));
    // The listing that looks for the lost start fails every attempt (10).
    emu.faults.add({ call: 'b2_list_unfinished_large_files', fault: { kind: 'status', status: 500 }, times: 10 });
    const r = await outcome(lastValueFrom(bucket.uploadLargeFile({ contents: bytes(12_000), fileName: 'a2/large.bin' }).pipe(toResponseBody())));
    const left = await unfinished();
    knownBug(
      !r.ok || left.length > 0,
      'src/transfer/large-file-on-b2.ts start() → fresh() (`switchMap((f) => (attempts > 1 ? cancelLostStarts(f, …).pipe(map(() => f)) : of(f)))`, ' +
        'line 110 at 20df6aa): an error of the clean-up (its b2_list_unfinished_large_files failing all attempts) fails start(), so the upload ' +
        'fails although its own large file was started, and runLargeUpload, which only cancels after start() emitted, leaves that file ' +
        'unfinished next to the lost one. Fix: the clean-up is best effort, like its cancels: cancelLostStarts(f, …).pipe(catchError(() => of(null)), map(() => f)).',
      `${r.ok ? 'upload ok' : `upload failed: ${describeError(r.error)}`}; unfinished large files left: ${left.length}`,
    );
  });

  it('B. a lost b2_finish_large_file answer does not turn a finished upload into an error', async () => {
    emu.faults.add(lostAnswer('b2_finish_large_file'));
    const r = await outcome(lastValueFrom(bucket.uploadLargeFile({ contents: bytes(12_000), fileName: 'b/large.bin' }).pipe(toResponseBody())));
    const listed = await lastValueFrom(bucket.listFiles({ prefix: 'b/' }).pipe(toArray()));
    expect(listed.map((f) => f.contentLength)).toEqual([12_000]);
    notAgain(
      !r.ok,
      `src/transfer/large-file-on-b2.ts finish() (session.call(finishLargeFile), line 127 ${AT}): the retry after a lost answer gets ` +
        '400 bad_request "large file … is not unfinished", the upload errors (and then tries to cancel a finished file) although the file is ' +
        'complete.',
      r.ok ? 'upload ok' : `upload failed: ${describeError(r.error)}; the file is listed with all 12,000 bytes`,
    );
  });

  it('C. a retryable b2_authorize_account failure before an upload is retried (uploadFile)', async () => {
    const view = await clientWithoutAuthorization();
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const r = await outcome(lastValueFrom(view.uploadFile({ contents: 'hello', fileName: 'c/small.txt' }).pipe(toResponseBody())));
    // The same fault met by a listing is retried (session.call).
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    expect((await outcome(lastValueFrom(view.listFiles().pipe(toArray())))).ok).toBeTrue();
    notAgain(
      !r.ok,
      `src/resources/bucket.ts Bucket.upload() (this.#ctx.session.authorization(), line 183 ${AT}; also uploadLargeFile in ` +
        `src/transfer/plan-large-upload.ts line 36, copyFileVersion in src/transfer/copy.ts line 41, getDownloadUrl in bucket.ts line 293): ` +
        'the authorization is read with session.authorization(), outside retryB2, so a 503/500/429/408 or a reset on b2_authorize_account ' +
        'fails the upload at once, and every upload waiting on the same shared authorization with it.',
      r.ok ? 'upload ok' : `upload failed: ${describeError(r.error)}; listFiles with the same fault: ok`,
    );
  });

  it('C2. the same for uploadLargeFile', async () => {
    const view = await clientWithoutAuthorization();
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 500 }, times: 1 });
    const r = await outcome(lastValueFrom(view.uploadLargeFile({ contents: bytes(3000), fileName: 'c/large.bin' }).pipe(toResponseBody())));
    notAgain(
      !r.ok,
      `src/transfer/plan-large-upload.ts uploadLargeFile() (firstValueFrom(ctx.session.authorization()), line 36 ${AT}): as C.`,
      r.ok ? 'upload ok' : `upload failed: ${describeError(r.error)}`,
    );
  });

  it('D. a lost b2_hide_file answer does not turn a hide into an error', async () => {
    const file = await lastValueFrom(bucket.uploadFile({ contents: 'x', fileName: 'd/hide.txt' }).pipe(toResponseBody()));
    emu.faults.add(lostAnswer('b2_hide_file'));
    const r = await outcome(lastValueFrom(file.hide()));
    expect((await lastValueFrom(bucket.listFiles({ prefix: 'd/' }).pipe(toArray()))).length).toBe(0);
    notAgain(
      !r.ok,
      `src/resources/b2-file.ts B2File.hide() (line 197 ${AT}): the retry after a lost answer gets 400 already_hidden although the ` + 'name is hidden.',
      r.ok ? 'hide ok' : `hide failed: ${describeError(r.error)}; the name is hidden`,
    );
  });

  it('E. a lost b2_delete_file_version answer does not turn a delete into an error', async () => {
    const file = await lastValueFrom(bucket.uploadFile({ contents: 'x', fileName: 'e/delete.txt' }).pipe(toResponseBody()));
    emu.faults.add(lostAnswer('b2_delete_file_version'));
    const r = await outcome(lastValueFrom(file.delete()));
    expect((await lastValueFrom(bucket.listFileVersions({ prefix: 'e/' }).pipe(toArray()))).length).toBe(0);
    notAgain(
      !r.ok,
      `src/resources/b2-file.ts B2File.delete() (line 164 ${AT}): the retry after a lost answer gets 400 file_not_present although ` + 'the version is gone.',
      r.ok ? 'delete ok' : `delete failed: ${describeError(r.error)}; no version left`,
    );
  });

  it('G. an abandoned large upload is cancelled with the configured retries, not 3', async () => {
    emu.faults.add({ call: 'b2_cancel_large_file', fault: { kind: 'status', status: 500 }, times: 3 });
    await new Promise<void>((resolve, reject) => {
      const sub = bucket.uploadLargeFile({ contents: bytes(12_000), fileName: 'g/abandoned.bin', concurrency: 1 }).subscribe({
        next: (e) => {
          if (e.type === 'partUploaded') {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    const left = await unfinished();
    notAgain(
      left.length > 0,
      `src/transfer/large-file-on-b2.ts cancel() (session.call(cancelLargeFile, { maxAttempts: 3 }), line 137 ${AT}), called ` +
        `fire-and-forget from src/transfer/large-file-pipeline.ts line 172 (unsubscribe) with errors dropped: three failed attempts (the client ` +
        'was configured for 10) leave the large file unfinished and nobody hears of it.',
      `unsubscribed after part 1; b2_cancel_large_file answered 500 three times; unfinished large files left: ${left.length}`,
    );
  });

  it('G2. a failed large upload is cancelled with the configured retries, not 3', async () => {
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'status', status: 500 }, times: 10 });
    emu.faults.add({ call: 'b2_cancel_large_file', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 3 });
    const r = await outcome(lastValueFrom(bucket.uploadLargeFile({ contents: bytes(12_000), fileName: 'g/failed.bin', concurrency: 1 }).pipe(toResponseBody())));
    expect(r.ok).toBeFalse();
    const left = await unfinished();
    notAgain(
      left.length > 0,
      `src/transfer/large-file-pipeline.ts catchError (line 154 ${AT}) with the same 3-attempt cancel: the upload reports the part's error ` +
        'and nothing about the unfinished large file it leaves.',
      `upload failed: ${r.ok ? '-' : describeError(r.error)}; unfinished large files left: ${left.length}`,
    );
  });
});
