//! A test buildpack for SBOMs: layer SBOMs, the build SBOM and the launch SBOM, in every format
//! (`CycloneDX`, SPDX, Syft), written, replaced and removed across builds.
//!
//! `SBOM_STEP` in the platform env says which build of the sequence this is:
//!
//! | step | `launch-cached` (cached, launch) | `build-cached` (cached, build) | `uncached` (launch, build) | build / launch SBOM |
//! |---|---|---|---|---|
//! | `1` (default) | all three formats | all three | all three | all three / all three |
//! | `2` | kept; replaced by `CycloneDX` only | kept; replaced by SPDX + Syft | recreated; none written | Syft / `CycloneDX` |
//! | `3` | kept; `write_sboms(&[])` | deleted by `inspect_restored` | recreated; none written | none / none |
//!
//! Every SBOM holds `{"sbom":"<layer or build/launch>","format":"<ext>","step":<step>}`, so a
//! test can tell which build wrote a file. The buildpack prints the SBOM files it finds in its
//! layers directory before handling its layers (what the lifecycle restored) and after.

use std::path::Path;
use std::{fs, io};

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::layer_name;
use libcnb_lite::data::sbom::SbomFormat;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{
    CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerRef, LayerState,
    UncachedLayerDefinition,
};
use libcnb_lite::sbom::Sbom;
use libcnb_lite::{Buildpack, Platform, buildpack_main};

struct SbomBuildpack;

/// Why a build of this buildpack failed.
#[derive(Debug, thiserror::Error)]
enum SbomBuildpackError {
    /// `SBOM_STEP` is not 1, 2 or 3.
    #[error("SBOM_STEP is {0:?}; use 1, 2 or 3")]
    UnknownStep(String),
    /// The layers directory or a layer can't be read or written.
    #[error("couldn't read or write the layers dir")]
    Io(#[source] io::Error),
}

impl Buildpack for SbomBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = SbomBuildpackError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        let step = match context.platform.env().get_string_lossy("SBOM_STEP") {
            None => 1,
            Some(text) => match text.parse::<u8>() {
                Ok(step @ 1..=3) => step,
                _ => return Err(buildpack_error(SbomBuildpackError::UnknownStep(text))),
            },
        };
        println!("step {step}");
        print_sbom_files("restored", &context.layers_dir)?;

        let launch_cached = context.cached_layer(
            layer_name!("launch-cached"),
            CachedLayerDefinition {
                build: false,
                launch: true,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|_: &GenericMetadata, _| InspectRestoredAction::KeepLayer,
            },
        )?;
        let build_cached = context.cached_layer(
            layer_name!("build-cached"),
            CachedLayerDefinition {
                build: true,
                launch: false,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|_: &GenericMetadata, _| {
                    if step == 3 {
                        InspectRestoredAction::DeleteLayer
                    } else {
                        InspectRestoredAction::KeepLayer
                    }
                },
            },
        )?;
        let uncached = context.uncached_layer(
            layer_name!("uncached"),
            UncachedLayerDefinition {
                build: true,
                launch: true,
            },
        )?;
        report_state("launch-cached", &launch_cached)?;
        report_state("build-cached", &build_cached)?;
        report_state("uncached", &uncached)?;

        match step {
            1 => {
                launch_cached.write_sboms(&all_formats("launch-cached", step))?;
                build_cached.write_sboms(&all_formats("build-cached", step))?;
                uncached.write_sboms(&all_formats("uncached", step))?;
            }
            2 => {
                launch_cached.write_sboms(&[sbom(
                    SbomFormat::CycloneDxJson,
                    "launch-cached",
                    step,
                )])?;
                build_cached.write_sboms(&[
                    sbom(SbomFormat::SpdxJson, "build-cached", step),
                    sbom(SbomFormat::SyftJson, "build-cached", step),
                ])?;
            }
            _ => launch_cached.write_sboms(&[])?,
        }
        print_sbom_files("after layers", &context.layers_dir)?;

        let (build_sboms, launch_sboms) = match step {
            1 => (all_formats("build", step), all_formats("launch", step)),
            2 => (
                vec![sbom(SbomFormat::SyftJson, "build", step)],
                vec![sbom(SbomFormat::CycloneDxJson, "launch", step)],
            ),
            _ => (Vec::new(), Vec::new()),
        };
        let mut result = BuildResultBuilder::new();
        for sbom in build_sboms {
            result = result.build_sbom(sbom);
        }
        for sbom in launch_sboms {
            result = result.launch_sbom(sbom);
        }
        result.build()
    }
}

fn buildpack_error(error: SbomBuildpackError) -> libcnb_lite::Error<SbomBuildpackError> {
    libcnb_lite::Error::BuildpackError(error)
}

/// File name extension of a format, as in `<layer>.sbom.<ext>.json`.
fn extension(format: SbomFormat) -> &'static str {
    match format {
        SbomFormat::CycloneDxJson => "cdx",
        SbomFormat::SpdxJson => "spdx",
        SbomFormat::SyftJson => "syft",
    }
}

fn sbom(format: SbomFormat, what: &str, step: u8) -> Sbom {
    let data = format!(
        "{{\"sbom\":\"{what}\",\"format\":\"{}\",\"step\":{step}}}",
        extension(format)
    );
    Sbom::from_bytes(format, data)
}

fn all_formats(what: &str, step: u8) -> Vec<Sbom> {
    [
        SbomFormat::CycloneDxJson,
        SbomFormat::SpdxJson,
        SbomFormat::SyftJson,
    ]
    .into_iter()
    .map(|format| sbom(format, what, step))
    .collect()
}

/// Prints the layer's state; an empty layer gets a file, so that the lifecycle exports and
/// caches it (a layer without contents is neither).
fn report_state<MAC, RAC>(
    name: &str,
    layer: &LayerRef<SbomBuildpack, MAC, RAC>,
) -> libcnb_lite::Result<(), SbomBuildpackError> {
    match layer.state {
        LayerState::Restored { .. } => println!("{name}: restored"),
        LayerState::Empty { .. } => {
            println!("{name}: empty");
            fs::write(layer.path().join("contents.txt"), name)
                .map_err(|error| buildpack_error(SbomBuildpackError::Io(error)))?;
        }
    }
    Ok(())
}

/// Prints `<label>: <file> = <contents>` for every SBOM file in the layers dir, sorted, or
/// `<label>: none`.
fn print_sbom_files(label: &str, layers_dir: &Path) -> libcnb_lite::Result<(), SbomBuildpackError> {
    let read = || -> io::Result<Vec<(String, String)>> {
        let mut files = Vec::new();
        for entry in fs::read_dir(layers_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".sbom.") {
                files.push((name, fs::read_to_string(entry.path())?));
            }
        }
        files.sort();
        Ok(files)
    };
    let files = read().map_err(|error| buildpack_error(SbomBuildpackError::Io(error)))?;
    if files.is_empty() {
        println!("{label}: none");
    }
    for (name, contents) in files {
        println!("{label}: {name} = {contents}");
    }
    Ok(())
}

buildpack_main!(SbomBuildpack);
