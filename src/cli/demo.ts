/**
 * `npm start`: rxb2 doing its job end to end. With credentials in the environment
 * (B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY, and B2_REALM for a server other than Backblaze's,
 * such as an emulator's: the variables `rxb2 emulator` prints) it talks to that server; without
 * them it starts the embedded emulator. Creates a bucket, uploads a multi-part file with a live
 * progress bar, lists, downloads and verifies the SHA-1, prints a summary, cleans up, and exits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, mergeMap, tap, toArray } from 'rxjs';
import { B2, PRODUCTION_REALM, toResponseBody, type B2UploadEvent } from '../index';
import { startEmulator, type RunningEmulator } from '../emulator';

const FILE_SIZE = 64 * 1024 * 1024;
/** 8 parts of 8 MiB, 4 at a time (B2's smallest part is 5 MB). */
const PART_SIZE = 8 * 1024 * 1024;

function bar(label: string, loaded: number, total: number, started: number): void {
  const width = 30;
  const done = Math.round((loaded / total) * width);
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? loaded / seconds / 1e6 : 0;
  const line = `${label} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${((100 * loaded) / total).toFixed(0).padStart(3)}%  ${rate.toFixed(1)} MB/s`;
  process.stdout.write(process.stdout.isTTY ? `\r${line}` : loaded === total ? `${line}\n` : '');
  if (process.stdout.isTTY && loaded === total) process.stdout.write('\n');
}

async function main(): Promise<void> {
  let emulator: RunningEmulator | undefined;
  let b2: B2;
  if (process.env.B2_APPLICATION_KEY_ID && process.env.B2_APPLICATION_KEY) {
    // The client reads the same three variables itself.
    const realm = process.env.B2_REALM && process.env.B2_REALM !== 'production' ? process.env.B2_REALM : `Backblaze B2 (${PRODUCTION_REALM})`;
    console.log(`Using ${realm} with the key ${process.env.B2_APPLICATION_KEY_ID} (B2_REALM, B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY).`);
    b2 = new B2();
  } else {
    emulator = await startEmulator({ port: 0 });
    console.log(`No B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY set: using the embedded emulator at ${emulator.url}`);
    b2 = new B2({ applicationKeyId: emulator.keyId, applicationKey: emulator.applicationKey, realm: emulator.url });
  }
  const workDir = await mkdtemp(join(tmpdir(), 'rxb2-demo-'));
  const started = Date.now();
  try {
    const source = join(workDir, 'demo.bin');
    const content = randomBytes(FILE_SIZE);
    const sha1 = createHash('sha1').update(content).digest('hex');
    await writeFile(source, content);

    const bucketName = `rxb2-demo-${randomBytes(4).toString('hex')}`;
    const bucket = await lastValueFrom(b2.buckets.create(bucketName, { type: 'allPrivate' }));
    console.log(`Created bucket ${bucket.bucketName} (${bucket.bucketId})`);

    const uploadStart = Date.now();
    let parts = 0;
    const uploaded = await lastValueFrom(
      bucket
        .uploadLargeFile({
          contents: { path: source },
          fileName: 'demo/random.bin',
          fileInfo: { purpose: 'rxb2 demo', large_file_sha1: sha1 },
          partSize: PART_SIZE,
          concurrency: 4,
        })
        .pipe(
          tap((e: B2UploadEvent) => {
            if (e.type === 'uploadProgress') bar('upload  ', e.loaded, e.total ?? FILE_SIZE, uploadStart);
            if (e.type === 'partUploaded') parts++;
          }),
          toResponseBody(),
        ),
    );
    const uploadSeconds = (Date.now() - uploadStart) / 1000;

    const small = await lastValueFrom(bucket.uploadFile({ contents: 'hello from rxb2\n', fileName: 'demo/hello.txt' }).pipe(toResponseBody()));
    const listed = await lastValueFrom(bucket.listFiles({ prefix: 'demo/' }).pipe(toArray()));
    console.log('Listed:');
    for (const f of listed) console.log(`  ${f.fileName.padEnd(20)} ${String(f.contentLength).padStart(10)} bytes  ${f.contentType}`);

    const downloadStart = Date.now();
    const target = join(workDir, 'downloaded.bin');
    const downloaded = await lastValueFrom(
      uploaded.downloadToFile(target).pipe(
        tap((e) => {
          if (e.type === 'downloadProgress') bar('download', e.loaded, e.total ?? FILE_SIZE, downloadStart);
        }),
        toResponseBody(),
      ),
    );
    const downloadSeconds = (Date.now() - downloadStart) / 1000;
    if (downloaded.verifiedSha1 !== sha1) throw new Error(`SHA-1 mismatch: ${downloaded.verifiedSha1} != ${sha1}`);

    // Clean up: every version of every name, then the bucket.
    await lastValueFrom(
      bucket.listFileVersions().pipe(
        mergeMap((f) => f.delete(), 4),
        toArray(),
      ),
    );
    await lastValueFrom(bucket.delete());

    console.log('\nSummary');
    console.log(`  uploaded   ${FILE_SIZE / 1e6} MB in ${parts} parts in ${uploadSeconds.toFixed(2)} s (${(FILE_SIZE / 1e6 / uploadSeconds).toFixed(0)} MB/s)`);
    console.log(`  downloaded ${downloaded.bytes / 1e6} MB in ${downloadSeconds.toFixed(2)} s, SHA-1 verified: ${downloaded.verifiedSha1 === sha1 ? 'yes' : 'NO'}`);
    console.log(`  also uploaded ${small.fileName}; listed ${listed.length} files; bucket deleted`);
    console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await emulator?.close();
  }
}

main().catch((err: Error) => {
  console.error(`demo failed: ${String(err)}`);
  process.exit(1);
});
