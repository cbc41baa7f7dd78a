//! A buildpack that reaches every [`LayerState`] and
//! [`EmptyLayerCause`](libcnb_lite::layer::EmptyLayerCause) of the struct layer API for real,
//! across builds run by the local lifecycle, and prints what happened in words a test can
//! assert.
//!
//! Platform env vars (`pack build --env`) steer its decisions, one build at a time:
//!
//! | variable | values (default first) | layer | decides |
//! |---|---|---|---|
//! | `VERSION` | any string (`1`) | `versioned` | `inspect_restored` keeps the layer when the cached version equals it, deletes it otherwise |
//! | `SCHEMA` | `1`, `2` | `migrating` | the metadata type; schema 1 metadata does not read as schema 2 |
//! | `ON_INVALID` | `delete`, `replace`, `replace-unreadable` | `migrating` | what `invalid_metadata` does with schema 1 metadata |
//! | `ON_RESTORED` | `keep`, `delete` | `migrating` | what `inspect_restored` does with schema 2 metadata |
//! | `SCRATCH` | `cached`, `uncached` | `scratch` | whether the layer is requested with `cached_layer` or `uncached_layer` |
//!
//! The layer `launch-only` is an uncached launch layer, requested the same way every build;
//! `unwritten` is a cached layer whose metadata the buildpack never writes.
//!
//! For each layer it prints the `<layer>.toml` the lifecycle restored (newlines as `|`), the
//! state (`layer `x`: Restored { cause: ... }`) and the files in the layer after handling.
//! Between them, the callbacks return each form `IntoAction` accepts: a bare action,
//! `(action, cause)`, `Result<action, E>` and `Result<(action, cause), E>`.

use std::fmt::Debug;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::layer_name;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{
    CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerRef, LayerState,
    UncachedLayerDefinition,
};
use libcnb_lite::{Buildpack, Platform, buildpack_main};
use serde::{Deserialize, Serialize};

struct LayerStatesBuildpack;

/// What went wrong; printed through `Debug` by the runtime's default `on_error`.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the fields are read through Debug, in the error output"
)]
enum LayerStatesError {
    /// A platform env var has a value this buildpack does not know.
    UnknownSetting { name: &'static str, value: String },
    /// A file in a layer could not be read or written.
    Io { path: PathBuf, source: io::Error },
}

type Result<T> = libcnb_lite::Result<T, LayerStatesError>;

/// Metadata of the `versioned` layer; the lifecycle hands its integers back as floats
/// (`1.0`) after its JSON round trip, in arrays too.
#[derive(Debug, Serialize, Deserialize)]
struct VersionedMetadata {
    version: String,
    builds: u64,
    /// The number of each build that used this layer.
    history: Vec<u32>,
}

/// The `inspect_restored` cause of the `versioned` layer.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "`Outdated`'s fields are read through Debug, in the printed state"
)]
enum VersionCheck {
    UpToDate { builds: u64 },
    Outdated { cached: String, wanted: String },
}

/// Schema 1 of the `migrating` layer's metadata.
#[derive(Debug, Serialize, Deserialize)]
struct RuntimeV1 {
    runtime: String,
}

/// Schema 2 of the `migrating` layer's metadata: schema 1's `runtime = "ruby-3.3.0"` split.
#[derive(Debug, Serialize, Deserialize)]
struct RuntimeV2 {
    name: String,
    version: String,
}

/// A schema 2 look-alike whose serialized form does not deserialize as itself: the
/// `ReplaceMetadata` it returns can never read back.
#[derive(Debug, Serialize, Deserialize)]
struct SkewedRuntimeV2 {
    #[serde(rename(serialize = "runtime_name"))]
    name: String,
    version: String,
}

/// Metadata of the `scratch` layer while it is cached.
#[derive(Debug, Serialize, Deserialize)]
struct ScratchMetadata {
    written_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnInvalid {
    Delete,
    Replace,
    ReplaceUnreadable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnRestored {
    Keep,
    Delete,
}

/// This build's decisions, from the platform env.
#[derive(Debug)]
struct Settings {
    version: String,
    schema2: bool,
    on_invalid: OnInvalid,
    on_restored: OnRestored,
    scratch_cached: bool,
}

impl Settings {
    fn from_platform(platform: &GenericPlatform) -> Result<Self> {
        let env = platform.env();
        let setting = |name: &'static str, default: &str| {
            env.get_string_lossy(name)
                .unwrap_or_else(|| default.to_string())
        };
        let unknown = |name: &'static str, value: String| {
            libcnb_lite::Error::BuildpackError(LayerStatesError::UnknownSetting { name, value })
        };
        Ok(Self {
            version: setting("VERSION", "1"),
            schema2: match setting("SCHEMA", "1").as_str() {
                "1" => false,
                "2" => true,
                other => return Err(unknown("SCHEMA", other.to_string())),
            },
            on_invalid: match setting("ON_INVALID", "delete").as_str() {
                "delete" => OnInvalid::Delete,
                "replace" => OnInvalid::Replace,
                "replace-unreadable" => OnInvalid::ReplaceUnreadable,
                other => return Err(unknown("ON_INVALID", other.to_string())),
            },
            on_restored: match setting("ON_RESTORED", "keep").as_str() {
                "keep" => OnRestored::Keep,
                "delete" => OnRestored::Delete,
                other => return Err(unknown("ON_RESTORED", other.to_string())),
            },
            scratch_cached: match setting("SCRATCH", "cached").as_str() {
                "cached" => true,
                "uncached" => false,
                other => return Err(unknown("SCRATCH", other.to_string())),
            },
        })
    }
}

impl Buildpack for LayerStatesBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = LayerStatesError;

    fn detect(&self, _context: DetectContext<Self>) -> Result<DetectResult> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> Result<BuildResult> {
        let settings = Settings::from_platform(&context.platform)?;
        println!("settings: {settings:?}");
        for name in [
            "versioned",
            "migrating",
            "scratch",
            "launch-only",
            "unwritten",
        ] {
            print_restored_toml(&context.layers_dir, name)?;
        }
        versioned(&context, &settings)?;
        migrating(&context, &settings)?;
        scratch(&context, &settings)?;
        launch_only(&context)?;
        unwritten(&context)?;
        BuildResultBuilder::new().build()
    }
}

/// A cached build and launch layer kept while its version is current.
fn versioned(context: &BuildContext<LayerStatesBuildpack>, settings: &Settings) -> Result<()> {
    let layer = context.cached_layer(
        layer_name!("versioned"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            // The bare action form of `IntoAction`.
            invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
            // The `Result<(action, cause), E>` form of `IntoAction`.
            inspect_restored: &|metadata: &VersionedMetadata, _| {
                let decision = if metadata.version == settings.version {
                    (
                        InspectRestoredAction::KeepLayer,
                        VersionCheck::UpToDate {
                            builds: metadata.builds,
                        },
                    )
                } else {
                    (
                        InspectRestoredAction::DeleteLayer,
                        VersionCheck::Outdated {
                            cached: metadata.version.clone(),
                            wanted: settings.version.clone(),
                        },
                    )
                };
                Ok::<_, LayerStatesError>(decision)
            },
        },
    )?;
    report(&layer, "versioned")?;
    let builds = match layer.state {
        LayerState::Restored {
            cause: VersionCheck::UpToDate { builds },
        } => builds + 1,
        LayerState::Restored { .. } | LayerState::Empty { .. } => {
            write_file(&layer.path().join("version.txt"), &settings.version)?;
            1
        }
    };
    layer.write_metadata(VersionedMetadata {
        version: settings.version.clone(),
        builds,
        history: (1..=u32::try_from(builds).unwrap_or(u32::MAX)).collect(),
    })?;
    println!("layer `versioned`: wrote metadata builds = {builds}");
    Ok(())
}

/// A cache-only layer whose metadata type changes from schema 1 to schema 2.
fn migrating(context: &BuildContext<LayerStatesBuildpack>, settings: &Settings) -> Result<()> {
    let name = layer_name!("migrating");
    if !settings.schema2 {
        let layer = context.cached_layer(
            &name,
            CachedLayerDefinition {
                build: false,
                launch: false,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                // The `(action, cause)` form of `IntoAction`.
                inspect_restored: &|metadata: &RuntimeV1, _| {
                    (
                        InspectRestoredAction::KeepLayer,
                        format!("schema 1 runtime {} is cached", metadata.runtime),
                    )
                },
            },
        )?;
        report(&layer, "migrating")?;
        if let LayerState::Empty { .. } = layer.state {
            write_file(&layer.path().join("runtime.txt"), "ruby-3.3.0 (schema 1)")?;
            layer.write_metadata(RuntimeV1 {
                runtime: "ruby-3.3.0".to_string(),
            })?;
        }
        return Ok(());
    }

    if settings.on_invalid == OnInvalid::ReplaceUnreadable {
        // Never returns Ok: the library must refuse metadata that cannot read back.
        let layer = context.cached_layer(
            &name,
            CachedLayerDefinition {
                build: false,
                launch: false,
                invalid_metadata: &|metadata: &GenericMetadata| {
                    println!("layer `migrating`: invalid_metadata got {metadata:?}");
                    InvalidMetadataAction::ReplaceMetadata(SkewedRuntimeV2 {
                        name: "ruby".to_string(),
                        version: "3.3.0".to_string(),
                    })
                },
                inspect_restored: &|_: &SkewedRuntimeV2, _| InspectRestoredAction::KeepLayer,
            },
        )?;
        report(&layer, "migrating")?;
        return Ok(());
    }

    let layer = context.cached_layer(
        &name,
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata: &|metadata: &GenericMetadata| {
                println!("layer `migrating`: invalid_metadata got {metadata:?}");
                migrate_to_v2(metadata, settings.on_invalid)
            },
            inspect_restored: &|metadata: &RuntimeV2, _| {
                let runtime = format!("{} {}", metadata.name, metadata.version);
                match settings.on_restored {
                    OnRestored::Keep => (
                        InspectRestoredAction::KeepLayer,
                        format!("schema 2 runtime {runtime} is cached"),
                    ),
                    OnRestored::Delete => (
                        InspectRestoredAction::DeleteLayer,
                        format!("schema 2 runtime {runtime} is not wanted"),
                    ),
                }
            },
        },
    )?;
    report(&layer, "migrating")?;
    if let LayerState::Empty { .. } = layer.state {
        write_file(&layer.path().join("runtime.txt"), "ruby 3.3.0 (schema 2)")?;
        layer.write_metadata(RuntimeV2 {
            name: "ruby".to_string(),
            version: "3.3.0".to_string(),
        })?;
    }
    Ok(())
}

/// The `invalid_metadata` callback of schema 2: migrates `runtime = "<name>-<version>"`.
fn migrate_to_v2(
    metadata: &GenericMetadata,
    on_invalid: OnInvalid,
) -> (InvalidMetadataAction<RuntimeV2>, String) {
    let runtime = metadata
        .as_ref()
        .and_then(|table| table.get("runtime"))
        .and_then(|value| value.as_str());
    match (
        on_invalid,
        runtime.and_then(|runtime| runtime.split_once('-')),
    ) {
        (OnInvalid::Replace, Some((name, version))) => (
            InvalidMetadataAction::ReplaceMetadata(RuntimeV2 {
                name: name.to_string(),
                version: version.to_string(),
            }),
            format!("migrated schema 1 runtime {}", runtime.unwrap_or_default()),
        ),
        _ => (
            InvalidMetadataAction::DeleteLayer,
            format!("schema 1 runtime {runtime:?} is not schema 2"),
        ),
    }
}

/// A build layer that is cached or not depending on the build.
fn scratch(context: &BuildContext<LayerStatesBuildpack>, settings: &Settings) -> Result<()> {
    if settings.scratch_cached {
        let layer = context.cached_layer(
            layer_name!("scratch"),
            CachedLayerDefinition {
                build: true,
                launch: false,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                // The `Result<action, E>` form of `IntoAction`: the cause is `()`.
                inspect_restored: &|_: &ScratchMetadata, _| {
                    Ok::<_, LayerStatesError>(InspectRestoredAction::KeepLayer)
                },
            },
        )?;
        report(&layer, "scratch")?;
        write_file(&layer.path().join("cached.txt"), "from a cached layer")?;
        layer.write_metadata(ScratchMetadata {
            written_by: "cached".to_string(),
        })?;
    } else {
        let layer = context.uncached_layer(
            layer_name!("scratch"),
            UncachedLayerDefinition {
                build: true,
                launch: false,
            },
        )?;
        report(&layer, "scratch")?;
        write_file(&layer.path().join("uncached.txt"), "from an uncached layer")?;
    }
    Ok(())
}

/// An uncached launch layer: the lifecycle restores its metadata from the image, never its
/// contents, and the library treats it as absent.
fn launch_only(context: &BuildContext<LayerStatesBuildpack>) -> Result<()> {
    let layer = context.uncached_layer(
        layer_name!("launch-only"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    report(&layer, "launch-only")?;
    write_file(&layer.path().join("hello.txt"), "hello")?;
    layer.write_metadata(ScratchMetadata {
        written_by: "uncached".to_string(),
    })?;
    Ok(())
}

/// A cached layer whose metadata is never written: on the next build its `<layer>.toml` has
/// no metadata for `ScratchMetadata` to read.
fn unwritten(context: &BuildContext<LayerStatesBuildpack>) -> Result<()> {
    let layer = context.cached_layer(
        layer_name!("unwritten"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata: &|metadata: &GenericMetadata| {
                println!("layer `unwritten`: invalid_metadata got {metadata:?}");
                (
                    InvalidMetadataAction::DeleteLayer,
                    "its metadata was never written",
                )
            },
            inspect_restored: &|_: &ScratchMetadata, _| InspectRestoredAction::KeepLayer,
        },
    )?;
    report(&layer, "unwritten")?;
    write_file(
        &layer.path().join("contents.txt"),
        "contents without metadata",
    )
}

/// Prints the state of a handled layer and the files it holds.
fn report<MAC: Debug, RAC: Debug>(
    layer: &LayerRef<LayerStatesBuildpack, MAC, RAC>,
    name: &str,
) -> Result<()> {
    println!("layer `{name}`: {:?}", layer.state);
    println!("layer `{name}` files: {:?}", files(&layer.path())?);
    Ok(())
}

/// Prints `<layer>.toml` as the lifecycle restored it, before the library touches it.
fn print_restored_toml(layers_dir: &Path, name: &str) -> Result<()> {
    let path = layers_dir.join(format!("{name}.toml"));
    match fs::read_to_string(&path) {
        Ok(toml) => println!("restored toml `{name}`: {}", toml.replace('\n', "|")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            println!("restored toml `{name}`: none");
        }
        Err(source) => return Err(io_error(path, source)),
    }
    Ok(())
}

/// The files under `dir`, relative and sorted (directories end in `/`).
fn files(dir: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current).map_err(|source| io_error(current.clone(), source))?;
        for entry in entries {
            let entry = entry.map_err(|source| io_error(current.clone(), source))?;
            let path = entry.path();
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            if entry
                .file_type()
                .map_err(|source| io_error(path.clone(), source))?
                .is_dir()
            {
                found.push(format!("{relative}/"));
                pending.push(path);
            } else {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn write_file(path: &Path, contents: &str) -> Result<()> {
    fs::write(path, contents).map_err(|source| io_error(path.to_path_buf(), source))
}

fn io_error(path: PathBuf, source: io::Error) -> libcnb_lite::Error<LayerStatesError> {
    libcnb_lite::Error::BuildpackError(LayerStatesError::Io { path, source })
}

buildpack_main!(LayerStatesBuildpack);
