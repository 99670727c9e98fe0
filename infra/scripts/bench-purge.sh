#!/usr/bin/env bash
# `make bench-purge`: the purge engine's throughput (100,000 deleted users unless told
# otherwise) next to plain conditional DeleteItem calls, on a fresh in-memory DynamoDB Local.
# Arguments go to the benchmark, e.g.
#   infra/scripts/bench-purge.sh --users 20000 --concurrency 32 --tenants 8
#   make bench-purge ARGS="--users 5000"
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

"$scripts/install-deps.sh"
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-bench-purge.XXXXXX")
trap '"$scripts/dynamodb-local.sh" stop "$run_dir/dynamodb.pid" || true; rm -rf "$run_dir"' EXIT
port=$("$scripts/free-port.sh")
"$scripts/dynamodb-local.sh" start "$port" "$run_dir/dynamodb.pid" --in-memory
export TENANTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
cargo run --quiet --release -p tenantry-bench --bin bench-purge -- "$@"
