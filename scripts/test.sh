#!/usr/bin/env bash
# The README's test command: set up whatever is missing, then run the whole suite against real services.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npm test -- "$@"
