/**
 * Object Lock (retention, legal hold) and server-side encryption (SSE-B2, SSE-C) through the
 * client: on buckets, on uploads small and large, on downloads, on copies small and large; and the
 * emulator's refusals surfacing as typed B2Errors. Refused deletes of protected versions: the
 * emulator answers 403 `access_denied` (b2sdk's simulator; live B2 has been seen to say 401).
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { B2, B2Error, intoBuffer, toResponseBody, type B2File, type B2Retention, type Bucket } from '../../src';
import { all, bucketName, bytes, client, countRequests, failure, onlyOnEmulator, sha1, startClientEmulator, type Emu } from './support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('client file protection: Object Lock and server-side encryption', () => {
  onlyOnEmulator('needs an Object Lock bucket of its own, and the emulator clock');
  let emu: Emu;
  let b2: B2;
  let lock: Bucket;
  let plain: Bucket;
  /** How far this spec moved the emulator's clock (retention times are in the emulator's time). */
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const key = randomBytes(32);
  const otherKey = randomBytes(32);
  const SSE_C = { mode: 'SSE-C' as const, customerKey: key };
  let serial = 0;
  const name = (tag: string) => `${tag}-${(serial++).toString(36)}.bin`;

  async function put(bucket: Bucket, options: Omit<Parameters<Bucket['uploadFile']>[0], 'fileName'> & { fileName?: string }, large = false): Promise<B2File> {
    const opts = { fileName: options.fileName ?? name('f'), ...options };
    return lastValueFrom((large ? bucket.uploadLargeFile(opts) : bucket.uploadFile(opts)).pipe(toResponseBody()));
  }

  async function read(file: B2File, options: Parameters<B2File['downloadToBuffer']>[0] = {}): Promise<Buffer> {
    const r = await lastValueFrom(file.downloadToBuffer(options).pipe(toResponseBody()));
    return Buffer.from(r.data);
  }

  function expectDenied(err: B2Error, operation: string): void {
    expect(err).toBeInstanceOf(B2Error);
    expect([err.status, err.code]).toEqual([403, 'access_denied']);
    expect(err.operation).toBe(operation);
    expect(err.isRetryable).toBeFalse();
  }

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    lock = await firstValueFrom(b2.buckets.create(bucketName('lock'), { fileLockEnabled: true, defaultServerSideEncryption: { mode: 'SSE-B2' } }));
    plain = await firstValueFrom(b2.buckets.create(bucketName('plain')));
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  describe('bucket settings', () => {
    it('a bucket created with fileLockEnabled and default SSE-B2 exposes both (and keeps them when looked up again)', async () => {
      expect(lock.fileLockConfiguration).toEqual(jasmine.objectContaining({ isFileLockEnabled: true }));
      expect(lock.fileLockConfiguration?.defaultRetention).toEqual(jasmine.objectContaining({ mode: null }));
      expect(lock.defaultServerSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      const again = await firstValueFrom(b2.buckets.get({ bucketId: lock.bucketId }));
      expect(again.fileLockConfiguration?.isFileLockEnabled).toBeTrue();
      expect(again.defaultServerSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      expect(plain.fileLockConfiguration?.isFileLockEnabled).toBeFalse();
      expect(plain.defaultServerSideEncryption?.mode ?? null).toBeNull();
    });

    it("the bucket's default SSE-B2 applies to uploads that set no encryption", async () => {
      const file = await put(lock, { contents: 'default encrypted' });
      expect(file.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
      expect((await read(file)).toString()).toBe('default encrypted');
      const unencrypted = await put(plain, { contents: 'plain' });
      expect(unencrypted.serverSideEncryption?.mode ?? null).toBeNull();
    });
  });

  describe('retention and legal hold on upload', () => {
    for (const large of [false, true]) {
      const kind = large ? 'large' : 'small';

      it(`governance retention on a ${kind} upload: set, refused delete without bypass, delete with bypassGovernance`, async () => {
        const until = now() + 30 * DAY;
        const file = await put(lock, { contents: bytes(large ? 2500 : 100), fileRetention: { mode: 'governance', retainUntilTimestamp: until } }, large);
        expect(file.fileRetention).toEqual({ mode: 'governance', retainUntilTimestamp: until });
        const listed = (await all(lock.listFileVersions({ prefix: file.fileName })))[0];
        expect(listed.fileRetention).toEqual({ mode: 'governance', retainUntilTimestamp: until });
        expectDenied(await failure(file.delete()), 'b2_delete_file_version');
        expect(file.deleted).toBeFalse();
        const deleted = await firstValueFrom(file.delete({ bypassGovernance: true }));
        expect(deleted.deleted).toBeTrue();
        expect(await all(lock.listFileVersions({ prefix: file.fileName }))).toEqual([]);
      });

      it(`compliance retention on a ${kind} upload: delete refused, even with bypassGovernance`, async () => {
        const until = now() + 30 * DAY;
        const file = await put(lock, { contents: bytes(large ? 2500 : 100), fileRetention: { mode: 'compliance', retainUntilTimestamp: until } }, large);
        expect(file.fileRetention).toEqual({ mode: 'compliance', retainUntilTimestamp: until });
        expectDenied(await failure(file.delete()), 'b2_delete_file_version');
        expectDenied(await failure(file.delete({ bypassGovernance: true })), 'b2_delete_file_version');
        expectDenied(await failure(lock.deleteAllVersions(file.fileName, { bypassGovernance: true })), 'b2_delete_file_version');
        expect((await all(lock.listFileVersions({ prefix: file.fileName }))).map((f) => f.fileId)).toEqual([file.fileId]);
      });

      it(`legal hold on a ${kind} upload: delete refused (even with bypass) until the hold is off`, async () => {
        const file = await put(lock, { contents: bytes(large ? 2500 : 100), legalHold: 'on' }, large);
        expect(file.legalHold).toBe('on');
        expectDenied(await failure(file.delete()), 'b2_delete_file_version');
        expectDenied(await failure(file.delete({ bypassGovernance: true })), 'b2_delete_file_version');
        expect(await firstValueFrom(file.updateLegalHold('off'))).toBe('off');
        expect((await firstValueFrom(lock.getFile({ id: file.fileId }))).legalHold).toBe('off');
        await firstValueFrom(file.delete());
        expect(file.deleted).toBeTrue();
      });
    }

    it('retention and legal hold together: both must go before a delete', async () => {
      const file = await put(lock, { contents: 'both', fileRetention: { mode: 'governance', retainUntilTimestamp: now() + DAY }, legalHold: 'on' });
      expectDenied(await failure(file.delete({ bypassGovernance: true })), 'b2_delete_file_version');
      await firstValueFrom(file.updateLegalHold('off'));
      expectDenied(await failure(file.delete()), 'b2_delete_file_version');
      await firstValueFrom(file.delete({ bypassGovernance: true }));
    });

    it('legal hold can be put on after upload, then off', async () => {
      const file = await put(lock, { contents: 'later' });
      expect(file.legalHold).toBeNull();
      expect(await firstValueFrom(file.updateLegalHold('on'))).toBe('on');
      expectDenied(await failure(file.delete()), 'b2_delete_file_version');
      expect(await firstValueFrom(file.updateLegalHold('off'))).toBe('off');
      await firstValueFrom(file.delete());
    });

    it('a retention time in the past: 400 retain_until_timestamp_must_be_in_future', async () => {
      const err = await failure(lock.uploadFile({ fileName: name('past'), contents: 'x', fileRetention: { mode: 'governance', retainUntilTimestamp: now() - HOUR } }));
      expect([err.status, err.code]).toEqual([400, 'retain_until_timestamp_must_be_in_future']);
    });

    it('a compliance file can be deleted once its retention has passed', async () => {
      const file = await put(lock, { contents: 'expires', fileRetention: { mode: 'compliance', retainUntilTimestamp: now() + HOUR } });
      expectDenied(await failure(file.delete()), 'b2_delete_file_version');
      emu.advanceClock(2 * HOUR);
      clockOffset += 2 * HOUR;
      await firstValueFrom(file.delete());
      expect(file.deleted).toBeTrue();
    });
  });

  describe('updateRetention', () => {
    const gov = (until: number): B2Retention => ({ mode: 'governance', retainUntilTimestamp: until });
    const comp = (until: number): B2Retention => ({ mode: 'compliance', retainUntilTimestamp: until });

    it('sets retention on a file that had none, and governance may be extended freely', async () => {
      const file = await put(lock, { contents: 'gov' });
      expect(file.fileRetention?.mode ?? null).toBeNull();
      const t1 = now() + 10 * DAY;
      expect(await firstValueFrom(file.updateRetention(gov(t1)))).toEqual(gov(t1));
      const t2 = t1 + DAY;
      expect(await firstValueFrom(file.updateRetention(gov(t2)))).toEqual(gov(t2));
      expect((await firstValueFrom(lock.getFile({ id: file.fileId }))).fileRetention).toEqual(gov(t2));
      await firstValueFrom(file.delete({ bypassGovernance: true }));
    });

    it('governance: shortening or removing needs bypassGovernance (403 without)', async () => {
      const t = now() + 10 * DAY;
      const file = await put(lock, { contents: 'gov', fileRetention: gov(t) });
      expectDenied(await failure(file.updateRetention(gov(t - DAY))), 'b2_update_file_retention');
      expectDenied(await failure(file.updateRetention(null)), 'b2_update_file_retention');
      expect(await firstValueFrom(file.updateRetention(gov(t - DAY), { bypassGovernance: true }))).toEqual(gov(t - DAY));
      expect(await firstValueFrom(file.updateRetention(null, { bypassGovernance: true }))).toEqual({ mode: null, retainUntilTimestamp: null });
      // No retention left: deletes without bypass.
      await firstValueFrom(file.delete());
    });

    it('governance may be raised to compliance', async () => {
      const t = now() + 10 * DAY;
      const file = await put(lock, { contents: 'gov→comp', fileRetention: gov(t) });
      expect(await firstValueFrom(file.updateRetention(comp(t)))).toEqual(comp(t));
      expectDenied(await failure(file.delete({ bypassGovernance: true })), 'b2_delete_file_version');
    });

    it('compliance: may only be extended (shorten, remove, or downgrade → 403, even with bypass)', async () => {
      const t = now() + 10 * DAY;
      const file = await put(lock, { contents: 'comp', fileRetention: comp(t) });
      expect(await firstValueFrom(file.updateRetention(comp(t + DAY)))).toEqual(comp(t + DAY));
      expectDenied(await failure(file.updateRetention(comp(t))), 'b2_update_file_retention');
      expectDenied(await failure(file.updateRetention(comp(t), { bypassGovernance: true })), 'b2_update_file_retention');
      expectDenied(await failure(file.updateRetention(gov(t + 2 * DAY), { bypassGovernance: true })), 'b2_update_file_retention');
      expectDenied(await failure(file.updateRetention(null, { bypassGovernance: true })), 'b2_update_file_retention');
      expect((await firstValueFrom(lock.getFile({ id: file.fileId }))).fileRetention).toEqual(comp(t + DAY));
    });

    it('bad retention values are rejected before any request', async () => {
      const file = await put(lock, { contents: 'x' });
      const requests = countRequests(emu, '*');
      const badMode = await failure(file.updateRetention({ mode: 'forever' as 'governance', retainUntilTimestamp: now() + DAY }));
      expect([badMode.code, badMode.field]).toEqual(['invalid_argument', 'fileRetention.mode']);
      const badTime = await failure(file.updateRetention({ mode: 'governance', retainUntilTimestamp: -5 }));
      expect([badTime.code, badTime.field]).toEqual(['invalid_argument', 'fileRetention.retainUntilTimestamp']);
      const badHold = await failure(file.updateLegalHold('maybe' as 'on'));
      expect([badHold.code, badHold.field]).toEqual(['invalid_argument', 'legalHold']);
      const badUpload = await failure(lock.uploadFile({ fileName: name('x'), contents: 'x', fileRetention: { mode: 'governance', retainUntilTimestamp: 1.5 } }));
      expect([badUpload.code, badUpload.field]).toEqual(['invalid_argument', 'fileRetention.retainUntilTimestamp']);
      expect(requests()).toBe(0);
    });
  });

  describe('Object Lock on a bucket without it', () => {
    it('fileRetention on upload (small, large) and copy: 400 bucket_missing_file_lock; nothing written', async () => {
      const retention = { mode: 'governance' as const, retainUntilTimestamp: now() + DAY };
      const small = await failure(plain.uploadFile({ fileName: 'nolock1/small.txt', contents: 'x', fileRetention: retention }));
      expect([small.status, small.code]).toEqual([400, 'bucket_missing_file_lock']);
      expect(small.operation).toBe('b2_upload_file');
      const large = await failure(plain.uploadLargeFile({ fileName: 'nolock1/large.bin', contents: bytes(2500), fileRetention: retention }));
      expect([large.status, large.code, large.operation]).toEqual([400, 'bucket_missing_file_lock', 'b2_start_large_file']);
      const source = await put(plain, { fileName: 'nolock1/source.txt', contents: 'source' });
      const copy = await failure(source.copy({ fileName: 'nolock1/copy.txt', fileRetention: retention }));
      expect([copy.status, copy.code, copy.operation]).toEqual([400, 'bucket_missing_file_lock', 'b2_copy_file']);
      expect((await all(plain.listFileVersions({ prefix: 'nolock1/' }))).map((f) => f.fileName)).toEqual(['nolock1/source.txt']);
    });

    it('legalHold on upload, updateRetention and updateLegalHold: 400 bucket_missing_file_lock', async () => {
      const hold = await failure(plain.uploadFile({ fileName: 'nolock/hold.txt', contents: 'x', legalHold: 'on' }));
      expect([hold.status, hold.code]).toEqual([400, 'bucket_missing_file_lock']);
      const file = await put(plain, { fileName: 'nolock/f.txt', contents: 'x' });
      const r = await failure(file.updateRetention({ mode: 'governance', retainUntilTimestamp: now() + DAY }));
      expect([r.status, r.code, r.operation]).toEqual([400, 'bucket_missing_file_lock', 'b2_update_file_retention']);
      const h = await failure(file.updateLegalHold('on'));
      expect([h.status, h.code, h.operation]).toEqual([400, 'bucket_missing_file_lock', 'b2_update_file_legal_hold']);
    });
  });

  describe('server-side encryption', () => {
    for (const large of [false, true]) {
      const kind = large ? 'large' : 'small';
      const size = large ? 4500 : 700;

      it(`SSE-B2 on a ${kind} upload: reported, and downloads without a key`, async () => {
        const data = bytes(size, 11);
        const file = await put(plain, { contents: data, serverSideEncryption: { mode: 'SSE-B2' } }, large);
        expect(file.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
        expect((await read(file)).equals(data)).toBeTrue();
      });

      it(`SSE-C on a ${kind} upload: reported; download needs the key (none → 400, wrong → 403), raw or base64`, async () => {
        const data = bytes(size, 12);
        const file = await put(plain, { contents: data, serverSideEncryption: SSE_C }, large);
        expect(file.serverSideEncryption?.mode).toBe('SSE-C');
        expect(file.serverSideEncryption?.algorithm).toBe('AES256');
        if (large) expect(file.contentSha1).toBe('none');
        else expect(file.contentSha1).toBe(sha1(data));

        const none = await failure(file.downloadToBuffer());
        expect([none.status, none.code, none.operation]).toEqual([400, 'bad_request', 'b2_download_file_by_id']);
        const wrong = await failure(file.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: otherKey } }));
        expect([wrong.status, wrong.code, wrong.operation]).toEqual([403, 'access_denied', 'b2_download_file_by_id']);

        expect((await read(file, { serverSideEncryption: SSE_C })).equals(data)).toBeTrue();
        expect((await read(file, { serverSideEncryption: { mode: 'SSE-C', customerKey: key.toString('base64') } })).equals(data)).toBeTrue();
        const byName = await lastValueFrom(plain.downloadFileByName(file.fileName, { serverSideEncryption: SSE_C }).pipe(intoBuffer(), toResponseBody()));
        expect(Buffer.from(byName.data).equals(data)).toBeTrue();
        const noneByName = await failure(plain.downloadFileByName(file.fileName));
        expect([noneByName.status, noneByName.code]).toEqual([400, 'bad_request']);
        // A range needs the key too.
        const range = await lastValueFrom(file.downloadToBuffer({ range: { start: 10, end: 19 }, serverSideEncryption: SSE_C }).pipe(toResponseBody()));
        expect(Buffer.from(range.data).equals(data.subarray(10, 20))).toBeTrue();
        // Parallel ranged downloads carry the key on every range.
        expect((await read(file, { serverSideEncryption: SSE_C, concurrency: 3, partSize: 200 })).equals(data)).toBeTrue();
        const parallelNone = await failure(file.downloadToBuffer({ concurrency: 3, partSize: 200 }));
        expect([parallelNone.status, parallelNone.code]).toEqual([400, 'bad_request']);
      });

      it(`SSE-C on a ${kind} upload to a lock bucket with retention`, async () => {
        const until = now() + 30 * DAY;
        const file = await put(
          lock,
          { contents: bytes(size, 13), serverSideEncryption: SSE_C, fileRetention: { mode: 'governance', retainUntilTimestamp: until }, legalHold: 'off' },
          large,
        );
        expect(file.serverSideEncryption?.mode).toBe('SSE-C');
        expect(file.fileRetention).toEqual({ mode: 'governance', retainUntilTimestamp: until });
        expect(file.legalHold).toBe('off');
        expect((await read(file, { serverSideEncryption: SSE_C })).equals(bytes(size, 13))).toBeTrue();
        await firstValueFrom(file.delete({ bypassGovernance: true }));
      });

      // Sources are 3,000 bytes; the emulator's recommended part size is 2,000, so "small" sets a higher threshold.
      const copyOptions = large ? { largeFileThreshold: 1000, partSize: 1000 } : { largeFileThreshold: 1_000_000 };

      it(`${kind} copy: SSE-C source → SSE-B2 destination (source key needed: none → 400, wrong → 403)`, async () => {
        const data = bytes(3000, 14);
        const dir = `c2b-${kind}-${(serial++).toString(36)}/`;
        const source = await put(plain, { contents: data, serverSideEncryption: SSE_C });
        const noKey = await failure(source.copy({ fileName: `${dir}nokey`, serverSideEncryption: { mode: 'SSE-B2' }, ...copyOptions }));
        expect([noKey.status, noKey.code]).toEqual([400, 'bad_request']);
        expect(noKey.operation).toBe(large ? 'b2_copy_part' : 'b2_copy_file');
        const wrongKey = await failure(
          source.copy({ fileName: `${dir}wrong`, sourceEncryption: { mode: 'SSE-C', customerKey: otherKey }, serverSideEncryption: { mode: 'SSE-B2' }, ...copyOptions }),
        );
        expect([wrongKey.status, wrongKey.code]).toEqual([403, 'access_denied']);

        const events = await all(source.copy({ fileName: `${dir}b2`, sourceEncryption: SSE_C, serverSideEncryption: { mode: 'SSE-B2' }, ...copyOptions }));
        expect(events.filter((e) => e.type === 'partUploaded').length).toBe(large ? 3 : 0);
        const last = events[events.length - 1];
        if (last.type !== 'response') throw new Error('no response event');
        const copy = last.body;
        expect(copy.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
        expect(copy.contentLength).toBe(3000);
        expect((await read(copy)).equals(data)).toBeTrue();
        // Failed copies left nothing behind (large ones were cancelled).
        expect((await all(plain.listFileVersions({ prefix: dir }))).map((f) => f.fileId)).toEqual([copy.fileId]);
        await firstValueFrom(copy.delete());
      });

      it(`${kind} copy: SSE-B2 source → SSE-C destination, and SSE-C → SSE-C under another key`, async () => {
        const data = bytes(3000, 15);
        const source = await put(plain, { contents: data, serverSideEncryption: { mode: 'SSE-B2' } });
        const copy = await lastValueFrom(source.copy({ fileName: name('tocopy-c'), serverSideEncryption: SSE_C, ...copyOptions }).pipe(toResponseBody()));
        expect(copy.serverSideEncryption?.mode).toBe('SSE-C');
        const none = await failure(copy.downloadToBuffer());
        expect([none.status, none.code]).toEqual([400, 'bad_request']);
        expect((await read(copy, { serverSideEncryption: SSE_C })).equals(data)).toBeTrue();

        // Copied again as listed (action "upload"): the copy's own B2File says "copy" (see the next spec).
        const listed = await firstValueFrom(plain.getFile({ id: copy.fileId }));
        const rekeyed = await lastValueFrom(
          listed
            .copy({ fileName: name('tocopy-rekey'), sourceEncryption: SSE_C, serverSideEncryption: { mode: 'SSE-C', customerKey: otherKey }, ...copyOptions })
            .pipe(toResponseBody()),
        );
        const wrong = await failure(rekeyed.downloadToBuffer({ serverSideEncryption: SSE_C }));
        expect([wrong.status, wrong.code]).toEqual([403, 'access_denied']);
        expect((await read(rekeyed, { serverSideEncryption: { mode: 'SSE-C', customerKey: otherKey } })).equals(data)).toBeTrue();
      });

      it(`the B2File a ${kind} copy emits (action "${large ? 'upload' : 'copy'}") can itself be copied`, async () => {
        const source = await put(plain, { contents: bytes(3000, 17) });
        const copy = await lastValueFrom(source.copy({ fileName: name('copy-of'), ...copyOptions }).pipe(toResponseBody()));
        // b2_copy_file answers action "copy" (a listing later says "upload"); a large copy's finish says "upload".
        expect(copy.action).toBe(large ? 'upload' : 'copy');
        const again = await lastValueFrom(copy.copy({ fileName: name('copy-of-copy'), ...copyOptions }).pipe(toResponseBody()));
        expect((await read(again)).equals(bytes(3000, 17))).toBeTrue();
      });

      it(`${kind} copy into a lock bucket with retention and legal hold`, async () => {
        const source = await put(plain, { contents: bytes(3000, 16), serverSideEncryption: SSE_C });
        const until = now() + 30 * DAY;
        const copy = await lastValueFrom(
          source
            .copy({
              fileName: name('lock-copy'),
              bucketId: lock.bucketId,
              sourceEncryption: SSE_C,
              fileRetention: { mode: 'governance', retainUntilTimestamp: until },
              legalHold: 'on',
              ...copyOptions,
            })
            .pipe(toResponseBody()),
        );
        expect(copy.bucketId).toBe(lock.bucketId);
        expect(copy.fileRetention).toEqual({ mode: 'governance', retainUntilTimestamp: until });
        expect(copy.legalHold).toBe('on');
        // The lock bucket's default encryption applies to a copy that sets none.
        expect(copy.serverSideEncryption).toEqual({ mode: 'SSE-B2', algorithm: 'AES256' });
        expectDenied(await failure(copy.delete({ bypassGovernance: true })), 'b2_delete_file_version');
        await firstValueFrom(copy.updateLegalHold('off'));
        await firstValueFrom(copy.delete({ bypassGovernance: true }));
      });
    }

    describe('an SSE-C key of the wrong size: invalid_argument before any request', () => {
      const short = randomBytes(16);
      const cases: [string, Uint8Array | string][] = [
        ['16 raw bytes', short],
        ['33 raw bytes', randomBytes(33)],
        ['base64 of 31 bytes', randomBytes(31).toString('base64')],
        ['an empty string', ''],
      ];

      for (const [what, customerKey] of cases) {
        it(`upload (small, large) with ${what}`, async () => {
          await firstValueFrom(b2.authorize());
          const requests = countRequests(emu, '*');
          for (const large of [false, true]) {
            const err = await failure(
              (large ? plain.uploadLargeFile : plain.uploadFile).call(plain, {
                fileName: name('badkey'),
                contents: bytes(2500),
                serverSideEncryption: { mode: 'SSE-C', customerKey },
              }),
            );
            expect([err.status, err.code, err.field]).toEqual([0, 'invalid_argument', 'serverSideEncryption.customerKey']);
          }
          expect(requests()).toBe(0);
        });
      }

      it('copy: destination and source keys', async () => {
        const source = await put(plain, { contents: 'copy me', serverSideEncryption: SSE_C });
        const requests = countRequests(emu, '*');
        const dest = await failure(source.copy({ fileName: name('c'), sourceEncryption: SSE_C, serverSideEncryption: { mode: 'SSE-C', customerKey: short } }));
        expect([dest.code, dest.field]).toEqual(['invalid_argument', 'serverSideEncryption.customerKey']);
        const src = await failure(source.copy({ fileName: name('c'), sourceEncryption: { mode: 'SSE-C', customerKey: short } }));
        expect([src.code, src.field]).toEqual(['invalid_argument', 'sourceEncryption.customerKey']);
        expect(requests()).toBe(0);
      });

      it('download', async () => {
        const file = await put(plain, { contents: 'read me', serverSideEncryption: SSE_C });
        await firstValueFrom(b2.authorize());
        const requests = countRequests(emu, '*');
        const err = await failure(file.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: short } }));
        expect([err.status, err.code, err.field]).toEqual([0, 'invalid_argument', 'serverSideEncryption.customerKey']);
        expect(requests()).toBe(0);
      });

      it('an unknown mode', async () => {
        const err = await failure(plain.uploadFile({ fileName: name('mode'), contents: 'x', serverSideEncryption: { mode: 'SSE-X' } as unknown as { mode: 'SSE-B2' } }));
        expect([err.code, err.field]).toEqual(['invalid_argument', 'serverSideEncryption.mode']);
      });
    });
  });
});
