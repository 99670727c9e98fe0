#!/usr/bin/env bash
# `make fuzz`: the property tests (proptest) for username normalisation and request parsing,
# long: PROPTEST_CASES cases each (default 20000; `make test` runs them with their own small
# defaults). The request properties go through the real handlers, so the script runs itself again
# under an in-memory DynamoDB Local (with-dynamodb.sh), unless TENANTRY_TEST_DYNAMODB_ENDPOINT
# names one already.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
export PROPTEST_CASES=${PROPTEST_CASES:-20000}

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  "$scripts/install-deps.sh" >/dev/null
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/fuzz.sh" "$@"
fi

echo "==> property tests, $PROPTEST_CASES cases each"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p tenantry-accounts -p tenantry-tests --no-fail-fast "$@" fuzz
else
  cargo test -p tenantry-accounts -p tenantry-tests --no-fail-fast "$@" fuzz
fi
