import * as b2 from '../helpers/b2-http';

const ORIGIN = 'https://www.example.com';

const RULES = [
  {
    corsRuleName: 'downloadFromExample',
    allowedOrigins: [ORIGIN],
    allowedOperations: ['b2_download_file_by_name', 'b2_download_file_by_id'],
    allowedHeaders: ['range', 'authorization'],
    exposeHeaders: ['x-bz-content-sha1'],
    maxAgeSeconds: 3600,
  },
  {
    corsRuleName: 'uploadFromAnywhere',
    allowedOrigins: ['*'],
    allowedOperations: ['b2_upload_file', 'b2_upload_part'],
    allowedHeaders: ['authorization', 'content-type', 'x-bz-file-name', 'x-bz-content-sha1', 'x-bz-part-number', 'x-bz-info-*'],
    maxAgeSeconds: 60,
  },
];

// https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules
describe('emu-http CORS', () => {
  const fx = b2.useEmulator({ bucket: { bucketType: 'allPublic', corsRules: RULES } });
  let noCors: any;
  let file: any;

  beforeAll(async () => {
    noCors = await b2.createBucket(fx.auth, { bucketType: 'allPublic' });
    file = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'c.txt', 'cors content');
    await b2.uploadOk(fx.auth, noCors.bucketId, 'c.txt', 'no cors');
  });

  function preflight(url: string, origin: string, method: string, reqHeaders?: string): Promise<b2.RawResponse> {
    const headers: b2.Headers = { Origin: origin, 'Access-Control-Request-Method': method };
    if (reqHeaders !== undefined) headers['Access-Control-Request-Headers'] = reqHeaders;
    return b2.request(url, { method: 'OPTIONS', headers });
  }

  it('create echoes the corsRules', () => {
    expect(fx.bucket.corsRules.length).toBe(2);
    expect(fx.bucket.corsRules[0]).toEqual(jasmine.objectContaining(RULES[0]));
    expect(fx.bucket.corsRules[1]).toEqual(jasmine.objectContaining(RULES[1]));
  });

  it('preflight for download by name from an allowed origin → 200 with the CORS headers', async () => {
    const r = await preflight(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), ORIGIN, 'GET', 'range');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(String(r.headers['access-control-allow-methods'])).toContain('GET');
    expect(String(r.headers['access-control-allow-headers']).toLowerCase()).toContain('range');
    expect(r.headers['access-control-max-age']).toBe('3600');
    expect(String(r.headers['vary'] ?? '')).toMatch(/origin/i);
  });

  it('preflight for download by id → 200', async () => {
    const r = await preflight(b2.byIdUrl(fx.auth, file.fileId), ORIGIN, 'GET', 'authorization');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('preflight from a non-matching origin → no CORS headers (403 assumed)', async () => {
    const r = await preflight(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), 'https://evil.example', 'GET');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.status).toBe(403);
  });

  it('preflight asking for a header the rule does not allow → no CORS headers', async () => {
    const r = await preflight(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), ORIGIN, 'GET', 'x-custom-thing');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.status).toBe(403);
  });

  it('preflight with a method no rule covers (DELETE) → no CORS headers', async () => {
    const r = await preflight(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), ORIGIN, 'DELETE');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('preflight on a bucket without rules → no CORS headers', async () => {
    const r = await preflight(b2.byNameUrl(fx.auth, noCors.bucketName, 'c.txt'), ORIGIN, 'GET');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.status).toBe(403);
  });

  it('preflight on an upload URL: * origin rule with wildcard header x-bz-info-*', async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    const r = await preflight(up.uploadUrl, 'https://any.where', 'POST', 'authorization, content-type, x-bz-file-name, x-bz-content-sha1, x-bz-info-author');
    expect(r.status).toBe(200);
    expect(['*', 'https://any.where']).toContain(String(r.headers['access-control-allow-origin']));
    expect(String(r.headers['access-control-allow-headers']).toLowerCase()).toContain('x-bz-info-author');
    expect(r.headers['access-control-max-age']).toBe('60');
  });

  it('preflight on a part URL', async () => {
    const s = await b2.startLarge(fx.auth, fx.bucket.bucketId, 'cors-large.bin');
    const pu = await b2.getPartUrl(fx.auth, s.fileId);
    const r = await preflight(pu.uploadUrl, 'https://any.where', 'POST', 'authorization, x-bz-part-number, x-bz-content-sha1');
    expect(r.status).toBe(200);
    expect(['*', 'https://any.where']).toContain(String(r.headers['access-control-allow-origin']));
  });

  it('actual download from an allowed origin gets Access-Control-Allow-Origin and Expose-Headers', async () => {
    const d = await b2.download(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), { headers: { Origin: ORIGIN } });
    expect(d.status).toBe(200);
    expect(d.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(String(d.headers['access-control-expose-headers']).toLowerCase()).toContain('x-bz-content-sha1');
    const byId = await b2.download(b2.byIdUrl(fx.auth, file.fileId), { headers: { Origin: ORIGIN } });
    expect(byId.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('actual download from another origin: still served, but without CORS headers', async () => {
    const d = await b2.download(b2.byNameUrl(fx.auth, fx.bucket.bucketName, 'c.txt'), { headers: { Origin: 'https://evil.example' } });
    expect(d.status).toBe(200);
    expect(d.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('actual upload with an Origin gets Access-Control-Allow-Origin', async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    const r = await b2.uploadFile(up, { name: 'from-browser.txt', data: 'x', headers: { Origin: 'https://any.where' } });
    expect(r.status).toBe(200);
    expect(['*', 'https://any.where']).toContain(String(r.headers['access-control-allow-origin']));
  });

  it('update_bucket replaces the rules', async () => {
    const b = await b2.createBucket(fx.auth, { bucketType: 'allPublic', corsRules: RULES });
    await b2.uploadOk(fx.auth, b.bucketId, 'x.txt', 'x');
    const u = b2.expectOk(await b2.call(fx.auth, 'b2_update_bucket', { accountId: fx.auth.accountId, bucketId: b.bucketId, corsRules: [] }));
    expect(u.corsRules).toEqual([]);
    const r = await preflight(b2.byNameUrl(fx.auth, b.bucketName, 'x.txt'), ORIGIN, 'GET');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  // https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules
  describe('origin patterns', () => {
    let wb: any;
    let wf: any;
    beforeAll(async () => {
      wb = await b2.createBucket(fx.auth, {
        bucketType: 'allPublic',
        corsRules: [
          { corsRuleName: 'wildcard-sub', allowedOrigins: ['https://*.example.com'], allowedOperations: ['b2_download_file_by_name'], maxAgeSeconds: 5 },
          { corsRuleName: 'any-https', allowedOrigins: ['https'], allowedOperations: ['b2_download_file_by_id'], maxAgeSeconds: 5 },
          { corsRuleName: 'star-headers', allowedOrigins: ['http://star.test'], allowedOperations: ['b2_download_file_by_name'], allowedHeaders: ['*'], maxAgeSeconds: 5 },
        ],
      });
      wf = await b2.uploadOk(fx.auth, wb.bucketId, 'w.txt', 'x');
    });

    it('https://*.example.com matches subdomains over https only', async () => {
      const url = b2.byNameUrl(fx.auth, wb.bucketName, 'w.txt');
      expect((await preflight(url, 'https://a.example.com', 'GET')).headers['access-control-allow-origin']).toBe('https://a.example.com');
      expect((await preflight(url, 'http://a.example.com', 'GET')).headers['access-control-allow-origin']).toBeUndefined();
    });

    it('"https" matches any HTTPS origin', async () => {
      const url = b2.byIdUrl(fx.auth, wf.fileId);
      expect((await preflight(url, 'https://whatever.org', 'GET')).status).toBe(200);
      expect((await preflight(url, 'http://whatever.org', 'GET')).headers['access-control-allow-origin']).toBeUndefined();
    });

    it('allowedHeaders ["*"] allows any requested header; HEAD counts as a download operation', async () => {
      const url = b2.byNameUrl(fx.auth, wb.bucketName, 'w.txt');
      expect((await preflight(url, 'http://star.test', 'GET', 'x-anything, range')).status).toBe(200);
      expect((await preflight(url, 'https://a.example.com', 'HEAD')).status).toBe(200);
    });
  });

  // https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules
  describe('rule validation → 400 bad_request', () => {
    const base = RULES[0];
    const bad: Array<[string, unknown]> = [
      ['maxAgeSeconds 86401', [{ ...base, maxAgeSeconds: 86401 }]],
      ['maxAgeSeconds -1', [{ ...base, maxAgeSeconds: -1 }]],
      ['empty allowedOrigins', [{ ...base, allowedOrigins: [] }]],
      ['empty allowedOperations', [{ ...base, allowedOperations: [] }]],
      ['unknown operation', [{ ...base, allowedOperations: ['b2_fly'] }]],
      ['name too short', [{ ...base, corsRuleName: 'abc' }]],
      ['duplicate rule names', [base, { ...RULES[1], corsRuleName: base.corsRuleName }]],
      ['missing corsRuleName', [{ allowedOrigins: ['*'], allowedOperations: ['b2_download_file_by_name'], maxAgeSeconds: 1 }]],
    ];
    for (const [why, rules] of bad) {
      it(why, async () => {
        b2.expectError(await b2.createBucketRaw(fx.auth, { bucketName: b2.uniqueBucketName('corsbad'), corsRules: rules }), 400, 'bad_request');
      });
    }

    it('a rule of 1000 bytes or more', async () => {
      const big = { ...base, allowedOrigins: Array.from({ length: 40 }, (_, i) => `https://host-number-${i}.example.com`) };
      b2.expectError(await b2.createBucketRaw(fx.auth, { bucketName: b2.uniqueBucketName('corsbig'), corsRules: [big] }), 400, 'bad_request');
    });

    it('more than 100 rules', async () => {
      const many = Array.from({ length: 101 }, (_, i) => ({ ...base, corsRuleName: `rule-number-${i}` }));
      b2.expectError(await b2.createBucketRaw(fx.auth, { bucketName: b2.uniqueBucketName('corsmany'), corsRules: many }), 400, 'bad_request');
    });
  });
});
