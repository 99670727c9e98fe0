#!/usr/bin/env bash
# `make smoke-arm64`: runs what `make package` zipped. Every function's arm64 bootstrap.zip is
# unzipped and started under qemu (qemu-user-static, with Debian's arm64 C library from
# libc6-arm64-cross; both installed here if missing) with the environment template.yaml gives
# it, fed its sample from events/ on a Lambda Runtime API, against a seeded DynamoDB Local and
# moto's EventBridge. See tests/src/bin/smoke-arm64.rs for what each run must show.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS

packages=target/lambda/arm64
if ! ls "$packages"/*/bootstrap.zip >/dev/null 2>&1; then
  echo "smoke-arm64: no $packages/<function>/bootstrap.zip: run make package first" >&2
  exit 1
fi

sysroot=/usr/aarch64-linux-gnu
if ! command -v qemu-aarch64-static >/dev/null || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-user-static libc6-arm64-cross >/dev/null
  echo "smoke-arm64: installed qemu-user-static and libc6-arm64-cross"
fi
infra/scripts/install-deps.sh --python >/dev/null

# The exact zips, unzipped (Python's zipfile keeps no file modes: bootstrap is made executable).
unpacked=target/smoke-arm64
rm -rf "$unpacked"
for zip in "$packages"/*/bootstrap.zip; do
  function=$(basename "$(dirname "$zip")")
  mkdir -p "$unpacked/$function"
  cp "$zip" "$unpacked/$function/bootstrap.zip"
  python3 -m zipfile -e "$zip" "$unpacked/$function"
  chmod 755 "$unpacked/$function/bootstrap"
done

cargo build --quiet -p tenantry-tests --bin smoke-arm64
infra/scripts/with-dynamodb.sh --in-memory --moto -- \
  target/debug/smoke-arm64 --packages "$unpacked" --sysroot "$sysroot"
echo "make smoke-arm64: $((SECONDS - start))s"
