#!/usr/bin/env bash
# The schemathesis gate: fuzz a running API against openapi.json; non-zero exit on any failure.
#   API_BASE_URL=http://127.0.0.1:3000/local bash scripts/fuzz.sh [more `st run` options]
# The URL is what `python -m localcloud` prints (or a deployed stage's ApiGatewayUrl). See
# tests/fuzz/__main__.py for what runs and tests/fuzz/schemathesis.toml for the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
case ${API_BASE_URL:-} in
  http://?* | https://?*) ;;
  *)
    printf 'usage: API_BASE_URL=http://127.0.0.1:3000/local bash scripts/fuzz.sh [st run options]\n' >&2
    printf "scripts/fuzz.sh: error: API_BASE_URL must be the API's http(s) base URL (got '%s')\n" "${API_BASE_URL:-}" >&2
    exit 2
    ;;
esac
exec python -m tests.fuzz "$@"
