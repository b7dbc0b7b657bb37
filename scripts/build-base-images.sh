#!/usr/bin/env bash
# Builds the local base images training-data collection installs on (nothing is pulled from a hub):
# a Debian bookworm minbase root file system from debootstrap (the host's apt mirror), imported into
# the Docker engine, plus Python, Node and apt-lists images made from it. Each layer built is recorded
# as a negative sample in the collection store. Needs root, debootstrap, and a running Docker engine.
#   bash scripts/build-base-images.sh [SCRATCH_DIR]   (default /work/scratch; images: praxi-collect/*)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${1:-${PRAXI_COLLECT_SCRATCH:-/work/scratch}}"
[ -f dist/activities/collect/collect-dataset.js ] || npx tsc -p .
exec node dist/activities/collect/collect-dataset.js --base-images-only --scratch "$SCRATCH"
