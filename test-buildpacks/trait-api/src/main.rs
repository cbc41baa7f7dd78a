//! A buildpack written against the deprecated `Layer` trait API, reaching each
//! `ExistingLayerStrategy` and `MetadataMigration` across builds run by the local lifecycle,
//! and printing what happened in words a test can assert.
//!
//! Platform env vars (`pack build --env`) steer its decisions, one build at a time:
//!
//! | variable | values (default first) | decides |
//! |---|---|---|
//! | `VERSION` | any string (`3.3.0`) | the runtime version `create` installs |
//! | `SCHEMA` | `2`, `1` | the `runtime` layer's metadata type; schema 1 does not read as schema 2 |
//! | `STRATEGY` | `keep`, `recreate`, `update` | what `existing_layer_strategy` returns for `runtime` |
//! | `MIGRATION` | `recreate`, `replace` | what `migrate_incompatible_metadata` returns for `runtime` |
//!
//! The `defaults` layer implements only `types` and `create`, so it runs on the trait's
//! default methods.

#![expect(
    deprecated,
    reason = "this buildpack exercises the deprecated Layer trait API on purpose"
)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb_lite::data::layer_content_metadata::LayerTypes;
use libcnb_lite::data::sbom::SbomFormat;
use libcnb_lite::data::{layer_name, process_type};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{
    ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder, MetadataMigration,
};
use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb_lite::sbom::Sbom;
use libcnb_lite::{Buildpack, Platform, buildpack_main};
use serde::{Deserialize, Serialize};

struct TraitApiBuildpack;

/// What went wrong; printed through `Debug` by the runtime's default `on_error`.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the fields are read through Debug, in the error output"
)]
enum TraitApiError {
    /// A platform env var has a value this buildpack does not know.
    UnknownSetting { name: &'static str, value: String },
    /// A file in a layer could not be read or written.
    Io { path: PathBuf, source: io::Error },
}

type Result<T> = std::result::Result<T, TraitApiError>;

/// Schema 2 of the `runtime` layer's metadata; `updates` comes back from the lifecycle as a
/// float.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RuntimeMetadata {
    version: String,
    updates: u64,
}

/// Schema 1 of the `runtime` layer's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LegacyRuntimeMetadata {
    runtime: String,
}

/// Metadata of the `defaults` layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DefaultsMetadata {
    created_by: String,
}

/// This build's decisions, from the platform env.
#[derive(Debug)]
struct Settings {
    version: String,
    schema1: bool,
    strategy: ExistingLayerStrategy,
    replace_metadata: bool,
}

impl Settings {
    fn from_platform(platform: &GenericPlatform) -> Result<Self> {
        let env = platform.env();
        let setting = |name: &'static str, default: &str| {
            env.get_string_lossy(name)
                .unwrap_or_else(|| default.to_string())
        };
        let unknown =
            |name: &'static str, value: String| TraitApiError::UnknownSetting { name, value };
        Ok(Self {
            version: setting("VERSION", "3.3.0"),
            schema1: match setting("SCHEMA", "2").as_str() {
                "2" => false,
                "1" => true,
                other => return Err(unknown("SCHEMA", other.to_string())),
            },
            strategy: match setting("STRATEGY", "keep").as_str() {
                "keep" => ExistingLayerStrategy::Keep,
                "recreate" => ExistingLayerStrategy::Recreate,
                "update" => ExistingLayerStrategy::Update,
                other => return Err(unknown("STRATEGY", other.to_string())),
            },
            replace_metadata: match setting("MIGRATION", "recreate").as_str() {
                "recreate" => false,
                "replace" => true,
                other => return Err(unknown("MIGRATION", other.to_string())),
            },
        })
    }
}

const RUNTIME_TYPES: LayerTypes = LayerTypes {
    launch: true,
    build: true,
    cache: true,
};

/// The `runtime` layer with schema 2 metadata; every method is overridden.
struct RuntimeLayer<'a> {
    settings: &'a Settings,
}

impl Layer for RuntimeLayer<'_> {
    type Buildpack = TraitApiBuildpack;
    type Metadata = RuntimeMetadata;

    fn types(&self) -> LayerTypes {
        RUNTIME_TYPES
    }

    fn create(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<RuntimeMetadata>> {
        println!(
            "layer `runtime`: create in a dir holding {:?}",
            files(layer_path)?
        );
        let version = &self.settings.version;
        write_file(&layer_path.join("version.txt"), version)?;
        LayerResultBuilder::new(RuntimeMetadata {
            version: version.clone(),
            updates: 0,
        })
        .env(LayerEnv::new().chainable_insert(
            Scope::All,
            ModificationBehavior::Override,
            "RUNTIME_VERSION",
            version,
        ))
        .sbom(Sbom::from_bytes(
            SbomFormat::CycloneDxJson,
            format!(r#"{{"bomFormat":"CycloneDX","runtime":"{version}"}}"#),
        ))
        .build()
    }

    fn existing_layer_strategy(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        layer_data: &LayerData<RuntimeMetadata>,
    ) -> Result<ExistingLayerStrategy> {
        let env = layer_data.env.apply_to_empty(Scope::Build);
        println!(
            "layer `runtime`: existing layer {:?} with RUNTIME_VERSION={:?} -> {:?}",
            layer_data.content_metadata.metadata,
            env.get_string_lossy("RUNTIME_VERSION"),
            self.settings.strategy
        );
        Ok(self.settings.strategy)
    }

    fn update(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        layer_data: &LayerData<RuntimeMetadata>,
    ) -> Result<LayerResult<RuntimeMetadata>> {
        let metadata = &layer_data.content_metadata.metadata;
        println!("layer `runtime`: update {metadata:?}");
        let log = layer_data.path.join("updates.log");
        let mut updates = match fs::read_to_string(&log) {
            Ok(contents) => contents,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(TraitApiError::Io { path: log, source }),
        };
        updates.push_str("updated\n");
        write_file(&log, &updates)?;
        // No SBOM in the result: the trait API deletes the layer's SBOM, as upstream does.
        LayerResultBuilder::new(RuntimeMetadata {
            version: metadata.version.clone(),
            updates: metadata.updates + 1,
        })
        .env(layer_data.env.clone())
        .build()
    }

    fn migrate_incompatible_metadata(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        metadata: &GenericMetadata,
    ) -> Result<MetadataMigration<RuntimeMetadata>> {
        let legacy_version = metadata
            .as_ref()
            .and_then(|table| table.get("runtime"))
            .and_then(|runtime| runtime.as_str())
            .and_then(|runtime| runtime.strip_prefix("ruby-"));
        let migration = match legacy_version {
            Some(version) if self.settings.replace_metadata => {
                MetadataMigration::ReplaceMetadata(RuntimeMetadata {
                    version: version.to_string(),
                    updates: 0,
                })
            }
            _ => MetadataMigration::RecreateLayer,
        };
        println!(
            "layer `runtime`: migrate {metadata:?} -> {}",
            match &migration {
                MetadataMigration::RecreateLayer => "RecreateLayer".to_string(),
                MetadataMigration::ReplaceMetadata(replacement) =>
                    format!("ReplaceMetadata({replacement:?})"),
            }
        );
        Ok(migration)
    }
}

/// The `runtime` layer as an older version of this buildpack wrote it: schema 1 metadata,
/// kept on rebuilds.
struct LegacyRuntimeLayer<'a> {
    settings: &'a Settings,
}

impl Layer for LegacyRuntimeLayer<'_> {
    type Buildpack = TraitApiBuildpack;
    type Metadata = LegacyRuntimeMetadata;

    fn types(&self) -> LayerTypes {
        RUNTIME_TYPES
    }

    fn create(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<LegacyRuntimeMetadata>> {
        println!("layer `runtime`: create with schema 1");
        let version = &self.settings.version;
        write_file(&layer_path.join("version.txt"), version)?;
        LayerResultBuilder::new(LegacyRuntimeMetadata {
            runtime: format!("ruby-{version}"),
        })
        .build()
    }

    fn existing_layer_strategy(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        _layer_data: &LayerData<LegacyRuntimeMetadata>,
    ) -> Result<ExistingLayerStrategy> {
        Ok(ExistingLayerStrategy::Keep)
    }
}

/// A cache-only layer on the trait's default methods: recreated on every build.
struct DefaultsLayer;

impl Layer for DefaultsLayer {
    type Buildpack = TraitApiBuildpack;
    type Metadata = DefaultsMetadata;

    fn types(&self) -> LayerTypes {
        LayerTypes {
            launch: false,
            build: false,
            cache: true,
        }
    }

    fn create(
        &mut self,
        _context: &BuildContext<TraitApiBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<DefaultsMetadata>> {
        println!(
            "layer `defaults`: create in a dir holding {:?}",
            files(layer_path)?
        );
        write_file(&layer_path.join("created.txt"), "created by default")?;
        LayerResultBuilder::new(DefaultsMetadata {
            created_by: "create".to_string(),
        })
        .build()
    }
}

impl Buildpack for TraitApiBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = TraitApiError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, TraitApiError> {
        DetectResultBuilder::pass().build()
    }

    fn build(
        &self,
        context: BuildContext<Self>,
    ) -> libcnb_lite::Result<BuildResult, TraitApiError> {
        let settings = Settings::from_platform(&context.platform)
            .map_err(libcnb_lite::Error::BuildpackError)?;
        println!("settings: {settings:?}");

        let (runtime_path, runtime_metadata) = if settings.schema1 {
            let layer = context.handle_layer(
                layer_name!("runtime"),
                LegacyRuntimeLayer {
                    settings: &settings,
                },
            )?;
            (layer.path, format!("{:?}", layer.content_metadata.metadata))
        } else {
            let layer = context.handle_layer(
                layer_name!("runtime"),
                RuntimeLayer {
                    settings: &settings,
                },
            )?;
            (layer.path, format!("{:?}", layer.content_metadata.metadata))
        };
        println!("layer `runtime`: handled with metadata {runtime_metadata}");
        let runtime_files = files(&runtime_path).map_err(libcnb_lite::Error::BuildpackError)?;
        println!("layer `runtime` files: {runtime_files:?}");

        let defaults = context.handle_layer(layer_name!("defaults"), DefaultsLayer)?;
        println!(
            "layer `defaults`: handled with metadata {:?}",
            defaults.content_metadata.metadata
        );

        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(
                            process_type!("version"),
                            ["sh", "-c", "echo \"RUNTIME_VERSION=$RUNTIME_VERSION\""],
                        )
                        .default(true)
                        .build(),
                    )
                    .build(),
            )
            .build()
    }
}

/// The files under `dir`, relative and sorted (directories end in `/`).
fn files(dir: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let io_error = |source| TraitApiError::Io {
            path: current.clone(),
            source,
        };
        for entry in fs::read_dir(&current).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let path = entry.path();
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            if entry.file_type().map_err(io_error)?.is_dir() {
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
    fs::write(path, contents).map_err(|source| TraitApiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

buildpack_main!(TraitApiBuildpack);
