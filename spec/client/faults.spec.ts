import { firstValueFrom, lastValueFrom, tap } from 'rxjs';
import { B2, B2Error, toResponseBody, type B2Event, type B2File, type B2RetryEvent, type Bucket } from '../../src';
import { all, bucketName, bytes, client, countRequests, failure, sha1, SMALL_FILE_PARTS, startClientEmulator, upload, type Emu } from './support';

describe('client faults and retry', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  const listNames = Array.from({ length: 7 }, (_, i) => `l/${i}.txt`);

  beforeAll(async () => {
    emu = await startClientEmulator(SMALL_FILE_PARTS);
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('fault')));
    for (const name of listNames) await upload(bucket, name, name);
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  /** A fresh client and its view of the bucket: empty upload-URL pool, no cached authorization. */
  async function fresh(options: ConstructorParameters<typeof B2>[0] = {}): Promise<{ b2: B2; bucket: Bucket }> {
    const c = client(emu, options);
    return { b2: c, bucket: await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId })) };
  }

  function injected(kind: string): number {
    return emu.faults.injected()[kind] ?? 0;
  }

  it('503 once on b2_list_file_names: retried, the listing is complete, one fault injected', async () => {
    // A fresh client: another spec may have expired the shared client's token (a 401 + retry would add requests).
    const { bucket: view } = await fresh();
    const before = injected('status:503');
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const count = countRequests(emu, 'b2_list_file_names');
    const files = await all(view.listFiles({ prefix: 'l/', pageSize: 3 }));
    expect(files.map((f) => f.fileName)).toEqual(listNames);
    expect(injected('status:503') - before).toBe(1);
    expect(count()).toBe(3); // the retried first page (the 503 itself is counted by its own rule) + 2
  });

  it('B2Options.onRetry hears each retry of a call: operation, failed attempt, wait, error', async () => {
    const events: B2RetryEvent[] = [];
    const { bucket: view } = await fresh({ onRetry: (e) => events.push(e) });
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503 }, times: 2 });
    const files = await all(view.listFiles({ prefix: 'l/' }));
    expect(files.map((f) => f.fileName)).toEqual(listNames);
    expect(events.map(({ operation, attempt, error }) => ({ operation, attempt, status: error.status, code: error.code }))).toEqual([
      { operation: 'b2_list_file_names', attempt: 1, status: 503, code: 'service_unavailable' },
      { operation: 'b2_list_file_names', attempt: 2, status: 503, code: 'service_unavailable' },
    ]);
    for (const e of events) {
      expect(e.error).toBeInstanceOf(B2Error);
      expect(e.delayMs).toBeGreaterThanOrEqual(0);
      expect(e.delayMs).toBeLessThanOrEqual(50); // client(): maxDelayMs 50
    }
  });

  it('B2Options.onRetry must be a function', () => {
    expect(() => client(emu, { onRetry: 'yes' as never })).toThrowMatching((e: B2Error) => e.code === 'invalid_argument' && e.field === 'onRetry');
  });

  it('503 on a later page: retried from that page, no duplicates', async () => {
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503 }, times: 2, skip: 1 });
    const files = await all(bucket.listFiles({ prefix: 'l/', pageSize: 2 }));
    expect(files.map((f) => f.fileName)).toEqual(listNames);
  });

  it('429 with Retry-After on b2_get_upload_url: waits as told, then uploads', async () => {
    const { bucket: view } = await fresh();
    const before = injected('status:429');
    emu.faults.add({ call: 'b2_get_upload_url', fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, times: 1 });
    const count = countRequests(emu, 'b2_get_upload_url');
    const started = Date.now();
    const file = await lastValueFrom(view.uploadFile({ fileName: 'r/429.txt', contents: 'after a wait' }).pipe(toResponseBody()));
    const waited = Date.now() - started;
    expect(file.contentSha1).toBe(sha1('after a wait'));
    expect(injected('status:429') - before).toBe(1);
    expect(count()).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5000);
  });

  it('token expiry in the middle of a listing: re-authorizes once and completes with every file', async () => {
    const { b2: c, bucket: view } = await fresh();
    await firstValueFrom(c.authorize());
    const authCount = countRequests(emu, 'b2_authorize_account');
    let expired = false;
    const files = await all(
      view.listFiles({ prefix: 'l/', pageSize: 2 }).pipe(
        tap(() => {
          if (!expired) {
            expired = true;
            emu.expireAllTokens();
          }
        }),
      ),
    );
    expect(files.map((f) => f.fileName)).toEqual(listNames);
    expect(authCount()).toBe(1);
  });

  it('concurrent calls hitting an expired token share one re-authorization', async () => {
    const { b2: c, bucket: view } = await fresh();
    await firstValueFrom(c.authorize());
    emu.expireAllTokens();
    const authCount = countRequests(emu, 'b2_authorize_account');
    const results = await Promise.all([all(view.listFiles({ prefix: 'l/' })), all(view.listFileVersions({ prefix: 'l/' })), firstValueFrom(view.getFile({ name: 'l/3.txt' }))]);
    expect(results[0].length).toBe(7);
    expect(results[1].length).toBe(7);
    expect(results[2].fileName).toBe('l/3.txt');
    expect(authCount()).toBe(1);
  });

  it('a connection reset mid upload body: retried with a new URL, one version stored, sent attempts 1 then 2', async () => {
    const { bucket: view } = await fresh();
    const data = bytes(100_000, 41);
    const before = injected('resetRequest');
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 1000 }, times: 1 });
    const urls = countRequests(emu, 'b2_get_upload_url');
    const events = await all(view.uploadFile({ fileName: 'r/reset.bin', contents: data }));
    expect(injected('resetRequest') - before).toBe(1);
    const sent = events.filter((e) => e.type === 'sent');
    expect(sent).toEqual([
      { type: 'sent', attempt: 1 },
      { type: 'sent', attempt: 2 },
    ]);
    expect(events[events.length - 1].type).toBe('response');
    const file = (events[events.length - 1] as Extract<B2Event<B2File, unknown>, { type: 'response' }>).body;
    expect(file.contentSha1).toBe(sha1(data));
    expect(file.contentLength).toBe(data.length);
    const progress = events.filter((e): e is Extract<B2Event<B2File, unknown>, { type: 'uploadProgress' }> => e.type === 'uploadProgress');
    for (let i = 1; i < progress.length; i++) expect(progress[i].loaded).toBeGreaterThanOrEqual(progress[i - 1].loaded);
    expect(progress[progress.length - 1].loaded).toBe(data.length);
    expect(urls()).toBe(2);
    const versions = await all(bucket.listFileVersions({ prefix: 'r/reset.bin' }));
    expect(versions.map((v) => v.fileId)).toEqual([file.fileId]);
    const back = await lastValueFrom(versions[0].downloadToBuffer().pipe(toResponseBody()));
    expect(Buffer.from(back.data).equals(data)).toBeTrue();
  });

  it('a reset mid upload of a { path } source and a Blob is retried too (the source is re-read)', async () => {
    const { bucket: view } = await fresh();
    const data = bytes(100_000, 42);
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 1000 }, times: 1 });
    const file = await lastValueFrom(view.uploadFile({ fileName: 'r/reset-blob.bin', contents: new Blob([new Uint8Array(data)]) }).pipe(toResponseBody()));
    expect(file.contentSha1).toBe(sha1(data));
    expect((await all(bucket.listFileVersions({ prefix: 'r/reset-blob.bin' }))).length).toBe(1);
  });

  it('resetResponse mid download body: downloadToBuffer resumes and returns the right bytes, verified', async () => {
    const data = bytes(300_000, 43);
    const file = await upload(bucket, 'r/download.bin', data);
    const before = injected('resetResponse');
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 50_000 }, times: 1 });
    const count = countRequests(emu, 'b2_download_file_by_id');
    const result = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(injected('resetResponse') - before).toBe(1);
    expect(count()).toBe(1); // the resumed, ranged request
    expect(result.bytes).toBe(data.length);
    expect(result.verifiedSha1).toBe(sha1(data));
    expect(Buffer.from(result.data).equals(data)).toBeTrue();
  });

  it('resetResponse mid ranged download: resumes within the range', async () => {
    const data = bytes(300_000, 44);
    const file = await upload(bucket, 'r/range.bin', data);
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 20_000 }, times: 1 });
    const result = await lastValueFrom(file.downloadToBuffer({ range: { start: 10_000, end: 109_999 } }).pipe(toResponseBody()));
    expect(result.bytes).toBe(100_000);
    expect(result.verifiedSha1).toBeNull();
    expect(Buffer.from(result.data).equals(data.subarray(10_000, 110_000))).toBeTrue();
  });

  it('500 on b2_upload_file: retried with a NEW upload URL (two b2_get_upload_url calls)', async () => {
    const { bucket: view } = await fresh();
    const before = injected('status:500');
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'status', status: 500 }, times: 1 });
    const urls = countRequests(emu, 'b2_get_upload_url');
    const events = await all(view.uploadFile({ fileName: 'r/500.txt', contents: 'five hundred' }));
    expect(injected('status:500') - before).toBe(1);
    expect(urls()).toBe(2);
    expect(events.filter((e) => e.type === 'sent').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
    expect((await all(bucket.listFileVersions({ prefix: 'r/500.txt' }))).length).toBe(1);
    // The URL of the successful upload is reused by the next upload.
    await lastValueFrom(view.uploadFile({ fileName: 'r/500-next.txt', contents: 'next' }));
    expect(urls()).toBe(2);
  });

  it('retry: false surfaces the first 503 as B2Error status 503, after one request', async () => {
    const { bucket: view } = await fresh({ retry: false });
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const count = countRequests(emu, 'b2_list_file_names');
    const err = await failure(view.listFiles({ prefix: 'l/' }));
    expect(err).toBeInstanceOf(B2Error);
    expect(err.status).toBe(503);
    expect(err.code).toBe('service_unavailable');
    expect(err.operation).toBe('b2_list_file_names');
    expect(err.retryAfter).toBe(0);
    expect(err.isRetryable).toBeTrue();
    expect(count()).toBe(0);
    // The rule was used up: the same call now succeeds.
    expect((await all(view.listFiles({ prefix: 'l/' }))).length).toBe(7);
  });

  it('a non-retryable 400 fails at once, with one request', async () => {
    const { bucket: view } = await fresh();
    const count = countRequests(emu, 'b2_update_bucket');
    const started = Date.now();
    const err = await failure(view.update({ lifecycleRules: [{ fileNamePrefix: 'x/', daysFromHidingToDeleting: null, daysFromUploadingToHiding: null }] }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('bad_request');
    expect(err.isRetryable).toBeFalse();
    expect(count()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('retries run out after maxAttempts and surface the last failure', async () => {
    const { bucket: view } = await fresh({ retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 } });
    const before = injected('status:500');
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 500 }, times: Infinity });
    const err = await failure(view.listFiles({ prefix: 'l/' }));
    expect([err.status, err.code]).toEqual([500, 'internal_error']);
    expect(injected('status:500') - before).toBe(3);
  });

  it('errors never contain the application key or any token', async () => {
    const { b2: c, bucket: view } = await fresh();
    const token = (await firstValueFrom(c.authorize())).authorizationToken;
    const secrets = [emu.applicationKey, token, Buffer.from(`${emu.keyId}:${emu.applicationKey}`).toString('base64')];
    const errors: B2Error[] = [];
    const { bucket: noRetry } = await fresh({ retry: false });

    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503 }, times: 1 });
    errors.push(await failure(noRetry.listFiles()));
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 10 }, times: 1 });
    errors.push(await failure(noRetry.uploadFile({ fileName: 'e/reset.bin', contents: bytes(50_000, 45) })));
    emu.faults.add({ call: 'b2_download_file_by_name', fault: { kind: 'status', status: 500 }, times: 1 });
    errors.push(await failure(noRetry.downloadFileByName('l/1.txt')));
    errors.push(await failure(view.getFile({ name: 'e/missing' })));
    errors.push(await failure(c.buckets.create(bucket.bucketName)));
    errors.push(await failure(view.update({ ifRevisionIs: 999 })));
    errors.push(await failure(c.buckets.create('bad name')));
    const f = await upload(view, 'e/x.txt', 'x');
    await lastValueFrom(f.delete());
    errors.push(await failure(f.delete()));
    const wrongKey = new B2({ applicationKeyId: emu.keyId, applicationKey: `${emu.applicationKey}WRONG`, realm: emu.url, retry: false });
    errors.push(await failure(wrongKey.buckets.all()));
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'expiredToken' }, times: 2 });
    errors.push(await failure(c.buckets.all()));
    // The client re-authorized once on the way: that token must not leak either.
    secrets.push((await firstValueFrom(c.authorize())).authorizationToken);

    expect(errors.map((e) => e.status)).toEqual([503, 0, 500, 404, 400, 409, 0, jasmine.any(Number), 401, 401] as never);
    for (const err of errors) {
      const renderings = [String(err), JSON.stringify(err), err.stack ?? '', err.message, JSON.stringify(Object.entries(err))];
      for (const text of renderings) {
        for (const secret of [...secrets, `${emu.applicationKey}WRONG`]) {
          expect(text.includes(secret))
            .withContext(`${err.code}: ${text.slice(0, 120)}`)
            .toBeFalse();
        }
      }
      expect(Object.keys(err)).not.toContain('config');
      expect(Object.keys(err)).not.toContain('request');
    }
  });
  it('a 503 on b2_download_file_by_id before the headers is retried: sent attempts 1 then 2, bytes verified', async () => {
    const data = bytes(20_000, 46);
    const file = await upload(bucket, 'r/dl-503.bin', data);
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'status', status: 503 }, times: 1 });
    const events = await all(file.downloadToBuffer());
    expect(events.filter((e) => e.type === 'sent')).toEqual([
      { type: 'sent', attempt: 1 },
      { type: 'sent', attempt: 2 },
    ]);
    const last = events[events.length - 1] as Extract<(typeof events)[number], { type: 'response' }>;
    expect(last.type).toBe('response');
    expect(Buffer.from(last.body.data).equals(data)).toBeTrue();
    expect(last.body.verifiedSha1).toBe(sha1(data));
  });

  it('a download cut mid-body with retry: false fails with network_error and leaves no file behind', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'rxb2-client-cut-'));
    try {
      const data = bytes(200_000, 47);
      const file = await upload(bucket, 'r/cut.bin', data);
      const { bucket: view } = await fresh({ retry: false });
      const same = await firstValueFrom(view.getFile({ id: file.fileId }));
      emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 10_000 }, times: 1 });
      const err = await failure(same.downloadToFile(join(dir, 'cut.bin')));
      expect(err.status).toBe(0);
      expect(err.code).toBe('network_error');
      // By the time the error is delivered, the temporary file is gone (not a moment later).
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a stream upload cut mid-body cannot be replayed: fails with stream_not_replayable, nothing stored', async () => {
    const { Readable } = await import('node:stream');
    const { bucket: view } = await fresh();
    const data = bytes(100_000, 48);
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 1000 }, times: 1 });
    const urls = countRequests(emu, 'b2_get_upload_url');
    const err = await failure(view.uploadFile({ fileName: 'r/stream-cut.bin', contents: Readable.from([data]), contentLength: data.length }));
    expect(err.code).toBe('stream_not_replayable');
    expect(err.status).toBe(0);
    expect(err.isRetryable).toBeFalse();
    // The first attempt's URL, and at most one more for the attempt that found the stream spent.
    expect(urls()).toBeLessThanOrEqual(2);
    expect(await all(bucket.listFileVersions({ prefix: 'r/stream-cut.bin' }))).toEqual([]);
  });

  it('concurrent uploads never share an upload URL; finished URLs are reused', async () => {
    const { bucket: view } = await fresh();
    const urls = countRequests(emu, 'b2_get_upload_url');
    const batch = (tag: string) =>
      Promise.all(Array.from({ length: 5 }, (_, i) => lastValueFrom(view.uploadFile({ fileName: `c/${tag}-${i}.bin`, contents: bytes(200_000, 50 + i) }).pipe(toResponseBody()))));
    const first = await batch('a');
    expect(first.map((f) => f.contentLength)).toEqual([200_000, 200_000, 200_000, 200_000, 200_000]);
    expect(urls()).toBe(5);
    await batch('b');
    expect(urls()).toBe(5);
    expect((await all(bucket.listFiles({ prefix: 'c/' }))).length).toBe(10);
  });

  it('after every token expired, an upload on a pooled URL gets a fresh URL and a new authorization', async () => {
    const { bucket: view } = await fresh();
    await lastValueFrom(view.uploadFile({ fileName: 'x/before.txt', contents: 'before' }));
    emu.expireAllTokens();
    const auth = countRequests(emu, 'b2_authorize_account');
    const file = await lastValueFrom(view.uploadFile({ fileName: 'x/after.txt', contents: 'after' }).pipe(toResponseBody()));
    expect(file.contentSha1).toBe(sha1('after'));
    expect(auth()).toBe(1);
    const back = await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()));
    expect(Buffer.from(back.data).toString()).toBe('after');
  });

  it('a 503 on b2_authorize_account during a call is retried', async () => {
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503 }, times: 1 });
    const viaCall = client(emu);
    expect((await all(viaCall.buckets.all())).map((b) => b.bucketName)).toContain(bucket.bucketName);
    expect(emu.faults.injected()['status:503']).toBeGreaterThanOrEqual(1);
  });

  it('a 503 on b2_authorize_account is retried by b2.authorize() too', async () => {
    const before = injected('status:503');
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'status', status: 503 }, times: 1 });
    const direct = client(emu);
    const auth = await firstValueFrom(direct.authorize());
    expect(injected('status:503') - before).toBe(1);
    expect(auth.apiUrl).toBe(emu.url);
    expect(auth.accountId).toBe(emu.accountId);
  });

  it('a wrong key fails with 401 from b2_authorize_account at once (no re-authorization loop)', async () => {
    const count = countRequests(emu, 'b2_authorize_account');
    const wrong = new B2({ applicationKeyId: emu.keyId, applicationKey: 'K00' + 'x'.repeat(28), realm: emu.url, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    const err = await failure(wrong.buckets.all());
    expect(err.status).toBe(401);
    expect(err.operation).toBe('b2_authorize_account');
    expect(count()).toBe(1);
  });
});
