//! Empty: this package only compiles `../../test-buildpacks/libcnb-test-suite/tests/` against
//! upstream libcnb-test (see `run.sh`).
