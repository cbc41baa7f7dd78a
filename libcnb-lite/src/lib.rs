//! A framework for writing [Cloud Native Buildpacks](https://buildpacks.io/) in Rust.
//!
//! `libcnb_lite` mirrors the API of [libcnb](https://docs.rs/libcnb) 0.30. It implements
//! Buildpack API 0.10, and accepts 0.11 and 0.12.
//!
//! # Porting a libcnb buildpack
//!
//! A libcnb 0.30 buildpack compiles against this crate after two changes:
//!
//! 1. switch the dependency: rename it, `libcnb = { package = "libcnb-lite", version = "…" }`,
//!    so that every `libcnb::` path keeps working; or, when other crates in the tree depend on
//!    upstream libcnb themselves (`libherokubuildpack`, `libcnb-test`), replace `libcnb` and
//!    `libcnb-data` in the whole tree with `[patch.crates-io]` and this repository's `compat/`
//!    crates, which carry upstream's names and version (the repository's README says how);
//! 2. rename four items of the struct layer API:
//!
//! | libcnb 0.30 | libcnb-lite |
//! |---|---|
//! | `CachedLayerDefinition::invalid_metadata_action` | [`CachedLayerDefinition::invalid_metadata`](layer::CachedLayerDefinition::invalid_metadata) |
//! | `CachedLayerDefinition::restored_layer_action` | [`CachedLayerDefinition::inspect_restored`](layer::CachedLayerDefinition::inspect_restored) |
//! | `RestoredLayerAction::{DeleteLayer, KeepLayer}` | [`InspectRestoredAction::{DeleteLayer, KeepLayer}`](layer::InspectRestoredAction) |
//! | `EmptyLayerCause::RestoredLayerAction { cause }` | [`EmptyLayerCause::InspectRestoredAction { cause }`](layer::EmptyLayerCause::InspectRestoredAction) |
//!
//! Everything else keeps libcnb's name and signature, including the deprecated trait layer
//! API.
//!
//! # Error texts
//!
//! For every error type and variant that upstream libcnb 0.30.4 has, `Display` prints
//! upstream's text byte for byte, and the default [`Buildpack::on_error`] prints upstream's
//! `Debug` form: buildpacks snapshot their error output, so a different text would be a broken
//! test. What libcnb-lite knows beyond upstream's message is a value:
//!
//! - the file or directory, the layer and the operation of an I/O error: [`PathError`], from
//!   [`Error::path_error`], [`layer::LayerError::path_error`], [`TomlFileError::path_error`]
//!   or [`PathError::in_io_error`]. The `io::Error`s libcnb-lite builds print the operating
//!   system's message, as upstream's, and have the `PathError` as their
//!   [`source`](std::error::Error::source), so reporters that print the chain show the path;
//! - the rule a name broke: `LayerNameError::rule()` and its siblings in [`data`];
//! - for metadata that doesn't read back after a `ReplaceMetadata`, the TOML error inside
//!   upstream's `ReadLayerError::LayerContentMetadataParseError` names the layer and its
//!   `<layer>.toml`;
//! - what to do about each error is in its variant's documentation.
//!
//! Variants that only libcnb-lite has (such as
//! [`layer::ReplaceLayerExecdProgramsError::InvalidProgramName`]) have messages of their own.
//!
//! # Cargo features
//!
//! Upstream's, with the same names: `trace` (an OpenTelemetry file export of the detect and
//! build phases), `anyhow` (`From<anyhow::Error>` for `Error<anyhow::Error>`) and
//! `cyclonedx-bom` (`TryFrom<cyclonedx_bom::models::bom::Bom>` for [`sbom::Sbom`]).
//!
//! # Where to start
//!
//! - Implement [`Buildpack`] and hand it to [`buildpack_main!`]; the runtime turns the one
//!   binary into `bin/detect` and `bin/build`.
//! - [`detect`] and [`build`] hold the contexts your buildpack gets and the result builders it
//!   returns; [`generic`] has ready-made associated types.
//! - [`layer`] creates, restores and caches layers: `BuildContext::cached_layer` and
//!   `uncached_layer`, and the deprecated trait API.
//! - [`layer_set`] plans one layer per item (a package, a dependency) within a layer budget,
//!   and prunes the layers of items that went away.
//! - [`layer_env`] models a layer's environment variable changes; [`sbom`] bills of materials;
//!   [`exec_d`] the output of exec.d programs.
//! - [`data`] (the `libcnb-lite-data` crate) has the types of the spec's TOML files.
//!
//! # Packaging and testing
//!
//! Package a buildpack crate with libcnb-cargo, as for libcnb (`cargo install
//! libcnb-cargo`, then in the crate's dir):
//!
//! ```text
//! cargo libcnb package                                    # needs the musl target
//! cargo libcnb package --target x86_64-unknown-linux-gnu  # where no musl target is installed
//! ```
//!
//! It writes the buildpack (`buildpack.toml`, `bin/build`, `bin/detect`) under `packaged/`
//! in the workspace root. A glibc build runs on run images that have glibc.
//!
//! Test without Docker with the `libcnb-lite-test` crate: its `build` runs the crate's own
//! binary (`BuildpackSource::binary(env!("CARGO_BIN_EXE_<name>"), "buildpack.toml")`) or a
//! packaged dir through a local lifecycle, and `ctx.rebuild` shows what a real rebuild
//! restores. The `cnb-local` tool does the same from the shell (`cnb-local build
//! --buildpack <dir> --app <dir>`, then `cnb-local launch`).
//!
//! # Example
//!
//! ```no_run
//! use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
//! use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
//! use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
//! use libcnb_lite::{Buildpack, buildpack_main};
//!
//! struct HelloBuildpack;
//!
//! impl Buildpack for HelloBuildpack {
//!     type Platform = GenericPlatform;
//!     type Metadata = GenericMetadata;
//!     type Error = GenericError;
//!
//!     fn detect(&self, _: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, GenericError> {
//!         DetectResultBuilder::pass().build()
//!     }
//!
//!     fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, GenericError> {
//!         println!("Hello from {}!", context.buildpack_descriptor.buildpack.id);
//!         BuildResultBuilder::new().build()
//!     }
//! }
//!
//! buildpack_main!(HelloBuildpack);
//! ```
//!
//! # Files
//!
//! Every file the runtime and the layer APIs write (the build plan, `launch.toml`,
//! `build.toml`, `store.toml`, `<layer>.toml`, env files, SBOMs, exec.d programs) is written in
//! place, as upstream does: the lifecycle exports nothing from a build that fails or is killed,
//! so a half-written file is never seen by a later build, and a temporary file renamed into
//! place would only cost time.
//!
//! # The `trace` feature
//!
//! As upstream's feature of the same name, `trace` exports each phase as OpenTelemetry spans
//! to a file that collectors (such as heroku/cnb-otel-collector) pick up:
//! `/tmp/libcnb-telemetry/<buildpack id with / . - replaced by _>-<detect|build>.jsonl`, one
//! OTLP JSON `TracesData` object per line, appended. The runtime records upstream's spans and
//! events: a `libcnb-detect` or `libcnb-build` span with a `failed` field (recorded `false`
//! on success), the events `libcnb-detect-passed`, `libcnb-detect-failed` and
//! `libcnb-build-success`, and `libcnb-detect-error` or `libcnb-build-error` (ERROR level,
//! with the `error`'s `Debug` text, marking the span's status as error) on failure. The
//! buildpack's own [`tracing`](https://docs.rs/tracing) spans and events at INFO and above are
//! exported too: the runtime sets the global subscriber before calling `detect` or `build`.
//! The resource carries `service.name`, `service.version`, `buildpack_id`, `buildpack_name`,
//! `buildpack_version` and `buildpack_homepage`; the instrumentation scope is named `libcnb`.
//! A file that can't be opened never fails the phase: nothing is exported then.
//!
//! Records of the [`log`](https://docs.rs/log) crate at INFO and above become events too, as
//! upstream's subscriber makes them.
//!
//! The JSON has upstream's keys, nesting and value encodings (ids in hex, 64-bit integers as
//! strings, span and event attributes as `tracing-opentelemetry` records them), but it is
//! written by a small exporter of this crate instead of the opentelemetry SDK: the feature
//! adds 15 crates instead of upstream's 71 (`cargo tree -e normal --prefix none | sort -u`).
//! What differs: the scope's version and `telemetry.sdk.name`/`telemetry.sdk.version` name
//! this crate, the resource's attributes come in a fixed order (upstream's follow a hash
//! map), there is no global OpenTelemetry tracer provider (spans made through the
//! `opentelemetry` API instead of `tracing` are not exported), and closed spans are written
//! when 512 have gathered, when one closes 5 seconds after the last write, and at the end of
//! the phase, instead of from a background thread.

pub mod build;
pub mod detect;
pub mod exec_d;
pub mod generic;
pub mod layer;
pub mod layer_env;
pub mod layer_set;
pub mod sbom;

#[doc(hidden)]
pub mod internals;

mod buildpack;
mod buildpack_api;
mod env;
mod error;
mod exit_code;
mod fs;
mod path_error;
mod platform;
mod runtime;
mod target;
mod toml_file;
#[cfg(feature = "trace")]
mod tracing;

pub use buildpack::Buildpack;
pub use env::Env;
pub use error::{Error, Result};
pub use path_error::{PathError, PathOperation};
pub use platform::Platform;
#[doc(hidden)]
pub use runtime::{
    BuildArgs, BuildArgsParseError, DetectArgs, DetectArgsParseError, libcnb_runtime,
    libcnb_runtime_build, libcnb_runtime_detect,
};
pub use target::Target;
pub use toml_file::{TomlFileError, read_toml_file, write_toml_file};

#[doc(inline)]
pub use libcnb_lite_data as data;

/// Generates the `main` function of a buildpack binary, which runs the given [`Buildpack`] as
/// `bin/detect` or `bin/build` depending on the executable's file name.
///
/// Package the binary with `bin/detect` and `bin/build` both linking to it (symlinks or hard
/// links). The exit codes are upstream libcnb's: 0 on success, 100 when detection fails, 1 on
/// an error (after [`Buildpack::on_error`]) or bad arguments, 254 for an unsupported Buildpack
/// API in `buildpack.toml`, 255 for an unexpected executable name.
///
/// # Examples
///
/// ```no_run
/// # use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
/// # use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
/// # use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
/// use libcnb_lite::buildpack_main;
/// # use libcnb_lite::Buildpack;
///
/// struct MyBuildpack;
/// # impl Buildpack for MyBuildpack {
/// #     type Platform = GenericPlatform;
/// #     type Metadata = GenericMetadata;
/// #     type Error = GenericError;
/// #     fn detect(&self, _: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, GenericError> {
/// #         DetectResultBuilder::pass().build()
/// #     }
/// #     fn build(&self, _: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, GenericError> {
/// #         BuildResultBuilder::new().build()
/// #     }
/// # }
///
/// buildpack_main!(MyBuildpack);
/// ```
#[macro_export]
macro_rules! buildpack_main {
    ($buildpack:expr) => {
        fn main() {
            $crate::libcnb_runtime(&$buildpack);
        }
    };
}

/// The path of an additional binary of this buildpack crate inside the packaged buildpack:
/// `$CNB_BUILDPACK_DIR/.libcnb-cargo/additional-bin/<name>` (upstream's layout).
///
/// Use it to copy an exec.d program (a binary target of the buildpack crate, see
/// [`exec_d`]) into a layer. The expression has type [`PathBuf`](std::path::PathBuf).
///
/// # Compile-time check
///
/// The name must be a string literal, and a compile error rejects one that can't be a binary
/// file name (empty, `.`, `..`, or containing `/`, `\` or NUL). Unlike upstream, the macro
/// does **not** check that the crate has a binary target of that name: Cargo only tells
/// integration tests about other binary targets (`CARGO_BIN_EXE_<name>`), and reading
/// `Cargo.toml` at compile time needs a proc-macro crate, which this crate avoids to stay light.
/// A wrong name surfaces when the copy fails with a "not found" error naming the path.
///
/// # Panics
///
/// Never: without `CNB_BUILDPACK_DIR` (which the lifecycle always sets), the directory above
/// the executable's `bin/` is used.
///
/// # Examples
///
/// ```
/// use libcnb_lite::additional_buildpack_binary_path;
///
/// let path = additional_buildpack_binary_path!("set-port");
/// assert!(path.ends_with(".libcnb-cargo/additional-bin/set-port"));
/// ```
///
/// An invalid name doesn't compile:
///
/// ```compile_fail
/// let path = libcnb_lite::additional_buildpack_binary_path!("../escape");
/// ```
#[macro_export]
macro_rules! additional_buildpack_binary_path {
    ($target_name:expr) => {{
        const _: () = ::std::assert!(
            $crate::internals::is_valid_binary_target_name($target_name),
            ::std::concat!(
                $target_name,
                " is not a valid binary target name: it must be a file name, not empty, `.` or \
                 `..`, and without `/`, `\\` or NUL"
            )
        );
        $crate::internals::additional_buildpack_binary_path($target_name)
    }};
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
