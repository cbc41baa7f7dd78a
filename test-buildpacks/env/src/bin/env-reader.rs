//! The reader of the env test group: runs after the `env` buildpack and prints the
//! `ENVTEST_*` and path variables of its build environment, which the lifecycle assembled from
//! the earlier buildpack's `build = true` layers.

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
use libcnb_lite::{Buildpack, buildpack_main};

const PATH_VARIABLES: [&str; 5] = [
    "PATH",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

struct EnvReaderBuildpack;

impl Buildpack for EnvReaderBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = GenericError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, _context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        let mut vars: Vec<(String, String)> = std::env::vars()
            .filter(|(name, _)| {
                name.starts_with("ENVTEST_") || PATH_VARIABLES.contains(&name.as_str())
            })
            .collect();
        vars.sort();
        for (name, value) in vars {
            println!("reader: {name}={value}");
        }
        BuildResultBuilder::new().build()
    }
}

buildpack_main!(EnvReaderBuildpack);
