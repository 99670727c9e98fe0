#!/usr/bin/env bash
# SCIM 2.0 conformance: scim2-tester (infra/scripts/scim_conformance.py) against the dev server's
# SCIM base URL for a new tenant, with one of its directory tokens: discovery, CRUD and PATCH
# checks, 0 failures allowed. `make test` runs it.
#
#   infra/scripts/scim-conformance.sh
#
# It uses the DynamoDB Local of TENANTRY_TEST_DYNAMODB_ENDPOINT when set, else runs itself again
# under an in-memory one; either way the server gets a table of its own. Everything it starts,
# it stops.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

if ! .venv/bin/python -c 'import scim2_tester' 2>/dev/null; then
  echo "scim2-tester is not installed: run infra/scripts/install-deps.sh --python" >&2
  exit 1
fi

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/scim-conformance.sh"
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-scim.XXXXXX")
server_pid=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ $status -ne 0 ] && [ -s "$run_dir/server.log" ]; then
    echo "--- the dev server's last log lines ($run_dir/server.log):" >&2
    tail -n 20 "$run_dir/server.log" >&2
  fi
  rm -rf "$run_dir"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cargo build --quiet -p tenantry-dev
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -er .target_directory)

port=$("$scripts/free-port.sh")
base=http://127.0.0.1:$port
# Random, and never containing the username (the password policy refuses that).
password=pw-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# A table of its own; a token that outlives the longest run.
DYNAMODB_ENDPOINT=$TENANTRY_TEST_DYNAMODB_ENDPOINT TABLE_NAME=scim-$(date +%s)-$$ PORT=$port AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local TENANTRY_ROOT_PASSWORD=$password \
  TENANTRY_TOKEN_TTL_SECONDS=86400 RUST_LOG=${RUST_LOG:-warn} \
  "$target_dir/debug/tenantry-dev" >"$run_dir/server.log" 2>&1 &
server_pid=$!

deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "$base/health" 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the dev server exited before answering /health" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "the dev server did not answer /health within 60 s" >&2
    exit 1
  fi
  sleep 0.2
done

root=$(jq -n --arg password "$password" '{tenant: "platform", username: "root", password: $password}' |
  curl -fsS -X POST "$base/auth/login" -H 'Content-Type: application/json' --data-binary @- |
  jq -er .access_token)
tenant=conformance
jq -n --arg tenant "$tenant" --arg password "$password" \
  '{id: $tenant, name: "SCIM conformance", owner: {username: "owner", email: "owner@conformance.test", password: $password}}' |
  curl -fsS -o /dev/null -X POST "$base/tenants" -H "Authorization: Bearer $root" \
    -H 'Content-Type: application/json' --data-binary @-
directory_token=$(curl -fsS -X POST "$base/tenants/$tenant/scim-tokens" -H "Authorization: Bearer $root" \
  -H 'Content-Type: application/json' --data-binary '{"name": "scim2-tester"}' | jq -er .token)

echo "==> scim2-tester: $base/scim/v2/$tenant"
.venv/bin/python infra/scripts/scim_conformance.py "$base/scim/v2/$tenant" "$directory_token"
