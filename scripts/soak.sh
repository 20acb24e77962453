#!/usr/bin/env bash
# The local cloud up and down N times (default 2), as a script or a supervisor runs it: each cycle
# starts it in the background, checks the outputs and the API's basic calls, sends SIGINT to its
# process group (Ctrl-C) and checks that nothing is left (processes, ports, .localcloud/state).
# Prints the times per cycle and a summary; exits 1 if a cycle failed. Logs: .localcloud-soak/.
#   ./scripts/soak.sh 10            # more options: see python -m localcloud.tools.soak --help
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 scripts/installed.py; then
  echo "soak: install first (./scripts/up.sh or scripts/bootstrap.sh)" >&2
  exit 1
fi
source scripts/env.sh
exec python -m localcloud.tools.soak "$@"
