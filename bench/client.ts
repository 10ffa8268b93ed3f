/**
 * Client benchmark (not a test): `npm run bench:client -- [--quick] [--files N] [--page N]
 * [--list-passes N] [--uploads N] [--size BYTES] [--concurrency N] [--reps N]
 * [--only list|upload|layers] [--layers] [--layer-requests N] [--node-transport]`.
 *
 * Measures what rxb2 costs on top of a raw `node:http` client doing the same B2 calls, against
 * the emulator running in a CHILD process (in memory, 127.0.0.1), so the server's CPU never shares
 * the client's event loop:
 *
 *   list     list `--files` files (default 10,000) in pages of `--page` (default 1,000):
 *            rxb2 `bucket.listFiles({ pageSize })` to completion, vs sequential
 *            b2_list_file_names calls (keep-alive agent, Buffer.concat + JSON.parse).
 *            The files are uploaded first with the raw client (untimed).
 *   upload   upload `--uploads` files (default 1,000) of `--size` bytes (default 4 KiB) at
 *            concurrency `--concurrency` (default 16): rxb2
 *            `mergeMap(i => bucket.uploadFile({ contents, fileName }).pipe(toResponseBody()), 16)`,
 *            vs 16 raw workers that each get an upload URL once (b2_get_upload_url) and reuse it,
 *            computing the SHA-1 of every file. Each run gets a fresh bucket, so both sides
 *            fetch their upload URLs inside the timed window.
 *
 * rxb2 and baseline runs alternate (A B A B …, `--reps` each, default 5) after an untimed warm-up
 * of each; the table shows medians of ops/s (files/s or uploads/s), client CPU per operation
 * (process.cpuUsage delta, user+system: steadier than wall time on 2 shared cores), the client's
 * GC time per operation and major (mark-compact) GCs per run (PerformanceObserver 'gc'), and the
 * emulator's CPU per operation (asked over IPC). A listing sample lists the bucket
 * `--list-passes` times (default 3) so it lasts long enough to time. `--quick` shrinks the
 * counts for a smoke run.
 *
 * `--layers` (or `--only layers`) adds a per-layer breakdown, each layer in a FRESH child process
 * (run in one process, the layers make each other's code megamorphic and inflate later rows by
 * up to ~150 µs/request): one small JSON call (b2_list_file_names, maxFileCount 1, sequential)
 * and one 4 KiB upload (concurrency 16), through node:http, axios configured as AxiosTransport
 * configures it (and variants), AxiosTransport.request, and the public API — client CPU µs/op.
 *
 * `--node-transport` adds a third side: rxb2 with `transport: new NodeHttpTransport()`, a
 * PROTOTYPE B2Transport over node:http defined in this file (JSON calls, raw bodies — bodies up
 * to 1 MiB gathered and sent in one write —, streamed downloads, abort), to measure what
 * replacing axios in Node would give. It is not part of rxb2.
 *
 * Targets: rxb2 ≥ 0.8× baseline for listing, ≥ 0.6× for small uploads.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import { Observable, count, filter, lastValueFrom, map, mergeMap, range } from 'rxjs';
import { AxiosTransport, B2, B2Error, toResponseBody, type B2Event, type B2HttpRequest, type B2Transport, type Bucket } from '../src';
import { RawB2Session, agent, uploadHeaders, type EmulatorEndpoint, type UploadUrl } from './raw-b2';
import { firstLine, startEmulatorChild, type EmulatorChild } from './emulator-child';
import { median, table } from './table';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  files: number;
  page: number;
  listPasses: number;
  uploads: number;
  size: number;
  concurrency: number;
  reps: number;
  only: 'all' | 'list' | 'upload' | 'layers';
  layers: boolean;
  layerRequests: number;
  nodeTransport: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    files: 10_000,
    page: 1000,
    listPasses: 3,
    uploads: 1000,
    size: 4096,
    concurrency: 16,
    reps: 5,
    only: 'all',
    layers: false,
    layerRequests: 2000,
    nodeTransport: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return Math.floor(v);
    };
    if (a === '--quick') Object.assign(o, { files: 2000, uploads: 200, reps: 3, listPasses: 2, layerRequests: 300 });
    else if (a === '--files') o.files = num();
    else if (a === '--page') o.page = Math.min(10_000, num());
    else if (a === '--list-passes') o.listPasses = num();
    else if (a === '--uploads') o.uploads = num();
    else if (a === '--size') o.size = num();
    else if (a === '--concurrency') o.concurrency = num();
    // Every upload run makes a bucket and the emulator allows 100.
    else if (a === '--reps') o.reps = Math.min(25, num());
    else if (a === '--layers') o.layers = true;
    else if (a === '--node-transport') o.nodeTransport = true;
    else if (a === '--layer-requests') o.layerRequests = num();
    else if (a === '--only') {
      const v = argv[++i];
      if (v !== 'list' && v !== 'upload' && v !== 'layers') throw new Error('--only takes list, upload or layers');
      o.only = v;
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The emulator, in a child process

type Emulator = EmulatorChild;
type EmulatorInfo = EmulatorEndpoint;
const emulatorCpu = async (emu: Emulator): Promise<number> => (await emu.stats()).cpuUs;

// ---------------------------------------------------------------------------------------------
// The raw node:http baseline client

// ---------------------------------------------------------------------------------------------
// PROTOTYPE: a B2Transport over node:http (for --node-transport; not part of rxb2)

const SMALL_BODY = 1 << 20;
const protoAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * What rxb2's transport could be in Node without axios: one `http.request` per call on a shared
 * keep-alive agent; JSON bodies and small raw bodies (≤ 1 MiB, gathered from `open()`) sent with
 * one `end(buffer)`, larger ones piped; JSON answers parsed from one Buffer; `stream` answers
 * handed over unread; unsubscribe destroys the request. HTTP only (the emulator); a real one
 * would pick https by the URL and add a timeout.
 */
class NodeHttpTransport implements B2Transport {
  constructor(private readonly userAgent = 'rxb2/bench') {}

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return new Observable<B2Event<T, unknown>>((subscriber) => {
      let done = false;
      let response: http.IncomingMessage | undefined;
      const headers: http.OutgoingHttpHeaders = { ...req.headers, 'User-Agent': this.userAgent };
      let json: string | undefined;
      if (req.json !== undefined) {
        json = JSON.stringify(req.json);
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = Buffer.byteLength(json);
      } else if (req.body) {
        headers['Content-Length'] = req.body.length;
      }
      const fail = (err: unknown): void => {
        if (done) return;
        done = true;
        subscriber.error(
          err instanceof B2Error
            ? err
            : new B2Error({
                status: 0,
                code: 'network_error',
                message: `${req.operation}: network error (${(err as { code?: string })?.code ?? 'unknown'})`,
                operation: req.operation,
              }),
        );
      };
      subscriber.next({ type: 'sent', attempt: req.attempt ?? 1 });
      const request = http.request(req.url, { method: req.method, headers, agent: protoAgent }, (res) => {
        response = res;
        const flat: Record<string, string> = {};
        for (const k in res.headers) {
          const v = res.headers[k];
          if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const status = res.statusCode ?? 0;
        if (req.responseType === 'stream' && status < 400) {
          subscriber.next({ type: 'responseHeader', status, headers: flat });
          done = true;
          subscriber.next({ type: 'response', status, headers: flat, body: res as unknown as T });
          subscriber.complete();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          if (done) return;
          const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
          if (status >= 400) return fail(httpError(req.operation, status, text, flat));
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return fail(new B2Error({ status: 0, code: 'bad_response', message: `${req.operation}: the server's answer is not JSON`, operation: req.operation }));
          }
          subscriber.next({ type: 'responseHeader', status, headers: flat });
          done = true;
          subscriber.next({ type: 'response', status, headers: flat, body: body as T });
          subscriber.complete();
        });
      });
      request.on('error', fail);
      const body = req.body;
      if (json !== undefined) request.end(json);
      else if (!body) request.end();
      else if (body.length <= SMALL_BODY) {
        // Small: gather (usually one chunk) and send with the headers in one write.
        void (async () => {
          const parts: Buffer[] = [];
          for await (const c of body.open()) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
          if (done) return;
          request!.end(parts.length === 1 ? parts[0] : Buffer.concat(parts));
          body.onProgress?.(body.length);
        })().catch(fail);
      } else {
        let loaded = 0;
        const source = Readable.from(body.open(), { objectMode: false, highWaterMark: SMALL_BODY });
        source.on('data', (c: Buffer) => body.onProgress?.((loaded += c.length)));
        source.on('error', (e) => request!.destroy(e));
        source.pipe(request);
      }
      return () => {
        if (!done) {
          done = true;
          request?.destroy();
          response?.destroy();
        }
      };
    });
  }
}

function httpError(operation: string, status: number, text: string, headers: Record<string, string>): B2Error {
  let code = `http_${status}`;
  let message = `${operation} failed with HTTP ${status}`;
  try {
    const b = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof b.code === 'string') code = b.code;
    if (typeof b.message === 'string' && b.message !== '') message = b.message;
  } catch {
    // keep the status-derived code
  }
  const retryAfter = /^\d+$/.test(headers['retry-after'] ?? '') ? Number(headers['retry-after']) : undefined;
  return new B2Error({ status, code, message, retryAfter, operation });
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Sample {
  ops: number;
  wallMs: number;
  clientCpuUs: number;
  serverCpuUs: number;
  gcMs: number;
  majorGcs: number;
}

/** Client GC time and mark-compact count, from PerformanceObserver('gc'). */
const gcStats = { ms: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcStats.ms += e.duration;
    if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcStats.major++;
  }
}).observe({ entryTypes: ['gc'] });

/** Lets the GC observer's queued entries arrive. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

async function measure(serverCpu: (() => Promise<number>) | undefined, fn: () => Promise<number>): Promise<Sample> {
  (globalThis as { gc?: () => void }).gc?.();
  await settle();
  const s0 = serverCpu ? await serverCpu() : 0;
  const g0 = { ...gcStats };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await fn();
  const wallMs = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  await settle();
  const s1 = serverCpu ? await serverCpu() : 0;
  return { ops, wallMs, clientCpuUs: c1.user + c1.system, serverCpuUs: s1 - s0, gcMs: gcStats.ms - g0.ms, majorGcs: gcStats.major - g0.major };
}

interface Summary {
  opsPerSec: number;
  clientUsPerOp: number;
  serverUsPerOp: number;
  gcUsPerOp: number;
  majorGcsPerRun: number;
  /** Every run's ops/s, for the spread. */
  runs: number[];
}

function summarize(samples: Sample[]): Summary {
  return {
    opsPerSec: median(samples.map((s) => s.ops / (s.wallMs / 1000))),
    clientUsPerOp: median(samples.map((s) => s.clientCpuUs / s.ops)),
    serverUsPerOp: median(samples.map((s) => s.serverCpuUs / s.ops)),
    gcUsPerOp: median(samples.map((s) => (s.gcMs * 1000) / s.ops)),
    majorGcsPerRun: median(samples.map((s) => s.majorGcs)),
    runs: samples.map((s) => s.ops / (s.wallMs / 1000)),
  };
}

const fmtSample = (s: Sample): string => `${(s.ops / (s.wallMs / 1000)).toFixed(0)}/s ${(s.clientCpuUs / s.ops).toFixed(1)}µs`;

interface Side {
  name: string;
  /** Untimed preparation of one run (a fresh bucket…); returns the timed run, which returns its op count. */
  setup: () => Promise<() => Promise<number>>;
}

/** Alternates the sides (A B A B …, or A C B A C B …), `reps` runs each; returns each side's summary. */
async function interleave(emu: Emulator, reps: number, label: string, sides: Side[]): Promise<{ name: string; s: Summary }[]> {
  const samples: Sample[][] = sides.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < sides.length; i++) samples[i].push(await measure(() => emulatorCpu(emu), await sides[i].setup()));
    process.stderr.write(`  ${label} rep ${r + 1}/${reps}: ${sides.map((side, i) => `${side.name} ${fmtSample(samples[i][r])}`).join(', ')}\n`);
  }
  return sides.map((side, i) => ({ name: side.name, s: summarize(samples[i]) }));
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const BASELINE = 'baseline (node:http)';

const listName = (i: number): string => `list/${String(i).padStart(7, '0')}.txt`;

async function uploadTinyFiles(raw: RawB2Session, bucketId: string, n: number): Promise<void> {
  await raw.uploadMany(bucketId, n, 32, listName, raw.rawUpload(Buffer.from('x')));
}

async function listScenario(emu: Emulator, raw: RawB2Session, clients: { name: string; b2: B2 }[], o: Options) {
  const bucketName = `bench-list-${Date.now().toString(36)}`;
  const bucketId = await raw.createBucket(bucketName);
  process.stderr.write(`preparing: uploading ${o.files} tiny files with the raw client…\n`);
  const t0 = performance.now();
  await uploadTinyFiles(raw, bucketId, o.files);
  process.stderr.write(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const passes = async (list: () => Promise<number>): Promise<number> => {
    let n = 0;
    for (let p = 0; p < o.listPasses; p++) {
      const got = await list();
      if (got !== o.files) throw new Error(`listed ${got} files, not ${o.files}`);
      n += got;
    }
    return n;
  };
  const sides: Side[] = [];
  for (const { name, b2 } of clients) {
    const bucket: Bucket = await lastValueFrom(b2.buckets.get(bucketName));
    const run = () => passes(() => lastValueFrom(bucket.listFiles({ pageSize: o.page }).pipe(count())));
    sides.push({ name, setup: async () => run });
  }
  const base = () => passes(() => raw.listAll(bucketId, o.page));
  sides.push({ name: BASELINE, setup: async () => base });
  // Warm-up (JIT, sockets), untimed.
  for (const side of sides) await (await side.setup())();
  return interleave(emu, o.reps, 'list', sides);
}

async function uploadScenario(emu: Emulator, raw: RawB2Session, clients: { name: string; b2: B2 }[], o: Options) {
  const contents = crypto.randomBytes(o.size);
  let run = 0;
  const bucketName = () => `bench-up-${Date.now().toString(36)}-${run++}`;
  const names = (i: number) => `up/${String(i).padStart(6, '0')}.bin`;
  const rxRun = (bucket: Bucket, n: number): Promise<number> =>
    lastValueFrom(
      range(0, n).pipe(
        mergeMap((i) => bucket.uploadFile({ contents, fileName: names(i) }).pipe(toResponseBody()), o.concurrency),
        count(),
      ),
    );
  // Each run gets a fresh bucket, made before the timed window; upload URLs are fetched inside it on both sides.
  const sides: Side[] = clients.map(({ name, b2 }) => ({
    name,
    setup: async () => {
      const bucket = await lastValueFrom(b2.buckets.create(bucketName()));
      return () => rxRun(bucket, o.uploads);
    },
  }));
  sides.push({
    name: BASELINE,
    setup: async () => {
      const bucketId = await raw.createBucket(bucketName());
      return () => raw.uploadMany(bucketId, o.uploads, o.concurrency, names, raw.rawUpload(contents));
    },
  });
  // Warm-up, untimed, in one bucket each.
  const warm = Math.min(300, o.uploads);
  for (const { b2 } of clients) await rxRun(await lastValueFrom(b2.buckets.create(bucketName())), warm);
  await raw.uploadMany(await raw.createBucket(bucketName()), warm, o.concurrency, names, raw.rawUpload(contents));
  return interleave(emu, o.reps, 'upload', sides);
}

// ---------------------------------------------------------------------------------------------
// Layers: each in a fresh child process

interface LayerJob {
  emu: EmulatorInfo;
  layer: string;
  /** A bucket with at least one file, for the JSON-call layers. */
  listBucket: { id: string; name: string };
  requests: number;
  reps: number;
  size: number;
  concurrency: number;
}

/** How AxiosTransport configures axios (src/http/axios-transport.ts + platform/node.ts), with overrides. */
function transportLikeAxios(overrides: Record<string, unknown> = {}): AxiosInstance {
  return axios.create({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
    adapter: 'http',
    maxRedirects: 0,
    maxBodyLength: Infinity,
    timeout: 0,
    validateStatus: () => true,
    decompress: false,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
    headers: { 'User-Agent': 'rxb2/bench' },
    ...overrides,
  });
}

const JSON_LAYERS = ['json: node:http + JSON.parse', 'json: axios as AxiosTransport sets it up', 'json: AxiosTransport.request', 'json: B2 API (bucket.listFiles({ limit: 1 }))'];
const UPLOAD_LAYERS = [
  'upload: node:http, Buffer body',
  'upload: axios, Buffer body',
  'upload: axios, stream body, maxBodyLength Infinity (as now)',
  'upload: axios, stream body, maxBodyLength unset',
  'upload: AxiosTransport.request, stream body (as now)',
  'upload: B2 API (bucket.uploadFile)',
];

async function layerChild(job: LayerJob): Promise<{ usPerOp: number; opsPerSec: number; gcUsPerOp: number }> {
  const raw = new RawB2Session(job.emu);
  await raw.authorize();
  const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey, realm: job.emu.url });
  const url = `${raw.apiUrl}/b2api/v3/b2_list_file_names`;
  const params = { bucketId: job.listBucket.id, maxFileCount: 1 };
  const contents = crypto.randomBytes(job.size);
  let sample = 0;
  let run: (n: number) => Promise<number>;
  const sequential = (one: () => Promise<unknown>) => async (n: number) => {
    for (let i = 0; i < n; i++) await one();
    return n;
  };
  const checked = (r: { status: number; data: unknown }) => {
    if (r.status >= 400) throw new Error(`HTTP ${r.status}: ${String(r.data)}`);
    return JSON.parse(r.data as string) as unknown;
  };
  if (job.layer.startsWith('json:')) {
    const ax = transportLikeAxios();
    const transport = new AxiosTransport({ userAgent: 'rxb2/bench' });
    const bucket = await lastValueFrom(b2.buckets.get(job.listBucket.name));
    const json = JSON.stringify(params);
    run = sequential(
      [
        () => raw.call('b2_list_file_names', params),
        () => ax.request({ method: 'POST', url, data: json, headers: { Authorization: raw.token, 'Content-Type': 'application/json' }, responseType: 'text' }).then(checked),
        () =>
          lastValueFrom(
            transport.request({ method: 'POST', url, operation: 'b2_list_file_names', headers: { Authorization: raw.token }, json: params }).pipe(
              filter((e) => e.type === 'response'),
              map((e) => (e as { body: unknown }).body),
            ),
          ),
        () => lastValueFrom(bucket.listFiles({ limit: 1 })),
      ][JSON_LAYERS.indexOf(job.layer)],
    );
  } else {
    const i = UPLOAD_LAYERS.indexOf(job.layer);
    // One bucket for the layer; file names differ per sample.
    const bucketName = `bench-layer-${process.pid}`;
    const bucketId = await raw.createBucket(bucketName);
    const urls = await Promise.all(Array.from({ length: job.concurrency }, () => raw.getUploadUrl(bucketId)));
    const names = (k: number) => `s${sample}/${k}`;
    async function* once(): AsyncGenerator<Uint8Array> {
      yield contents;
    }
    const stream = () => Readable.from(once(), { objectMode: false, highWaterMark: 1 << 20 });
    const viaAxios = (ax: AxiosInstance, data: () => unknown) => (u: UploadUrl, name: string) =>
      ax.request({ method: 'POST', url: u.uploadUrl, headers: uploadHeaders(u, name, contents), data: data(), responseType: 'text' }).then(checked);
    const transport = new AxiosTransport({ userAgent: 'rxb2/bench' });
    const viaTransport = (u: UploadUrl, name: string) => {
      const headers = uploadHeaders(u, name, contents);
      delete headers['Content-Length'];
      return lastValueFrom(
        transport
          .request({ method: 'POST', url: u.uploadUrl, operation: 'b2_upload_file', headers, body: { length: contents.length, open: once, onProgress: () => undefined } })
          .pipe(
            filter((e) => e.type === 'response'),
            map((e) => (e as { body: unknown }).body),
          ),
      );
    };
    if (i === 5) {
      const bucket = await lastValueFrom(b2.buckets.get(bucketName));
      run = (n) =>
        lastValueFrom(
          range(0, n).pipe(
            mergeMap((k) => bucket.uploadFile({ contents, fileName: names(k) }).pipe(toResponseBody()), job.concurrency),
            count(),
          ),
        );
    } else {
      const send = [
        raw.rawUpload(contents),
        viaAxios(transportLikeAxios(), () => contents),
        viaAxios(transportLikeAxios(), stream),
        viaAxios(transportLikeAxios({ maxBodyLength: undefined }), stream),
        viaTransport,
      ][i];
      run = (n) => raw.uploadMany(bucketId, n, job.concurrency, names, send, urls);
    }
  }
  const wrapped = (n: number) => () => {
    sample++;
    return run(n);
  };
  await wrapped(Math.min(500, job.requests))(); // warm-up
  const samples: Sample[] = [];
  for (let r = 0; r < job.reps; r++) samples.push(await measure(undefined, wrapped(job.requests)));
  const s = summarize(samples);
  return { usPerOp: s.clientUsPerOp, opsPerSec: s.opsPerSec, gcUsPerOp: s.gcUsPerOp };
}

async function layersScenario(emu: Emulator, raw: RawB2Session, o: Options) {
  const name = `bench-layers-${Date.now().toString(36)}`;
  const id = await raw.createBucket(name);
  await uploadTinyFiles(raw, id, 10);
  const out: { name: string; usPerOp: number; opsPerSec: number; gcUsPerOp: number }[] = [];
  for (const layer of [...JSON_LAYERS, ...UPLOAD_LAYERS]) {
    const job: LayerJob = {
      emu: { url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey },
      layer,
      listBucket: { id, name },
      requests: layer.startsWith('json:') ? o.layerRequests : Math.max(o.layerRequests >> 1, 100),
      reps: o.reps,
      size: o.size,
      concurrency: o.concurrency,
    };
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--layer-child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const result = JSON.parse(await firstLine(child, `layer child "${layer}"`)) as { usPerOp: number; opsPerSec: number; gcUsPerOp: number };
    process.stderr.write(`  layer ${layer}: ${result.usPerOp.toFixed(1)} µs/op\n`);
    out.push({ name: layer, ...result });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--layer-child') {
    const result = await layerChild(JSON.parse(argv[1]) as LayerJob);
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  }
  const o = parseArgs(argv);
  const emu = await startEmulatorChild({ host: '127.0.0.1', port: 0 });
  try {
    const raw = new RawB2Session(emu);
    await raw.authorize();
    const clients = [{ name: 'rxb2', b2: new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url }) }];
    if (o.nodeTransport) {
      const transport = new NodeHttpTransport();
      clients.push({ name: 'rxb2 + NodeHttpTransport (prototype)', b2: new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url, transport }) });
    }
    for (const { b2 } of clients) await lastValueFrom(b2.authorize());

    const results: { name: string; unit: string; target: number; r: { name: string; s: Summary }[] }[] = [];
    if (o.only === 'all' || o.only === 'list') {
      const r = await listScenario(emu, raw, clients, o);
      results.push({ name: `list ${o.files} files, pages of ${o.page}`, unit: 'files/s', target: 0.8, r });
    }
    if (o.only === 'all' || o.only === 'upload') {
      const r = await uploadScenario(emu, raw, clients, o);
      results.push({ name: `upload ${o.uploads} × ${o.size} B, concurrency ${o.concurrency}`, unit: 'uploads/s', target: 0.6, r });
    }
    const layers = o.layers || o.only === 'layers' ? await layersScenario(emu, raw, o) : undefined;

    console.log(`\nrxb2 client benchmark — node ${process.version}, emulator in a child process (in memory, 127.0.0.1), ${o.reps} interleaved reps, medians\n`);
    if (results.length > 0) {
      const rows = [
        [
          'scenario',
          'side',
          'ops/s',
          'each run (ops/s)',
          'client CPU µs/op',
          'client GC µs/op',
          'major GCs/run',
          'server CPU µs/op',
          'rxb2/baseline ops/s',
          'rxb2/baseline CPU',
          'target',
          'met',
        ],
      ];
      for (const { name, unit, target, r } of results) {
        const base = r.find((x) => x.name === BASELINE)!.s;
        const each = (s: Summary) => s.runs.map((x) => x.toFixed(0)).join(' ');
        const cols = (s: Summary) => [
          `${s.opsPerSec.toFixed(0)} ${unit}`,
          each(s),
          s.clientUsPerOp.toFixed(1),
          s.gcUsPerOp.toFixed(1),
          String(s.majorGcsPerRun),
          s.serverUsPerOp.toFixed(1),
        ];
        r.forEach(({ name: side, s }, i) => {
          const ratio = s.opsPerSec / base.opsPerSec;
          const judged =
            side === BASELINE
              ? ['', '', '', '']
              : [`${ratio.toFixed(2)}×`, `${(s.clientUsPerOp / base.clientUsPerOp).toFixed(2)}×`, `≥ ${target}×`, ratio >= target ? 'yes' : 'NO'];
          rows.push([i === 0 ? name : '', side, ...cols(s), ...judged]);
        });
      }
      console.log(table(rows, 2));
      console.log(
        `\nops/s: wall clock; CPU: process.cpuUsage (user+system) per file listed / per upload, client and emulator; GC: PerformanceObserver('gc').` +
          `\nA listing run lists the bucket ${o.listPasses}×. rxb2/baseline CPU > 1 means rxb2 spends more.`,
      );
    }
    if (layers) {
      console.log(
        `\nPer layer, each in a fresh process: JSON = b2_list_file_names (maxFileCount 1), sequential, ${o.layerRequests} calls; upload = ${o.size} B at concurrency ${o.concurrency}, ${Math.max(o.layerRequests >> 1, 100)} uploads; ${o.reps} reps, medians\n`,
      );
      const rows = [['layer', 'client CPU µs/op', '+ over node:http', 'client GC µs/op', 'ops/s']];
      for (const group of [JSON_LAYERS, UPLOAD_LAYERS]) {
        const ls = layers.filter((l) => group.includes(l.name));
        for (const l of ls) rows.push([l.name, l.usPerOp.toFixed(1), (l.usPerOp - ls[0].usPerOp).toFixed(1), l.gcUsPerOp.toFixed(1), l.opsPerSec.toFixed(0)]);
      }
      console.log(table(rows));
    }
  } finally {
    agent.destroy();
    protoAgent.destroy();
    await emu.stop();
  }
  // Keep-alive sockets of the rxb2 transport would hold the process open.
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
