#!/usr/bin/env bash
# Post ci-out/diff.md on the pull request, or update the comment an earlier run posted:
#   scripts/ci/comment.sh <pull request number>
# Outside GitHub Actions (no GH_TOKEN), it prints what it would post.
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/ci/comment.sh <pull request number>"
body="$CI_OUT/diff.md"
[ -f "$body" ] || die "$body is missing; run scripts/ci/diff.sh first"
if ! github_api_ready; then
  echo "(not on GitHub: the comment would be)"
  cat "$body"
  exit 0
fi
marker=$(head -n 1 "$body")
existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$1/comments" --paginate \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | tail -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
  echo "updated comment $existing on #$1"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$1/comments" -F "body=@$body" >/dev/null
  echo "commented on #$1"
fi
