#!/usr/bin/env bash
# `make package`: every function of template.yaml built for Lambda arm64 (provided.al2023) with
# `cargo lambda build --release --arm64`, zipped, and a table of the sizes.
# Output: target/lambda/arm64/<function>/bootstrap.zip and target/lambda/arm64/sizes.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SAM_CLI_TELEMETRY=0

infra/scripts/install-deps.sh --python >/dev/null
# cargo-lambda and zig (the `ziglang` package, found through `python3 -m ziglang`) live in the venv.
export PATH=$PWD/.venv/bin:$PATH

# The functions, by binary name, as template.yaml declares them (Metadata.BuildProperties.Binary).
mapfile -t functions < <(sed -n 's/^ *Binary: *\([A-Za-z0-9_-]*\) *$/\1/p' template.yaml | sort)
if [ ${#functions[@]} -eq 0 ]; then
  echo "package: no function in template.yaml" >&2
  exit 1
fi

# Lambda runs the file `bootstrap` of each zip, so a binary name must mean one crate: refuse
# two binaries of the same name anywhere in the workspace.
duplicates=$(cargo metadata --no-deps --format-version 1 | jq -r '
  [.packages[].targets[] | select(.kind | any(. == "bin")) | .name]
  | group_by(.) | map(select(length > 1)[0]) | join(" ")')
if [ -n "$duplicates" ]; then
  echo "package: binary names used twice in the workspace: $duplicates" >&2
  exit 1
fi

out=target/lambda/arm64
bins=()
for f in "${functions[@]}"; do bins+=(--bin "$f"); done
start=$SECONDS
cargo lambda build --release --arm64 --output-format zip --lambda-dir "$out" "${bins[@]}"
echo "built ${#functions[@]} functions for arm64 in $((SECONDS - start))s"

python3 - "$out" "${functions[@]}" <<'EOF'
import os, re, sys, zipfile
out, functions = sys.argv[1], sys.argv[2:]
# provided.al2023 ships glibc 2.34: a binary that needs a newer symbol would not start there.
RUNTIME_GLIBC = (2, 34)
rows = []
for name in functions:
    path = os.path.join(out, name, "bootstrap.zip")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("bootstrap")
        if not info.external_attr >> 16 & 0o100:
            sys.exit(f"{path}: bootstrap is not executable")
        elf = z.read("bootstrap")
    if elf[:4] != b"\x7fELF" or int.from_bytes(elf[18:20], "little") != 183:
        sys.exit(f"{path}: bootstrap is not an arm64 (EM_AARCH64) ELF file")
    glibc = max((tuple(map(int, v)) for v in re.findall(rb"GLIBC_(\d+)\.(\d+)", elf)), default=(0, 0))
    if glibc > RUNTIME_GLIBC:
        sys.exit(f"{path}: needs glibc {glibc}, the runtime has {RUNTIME_GLIBC}")
    rows.append((name, info.file_size, os.path.getsize(path), glibc))
mib = lambda n: f"{n / 2**20:.2f}"
with open(os.path.join(out, "sizes.tsv"), "w") as tsv:
    tsv.write("function\tbootstrap_bytes\tzip_bytes\n")
    for name, raw, packed, _ in rows:
        tsv.write(f"{name}\t{raw}\t{packed}\n")
print(f"{'function':<20} {'bootstrap MiB':>14} {'zip MiB':>8} {'needs glibc':>12}")
for name, raw, packed, glibc in rows:
    print(f"{name:<20} {mib(raw):>14} {mib(packed):>8} {'.'.join(map(str, glibc)):>12}")
print(f"{'largest':<20} {mib(max(r[1] for r in rows)):>14} {mib(max(r[2] for r in rows)):>8}")
EOF
echo "zips in $out/<function>/bootstrap.zip; sizes in $out/sizes.tsv"
