#!/usr/bin/env bash
# The admin console (`GET /console`) in a browser (`make test`): the tests of tests/console
# (Python's unittest, Playwright driving Debian's headless chromium) against the dev server.
# Every page they open is watched: a console error, an uncaught exception or a Content Security
# Policy violation fails the test (tests/console/harness.py). Also axe-core on each screen
# (serious or critical violations fail), and screenshots at 360 and 1,440 px.
#
#   infra/scripts/console-test.sh [UNITTEST ARG...]   (default: discover every tests/console/test_*.py)
#
# Writes the screenshots and axe.json (each screen's axe results, a count per impact) to
# target/console-screens/. Playwright, chromium and axe-core are installed by
# install-deps.sh --python (.venv-console, apt's chromium, tests/console/node_modules). It uses
# the DynamoDB Local of TENANTRY_TEST_DYNAMODB_ENDPOINT when set, else runs itself again under
# an in-memory one.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts

chromium=$(command -v chromium || true)
axe=$PWD/tests/console/node_modules/axe-core/axe.min.js
if [ ! -x .venv-console/bin/python ] || [ -z "$chromium" ] || [ ! -f "$axe" ]; then
  echo "the console's browser tests are not installed: run infra/scripts/install-deps.sh --python" >&2
  exit 1
fi

if [ -z "${TENANTRY_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  exec "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/console-test.sh" "$@"
fi

screens=$PWD/target/console-screens
rm -rf "$screens"
mkdir -p "$screens"

# shellcheck source=infra/scripts/dev-server.sh
source "$scripts/dev-server.sh"
start_dev_server console
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(discover -v -s tests/console -p 'test_*.py'); fi
TENANTRY_API=$base TENANTRY_ROOT_PASSWORD=$password TENANTRY_CHROMIUM=$chromium \
  TENANTRY_CONSOLE_SCREENS=$screens TENANTRY_AXE=$axe PYTHONPATH=$PWD/tests/console \
  PYTHONDONTWRITEBYTECODE=1 \
  .venv-console/bin/python -m unittest "${args[@]}"
echo "screenshots and axe.json: $screens"
