import * as b2 from '../helpers/b2-http';

const DAY = 86_400_000;
// Deleting a protected version: live B2 answers 401 "Access Denied", b2sdk's simulator a 403 AccessDenied (https://www.backblaze.com/apidocs/b2-delete-file-version)
const DENIED_STATUS = [401, 403];
const DENIED_CODE = ['access_denied'];

// https://www.backblaze.com/apidocs/b2-update-file-retention, https://www.backblaze.com/docs/cloud-storage-object-lock
describe('emu-http object lock', () => {
  const fx = b2.useEmulator();
  let lockBucket: any;
  let plainBucket: any;

  beforeAll(async () => {
    lockBucket = await b2.createBucket(fx.auth, { fileLockEnabled: true });
    plainBucket = await b2.createBucket(fx.auth);
  });

  function retentionHeaders(mode: string, until: number): b2.Headers {
    return { 'X-Bz-File-Retention-Mode': mode, 'X-Bz-File-Retention-Retain-Until-Timestamp': String(until) };
  }

  describe('bucket configuration', () => {
    it('fileLockEnabled:true on create is reported in fileLockConfiguration', () => {
      expect(lockBucket.fileLockConfiguration).toEqual({
        isClientAuthorizedToRead: true,
        value: jasmine.objectContaining({ isFileLockEnabled: true, defaultRetention: jasmine.objectContaining({ mode: null }) }),
      });
    });

    it('update may switch false → true but never true → false', async () => {
      const b = await b2.createBucket(fx.auth);
      const u = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, fileLockEnabled: true }));
      expect(u.fileLockConfiguration.value.isFileLockEnabled).toBeTrue();
      const back = await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, fileLockEnabled: false });
      b2.expectError(back, 400, ['file_lock_conflict', 'bad_request']);
    });

    it('defaultRetention on a lock bucket applies to new uploads', async () => {
      const b = await b2.createBucket(fx.auth, { fileLockEnabled: true });
      const u = b2.expectOk(
        await b2.call(fx.auth, 'b2_update_bucket', {
          accountId: fx.auth.accountId,
          bucketId: b.bucketId,
          defaultRetention: { mode: 'governance', period: { duration: 1, unit: 'days' } },
        }),
      );
      expect(u.fileLockConfiguration.value.defaultRetention).toEqual({ mode: 'governance', period: { duration: 1, unit: 'days' } });
      const f = await b2.uploadOk(fx.auth, b.bucketId, 'defaulted.txt', 'x');
      expect(f.fileRetention.value.mode).toBe('governance');
      expect(Math.abs(f.fileRetention.value.retainUntilTimestamp - (f.uploadTimestamp + DAY))).toBeLessThan(5000);
    });

    it('defaultRetention on a bucket without Object Lock → 400', async () => {
      const b = await b2.createBucket(fx.auth);
      const res = await b2.call(fx.auth, 'b2_update_bucket', {
        accountId: fx.auth.accountId,
        bucketId: b.bucketId,
        defaultRetention: { mode: 'governance', period: { duration: 1, unit: 'days' } },
      });
      b2.expectError(res, 400, ['bad_request', 'bucket_missing_file_lock']);
    });
  });

  describe('retention and legal hold on upload', () => {
    it('headers are stored and returned; download shows the lock headers', async () => {
      const until = Date.now() + DAY;
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'up/ret.txt', 'x', {
        headers: { ...retentionHeaders('governance', until), 'X-Bz-File-Legal-Hold': 'on' },
      });
      expect(f.fileRetention).toEqual({ isClientAuthorizedToRead: true, value: { mode: 'governance', retainUntilTimestamp: until } });
      expect(f.legalHold).toEqual({ isClientAuthorizedToRead: true, value: 'on' });
      const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi.fileRetention.value).toEqual({ mode: 'governance', retainUntilTimestamp: until });
      expect(gi.legalHold.value).toBe('on');
      const d = await b2.downloadById(fx.auth, f.fileId, { method: 'HEAD' });
      expect(d.headers['x-bz-file-retention-mode']).toBe('governance');
      expect(d.headers['x-bz-file-retention-retain-until-timestamp']).toBe(String(until));
      expect(d.headers['x-bz-file-legal-hold']).toBe('on');
    });

    it('a file without retention in a lock bucket reports null values', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'up/none.txt', 'x');
      expect(f.fileRetention).toEqual({ isClientAuthorizedToRead: true, value: { mode: null, retainUntilTimestamp: null } });
      expect(f.legalHold).toEqual({ isClientAuthorizedToRead: true, value: null });
    });

    it('retention/legal hold headers on a bucket without Object Lock → 400 bucket_missing_file_lock', async () => {
      const up = await b2.getUploadUrl(fx.auth, plainBucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'x.txt', data: 'x', headers: retentionHeaders('governance', Date.now() + DAY) }), 400, 'bucket_missing_file_lock');
      b2.expectError(await b2.uploadFile(up, { name: 'y.txt', data: 'x', headers: { 'X-Bz-File-Legal-Hold': 'on' } }), 400, 'bucket_missing_file_lock');
    });

    it('retain-until in the past → 400 retain_until_timestamp_must_be_in_future', async () => {
      const up = await b2.getUploadUrl(fx.auth, lockBucket.bucketId);
      const res = await b2.uploadFile(up, { name: 'up/past.txt', data: 'x', headers: retentionHeaders('governance', Date.now() - 1000) });
      b2.expectError(res, 400, 'retain_until_timestamp_must_be_in_future');
    });

    it('invalid mode / legal hold value → 400 bad_request', async () => {
      const up = await b2.getUploadUrl(fx.auth, lockBucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'up/badmode.txt', data: 'x', headers: retentionHeaders('forever', Date.now() + DAY) }), 400, 'bad_request');
      b2.expectError(await b2.uploadFile(up, { name: 'up/badhold.txt', data: 'x', headers: { 'X-Bz-File-Legal-Hold': 'maybe' } }), 400, 'bad_request');
    });

    it('start_large_file takes fileRetention and legalHold JSON', async () => {
      const until = Date.now() + DAY;
      const s = await b2.startLarge(fx.auth, lockBucket.bucketId, 'up/large.bin', {
        fileRetention: { mode: 'compliance', retainUntilTimestamp: until },
        legalHold: 'on',
      });
      expect(s.fileRetention.value).toEqual({ mode: 'compliance', retainUntilTimestamp: until });
      expect(s.legalHold.value).toBe('on');
    });

    it('copy_file takes fileRetention and legalHold', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'up/copysrc.txt', 'x');
      const until = Date.now() + DAY;
      const c = b2.expectOk(
        await b2.call(fx.auth, 'b2_copy_file', {
          sourceFileId: f.fileId,
          fileName: 'up/copydst.txt',
          fileRetention: { mode: 'governance', retainUntilTimestamp: until },
          legalHold: 'off',
        }),
      );
      expect(c.fileRetention.value).toEqual({ mode: 'governance', retainUntilTimestamp: until });
      expect(c.legalHold.value).toBe('off');
    });
  });

  describe('enforcement on delete', () => {
    it('governance: refused without bypass; allowed with bypassGovernance:true (master key)', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'del/gov.txt', 'x', { headers: retentionHeaders('governance', Date.now() + DAY) });
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/gov.txt', fileId: f.fileId }), DENIED_STATUS, DENIED_CODE);
      expect((await b2.downloadById(fx.auth, f.fileId)).status).toBe(200);
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/gov.txt', fileId: f.fileId, bypassGovernance: true }));
    });

    it('governance bypass needs the bypassGovernance capability → 401 unauthorized without it', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'del/gov2.txt', 'x', { headers: retentionHeaders('governance', Date.now() + DAY) });
      const { auth: k } = await b2.keyAuth(fx.emu, fx.auth, ['deleteFiles', 'listFiles', 'readFiles']);
      const res = await b2.call(k, 'b2_delete_file_version', { fileName: 'del/gov2.txt', fileId: f.fileId, bypassGovernance: true });
      b2.expectError(res, [401, 403], ['unauthorized', 'access_denied']);
      expect((await b2.downloadById(fx.auth, f.fileId)).status).toBe(200);
    });

    it('compliance: refused even with bypassGovernance', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'del/comp.txt', 'x', { headers: retentionHeaders('compliance', Date.now() + DAY) });
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/comp.txt', fileId: f.fileId }), DENIED_STATUS, DENIED_CODE);
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/comp.txt', fileId: f.fileId, bypassGovernance: true }), DENIED_STATUS, DENIED_CODE);
    });

    it('legal hold on: refused even with bypass; after legal hold off: allowed', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'del/hold.txt', 'x', { headers: { 'X-Bz-File-Legal-Hold': 'on' } });
      b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/hold.txt', fileId: f.fileId, bypassGovernance: true }), DENIED_STATUS, DENIED_CODE);
      const lh = b2.expectOk(await b2.call(fx.auth, 'b2_update_file_legal_hold', { fileName: 'del/hold.txt', fileId: f.fileId, legalHold: 'off' }));
      expect(lh).toEqual(jasmine.objectContaining({ fileId: f.fileId, fileName: 'del/hold.txt', legalHold: 'off' }));
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'del/hold.txt', fileId: f.fileId }));
    });

    it('hiding a locked file is allowed (the data stays)', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'del/hide.txt', 'x', { headers: retentionHeaders('compliance', Date.now() + DAY) });
      b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: lockBucket.bucketId, fileName: 'del/hide.txt' }));
      expect((await b2.downloadById(fx.auth, f.fileId)).status).toBe(200);
    });

    it('a bucket holding locked files cannot be deleted', async () => {
      const b = await b2.createBucket(fx.auth, { fileLockEnabled: true });
      await b2.uploadOk(fx.auth, b.bucketId, 'locked.txt', 'x', { headers: retentionHeaders('compliance', Date.now() + DAY) });
      b2.expectError(await b2.call(fx.auth, 'b2_delete_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId }), 400, 'cannot_delete_non_empty_bucket');
    });
  });

  describe('b2_update_file_retention', () => {
    it('sets and extends retention; response {fileId, fileName, fileRetention}', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'ur/a.txt', 'x');
      const t1 = Date.now() + DAY;
      const r = b2.expectOk(
        await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/a.txt', fileId: f.fileId, fileRetention: { mode: 'governance', retainUntilTimestamp: t1 } }),
      );
      expect(r).toEqual(jasmine.objectContaining({ fileId: f.fileId, fileName: 'ur/a.txt', fileRetention: { mode: 'governance', retainUntilTimestamp: t1 } }));
      const t2 = t1 + DAY;
      b2.expectOk(await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/a.txt', fileId: f.fileId, fileRetention: { mode: 'governance', retainUntilTimestamp: t2 } }));
      const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi.fileRetention.value).toEqual({ mode: 'governance', retainUntilTimestamp: t2 });
    });

    it('governance: shortening/removing needs bypassGovernance', async () => {
      const t = Date.now() + 2 * DAY;
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'ur/gov.txt', 'x', { headers: retentionHeaders('governance', t) });
      const shorter = { mode: 'governance', retainUntilTimestamp: Date.now() + DAY };
      b2.expectError(await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/gov.txt', fileId: f.fileId, fileRetention: shorter }), DENIED_STATUS, DENIED_CODE);
      b2.expectOk(await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/gov.txt', fileId: f.fileId, fileRetention: shorter, bypassGovernance: true }));
      b2.expectOk(
        await b2.call(fx.auth, 'b2_update_file_retention', {
          fileName: 'ur/gov.txt',
          fileId: f.fileId,
          fileRetention: { mode: null, retainUntilTimestamp: null },
          bypassGovernance: true,
        }),
      );
      b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'ur/gov.txt', fileId: f.fileId }));
    });

    it('governance → compliance allowed; compliance cannot be shortened, removed or downgraded', async () => {
      const t = Date.now() + 2 * DAY;
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'ur/comp.txt', 'x', { headers: retentionHeaders('governance', t) });
      b2.expectOk(
        await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/comp.txt', fileId: f.fileId, fileRetention: { mode: 'compliance', retainUntilTimestamp: t } }),
      );
      const tries = [
        { mode: 'compliance', retainUntilTimestamp: t - DAY },
        { mode: 'governance', retainUntilTimestamp: t },
        { mode: null, retainUntilTimestamp: null },
      ];
      for (const fr of tries) {
        b2.expectError(
          await b2.call(fx.auth, 'b2_update_file_retention', { fileName: 'ur/comp.txt', fileId: f.fileId, fileRetention: fr, bypassGovernance: true }),
          DENIED_STATUS,
          DENIED_CODE,
          JSON.stringify(fr),
        );
      }
      b2.expectOk(
        await b2.call(fx.auth, 'b2_update_file_retention', {
          fileName: 'ur/comp.txt',
          fileId: f.fileId,
          fileRetention: { mode: 'compliance', retainUntilTimestamp: t + DAY },
        }),
      );
    });

    it('non-lock bucket → 400 bucket_missing_file_lock (retention and legal hold)', async () => {
      const f = await b2.uploadOk(fx.auth, plainBucket.bucketId, 'ur/plain.txt', 'x');
      b2.expectError(
        await b2.call(fx.auth, 'b2_update_file_retention', {
          fileName: 'ur/plain.txt',
          fileId: f.fileId,
          fileRetention: { mode: 'governance', retainUntilTimestamp: Date.now() + DAY },
        }),
        400,
        'bucket_missing_file_lock',
      );
      b2.expectError(await b2.call(fx.auth, 'b2_update_file_legal_hold', { fileName: 'ur/plain.txt', fileId: f.fileId, legalHold: 'on' }), 400, 'bucket_missing_file_lock');
    });

    it('retention in the past → 400 retain_until_timestamp_must_be_in_future (e.g. seconds instead of ms)', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'ur/secs.txt', 'x');
      const res = await b2.call(fx.auth, 'b2_update_file_retention', {
        fileName: 'ur/secs.txt',
        fileId: f.fileId,
        fileRetention: { mode: 'governance', retainUntilTimestamp: Math.floor(Date.now() / 1000) + 86400 },
      });
      b2.expectError(res, 400, 'retain_until_timestamp_must_be_in_future');
    });

    it('fileName not matching the id → 400', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'ur/match.txt', 'x');
      const res = await b2.call(fx.auth, 'b2_update_file_legal_hold', { fileName: 'ur/other.txt', fileId: f.fileId, legalHold: 'on' });
      b2.expectError(res, 400, ['bad_request', 'file_not_present']);
    });
  });

  describe('capabilities for reading/writing locks', () => {
    it('without readFileRetentions/readFileLegalHolds values are hidden; downloads list X-Bz-Client-Unauthorized-To-Read', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'cap/read.txt', 'x', {
        headers: { ...retentionHeaders('governance', Date.now() + DAY), 'X-Bz-File-Legal-Hold': 'on' },
      });
      const { auth: k } = await b2.keyAuth(fx.emu, fx.auth, ['readFiles', 'listFiles']);
      const gi = b2.expectOk(await b2.call(k, 'b2_get_file_info', { fileId: f.fileId }));
      expect(gi.fileRetention).toEqual({ isClientAuthorizedToRead: false, value: null });
      expect(gi.legalHold).toEqual({ isClientAuthorizedToRead: false, value: null });
      const d = await b2.downloadById(k, f.fileId);
      expect(d.status).toBe(200);
      expect(d.headers['x-bz-file-retention-mode']).toBeUndefined();
      expect(d.headers['x-bz-file-legal-hold']).toBeUndefined();
      const unauth = String(d.headers['x-bz-client-unauthorized-to-read'] ?? '').toLowerCase();
      expect(unauth).toContain('x-bz-file-retention-mode');
      expect(unauth).toContain('x-bz-file-legal-hold');
    });

    it('writing retention / legal hold without the write capabilities → 401 unauthorized', async () => {
      const f = await b2.uploadOk(fx.auth, lockBucket.bucketId, 'cap/write.txt', 'x');
      const { auth: k } = await b2.keyAuth(fx.emu, fx.auth, ['writeFiles', 'readFiles', 'listFiles']);
      const up = await b2.getUploadUrl(k, lockBucket.bucketId);
      b2.expectError(await b2.uploadFile(up, { name: 'cap/w2.txt', data: 'x', headers: retentionHeaders('governance', Date.now() + DAY) }), 401, 'unauthorized');
      b2.expectError(await b2.uploadFile(up, { name: 'cap/w3.txt', data: 'x', headers: { 'X-Bz-File-Legal-Hold': 'on' } }), 401, 'unauthorized');
      b2.expectError(
        await b2.call(k, 'b2_update_file_retention', {
          fileName: 'cap/write.txt',
          fileId: f.fileId,
          fileRetention: { mode: 'governance', retainUntilTimestamp: Date.now() + DAY },
        }),
        401,
        'unauthorized',
      );
      b2.expectError(await b2.call(k, 'b2_update_file_legal_hold', { fileName: 'cap/write.txt', fileId: f.fileId, legalHold: 'on' }), 401, 'unauthorized');
    });
  });
});

// https://www.backblaze.com/docs/cloud-storage-object-lock
describe('emu-http object lock expiry', () => {
  const fx = b2.useEmulator({ per: 'each', bucket: { fileLockEnabled: true } });

  it('once retainUntil passes on the emulator clock the version can be deleted', async () => {
    const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'exp.txt', 'x', {
      headers: { 'X-Bz-File-Retention-Mode': 'compliance', 'X-Bz-File-Retention-Retain-Until-Timestamp': String(Date.now() + 3_600_000) },
    });
    b2.expectError(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'exp.txt', fileId: f.fileId }), DENIED_STATUS, DENIED_CODE);
    fx.emu.advanceClock(3_600_000 + 60_000);
    const auth1 = await b2.authorize(fx.emu);
    b2.expectOk(await b2.call(auth1, 'b2_delete_file_version', { fileName: 'exp.txt', fileId: f.fileId }));
  });
});
