import * as b2 from '../helpers/b2-http';

const CORE_CAPS = ['listKeys', 'writeKeys', 'deleteKeys', 'listBuckets', 'writeBuckets', 'deleteBuckets', 'listFiles', 'readFiles', 'shareFiles', 'writeFiles', 'deleteFiles'];

// https://www.backblaze.com/apidocs/b2-authorize-account
describe('emu-http authorize', () => {
  const fx = b2.useEmulator({ auth: false });

  it('exposes the master key: keyId === accountId', () => {
    expect(fx.emu.keyId).toBe(fx.emu.accountId);
    expect(fx.emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('v2 GET returns the flat shape with apiUrl/downloadUrl = the emulator base and configured part sizes', async () => {
    const res = await b2.authorizeRaw(fx.emu, { version: 2 });
    const j = b2.expectOk(res);
    expect(j.accountId).toBe(fx.emu.accountId);
    expect(typeof j.authorizationToken).toBe('string');
    expect(j.authorizationToken.length).toBeGreaterThan(0);
    expect(j.apiUrl).toBe(fx.emu.url);
    expect(j.downloadUrl).toBe(fx.emu.url);
    expect(j.absoluteMinimumPartSize).toBe(1000);
    expect(j.recommendedPartSize).toBe(2000);
    expect(j.minimumPartSize).toBeUndefined();
    expect(j.allowed).toEqual(jasmine.objectContaining({ bucketId: null, bucketName: null, namePrefix: null }));
    expect(j.allowed.capabilities).toEqual(jasmine.arrayContaining(CORE_CAPS));
    expect(j.apiInfo).toBeUndefined();
  });

  it('v2 POST with body {} is accepted as well (b2sdk style)', async () => {
    const res = await b2.authorizeRaw(fx.emu, { version: 2, method: 'POST' });
    const j = b2.expectOk(res);
    expect(j.accountId).toBe(fx.emu.accountId);
    expect(typeof j.authorizationToken).toBe('string');
  });

  it('v1 is flat and carries minimumPartSize = recommendedPartSize', async () => {
    const j = b2.expectOk(await b2.authorizeRaw(fx.emu, { version: 1 }));
    expect(j.apiUrl).toBe(fx.emu.url);
    expect(j.downloadUrl).toBe(fx.emu.url);
    expect(j.minimumPartSize).toBe(2000);
    expect(j.recommendedPartSize).toBe(2000);
    expect(j.absoluteMinimumPartSize).toBe(1000);
  });

  it('v3 groups everything under apiInfo.storageApi', async () => {
    const j = b2.expectOk(await b2.authorizeRaw(fx.emu, { version: 3 }));
    expect(j.accountId).toBe(fx.emu.accountId);
    expect(typeof j.authorizationToken).toBe('string');
    expect('applicationKeyExpirationTimestamp' in j)
      .withContext('v3 should emit applicationKeyExpirationTimestamp (https://www.backblaze.com/apidocs/b2-authorize-account)')
      .toBeTrue();
    expect(j.applicationKeyExpirationTimestamp).toBeNull();
    expect(j.apiUrl).toBeUndefined();
    const s = j.apiInfo.storageApi;
    expect(s).toEqual(
      jasmine.objectContaining({
        absoluteMinimumPartSize: 1000,
        recommendedPartSize: 2000,
        apiUrl: fx.emu.url,
        downloadUrl: fx.emu.url,
        bucketId: null,
        bucketName: null,
        namePrefix: null,
        infoType: 'storageApi',
      }),
    );
    expect(s.capabilities).toEqual(jasmine.arrayContaining(CORE_CAPS));
  });

  it('v4 storageApi drops bucketId/bucketName/infoType and adds allowed{buckets,capabilities,namePrefix}', async () => {
    const j = b2.expectOk(await b2.authorizeRaw(fx.emu, { version: 4 }));
    const s = j.apiInfo.storageApi;
    expect(s.apiUrl).toBe(fx.emu.url);
    expect(s.downloadUrl).toBe(fx.emu.url);
    expect(s.absoluteMinimumPartSize).toBe(1000);
    expect(s.recommendedPartSize).toBe(2000);
    expect('bucketId' in s).toBeFalse();
    expect('bucketName' in s).toBeFalse();
    expect('infoType' in s).toBeFalse();
    expect(s.allowed).toEqual(jasmine.objectContaining({ buckets: null, namePrefix: null }));
    expect(s.allowed.capabilities).toEqual(jasmine.arrayContaining(CORE_CAPS));
    // emulator should also emit the flat copies (https://www.backblaze.com/apidocs/b2-authorize-account)
    expect(s.capabilities).toEqual(jasmine.arrayContaining(CORE_CAPS));
    expect('namePrefix' in s).toBeTrue();
  });

  it('a token from any version works on every version path', async () => {
    const a1 = await b2.authorize(fx.emu, { version: 1 });
    const a4 = await b2.authorize(fx.emu, { version: 4 });
    for (const v of [1, 2, 3, 4]) {
      const r1 = await b2.call(a1, 'b2_list_buckets', { accountId: fx.emu.accountId }, { version: v });
      b2.expectOk(r1, `v1 token on v${v}`);
      const r4 = await b2.call(a4, 'b2_list_buckets', { accountId: fx.emu.accountId }, { version: v });
      b2.expectOk(r4, `v4 token on v${v}`);
    }
  });

  it('wrong secret → 401 unauthorized (b2sdk simulator; live: bad_auth_token)', async () => {
    const res = await b2.authorizeRaw(fx.emu, { key: fx.emu.applicationKey + 'x' });
    b2.expectError(res, 401, ['unauthorized', 'bad_auth_token']);
  });

  it('unknown key id → 401', async () => {
    const res = await b2.authorizeRaw(fx.emu, { keyId: '000000000000000000000000f', key: 'Knope' });
    b2.expectError(res, 401, ['unauthorized', 'bad_auth_token']);
  });

  it('missing Authorization header → 401 (or 400 bad_request)', async () => {
    const res = await b2.request(`${fx.emu.url}/b2api/v2/b2_authorize_account`);
    b2.expectError(res, [400, 401], ['bad_request', 'unauthorized', 'bad_auth_token', 'missing_auth_token']);
  });

  it('malformed Basic credentials → 400/401 error, never 200', async () => {
    const res = await b2.request(`${fx.emu.url}/b2api/v2/b2_authorize_account`, {
      headers: { Authorization: 'Basic ' + Buffer.from('no-colon-here').toString('base64') },
    });
    b2.expectError(res, [400, 401], ['bad_request', 'unauthorized', 'bad_auth_token']);
    const res2 = await b2.request(`${fx.emu.url}/b2api/v2/b2_authorize_account`, { headers: { Authorization: 'Bearer xyz' } });
    b2.expectError(res2, [400, 401], ['bad_request', 'unauthorized', 'bad_auth_token']);
  });

  it('each authorize returns a new usable token', async () => {
    const a = await b2.authorize(fx.emu);
    const b = await b2.authorize(fx.emu);
    expect(a.token).not.toBe(b.token);
    b2.expectOk(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }));
    b2.expectOk(await b2.call(b, 'b2_list_buckets', { accountId: fx.emu.accountId }));
  });

  it('unknown token → 401 bad_auth_token', async () => {
    const a = await b2.authorize(fx.emu);
    const res = await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }, { token: 'not-a-real-token' });
    b2.expectError(res, 401, 'bad_auth_token');
  });

  // https://www.backblaze.com/docs/cloud-storage-native-api-error-handling-and-status-codes
  it('missing Authorization on a JSON call → 401 missing_auth_token/bad_auth_token', async () => {
    const a = await b2.authorize(fx.emu);
    const res = await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }, { token: null });
    b2.expectError(res, 401, ['missing_auth_token', 'bad_auth_token']);
  });
});

// https://www.backblaze.com/apidocs/b2-authorize-account
describe('emu-http token expiry', () => {
  const fx = b2.useEmulator({ per: 'each', auth: false });

  it('account token expires after 24 h of emulator clock → 401 expired_auth_token; re-authorize works', async () => {
    const a = await b2.authorize(fx.emu);
    fx.emu.advanceClock(23 * 3600 * 1000);
    b2.expectOk(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }), 'still valid at 23 h');
    fx.emu.advanceClock(1 * 3600 * 1000 + 1000);
    b2.expectError(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }), 401, 'expired_auth_token');
    const fresh = await b2.authorize(fx.emu);
    b2.expectOk(await b2.call(fresh, 'b2_list_buckets', { accountId: fx.emu.accountId }));
  });

  it('expireAllTokens() → 401 expired_auth_token on JSON calls and on upload URLs', async () => {
    const a = await b2.authorize(fx.emu);
    const bucket = await b2.createBucket(a);
    const up = await b2.getUploadUrl(a, bucket.bucketId);
    fx.emu.expireAllTokens();
    b2.expectError(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }), 401, 'expired_auth_token');
    b2.expectError(await b2.uploadFile(up, { name: 'x', data: 'abc' }), 401, 'expired_auth_token');
    const fresh = await b2.authorize(fx.emu);
    b2.expectOk(await b2.call(fresh, 'b2_list_buckets', { accountId: fx.emu.accountId }));
  });

  it('tokenLifetimeSeconds option shortens account-token life', async () => {
    await fx.restart({ tokenLifetimeSeconds: 60 });
    const a = await b2.authorize(fx.emu);
    fx.emu.advanceClock(30_000);
    b2.expectOk(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }));
    fx.emu.advanceClock(31_000);
    b2.expectError(await b2.call(a, 'b2_list_buckets', { accountId: fx.emu.accountId }), 401, 'expired_auth_token');
  });
});
