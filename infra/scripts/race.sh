#!/usr/bin/env bash
# `make race`: the race harness in long mode (10,000 operations unless told otherwise), on a
# fresh in-memory DynamoDB Local. Arguments go to the harness, e.g.
#   infra/scripts/race.sh --operations 20000 --seed 7 --faults
#   make race ARGS="--duration 300"
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

"$scripts/install-deps.sh"
exec "$scripts/with-dynamodb.sh" --in-memory -- cargo run --quiet -p tenantry-tests --bin race -- "$@"
