#!/usr/bin/env bash
# Every benchmark, one command: ./bench/run.sh [--quick] [--unit-tests] [--no-localcloud]
# Prints each table and writes bench/results/*.json. Needs the project installed (./scripts/up.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
exec pipenv run python -m bench "$@"
