#!/usr/bin/env node
/**
 * Bundles the emulator's console page script (src/emulator/console/page.ts, with rxb2's browser
 * build: src/platform mapped to src/platform/browser.ts, as package.json's `browser` field does)
 * into `<dir>/bundle.js`, a module whose default export is the script's text: the emulator serves
 * it at /console/app.js. `npm run build` writes dist/src/emulator/console (CommonJS);
 * .ci/build-package.mjs writes lib/cjs and lib/esm.
 *
 * Usage: node .ci/console-bundle.mjs OUT_DIR cjs|esm
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The page script's code. */
export async function bundleConsole() {
  const platformDir = join(root, 'src/platform');
  const targets = new Set([platformDir, join(platformDir, 'index'), join(platformDir, 'index.ts')]);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/emulator/console/page.ts')],
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
          b.onResolve({ filter: /platform(\/index(\.ts)?)?$/ }, (args) => {
            if (!args.path.startsWith('.')) return undefined;
            return targets.has(resolve(args.resolveDir, args.path)) ? { path: join(platformDir, 'browser.ts') } : undefined;
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
