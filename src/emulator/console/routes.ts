/**
 * The console page's server side: `GET /` (the page), `GET /console/app.js` (the page's script: rxb2's
 * own browser build, bundled at build time) and `GET /console/state` (the fault plan, the recent
 * request log and, on a loopback address, the master key so the page signs in by itself).
 * The page talks to the emulator's B2 API like any browser app; these routes only feed it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultRule } from '../options';

/** One answered request, as the console's live log shows it. */
export interface LoggedRequest {
  n: number;
  /** ISO time the request arrived. */
  at: string;
  method: string;
  /** The B2 call, or the path for other URLs. */
  call: string;
  status: number;
  ms: number;
}

/** The recent requests (a ring of the last `size`). */
export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private next = 1;

  constructor(private readonly size = 200) {}

  add(entry: Omit<LoggedRequest, 'n'>): void {
    this.entries.push({ n: this.next++, ...entry });
    if (this.entries.length > this.size) this.entries.shift();
  }

  after(n: number): LoggedRequest[] {
    return this.entries.filter((e) => e.n > n);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export interface ConsoleSource {
  keyId: string;
  applicationKey: string;
  /** Whether the emulator listens on a loopback address only (then the page gets the key). */
  loopback: boolean;
  faults(): Array<FaultRule & { fired: number }>;
  injected(): Record<string, number>;
  log: RequestLog;
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** Whether an address the server listens on is a loopback one. */
export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost' || address === '::ffff:127.0.0.1';
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rxb2 emulator</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d232b; background: #f6f7f9; }
  body { margin: 0; }
  header { background: #1d232b; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .where { opacity: .75; font-size: 13px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 14px; margin-bottom: 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  h3 { font-size: 14px; margin: 14px 0 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
  td.num { text-align: right; white-space: nowrap; }
  td.sha1, td.mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
  tr.older td { color: #6b7580; }
  .drop { border: 2px dashed #9aa5b1; border-radius: 6px; padding: 14px; text-align: center; color: #4b5561; margin: 8px 0; }
  .drop.over { border-color: #2f6fde; background: #eef4ff; }
  progress { width: 100%; }
  .muted { color: #6b7580; font-size: 13px; }
  .error { color: #b3261e; }
  form.signin { display: flex; gap: 8px; flex-wrap: wrap; }
  form.signin input { font: inherit; padding: 4px 6px; min-width: 260px; }
  #log { max-height: 420px; overflow: auto; }
</style>
</head>
<body>
<header><h1>rxb2 emulator</h1><span class="where" id="where"></span></header>
<main>
  <div>
    <section id="signin" hidden>
      <h2>Sign in</h2>
      <p class="muted">This emulator does not listen on a loopback address: enter its key.</p>
      <form class="signin" id="signin-form">
        <input id="key-id" placeholder="key id" autocomplete="username">
        <input id="key" type="password" placeholder="application key" autocomplete="current-password">
        <button type="submit">Sign in</button>
      </form>
    </section>
    <section id="files-section"><h2>Buckets and files</h2><div id="buckets" class="muted">Loading…</div></section>
  </div>
  <div>
    <section><h2>Fault plan</h2><div id="faults" class="muted">Loading…</div></section>
    <section><h2>Requests</h2><div id="log"></div></section>
  </div>
</main>
<script src="/console/app.js"></script>
</body>
</html>
`;

/**
 * Serves the console's routes; returns false for any other request. `bundle` loads the page's
 * script (built by .ci/console-bundle.mjs; missing in a bare `tsc` build: the page then says so).
 */
export function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  source: ConsoleSource,
  bundle: () => Promise<string | undefined>,
): boolean | Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  if (path === '/') {
    res.writeHead(200, {
      ...common,
      'Content-Type': 'text/html; charset=utf-8',
      // Only this page's own script; names are shown as text, never as markup.
      'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:",
    });
    res.end(req.method === 'HEAD' ? undefined : PAGE);
    return true;
  }
  if (path === '/favicon.ico') {
    res.writeHead(204, common);
    res.end();
    return true;
  }
  if (path === '/console/app.js') {
    return bundle().then((code) => {
      const body = code ?? `document.getElementById('buckets').textContent = 'The console script was not built: run npm run build.';`;
      res.writeHead(200, { ...common, 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    });
  }
  if (path === '/console/state') {
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const after = Number(query.get('after') ?? 0) || 0;
    // The key only to a page this machine opened by a loopback name (a rebound DNS name gets none).
    const host = req.headers.host ?? '';
    const giveKey = source.loopback && LOOPBACK_HOSTS.test(host);
    const body = JSON.stringify({
      keyId: giveKey ? source.keyId : null,
      applicationKey: giveKey ? source.applicationKey : null,
      faults: source.faults().map((r) => ({ ...r, times: r.times === Infinity ? null : (r.times ?? 1) })),
      injected: source.injected(),
      log: source.log.after(after),
    });
    res.writeHead(200, { ...common, 'Content-Type': 'application/json; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
  return false;
}
