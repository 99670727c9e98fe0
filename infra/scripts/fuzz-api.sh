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

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-fuzz.XXXXXX")
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
DYNAMODB_ENDPOINT=$TENANTRY_TEST_DYNAMODB_ENDPOINT TABLE_NAME=fuzz-$(date +%s)-$$ PORT=$port AWS_REGION=us-east-1 \
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

token=$(jq -n --arg password "$password" '{tenant: "platform", username: "root", password: $password}' |
  curl -fsS -X POST "$base/auth/login" -H 'Content-Type: application/json' --data-binary @- |
  jq -er .access_token)

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
