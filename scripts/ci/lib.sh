# Sourced by the CI scripts: the repository root, the project's tools on PATH, and helpers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
CI_OUT=$(mkdir -p "${CI_OUT:-ci-out}" && cd "${CI_OUT:-ci-out}" && pwd)
# Where the synthesized stacks are; SKIP_SYNTH=1 uses what is there (a test's own app).
CDKTF_OUT=${CDKTF_OUT:-cdktf.out}

# cdktf's flags of every deploy and diff: SKIP_PROVIDER_LOCK=1 runs no `terraform providers lock`
# (it needs the registry; the rehearsal on this machine has only the provider mirror).
CDKTF_FLAGS=()
if [ "${SKIP_PROVIDER_LOCK:-}" = 1 ]; then CDKTF_FLAGS+=(--skip-provider-lock); fi

# The environments CI deploys, in order.
ENVIRONMENTS=(dev staging prod)

die() {  # die <message>: one line on stderr, exit 1
  echo "error: $*" >&2
  exit 1
}

stack_of() {  # stack_of <env or stack>: ecommerce-<env>
  case $1 in
    ecommerce-*) echo "$1" ;;
    *) echo "ecommerce-$1" ;;
  esac
}

require_state_bucket() {
  [ -n "${ECOMMERCE_STATE_BUCKET:-}" ] \
    || die "ECOMMERCE_STATE_BUCKET is not set; the environments' state lives in that bucket (see docs/delivery.md)"
}

synth_once() {  # cdktf synth, unless this job already did
  if [ "${SKIP_SYNTH:-}" != 1 ] && [ ! -f "$CI_OUT/.synthesized" ]; then
    cdktf synth --output "$CDKTF_OUT" >"$CI_OUT/synth.log" 2>&1 || { cat "$CI_OUT/synth.log"; die "cdktf synth failed"; }
    touch "$CI_OUT/.synthesized"
  fi
}

github_api_ready() {  # whether this run may talk to GitHub (in Actions, or with a token locally)
  [ -n "${GH_TOKEN:-${GITHUB_TOKEN:-}}" ] && command -v gh >/dev/null && [ -n "${GITHUB_REPOSITORY:-}" ]
}
