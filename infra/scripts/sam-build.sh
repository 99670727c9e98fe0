#!/usr/bin/env bash
# `make sam-build`: `sam build` of template.yaml, offline and without Docker. SAM runs
# `cargo lambda build --release --arm64 --bin NAME` for each function (Metadata:
# BuildMethod rust-cargolambda) and lays out .aws-sam/build for `sam deploy` and `sam local`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SAM_CLI_TELEMETRY=0

infra/scripts/install-deps.sh --python >/dev/null
# sam finds cargo-lambda on PATH, and cargo-lambda finds zig through `python3 -m ziglang`.
export PATH=$PWD/.venv/bin:$PATH

start=$SECONDS
# The Rust build method is still a beta feature of SAM.
sam build --beta-features --template template.yaml "$@"
built=$(find .aws-sam/build -name bootstrap -type f | wc -l)
functions=$(grep -c 'BuildMethod: rust-cargolambda' template.yaml)
if [ "$built" -ne "$functions" ]; then
  echo "sam-build: $built bootstrap files for $functions functions" >&2
  exit 1
fi
echo "sam build: $functions functions in $((SECONDS - start))s (.aws-sam/build)"
