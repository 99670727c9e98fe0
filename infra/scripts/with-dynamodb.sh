#!/usr/bin/env bash
# Runs a command against a DynamoDB Local of its own:
#
#   infra/scripts/with-dynamodb.sh [--in-memory | --db-path DIR] [--port PORT] [--moto] -- COMMAND [ARG...]
#
# starts DynamoDB Local (infra/local, see install-deps.sh) on PORT or a free port, in memory (the
# default) or with its data in DIR; exports its URL as TENANTRY_TEST_DYNAMODB_ENDPOINT (the tests,
# race, bench) and DYNAMODB_ENDPOINT (the functions and the dev server); runs COMMAND; stops
# DynamoDB Local whatever happens; exits with COMMAND's status. With --moto, it also starts moto's server
# (the venv's, see install-deps.sh --python) on a free port as a local EventBridge and SQS, exports its
# URL as TENANTRY_TEST_EVENTBRIDGE_ENDPOINT, and stops it too. A SIGINT, SIGTERM or SIGHUP sent to
# this script is passed on to COMMAND as SIGTERM, and the script then exits with 128 + its number.
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: $0 [--in-memory | --db-path DIR] [--port PORT] [--moto] -- COMMAND [ARG...]" >&2
  exit 2
}

storage=(--in-memory)
port=""
moto=false
while [ "${1:-}" != -- ]; do
  case "${1:-}" in
    --in-memory) storage=(--in-memory); shift ;;
    --db-path) [ $# -ge 2 ] || usage; storage=(--db-path "$2"); shift 2 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
    --moto) moto=true; shift ;;
    *) usage ;;
  esac
done
shift
[ $# -gt 0 ] || usage

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-dynamodb.XXXXXX")
command_pid=""
signal_status=""
# shellcheck disable=SC2317 # run by the traps below
finish() {
  local status=$?
  "$scripts/dynamodb-local.sh" stop "$run_dir/dynamodb.pid" || true
  if [ -f "$run_dir/moto.pid" ]; then kill "$(cat "$run_dir/moto.pid")" 2>/dev/null || true; fi
  rm -rf "$run_dir"
  exit "$status"
}
# shellcheck disable=SC2317
on_signal() { # exit status for the signal
  signal_status=$1
  if [ -z "$command_pid" ]; then exit "$signal_status"; fi
  kill -TERM "$command_pid" 2>/dev/null || true
}
trap finish EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

if [ -z "$port" ]; then port=$("$scripts/free-port.sh"); fi
"$scripts/dynamodb-local.sh" start "$port" "$run_dir/dynamodb.pid" "${storage[@]}"
export TENANTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
export DYNAMODB_ENDPOINT=$TENANTRY_TEST_DYNAMODB_ENDPOINT

if $moto; then
  moto_server=$(cd "$scripts/../.." && pwd)/.venv/bin/moto_server
  [ -x "$moto_server" ] || { echo "with-dynamodb.sh: no $moto_server: run infra/scripts/install-deps.sh --python" >&2; exit 1; }
  moto_port=$("$scripts/free-port.sh")
  "$moto_server" -H 127.0.0.1 -p "$moto_port" >"$run_dir/moto.log" 2>&1 &
  echo $! >"$run_dir/moto.pid"
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "http://127.0.0.1:$moto_port/moto-api/"; then break; fi
    kill -0 "$(cat "$run_dir/moto.pid")" 2>/dev/null || { cat "$run_dir/moto.log" >&2; echo "with-dynamodb.sh: moto did not start" >&2; exit 1; }
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" || { echo "with-dynamodb.sh: moto did not answer in 10 s" >&2; exit 1; }
  echo "moto (EventBridge, SQS): listening on 127.0.0.1:$moto_port (log $run_dir/moto.log)"
  export TENANTRY_TEST_EVENTBRIDGE_ENDPOINT=http://127.0.0.1:$moto_port
fi

# COMMAND runs in the background so that a signal reaches this script while it runs (bash runs a
# trap only once the foreground command is over), with this script's stdin (not /dev/null), and
# with SIGINT and SIGQUIT back to their default (bash ignores them in background commands) so that
# Ctrl-C reaches it as it would in the foreground. `env --default-signal` is coreutils 8.31+.
# shellcheck disable=SC2054 # one argument
restore_signals=(env --default-signal=INT,QUIT)
env --default-signal=INT true 2>/dev/null || restore_signals=()
"${restore_signals[@]}" "$@" <&0 &
command_pid=$!
# `wait` also returns when a trap ran: wait again until COMMAND is over.
while :; do
  status=0
  wait "$command_pid" || status=$?
  kill -0 "$command_pid" 2>/dev/null || break
done
command_pid=""
exit "${signal_status:-$status}"
