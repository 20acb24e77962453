#!/usr/bin/env bash
# cdktf diff of environments, each added as a section of one Markdown report for the pull
# request (the workflow assumes each environment's plan role before its turn):
#   scripts/ci/diff.sh <env> [env ...]   -> ci-out/diff.md (and ci-out/diff-<stack>.txt)
# Exit 1 when a diff failed (its section says so).
source "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || die "usage: scripts/ci/diff.sh <env> [env ...]"
require_state_bucket
synth_once
report="$CI_OUT/diff.md"
if [ ! -f "$report" ]; then
  echo "<!-- ecommerce-diff -->" >"$report"
  echo "### cdktf diff of ${GITHUB_SHA:-$(git rev-parse --short HEAD)}" >>"$report"
fi
failed=0
for env in "$@"; do
  stack=$(stack_of "$env")
  log="$CI_OUT/diff-$stack.txt"
  if cdktf diff "$stack" --skip-synth "${CDKTF_FLAGS[@]}" --output "$CDKTF_OUT" >"$log" 2>&1; then
    summary=$(grep -E "Plan:|No changes" "$log" | tail -n 1 | sed -e 's/\x1b\[[0-9;]*m//g' || true)
  else
    summary="cdktf diff failed"
    failed=1
  fi
  {
    echo
    echo "<details><summary><b>$stack</b>: ${summary:-see the log}</summary>"
    echo
    echo '```'
    # A comment holds at most 65,536 characters: each environment keeps the end of its diff.
    tail -c 20000 "$log" | sed -e 's/\x1b\[[0-9;]*m//g'
    echo '```'
    echo "</details>"
  } >>"$report"
  echo "$stack: ${summary:-done}"
done
exit "$failed"
