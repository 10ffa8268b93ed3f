#!/usr/bin/env bash
# What `npm run bench` needs besides rxb2: the peers it measures rxb2 against.
#   - Debian: python3-b2sdk (Backblaze's SDK, for /usr/bin/python3), rclone, time (GNU time(1),
#     for rclone's CPU and peak RSS); installed with apt when missing.
#   - npm: backblaze-b2 (a devDependency): `npm ci` when node_modules lacks it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/install-debian-packages.sh python3-b2sdk rclone time
if ! node -e "require.resolve('backblaze-b2'); require.resolve('typescript/package.json')" 2>/dev/null; then
  npm ci --no-audit --no-fund
fi
