#!/usr/bin/env bash
# terraform plan of one synthesized stack, with Terraform's detailed exit code:
#   scripts/ci/plan.sh <env|stack>   ->  0 no changes, 2 changes, 1 error
# The plan's text goes to ci-out/plan-<stack>.txt. Used by the drift check, and runnable locally
# (with AWS credentials, or against the local cloud's emulator with .localcloud/env sourced).
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/ci/plan.sh <env|stack>"
stack=$(stack_of "$1")
synth_once
dir="$CDKTF_OUT/stacks/$stack"
[ -d "$dir" ] || die "no synthesized stack $stack in $CDKTF_OUT/stacks (is its configuration set?)"
out="$CI_OUT/plan-$stack.txt"
(cd "$dir" && terraform init -input=false -no-color >"$CI_OUT/init-$stack.log" 2>&1) \
  || { cat "$CI_OUT/init-$stack.log"; die "terraform init of $stack failed"; }
set +e
(cd "$dir" && terraform plan -detailed-exitcode -input=false -no-color -lock-timeout=120s) >"$out" 2>&1
status=$?
set -e
case $status in
  0) echo "$stack: no changes" ;;
  2) echo "$stack: changes pending (see $out)" ;;
  *) cat "$out"; echo "$stack: terraform plan failed" >&2; exit 1 ;;
esac
exit "$status"
