#!/usr/bin/env bash
# Build-time comparison (README.md beside this file): upstream libcnb's hello-world buildpack,
# hello-world.rs, built against upstream libcnb 0.30.4 (upstream/) and against libcnb-lite
# (lite/). Prints, for both:
#   - the normal dependency tree (crates, `cargo tree -e normal`),
#   - clean `cargo build --release` wall and CPU times, interleaved, each in a fresh target dir,
#   - the stripped release binary's size,
# and checks that both binaries behave the same when run as bin/detect and bin/build the way
# the lifecycle runs them (exit codes and written files, per scenario).
# Usage: [PAUSE=SECONDS] run.sh [ROUNDS]   (default 4 rounds, no pause). Dependencies are
# fetched first, so builds are offline. Clean builds are timed: run it on an otherwise idle
# machine; PAUSE idles between builds, for machines that slow down under sustained load.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for library in upstream lite; do
    (cd "$library" && cargo fetch --locked --quiet)
done

echo "== normal dependency tree (crates, including the buildpack)"
for library in upstream lite; do
    count=$(cd "$library" && cargo tree --locked --offline -e normal --prefix none \
        | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)
    printf '%-9s %s\n' "$library" "$count"
done

echo "== clean cargo build --release, each in a fresh target dir (seconds)"
# Rounds alternate the order (upstream first, then lite first) so that a machine getting
# faster or slower during a round doesn't favour one library. CPU is user + system time.
declare -A wall cpu
TIMEFORMAT='%R %U %S'
for round in $(seq "$rounds"); do
    order=(upstream lite)
    [ $((round % 2)) -eq 0 ] && order=(lite upstream)
    for library in "${order[@]}"; do
        target="$work/target-$library"
        rm -rf "$target"
        sleep "${PAUSE:-0}"
        load=$(cut -d' ' -f1 /proc/loadavg)
        { time (cd "$library" && CARGO_TARGET_DIR="$target" cargo build --release --locked --offline --quiet); } 2>"$work/time"
        read -r real user sys <"$work/time"
        cpu_seconds=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        wall[$library]+="$real "
        cpu[$library]+="$cpu_seconds "
        printf 'round %s %-9s wall %6s  cpu %6s  (load before %s)\n' "$round" "$library" "$real" \
            "$cpu_seconds" "$load"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratios() { paste <(echo "$1" | tr ' ' '\n' | grep .) <(echo "$2" | tr ' ' '\n' | grep .) | awk '{ printf "%.1f ", 100 * $2 / $1 }'; }
for measure in wall cpu; do
    declare -n times=$measure
    upstream_median=$(echo "${times[upstream]}" | median)
    lite_median=$(echo "${times[lite]}" | median)
    per_round=$(ratios "${times[upstream]}" "${times[lite]}")
    printf '%-4s median upstream %.2f s, lite %.2f s; lite/upstream per round (%%): %s-> median %s%%\n' \
        "$measure" "$upstream_median" "$lite_median" "$per_round" "$(echo "$per_round" | median)"
done

echo "== stripped release binary (bytes)"
for library in upstream lite; do
    cp "$work/target-$library/release/hello-world" "$work/hello-world-$library"
    strip "$work/hello-world-$library"
    printf '%-9s %s\n' "$library" "$(stat -c %s "$work/hello-world-$library")"
done
awk -v u="$(stat -c %s "$work/hello-world-upstream")" -v l="$(stat -c %s "$work/hello-world-lite")" \
    'BEGIN { printf "lite/upstream = %.1f%%\n", 100 * l / u }'

echo "== behaviour as bin/detect and bin/build (exit code and written files per scenario)"
# Runs one scenario with the lifecycle's arguments and variables; prints the exit code and
# the files the buildpack wrote. Output text is not compared: the messages name the library.
scenario() { # library name executable unset-variable|- args...
    local library=$1 name=$2 exe=$3 unset_var=$4
    shift 4
    local root="$work/run-$library"
    rm -rf "$root/layers" && mkdir -p "$root/layers"
    : >"$root/plan.toml"
    local vars=(PATH=/usr/bin:/bin CNB_BUILDPACK_DIR="$root/buildpack" CNB_PLATFORM_DIR="$root/platform"
        CNB_BUILD_PLAN_PATH="$root/plan.toml" CNB_BP_PLAN_PATH="$root/bpplan.toml"
        CNB_LAYERS_DIR="$root/layers" CNB_TARGET_OS=linux CNB_TARGET_ARCH=amd64
        CNB_TARGET_DISTRO_NAME=ubuntu CNB_TARGET_DISTRO_VERSION=24.04)
    local kept=() var
    for var in "${vars[@]}"; do [ "${var%%=*}" = "$unset_var" ] || kept+=("$var"); done
    local code=0
    (cd "$root/app" && env -i "${kept[@]}" "$root/buildpack/bin/$exe" "$@" >"$root/output" 2>&1) || code=$?
    echo "$name: exit $code"
    echo "  plan.toml: $(tr '\n' '|' <"$root/plan.toml")"
    local file
    for file in $(cd "$root/layers" && find . -type f | sort); do
        echo "  layers/${file#./}: $(tr '\n' '|' <"$root/layers/$file")"
    done
}
descriptor() { printf 'api = "%s"\n%s\n[buildpack]\nid = "test/hello"\nversion = "0.1.0"\n' "$1" "${2-}"; }
for library in upstream lite; do
    root="$work/run-$library"
    mkdir -p "$root/buildpack/bin" "$root/platform/env" "$root/app"
    cp "$work/hello-world-$library" "$root/buildpack/bin/build"
    ln -s build "$root/buildpack/bin/detect"
    ln -s build "$root/buildpack/bin/hello-world"
    : >"$root/bpplan.toml"
    {
        descriptor 0.10 >"$root/buildpack/buildpack.toml"
        p=("$root/platform"); l=("$root/layers")
        scenario "$library" detect detect - "${p[@]}" "$root/plan.toml"
        scenario "$library" build build - "${l[@]}" "${p[@]}" "$root/bpplan.toml"
        scenario "$library" detect-missing-argument detect - "${p[@]}"
        scenario "$library" build-missing-arguments build - "${l[@]}"
        scenario "$library" wrong-executable-name hello-world - "${p[@]}" "$root/plan.toml"
        scenario "$library" build-without-CNB_TARGET_OS build CNB_TARGET_OS "${l[@]}" "${p[@]}" "$root/bpplan.toml"
        scenario "$library" detect-without-distro detect CNB_TARGET_DISTRO_NAME "${p[@]}" "$root/plan.toml"
        scenario "$library" build-missing-plan build - "${l[@]}" "${p[@]}" "$root/missing.toml"
        scenario "$library" detect-without-CNB_BUILDPACK_DIR detect CNB_BUILDPACK_DIR "${p[@]}" "$root/plan.toml"
        descriptor 0.9 >"$root/buildpack/buildpack.toml"
        scenario "$library" unsupported-api detect - "${p[@]}" "$root/plan.toml"
        descriptor 0.10 "bogus = 1" >"$root/buildpack/buildpack.toml"
        scenario "$library" invalid-descriptor build - "${l[@]}" "${p[@]}" "$root/bpplan.toml"
        rm "$root/buildpack/buildpack.toml"
        scenario "$library" no-descriptor detect - "${p[@]}" "$root/plan.toml"
    } | sed "s|$root|<root>|g" >"$work/behaviour-$library.txt"
done
if diff -u "$work/behaviour-upstream.txt" "$work/behaviour-lite.txt"; then
    echo "same exit codes and files in all $(grep -c ': exit' "$work/behaviour-lite.txt") scenarios:"
    grep ': exit' "$work/behaviour-lite.txt" | sed 's/^/  /'
else
    echo "build-time: the two binaries behave differently (diff above)" >&2
    exit 1
fi
