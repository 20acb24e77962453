#!/usr/bin/env bash
# The README's main command: install (only what the locks say changed), then bring the API up on
# the local cloud: the ecommerce-local stack deployed by `cdktf deploy` onto an embedded AWS
# emulator, its functions served over HTTP. Ctrl-C tears everything down. Options: see
# `python -m localcloud --help` (e.g. --watch: redeploy what you save).
set -euo pipefail
cd "$(dirname "$0")/.."
# scripts/bootstrap.sh (uv, npm ci) takes a while even when nothing changed.
if ! python3 scripts/installed.py; then
  bash scripts/bootstrap.sh
fi
source scripts/env.sh
exec python -m localcloud "$@"
