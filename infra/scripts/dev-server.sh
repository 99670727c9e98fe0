# Sourced, not run: `start_dev_server NAME` builds and starts the dev server (tenantry-dev) on a
# free port, on the DynamoDB Local of TENANTRY_TEST_DYNAMODB_ENDPOINT with a table of its own,
# waits for /health and logs in as the platform's root. It sets `base` (the server's URL),
# `password` (root's) and `root_token` (an access token that outlives the longest run), and
# traps EXIT to stop the server, printing its last log lines if the script fails.
# Used by fuzz-api.sh (schemathesis) and scim-conformance.sh (scim2-tester).

start_dev_server() {
  local name=$1
  run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-$name.XXXXXX")
  server_pid=""
  trap stop_dev_server EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  cargo build --quiet -p tenantry-dev
  local target_dir port
  target_dir=$(cargo metadata --format-version 1 --no-deps | jq -er .target_directory)
  port=$(infra/scripts/free-port.sh)
  base=http://127.0.0.1:$port
  # Random, and never containing a username (the password policy refuses that).
  password=pw-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  DYNAMODB_ENDPOINT=$TENANTRY_TEST_DYNAMODB_ENDPOINT TABLE_NAME=$name-$(date +%s)-$$ PORT=$port \
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
    TENANTRY_ROOT_PASSWORD=$password TENANTRY_TOKEN_TTL_SECONDS=86400 RUST_LOG=${RUST_LOG:-warn} \
    "$target_dir/debug/tenantry-dev" >"$run_dir/server.log" 2>&1 &
  server_pid=$!

  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null "$base/health" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the dev server exited before answering /health" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "the dev server did not answer /health within 60 s" >&2
      exit 1
    fi
    sleep 0.2
  done

  root_token=$(jq -n --arg password "$password" '{tenant: "platform", username: "root", password: $password}' |
    curl -fsS -X POST "$base/auth/login" -H 'Content-Type: application/json' --data-binary @- |
    jq -er .access_token)
}

stop_dev_server() {
  local status=$?
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ $status -ne 0 ] && [ -s "$run_dir/server.log" ]; then
    echo "--- the dev server's last log lines ($run_dir/server.log):" >&2
    tail -n 20 "$run_dir/server.log" >&2
  fi
  rm -rf "$run_dir"
  exit $status
}
