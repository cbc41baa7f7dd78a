#!/usr/bin/env bash
# Source-compatibility check (README.md beside this file): compiles src/main.rs, a buildpack
# written for upstream libcnb 0.30.4, against upstream (upstream/) and against libcnb-lite
# renamed to `libcnb` (lite/), packages both as the same buildpack, runs both through the same
# builds with cnb-local (one state dir per library, so rebuilds see their previous image and
# cache) and compares exit codes, output and the layers dir after every build.
# Usage: run.sh [--keep]   (--keep leaves the work dir with both transcripts)
# Honours CARGO_TARGET_DIR. Exits 1 and prints a diff on any unexpected difference.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
root=$(cd ../.. && pwd)
keep=false
case "${1-}" in
    --keep) keep=true ;;
    "") ;;
    *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
if $keep; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# The source must compile against both without a warning (a deprecation on one side only
# would be a difference too); cargo replays the warnings of cached builds.
cargo build --locked -p compat-upstream -p compat-lite 2>"$work/build.log" || {
    cat "$work/build.log" >&2
    exit 1
}
if grep -E -q '^(warning|error)' "$work/build.log"; then
    cat "$work/build.log" >&2
    echo "compat: the buildpack source must compile without warnings against both libraries" >&2
    exit 1
fi
(cd "$root" && cargo build --locked --quiet -p cnb-local)
compat_bin_dir="${CARGO_TARGET_DIR:-$here/target}/debug"
cnb_local="${CARGO_TARGET_DIR:-$root/target}/debug/cnb-local"

# Packages a binary as libcnb-cargo does: bin/build, and bin/detect linked to it.
for library in upstream lite; do
    mkdir -p "$work/$library/buildpack/bin"
    cp buildpack.toml "$work/$library/buildpack/"
    cp "$compat_bin_dir/compat-$library" "$work/$library/buildpack/bin/build"
    ln -s build "$work/$library/buildpack/bin/detect"
done

# Each library's buildpack and state dir are moved to the same paths for its builds
# ($work/buildpack, $work/state), so that paths written into layers (WIDGET_HOME) and the
# layer digests match; only the timings differ between the runs by construction.
normalize() {
    sed -E \
        -e "s#$work#<work>#g" \
        -e 's#buildpack-[A-Za-z0-9]{6}#buildpack-XXXXXX#g' \
        -e '/preparing buildpack/d' \
        -e '/^Timings: /d'
}

# Every file and dir below the buildpack's layers dir: type, mode, path, then each file.
snapshot() {
    local dir=$1
    if [ ! -d "$dir" ]; then echo "(no layers dir)"; return; fi
    (cd "$dir" && find . -mindepth 1 -printf '%y %m %p%l\n' | LC_ALL=C sort -k3)
    (cd "$dir" && find . -type f | LC_ALL=C sort) | while read -r file; do
        echo "==> $file"
        cat "$dir/$file"
        [ -z "$(tail -c1 "$dir/$file")" ] || echo "(no newline at end of file)"
    done
}

# step NAME APP [--env NAME=VALUE]...: one build of both libraries, appended to their transcripts.
step() {
    local name=$1 app=$2
    shift 2
    for library in upstream lite; do
        local out="$work/$library"
        local code=0
        mv "$out/buildpack" "$work/buildpack"
        if [ -d "$out/state" ]; then mv "$out/state" "$work/state"; fi
        "$cnb_local" build --buildpack "$work/buildpack" --app "apps/$app" --state "$work/state" "$@" \
            >"$out/stdout" 2>"$out/stderr" || code=$?
        {
            echo "################ $name (app $app${*:+, $*})"
            echo "exit code: $code"
            echo "---------------- stdout"
            normalize <"$out/stdout"
            echo "---------------- stderr"
            normalize <"$out/stderr"
            echo "---------------- layers/compat_widget"
            snapshot "$work/state/build/layers/compat_widget" | normalize
        } >>"$out/transcript.txt"
        mv "$work/buildpack" "$out/buildpack"
        mv "$work/state" "$out/state"
    done
}

step "first build" widget
step "rebuild, nothing changed" widget
step "rebuild with WIDGET_VERSION from the platform" widget --env WIDGET_VERSION=2.2.0 --env WIDGET_DEBUG=true
step "rebuild, writing the previous release's layer metadata" widget \
    --env WIDGET_VERSION=2.2.0 --env WIDGET_WRITE_LEGACY_METADATA=true
step "rebuild, migrating the previous release's layer metadata" widget --env WIDGET_VERSION=2.2.0
step "rebuild, migrated layers kept" widget --env WIDGET_VERSION=2.2.0
step "buildpack error (invalid version)" widget --env WIDGET_VERSION=latest
step "libcnb::Error::ProcessTypeError (invalid worker process type)" bad-worker
step "detect fails (no widget.toml)" plain

# What may differ, each made equal in both transcripts: libcnb-lite's deliberate differences
# (CHANGELOG.md, "Fixed"),
# and the runtime face of any known incompatibility (src/known_incompatibilities.rs).
tolerate() {
    sed -E \
        `# Error messages: libcnb-lite's Display texts are its own (lowercase, naming the file` \
        `# or variable at fault; CHANGELOG "Changed"). The "compat: error:" line, which comes` \
        `# from matching the libcnb::Error variant, must still agree.` \
        -e 's#^(compat: error message: ).*#\1<libcnb error message>#' \
        `# Metadata integers that the lifecycle restores as floats (2.0), a deliberate fix:` \
        `# deserialize into integer fields in libcnb-lite, so its invalid-metadata callback,` \
        `# which migrates them for upstream (the libcnb#473 workaround), is not called, and the` \
        `# kept <layer>.toml keeps the restored 2.0 where upstream wrote the migrated 2.` \
        -e '/^compat: packages: metadata count came back as a float$/d' \
        -e 's#^(package-count = [0-9]+)\.0$#\1#'
}
tolerate <"$work/upstream/transcript.txt" >"$work/upstream/compared.txt"
tolerate <"$work/lite/transcript.txt" >"$work/lite/compared.txt"

status=0
if diff -u --label upstream --label libcnb-lite "$work/upstream/compared.txt" "$work/lite/compared.txt"; then
    echo "compat: upstream libcnb 0.30.4 and libcnb-lite agree on $(grep -c '^################' "$work/lite/compared.txt") builds" \
        "($(wc -l <"$work/lite/compared.txt") transcript lines compared)"
else
    echo "compat: unexpected differences between upstream libcnb 0.30.4 (-) and libcnb-lite (+), above" >&2
    status=1
fi

# Every error's Display text (src/error_texts.rs), which buildpacks snapshot: byte for byte.
"$compat_bin_dir/compat-upstream-error-texts" >"$work/upstream/error-texts.txt"
"$compat_bin_dir/compat-lite-error-texts" >"$work/lite/error-texts.txt"
if diff -u --label upstream --label libcnb-lite "$work/upstream/error-texts.txt" "$work/lite/error-texts.txt"; then
    echo "compat: upstream libcnb 0.30.4 and libcnb-lite print the same text for $(wc -l <"$work/lite/error-texts.txt") errors"
else
    echo "compat: error texts differ between upstream libcnb 0.30.4 (-) and libcnb-lite (+), above" >&2
    status=1
fi

# Known incompatibilities: must compile against upstream, and must still fail against
# libcnb-lite (once they compile, move them into the buildpack and off the list and README.md).
# Each is a top-level fn; with none, the list has nothing to check.
if ! grep -E -q '^(pub(\([a-z]+\))? )?fn ' src/known_incompatibilities.rs; then
    echo "compat: no known incompatibilities (src/known_incompatibilities.rs is empty)"
elif ! cargo check --locked --quiet -p compat-upstream --features known-incompatibilities; then
    echo "compat: src/known_incompatibilities.rs must compile against upstream libcnb" >&2
    status=1
elif cargo check --locked --quiet -p compat-lite --features known-incompatibilities >"$work/known.log" 2>&1; then
    echo "compat: src/known_incompatibilities.rs compiles against libcnb-lite now: remove the fixed items" >&2
    status=1
else
    echo "compat: KNOWN INCOMPATIBILITIES (src/known_incompatibilities.rs; upstream code that libcnb-lite rejects):"
    grep -E -A1 '^error\[' "$work/known.log" | grep -v '^--$' | sed 's/^/    /'
fi
echo "compat: done in ${SECONDS}s"
exit $status
