#!/usr/bin/env bash
# SCIM 2.0 conformance: scim2-tester (infra/scripts/scim_conformance.py) against the dev server's
# SCIM base URL for a new tenant, with one of its directory tokens: discovery, CRUD and PATCH
# checks, 0 failures allowed. `make test` runs it.
#
#   infra/scripts/scim-conformance.sh
#
# It uses the DynamoDB Local of TENANTRY_TEST_DYNAMODB_ENDPOINT when set, else runs itself again
# under an in-memory one; either way the server gets a table of its own. Everything it starts,
# it stops.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

if ! .venv/bin/python -c 'import scim2_tester' 2>/dev/null; then
  echo "scim2-tester is not installed: run infra/scripts/install-deps.sh --python" >&2
  exit 1
fi

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/scim-conformance.sh"
fi

# shellcheck source=infra/scripts/dev-server.sh
source "$scripts/dev-server.sh"
start_dev_server scim
tenant=conformance
jq -n --arg tenant "$tenant" --arg password "$password" \
  '{id: $tenant, name: "SCIM conformance", owner: {username: "owner", email: "owner@conformance.test", password: $password}}' |
  curl -fsS -o /dev/null -X POST "$base/tenants" -H "Authorization: Bearer $root_token" \
    -H 'Content-Type: application/json' --data-binary @-
directory_token=$(curl -fsS -X POST "$base/tenants/$tenant/scim-tokens" -H "Authorization: Bearer $root_token" \
  -H 'Content-Type: application/json' --data-binary '{"name": "scim2-tester"}' | jq -er .token)

echo "==> scim2-tester: $base/scim/v2/$tenant"
.venv/bin/python infra/scripts/scim_conformance.py "$base/scim/v2/$tenant" "$directory_token"
