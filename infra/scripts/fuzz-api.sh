#!/usr/bin/env bash
# Runs schemathesis with infra/openapi.yaml against the dev server (tenantry-dev) on DynamoDB
# Local, logged in as the platform's root: no answer may be a 5xx, and every answer must conform
# to the spec (status, content type, headers, body). `make test` runs a short pass, `make fuzz-api`
# a long one.
#
#   infra/scripts/fuzz-api.sh [--max-examples N] [extra `st run` arguments]
#
# It uses the DynamoDB Local of TENANTRY_TEST_DYNAMODB_ENDPOINT when set (`make test` runs it under
# with-dynamodb.sh), else runs itself again under an in-memory one; either way the server gets a
# table of its own. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

max_examples=50
if [ "${1:-}" = "--max-examples" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [--max-examples N] [st run arguments]" >&2; exit 2; }
  max_examples=$2
  shift 2
fi

if [ ! -x .venv/bin/st ]; then
  echo "schemathesis is not installed: run infra/scripts/install-deps.sh --python" >&2
  exit 1
fi

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/fuzz-api.sh" --max-examples "$max_examples" "$@"
fi

# shellcheck source=infra/scripts/dev-server.sh
source "$scripts/dev-server.sh"
start_dev_server fuzz
token=$root_token
# The SCIM routes' caller: a directory token of `acme`, the tenant of the spec's examples, made as
# its createTenant example makes it (so that its login example signs in); infra/schemathesis.toml
# sends the token to them.
curl -fsS -o /dev/null -X POST "$base/tenants" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  --data '{"id": "acme", "name": "Acme", "owner": {"username": "olivia", "email": "olivia@acme.test", "password": "owner-password-1"}}'
TENANTRY_FUZZ_DIRECTORY_TOKEN=$(curl -fsS -X POST "$base/tenants/acme/scim-tokens" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"name": "schemathesis"}' |
  jq -er .token)
export TENANTRY_FUZZ_DIRECTORY_TOKEN

# Every check runs (schemathesis' default); infra/schemathesis.toml turns off, and says why, the
# few whose assumptions contradict documented behaviour. Logging out would end the one session
# every request runs in: those two operations are left to tests/tests/api (sessions.rs, spec/).
echo "==> schemathesis: infra/openapi.yaml against $base ($max_examples examples per operation)"
HYPOTHESIS_STORAGE_DIRECTORY=$run_dir/hypothesis \
  .venv/bin/st --config-file infra/schemathesis.toml run infra/openapi.yaml \
  --url "$base" \
  -H "Authorization: Bearer $token" \
  --max-examples "$max_examples" \
  --seed 20261123 \
  --no-color \
  --exclude-operation-id authLogout \
  --exclude-operation-id authLogoutAll \
  "$@"
