#!/usr/bin/env node
// Makes node_modules/rxb2 this repository's build of rxb2: a folder with rxb2's package.json and a
// link to ../../lib (built by `node ../../.ci/build-package.mjs`). A folder rather than a link to
// the repository, so that the app's bundle resolves rxjs and @angular/* from this app's
// node_modules only (angular.json sets preserveSymlinks), never a second copy from the repository's.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(here, '..', '..');
if (!existsSync(join(repo, 'lib', 'esm', 'index.js'))) {
  console.error('rxb2 is not built: run node ../../.ci/build-package.mjs (npm run build does)');
  process.exit(1);
}
const target = join(here, 'node_modules', 'rxb2');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
delete manifest.scripts;
delete manifest.devDependencies;
writeFileSync(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
symlinkSync(relative(target, join(repo, 'lib')), join(target, 'lib'), 'dir');
