#!/usr/bin/env bash
# `make dev`: the local dev server (tenantry-dev) on a DynamoDB Local whose data persists in .tenantry/dynamodb.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
dynamodb_port=${DYNAMODB_PORT:-8000}
pidfile=.tenantry/dynamodb-$dynamodb_port.pid
started=false

cleanup() {
  if $started; then "$scripts/dynamodb-local.sh" stop "$pidfile"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$scripts/install-deps.sh"

if (exec 3<>"/dev/tcp/127.0.0.1/$dynamodb_port") 2>/dev/null; then
  echo "DynamoDB Local: something already listens on 127.0.0.1:$dynamodb_port, using it (and leaving it running)"
else
  started=true
  "$scripts/dynamodb-local.sh" start "$dynamodb_port" "$pidfile" --db-path .tenantry/dynamodb
fi

export DYNAMODB_ENDPOINT=http://127.0.0.1:$dynamodb_port
export TABLE_NAME=${TABLE_NAME:-tenantry}
export PORT=${PORT:-3000}
export AWS_REGION=${AWS_REGION:-us-east-1}
# DynamoDB Local accepts any credentials; these only stop the SDK from looking for real ones.
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
cargo run -p tenantry-dev
