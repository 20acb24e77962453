#!/usr/bin/env bash
# The integration suite against a deployed environment (reads cfn-outputs/all-outputs.json):
#   scripts/ci/integration.sh <env>
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/ci/integration.sh <env>"
STACK=$(stack_of "$1") exec pytest tests/integration -q -n 2
