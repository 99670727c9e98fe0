#!/usr/bin/env bash
# `make dev`: the local dev server (tenantry-dev) on a DynamoDB Local whose data persists in .tenantry/dynamodb.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
dynamodb_port=${DYNAMODB_PORT:-8000}

"$scripts/install-deps.sh"

export TABLE_NAME=${TABLE_NAME:-tenantry}
export PORT=${PORT:-3000}
export AWS_REGION=${AWS_REGION:-us-east-1}
# DynamoDB Local accepts any credentials; these only stop the SDK from looking for real ones.
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
server=(cargo run -p tenantry-dev)

if (exec 3<>"/dev/tcp/127.0.0.1/$dynamodb_port") 2>/dev/null; then
  echo "DynamoDB Local: something already listens on 127.0.0.1:$dynamodb_port, using it (and leaving it running)"
  export DYNAMODB_ENDPOINT=http://127.0.0.1:$dynamodb_port
  exec "${server[@]}"
fi
# Started for the server, stopped after it (with-dynamodb.sh exports DYNAMODB_ENDPOINT).
exec "$scripts/with-dynamodb.sh" --port "$dynamodb_port" --db-path .tenantry/dynamodb -- "${server[@]}"
