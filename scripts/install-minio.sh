#!/usr/bin/env bash
# Builds the pinned MinIO server into tools/ through the Go module proxy (idempotent). The test harness
# uses it as the S3-compatible object store: see README "Object store" for why MinIO over s3rver.
# A cold build takes about 4 minutes on 2 cores; the Go build cache makes later runs instant.
set -euo pipefail
VERSION="${PRAXI_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/tools"
BIN="$DEST/minio"
STAMP="$DEST/minio.version"

if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  echo "minio $VERSION already in $BIN"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "error: Go is needed to build MinIO (go install)" >&2; exit 1; }
mkdir -p "$DEST"
echo "building minio $VERSION with go install (a few minutes the first time)"
GOBIN="$DEST" GOFLAGS=-mod=mod go install "github.com/minio/minio@$VERSION"
echo "$VERSION" > "$STAMP"
"$BIN" --version | head -n1
