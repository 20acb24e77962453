#!/usr/bin/env bash
# Install what the project needs on a fresh machine: pipenv, the locked Python packages (in
# ./.venv) and the pinned cdktf CLI (in ./node_modules). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m pipenv --version >/dev/null 2>&1; then
  echo "==> installing pipenv"
  python3 -m pip install --quiet --disable-pip-version-check pipenv
fi
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_VERBOSITY=-1
echo "==> python packages (Pipfile.lock)"
python3 -m pipenv sync --dev >/dev/null
echo "==> cdktf CLI (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
