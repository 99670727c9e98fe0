#!/usr/bin/env bash
# `make fuzz`: the property tests (proptest) for username normalisation and request parsing,
# long: PROPTEST_CASES cases each (default 20000; `make test` runs them with their own small
# defaults). The request properties go through the real handlers, so an in-memory DynamoDB
# Local is started for them (or TENANTRY_TEST_DYNAMODB_ENDPOINT reused) and stopped after.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
export PROPTEST_CASES=${PROPTEST_CASES:-20000}

"$scripts/install-deps.sh" >/dev/null
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-fuzz.XXXXXX")
trap '"$scripts/dynamodb-local.sh" stop "$run_dir/dynamodb.pid" >/dev/null 2>&1 || true; rm -rf "$run_dir"' EXIT
if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  port=$("$scripts/free-port.sh")
  "$scripts/dynamodb-local.sh" start "$port" "$run_dir/dynamodb.pid" --in-memory
  export TENANTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
fi

echo "==> property tests, $PROPTEST_CASES cases each"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p tenantry-accounts -p tenantry-tests --no-fail-fast "$@" fuzz
else
  cargo test -p tenantry-accounts -p tenantry-tests --no-fail-fast "$@" fuzz
fi
