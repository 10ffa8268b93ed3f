/**
 * Runs one parsed `CliCommand` against B2 (or starts the emulator) and returns the exit code (see
 * errors.ts: 0 done, 1 failed, 2 usage error, 3 not found, 4 try again later, 130 interrupted).
 * Results go to stdout as lines, or as one JSON object per line with --json; failures to stderr.
 * An interrupt (the `signal` of `CliIo`, aborted on Ctrl-C by the command) unsubscribes from the
 * operation in flight, which aborts its requests; an unfinished large upload is then cancelled on
 * B2, or kept with `--resume`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { AxiosTransport, B2, B2Error, type B2File, type B2LargeFileStartedEvent, type B2RequestLogEntry, type B2RetryEvent, type Bucket } from '../index';
import { consume, one } from './consume';
import { CliFailure, EXIT_OK, Interrupted, NotFound, UsageError, describeError, errorJson, exitCodeFor } from './errors';
import { formatBytes, formatListingRow, type ListingRow } from './format';
import type { CliCommand, RunOptions } from './parse-command';
import { TrackingTransport } from './tracking-transport';
import { runSyncCommand } from './sync-command';
import { TransferProgress, type CliStream } from './transfer-progress';
import { VERSION } from '../version';

/** What a run of the command sees of the world: its environment, its input and output, its interrupt. */
export interface CliIo {
  /** Credentials: B2_APPLICATION_KEY_ID (or B2_KEY_ID), B2_APPLICATION_KEY, optional B2_REALM. */
  env: Readonly<Record<string, string | undefined>>;
  /** Results; a progress bar too when it is a TTY. */
  stdout: CliStream;
  /** Errors, interrupt notices and -v lines. */
  stderr: CliStream;
  /** What `rxb2 upload - BUCKET/NAME` uploads (the process's standard input). */
  stdin?: AsyncIterable<Uint8Array>;
  /** Aborted on Ctrl-C: the command stops what it is doing, cleans up and returns 130. */
  signal?: AbortSignal;
}

/** The output options when none are given: lines, progress on a terminal. */
const PLAIN: RunOptions = { json: false, quiet: false, verbose: false };

/** Longest wait after an interrupt for the client's own clean-up requests (a large file's cancel). */
const CLEANUP_WAIT_MS = 10_000;

/**
 * What the command prints, as lines or (with --json) JSON objects, with the application key
 * masked should it ever appear in one.
 */
class Printer {
  constructor(
    private readonly io: CliIo,
    private readonly secrets: string[],
    readonly options: RunOptions,
  ) {}

  /** A line on stdout as it is (the emulator's notices). */
  out(line: string): void {
    this.io.stdout.write(this.mask(line) + '\n');
  }

  /** A line on stderr as it is. */
  err(line: string): void {
    this.io.stderr.write(this.mask(line) + '\n');
  }

  /**
   * A command's result (`text`, or `json` with --json) on stdout. With --quiet only listing rows
   * (`listing`) are printed: they are what was asked for.
   */
  result(text: string, json: Record<string, unknown>, listing = false): void {
    if (this.options.json) this.out(JSON.stringify(json));
    else if (listing || !this.options.quiet) this.out(text);
  }

  /** A -v line on stderr. */
  verbose(text: string, json: Record<string, unknown>): void {
    if (this.options.verbose) this.err(this.options.json ? JSON.stringify(json) : `rxb2: ${text}`);
  }

  /** Tells a failure on stderr; returns its exit code. */
  failure(err: unknown): number {
    if (this.options.json) this.err(JSON.stringify(errorJson(err)));
    else if (err instanceof Interrupted) this.err(err.notice);
    else this.err(`rxb2: ${describeError(err)}`);
    return exitCodeFor(err);
  }

  /**
   * A transfer's progress bar: by default only when stdout is a terminal, and never with --json
   * (then on stderr, if asked with --progress) or --quiet.
   */
  progress(label: string): TransferProgress {
    const { json, quiet, progress } = this.options;
    const stream = json ? this.io.stderr : this.io.stdout;
    return new TransferProgress(stream, label, progress ?? (!!stream.isTTY && !json && !quiet));
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

/** A request as -v prints it: `POST b2_list_buckets http://…/b2_list_buckets → 200 (3 ms)`. */
function requestLine(e: B2RequestLogEntry): string {
  const outcome = e.status ? `${e.status}${e.code ? ` ${e.code}` : ''}` : `no answer${e.code ? ` (${e.code})` : ''}`;
  return `${e.method} ${e.operation} ${e.url} → ${outcome} (${e.durationMs} ms)`;
}

/** A retry as -v prints it: `retry b2_list_buckets: attempt 1 failed (503 service_unavailable: …); next attempt in 0 ms`. */
function retryLine(e: B2RetryEvent): string {
  const failure = [e.error.status || '', e.error.code].filter(Boolean).join(' ');
  return `retry ${e.operation}: attempt ${e.attempt} failed (${failure}: ${e.error.message}); next attempt in ${e.delayMs} ms`;
}

function retryJson(e: B2RetryEvent): Record<string, unknown> {
  return { retry: { operation: e.operation, attempt: e.attempt, delayMs: e.delayMs, status: e.error.status, code: e.error.code, message: e.error.message } };
}

/**
 * The client, from the environment's credentials and realm: the same three variables the client
 * library reads (the key is kept out of every line printed). With -v, every request and every
 * retry is told on stderr.
 */
function connect(run: Run): Connected {
  const env = run.io.env;
  const applicationKeyId = env.B2_APPLICATION_KEY_ID || env.B2_KEY_ID;
  const applicationKey = env.B2_APPLICATION_KEY;
  if (!applicationKeyId || !applicationKey) {
    throw new UsageError('no credentials', "set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY (and B2_REALM for an API URL other than production's)");
  }
  const print = run.print;
  const verbose = print.options.verbose;
  const log = verbose ? (e: B2RequestLogEntry) => print.verbose(requestLine(e), { request: e }) : undefined;
  const onRetry = verbose ? (e: B2RetryEvent) => print.verbose(retryLine(e), retryJson(e)) : undefined;
  const transport = new TrackingTransport(new AxiosTransport({ userAgent: `rxb2-cli/${VERSION}`, log }));
  const { retries } = print.options;
  const retry = retries === undefined ? undefined : { maxAttempts: retries + 1 };
  const b2 = new B2({ applicationKeyId, applicationKey, realm: env.B2_REALM || 'production', transport, retry, onRetry });
  return { ...run, b2, transport };
}

/** A file or folder row of a listing as --json prints it (B2's field names). */
function fileJson(f: ListingRow & Partial<Pick<B2File, 'contentType' | 'contentSha1'>>): Record<string, unknown> {
  if (f.action === 'folder') return { fileName: f.fileName, action: 'folder' };
  return {
    fileName: f.fileName,
    fileId: f.fileId,
    action: f.action,
    contentLength: f.contentLength,
    contentType: f.contentType,
    contentSha1: f.contentSha1,
    uploadTimestamp: f.uploadTimestamp,
  };
}

/**
 * Runs `command`; resolves with the exit code (it never rejects for a failed operation: the
 * failure is printed on stderr, as JSON with --json).
 */
export async function executeCommand(command: CliCommand, io: CliIo, options: RunOptions = PLAIN): Promise<number> {
  const key = io.env.B2_APPLICATION_KEY;
  const print = new Printer(io, key && key.length >= 6 ? [key] : [], options);
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
    return print.failure(err);
  }
}

type Cmd<N extends CliCommand['name']> = Extract<CliCommand, { name: N }>;

async function emulator(command: Cmd<'emulator'>, run: Run): Promise<number> {
  // Loaded only here: the other commands never pull in the emulator.
  const { runEmulatorCommand } = await import('./rxb2-emulator');
  return runEmulatorCommand(command.flags, run.io, run.signal);
}

async function bucketsList(c: Connected): Promise<number> {
  const buckets: Bucket[] = [];
  if (!(await consume(c.b2.buckets.all(), c.signal, (b) => buckets.push(b)))) throw new Interrupted();
  const width = Math.max(0, ...buckets.map((b) => b.bucketName.length));
  for (const b of buckets) {
    c.print.result(`${b.bucketName.padEnd(width)}  ${b.bucketType.padEnd(10)}  ${b.bucketId}`, bucketJson(b), true);
  }
  return EXIT_OK;
}

function bucketJson(b: Bucket): Record<string, unknown> {
  return { bucketName: b.bucketName, bucketId: b.bucketId, bucketType: b.bucketType };
}

async function bucketsCreate(command: Cmd<'buckets create'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.create(command.bucket, { type: command.public ? 'allPublic' : 'allPrivate' }), c.signal);
  c.print.result(`created bucket ${bucket.bucketName} (${bucket.bucketType}, id ${bucket.bucketId})`, { created: bucketJson(bucket) });
  return EXIT_OK;
}

async function bucketsRemove(command: Cmd<'buckets rm'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  await one(bucket.delete(), c.signal);
  c.print.result(`removed bucket ${bucket.bucketName}`, { removed: bucketJson(bucket) });
  return EXIT_OK;
}

async function list(command: Cmd<'ls'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const options = { prefix: command.prefix || undefined, delimiter: command.recursive ? undefined : '/' };
  const files = command.versions ? bucket.listFileVersions(options) : bucket.listFiles(options);
  // Rows are printed as pages arrive; Ctrl-C stops further page requests.
  const row = (f: B2File) => c.print.result(formatListingRow(f, command.versions), fileJson(f), true);
  if (!(await consume(files, c.signal, row))) throw new Interrupted();
  return EXIT_OK;
}

/** The SHA-1 of a local file, read once (with a bar on a terminal); interruptible. */
async function sha1OfFile(path: string, size: number, c: Connected): Promise<string> {
  const hash = createHash('sha1');
  const progress = c.print.progress('sha-1   ');
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

/** A local file to read: its size and time, or NotFound / a failure naming the path the user gave. */
async function localFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new NotFound(`${path}: no such file`);
    throw new CliFailure(`${path}: ${err.message}`);
  });
  if (!info.isFile()) throw new CliFailure(`${path}: not a file`);
  return info;
}

async function upload(command: Cmd<'upload'>, c: Connected): Promise<number> {
  // Standard input is read as it comes: its length is known only at its end.
  const stdin = command.file === '-';
  if (stdin && !c.io.stdin) throw new UsageError('<file>', 'no standard input to read');
  const info = stdin ? undefined : await localFile(command.file);
  const auth = await one(c.b2.authorize(), c.signal);
  if (command.partSize !== undefined && command.partSize < auth.absoluteMinimumPartSize) {
    throw new UsageError('--part-size', `must be at least ${auth.absoluteMinimumPartSize} bytes (this account's smallest part), not ${command.partSize}`);
  }
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const threshold = command.partSize ?? auth.recommendedPartSize;
  // B2's conventions: the source's modification time, and for large files the whole-file SHA-1
  // (so downloads can verify it). Both are the same on a later run, so --resume finds the upload.
  const fileInfo: Record<string, string> = {};
  if (info) {
    fileInfo.src_last_modified_millis = String(Math.floor(info.mtimeMs));
    if (info.size > threshold) fileInfo.large_file_sha1 = await sha1OfFile(command.file, info.size, c);
  }

  const progress = c.print.progress('upload  ');
  let started: B2LargeFileStartedEvent | undefined;
  let partsSent = 0;
  let file: B2File | undefined;
  const events = bucket.uploadFile({
    contents: info ? { path: command.file } : c.io.stdin!,
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
        const size = info?.size ?? 0;
        const there = Object.keys(e.checkpoint.partsDone).reduce((n, p) => n + Math.min(partSize, size - (Number(p) - 1) * partSize), 0);
        progress.alreadyThere(there);
      } else if (e.type === 'partUploaded') partsSent++;
      else if (e.type === 'uploadProgress') progress.update(e.loaded, e.total ?? info?.size);
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
    const total = Math.ceil((info?.size ?? 0) / started.checkpoint.partSize);
    const done = Object.keys(started.checkpoint.partsDone).length + partsSent;
    if (command.resume) {
      throw new Interrupted(
        `interrupted: unfinished large file ${started.fileId} kept on B2 (${done} of ${total} parts uploaded); ` + 'run the same command with --resume to continue',
      );
    }
    throw new Interrupted(`interrupted: upload of ${target} stopped, its unfinished large file was cancelled on B2`);
  }
  const uploaded = file!;
  const size = uploaded.contentLength;
  let parts = '';
  let partCount: number | undefined;
  let partsThere = 0;
  if (started) {
    partCount = info ? Math.ceil(info.size / started.checkpoint.partSize) : partsSent;
    partsThere = partCount - partsSent;
    parts = `, ${partCount} parts` + (started.resumed ? ` (${partsThere} already on B2, ${partsSent} sent)` : '');
  }
  const source = stdin ? 'standard input' : command.file;
  c.print.result(`uploaded ${source} → ${target}: ${size} bytes${parts}, ${progress.seconds.toFixed(1)} s, ${progress.rate()}, file id ${uploaded.fileId}`, {
    uploaded: { ...fileJson(uploaded), bucketName: bucket.bucketName },
    source: stdin ? '-' : command.file,
    parts: partCount,
    partsAlreadyThere: started?.resumed ? partsThere : undefined,
    seconds: progress.seconds,
  });
  return EXIT_OK;
}

async function download(command: Cmd<'download'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
  const isDir = await stat(command.file).then(
    (s) => s.isDirectory(),
    () => false,
  );
  // A path the client cannot write (a missing folder, no space, no permission) fails as a
  // local_io_error naming it: not found (3) for a missing folder, else failed (1).
  const path = isDir ? join(command.file, basename(command.fileName)) : command.file;
  const progress = c.print.progress('download');
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
  c.print.result(`downloaded ${source} → ${path}: ${bytes} bytes (${formatBytes(bytes)}), ${progress.seconds.toFixed(1)} s, ${progress.rate()}, ${check}`, {
    downloaded: { bucketName: bucket.bucketName, fileName: file.fileName, fileId: file.fileId },
    path,
    bytes,
    verifiedSha1,
    seconds: progress.seconds,
  });
  return EXIT_OK;
}

async function remove(command: Cmd<'rm'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const target = `${bucket.bucketName}/${command.fileName}`;
  const deletedJson = (v: { fileId: string; action: string }) => ({ deleted: { bucketName: bucket.bucketName, fileName: command.fileName, fileId: v.fileId, action: v.action } });
  if (!command.allVersions) {
    const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
    await one(file.delete(), c.signal);
    c.print.result(`deleted ${target} (file id ${file.fileId})`, deletedJson(file));
    return EXIT_OK;
  }
  let count = 0;
  const deleted = await consume(bucket.deleteAllVersions(command.fileName, { concurrency: 4 }), c.signal, (v) => {
    count++;
    c.print.result(`deleted ${target} (${v.action}, file id ${v.fileId})`, deletedJson(v));
  });
  if (!deleted) throw new Interrupted(`interrupted: ${count} versions of ${target} deleted`);
  if (count === 0) throw new B2Error({ status: 404, code: 'not_found', message: `no versions of ${command.fileName} in bucket ${bucket.bucketName}` });
  if (!c.print.options.json) c.print.result(`deleted ${count} version${count === 1 ? '' : 's'} of ${target}`, {});
  return EXIT_OK;
}

async function hide(command: Cmd<'hide'>, c: Connected): Promise<number> {
  const bucket = await one(c.b2.buckets.get(command.bucket), c.signal);
  const file = await one(bucket.getFile({ name: command.fileName }), c.signal);
  const marker = await one(file.hide(), c.signal);
  c.print.result(`hidden ${bucket.bucketName}/${command.fileName} (hide marker ${marker.fileId})`, {
    hidden: { bucketName: bucket.bucketName, fileName: command.fileName, fileId: marker.fileId, action: 'hide' },
  });
  return EXIT_OK;
}
