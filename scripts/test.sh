#!/usr/bin/env bash
# The README's test command: install, then every gate CI runs, phase by phase with timings.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -a TIMINGS=()
phase() {  # phase <name> <command...>
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  "$@"
  TIMINGS+=("$(printf '%-12s %4ss' "$name" $((SECONDS - start)))")
}
report() {
  echo
  echo "=== timings"
  printf '%s\n' "${TIMINGS[@]}"
}
trap report EXIT

phase install bash scripts/bootstrap.sh
source scripts/env.sh

lint() {
  ruff check .
  ruff format --check .
  pylint --fail-under=10 stacks handlers main.py
}
phase lint lint
phase unit pytest tests/unit -q --cov=stacks --cov-branch --cov-fail-under=100

phase handlers pytest tests/handlers -q -n 2 --cov=handlers --cov-branch --cov-fail-under=100
