#!/usr/bin/env bash
# `make race`: the race harness in long mode (10,000 operations unless told otherwise), on a
# fresh in-memory DynamoDB Local. Arguments go to the harness, e.g.
#   infra/scripts/race.sh --operations 20000 --seed 7 --faults
#   make race ARGS="--duration 300"
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

"$scripts/install-deps.sh"
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-race.XXXXXX")
trap '"$scripts/dynamodb-local.sh" stop "$run_dir/dynamodb.pid" || true; rm -rf "$run_dir"' EXIT
port=$("$scripts/free-port.sh")
"$scripts/dynamodb-local.sh" start "$port" "$run_dir/dynamodb.pid" --in-memory
export TENANTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
cargo run --quiet -p tenantry-tests --bin race -- "$@"
