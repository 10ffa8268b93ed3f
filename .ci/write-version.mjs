#!/usr/bin/env node
/**
 * Writes src/version.ts from package.json's "version", so the CLI (`rxb2 --version`) and the
 * client's User-Agent carry the version being built. Run by `npm run build` and `npm run build:package`;
 * the file is committed too, so a bare `tsc` works, and it is rewritten only when it differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (typeof version !== 'string' || !/^\d+\.\d+\.\d+/.test(version)) throw new Error(`package.json version ${JSON.stringify(version)} is not semver`);
const file = join(root, 'src', 'version.ts');
const text = `/** rxb2's version: package.json's, written here by .ci/write-version.mjs at build time. */\n` + `export const VERSION = '${version}';\n`;
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch {
  // Not written yet.
}
if (current !== text) writeFileSync(file, text);
