#!/usr/bin/env bash
# Debian's Chromium, for the browser test of the API reference page
# (tests/localcloud/gateway/test_docs.py), and tmux, the terminal in which the start and the install
# are tested as a person sees them (tests/localcloud/deploy/test_progress_display.py,
# tests/scripts/test_bootstrap.py). Installs only what is missing; scripts/test.sh runs this in
# the background while the first phases run.
set -euo pipefail
# It takes no arguments: any is a mistake, refused before anything runs.
[ $# -eq 0 ] || { printf 'usage: %s\n%s: error: unrecognized arguments: %s\n' "$0" "$0" "$*" >&2; exit 2; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tmux >/dev/null || missing+=(tmux)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "chromium, tmux: already installed"
  exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
"${sudo[@]}" apt-get update -qq
# No recommends: 25 packages instead of 130 (and no upgrade of the machine's own packages).
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "${missing[*]}: installed in $((SECONDS - start))s"
