#!/usr/bin/env bash
# Checks that libcnb-lite's layer modules (`layer`, `layer_env`, `layer_set`) compile to no
# machine code in libcnb-lite's own release rlib.
#
# Why: a non-generic function is compiled in the crate that defines it, whether a buildpack
# calls it or not; an `#[inline]` one is compiled only in the crate that calls it, as generic
# code is. Keeping every non-generic function of the layer modules `#[inline]` means a
# buildpack that uses no layers never compiles them (about a third of libcnb-lite's own
# compile time; benches/build-time/README.md, "Where the time goes").
#
# How: build the release rlib, list the text symbols its object files define, and fail,
# naming each function, if one belongs to those modules. Trait impls that derive macros write
# (thiserror's `Display` and `Error`, `Debug`, serde's visitors) cannot be `#[inline]` and are
# small; they are allowed.
# Usage: .ci/check-inline.sh   (needs `ar` and `nm` from binutils)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in ar nm; do
    command -v "$tool" >/dev/null || { echo "check-inline: needs $tool (binutils)" >&2; exit 1; }
done

rlib=$(cargo build --release --locked --quiet -p libcnb-lite --message-format=json \
    | grep -Eo '"[^"]*/liblibcnb_lite(-[0-9a-f]+)?\.rlib"' | tr -d '"' | tail -n 1)
if [ -z "$rlib" ] || [ ! -f "$rlib" ]; then
    echo "check-inline: cannot find libcnb-lite's release rlib" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && ar x "$rlib")
shopt -s nullglob
objects=("$work"/*.o)
if [ ${#objects[@]} -eq 0 ]; then
    echo "check-inline: $rlib holds no object files" >&2
    exit 1
fi

# `nm` prints "<address> <type> <name>"; T/t/W/w are (weak) text symbols. The demangled names
# end in a `::h<hash>` disambiguator, which is dropped.
# A failing `nm` must fail the check, not make it pass with an empty symbol list.
nm --defined-only --demangle "${objects[@]}" >"$work/symbols.txt" 2>"$work/nm-errors.txt" || {
    echo "check-inline: nm failed on $rlib:" >&2
    cat "$work/nm-errors.txt" >&2
    exit 1
}
violations=$(awk '$2 ~ /^[TtWw]$/ { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$work/symbols.txt" \
    | sed -E 's/::h[0-9a-f]{16}$//' \
    | grep -E 'libcnb_lite::(layer|layer_env|layer_set)::' \
    | grep -Ev ' as core::(fmt::(Display|Debug)|error::Error)>::|serde(_core)?::de::Visitor>::' \
    | sort -u || true)

if [ -n "$violations" ]; then
    echo "check-inline: libcnb-lite's release rlib defines code of the layer modules;" >&2
    echo "mark these non-generic functions #[inline] (see the comment at the top of .ci/check-inline.sh):" >&2
    sed 's/^/  /' <<<"$violations" >&2
    exit 1
fi
echo "check-inline: the layer modules define no code in $(basename "$rlib")"
