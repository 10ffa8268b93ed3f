#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet (apt-get update
# first, only when something is missing). Needs root or passwordless sudo when it must install.
# Used by .ci/run (interop clients, chromium) and bench/install-peers.sh (the benchmark's peers).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
fi

installed() {
  local status
  status="$(dpkg -s "$1" 2>/dev/null || true)"
  [[ $'\n'"$status"$'\n' == *$'\nStatus: install ok installed\n'* ]]
}

missing=()
for pkg in "$@"; do
  installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "packages: $* already installed"
  exit 0
fi
echo "packages: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
  echo "packages: need root (or passwordless sudo) to install ${missing[*]}" >&2
  exit 1
fi
"${SUDO[@]}" apt-get update </dev/null
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
