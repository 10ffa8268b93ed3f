/**
 * axios is loaded only when a request needs it: in Node without proxy variables the transport
 * sends through its own node:http adapter and never loads axios (~40 ms of start-up with its
 * dependencies); behind a proxy it loads axios with the first request and goes through axios' own
 * adapter. Each case runs in a fresh Node process (this one has axios loaded by other specs), which
 * sends one real request to a local node:http server on 127.0.0.1 and reports what it loaded.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/** rxb2's built sources, seen from dist/spec/http. */
const SRC = resolve(__dirname, '../../src');

/** Sends one JSON call and one streamed GET through a new AxiosTransport, then prints what came back and whether axios was loaded. */
const CHILD = `
const { lastValueFrom, toArray } = require('rxjs');
const { AxiosTransport } = require(process.argv[1]);
const axiosLoaded = () => Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/]axios[\\\\/]/.test(file));
(async () => {
  const loadedAtStart = axiosLoaded();
  const transport = new AxiosTransport({ userAgent: 'lazy-spec' });
  const events = await lastValueFrom(transport.request({ method: 'POST', url: process.argv[2] + '/b2api/v3/b2_echo', operation: 'b2_echo', json: { n: 1 } }).pipe(toArray()));
  const failure = await lastValueFrom(transport.request({ method: 'GET', url: process.argv[2] + '/b2api/v3/b2_missing', operation: 'b2_missing' })).catch((err) => err);
  console.log(JSON.stringify({ loadedAtStart, types: events.map((e) => e.type), body: events.at(-1).body, failure: { name: failure.name, code: failure.code, status: failure.status }, axiosLoaded: axiosLoaded() }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

interface ChildReport {
  loadedAtStart: boolean;
  types: string[];
  body: { url: string; userAgent: string; json: unknown };
  failure: { name: string; code: string; status: number };
  axiosLoaded: boolean;
}

describe('AxiosTransport loads axios only when a request needs it', () => {
  let server: http.Server;
  let origin: string;

  beforeAll(async () => {
    // Answers as B2 and as a forward proxy would: echoes the request line it got (a proxy gets the whole URL).
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        if ((req.url ?? '').endsWith('/b2_missing')) {
          res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"status":404,"code":"not_found","message":"no such thing"}');
          return;
        }
        const body = { url: req.url, userAgent: req.headers['user-agent'], json: text ? (JSON.parse(text) as unknown) : null };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  /** Runs the child with the proxy variables of `proxy` only. */
  function child(proxy: Record<string, string>): Promise<ChildReport> {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!/^(https?|no|all)_proxy$/i.test(name)) env[name] = value;
    return new Promise((done, fail) =>
      execFile(process.execPath, ['-e', CHILD, SRC, origin], { env: { ...env, ...proxy }, timeout: 30_000 }, (err, stdout, stderr) =>
        err ? fail(new Error(`${err.message}\n${stderr}`)) : done(JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport),
      ),
    );
  }

  it('in Node without proxy variables, never: requests go through the node:http adapter, answers and B2Errors as always', async () => {
    const report = await child({});
    expect(report.loadedAtStart).toBeFalse();
    expect(report.types).toEqual(['sent', 'responseHeader', 'response']);
    expect(report.body).toEqual({ url: '/b2api/v3/b2_echo', userAgent: 'lazy-spec', json: { n: 1 } });
    expect(report.failure).toEqual({ name: 'B2Error', code: 'not_found', status: 404 });
    expect(report.axiosLoaded).toBeFalse();
  });

  it('behind a proxy, with the first request: it goes through axios to the proxy', async () => {
    const report = await child({ HTTP_PROXY: origin });
    expect(report.loadedAtStart).toBeFalse();
    expect(report.types).toEqual(['sent', 'responseHeader', 'response']);
    // A forward proxy is sent the whole URL.
    expect(report.body).toEqual({ url: `${origin}/b2api/v3/b2_echo`, userAgent: 'lazy-spec', json: { n: 1 } });
    expect(report.failure).toEqual({ name: 'B2Error', code: 'not_found', status: 404 });
    expect(report.axiosLoaded).toBeTrue();
  });
});
