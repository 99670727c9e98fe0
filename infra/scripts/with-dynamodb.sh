#!/usr/bin/env bash
# Runs a command against a DynamoDB Local of its own:
#
#   infra/scripts/with-dynamodb.sh [--in-memory | --db-path DIR] [--port PORT] -- COMMAND [ARG...]
#
# starts DynamoDB Local (infra/local, see install-deps.sh) on PORT or a free port, in memory (the
# default) or with its data in DIR; exports its URL as TENANTRY_TEST_DYNAMODB_ENDPOINT (the tests,
# race, bench) and DYNAMODB_ENDPOINT (the functions and the dev server); runs COMMAND; stops
# DynamoDB Local whatever happens; exits with COMMAND's status. A SIGINT, SIGTERM or SIGHUP sent to
# this script is passed on to COMMAND as SIGTERM, and the script then exits with 128 + its number.
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: $0 [--in-memory | --db-path DIR] [--port PORT] -- COMMAND [ARG...]" >&2
  exit 2
}

storage=(--in-memory)
port=""
while [ "${1:-}" != -- ]; do
  case "${1:-}" in
    --in-memory) storage=(--in-memory); shift ;;
    --db-path) [ $# -ge 2 ] || usage; storage=(--db-path "$2"); shift 2 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
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
