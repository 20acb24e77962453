#!/usr/bin/env bash
# Deploy one environment and write its outputs for the integration suite:
#   scripts/ci/deploy.sh <env>   -> cfn-outputs/all-outputs.json
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/ci/deploy.sh <env>"
require_state_bucket
stack=$(stack_of "$1")
mkdir -p cfn-outputs
cdktf deploy "$stack" --auto-approve --outputs-file cfn-outputs/all-outputs.json
