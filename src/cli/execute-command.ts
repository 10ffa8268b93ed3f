/**
 * Runs one parsed `CliCommand` against B2 (or starts the emulator) and returns the exit code:
 * 0 done, 1 failed (B2's message on stderr), 130 interrupted. An interrupt (the `signal` of
 * `CliIo`, aborted on Ctrl-C by the command) unsubscribes from the operation in flight, which
 * aborts its requests; an unfinished large upload is then cancelled on B2, or kept with `--resume`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Observable } from 'rxjs';
import { AxiosTransport, B2, B2Error, PRODUCTION_REALM, type B2File, type B2LargeFileStartedEvent, type Bucket } from '../index';
import { formatBytes, formatListingRow } from './format';
import type { CliCommand } from './parse-command';
import { TrackingTransport } from './tracking-transport';
import { runSyncCommand } from './sync-command';
import { TransferProgress, type CliStream } from './transfer-progress';

/** What a run of the command sees of the world: its environment, its output, its interrupt. */
export interface CliIo {
  /** Credentials: B2_APPLICATION_KEY_ID (or B2_KEY_ID), B2_APPLICATION_KEY, optional B2_REALM. */
  env: Readonly<Record<string, string | undefined>>;
  /** Results; a progress bar too when it is a TTY. */
  stdout: CliStream;
  /** Errors and interrupt notices. */
  stderr: CliStream;
  /** Aborted on Ctrl-C: the command stops what it is doing, cleans up and returns 130. */
  signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Longest wait after an interrupt for the client's own clean-up requests (a large file's cancel). */
const CLEANUP_WAIT_MS = 10_000;

/** Thrown when the signal aborted a step; the command then reports the interrupt. */
class Interrupted extends Error {
  constructor(readonly notice = 'interrupted') {
    super(notice);
  }
}

/** A failure of the command itself (not B2's): its message is printed as is. */
class CliFailure extends Error {}

/** Output lines, with the application key masked should it ever appear in one. */
class Printer {
  constructor(
    private readonly io: CliIo,
    private readonly secrets: string[],
  ) {}

  out(line: string): void {
    this.io.stdout.write(this.mask(line) + '\n');
  }

  err(line: string): void {
    this.io.stderr.write(this.mask(line) + '\n');
  }

  private mask(text: string): string {
    return this.secrets.reduce((t, secret) => t.split(secret).join('***'), text);
  }
}

interface Run {
  io: CliIo;
  print: Printer;
  signal: AbortSignal | undefined;
}

interface Connected extends Run {
  b2: B2;
  transport: TrackingTransport;
}

/**
 * Subscribes to `source`, handing each value to `next`. Resolves `true` when it completed, or
 * `false` when the signal aborted first (after unsubscribing, which aborts the requests in
 * flight). Rejects with the source's error.
 */
function consume<T>(source: Observable<T>, signal: AbortSignal | undefined, next: (value: T) => void = () => undefined): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      subscription.unsubscribe();
      resolve(false);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const subscription = source.subscribe({
      next,
      error: (err) => {
        done();
        reject(err);
      },
      complete: () => {
        done();
        resolve(true);
      },
    });
  });
}

/** The last value of `source`; throws `Interrupted` when the signal aborts first. */
async function one<T>(source: Observable<T>, signal: AbortSignal | undefined): Promise<T> {
  let last: { value: T } | undefined;
  if (!(await consume(source, signal, (value) => (last = { value })))) throw new Interrupted();
  if (!last) throw new CliFailure('no answer');
  return last.value;
}

/** The client, from the environment's credentials (the key is kept out of every line printed). */
function connect(run: Run): Connected {
  const env = run.io.env;
  const applicationKeyId = env.B2_APPLICATION_KEY_ID || env.B2_KEY_ID;
  const applicationKey = env.B2_APPLICATION_KEY;
  if (!applicationKeyId || !applicationKey) {
    throw new CliFailure('no credentials: set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY (and B2_REALM for an API URL other than production\'s)');
  }
  const realm = !env.B2_REALM || env.B2_REALM === 'production' ? PRODUCTION_REALM : env.B2_REALM;
  const transport = new TrackingTransport(new AxiosTransport({ userAgent: 'rxb2-cli/0.1.0' }));
  const b2 = new B2({ applicationKeyId, applicationKey, realm, transport });
  return { ...run, b2, transport };
}

/** One line for an error: B2's message with its code, status and call. Never a key or a token. */
export function describeError(err: unknown): string {
  if (err instanceof B2Error) {
    const detail = [err.code, err.status ? `HTTP ${err.status}` : '', err.operation ?? ''].filter(Boolean).join(', ');
    return `${err.message} (${detail})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Runs `command`; resolves with the exit code (it never rejects for a failed operation: the
 * failure is printed on stderr).
 */
export async function executeCommand(command: CliCommand, io: CliIo): Promise<number> {
  const key = io.env.B2_APPLICATION_KEY;
  const print = new Printer(io, key && key.length >= 6 ? [key] : []);
  const run: Run = { io, print, signal: io.signal };
  try {
    switch (command.name) {
      case 'emulator':
        return await emulator(command, run);
      case 'buckets ls':
        return await bucketsList(connect(run));
      case 'buckets create':
        return await bucketsCreate(command, connect(run));
      case 'buckets rm':
        return await bucketsRemove(command, connect(run));
      case 'ls':
        return await list(command, connect(run));
      case 'upload':
        return await upload(command, connect(run));
      case 'download':
        return await download(command, connect(run));
      case 'rm':
        return await remove(command, connect(run));
      case 'hide':
        return await hide(command, connect(run));
      case 'sync':
        return await runSyncCommand(command, connect(run));
    }
  } catch (err) {
    if (err instanceof Interrupted) {
      print.err(err.notice);
      return EXIT_INTERRUPTED;
    }
    print.err(`rxb2: ${describeError(err)}`);
    return EXIT_FAILED;
  }
}

type Cmd<N extends CliCommand['name']> = Extract<CliCommand, { name: N }>;

async function emulator(command: Cmd<'emulator'>, run: Run): Promise<number> {
  // Loaded only here: the other commands never pull in the emulator.
  const { startEmulator } = await import('../emulator');
  const emu = await startEmulator({
    host: command.host,
    port: command.port,
    dataDir: command.dataDir,
    recommendedPartSize: command.recommendedPartSize,
    absoluteMinimumPartSize: command.absoluteMinimumPartSize,
  });
  // The emulator's own keys are printed on purpose: they are how clients reach it.
  run.io.stdout.write(
    `rxb2 emulator listening on ${emu.url}\n` +
      `  data:            ${command.dataDir ?? '(in memory)'}\n` +
      `  keyId:           ${emu.keyId}\n` +
      `  applicationKey:  ${emu.applicationKey}\n\n` +
      `export B2_REALM=${emu.url} B2_APPLICATION_KEY_ID=${emu.keyId} B2_APPLICATION_KEY=${emu.applicationKey}\n` +
      `(Ctrl-C stops it)\n`,
  );
  await new Promise<void>((resolve) => {
    if (!run.signal) return;
    if (run.signal.aborted) resolve();
    else run.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await emu.close();
  run.print.out('rxb2 emulator stopped');
  return EXIT_OK;
}

async function bucketsList(c: Connected): Promise<number> {
  const buckets: Bucket[] = [];
  if (!(await consume(c.b2.buckets.all(), c.signal, (b) => buckets.push(b)))) throw new Interrupted();
  const width = Math.max(0, ...buckets.map((b) => b.bucketName.length));
  for (const b of buckets) c.print.out(`${b.bucketName.padEnd(width)}  ${b.bucketType.padEnd(10)}  ${b.bucketId}`);
  return EXIT_OK;
}

async function bucketsCreate(command: Cmd<'buckets create'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.create(command.bucket, { type: command.public ? 'allPublic' : 'allPrivate' }), c.signal);
  c.print.out(`created bucket ${bucket.bucketName} (${bucket.bucketType}, id ${bucket.bucketId})`);
  return EXIT_OK;
}

async function bucketsRemove(command: Cmd<'buckets rm'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  await one(bucket.delete(), c.signal);
  c.print.out(`removed bucket ${bucket.bucketName}`);
  return EXIT_OK;
}

async function list(command: Cmd<'ls'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const options = { prefix: command.prefix || undefined, delimiter: command.recursive ? undefined : '/' };
  const files = command.versions ? bucket.listFileVersions(options) : bucket.listFiles(options);
  // Rows are printed as pages arrive; Ctrl-C stops further page requests.
  if (!(await consume(files, c.signal, (f) => c.print.out(formatListingRow(f, command.versions))))) throw new Interrupted();
  return EXIT_OK;
}

/** The SHA-1 of a local file, read once (with a bar on a terminal); interruptible. */
async function sha1OfFile(path: string, size: number, c: Connected): Promise<string> {
  const hash = createHash('sha1');
  const progress = new TransferProgress(c.io.stdout, 'sha-1   ');
  let read = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      if (c.signal?.aborted) throw new Interrupted('interrupted: upload stopped before it started');
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      progress.update(read, size);
    }
  } finally {
    progress.stop();
  }
  return hash.digest('hex');
}

async function upload(command: Cmd<'upload'>, c: Connected): Promise<number> {
  const info = await stat(command.file).catch((err: NodeJS.ErrnoException) => {
    throw new CliFailure(err.code === 'ENOENT' ? `${command.file}: no such file` : `${command.file}: ${err.message}`);
  });
  if (!info.isFile()) throw new CliFailure(`${command.file}: not a file`);
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const auth = await one(c.b2.authorize(), c.signal);
  const threshold = command.partSize ?? auth.recommendedPartSize;
  // B2's conventions: the source's modification time, and for large files the whole-file SHA-1
  // (so downloads can verify it). Both are the same on a later run, so --resume finds the upload.
  const fileInfo: Record<string, string> = { src_last_modified_millis: String(Math.floor(info.mtimeMs)) };
  if (info.size > threshold) fileInfo.large_file_sha1 = await sha1OfFile(command.file, info.size, c);

  const progress = new TransferProgress(c.io.stdout, 'upload  ');
  let started: B2LargeFileStartedEvent | undefined;
  let partsSent = 0;
  let file: B2File | undefined;
  const events = bucket.uploadFile({
    contents: { path: command.file },
    fileName: command.fileName,
    contentType: command.contentType,
    fileInfo,
    largeFileThreshold: threshold,
    partSize: command.partSize,
    concurrency: command.concurrency,
    resume: command.resume,
    keepOnFailure: command.resume,
  });
  let completed: boolean;
  try {
    completed = await consume(events, c.signal, (e) => {
      if (e.type === 'largeFileStarted') {
        started = e;
        const partSize = e.checkpoint.partSize;
        const there = Object.keys(e.checkpoint.partsDone).reduce((n, p) => n + Math.min(partSize, info.size - (Number(p) - 1) * partSize), 0);
        progress.alreadyThere(there);
      } else if (e.type === 'partUploaded') partsSent++;
      else if (e.type === 'uploadProgress') progress.update(e.loaded, e.total ?? info.size);
      else if (e.type === 'response') file = e.body;
    });
  } finally {
    progress.stop();
  }
  const target = `${bucket.bucketName}/${command.fileName}`;
  if (!completed) {
    // The unsubscribe aborted every part; the client now cancels the large file (unless kept).
    await c.transport.idle(CLEANUP_WAIT_MS);
    if (!started) throw new Interrupted(`interrupted: upload of ${target} stopped, nothing was stored`);
    const total = Math.ceil(info.size / started.checkpoint.partSize);
    const done = Object.keys(started.checkpoint.partsDone).length + partsSent;
    if (command.resume) {
      throw new Interrupted(
        `interrupted: unfinished large file ${started.fileId} kept on B2 (${done} of ${total} parts uploaded); ` +
          'run the same command with --resume to continue',
      );
    }
    throw new Interrupted(`interrupted: upload of ${target} stopped, its unfinished large file was cancelled on B2`);
  }
  const uploaded = file!;
  let parts = '';
  if (started) {
    const total = Math.ceil(info.size / started.checkpoint.partSize);
    parts = `, ${total} parts` + (started.resumed ? ` (${total - partsSent} already on B2, ${partsSent} sent)` : '');
  }
  c.print.out(
    `uploaded ${command.file} → ${target}: ${info.size} bytes${parts}, ${progress.seconds.toFixed(1)} s, ${progress.rate()}, file id ${uploaded.fileId}`,
  );
  return EXIT_OK;
}

async function download(command: Cmd<'download'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
  const isDir = await stat(command.file).then((s) => s.isDirectory(), () => false);
  const path = isDir ? join(command.file, basename(command.fileName)) : command.file;
  const progress = new TransferProgress(c.io.stdout, 'download');
  let result: { bytes: number; verifiedSha1: string | null } | undefined;
  let completed: boolean;
  try {
    completed = await consume(file.downloadToFile(path, { concurrency: command.concurrency, partSize: command.partSize }), c.signal, (e) => {
      if (e.type === 'downloadProgress') progress.update(e.loaded, e.total ?? file.contentLength);
      else if (e.type === 'response') result = e.body;
    });
  } finally {
    progress.stop();
  }
  const source = `${bucket.bucketName}/${command.fileName}`;
  if (!completed) {
    await c.transport.idle(CLEANUP_WAIT_MS);
    throw new Interrupted(`interrupted: download of ${source} stopped, ${path} was not written`);
  }
  const { bytes, verifiedSha1 } = result!;
  const check = verifiedSha1 ? `SHA-1 ${verifiedSha1} verified` : 'SHA-1 not verified (B2 has none for this file)';
  c.print.out(`downloaded ${source} → ${path}: ${bytes} bytes (${formatBytes(bytes)}), ${progress.seconds.toFixed(1)} s, ${progress.rate()}, ${check}`);
  return EXIT_OK;
}

async function remove(command: Cmd<'rm'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const target = `${bucket.bucketName}/${command.fileName}`;
  if (!command.allVersions) {
    const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
    await one(file.delete(), c.signal);
    c.print.out(`deleted ${target} (file id ${file.fileId})`);
    return EXIT_OK;
  }
  let count = 0;
  const deleted = await consume(bucket.deleteAllVersions(command.fileName, { concurrency: 4 }), c.signal, (v) => {
    count++;
    c.print.out(`deleted ${target} (${v.action}, file id ${v.fileId})`);
  });
  if (!deleted) throw new Interrupted(`interrupted: ${count} versions of ${target} deleted`);
  if (count === 0) throw new B2Error({ status: 404, code: 'not_found', message: `no versions of ${command.fileName} in bucket ${bucket.bucketName}` });
  c.print.out(`deleted ${count} version${count === 1 ? '' : 's'} of ${target}`);
  return EXIT_OK;
}

async function hide(command: Cmd<'hide'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
  const marker = await one(file.hide(), c.signal);
  c.print.out(`hidden ${bucket.bucketName}/${command.fileName} (hide marker ${marker.fileId})`);
  return EXIT_OK;
}
