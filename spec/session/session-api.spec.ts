import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { authorizeAccount } from '../../src/api/account';
import type { B2Api } from '../../src/api/b2-api';
import { AxiosTransport } from '../../src/http/axios-transport';
import { B2Error } from '../../src/http/b2-error';
import type { B2Event, B2ResponseEvent } from '../../src/http/events';
import { createHash } from 'node:crypto';
import { platform } from '../../src/platform';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { B2Session } from '../../src/session/session';
import { sessionApi } from '../../src/session/session-api';

const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** The response events of a download, each body read to its end (a body left unread would hold its socket). */
async function downloaded(events$: Observable<B2Event<unknown, unknown>>): Promise<{ types: string[]; text: string; headers: Record<string, string> }> {
  const events = await lastValueFrom(events$.pipe(toArray()));
  const response = events.find((e): e is B2ResponseEvent<unknown> => e.type === 'response')!;
  const chunks: Uint8Array[] = [];
  for await (const chunk of platform.responseChunks(response.body)) chunks.push(chunk);
  return { types: events.map((e) => e.type).filter((t) => t !== 'responseHeader'), text: Buffer.concat(chunks).toString('utf8'), headers: response.headers };
}

describe('sessionApi (the raw-API seam over the session)', () => {
  let emu: RunningEmulator;
  let transport: AxiosTransport;
  let authorizations: number;
  let session: B2Session;
  let api: B2Api;
  let bucket: { bucketId: string; bucketName: string };
  let fileId: string;

  const injected503 = () => emu.faults.injected()['status:503'] ?? 0;
  const newSession = () => {
    authorizations = 0;
    session = new B2Session(
      transport,
      () => {
        authorizations++;
        return authorizeAccount(transport, emu.url, emu.keyId, emu.applicationKey);
      },
      { baseDelayMs: 1, maxDelayMs: 5 },
    );
    api = sessionApi(session);
  };

  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0 });
    transport = new AxiosTransport();
    newSession();
    bucket = await firstValueFrom(api.createBucket({ bucketName: 'seam-api-spec', bucketType: 'allPrivate' }));
    const target = await firstValueFrom(api.getUploadUrl({ bucketId: bucket.bucketId }));
    const bytes = new TextEncoder().encode('hello seam');
    const events = await lastValueFrom(
      api
        .uploadFile(
          target,
          { fileName: 'dir/hello.txt', contentType: 'text/plain', contentSha1: sha1(bytes) },
          {
            length: bytes.length,
            bytes,
            open: async function* () {
              yield bytes;
            },
          },
          1,
        )
        .pipe(toArray()),
    );
    fileId = (events.find((e) => e.type === 'response') as B2ResponseEvent<{ fileId: string }>).body.fileId;
  });
  beforeEach(() => newSession());
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  it('sends nothing before subscribe, and fills in the accountId of bucket and key calls from the authorization', async () => {
    const buckets$ = api.listBuckets({ bucketName: 'seam-api-spec' });
    const key$ = api.createKey({ keyName: 'seam-spec', capabilities: ['listFiles'], bucketId: bucket.bucketId });
    expect(authorizations).toBe(0);
    const { buckets } = await firstValueFrom(buckets$);
    expect(buckets.map((b) => b.bucketId)).toEqual([bucket.bucketId]);
    const key = await firstValueFrom(key$);
    expect(key.accountId).toBe(emu.accountId);
    expect(authorizations).toBe(1);
    await firstValueFrom(api.deleteKey({ applicationKeyId: key.applicationKeyId }));
  });

  it('retries a JSON call by B2 rules and re-authorizes once on an expired token', async () => {
    const before = injected503();
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const page = await firstValueFrom(api.listFileNames({ bucketId: bucket.bucketId }));
    expect(page.files.map((f) => f.fileName)).toEqual(['dir/hello.txt']);
    expect(injected503()).toBe(before + 1);
    emu.expireAllTokens();
    const info = await firstValueFrom(api.getFileInfo({ fileId }));
    expect(info.fileName).toBe('dir/hello.txt');
    expect(authorizations).toBe(2);
  });

  it('sends an upload body once: a failed attempt is not retried (its pipeline retries with a fresh URL)', async () => {
    const target = await firstValueFrom(api.getUploadUrl({ bucketId: bucket.bucketId }));
    const before = injected503();
    emu.faults.add({ call: 'b2_upload_file', fault: { kind: 'status', status: 503 }, times: 1 });
    const bytes = new TextEncoder().encode('once');
    const failure = await lastValueFrom(
      api
        .uploadFile(
          target,
          { fileName: 'once.txt', contentType: 'text/plain', contentSha1: sha1(bytes) },
          {
            length: bytes.length,
            bytes,
            open: async function* () {
              yield bytes;
            },
          },
          1,
        )
        .pipe(toArray()),
    ).catch((err: unknown) => err);
    expect(failure).toEqual(jasmine.any(B2Error));
    expect((failure as B2Error).status).toBe(503);
    expect(injected503()).toBe(before + 1);
    const names = await firstValueFrom(api.listFileNames({ bucketId: bucket.bucketId }));
    expect(names.files.map((f) => f.fileName)).toEqual(['dir/hello.txt']);
  });

  it('downloads by id with the account token: retried until its headers arrive (a sent per attempt), re-authorizing on an expired token', async () => {
    emu.faults.add({ call: 'b2_download_file_by_id', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const first = await downloaded(api.downloadFile({ by: { fileId }, headers: {} }));
    expect(first.types).toEqual(['sent', 'sent', 'response']);
    expect(first.text).toBe('hello seam');
    emu.expireAllTokens();
    const ranged = await downloaded(api.downloadFile({ by: { bucketName: bucket.bucketName, fileName: 'dir/hello.txt' }, headers: { Range: 'bytes=6-' } }));
    expect(ranged.text).toBe('seam');
    expect(ranged.headers['content-range']).toBe('bytes 6-9/10');
    expect(authorizations).toBe(2);
  });

  it('downloads with a given download-authorization token, never re-authorizing the account for it', async () => {
    const grant = await firstValueFrom(api.getDownloadAuthorization({ bucketId: bucket.bucketId, fileNamePrefix: 'dir/', validDurationInSeconds: 60 }));
    const by = { bucketName: bucket.bucketName, fileName: 'dir/hello.txt' };
    emu.faults.add({ call: 'b2_download_file_by_name', fault: { kind: 'status', status: 503, retryAfterSeconds: 0 }, times: 1 });
    const ok = await downloaded(api.downloadFile({ by, headers: {}, authorizationToken: grant.authorizationToken }));
    expect(ok.types).toEqual(['sent', 'sent', 'response']);
    expect(ok.text).toBe('hello seam');
    expect(authorizations).toBe(1);
    emu.advanceClock(61_000);
    const expired = await lastValueFrom(api.downloadFile({ by, headers: {}, authorizationToken: grant.authorizationToken })).catch((err: unknown) => err);
    expect(expired).toEqual(jasmine.any(B2Error));
    expect((expired as B2Error).status).toBe(401);
    // The account's authorization was kept: the grant's expiry is its owner's to renew.
    expect(authorizations).toBe(1);
  });
});
