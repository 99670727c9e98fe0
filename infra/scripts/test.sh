#!/usr/bin/env bash
# `make test`: formatting, clippy, all tests against an in-memory DynamoDB Local (and moto's
# EventBridge and SQS), schemathesis against the dev server (infra/openapi.yaml) on another,
# scim2-tester against its SCIM routes on a third, the spec through Redocly's lint and the Python
# and TypeScript client generators with the README's quickstart run through the generated Python
# client on a fourth (clients.sh), the admin console in headless chromium on a fifth
# (console-test.sh: no console error or CSP violation, axe, screenshots), the example event
# consumer's tests, and the SAM template lint
# (sam validate, then cfn-lint with the serverless rules and checkov, lint-template.sh). Each
# DynamoDB Local lives for the one step that needs it (with-dynamodb.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
export SAM_CLI_TELEMETRY=0

# Microseconds since the epoch, and "S.S" seconds since a value of it.
now() { echo "${EPOCHREALTIME//[.,]/}"; }
since() { local us=$(($(now) - $1)); echo "$((us / 1000000)).$((us / 100000 % 10))"; }

timings=()
started=$(now)
current=""
current_t0=$started

finish() {
  local status=$?
  echo
  if [ ${#timings[@]} -gt 0 ]; then printf '%s\n' "${timings[@]}"; fi
  if [ -n "$current" ]; then printf '%-16s %7ss  (failed)\n' "$current" "$(since "$current_t0")"; fi
  printf '%-16s %7ss  (%s)\n' total "$(since "$started")" "$([ $status -eq 0 ] && echo passed || echo "FAILED, exit $status")"
  # Disk: a full run's target/ is about 2 GB; a full disk fails builds in the middle.
  echo "disk: target/ $(du -sh target 2>/dev/null | cut -f1), $(df -h . | awk 'NR==2 {print $4}') free"
  exit $status
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step NAME COMMAND...: runs COMMAND in this shell and records how long it took.
step() {
  current=$1 current_t0=$(now)
  shift
  echo "==> $current"
  "$@"
  timings+=("$(printf '%-16s %7ss' "$current" "$(since "$current_t0")")")
  current=""
}

tests=(cargo test --workspace --no-fail-fast)
if cargo nextest --version >/dev/null 2>&1; then tests=(cargo nextest run --workspace --no-fail-fast); fi

step deps "$scripts/install-deps.sh" --python
step "cargo fmt" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step tests "$scripts/with-dynamodb.sh" --in-memory --moto -- "${tests[@]}"
step schemathesis "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/fuzz-api.sh" --max-examples 100
step "scim conformance" "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/scim-conformance.sh"
step "clients" "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/clients.sh"
step console "$scripts/with-dynamodb.sh" --in-memory -- "$scripts/console-test.sh"
step "example consumer" env PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m unittest discover -s examples/consumer
step "sam validate" env AWS_DEFAULT_REGION=us-east-1 .venv/bin/sam validate --lint --template template.yaml
step "template lint" "$scripts/lint-template.sh"
