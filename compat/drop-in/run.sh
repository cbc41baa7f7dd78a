#!/usr/bin/env bash
# Tree-wide drop-in check (README.md beside this file): a buildpack that uses upstream libcnb
# 0.30.4 with libherokubuildpack and libcnb-test from crates.io, switched to libcnb-lite by the
# `[patch.crates-io]` section of Cargo.toml alone.
#   1. the whole tree resolves libcnb and libcnb-data to the shim crates in ../ (cargo tree);
#   2. its tests compile and pass (unit tests with upstream's error texts, the error output of
#      the compiled buildpack as insta snapshots, and a libcnb-test integration test, which
#      needs Docker and pack to run and is compiled only);
#   3. libcnb-cargo 0.30.4 (`cargo libcnb package`) compiles against libcnb-lite-data too.
# Honours CARGO_TARGET_DIR. Needs crates.io (it downloads upstream's crates).
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for crate in libcnb libcnb-data; do
    if ! cargo tree --locked -e normal,dev --invert "$crate" >"$work/tree.txt" 2>&1; then
        cat "$work/tree.txt" >&2
        exit 1
    fi
    if ! head -n 1 "$work/tree.txt" | grep -q "($(cd .. && pwd)/$crate)"; then
        echo "drop-in: $crate does not resolve to the shim crate in compat/$crate:" >&2
        cat "$work/tree.txt" >&2
        exit 1
    fi
    echo "drop-in: every dependent of $crate uses compat/$crate: $(grep -c 'v0.30.4' "$work/tree.txt") crates in the inverted tree"
done

cargo test --locked

# libcnb-cargo is a binary crate: install it with the same patch, from scratch each run.
cargo install --quiet libcnb-cargo@0.30.4 --root "$work/libcnb-cargo" \
    --target-dir "${CARGO_TARGET_DIR:-$here/target}/libcnb-cargo" \
    --config "patch.crates-io.libcnb-data.path=\"$(cd ../libcnb-data && pwd)\"" \
    --config "patch.crates-io.libcnb.path=\"$(cd ../libcnb && pwd)\""
"$work/libcnb-cargo/bin/cargo-libcnb" libcnb --version
echo "drop-in: libcnb-cargo 0.30.4 compiles against libcnb-lite-data"
