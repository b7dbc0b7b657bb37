#!/usr/bin/env bash
# The README's main command: set up whatever is missing, then run the end-to-end demo on embedded defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node bin/praxi.js demo "$@"
