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
exec "$scripts/with-dynamodb.sh" --in-memory -- \
  cargo run --quiet --release -p tenantry-bench --bin bench-purge -- "$@"
