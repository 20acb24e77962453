#!/usr/bin/env bash
# The README's main command: install, then bring the API up on the local cloud: the
# ecommerce-local stack deployed by `cdktf deploy` onto an embedded AWS emulator, its functions
# served over HTTP. Ctrl-C tears everything down. Options: see `python -m localcloud --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
exec python -m localcloud "$@"
