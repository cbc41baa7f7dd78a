//! A buildpack whose cached layer holds read-only files, read-only directories (the layer
//! dir itself included) and symlinks that point outside the layer, so the tests can check
//! that invalidating the layer on a later build deletes it cleanly, through each route that
//! deletes a layer, without touching what the symlinks point to.
//!
//! Platform env vars (`pack build --env`) steer it, one build at a time:
//!
//! | variable | values (default first) | decides |
//! |---|---|---|
//! | `GENERATION` | any string (`1`) | the generation written into the layer; a restored layer of another generation is invalid |
//! | `ROUTE` | `inspect`, `invalid-metadata`, `uncached`, `trait-recreate` | how this build requests the layer, and so how an invalid one is deleted |
//! | `OUTSIDE_DIR` | an absolute path (unset) | the dir the layer's symlinks point to |
//!
//! The routes: `inspect` returns `DeleteLayer` from `inspect_restored`; `invalid-metadata`
//! asks for a metadata type the restored metadata does not match and returns `DeleteLayer`
//! from `invalid_metadata`; `uncached` requests the layer with `uncached_layer`;
//! `trait-recreate` handles it with the deprecated `Layer` trait and `Recreate`.
//!
//! It prints the restored layer (`restored `readonly`: ["top.txt 0444", ...]`), the state
//! and the layer after handling.

use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::layer_content_metadata::LayerTypes;
use libcnb_lite::data::layer_name;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{
    CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerState,
    UncachedLayerDefinition,
};
#[expect(
    deprecated,
    reason = "the `trait-recreate` route uses the deprecated Layer trait"
)]
use libcnb_lite::layer::{
    ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder,
};
use libcnb_lite::{Buildpack, Platform, buildpack_main};
use serde::{Deserialize, Serialize};

struct ReadonlyLayerFilesBuildpack;

/// What went wrong; printed through `Debug` by the runtime's default `on_error`.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the fields are read through Debug, in the error output"
)]
enum ReadonlyError {
    /// A platform env var has a value this buildpack does not know.
    UnknownSetting { name: &'static str, value: String },
    /// A file in a layer could not be read or written.
    Io { path: PathBuf, source: io::Error },
}

/// The layer's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReadonlyMetadata {
    generation: String,
}

/// A metadata type the layer's metadata does not match, for the `invalid-metadata` route.
#[derive(Debug, Serialize, Deserialize)]
struct RenamedMetadata {
    revision: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Inspect,
    InvalidMetadata,
    Uncached,
    TraitRecreate,
}

/// This build's decisions, from the platform env.
#[derive(Debug)]
struct Settings {
    generation: String,
    route: Route,
    outside_dir: Option<PathBuf>,
}

impl Settings {
    fn metadata(&self) -> ReadonlyMetadata {
        ReadonlyMetadata {
            generation: self.generation.clone(),
        }
    }

    fn from_platform(platform: &GenericPlatform) -> Result<Self, ReadonlyError> {
        let env = platform.env();
        let route = env
            .get_string_lossy("ROUTE")
            .unwrap_or_else(|| "inspect".to_string());
        Ok(Self {
            generation: env
                .get_string_lossy("GENERATION")
                .unwrap_or_else(|| "1".to_string()),
            route: match route.as_str() {
                "inspect" => Route::Inspect,
                "invalid-metadata" => Route::InvalidMetadata,
                "uncached" => Route::Uncached,
                "trait-recreate" => Route::TraitRecreate,
                _ => {
                    return Err(ReadonlyError::UnknownSetting {
                        name: "ROUTE",
                        value: route,
                    });
                }
            },
            outside_dir: env.get("OUTSIDE_DIR").map(PathBuf::from),
        })
    }
}

const CACHED_LAUNCH_LAYER: LayerTypes = LayerTypes {
    launch: true,
    build: false,
    cache: true,
};

impl Buildpack for ReadonlyLayerFilesBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = ReadonlyError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, ReadonlyError> {
        DetectResultBuilder::pass().build()
    }

    fn build(
        &self,
        context: BuildContext<Self>,
    ) -> libcnb_lite::Result<BuildResult, ReadonlyError> {
        let settings = Settings::from_platform(&context.platform)
            .map_err(libcnb_lite::Error::BuildpackError)?;
        println!("settings: {settings:?}");
        let layer_path = context.layers_dir.join("readonly");
        if fs::symlink_metadata(&layer_path).is_ok() {
            println!(
                "restored `readonly`: {:?}",
                describe(&layer_path, &settings).map_err(libcnb_lite::Error::BuildpackError)?
            );
        } else {
            println!("restored `readonly`: none");
        }

        match settings.route {
            Route::Inspect => {
                let layer = context.cached_layer(
                    layer_name!("readonly"),
                    CachedLayerDefinition {
                        build: false,
                        launch: true,
                        invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                        inspect_restored: &|metadata: &ReadonlyMetadata, _| {
                            if metadata.generation == settings.generation {
                                (InspectRestoredAction::KeepLayer, "current generation")
                            } else {
                                (InspectRestoredAction::DeleteLayer, "stale generation")
                            }
                        },
                    },
                )?;
                println!("layer `readonly`: {:?}", layer.state);
                if let LayerState::Empty { .. } = layer.state {
                    refill(&layer.path(), &settings).map_err(libcnb_lite::Error::BuildpackError)?;
                    layer.write_metadata(settings.metadata())?;
                }
            }
            Route::InvalidMetadata => {
                let layer = context.cached_layer(
                    layer_name!("readonly"),
                    CachedLayerDefinition {
                        build: false,
                        launch: true,
                        invalid_metadata: &|_| {
                            (
                                InvalidMetadataAction::DeleteLayer,
                                "metadata has no revision",
                            )
                        },
                        inspect_restored: &|_: &RenamedMetadata, _| {
                            (InspectRestoredAction::KeepLayer, "has a revision")
                        },
                    },
                )?;
                println!("layer `readonly`: {:?}", layer.state);
                if let LayerState::Empty { .. } = layer.state {
                    refill(&layer.path(), &settings).map_err(libcnb_lite::Error::BuildpackError)?;
                    // Written as the default route's type, which the next build reads.
                    layer.write_metadata(settings.metadata())?;
                }
            }
            Route::Uncached => {
                let layer = context.uncached_layer(
                    layer_name!("readonly"),
                    UncachedLayerDefinition {
                        build: false,
                        launch: true,
                    },
                )?;
                println!("layer `readonly`: {:?}", layer.state);
                refill(&layer.path(), &settings).map_err(libcnb_lite::Error::BuildpackError)?;
                layer.write_metadata(settings.metadata())?;
            }
            Route::TraitRecreate => recreate_with_layer_trait(&context, &settings)?,
        }
        println!(
            "layer `readonly` at the end: {:?}",
            describe(&layer_path, &settings).map_err(libcnb_lite::Error::BuildpackError)?
        );
        BuildResultBuilder::new().build()
    }
}

/// The `trait-recreate` route.
#[expect(deprecated, reason = "the trait-recreate route tests the Layer trait")]
fn recreate_with_layer_trait(
    context: &BuildContext<ReadonlyLayerFilesBuildpack>,
    settings: &Settings,
) -> libcnb_lite::Result<(), ReadonlyError> {
    let layer = context.handle_layer(layer_name!("readonly"), RecreatingLayer { settings })?;
    println!(
        "layer `readonly`: handled by the Layer trait: {:?}",
        layer.content_metadata.metadata
    );
    Ok(())
}

/// The layer handled with the deprecated trait: recreated whenever it exists.
struct RecreatingLayer<'a> {
    settings: &'a Settings,
}

#[expect(deprecated, reason = "the trait-recreate route tests the Layer trait")]
impl Layer for RecreatingLayer<'_> {
    type Buildpack = ReadonlyLayerFilesBuildpack;
    type Metadata = ReadonlyMetadata;

    fn types(&self) -> LayerTypes {
        CACHED_LAUNCH_LAYER
    }

    fn create(
        &mut self,
        _context: &BuildContext<ReadonlyLayerFilesBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<ReadonlyMetadata>, ReadonlyError> {
        refill(layer_path, self.settings)?;
        LayerResultBuilder::new(self.settings.metadata()).build()
    }

    fn existing_layer_strategy(
        &mut self,
        _context: &BuildContext<ReadonlyLayerFilesBuildpack>,
        _layer_data: &LayerData<ReadonlyMetadata>,
    ) -> Result<ExistingLayerStrategy, ReadonlyError> {
        Ok(ExistingLayerStrategy::Recreate)
    }
}

/// Prints what is left in a layer the library just handed over empty, then fills it.
fn refill(layer: &Path, settings: &Settings) -> Result<(), ReadonlyError> {
    println!(
        "layer `readonly` after handling: {:?}",
        describe(layer, settings)?
    );
    write_tree(layer, settings)
}

/// Writes the layer's tree, then makes it read-only from the leaves up to the layer dir.
fn write_tree(layer: &Path, settings: &Settings) -> Result<(), ReadonlyError> {
    let generation = &settings.generation;
    let nested = layer.join("tree/nested");
    io_at(&nested, fs::create_dir_all(nested.join("empty")))?;
    for (file, contents) in [
        ("top.txt", format!("generation {generation}")),
        ("tool.sh", "#!/bin/sh\necho tool\n".to_string()),
        ("tree/file.txt", format!("file of generation {generation}")),
        (
            "tree/nested/deep.txt",
            format!("deep of generation {generation}"),
        ),
    ] {
        let path = layer.join(file);
        io_at(&path, fs::write(&path, contents))?;
    }
    if let Some(outside) = &settings.outside_dir {
        for (link, target) in [
            ("outside-dir", outside.clone()),
            ("tree/outside-file", outside.join("secret.txt")),
        ] {
            let path = layer.join(link);
            io_at(&path, symlink(target, &path))?;
        }
    }
    for (path, mode) in [
        ("top.txt", 0o444),
        ("tool.sh", 0o555),
        ("tree/file.txt", 0o444),
        ("tree/nested/deep.txt", 0o444),
        ("tree/nested/empty", 0o555),
        ("tree/nested", 0o555),
        ("tree", 0o555),
        ("", 0o555),
    ] {
        let path = layer.join(path);
        io_at(
            &path,
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)),
        )?;
    }
    Ok(())
}

/// Every entry under `dir` (the dir itself as `.`), without following symlinks: directories
/// as `name/ 0555`, files as `name 0444`, symlinks as `name -> target`, with the outside dir
/// shown as `$OUTSIDE_DIR`.
fn describe(dir: &Path, settings: &Settings) -> Result<Vec<String>, ReadonlyError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let metadata = io_at(&current, fs::symlink_metadata(&current))?;
        let relative = current.strip_prefix(dir).map_or_else(
            |_| current.display().to_string(),
            |path| path.display().to_string(),
        );
        let mode = metadata.permissions().mode() & 0o7777;
        if metadata.file_type().is_symlink() {
            let target = io_at(&current, fs::read_link(&current))?
                .display()
                .to_string();
            let target = match &settings.outside_dir {
                Some(outside) => target.replace(&outside.display().to_string(), "$OUTSIDE_DIR"),
                None => target,
            };
            found.push(format!("{relative} -> {target}"));
        } else if metadata.is_dir() {
            let name = if relative.is_empty() {
                ".".to_string()
            } else {
                format!("{relative}/")
            };
            found.push(format!("{name} {mode:04o}"));
            for entry in io_at(&current, fs::read_dir(&current))? {
                pending.push(io_at(&current, entry)?.path());
            }
        } else {
            found.push(format!("{relative} {mode:04o}"));
        }
    }
    found.sort();
    Ok(found)
}

fn io_at<T>(path: &Path, result: io::Result<T>) -> Result<T, ReadonlyError> {
    result.map_err(|source| ReadonlyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

buildpack_main!(ReadonlyLayerFilesBuildpack);
