#!/usr/bin/env bash
# Bounded memory for buildpack output (README.md beside this file): a buildpack writes 1 GB
# to stdout during `cnb-local build`; the build must pass it all through (counted on the
# other side of the pipe) with a peak RSS under 64 MiB (GNU time's maximum resident set).
# Usage: run.sh [BYTES]   (default 1000000000). Honours CARGO_TARGET_DIR. Exits 1 when the
# limit is exceeded or output is lost.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
bytes=${1:-1000000000}
limit_kib=$((64 * 1024))
[ -x /usr/bin/time ] || { echo "output-memory: needs GNU time (/usr/bin/time, Debian package time)" >&2; exit 1; }

(cd "$root" && cargo build --locked --quiet -p cnb-local)
cnb_local="${CARGO_TARGET_DIR:-$root/target}/debug/cnb-local"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bp/bin" "$work/app"
printf 'api = "0.10"\n\n[buildpack]\nid = "bench/loud"\nversion = "0.1.0"\n' > "$work/bp/buildpack.toml"
printf '#!/bin/sh\nexit 0\n' > "$work/bp/bin/detect"
# 64-byte lines of "y", BYTES in all.
printf '#!/bin/sh\nyes %s | head -c "$BYTES"\n' "$(printf 'y%.0s' $(seq 1 62))" > "$work/bp/bin/build"
chmod +x "$work/bp/bin/detect" "$work/bp/bin/build"
echo app > "$work/app/file"

start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" \
    "$cnb_local" build --buildpack "$work/bp" --app "$work/app" --state "$work/state" \
    --env "BYTES=$bytes" 2>"$work/stderr" | wc -c > "$work/count"
end=$(date +%s.%N)
rss_kib=$(tail -n 1 "$work/rss")
count=$(cat "$work/count")
awk -v b="$bytes" -v c="$count" -v r="$rss_kib" -v s="$start" -v e="$end" 'BEGIN {
    printf "buildpack output: %d bytes; cnb-local stdout: %d bytes; peak RSS: %d KiB (%.1f MiB); %.1fs\n", b, c, r, r / 1024, e - s
}'
if [ "$count" -lt "$bytes" ]; then
    echo "output-memory: output was lost" >&2
    cat "$work/stderr" >&2
    exit 1
fi
if [ "$rss_kib" -ge "$limit_kib" ]; then
    echo "output-memory: peak RSS ${rss_kib} KiB is over the ${limit_kib} KiB limit" >&2
    exit 1
fi
