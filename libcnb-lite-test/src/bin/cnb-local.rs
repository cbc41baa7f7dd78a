//! `cnb-local`: build an app with Cloud Native Buildpacks on the local file system, without
//! Docker. See [`libcnb_lite_test::cli`] for usage.

fn main() {
    std::process::exit(libcnb_lite_test::cli::main(
        std::env::args_os().skip(1).collect(),
    ));
}
