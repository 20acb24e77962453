#!/usr/bin/env bash
# Deploy one environment and write its outputs for the integration suite:
#   scripts/ci/deploy.sh <env>   -> cfn-outputs/all-outputs.json (or $OUTPUTS_FILE, which the
#                                   integration suite reads too)
# First, the account's Lambda concurrency quota must leave room for the stack's reservations
# (scripts/ci/concurrency.py): if not, it stops before anything is created and says what to ask.
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/ci/deploy.sh <env>"
require_state_bucket
stack=$(stack_of "$1")
synth_once
template="$CDKTF_OUT/stacks/$stack/cdk.tf.json"
[ -f "$template" ] || die "no synthesized stack $stack in $CDKTF_OUT/stacks (is its configuration set?)"
python scripts/ci/concurrency.py "$template" || exit 1
outputs=${OUTPUTS_FILE:-cfn-outputs/all-outputs.json}
mkdir -p "$(dirname "$outputs")"
cdktf deploy "$stack" --skip-synth "${CDKTF_FLAGS[@]}" --output "$CDKTF_OUT" --auto-approve --outputs-file "$outputs"
