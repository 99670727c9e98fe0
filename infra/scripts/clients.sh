#!/usr/bin/env bash
# infra/openapi.yaml in the tools clients are made with (`make test`), each failing on any
# warning:
#   1. Redocly's lint, the recommended ruleset with its warnings made errors (infra/clients/redocly.yaml,
#      its three exceptions, with their reasons, in infra/clients/.redocly.lint-ignore.yaml);
#   2. openapi-python-client, `--fail-on-warning`, into OUT/python/tenantry_client;
#   3. openapi-typescript into OUT/typescript/schema.d.ts, then `tsc --noEmit --strict` of those
#      types with infra/clients/check.ts, which uses them as a client would;
#   4. the generated Python client: every problem every operation documents handed to its parser
#      (tests/clients/test_every_problem.py), and the README's quickstart through it against the
#      dev server (tests/clients/test_story.py), with a forwarder (tests/clients/forwarder.py)
#      between the server and DynamoDB Local that the story cuts to get its 503.
#
#   infra/scripts/clients.sh [--out DIR]     (default: a temporary directory, removed afterwards)
#
# The tools are pinned in infra/clients/package.json and infra/clients/requirements.txt
# (install-deps.sh --python installs them). It uses the DynamoDB Local of
# TENANTRY_TEST_DYNAMODB_ENDPOINT when set, else runs itself again under an in-memory one.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
clients=infra/clients

out=""
if [ "${1:-}" = --out ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [--out DIR]" >&2; exit 2; }
  out=$(mkdir -p "$2" && cd "$2" && pwd)
  shift 2
fi
[ $# -eq 0 ] || { echo "usage: $0 [--out DIR]" >&2; exit 2; }

if [ ! -x .venv-clients/bin/openapi-python-client ] || [ ! -x $clients/node_modules/.bin/redocly ]; then
  echo "the client generators are not installed: run infra/scripts/install-deps.sh --python" >&2
  exit 1
fi

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/clients.sh" ${out:+--out "$out"}
fi

keep_out=true
if [ -z "$out" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-clients.XXXXXX")
  keep_out=false
fi
spec=$PWD/infra/openapi.yaml

echo "==> redocly lint (recommended, warnings as errors)"
(cd $clients && node_modules/.bin/redocly lint ../openapi.yaml --config redocly.yaml 2>&1 | grep -v '[║╔╚]')

echo "==> openapi-python-client generate --fail-on-warning"
rm -rf "$out/python"
mkdir -p "$out/python"
# Its post hooks format the client with ruff, from the venv.
PATH=$PWD/.venv-clients/bin:$PATH .venv-clients/bin/openapi-python-client generate \
  --path "$spec" --config $clients/python-client.yaml --meta none \
  --output-path "$out/python/tenantry_client" --fail-on-warning
echo "    $(find "$out/python/tenantry_client" -name '*.py' | wc -l) modules"

echo "==> openapi-typescript, then tsc --noEmit --strict"
rm -rf "$out/typescript"
mkdir -p "$out/typescript"
# Run from the repository's root: openapi-typescript would read infra/clients/redocly.yaml,
# whose strict rules (without their exceptions) it does not need.
$clients/node_modules/.bin/openapi-typescript "$spec" -o "$out/typescript/schema.d.ts"
cp $clients/check.ts "$out/typescript/check.ts"
$clients/node_modules/.bin/tsc --noEmit --strict --target es2022 --module es2022 \
  --moduleResolution bundler "$out/typescript/check.ts"
echo "    check.ts type-checks against the generated types"

echo "==> the generated Python client: every documented problem parsed, and the quickstart against the dev server"
port=$($scripts/free-port.sh)
endpoint=${TENANTRY_TEST_DYNAMODB_ENDPOINT#http://}
.venv-clients/bin/python tests/clients/forwarder.py "$port" "$endpoint" &
forwarder_pid=$!
TENANTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
# shellcheck source=infra/scripts/dev-server.sh
source "$scripts/dev-server.sh"
start_dev_server clients
# start_dev_server's EXIT trap stops the server; this one also stops the forwarder and removes
# a temporary output, then hands stop_dev_server the script's status (set +e: under errexit the
# `(exit $status)` that passes it on would end the trap before the server is stopped).
trap 'status=$?; set +e; kill $forwarder_pid 2>/dev/null; $keep_out || rm -rf "$out"; (exit $status); stop_dev_server' EXIT
TENANTRY_API=$base TENANTRY_ROOT_PASSWORD=$password TENANTRY_FORWARDER_PID=$forwarder_pid \
  PYTHONPATH=$out/python PYTHONDONTWRITEBYTECODE=1 \
  .venv-clients/bin/python -m unittest discover -v -s tests/clients -p 'test_*.py'
