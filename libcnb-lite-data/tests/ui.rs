//! Invalid literals passed to the name macros must not compile, and the compiler error must
//! name the rule that was broken. The expected errors are in `tests/ui/*.stderr`; regenerate
//! them with `TRYBUILD=overwrite cargo test -p libcnb-lite-data --test ui` and review the diff.

#[test]
fn invalid_literals_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
