/**
 * What runs rxb2 in Debian's Chromium, shared by spec/browser/browser.spec.ts and
 * bench/browser.ts: the esbuild bundle of a page script (src/index.ts with the platform mapped to
 * src/platform/browser.ts and the transport's axios options to src/http/browser-axios.ts), a page server on 127.0.0.1, and Chromium's path and flags.
 */
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Swaps in the browser's modules as package.json's `browser` field does for the published files,
 * read from that field: src/platform/index.ts (which picks Node) becomes src/platform/browser.ts,
 * src/http/node-axios.ts becomes src/http/browser-axios.ts.
 */
export function browserPlatform(): Plugin {
  const browserField = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { browser: Record<string, string> }).browser;
  const source = (file: string) => path.join(ROOT, 'src', file.replace(/^\.\/lib\/cjs\//, '').replace(/\.js$/, '.ts'));
  const swaps = new Map(
    Object.entries(browserField)
      .filter(([from]) => from.startsWith('./lib/cjs/'))
      .map(([from, to]) => [source(from), source(to)]),
  );
  return {
    name: 'rxb2-browser-platform',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        const swapped = [target, `${target}.ts`, path.join(target, 'index.ts')].map((candidate) => swaps.get(candidate)).find((to) => to !== undefined);
        return swapped ? { path: swapped } : undefined;
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
