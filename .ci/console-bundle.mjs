#!/usr/bin/env node
/**
 * Bundles the emulator's console page script (src/console/page.ts, with rxb2's browser
 * build: src/platform mapped to src/platform/browser.ts and src/http/node-axios.ts to
 * src/http/browser-axios.ts, as package.json's `browser` field does)
 * into `<dir>/bundle.js`, a module whose default export is the script's text: the emulator serves
 * it at /console/app.js. `npm run build` writes dist/src/emulator/console (CommonJS);
 * .ci/build-package.mjs writes lib/cjs and lib/esm.
 *
 * Usage: node .ci/console-bundle.mjs OUT_DIR cjs|esm
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The page script's code. */
export async function bundleConsole() {
  // package.json `browser` (./lib/cjs/platform/index.js -> ./lib/cjs/platform/browser.js…), read as the sources it was built from.
  const source = (file) => join(root, 'src', file.replace(/^\.\/lib\/cjs\//, '').replace(/\.js$/, '.ts'));
  const browserField = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).browser;
  const swaps = new Map(
    Object.entries(browserField)
      .filter(([from]) => from.startsWith('./lib/cjs/'))
      .map(([from, to]) => [source(from), source(to)]),
  );
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/console/page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'rxb2-browser-platform',
        setup(b) {
          b.onResolve({ filter: /^\./ }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            const swapped = [target, `${target}.ts`, join(target, 'index.ts')].map((candidate) => swaps.get(candidate)).find((to) => to !== undefined);
            return swapped ? { path: swapped } : undefined;
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** Writes `dir/bundle.js` (and its .d.ts) exporting the code as the module's default. */
export async function writeConsoleBundle(dir, format) {
  const code = JSON.stringify(await bundleConsole());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bundle.js'), format === 'esm' ? `export default ${code};\n` : `module.exports = ${code};\n`);
  writeFileSync(join(dir, 'bundle.d.ts'), 'declare const code: string;\nexport default code;\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, format = 'cjs'] = process.argv.slice(2);
  if (!dir || !['cjs', 'esm'].includes(format)) {
    process.stderr.write('usage: node .ci/console-bundle.mjs OUT_DIR cjs|esm\n');
    process.exit(2);
  }
  await writeConsoleBundle(resolve(dir), format);
}
