#!/usr/bin/env node
/**
 * The example's server: the only place that holds the B2 key. It serves the built app (dist/browser)
 * and hands the page upload authorizations (an upload URL for a small file; start, part URLs,
 * finish and cancel for a large one), a listing, and short-lived download URLs for single files.
 *
 *   B2_APPLICATION_KEY_ID=… B2_APPLICATION_KEY=… B2_BUCKET=my-bucket node server.mjs
 *
 * (B2_REALM points it at another B2-compatible server; LARGE_FILE_THRESHOLD, in bytes, is where
 * the page switches to large files: default 100,000,000.)
 * Without B2 credentials it starts rxb2's emulator in-process and a bucket in it. PORT (default
 * 4200; 0 for any) and HOST (default 127.0.0.1) say where to listen. It prints one line,
 * `listening on <url>`, once ready, and stops on SIGTERM / SIGINT.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2 } from 'rxb2';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), 'dist', 'browser');
const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 4200);
/** Names the page may upload to: everything goes under this prefix. */
const PREFIX = 'uploads/';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.ico': 'image/x-icon', '.txt': 'text/plain' };

const server = http.createServer();
await new Promise((resolve) => server.listen(PORT, HOST, resolve));
const origin = `http://${HOST}:${server.address().port}`;

// ------------------------------------------------------------------ B2, or the emulator
let emulator;
let b2;
let bucketName = process.env.B2_BUCKET;
/** Files above this many bytes go up as large files (the page reads it from /api/config). */
let largeFileThreshold = 100_000_000;
if (process.env.B2_APPLICATION_KEY_ID && process.env.B2_APPLICATION_KEY) {
  if (!bucketName) throw new Error('set B2_BUCKET to the bucket to upload to');
  b2 = new B2({ realm: process.env.B2_REALM || undefined });
  if (process.env.LARGE_FILE_THRESHOLD) largeFileThreshold = Number(process.env.LARGE_FILE_THRESHOLD);
} else {
  const { startEmulator } = await import('rxb2/emulator');
  // Small parts, so a few hundred KB make a large file with several parts.
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, absoluteMinimumPartSize: 5_000, recommendedPartSize: 100_000 });
  b2 = new B2({ applicationKeyId: emulator.keyId, applicationKey: emulator.applicationKey, realm: emulator.url });
  bucketName = 'rxb2-angular-example';
  largeFileThreshold = 200_000;
  await firstValueFrom(b2.buckets.create(bucketName));
}
let bucket = await firstValueFrom(b2.buckets.get(bucketName));
// The page talks to B2 directly for the bytes: the bucket's CORS rules must let this origin upload and download.
bucket = await firstValueFrom(
  bucket.update({
    corsRules: [
      {
        corsRuleName: 'rxb2AngularExample',
        allowedOrigins: [origin],
        allowedOperations: ['b2_upload_file', 'b2_upload_part', 'b2_download_file_by_name'],
        allowedHeaders: ['authorization', 'content-type', 'x-bz-file-name', 'x-bz-content-sha1', 'x-bz-part-number', 'x-bz-info-*'],
        exposeHeaders: ['x-bz-content-sha1'],
        maxAgeSeconds: 3600,
      },
    ],
  }),
);
/** Large files this server started: the page may only continue, finish or cancel those. */
const started = new Set();

// ------------------------------------------------------------------ the API
const api = {
  'GET /api/config': async () => ({ largeFileThreshold, prefix: PREFIX }),
  'POST /api/upload-url': async () => firstValueFrom(bucket.getUploadAuthorization()),
  'POST /api/large/start': async (body) => {
    const fileName = ownName(body.fileName);
    const start = await firstValueFrom(bucket.startLargeUpload({ fileName, contentType: body.contentType, contentLength: body.contentLength, fileInfo: body.fileInfo }));
    started.add(start.fileId);
    return start;
  },
  'POST /api/large/part-url': async (body) => firstValueFrom(bucket.getUploadPartAuthorization(ours(body.fileId))),
  'POST /api/large/finish': async (body) => {
    const file = await firstValueFrom(bucket.finishLargeUpload(ours(body.fileId), body.partSha1Array));
    started.delete(body.fileId);
    return file.toJSON();
  },
  'POST /api/large/cancel': async (body) => {
    const answer = await firstValueFrom(bucket.cancelLargeUpload(ours(body.fileId)));
    started.delete(body.fileId);
    return answer;
  },
  'GET /api/files': async () =>
    (await lastValueFrom(bucket.listFiles({ prefix: PREFIX }).pipe(toArray()))).map((f) => ({
      fileName: f.fileName,
      contentLength: f.contentLength,
      uploadTimestamp: f.uploadTimestamp,
    })),
  'POST /api/download-url': async (body) => ({ url: await firstValueFrom(bucket.getDownloadUrl(ownName(body.fileName), { validDurationInSeconds: 300 })) }),
};

class Refused extends Error {}
function ownName(name) {
  if (typeof name !== 'string' || !name.startsWith(PREFIX) || name.length > PREFIX.length + 200) throw new Refused(`file names must start with ${PREFIX}`);
  return name;
}
function ours(fileId) {
  if (!started.has(fileId)) throw new Refused('not a large file this server started');
  return fileId;
}

server.on('request', async (req, res) => {
  const url = new URL(req.url ?? '/', origin);
  const handler = api[`${req.method} ${url.pathname}`];
  if (handler) {
    try {
      let text = '';
      for await (const chunk of req) text += chunk;
      const answer = await handler(text ? JSON.parse(text) : {});
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(answer ?? null));
    } catch (err) {
      const status = err instanceof Refused ? 403 : err?.status >= 400 ? err.status : 500;
      // B2Error messages never carry a key or a token.
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: err?.code ?? 'refused', message: String(err?.message ?? err) }));
    }
    return;
  }
  if (req.method !== 'GET') return res.writeHead(405).end();
  // The built app; any other path is the app's index (client-side routes).
  let path = normalize(join(ROOT, decodeURIComponent(url.pathname)));
  if (!path.startsWith(ROOT) || !existsSync(path) || statSync(path).isDirectory()) path = join(ROOT, 'index.html');
  if (!existsSync(path)) return res.writeHead(503, { 'Content-Type': 'text/plain' }).end('the app is not built: npm run build');
  res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' });
  createReadStream(path).pipe(res);
});

console.log(`listening on ${origin}${emulator ? ` (B2 emulator at ${emulator.url})` : ''}`);

async function stop() {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (emulator) await emulator.close();
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
