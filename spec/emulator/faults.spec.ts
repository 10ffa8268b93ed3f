import * as b2 from '../helpers/b2-http';
import { faultCallNames, parseFaultPlan } from '../../src/emulator/faults';
import { JSON_CALLS } from '../../src/emulator/routes';

function totalInjected(emu: b2.Emu): number {
  return Object.values(emu.faults.injected()).reduce((a, b) => a + b, 0);
}

// https://www.backblaze.com/docs/cloud-storage-integration-checklist
describe('emu-http fault plan', () => {
  const fx = b2.useEmulator({ bucket: true });

  beforeAll(async () => {
    await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'f/file.bin', Buffer.alloc(5000, 1));
  });
  afterEach(() => {
    fx.emu.faults.clear();
  });

  function listBuckets(): Promise<b2.RawResponse> {
    return b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId });
  }

  it('503 with Retry-After, once (default times = 1), counted by injected()', async () => {
    const before = totalInjected(fx.emu);
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 5 } });
    const r = await listBuckets();
    b2.expectError(r, 503, 'service_unavailable');
    expect(r.headers['retry-after']).toBe('5');
    expect(r.headers['date']).toBeDefined();
    b2.expectOk(await listBuckets());
    expect(totalInjected(fx.emu) - before).toBe(1);
    expect(Object.keys(fx.emu.faults.injected()).some((k) => k.includes('503')))
      .withContext(JSON.stringify(fx.emu.faults.injected()))
      .toBeTrue();
  });

  it('429 too_many_requests with Retry-After', async () => {
    fx.emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 429, retryAfterSeconds: 2 } });
    const r = await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId });
    b2.expectError(r, 429, 'too_many_requests');
    expect(r.headers['retry-after']).toBe('2');
  });

  it('500 internal_error and 408 request_timeout', async () => {
    fx.emu.faults.add({ call: 'b2_get_file_info', fault: { kind: 'status', status: 500 } });
    const fi = await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId });
    const fileId = fi.json.files[0].fileId;
    b2.expectError(await b2.call(fx.auth, 'b2_get_file_info', { fileId }), 500, 'internal_error');
    fx.emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'status', status: 408 } });
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    b2.expectError(await b2.uploadFile(up, { name: 'f/timeout.txt', data: 'x' }), 408, 'request_timeout');
    const v = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'f/timeout.txt' }));
    expect(v.files).toEqual([]);
  });

  it('expiredToken → 401 expired_auth_token (the token itself stays valid afterwards)', async () => {
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'expiredToken' } });
    b2.expectError(await listBuckets(), 401, 'expired_auth_token');
  });

  it('skip lets N matching requests through first; times limits how many fail', async () => {
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503 }, skip: 2, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await listBuckets()).status);
    expect(statuses).toEqual([200, 200, 503, 503, 200]);
  });

  it('times: Infinity keeps failing until clear()', async () => {
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 500 }, times: Infinity });
    for (let i = 0; i < 3; i++) expect((await listBuckets()).status).toBe(500);
    fx.emu.faults.clear();
    b2.expectOk(await listBuckets());
  });

  it("call '*' matches every call, including downloads", async () => {
    fx.emu.faults.add({ call: '*', fault: { kind: 'status', status: 503 }, times: 2 });
    b2.expectError(await listBuckets(), 503, 'service_unavailable');
    b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'f/file.bin'), 503, 'service_unavailable');
    b2.expectOk(await listBuckets());
  });

  it('a fault only hits the named call', async () => {
    fx.emu.faults.add({ call: 'b2_hide_file', fault: { kind: 'status', status: 503 } });
    b2.expectOk(await listBuckets());
    b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId }));
  });

  it('download faults by call name (b2_download_file_by_name / _by_id)', async () => {
    fx.emu.faults.add({ call: 'b2_download_file_by_name', fault: { kind: 'status', status: 503 } });
    b2.expectError(await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'f/file.bin'), 503, 'service_unavailable');
    const fid = (await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'f/file.bin')).headers['x-bz-file-id'] as string;
    fx.emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'status', status: 500 } });
    b2.expectError(await b2.downloadById(fx.auth, fid), 500, 'internal_error');
    expect((await b2.downloadById(fx.auth, fid)).status).toBe(200);
  });

  it('resetRequest: the connection is destroyed while sending; nothing is stored', async () => {
    fx.emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 100 } });
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    await expectAsync(b2.uploadFile(up, { name: 'f/reset.bin', data: Buffer.alloc(200_000, 2) })).toBeRejected();
    const v = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'f/reset.bin' }));
    expect(v.files).toEqual([]);
    // a new URL works
    const up2 = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    b2.expectOk(await b2.uploadFile(up2, { name: 'f/reset.bin', data: Buffer.alloc(2000, 2) }));
  });

  it('resetRequest afterBytes 0 on a JSON call', async () => {
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'resetRequest', afterBytes: 0 } });
    await expectAsync(listBuckets()).toBeRejected();
    b2.expectOk(await listBuckets());
  });

  it('resetResponse: the download is cut after N body bytes', async () => {
    fx.emu.faults.add({ call: 'b2_download_file_by_name', fault: { kind: 'resetResponse', afterBytes: 1000 } });
    let failed: boolean;
    try {
      const d = await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'f/file.bin');
      // if the client did not notice, the body must at least be short
      failed = d.body.length < 5000;
    } catch {
      failed = true;
    }
    expect(failed).toBeTrue();
    const ok = await b2.downloadByName(fx.auth, fx.bucket.bucketName, 'f/file.bin');
    expect(ok.body.length).toBe(5000);
  });

  it('delay holds the response back', async () => {
    fx.emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'delay', ms: 400 } });
    const t0 = Date.now();
    b2.expectOk(await listBuckets());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    const t1 = Date.now();
    b2.expectOk(await listBuckets());
    expect(Date.now() - t1).toBeLessThan(380);
  });

  it('fault on b2_authorize_account', async () => {
    fx.emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 } });
    const r = await b2.authorizeRaw(fx.emu);
    b2.expectError(r, 503, 'service_unavailable');
    b2.expectOk(await b2.authorizeRaw(fx.emu));
  });

  it('fault on b2_upload_part', async () => {
    const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'f/large.bin');
    const pu = await b2.getPartUrl(fx.auth, s.fileId);
    fx.emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'status', status: 503 } });
    b2.expectError(await b2.uploadPart(pu, 1, Buffer.alloc(1000, 1)), 503, 'service_unavailable');
    const lp = b2.expectOk(await b2.call(fx.auth, 'b2_list_parts', { fileId: s.fileId }));
    expect(lp.parts).toEqual([]);
  });
});

describe('emu-http faults from options', () => {
  it('faults passed to startEmulator apply from the start', async () => {
    await b2.withEmulator({ faults: [{ call: 'b2_list_buckets', fault: { kind: 'status', status: 429, retryAfterSeconds: 3 } }] }, async (emu) => {
      const auth = await b2.authorize(emu);
      const r = await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId });
      b2.expectError(r, 429, 'too_many_requests');
      expect(r.headers['retry-after']).toBe('3');
      b2.expectOk(await b2.call(auth, 'b2_list_buckets', { accountId: auth.accountId }));
    });
  });
});

// https://www.backblaze.com/docs/cloud-storage-integration-checklist
describe('emu-http X-Bz-Test-Mode', () => {
  const fx = b2.useEmulator({ per: 'each', bucket: true });

  it('fail_some_uploads: some uploads fail with a retryable status, the others succeed; failures store nothing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      const r = await b2.uploadFile(up, { name: `tm/${i}`, data: `d${i}`, headers: { 'X-Bz-Test-Mode': 'fail_some_uploads' } });
      statuses.push(r.status);
      if (r.status !== 200) {
        expect([408, 500, 503]).withContext(r.text).toContain(r.status);
        expect(r.json?.status).toBe(r.status);
      }
    }
    const failures = statuses.filter((s) => s !== 200).length;
    expect(failures).withContext(JSON.stringify(statuses)).toBeGreaterThan(0);
    expect(failures).withContext(JSON.stringify(statuses)).toBeLessThan(9);
    const j = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'tm/' }));
    expect(j.files.length).toBe(9 - failures);
  });

  it('fail_some_uploads with failSomeUploadsEvery: 2 → every second upload fails', async () => {
    await fx.restart({ failSomeUploadsEvery: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
      statuses.push((await b2.uploadFile(up, { name: `tm2/${i}`, data: 'x', headers: { 'X-Bz-Test-Mode': 'fail_some_uploads' } })).status);
    }
    expect(statuses.filter((s) => s !== 200).length)
      .withContext(JSON.stringify(statuses))
      .toBe(3);
  });

  it('uploads without the header are never failed', async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    for (let i = 0; i < 6; i++) b2.expectOk(await b2.uploadFile(up, { name: `plain/${i}`, data: 'x' }));
  });

  it('expire_some_account_authorization_tokens: a token obtained under this mode soon fails with 401 expired_auth_token', async () => {
    const tm = { 'X-Bz-Test-Mode': 'expire_some_account_authorization_tokens' };
    const a = await b2.authorize(fx.emu, { headers: tm });
    let expired = 0;
    for (let i = 0; i < 20; i++) {
      const r = await b2.call(a, 'b2_list_buckets', { accountId: a.accountId }, { headers: tm });
      if (r.status === 401) {
        b2.expectError(r, 401, 'expired_auth_token');
        expired++;
        break;
      }
      expect(r.status).toBe(200);
    }
    expect(expired).toBe(1);
    // a normal token is unaffected
    b2.expectOk(await b2.call(fx.auth, 'b2_list_buckets', { accountId: fx.auth.accountId }));
  });

  it('force_cap_exceeded → 403 storage_cap_exceeded/cap_exceeded on upload-related calls', async () => {
    const tm = { 'X-Bz-Test-Mode': 'force_cap_exceeded' };
    b2.expectError(await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }, { headers: tm }), 403, ['storage_cap_exceeded', 'cap_exceeded']);
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    b2.expectError(await b2.uploadFile(up, { name: 'cap.txt', data: 'x', headers: tm }), 403, ['storage_cap_exceeded', 'cap_exceeded']);
    b2.expectError(await b2.call(fx.auth, 'b2_start_large_file', { bucketId: fx.bucket.bucketId, fileName: 'cap.bin', contentType: 'text/plain' }, { headers: tm }), 403, [
      'storage_cap_exceeded',
      'cap_exceeded',
    ]);
    const v = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId }));
    expect(v.files).toEqual([]);
  });

  it('force_cap_exceeded also refuses copy_file and get_upload_part_url', async () => {
    const tm = { 'X-Bz-Test-Mode': 'force_cap_exceeded' };
    const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'src.txt', 'x');
    b2.expectError(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: f.fileId, fileName: 'dst.txt' }, { headers: tm }), 403, ['storage_cap_exceeded', 'cap_exceeded']);
    const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'l.bin');
    b2.expectError(await b2.call(fx.auth, 'b2_get_upload_part_url', { fileId: s.fileId }, { headers: tm }), 403, ['storage_cap_exceeded', 'cap_exceeded']);
  });

  it('several modes comma-joined or as repeated headers are all honoured', async () => {
    const joined = await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }, { headers: { 'X-Bz-Test-Mode': 'fail_some_uploads, force_cap_exceeded' } });
    b2.expectError(joined, 403, ['storage_cap_exceeded', 'cap_exceeded']);
    const repeated = await b2.call(fx.auth, 'b2_get_upload_url', { bucketId: fx.bucket.bucketId }, { headers: { 'X-Bz-Test-Mode': ['fail_some_uploads', 'force_cap_exceeded'] } });
    b2.expectError(repeated, 403, ['storage_cap_exceeded', 'cap_exceeded']);
  });
});

describe('emu fault plan files (parseFaultPlan)', () => {
  const calls = faultCallNames(Object.keys(JSON_CALLS));
  const parse = (text: string) => parseFaultPlan(text, 'plan.json', calls);
  const problem = (text: string): string => {
    try {
      parse(text);
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  it('reads rules; "times": null means every matching request', () => {
    expect(
      parse('[{"call": "*", "fault": {"kind": "status", "status": 503}, "times": null},\n {"call": "b2_download_file_by_id", "fault": {"kind": "stall", "afterBytes": 10}}]'),
    ).toEqual([
      { call: '*', fault: { kind: 'status', status: 503 }, times: Infinity },
      { call: 'b2_download_file_by_id', fault: { kind: 'stall', afterBytes: 10 } },
    ]);
  });

  it('names the line of a rule of the wrong shape', () => {
    expect(problem('[\n{"call": "b2_list_buckets", "fault": {"kind": "status", "status": 404}}]')).toBe('plan.json:2: rule 1: "fault.status" must be 408, 429, 500 or 503');
    expect(problem('[{"call": "b2_list_buckets", "fault": {"kind": "delay", "ms": 1}},\n\n{"call": "b2_list_buckets", "fault": {"kind": "resetResponse"}}]')).toBe(
      'plan.json:3: rule 2: "fault.afterBytes" is required',
    );
    expect(problem('[{"call": "b2_list_buckets", "fault": {"kind": "explode"}}]')).toMatch(/^plan\.json:1: rule 1: "fault.kind" must be one of status, /);
    expect(problem('{"call": "b2_list_buckets"}')).toBe('plan.json:1: a fault plan is a JSON array of rules');
    expect(problem('[\n\n  {"call": "b2_list_buckets", "fault": {"kind": "delay", "ms": 1},\n]')).toMatch(/^plan\.json:4: not valid JSON/);
  });
});
