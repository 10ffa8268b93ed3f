/**
 * What runs rxb2 in Debian's Chromium, shared by spec/browser/browser.spec.ts and
 * bench/browser.ts: the esbuild bundle of a page script (src/index.ts with the platform mapped to
 * src/platform/browser.ts), a page server on 127.0.0.1, and Chromium's path and flags.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

/** The repository: specs and benchmarks run compiled from dist/. */
export const ROOT = [path.resolve(__dirname, '../../..'), path.resolve(__dirname, '../..')].find((dir) => existsSync(path.join(dir, 'src/index.ts')))!;
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set by CI: browser specs then fail instead of going pending when Chromium or a dependency is missing. */
export const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Maps the core's `../platform` (src/platform/index.ts, which picks Node) to src/platform/browser.ts, as package.json's `browser` field does for the published files. */
export function browserPlatform(): Plugin {
  const platformDir = path.join(ROOT, 'src/platform');
  const targets = new Set([platformDir, path.join(platformDir, 'index'), path.join(platformDir, 'index.ts')]);
  return {
    name: 'rxb2-browser-platform',
    setup(b) {
      b.onResolve({ filter: /platform(\/index(\.ts)?)?$/ }, (args) => {
        if (!args.path.startsWith('.')) return undefined;
        return targets.has(path.resolve(args.resolveDir, args.path)) ? { path: path.join(platformDir, 'browser.ts') } : undefined;
      });
    },
  };
}

/** The script `entry` (relative to the repository) bundled for the browser: one IIFE for a page (or ESM), with an inline source map unless `sourcemap` is false. */
export async function bundle(entry: string, options: { sourcemap?: boolean; minify?: boolean; format?: 'iife' | 'esm' } = {}): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'browser',
    format: options.format ?? 'iife',
    target: 'es2022',
    write: false,
    metafile: true,
    sourcemap: options.sourcemap === false ? false : 'inline',
    minify: options.minify ?? false,
    logLevel: 'silent',
    plugins: [browserPlatform()],
  });
  return { code: result.outputFiles[0].text, metafile: result.metafile };
}

/**
 * A page loading `/bundle.js` (`code`), on 127.0.0.1 (its own port, so another origin than the
 * emulator); at `/no-wasm` the same page under a Content-Security-Policy that allows its own
 * scripts but no WebAssembly (no 'wasm-unsafe-eval'), as some sites have.
 */
export async function servePage(code: string, title = 'rxb2 browser test'): Promise<{ origin: string; close: () => Promise<void> }> {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><script src="/bundle.js"></script>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
    else if (url.pathname === '/no-wasm') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "script-src 'self'" }).end(html);
    else if (url.pathname === '/bundle.js') res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(code);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
