#!/usr/bin/env bash
# Debian's Chromium, for the browser test of the API reference page
# (tests/localcloud/test_docs_page.py). Installs it only when it is missing; scripts/test.sh runs
# this in the background while the first phases run.
set -euo pipefail
# It takes no arguments: any is a mistake, refused before anything runs.
[ $# -eq 0 ] || { printf 'usage: %s\n%s: error: unrecognized arguments: %s\n' "$0" "$0" "$*" >&2; exit 2; }

if [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed"
  exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
"${sudo[@]}" apt-get update -qq
# No recommends: 25 packages instead of 130 (and no upgrade of the machine's own packages).
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: installed in $((SECONDS - start))s"
