#!/usr/bin/env bash
# Install what the project needs on a fresh machine: pipenv and uv, the locked Python packages
# (in ./.venv, installed by uv from Pipfile.lock), the pinned cdktf CLI and Swagger UI (in ./node_modules) and the functions' runtime
# (Python 3.12 with Lambda's boto3 and the layer's Powertools, in ./.venv-lambda-3.12). Safe to
# run again.
#
# What a person sees: one line per step, with what it installed and how long it took, and a sign
# of life while steps run (in a terminal one line redrawn every second; in a pipe or CI a plain
# line every INSTALL_PULSE_EVERY seconds, 30 by default). Every step's full output goes to
# .localcloud/install.log; a failure shows the step's last lines and points there. Plain bash:
# it runs before the virtualenv (and the display library in it) exists.
set -euo pipefail
# It takes no arguments: any is a mistake, refused before anything runs.
[ $# -eq 0 ] || { printf 'usage: %s\n%s: error: unrecognized arguments: %s\n' "$0" "$0" "$*" >&2; exit 2; }
cd "$(dirname "$0")/.."

LOG=.localcloud/install.log
PULSE_EVERY=${INSTALL_PULSE_EVERY:-30}
mkdir -p .localcloud
: >"$LOG"
echo "install: each step's full output goes to $LOG"
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_VERBOSITY=-1

declare -A PID=() NAME=() START=()
SHOWN=0  # the width of the terminal's sign of life, to blank it before a line

begin() {  # begin <step> <what it installs> <command...>: run a step in the background
  local step=$1
  NAME[$step]=$2
  shift 2
  "$@" >".localcloud/install-$step.out" 2>&1 &
  PID[$step]=$!
  START[$step]=$SECONDS
}

unpulse() {  # blank the terminal's sign of life, so that a line can take its place
  if [ "$SHOWN" -gt 0 ]; then
    printf '\r%*s\r' "$SHOWN" ''
    SHOWN=0
  fi
}

settle() {  # settle <step>: a step has ended; say how, keep its output in the log
  local step=$1 status=0 took
  wait "${PID[$step]}" || status=$?
  took=$((SECONDS - START[$step]))
  unset "PID[$step]"
  {
    echo "=== ${NAME[$step]}: exit status $status after ${took} s"
    cat ".localcloud/install-$step.out"
  } >>"$LOG"
  unpulse
  if [ "$status" -ne 0 ]; then
    echo "install: ${NAME[$step]} FAILED after ${took} s (exit status $status); its last lines:"
    tail -n 20 ".localcloud/install-$step.out" | sed 's/^/    /'
    echo "install: the full output is in $LOG"
    for other in "${!PID[@]}"; do kill "${PID[$other]}" 2>/dev/null || true; done
    rm -f ".localcloud/install-$step.out"
    exit 1
  fi
  rm -f ".localcloud/install-$step.out"
  echo "install: ${NAME[$step]} in ${took} s"
}

pulse() {  # pulse <since>: the sign of life, naming what still runs
  local running="" step line
  for step in "${!PID[@]}"; do running="${running:+$running, }$step"; done
  line="install: $running ... $((SECONDS - $1)) s"
  if [ -t 1 ]; then
    unpulse
    printf '%s' "$line"
    SHOWN=${#line}
  else
    echo "$line"
  fi
}

finish() {  # wait for every step begun: a line as each ends, a sign of life meanwhile
  local since=$SECONDS last=$SECONDS step
  while [ "${#PID[@]}" -gt 0 ]; do
    for step in "${!PID[@]}"; do
      kill -0 "${PID[$step]}" 2>/dev/null || settle "$step"
    done
    [ "${#PID[@]}" -gt 0 ] || break
    if [ -t 1 ] || [ $((SECONDS - last)) -ge "$PULSE_EVERY" ]; then
      pulse "$since"
      last=$SECONDS
    fi
    sleep 1
  done
}

# pipenv runs the app (cdktf.json) and keeps Pipfile.lock; uv installs from that lock, several
# times faster than pipenv sync (137 s here).
if ! { python3 -m pipenv --version && python3 -m uv --version; } >/dev/null 2>&1; then
  begin tools "pipenv and uv (pip install)" \
    python3 -m pip install --quiet --disable-pip-version-check pipenv uv
  finish
fi
python_packages() {  # what pipenv sync --dev installs: the same pins and hashes, no resolving
  python3 scripts/lock_requirements.py --output .localcloud/requirements.txt
  if [ ! -x .venv/bin/python ]; then
    python3 -m uv venv --seed --python "$(python3 -c 'import sys; print(sys.executable)')" .venv
  fi
  python3 -m uv pip install --python .venv/bin/python --require-hashes --no-deps \
    -r .localcloud/requirements.txt
}
# The installs share nothing: the cdktf CLI's and the functions' runtime's (which does nothing
# when it already holds what it should) run beside the Python packages'.
begin "node packages" "cdktf CLI and Swagger UI into node_modules (npm ci, package-lock.json)" \
  npm ci --no-audit --no-fund --loglevel=error
begin "python packages" "Python packages into .venv (uv, Pipfile.lock's pins and hashes)" \
  python_packages
begin runtime "the functions' Python 3.12 with Lambda's boto3 into .venv-lambda-3.12" \
  python3 -m localcloud.lambdas.runtimes
finish
