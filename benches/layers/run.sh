#!/usr/bin/env bash
# Layer-handling benchmark, libcnb-lite against upstream libcnb 0.30.4:
#   1. `cargo bench`: µs per layer for create / keep / migrate through the struct
#      API and through the deprecated trait API (`trait create` ...), one table;
#   2. `strace -c`: system calls per layer for each of the six, by system call.
# Usage: run.sh [--upstream-only] [--layers N] [--iterations K] [--syscall-layers N]
#   --upstream-only    measure upstream only (without the default cargo feature `lite`);
#                      `--lite`, which both libraries are measured by default now, is accepted
#   --layers N         layers per timed run (default 200)
#   --iterations K     measured runs per scenario and library (default 15)
#   --syscall-layers N layers handled under strace (default 1000)
# Honours CARGO_TARGET_DIR. Needs strace: apt-get update && apt-get install -y strace
set -euo pipefail
cd "$(dirname "$0")"

features=()
libraries=(upstream lite)
layers=200
iterations=15
syscall_layers=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --lite) ;;
        --upstream-only) features=(--no-default-features); libraries=(upstream) ;;
        --layers) layers=$2; shift ;;
        --iterations) iterations=$2; shift ;;
        --syscall-layers) syscall_layers=$2; shift ;;
        *) echo "usage: $0 [--upstream-only] [--layers N] [--iterations K] [--syscall-layers N]" >&2; exit 2 ;;
    esac
    shift
done
if ! command -v strace >/dev/null; then
    echo "strace not found: apt-get update && apt-get install -y strace" >&2
    exit 1
fi

cargo bench "${features[@]}" --bench layers -- --layers "$layers" --iterations "$iterations"

cargo build --quiet --release "${features[@]}" --bin layer_syscalls
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/layer_syscalls"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "<syscall> <calls per layer>" lines, total first: strace -c of the
# scenario on $syscall_layers layers minus the same on 0 layers, divided by
# $syscall_layers. Arguments: library scenario (create, ..., trait-keep, ...).
syscalls_per_layer() {
    rm -rf "$work/layers" "$work/empty"
    mkdir "$work/layers" "$work/empty"
    "$bin" prepare "$2" "$work/layers" "$syscall_layers"
    strace -f -c -U name,calls -o "$work/n.txt" "$bin" "$1" "$2" "$work/layers" "$syscall_layers"
    strace -f -c -U name,calls -o "$work/0.txt" "$bin" "$1" "$2" "$work/empty" 0
    "$bin" verify "$2" "$work/layers" "$syscall_layers"
    # Rows are "<syscall> <calls>"; header and ruler lines have no numeric second field.
    awk -v n="$syscall_layers" '
        $1 ~ /^[a-z0-9_]+$/ && $2 ~ /^[0-9]+$/ {
            if (FNR == NR) { startup[$1] = $2; next }
            per_layer = ($2 - startup[$1]) / n
            if (per_layer >= 0.005) printf "%s %.2f\n", $1, per_layer
        }
    ' "$work/0.txt" "$work/n.txt" | sort -k2,2 -g -r
}

echo
echo "system calls per layer (strace -c, $syscall_layers layers minus 0 layers; with temp file + rename writes lite kept a layer in 8)"
for library in "${libraries[@]}"; do
    for scenario in create keep migrate trait-create trait-keep trait-migrate; do
        syscalls_per_layer "$library" "$scenario" |
            awk -v label="$library $scenario" '
                $1 == "total" { total = $2; next }
                { calls = calls sprintf(" %s %s,", $1, $2) }
                END { sub(/,$/, "", calls); printf "%-23s %6s:%s\n", label, total, calls }
            '
    done
done
