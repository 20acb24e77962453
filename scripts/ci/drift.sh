#!/usr/bin/env bash
# The nightly drift check: terraform plan -detailed-exitcode of each stack; for each that drifted,
# open an issue (or comment on the open one) with the plan:
#   scripts/ci/drift.sh [env|stack ...]   (default: dev staging prod)
# Exit 0 when every plan ran (drift is reported through the issues), 1 when a plan failed.
# Outside GitHub Actions (no GH_TOKEN), it prints the issue it would file.
source "$(dirname "$0")/lib.sh"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ENVIRONMENTS[@]}")
failed=0
for target in "${targets[@]}"; do
  stack=$(stack_of "$target")
  set +e
  bash scripts/ci/plan.sh "$stack"
  status=$?
  set -e
  [ "$status" -eq 1 ] && failed=1
  [ "$status" -eq 2 ] || continue
  title="Drift detected in $stack"
  body="$CI_OUT/drift-$stack.md"
  {
    echo "\`terraform plan\` of **$stack** found changes that were not made by a deploy"
    echo "(run ${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-local})."
    echo
    echo '```'
    grep -vE '^(Refreshing state|Reading|Read complete)' "$CI_OUT/plan-$stack.txt" | tail -c 50000
    echo '```'
  } >"$body"
  if ! github_api_ready; then
    echo "(not on GitHub: would file \"$title\")"
    cat "$body"
    continue
  fi
  number=$(gh issue list --repo "$GITHUB_REPOSITORY" --state open --label drift \
    --search "\"$title\" in:title" --json number,title \
    --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)
  if [ -n "$number" ]; then
    gh issue comment "$number" --repo "$GITHUB_REPOSITORY" --body-file "$body"
    echo "$stack: drift added to issue #$number"
  else
    gh label create drift --repo "$GITHUB_REPOSITORY" --force \
      --description "terraform plan found changes no deploy made" >/dev/null
    gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --label drift --body-file "$body"
    echo "$stack: drift issue opened"
  fi
done
exit "$failed"
