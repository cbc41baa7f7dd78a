//! A buildpack whose layer holds an exec.d program: `web-concurrency`, the crate's second
//! binary, which the lifecycle's launcher runs before the app starts and whose output sets
//! `WEB_CONCURRENCY` in the app's environment.

use libcnb_lite::additional_buildpack_binary_path;
use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb_lite::data::{layer_name, process_type};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
use libcnb_lite::layer::UncachedLayerDefinition;
use libcnb_lite::{Buildpack, buildpack_main};

struct ExecDBuildpack;

impl Buildpack for ExecDBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = GenericError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        // Any app can use a WEB_CONCURRENCY default.
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        // The program only has to be in the image: a launch layer, rebuilt every time (copying
        // one file is cheaper than deciding whether a cached copy is still current).
        let layer = context.uncached_layer(
            layer_name!("web-concurrency"),
            UncachedLayerDefinition {
                build: false,
                launch: true,
            },
        )?;
        // `additional_buildpack_binary_path!` is where the packaged buildpack keeps the
        // crate's other binaries; the layer gets a copy as `exec.d/web-concurrency`.
        layer.write_exec_d_programs([(
            "web-concurrency",
            additional_buildpack_binary_path!("web-concurrency"),
        )])?;
        println!("Added exec.d/web-concurrency: WEB_CONCURRENCY is set when the app starts.");

        // A process that shows the result; a real buildpack leaves processes to the app's
        // language buildpack.
        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("web"), ["printenv", "WEB_CONCURRENCY"])
                            .default(true)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }
}

buildpack_main!(ExecDBuildpack);
