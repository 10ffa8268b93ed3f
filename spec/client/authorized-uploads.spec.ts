/**
 * Keys stay on the server: a "server" (a B2 client holding the key) hands out upload
 * authorizations with Bucket.getUploadAuthorization / startLargeUpload / getUploadPartAuthorization
 * / finishLargeUpload / cancelLargeUpload, and a "page" uploads with uploadWithAuthorization, which
 * holds no key and no B2 object: only the authorizer's answers. Against the emulator over HTTP.
 */
import { firstValueFrom, lastValueFrom, of, defer, throwError, type Observable, type Subscription } from 'rxjs';
import { uploadWithAuthorization, type B2AuthorizedUploadEvent, type B2UploadAuthorizer, type Bucket, type B2UploadUrlWire, toResponseBody, B2Error } from '../../src';
import { all, bucketName, bytes, client, countRequests, delay, failure, sha1, startClientEmulator, type Emu } from './support';

const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

describe('uploads with server-issued authorizations (keys stay on the server)', () => {
  let emu: Emu;
  let bucket: Bucket;
  /** What the page's authorizer asked the server, in order. */
  let asked: string[];
  let running: Subscription | undefined;

  beforeAll(async () => {
    emu = await startClientEmulator({ absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 });
    bucket = await firstValueFrom(client(emu).buckets.create(bucketName('auth')));
  });

  afterAll(async () => {
    await emu.close();
  });

  beforeEach(() => {
    asked = [];
  });

  afterEach(() => {
    running?.unsubscribe();
    running = undefined;
    emu.faults.clear();
  });

  /** The page's way to the server: each method stands for one HTTP call to it. */
  function authorizer(server: Bucket = bucket): B2UploadAuthorizer {
    return {
      uploadUrl: () => defer(() => (asked.push('uploadUrl'), server.getUploadAuthorization())),
      largeFile: {
        start: (file) => defer(() => (asked.push('start'), server.startLargeUpload({ fileName: file.fileName, contentType: file.contentType, contentLength: file.contentLength }))),
        partUrl: (fileId) => defer(() => (asked.push('partUrl'), server.getUploadPartAuthorization(fileId))),
        // JSON through the wire: the page gets the file's fields, never an object holding a session.
        finish: (fileId, sha1s) => defer(async () => (asked.push('finish'), JSON.parse(JSON.stringify(await lastValueFrom(server.finishLargeUpload(fileId, sha1s)))))),
        cancel: (fileId) => defer(() => (asked.push('cancel'), server.cancelLargeUpload(fileId))),
      },
    };
  }

  async function versionsOf(name: string): Promise<string[]> {
    return (await all(bucket.listFileVersions({ prefix: name }))).filter((f) => f.fileName === name).map((f) => f.action);
  }

  async function download(name: string): Promise<Uint8Array> {
    const file = await firstValueFrom(bucket.getFile({ name }));
    return (await lastValueFrom(file.downloadToBuffer().pipe(toResponseBody()))).data;
  }

  it('server side: getUploadAuthorization hands out an upload URL and token for the bucket', async () => {
    const grant = await firstValueFrom(bucket.getUploadAuthorization());
    expect(grant.bucketId).toBe(bucket.bucketId);
    expect(grant.uploadUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(typeof grant.authorizationToken).toBe('string');
    // Not the account's token: a token good for uploading only.
    const auth = await firstValueFrom(client(emu).authorize());
    expect(grant.authorizationToken).not.toBe(auth.authorizationToken);
  });

  it('a small file: the page uploads a Blob with one authorization, progress to the end, the file on B2', async () => {
    const data = bytes(3000, 7);
    const events: B2AuthorizedUploadEvent[] = await all(
      uploadWithAuthorization({ contents: new Blob([data]), fileName: 'page/small.bin', authorizer: authorizer(), progressIntervalMs: 0 }),
    );
    expect(events.map((e) => e.type)).toContain('sent');
    const last = events[events.length - 1];
    expect(last.type).toBe('response');
    if (last.type !== 'response') return;
    expect(last.body.fileName).toBe('page/small.bin');
    expect(last.body.contentLength).toBe(3000);
    expect(last.body.contentSha1).toBe(sha1(data));
    const progress = events.filter((e) => e.type === 'uploadProgress').map((e) => (e.type === 'uploadProgress' ? e.loaded : 0));
    expect(progress[progress.length - 1]).toBe(3000);
    expect(asked).toEqual(['uploadUrl']);
    expect(Buffer.from(await download('page/small.bin')).equals(data)).toBeTrue();
  });

  it('a large file: the server starts and finishes it, the page sends the parts to part URLs it asked for', async () => {
    const data = bytes(23_000, 8);
    const events = await all(
      uploadWithAuthorization({
        contents: new Blob([data]),
        fileName: 'page/large.bin',
        authorizer: authorizer(),
        largeFileThreshold: 5000,
        concurrency: 2,
        progressIntervalMs: 0,
      }),
    );
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('largeFileStarted');
    expect(types.filter((t) => t === 'partUploaded').length).toBe(5); // 23,000 bytes in parts of 5,000
    expect(types[types.length - 1]).toBe('response');
    expect(asked[0]).toBe('start');
    expect(asked[asked.length - 1]).toBe('finish');
    // Two parts in flight at a time: part URLs are reused after a success, never shared.
    expect(asked.filter((a) => a === 'partUrl').length).toBeGreaterThanOrEqual(2);
    expect(asked.filter((a) => a === 'partUrl').length).toBeLessThanOrEqual(5);
    const loaded = events.flatMap((e) => (e.type === 'uploadProgress' ? [e.loaded] : []));
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThanOrEqual(loaded[i - 1]);
    expect(loaded[loaded.length - 1]).toBe(23_000);
    expect(Buffer.from(await download('page/large.bin')).equals(data)).toBeTrue();
    expect(await versionsOf('page/large.bin')).toEqual(['upload']);
  });

  it('nothing is asked or sent before subscribe', async () => {
    const requests = countRequests(emu);
    const upload$ = uploadWithAuthorization({ contents: 'lazy', fileName: 'page/lazy.txt', authorizer: authorizer() });
    await delay(30);
    expect(asked).toEqual([]);
    expect(requests()).toBe(0);
    await lastValueFrom(upload$);
    expect(asked).toEqual(['uploadUrl']);
  });

  it('an expired upload authorization: the retry asks the server for a fresh one and the upload succeeds', async () => {
    const stale = await firstValueFrom(bucket.getUploadAuthorization());
    emu.expireAllTokens(); // the stale grant and the server's own account token
    let first = true;
    const pageAuthorizer: B2UploadAuthorizer = {
      uploadUrl: () => {
        asked.push('uploadUrl');
        if (first) {
          first = false;
          return of(stale);
        }
        return bucket.getUploadAuthorization(); // the server re-authorizes on its side
      },
    };
    const file = await lastValueFrom(uploadWithAuthorization({ contents: 'fresh', fileName: 'page/expired.txt', authorizer: pageAuthorizer, retry: FAST }).pipe(toResponseBody()));
    expect(file.fileName).toBe('page/expired.txt');
    expect(asked).toEqual(['uploadUrl', 'uploadUrl']);
  });

  it('an authorization B2 keeps refusing: a 401 B2Error that says to ask the server for a new one', async () => {
    const stale = await firstValueFrom(bucket.getUploadAuthorization());
    emu.expireAllTokens();
    const err = await failure(
      uploadWithAuthorization({
        contents: 'stale',
        fileName: 'page/stale.txt',
        authorizer: { uploadUrl: () => (asked.push('uploadUrl'), [stale]) },
        retry: { ...FAST, maxAttempts: 3 },
      }),
    );
    expect(err).toBeInstanceOf(B2Error);
    expect(err.status).toBe(401);
    expect(err.code).toBe('expired_auth_token');
    expect(err.operation).toBe('b2_upload_file');
    expect(err.message).toContain('ask the server for a new one');
    // The refused token is a secret too: in no rendering of the error.
    for (const rendering of [err.message, String(err), JSON.stringify(err), err.stack ?? '']) expect(rendering).not.toContain(stale.authorizationToken);
    expect(asked).toEqual(['uploadUrl', 'uploadUrl', 'uploadUrl']); // each retry asked again
    expect(await versionsOf('page/stale.txt')).toEqual([]);
  });

  it('a 503 on a part: the part is retried with a fresh part URL from the server', async () => {
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'status', status: 503 }, times: 1 });
    const data = bytes(12_000, 9);
    await lastValueFrom(uploadWithAuthorization({ contents: data, fileName: 'page/retried.bin', authorizer: authorizer(), largeFileThreshold: 5000, concurrency: 1, retry: FAST }));
    // 3 parts, one at a time: one URL reused after each success, plus one after the 503.
    expect(asked.filter((a) => a === 'partUrl').length).toBe(2);
    expect(Buffer.from(await download('page/retried.bin')).equals(data)).toBeTrue();
  });

  for (const [label, answer, field] of [
    ['an HTML error page', '<html>login</html>', 'authorizer.uploadUrl'],
    ['null', null, 'authorizer.uploadUrl'],
    ['no uploadUrl', { authorizationToken: 'x' }, 'authorizer.uploadUrl.uploadUrl'],
    ['a non-http uploadUrl', { uploadUrl: 'javascript:alert(1)', authorizationToken: 'x' }, 'authorizer.uploadUrl.uploadUrl'],
    ['an empty token', { uploadUrl: 'http://127.0.0.1:1/x', authorizationToken: '' }, 'authorizer.uploadUrl.authorizationToken'],
  ] as const) {
    it(`a server answer that is not an authorization (${label}): invalid_argument before any upload request`, async () => {
      const uploads = countRequests(emu, 'b2_upload_file');
      const err = await failure(
        uploadWithAuthorization({ contents: 'x', fileName: 'page/bad.txt', authorizer: { uploadUrl: () => [answer as unknown as B2UploadUrlWire] }, retry: FAST }),
      );
      expect(err.code).toBe('invalid_argument');
      expect(err.field).toBe(field);
      expect(uploads()).toBe(0);
    });
  }

  it('a start answer that is not a started file: invalid_argument, no part sent', async () => {
    const parts = countRequests(emu, 'b2_upload_part');
    const err = await failure(
      uploadWithAuthorization({
        contents: bytes(9000, 3),
        fileName: 'page/bad-start.bin',
        largeFileThreshold: 5000,
        authorizer: { ...authorizer(), largeFile: { ...authorizer().largeFile!, start: () => [{ ok: true } as never] } },
      }),
    );
    expect(err.code).toBe('invalid_argument');
    expect(err.field).toBe('authorizer.largeFile.start');
    expect(parts()).toBe(0);
  });

  it('an authorizer that fails: its error, as it is', async () => {
    const boom = new Error('server said 403');
    await expectAsync(lastValueFrom(uploadWithAuthorization({ contents: 'x', fileName: 'page/no.txt', authorizer: { uploadUrl: () => throwError(() => boom) } }))).toBeRejectedWith(
      boom,
    );
  });

  it('bad options: invalid_argument naming the option, before anything is asked', async () => {
    const cases: [Parameters<typeof uploadWithAuthorization>[0], string][] = [
      [{ contents: 'x', fileName: '', authorizer: authorizer() }, 'fileName'],
      [{ contents: 'x', fileName: 'a', authorizer: undefined as never }, 'authorizer'],
      [{ contents: 'x', fileName: 'a', authorizer: { uploadUrl: () => [], largeFile: {} as never } }, 'authorizer.largeFile'],
      [{ contents: { path: '/etc/passwd' } as never, fileName: 'a', authorizer: authorizer() }, 'contents'],
      [{ contents: 'x', fileName: 'a', authorizer: authorizer(), concurrency: 0 }, 'concurrency'],
    ];
    for (const [options, field] of cases) {
      const err = await failure(uploadWithAuthorization(options));
      expect(err.code).withContext(field).toBe('invalid_argument');
      expect(err.field).withContext(field).toBe(field);
    }
    expect(asked).toEqual([]);
  });

  it('an authorizer that answers nothing: invalid_argument naming it', async () => {
    const err = await failure(uploadWithAuthorization({ contents: 'x', fileName: 'a', authorizer: { uploadUrl: () => [] } }));
    expect(err.code).toBe('invalid_argument');
    expect(err.field).toBe('authorizer.uploadUrl');
  });

  it('unsubscribing mid-way through a large upload asks the server to cancel it: nothing left on B2', async () => {
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 40 }, times: Infinity });
    const name = 'page/cancelled.bin';
    let parts = 0;
    running = uploadWithAuthorization({ contents: new Blob([bytes(60_000, 4)]), fileName: name, authorizer: authorizer(), largeFileThreshold: 5000, concurrency: 2 }).subscribe(
      (e) => (e.type === 'partUploaded' ? parts++ : undefined),
    );
    for (let i = 0; i < 200 && parts === 0; i++) await delay(10);
    expect(await versionsOf(name)).toEqual(['start']);
    running.unsubscribe();
    let left = await versionsOf(name);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await delay(20);
      left = await versionsOf(name);
    }
    expect(left).toEqual([]);
    expect(asked).toContain('cancel');
    expect(asked).not.toContain('finish');
  });

  describe('server side: bad input', () => {
    const cases: [string, () => Observable<unknown>, string][] = [
      ['startLargeUpload without a name', () => bucket.startLargeUpload({ fileName: '' }), 'fileName'],
      ['startLargeUpload with a negative length', () => bucket.startLargeUpload({ fileName: 'a', contentLength: -1 }), 'contentLength'],
      ['startLargeUpload with a part size below the minimum', () => bucket.startLargeUpload({ fileName: 'a', partSize: 10 }), 'partSize'],
      ['getUploadPartAuthorization without an id', () => bucket.getUploadPartAuthorization(''), 'fileId'],
      ['finishLargeUpload without parts', () => bucket.finishLargeUpload('4_zabc', []), 'partSha1Array'],
      ['finishLargeUpload with a bad SHA-1', () => bucket.finishLargeUpload('4_zabc', ['nope']), 'partSha1Array[0]'],
      ['cancelLargeUpload without an id', () => bucket.cancelLargeUpload(undefined as never), 'fileId'],
    ];
    for (const [label, call, field] of cases) {
      it(`${label}: invalid_argument naming ${field}, no request`, async () => {
        const requests = countRequests(emu);
        const err = await failure(call());
        expect(err.code).toBe('invalid_argument');
        expect(err.field).toBe(field);
        expect(requests()).toBe(0);
      });
    }

    it('startLargeUpload picks a part size that fits 10,000 parts', async () => {
      const started = await firstValueFrom(bucket.startLargeUpload({ fileName: 'page/sized.bin', contentLength: 100_000_000 }));
      expect(started.partSize).toBe(10_000);
      expect(started.fileName).toBe('page/sized.bin');
      expect(started.bucketId).toBe(bucket.bucketId);
      await lastValueFrom(bucket.cancelLargeUpload(started.fileId));
      expect(await versionsOf('page/sized.bin')).toEqual([]);
    });
  });
});
