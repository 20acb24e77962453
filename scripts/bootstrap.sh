#!/usr/bin/env bash
# Install what the project needs on a fresh machine: pipenv, the locked Python packages (in
# ./.venv), the pinned cdktf CLI (in ./node_modules) and the functions' runtime (Python 3.12 with
# Lambda's boto3 and the layer's Powertools, in ./.venv-lambda-3.12). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m pipenv --version >/dev/null 2>&1; then
  echo "==> installing pipenv"
  python3 -m pip install --quiet --disable-pip-version-check pipenv
fi
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_VERBOSITY=-1
# The installs share nothing: the cdktf CLI's and the functions' runtime's (skipped when it holds
# what it should) run beside the Python packages'.
echo "==> cdktf CLI (package-lock.json) and python packages (Pipfile.lock)"
npm_log=$(mktemp) runtime_log=$(mktemp)
npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1 &
npm_pid=$!
python3 -m localcloud.runtimes >"$runtime_log" 2>&1 &
runtime_pid=$!
python3 -m pipenv sync --dev >/dev/null
wait "$npm_pid" || { cat "$npm_log"; exit 1; }
wait "$runtime_pid" || { cat "$runtime_log"; exit 1; }
grep '^==>' "$runtime_log" || true
