/**
 * Secrets never leak. Every application key (master and created), account token, upload token
 * (files and parts), download-authorization token and SSE-C key (base64, base64url and hex of its
 * raw bytes) seen on the wire during this suite is collected by a recording transport; every error
 * the client raises on every reachable path is rendered every way a caller might render it
 * (message, String(), toString(), JSON.stringify, stack, util.inspect), and so are the request
 * log, console output, events, and the B2 / Bucket / B2File objects. No rendering may contain a
 * secret. Each spec checks its own renderings; afterAll checks all of them against every secret.
 * RXB2_SECRETS_DEBUG=1 prints every error the suite provoked (to review the paths covered).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as util from 'node:util';
import { Observable, firstValueFrom, lastValueFrom, map, type Subscription } from 'rxjs';
import {
  AxiosTransport,
  B2,
  B2Error,
  intoBuffer,
  toResponseBody,
  type B2Event,
  type B2File,
  type B2HttpRequest,
  type B2RequestLogEntry,
  type B2Transport,
  type Bucket,
} from '../../src';
import { all, bucketName, bytes, delay, startClientEmulator, type Emu } from '../client/support';

/** Every secret seen, by value, with what it is (the value itself is never printed). */
class SecretBook {
  private readonly byValue = new Map<string, string>();

  add(kind: string, value: unknown): void {
    if (typeof value !== 'string' || value.length < 12) return;
    if (!this.byValue.has(value)) this.byValue.set(value, `${kind} #${this.byValue.size + 1}`);
    if (value.startsWith('Basic ')) {
      const credentials = Buffer.from(value.slice(6), 'base64').toString('utf8');
      this.add('Basic credentials (base64)', value.slice(6));
      const colon = credentials.indexOf(':');
      if (colon > 0) this.add('application key (from Basic header)', credentials.slice(colon + 1));
    }
  }

  addCustomerKey(kind: string, key: Uint8Array | string): void {
    const raw = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key);
    if (typeof key === 'string') this.add(`${kind} (as given)`, key);
    if (raw.length < 8) return;
    this.add(`${kind} (base64)`, raw.toString('base64'));
    this.add(`${kind} (base64url)`, raw.toString('base64url'));
    this.add(`${kind} (hex)`, raw.toString('hex'));
  }

  /** What secrets `text` contains (by kind). */
  foundIn(text: string): string[] {
    const found: string[] = [];
    for (const [value, kind] of this.byValue) if (text.includes(value)) found.push(kind);
    return found;
  }

  has(value: string): boolean {
    return this.byValue.has(value);
  }

  /** How many secrets start with `prefix` (the emulator's tokens: 4_acct_, 4_upld_, 4_part_, 4_dl_). */
  valuesStartingWith(prefix: string): number {
    return [...this.byValue.keys()].filter((v) => v.startsWith(prefix)).length;
  }
}

/** Fields of request and response JSON that hold a secret. */
const SECRET_FIELDS = ['authorizationToken', 'applicationKey', 'customerKey'];

function collectSecretFields(book: SecretBook, value: unknown, depth = 0): void {
  if (depth > 6 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collectSecretFields(book, v, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_FIELDS.includes(k) && typeof v === 'string') book.add(k === 'customerKey' ? 'SSE-C key (json)' : k, v);
    else collectSecretFields(book, v, depth + 1);
  }
}

/** Renders an error every way a caller might. */
function errorRenderings(err: unknown): [string, string][] {
  const e = err as Error & Record<string, unknown>;
  const out: [string, string][] = [
    ['message', String(e?.message)],
    ['String()', String(e)],
    ['toString()', typeof e?.toString === 'function' ? e.toString() : ''],
    ['JSON.stringify', JSON.stringify(e) ?? ''],
    ['stack', String(e?.stack)],
    ['util.inspect', util.inspect(e)],
    ['util.inspect(depth ∞, hidden)', util.inspect(e, { depth: Infinity, showHidden: true })],
    ['util.format(%o)', util.format('%o', e)],
  ];
  if (e && typeof e === 'object') {
    for (const k of Object.getOwnPropertyNames(e)) out.push([`own property ${k}`, util.inspect(e[k], { depth: Infinity })]);
  }
  return out;
}

describe('security: secrets never leak', () => {
  let emu: Emu;
  const book = new SecretBook();
  /** Renderings to search: [where, text]. */
  const captured: [string, string][] = [];
  const logEntries: B2RequestLogEntry[] = [];
  const consoleOutput: string[] = [];
  const errorsSeen: { where: string; err: unknown }[] = [];
  let master: B2;
  let bucket: Bucket;
  let lockBucket: Bucket;
  let serial = 0;
  const name = (tag: string) => `${tag}/${(serial++).toString(36)}-${randomBytes(2).toString('hex')}.bin`;

  function capture(where: string, text: string | undefined): void {
    captured.push([where, text ?? '']);
  }

  /** Keeps every rendering of `err` for the leak search; returns it (as a B2Error when it is one). */
  function captureError(where: string, err: unknown): B2Error {
    errorsSeen.push({ where, err });
    for (const [how, text] of errorRenderings(err)) capture(`${where}: ${how}`, text);
    return err as B2Error;
  }

  /** The error `source` fails with (captured); fails the spec if it completes. */
  async function failure(where: string, source: Observable<unknown>): Promise<B2Error> {
    try {
      await lastValueFrom(source, { defaultValue: undefined });
    } catch (err) {
      return captureError(where, err);
    }
    throw new Error(`${where}: expected the Observable to fail, but it completed`);
  }

  /** Where the current spec's renderings start (each spec checks its own; afterAll checks all). */
  let mark = { captured: 0, logs: 0, console: 0 };

  /** Leaks since `from`: "<secret kind> in <where>". */
  function leaks(extra: [string, string][], from: typeof mark): string[] {
    const out: string[] = [];
    const texts: [string, string][] = [
      ...captured.slice(from.captured),
      ...extra,
      ...logEntries.slice(from.logs).map((e, i): [string, string] => [`log entry ${from.logs + i} (${e.operation})`, JSON.stringify(e)]),
      ...consoleOutput.slice(from.console).map((t, i): [string, string] => [`console output ${from.console + i}`, t]),
    ];
    for (const [where, text] of texts) for (const kind of book.foundIn(text)) out.push(`${kind} in ${where}`);
    return out;
  }

  /** No secret in this spec's renderings (and `extra`). */
  function expectNoLeaks(extra: [string, string][] = []): void {
    expect(leaks(extra, mark)).withContext('secrets found in renderings').toEqual([]);
  }

  interface TransportHooks {
    /** Rewrites a request before it is sent (after its secrets were recorded). */
    request?: (req: B2HttpRequest) => B2HttpRequest;
    /** Rewrites an event of a response. */
    event?: (req: B2HttpRequest, event: B2Event<unknown, unknown>) => B2Event<unknown, unknown>;
  }

  /** The recording transport: records every secret sent or received, logs into `logEntries`. */
  function recordingTransport(hooks: TransportHooks = {}): B2Transport & { inner: AxiosTransport } {
    const inner = new AxiosTransport({ userAgent: 'rxb2-secrets-spec', log: (entry) => logEntries.push(entry) });
    return {
      inner,
      request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
        const headers = req.headers ?? {};
        book.add(headers.Authorization?.startsWith('Basic ') ? 'Basic authorization header' : 'token (Authorization header)', headers.Authorization);
        book.add('SSE-C key (header)', headers['X-Bz-Server-Side-Encryption-Customer-Key']);
        collectSecretFields(book, req.json);
        const sent = hooks.request ? hooks.request(req) : req;
        return inner.request<T>(sent).pipe(
          map((event) => {
            if (event.type === 'response' && req.responseType !== 'stream') collectSecretFields(book, event.body);
            return (hooks.event ? hooks.event(req, event as B2Event<unknown, unknown>) : event) as B2Event<T, unknown>;
          }),
        );
      },
    };
  }

  function makeClient(keyId: string, key: string, options: { hooks?: TransportHooks; maxAttempts?: number } = {}): B2 {
    book.add('application key', key);
    return new B2({
      applicationKeyId: keyId,
      applicationKey: key,
      realm: emu.url,
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: options.maxAttempts ?? 3 },
      transport: recordingTransport(options.hooks),
    });
  }

  async function authorized(b2: B2): Promise<B2> {
    const auth = await firstValueFrom(b2.authorize());
    book.add('account token (authorize())', auth.authorizationToken);
    return b2;
  }

  async function put(into: Bucket, options: Omit<Parameters<Bucket['uploadFile']>[0], 'fileName'> & { fileName?: string }, large = false): Promise<B2File> {
    const opts = { fileName: options.fileName ?? name('f'), ...options };
    return lastValueFrom((large ? into.uploadLargeFile(opts) : into.uploadFile(opts)).pipe(toResponseBody()));
  }

  async function createKey(capabilities: string[], restrictions: { bucketId?: string; namePrefix?: string } = {}) {
    const key = await firstValueFrom(master.keys.create({ keyName: `sk-${(serial++).toString(36)}`, capabilities, ...restrictions }));
    book.add('created application key', key.applicationKey);
    return key;
  }

  beforeAll(async () => {
    // Console and stdio: everything written while the suite runs (passed through as usual).
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const) {
      const original = console[method].bind(console) as (...args: unknown[]) => void;
      spyOn(console, method).and.callFake((...args: unknown[]) => {
        consoleOutput.push(util.format(...args));
        original(...args);
      });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      spyOn(stream, 'write').and.callFake(((chunk: unknown, ...rest: unknown[]) => {
        consoleOutput.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
        return original(chunk, ...rest);
      }) as typeof stream.write);
    }
    emu = await startClientEmulator();
    book.add('master application key', emu.applicationKey);
    master = await authorized(makeClient(emu.keyId, emu.applicationKey));
    bucket = await firstValueFrom(master.buckets.create(bucketName('sec')));
    lockBucket = await firstValueFrom(master.buckets.create(bucketName('sec-lock'), { fileLockEnabled: true }));
  });

  beforeEach(() => {
    mark = { captured: captured.length, logs: logEntries.length, console: consoleOutput.length };
  });

  afterEach(() => emu.faults.clear());

  afterAll(async () => {
    if (process.env.RXB2_SECRETS_DEBUG) {
      for (const { where, err } of errorsSeen) process.stderr.write(`${where}: ${err instanceof B2Error ? err.toString() : util.inspect(err)}\n`);
    }
    await emu.close();
    // Over the whole suite, against every secret collected by its end, whatever order the specs ran in.
    expect(leaks([], { captured: 0, logs: 0, console: 0 }))
      .withContext('secrets found in renderings (whole suite)')
      .toEqual([]);
    expect(logEntries.length).toBeGreaterThan(0);
  });

  it('the recording transport sees every kind of secret (so the searches below mean something)', async () => {
    await put(bucket, { contents: 'x' });
    await put(bucket, { contents: bytes(2500) }, true);
    const key = await createKey(['listFiles']);
    const grant = await firstValueFrom(bucket.getDownloadAuthorization('x/', 60));
    expect(book.has(emu.applicationKey)).withContext('master key').toBeTrue();
    expect(book.has(key.applicationKey)).withContext('created key').toBeTrue();
    expect(book.has(grant.authorizationToken)).withContext('download authorization token').toBeTrue();
    expect(book.valuesStartingWith('Basic ')).withContext('Basic headers').toBeGreaterThan(0);
    for (const prefix of ['4_acct_', '4_upld_', '4_part_', '4_dl_']) expect(book.valuesStartingWith(prefix)).withContext(prefix).toBeGreaterThan(0);
    expectNoLeaks();
  });

  it('bad credentials: authorize 401 (wrong key, unknown key id, malformed)', async () => {
    const wrongKey = `K00${randomBytes(21).toString('base64url').replace(/[-_]/g, 'x').slice(0, 28)}`;
    const wrong = makeClient(emu.keyId, wrongKey);
    const err = await failure('authorize with a wrong key', wrong.authorize());
    expect([err.status, err.operation]).toEqual([401, 'b2_authorize_account']);
    await failure('buckets.all() with a wrong key', wrong.buckets.all());
    const unknownId = makeClient('000000000000000000000000f', emu.applicationKey);
    expect((await failure('authorize with an unknown key id', unknownId.authorize())).status).toBe(401);
    const noRetry = new B2({ applicationKeyId: emu.keyId, applicationKey: wrongKey, realm: emu.url, retry: false, log: (e) => logEntries.push(e) });
    await failure('authorize, default transport with log', noRetry.authorize());
    expect(logEntries.some((e) => e.operation === 'b2_authorize_account' && e.status === 401)).toBeTrue();
    expectNoLeaks();
  });

  it('expired account token: re-authorizes (new token recorded); and errors when it cannot', async () => {
    const c = await authorized(makeClient(emu.keyId, emu.applicationKey));
    emu.expireAllTokens();
    const view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
    await all(view.listFiles({ prefix: 'x/' }));
    expect(logEntries.some((e) => e.code === 'expired_auth_token')).toBeTrue();

    // With retries off, the expired token surfaces.
    const once = await authorized(makeClient(emu.keyId, emu.applicationKey, { maxAttempts: 1 }));
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'expiredToken' }, times: 1 });
    const expired = await failure('expired token, no retry', once.buckets.all());
    expect([expired.status, expired.code]).toEqual([401, 'expired_auth_token']);

    // A key deleted under a client: bad_auth_token, then the re-authorization is refused.
    const key = await createKey(['listBuckets', 'listFiles']);
    const doomed = await authorized(makeClient(key.applicationKeyId, key.applicationKey));
    await firstValueFrom(master.keys.delete(key.applicationKeyId));
    const refused = await failure('re-authorization refused', doomed.buckets.all());
    expect([refused.status, refused.operation]).toEqual([401, 'b2_authorize_account']);

    // An expired upload token: the upload gets a new URL and succeeds.
    const uploader = await authorized(makeClient(emu.keyId, emu.applicationKey));
    const upView = await firstValueFrom(uploader.buckets.get({ bucketId: bucket.bucketId }));
    await put(upView, { contents: 'one' });
    emu.expireAllTokens();
    await put(upView, { contents: 'two' });
    expectNoLeaks();
  });

  it('401 unauthorized from restricted keys (capability, bucket, prefix)', async () => {
    const other = await firstValueFrom(master.buckets.create(bucketName('sec-other')));
    const key = await createKey(['listBuckets', 'listFiles', 'readFiles', 'writeFiles'], { bucketId: bucket.bucketId, namePrefix: 'ok/' });
    const c = await authorized(makeClient(key.applicationKeyId, key.applicationKey));
    const view = await firstValueFrom(c.buckets.get(bucket.bucketName));
    const outside = await failure('upload outside the prefix', view.uploadFile({ fileName: 'no/x.txt', contents: 'x' }));
    expect([outside.status, outside.code]).toEqual([401, 'unauthorized']);
    await failure('large upload outside the prefix', view.uploadLargeFile({ fileName: 'no/x.bin', contents: bytes(2500) }));
    await failure('listing without a prefix', view.listFiles());
    await failure('another bucket', c.buckets.get(other.bucketName));
    await failure('creating a bucket', c.buckets.create(bucketName('sec-nope')));
    await failure('creating a key', c.keys.create({ keyName: 'nope', capabilities: ['listFiles'] }));
    const mine = await put(view, { fileName: 'ok/mine.txt', contents: 'mine' });
    const del = await failure('delete without deleteFiles', mine.delete());
    expect(del.code).toBe('unauthorized');
    expectNoLeaks();
  });

  it('400s of each kind', async () => {
    const dup = await failure('duplicate bucket name', master.buckets.create(bucket.bucketName));
    expect(dup.status).toBe(400);
    const full = await firstValueFrom(master.buckets.create(bucketName('sec-full')));
    await put(full, { contents: 'keep' });
    expect((await failure('non-empty bucket', full.delete())).code).toBe('cannot_delete_non_empty_bucket');
    expect((await failure('malformed file id', bucket.getFile({ id: 'not-a-file-id' }))).status).toBe(400);
    const file = await put(bucket, { contents: 'hide me' });
    await firstValueFrom(file.hide());
    expect((await failure('already hidden', file.hide())).code).toBe('already_hidden');
    const gone = await put(bucket, { contents: 'gone' });
    await firstValueFrom(gone.delete());
    expect((await failure('deleted twice', gone.delete())).status).toBe(400);
    expect((await failure('hide of no file', gone.hide())).code).toBe('no_such_file');
    const retention = { mode: 'governance' as const, retainUntilTimestamp: Date.now() + 86_400_000 };
    expect((await failure('retention without file lock', bucket.uploadFile({ fileName: name('r'), contents: 'x', fileRetention: retention }))).code).toBe(
      'bucket_missing_file_lock',
    );
    expect(
      (await failure('retention in the past', lockBucket.uploadFile({ fileName: name('r'), contents: 'x', fileRetention: { mode: 'governance', retainUntilTimestamp: 1000 } })))
        .code,
    ).toBe('retain_until_timestamp_must_be_in_future');
    expectNoLeaks();
  });

  it('redaction is precise: a message naming a file id keeps the id (file ids are not tokens)', async () => {
    const file = await put(bucket, { contents: 'named' });
    await firstValueFrom(file.delete());
    const err = await failure('file info of a deleted id (redaction precision)', bucket.getFile({ id: file.fileId }));
    expect([err.status, err.code]).toEqual([404, 'not_found']);
    expectNoLeaks();
    expect(err.message).toContain(file.fileId);
  });

  it('404, 409 and 416', async () => {
    const file = await put(bucket, { contents: 'short' });
    const id = file.fileId;
    expect((await failure('range past the end', file.downloadToBuffer({ range: { start: 1000, end: 2000 } }))).status).toBe(416);
    await firstValueFrom(file.delete());
    expect((await failure('file info of a deleted id', bucket.getFile({ id }))).status).toBe(404);
    expect((await failure('download of a deleted id', file.downloadToBuffer())).status).toBe(404);
    expect((await failure('download by name, missing', bucket.downloadFileByName('missing/none.txt'))).status).toBe(404);
    expect((await failure('getFile by name, missing', bucket.getFile({ name: 'missing/none.txt' }))).status).toBe(404);
    expect((await failure('bucket by name, missing', master.buckets.get(bucketName('missing')))).status).toBe(404);
    const conflict = await failure('stale revision', bucket.update({ bucketInfo: { a: 'b' }, ifRevisionIs: bucket.revision + 100 }));
    expect(conflict.status).toBe(409);
    expectNoLeaks();
  });

  it('SSE-C: download without the key (400), with a wrong key (403); copies likewise', async () => {
    const key = randomBytes(32);
    const wrongKey = randomBytes(32);
    book.addCustomerKey('SSE-C key', key);
    book.addCustomerKey('wrong SSE-C key', wrongKey);
    const small = await put(bucket, { contents: 'sealed', serverSideEncryption: { mode: 'SSE-C', customerKey: key } });
    const large = await put(bucket, { contents: bytes(4500), serverSideEncryption: { mode: 'SSE-C', customerKey: key.toString('base64') } }, true);
    for (const [what, file] of [
      ['small', small],
      ['large', large],
    ] as const) {
      expect((await failure(`SSE-C ${what}, no key`, file.downloadToBuffer())).status).toBe(400);
      expect((await failure(`SSE-C ${what}, wrong key`, file.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: wrongKey } }))).status).toBe(403);
      expect(
        (await failure(`SSE-C ${what}, wrong key (base64)`, file.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: wrongKey.toString('base64') } }))).status,
      ).toBe(403);
      expect(
        (await failure(`SSE-C ${what} by name, wrong key`, bucket.downloadFileByName(file.fileName, { serverSideEncryption: { mode: 'SSE-C', customerKey: wrongKey } }))).status,
      ).toBe(403);
      expect(
        (
          await failure(
            `SSE-C ${what} parallel, wrong key`,
            file.downloadToBuffer({ concurrency: 2, partSize: 100, serverSideEncryption: { mode: 'SSE-C', customerKey: wrongKey } }),
          )
        ).status,
      ).toBe(403);
      await failure(`SSE-C ${what} copy, wrong source key`, file.copy({ fileName: name('c'), sourceEncryption: { mode: 'SSE-C', customerKey: wrongKey } }));
      await failure(
        `SSE-C ${what} large copy, wrong source key`,
        file.copy({ fileName: name('c'), sourceEncryption: { mode: 'SSE-C', customerKey: wrongKey }, largeFileThreshold: 1000, partSize: 1000 }),
      );
      await failure(`SSE-C ${what} copy, no source key`, file.copy({ fileName: name('c'), serverSideEncryption: { mode: 'SSE-C', customerKey: key } }));
    }
    // Successful SSE-C traffic: events rendered too.
    const events = await all(large.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: key } }));
    const copyEvents = await all(
      large.copy({
        fileName: name('c'),
        sourceEncryption: { mode: 'SSE-C', customerKey: key },
        serverSideEncryption: { mode: 'SSE-C', customerKey: wrongKey },
        largeFileThreshold: 1000,
        partSize: 1000,
      }),
    );
    const uploadEvents = await all(bucket.uploadLargeFile({ fileName: name('u'), contents: bytes(2500), serverSideEncryption: { mode: 'SSE-C', customerKey: key } }));
    expectNoLeaks([...events, ...copyEvents, ...uploadEvents].map((e, i): [string, string] => [`SSE-C event ${i} (${e.type})`, util.inspect(e, { depth: Infinity })]));
  });

  it('403 from deleting or shortening protected files', async () => {
    const held = await put(lockBucket, { contents: 'held', legalHold: 'on' });
    expect((await failure('delete under legal hold', held.delete())).status).toBe(403);
    const gov = await put(lockBucket, { contents: 'gov', fileRetention: { mode: 'governance', retainUntilTimestamp: Date.now() + 86_400_000 } });
    expect((await failure('delete under governance', gov.delete())).status).toBe(403);
    expect((await failure('shorten governance', gov.updateRetention({ mode: 'governance', retainUntilTimestamp: Date.now() + 3_600_000 }))).status).toBe(403);
    const comp = await put(lockBucket, { contents: 'comp', fileRetention: { mode: 'compliance', retainUntilTimestamp: Date.now() + 86_400_000 } });
    expect((await failure('delete under compliance, bypass', comp.delete({ bypassGovernance: true }))).status).toBe(403);
    expect((await failure('deleteAllVersions under compliance', lockBucket.deleteAllVersions(comp.fileName, { bypassGovernance: true }))).status).toBe(403);
    expectNoLeaks();
  });

  it("upload token reuse (auth_token_limit): the server's message names the token, the client's error does not", async () => {
    let pinned: { uploadUrl: string; authorizationToken: string } | undefined;
    const hooks: TransportHooks = {
      // Every later b2_get_upload_url answers with the first URL and token: the retry reuses it.
      event: (req, e) => {
        if (req.operation !== 'b2_get_upload_url' || e.type !== 'response') return e;
        const body = e.body as { uploadUrl: string; authorizationToken: string };
        pinned ??= { uploadUrl: body.uploadUrl, authorizationToken: body.authorizationToken };
        return { ...e, body: { ...body, ...pinned } };
      },
    };
    const c = await authorized(makeClient(emu.keyId, emu.applicationKey, { hooks, maxAttempts: 2 }));
    const view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
    await put(view, { contents: 'first' }); // the URL goes back to the pool, idle
    expect(pinned).toBeDefined();

    // Hold the token busy: an upload to the same URL whose body waits half-way.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const hold = new AxiosTransport().request({
      method: 'POST',
      url: pinned!.uploadUrl,
      operation: 'b2_upload_file',
      headers: { Authorization: pinned!.authorizationToken, 'X-Bz-File-Name': 'hold.txt', 'Content-Type': 'text/plain', 'X-Bz-Content-Sha1': 'do_not_verify' },
      body: {
        length: 10,
        async *open() {
          yield new Uint8Array(5);
          await gate;
          yield new Uint8Array(5);
        },
      },
    });
    const held = lastValueFrom(hold).catch((err: unknown) => err);
    await delay(100);

    const err = await failure('auth_token_limit', view.uploadFile({ fileName: name('busy'), contents: 'second' }));
    release();
    await held;
    expect([err.status, err.code]).toEqual([400, 'auth_token_limit']);
    expect(err.needsNewUploadUrl).toBeTrue();
    // The emulator's message says "more than one upload using auth token <token>": redacted.
    expect(err.message).toContain('[redacted]');
    expect(book.foundIn(err.message)).toEqual([]);
    expect(logEntries.some((e) => e.code === 'auth_token_limit')).toBeTrue();
    expectNoLeaks();
  });

  it('network errors (reset request / response) on authorize, calls, uploads and downloads', async () => {
    const c = makeClient(emu.keyId, emu.applicationKey, { maxAttempts: 2 });
    emu.faults.add({ call: 'b2_authorize_account', fault: { kind: 'resetRequest', afterBytes: 0 }, times: 2 });
    expect((await failure('authorize, connection reset', c.authorize())).code).toBe('network_error');
    await authorized(c);
    const view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'resetRequest', afterBytes: 100 }, times: 2 });
    expect((await failure('upload, connection reset', view.uploadFile({ fileName: name('n'), contents: bytes(1500) }))).code).toBe('network_error');
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'resetRequest', afterBytes: 10 }, times: Infinity });
    await failure('large upload, connection reset', view.uploadLargeFile({ fileName: name('n'), contents: bytes(2500) }));
    emu.faults.clear();
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'resetResponse', afterBytes: 0 }, times: 2 });
    await failure('listing, response cut', view.listFiles({ prefix: 'x/' }));
    const file = await put(view, { contents: bytes(1500) });
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'resetResponse', afterBytes: 100 }, times: Infinity });
    await failure('download, response cut', file.downloadToBuffer());
    emu.faults.add({ call: 'b2_list_buckets', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: Infinity });
    expect((await failure('503 after retries', c.buckets.all())).status).toBe(503);
    expect(logEntries.some((e) => e.code === 'network_error')).toBeTrue();
    expectNoLeaks();
  });

  it('aborted requests (unsubscribe mid-upload, mid-download, mid-large-upload) are logged without secrets', async () => {
    const c = await authorized(makeClient(emu.keyId, emu.applicationKey));
    const view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
    const file = await put(view, { contents: bytes(1500) });
    const before = logEntries.filter((e) => e.code === 'aborted').length;
    const subs: Subscription[] = [];
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'delay', ms: 2000 }, times: 1 });
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'delay', ms: 2000 }, times: 1 });
    emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 2000 }, times: Infinity });
    const events: unknown[] = [];
    subs.push(view.uploadFile({ fileName: name('a'), contents: bytes(1000) }).subscribe({ next: (e) => events.push(e), error: (e) => captureError('aborted upload', e) }));
    subs.push(file.download().subscribe({ next: (e) => events.push({ ...e, body: undefined }), error: (e) => captureError('aborted download', e) }));
    subs.push(
      view
        .uploadLargeFile({ fileName: name('a'), contents: bytes(2500), keepOnFailure: false })
        .subscribe({ next: (e) => events.push(e), error: (e) => captureError('aborted large upload', e) }),
    );
    await delay(300);
    for (const s of subs) s.unsubscribe();
    await delay(300);
    expect(logEntries.filter((e) => e.code === 'aborted').length - before).toBeGreaterThanOrEqual(3);
    expectNoLeaks(events.map((e, i): [string, string] => [`aborted-run event ${i}`, util.inspect(e, { depth: Infinity })]));
  });

  it('invalid_argument errors (constructor, names, SSE-C keys of the wrong size, options)', async () => {
    const shortKey = randomBytes(31);
    const longKey = randomBytes(40);
    book.addCustomerKey('SSE-C key of the wrong size', shortKey);
    book.addCustomerKey('SSE-C key of the wrong size', longKey);
    const sync = (where: string, f: () => unknown) => {
      try {
        f();
        fail(`${where}: expected a throw`);
      } catch (err) {
        captureError(where, err);
      }
    };
    sync('constructor, bad realm', () => new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: `ftp://${emu.applicationKey}@x` }));
    sync('constructor, no key', () => new B2({ applicationKeyId: emu.keyId, applicationKey: '', realm: emu.url }));
    sync('constructor, no key id', () => new B2({ applicationKeyId: '', applicationKey: emu.applicationKey, realm: emu.url }));
    for (const [what, customerKey] of [
      ['31 raw bytes', shortKey],
      ['40 raw bytes', longKey],
      ['base64 of 31 bytes', shortKey.toString('base64')],
      ['base64 of 40 bytes', longKey.toString('base64')],
    ] as const) {
      const e = await failure(`upload, SSE-C ${what}`, bucket.uploadFile({ fileName: name('k'), contents: 'x', serverSideEncryption: { mode: 'SSE-C', customerKey } }));
      expect(e.field).toBe('serverSideEncryption.customerKey');
      await failure(`large upload, SSE-C ${what}`, bucket.uploadLargeFile({ fileName: name('k'), contents: bytes(2500), serverSideEncryption: { mode: 'SSE-C', customerKey } }));
      const f = await put(bucket, { contents: 'x' });
      await failure(`download, SSE-C ${what}`, f.downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey } }));
      await failure(`copy source, SSE-C ${what}`, f.copy({ fileName: name('k'), sourceEncryption: { mode: 'SSE-C', customerKey } }));
      await failure(`copy destination, SSE-C ${what}`, f.copy({ fileName: name('k'), serverSideEncryption: { mode: 'SSE-C', customerKey } }));
    }
    await failure('bad bucket name', master.buckets.create('no'));
    await failure('bad file name', bucket.uploadFile({ fileName: '', contents: 'x' }));
    await failure('bad key name', master.keys.create({ keyName: 'bad name', capabilities: ['listFiles'] }));
    await failure('bad download authorization duration', bucket.getDownloadAuthorization('x/', 0));
    await failure(
      'stream with a bad length',
      bucket.uploadFile({
        fileName: name('s'),
        contents: (async function* () {
          yield new Uint8Array(1);
        })(),
        contentLength: -1,
      }),
    );
    expect(errorsSeen.filter((e) => (e.err as B2Error).code === 'invalid_argument').length).toBeGreaterThan(10);
    expectNoLeaks();
  });

  it('checksum failures (download SHA-1 mismatch, upload SHA-1 rejected)', async () => {
    const corrupt: TransportHooks = {
      event: (req, e) =>
        (req.operation === 'b2_download_file_by_id' || req.operation === 'b2_download_file_by_name') && (e.type === 'response' || e.type === 'responseHeader')
          ? { ...e, headers: { ...e.headers, 'x-bz-content-sha1': '0000000000000000000000000000000000000000' } }
          : e,
      request: (req) =>
        req.operation === 'b2_upload_file' && /^[0-9a-f]{40}$/.test(req.headers?.['X-Bz-Content-Sha1'] ?? '')
          ? { ...req, headers: { ...req.headers, 'X-Bz-Content-Sha1': '1111111111111111111111111111111111111111' } }
          : req,
    };
    const c = await authorized(makeClient(emu.keyId, emu.applicationKey, { hooks: corrupt, maxAttempts: 2 }));
    const view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
    const up = await failure('upload with a wrong SHA-1', view.uploadFile({ fileName: name('sum'), contents: 'checksum me' }));
    expect(up.status).toBe(400);
    const file = await put(bucket, { contents: 'checksum me' });
    const viewed = await firstValueFrom(view.getFile({ id: file.fileId }));
    const down = await failure('download SHA-1 mismatch', viewed.downloadToBuffer());
    expect(down.code).toBe('checksum_mismatch');
    await failure('download to file, SHA-1 mismatch', viewed.downloadToFile(join(tmpdir(), `rxb2-sec-${randomBytes(4).toString('hex')}`)));
    expectNoLeaks();
  });

  it('stream errors (upload source throws, unreadable file, download sink fails)', async () => {
    const boom = async function* () {
      yield new Uint8Array(100);
      throw new Error('source stream broke');
    };
    await failure('stream source throws (small)', bucket.uploadFile({ fileName: name('s'), contents: boom(), contentLength: 500 }));
    await failure('stream source throws (large)', bucket.uploadLargeFile({ fileName: name('s'), contents: boom(), contentLength: 2500 }));
    await failure('stream of unknown length throws', bucket.uploadFile({ fileName: name('s'), contents: boom() }));
    await failure('file that is not there', bucket.uploadFile({ fileName: name('s'), contents: { path: join(tmpdir(), 'rxb2-no-such-file', 'x.bin') } }));
    const file = await put(bucket, { contents: 'to disk' });
    await failure('download into a missing directory', file.downloadToFile(join(tmpdir(), 'rxb2-no-such-dir', randomBytes(4).toString('hex'), 'x.bin')));
    expectNoLeaks();
  });

  it('download-authorization tokens: refused uses do not echo them', async () => {
    const f = await put(bucket, { fileName: 'shared/a.txt', contents: 'shared' });
    await put(bucket, { fileName: 'private/b.txt', contents: 'private' });
    const grant = await firstValueFrom(bucket.getDownloadAuthorization('shared/', 60));
    book.add('download authorization token', grant.authorizationToken);
    const url = await firstValueFrom(bucket.getDownloadUrl('shared/a.txt', { validDurationInSeconds: 60 }));
    book.add('download authorization token (URL)', decodeURIComponent(new URL(url).searchParams.get('Authorization') ?? ''));
    const ok = await lastValueFrom(bucket.downloadFileByName('shared/a.txt', { authorizationToken: grant.authorizationToken }).pipe(intoBuffer(), toResponseBody()));
    expect(Buffer.from(ok.data).toString()).toBe('shared');
    const outside = await failure('download token outside its prefix', bucket.downloadFileByName('private/b.txt', { authorizationToken: grant.authorizationToken }));
    expect([outside.status, outside.code]).toEqual([401, 'unauthorized']);
    await failure('download token by id', f.downloadToBuffer({ authorizationToken: grant.authorizationToken }));
    await failure('garbage download token', bucket.downloadFileByName('shared/a.txt', { authorizationToken: `4_dl_${randomBytes(24).toString('base64url')}` }));
    const shortLived = await firstValueFrom(bucket.getDownloadAuthorization('shared/', 1));
    book.add('download authorization token', shortLived.authorizationToken);
    emu.advanceClock(2000);
    await failure('expired download token', bucket.downloadFileByName('shared/a.txt', { authorizationToken: shortLived.authorizationToken }));
    expectNoLeaks();
  });

  describe('B2, Bucket and B2File objects', () => {
    let c: B2;
    let view: Bucket;
    let files: B2File[];
    const key = randomBytes(32);

    beforeAll(async () => {
      book.addCustomerKey('SSE-C key', key);
      c = await authorized(makeClient(emu.keyId, emu.applicationKey));
      view = await firstValueFrom(c.buckets.get({ bucketId: bucket.bucketId }));
      // Leave tokens everywhere the client keeps them: session, upload-URL pool (files and parts).
      files = [
        await put(view, { contents: 'plain' }),
        await put(view, { contents: 'sealed', serverSideEncryption: { mode: 'SSE-C', customerKey: key } }),
        await put(view, { contents: bytes(2500), serverSideEncryption: { mode: 'SSE-C', customerKey: key } }, true),
      ];
      files.push(...(await all(view.listFiles({ prefix: 'f/' }))).slice(0, 3));
      await lastValueFrom(files[1].downloadToBuffer({ serverSideEncryption: { mode: 'SSE-C', customerKey: key } }));
    });

    it('util.inspect (default options, as console.log prints them) shows no secret', () => {
      const texts: [string, string][] = [
        ['util.inspect(b2)', util.inspect(c)],
        ['util.inspect(master)', util.inspect(master)],
        ['util.inspect(bucket)', util.inspect(view)],
        ...files.map((f, i): [string, string] => [`util.inspect(file ${i})`, util.inspect(f)]),
        ['String(b2)', String(c)],
        ['String(bucket)', String(view)],
        ['String(file)', String(files[0])],
      ];
      expectNoLeaks(texts);
    });

    it('JSON.stringify of Bucket and B2File shows no secret (they serialize as their wire JSON)', () => {
      expect(JSON.parse(JSON.stringify(view)).bucketId).toBe(view.bucketId);
      expectNoLeaks([['JSON.stringify(bucket)', JSON.stringify(view)], ...files.map((f, i): [string, string] => [`JSON.stringify(file ${i})`, JSON.stringify(f)])]);
    });

    it('JSON.stringify(b2) shows no secret', () => {
      // Regression guard: B2, Bucket and B2File once held the client context in ordinary
      // properties, and JSON.stringify(b2) walked ctx → session → cached.token.
      let text: string;
      try {
        text = JSON.stringify(c) ?? '';
      } catch (err) {
        text = String((err as Error).message);
      }
      expectNoLeaks([
        ['JSON.stringify(b2)', text],
        ['JSON.stringify(master)', JSON.stringify(master) ?? ''],
      ]);
    });

    it('util.inspect at any depth (console.dir(x, { depth: null }), loggers) shows no secret', async () => {
      // Regression guard: deep renderings once reached B2Session.cached (account token) and
      // UploadUrlPool.idle (upload and part tokens) through the objects' context.
      const events = await all(view.uploadLargeFile({ fileName: name('ev'), contents: bytes(2500), serverSideEncryption: { mode: 'SSE-C', customerKey: key } }));
      const texts: [string, string][] = [
        ['util.inspect(b2, depth ∞)', util.inspect(c, { depth: Infinity, showHidden: true })],
        ['util.inspect(master, depth ∞)', util.inspect(master, { depth: Infinity, showHidden: true })],
        ['util.inspect(bucket, depth ∞)', util.inspect(view, { depth: Infinity, showHidden: true })],
        ...files.map((f, i): [string, string] => [`util.inspect(file ${i}, depth ∞)`, util.inspect(f, { depth: Infinity, showHidden: true })]),
        ...events.map((e, i): [string, string] => [`util.inspect(upload event ${i} ${e.type}, depth ∞)`, util.inspect(e, { depth: Infinity, showHidden: true })]),
      ];
      expectNoLeaks(texts);
    });
  });
});
