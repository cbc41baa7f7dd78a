//! Compile errors that are part of the API, pinned with their messages.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
