import * as b2 from '../helpers/b2-http';

// https://www.backblaze.com/apidocs/b2-copy-file
describe('emu-http b2_copy_file', () => {
  const fx = b2.useEmulator({ bucket: true });
  let other: any;
  let src: any;
  const DATA = Buffer.from('0123456789abcdefghij');

  beforeAll(async () => {
    other = await b2.createBucket(fx.auth);
    src = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'src/original.txt', DATA, {
      contentType: 'text/plain',
      info: { src_last_modified_millis: '1600000000000', color: 'blue' },
    });
  });

  function copy(body: Record<string, unknown>): Promise<b2.RawResponse> {
    return b2.call(fx.auth, 'b2_copy_file', { sourceFileId: src.fileId, ...body });
  }

  it('COPY (default) keeps contentType and fileInfo; response action is "copy", later listed as "upload"', async () => {
    const before = Date.now();
    const c = b2.expectOk(await copy({ fileName: 'dst/copy-default.txt' }));
    expect(c).toEqual(
      jasmine.objectContaining({
        action: 'copy',
        fileName: 'dst/copy-default.txt',
        bucketId: fx.bucket.bucketId,
        contentLength: DATA.length,
        contentSha1: b2.sha1hex(DATA),
        contentType: 'text/plain',
        fileInfo: { src_last_modified_millis: '1600000000000', color: 'blue' },
      }),
    );
    expect(c.fileId).not.toBe(src.fileId);
    expect(c.uploadTimestamp).toBeGreaterThanOrEqual(before - 5000);
    const gi = b2.expectOk(await b2.call(fx.auth, 'b2_get_file_info', { fileId: c.fileId }));
    expect(gi.action).toBe('upload');
    const lf = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_names', { bucketId: fx.bucket.bucketId, prefix: 'dst/copy-default' }));
    expect(lf.files[0].action).toBe('upload');
    const d = await b2.downloadById(fx.auth, c.fileId);
    expect(d.body.equals(DATA)).toBeTrue();
  });

  it('explicit COPY with contentType → 400; with fileInfo → 400', async () => {
    b2.expectError(await copy({ fileName: 'dst/bad1', metadataDirective: 'COPY', contentType: 'text/html' }), 400, 'bad_request');
    b2.expectError(await copy({ fileName: 'dst/bad2', metadataDirective: 'COPY', fileInfo: { a: 'b' } }), 400, 'bad_request');
  });

  it('COPY with contentType: null is fine (null = absent)', async () => {
    b2.expectOk(await copy({ fileName: 'dst/null-ct', metadataDirective: 'COPY', contentType: null, fileInfo: null }));
  });

  it('REPLACE sets the new contentType and fileInfo', async () => {
    const c = b2.expectOk(await copy({ fileName: 'dst/replaced', metadataDirective: 'REPLACE', contentType: 'application/x-new', fileInfo: { fresh: 'yes' } }));
    expect(c.contentType).toBe('application/x-new');
    expect(c.fileInfo).toEqual({ fresh: 'yes' });
    const d = await b2.downloadById(fx.auth, c.fileId);
    expect(d.headers['content-type']).toBe('application/x-new');
    expect(d.headers['x-bz-info-fresh']).toBe('yes');
    expect(d.headers['x-bz-info-color']).toBeUndefined();
  });

  it('REPLACE with more than 10 fileInfo entries → 400', async () => {
    const eleven: Record<string, string> = {};
    for (let i = 0; i < 11; i++) eleven[`k${i}`] = 'v';
    b2.expectError(await copy({ fileName: 'dst/eleven', metadataDirective: 'REPLACE', contentType: 'text/plain', fileInfo: eleven }), 400, 'bad_request');
  });

  it('REPLACE without contentType → 400 bad_request', async () => {
    b2.expectError(await copy({ fileName: 'dst/replace-no-ct', metadataDirective: 'REPLACE', fileInfo: {} }), 400, 'bad_request');
  });

  it('unknown metadataDirective → 400', async () => {
    b2.expectError(await copy({ fileName: 'dst/move', metadataDirective: 'MOVE' }), 400, 'bad_request');
  });

  it('range copies an inclusive byte range', async () => {
    const c = b2.expectOk(await copy({ fileName: 'dst/range', range: 'bytes=2-5' }));
    const slice = DATA.subarray(2, 6);
    expect(c.contentLength).toBe(4);
    expect(c.contentSha1).toBe(b2.sha1hex(slice));
    const d = await b2.downloadById(fx.auth, c.fileId);
    expect(d.body.equals(slice)).toBeTrue();
  });

  it('destinationBucketId copies into another bucket of the account', async () => {
    const c = b2.expectOk(await copy({ fileName: 'into-other.txt', destinationBucketId: other.bucketId }));
    expect(c.bucketId).toBe(other.bucketId);
    const d = await b2.downloadByName(fx.auth, other.bucketName, 'into-other.txt');
    expect(d.status).toBe(200);
    expect(d.body.equals(DATA)).toBeTrue();
  });

  it('copies a hidden file by id; the copy is visible', async () => {
    const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'src/hidden.txt', 'hidden content');
    b2.expectOk(await b2.call(fx.auth, 'b2_hide_file', { bucketId: fx.bucket.bucketId, fileName: 'src/hidden.txt' }));
    const c = b2.expectOk(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: f.fileId, fileName: 'dst/from-hidden.txt' }));
    const d = await b2.downloadById(fx.auth, c.fileId);
    expect(d.text).toBe('hidden content');
  });

  it('illegal destination name → 400 bad_request', async () => {
    b2.expectError(await copy({ fileName: 'dst/\u0001ctl' }), 400, 'bad_request');
    b2.expectError(await copy({ fileName: '' }), 400, 'bad_request');
  });

  it('missing sourceFileId or fileName → 400 bad_request', async () => {
    b2.expectError(await b2.call(fx.auth, 'b2_copy_file', { fileName: 'dst/x' }), 400, 'bad_request');
    b2.expectError(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: src.fileId }), 400, 'bad_request');
  });

  it('unknown source → error (400 bad_request / 404 not_found)', async () => {
    const f = await b2.uploadOk(fx.auth, fx.bucket.bucketId, 'src/gone.txt', 'gone');
    b2.expectOk(await b2.call(fx.auth, 'b2_delete_file_version', { fileName: 'src/gone.txt', fileId: f.fileId }));
    b2.expectError(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: f.fileId, fileName: 'dst/gone' }), [400, 404], ['bad_request', 'not_found', 'file_not_present']);
    b2.expectError(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: 'bad-id', fileName: 'dst/bad' }), [400, 404], ['bad_request', 'not_found', 'file_not_present']);
  });

  it('a finished large file can be copied (contents concatenated)', async () => {
    const p1 = Buffer.alloc(1000, 1);
    const p2 = Buffer.alloc(10, 2);
    const { fileId, sha1s } = await b2.startLargeWithParts(fx.auth, fx.bucket.bucketId, 'src/large.bin', [p1, p2]);
    b2.expectOk(await b2.call(fx.auth, 'b2_finish_large_file', { fileId, partSha1Array: sha1s }));
    const c = b2.expectOk(await b2.call(fx.auth, 'b2_copy_file', { sourceFileId: fileId, fileName: 'dst/large-copy.bin' }));
    expect(c.contentLength).toBe(1010);
    const d = await b2.downloadById(fx.auth, c.fileId);
    expect(d.body.equals(Buffer.concat([p1, p2]))).toBeTrue();
  });
});
