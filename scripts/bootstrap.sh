#!/usr/bin/env bash
# Install what the project needs on a fresh machine: pipenv, the locked Python packages (in
# ./.venv) and the pinned cdktf CLI (in ./node_modules). Safe to run again.
set -euo pipefail
# It takes no arguments: any is a mistake, refused before anything runs.
[ $# -eq 0 ] || { printf 'usage: %s\n%s: error: unrecognized arguments: %s\n' "$0" "$0" "$*" >&2; exit 2; }
cd "$(dirname "$0")/.."

if ! python3 -m pipenv --version >/dev/null 2>&1; then
  echo "==> installing pipenv"
  python3 -m pip install --quiet --disable-pip-version-check pipenv
fi
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_VERBOSITY=-1
# The two installs share nothing: the cdktf CLI's runs beside the Python packages'.
echo "==> cdktf CLI (package-lock.json) and python packages (Pipfile.lock)"
npm_log=$(mktemp)
npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1 &
npm_pid=$!
python3 -m pipenv sync --dev >/dev/null
wait "$npm_pid" || { cat "$npm_log"; exit 1; }
