#!/usr/bin/env bash
# The schemathesis gate: fuzz a running API against openapi.json; non-zero exit on any failure.
#   API_BASE_URL=http://127.0.0.1:3000/local bash scripts/fuzz.sh [more `st run` options]
# The URL is what `python -m localcloud` prints (or a deployed stage's ApiGatewayUrl). See
# tests/fuzz/__main__.py for what runs and tests/fuzz/schemathesis.toml for the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
: "${API_BASE_URL:?set API_BASE_URL to the API base URL, e.g. http://127.0.0.1:3000/local}"
exec python -m tests.fuzz "$@"
