#!/usr/bin/env bash
# Installs everything praxi needs on a fresh Debian bookworm machine (idempotent, quiet when done already):
# Debian packages (Docker engine, Distribution registry, busybox, debootstrap, htpasswd, zstd),
# the pinned Temporal CLI and MinIO into tools/, and the npm packages (which also builds dist/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(docker.io docker-registry busybox-static debootstrap apache2-utils zstd ca-certificates)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/install-temporal.sh
bash scripts/install-minio.sh

# npm ci when node_modules is missing or older than the lock file; `prepare` builds dist/.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi
