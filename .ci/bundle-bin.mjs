#!/usr/bin/env node
/**
 * Bundles the `rxb2` command (src/cli/rxb2.ts) into one CommonJS file, the package's `rxb2` bin: Node
 * then reads and compiles one file at start-up instead of ~400 (rxjs alone is 223 CommonJS modules),
 * which halves the CPU time of loading the client. rxjs comes from its ES module build, so what
 * the command never uses is left out.
 *
 * Left outside the bundle, loaded from the package when a command needs them: the emulator
 * (`rxb2 emulator`: `../emulator/*`, which also serves its console page from console/bundle.js
 * beside it), and axios (only behind a proxy: see src/http/axios-transport.ts). So the bundle is
 * written into the cli/ folder of a build, where those paths resolve: `lib/cjs/cli/rxb2-bin.js`
 * (.ci/build-package.mjs, package.json `bin`) or `dist/src/cli/rxb2-bin.js` (`npm run bench:sync`).
 *
 * Usage: node .ci/bundle-bin.mjs OUT_FILE   (e.g. dist/src/cli/rxb2-bin.js)
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'rxb2.ts');
/** How a module of src/ runs itself when it is the program. */
const GUARD = 'require.main === module';

/** Writes the bundled `rxb2` command to `outfile` (in the cli/ folder of a build of src/). */
export async function bundleBin(outfile) {
  if (!(await readFile(entry, 'utf8')).includes(GUARD)) throw new Error(`${entry} no longer runs itself with ${GUARD}: update .ci/bundle-bin.mjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    // Neutral, not node: packages' ES module builds (rxjs' "es2015" entry) instead of their
    // CommonJS ones, for tree shaking; Node's built-ins are left to Node.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['es2015'],
    format: 'cjs',
    target: 'node20',
    external: [...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'axios'],
    legalComments: 'none',
    logLevel: 'error',
    plugins: [
      {
        name: 'rxb2-bin-one-program',
        setup(b) {
          // In one file every module's "run as a program" guard (`require.main === module`) holds:
          // only the entry's may (src/cli/rxb2-emulator.ts, bundled for its flags, is a program of its own).
          b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
            if (args.path === entry) return undefined;
            const text = await readFile(args.path, 'utf8');
            return text.includes(GUARD) ? { contents: text.replaceAll(GUARD, 'false'), loader: 'ts' } : undefined;
          });
        },
      },
      {
        name: 'rxb2-bin-externals',
        setup(b) {
          // The emulator stays a file of the build, required from beside this bundle when `rxb2 emulator` runs.
          b.onResolve({ filter: /^\.\.\/emulator(\/|$)/ }, (args) =>
            args.resolveDir === join(root, 'src', 'cli')
              ? { path: `${args.path.replace(/\/index$/, '')}${args.path.endsWith('/index') ? '/index.js' : '.js'}`, external: true }
              : undefined,
          );
        },
      },
    ],
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node .ci/bundle-bin.mjs OUT_FILE\n');
    process.exit(2);
  }
  await bundleBin(resolve(out));
}
