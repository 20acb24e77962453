#!/usr/bin/env bash
# The README's main command: install, then synthesize every environment into cdktf.out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
cdktf synth "$@"
