import { firstValueFrom } from 'rxjs';
import type { B2, Bucket } from '../../src';
import { bucketName, client, onlyOnEmulator, startClientEmulator, upload, type Emu } from './support';

describe('client download authorization', () => {
  onlyOnEmulator('fetches download URLs directly, outside the name mapping of the shared test bucket');
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  const shared = 'share/ünï cødé + 100% & more.txt';

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('dla')));
    await upload(bucket, shared, 'shared contents');
    await upload(bucket, 'share/other.txt', 'other contents');
    await upload(bucket, 'private/secret.txt', 'secret');
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
  });

  it('a URL without authorization is refused on a private bucket', async () => {
    const url = await firstValueFrom(bucket.getDownloadUrl(shared));
    expect(url).not.toContain('Authorization=');
    const res = await fetch(url);
    expect(res.status).toBe(401);
    await res.arrayBuffer();
  });

  it('getDownloadUrl(name, { validDurationInSeconds }) works with plain fetch on a private bucket', async () => {
    const url = await firstValueFrom(bucket.getDownloadUrl(shared, { validDurationInSeconds: 120 }));
    expect(url.startsWith(`${(await firstValueFrom(b2.authorize())).downloadUrl}/file/${bucket.bucketName}/`)).toBeTrue();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('shared contents');
    expect(decodeURIComponent(res.headers.get('x-bz-file-name')!.replace(/\+/g, ' '))).toBe(shared);
  });

  it('its authorization does not reach a name outside the one it was made for (401)', async () => {
    const url = new URL(await firstValueFrom(bucket.getDownloadUrl(shared, { validDurationInSeconds: 120 })));
    const token = url.searchParams.get('Authorization')!;
    expect(token).toBeTruthy();
    for (const name of ['private/secret.txt', 'share/other.txt']) {
      const outside = new URL(await firstValueFrom(bucket.getDownloadUrl(name)));
      outside.searchParams.set('Authorization', token);
      const res = await fetch(outside);
      expect(res.status).withContext(name).toBe(401);
      await res.arrayBuffer();
    }
  });

  it('getDownloadAuthorization(prefix) covers every name under the prefix, until it expires', async () => {
    const grant = await firstValueFrom(bucket.getDownloadAuthorization('share/', 60));
    expect(grant.bucketId).toBe(bucket.bucketId);
    expect(grant.fileNamePrefix).toBe('share/');
    for (const [name, body] of [
      [shared, 'shared contents'],
      ['share/other.txt', 'other contents'],
    ]) {
      const url = await firstValueFrom(bucket.getDownloadUrl(name));
      const res = await fetch(url, { headers: { Authorization: grant.authorizationToken } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
    }
    const secret = await fetch(await firstValueFrom(bucket.getDownloadUrl('private/secret.txt')), { headers: { Authorization: grant.authorizationToken } });
    expect(secret.status).toBe(401);
    await secret.arrayBuffer();

    emu.advanceClock(61_000);
    const expired = await fetch(await firstValueFrom(bucket.getDownloadUrl('share/other.txt')), { headers: { Authorization: grant.authorizationToken } });
    expect(expired.status).toBe(401);
    await expired.arrayBuffer();
  });

  it('rejects a bad duration before any request', async () => {
    const err = await firstValueFrom(bucket.getDownloadUrl(shared, { validDurationInSeconds: 0 })).catch((e) => e);
    expect([err.code, err.field]).toEqual(['invalid_argument', 'validDurationInSeconds']);
  });
});
