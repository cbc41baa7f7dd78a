#!/usr/bin/env bash
# libcnb-test source compatibility: compiles the integration tests of
# test-buildpacks/libcnb-test-suite, as they are, against upstream libcnb-test 0.30.4 from
# crates.io (`cargo test --no-run`). The same sources run on libcnb-lite-test in the main
# workspace, so a test written for libcnb-test needs only the dependency renamed.
# Honours CARGO_TARGET_DIR. Exits non-zero when the sources do not compile.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --locked --no-run --quiet
echo "libcnb-test-compat: test-buildpacks/libcnb-test-suite/tests compile against libcnb-test 0.30.4"
