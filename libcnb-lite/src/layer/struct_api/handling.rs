//! The struct API's handling of a layer, on the layer store: upstream libcnb's
//! `src/layer/struct_api/handling.rs`, with its outcomes.
//!
//! Two things differ. `ReplaceMetadata` is checked in memory and written together with the
//! types, instead of being written and the layer handled again (which recursed forever when the
//! replacement didn't read back). And a kept layer's `<layer>.toml` is read once and written
//! once, where upstream reads it twice.

use crate::Buildpack;
use crate::generic::GenericMetadata;
use crate::layer::error::LayerError;
use crate::layer::metadata::{self, Migration, Restored};
use crate::layer::store::LayerFiles;
use crate::layer::struct_api::{
    EmptyLayerCause, InspectRestoredAction, IntoAction, InvalidMetadataAction, LayerRef, LayerState,
};
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Handles the layer `layer_name` with the given types and callbacks; see
/// [`BuildContext::cached_layer`](crate::build::BuildContext::cached_layer).
pub(crate) fn handle_layer<B, M, MA, RA, MAC, RAC>(
    layer_types: LayerTypes,
    invalid_metadata: &dyn Fn(&GenericMetadata) -> MA,
    inspect_restored: &dyn Fn(&M, &Path) -> RA,
    layer_name: &LayerName,
    layers_dir: &Path,
) -> crate::Result<LayerRef<B, MAC, RAC>, B::Error>
where
    B: Buildpack + ?Sized,
    M: Serialize + DeserializeOwned,
    MA: IntoAction<InvalidMetadataAction<M>, MAC, B::Error>,
    RA: IntoAction<InspectRestoredAction, RAC, B::Error>,
{
    let files = LayerFiles::new(layers_dir, layer_name);
    let restored = metadata::restore(&files, |generic| {
        match invalid_metadata(generic)
            .into_action()
            .map_err(crate::Error::BuildpackError)?
        {
            (InvalidMetadataAction::DeleteLayer, cause) => Ok(Migration::Delete(cause)),
            // Upstream drops this cause too: the layer ends up restored or deleted by
            // `inspect_restored`, whose cause the state carries.
            (InvalidMetadataAction::ReplaceMetadata(metadata), _) => {
                Ok(Migration::Replace(metadata))
            }
        }
    })?;
    let (metadata, layer) = match restored {
        Restored::Valid { metadata, layer } => (metadata, layer),
        Restored::Absent => {
            return create_layer(
                files,
                layers_dir,
                layer_types,
                EmptyLayerCause::NewlyCreated,
            );
        }
        Restored::Deleted(cause) => {
            return create_layer(
                files,
                layers_dir,
                layer_types,
                EmptyLayerCause::InvalidMetadataAction { cause },
            );
        }
    };

    match inspect_restored(&metadata, &files.dir())
        .into_action()
        .map_err(crate::Error::BuildpackError)?
    {
        (InspectRestoredAction::KeepLayer, cause) => {
            // The types are always written: the definition may have changed them, and the
            // lifecycle restores `<layer>.toml` without them.
            let content = LayerContentMetadata {
                types: Some(layer_types),
                metadata: layer.content.metadata,
            };
            files
                .write_content_metadata(&content)
                .map_err(LayerError::from)?;
            Ok(LayerRef::new(
                files,
                layers_dir.to_path_buf(),
                layer_types,
                LayerState::Restored { cause },
            ))
        }
        (InspectRestoredAction::DeleteLayer, cause) => {
            files.delete().map_err(LayerError::from)?;
            create_layer(
                files,
                layers_dir,
                layer_types,
                EmptyLayerCause::InspectRestoredAction { cause },
            )
        }
    }
}

/// Creates the layer empty: its directory, and a `<layer>.toml` with only the types (upstream's
/// content, so a cached layer whose metadata is never written hits `invalid_metadata` with
/// `None` on the next build if `M` is a struct).
fn create_layer<B, MAC, RAC>(
    files: LayerFiles<'_>,
    layers_dir: &Path,
    layer_types: LayerTypes,
    cause: EmptyLayerCause<MAC, RAC>,
) -> crate::Result<LayerRef<B, MAC, RAC>, B::Error>
where
    B: Buildpack + ?Sized,
{
    files.create_dir().map_err(LayerError::from)?;
    let content = LayerContentMetadata {
        types: Some(layer_types),
        metadata: GenericMetadata::None,
    };
    files
        .write_content_metadata(&content)
        .map_err(LayerError::from)?;
    Ok(LayerRef::new(
        files,
        layers_dir.to_path_buf(),
        layer_types,
        LayerState::Empty { cause },
    ))
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::generic::GenericMetadata;
    use crate::layer::test_support::{
        Lossy, TestBuildpack, context, names, read, restore, types_toml,
    };
    use crate::layer::{
        CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
        LayerError, LayerRef, LayerState, ReadLayerError, UncachedLayerDefinition,
    };
    use crate::toml_file::TomlFileError;
    use libcnb_lite_data::layer_name;
    use serde::{Deserialize, Serialize};
    use std::fs;
    use std::path::Path;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Version {
        version: String,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Counter {
        count: u32,
    }

    type Outcome<MAC, RAC> = crate::Result<LayerRef<TestBuildpack, MAC, RAC>, String>;

    /// `cached_layer("cache")` with `launch = true, build = false` and the given callbacks.
    fn cached<M, MA, RA, MAC, RAC>(
        layers_dir: &Path,
        invalid_metadata: &dyn Fn(&GenericMetadata) -> MA,
        inspect_restored: &dyn Fn(&M, &Path) -> RA,
    ) -> Outcome<MAC, RAC>
    where
        M: Serialize + serde::de::DeserializeOwned,
        MA: crate::layer::IntoAction<InvalidMetadataAction<M>, MAC, String>,
        RA: crate::layer::IntoAction<InspectRestoredAction, RAC, String>,
    {
        context(layers_dir).cached_layer(
            layer_name!("cache"),
            CachedLayerDefinition {
                build: false,
                launch: true,
                invalid_metadata,
                inspect_restored,
            },
        )
    }

    fn unexpected_invalid<M>(metadata: &GenericMetadata) -> InvalidMetadataAction<M> {
        panic!("invalid_metadata called with {metadata:?}")
    }

    fn unexpected_restored<M: std::fmt::Debug>(metadata: &M, _: &Path) -> InspectRestoredAction {
        panic!("inspect_restored called with {metadata:?}")
    }

    fn toml_of(layers_dir: &Path) -> String {
        read(&layers_dir.join("cache.toml"))
    }

    fn cache_types() -> String {
        types_toml(true, false, true)
    }

    #[test]
    fn no_layer_is_created_empty() {
        let temp_dir = tempfile::tempdir().unwrap();

        let layer: LayerRef<_, (), ()> = cached::<Version, _, _, _, _>(
            temp_dir.path(),
            &unexpected_invalid,
            &unexpected_restored,
        )
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::NewlyCreated
            }
        );
        assert_eq!(layer.path(), temp_dir.path().join("cache"));
        assert!(names(&layer.path()).is_empty());
        assert_eq!(toml_of(temp_dir.path()), cache_types());
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);
    }

    #[test]
    fn toml_without_directory_is_deleted_and_the_layer_created() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");
        fs::remove_dir_all(temp_dir.path().join("cache")).unwrap();

        let layer: LayerRef<_, (), ()> = cached::<Version, _, _, _, _>(
            temp_dir.path(),
            &unexpected_invalid,
            &unexpected_restored,
        )
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::NewlyCreated
            }
        );
        assert_eq!(toml_of(temp_dir.path()), cache_types());
        // The SBOM that came with the metadata went with it.
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);
    }

    #[test]
    fn directory_without_toml_is_a_layer_without_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "");
        fs::remove_file(temp_dir.path().join("cache.toml")).unwrap();

        let layer = cached(
            temp_dir.path(),
            &unexpected_invalid,
            &|metadata: &GenericMetadata, _| {
                assert_eq!(metadata, &None);
                InspectRestoredAction::KeepLayer
            },
        )
        .unwrap();

        assert_eq!(layer.state, LayerState::Restored { cause: () });
        assert_eq!(read(&layer.path().join("content")), "restored");
        assert_eq!(toml_of(temp_dir.path()), cache_types());

        // With a struct type, no metadata is invalid metadata.
        fs::remove_file(temp_dir.path().join("cache.toml")).unwrap();
        let layer = cached(
            temp_dir.path(),
            &|metadata: &GenericMetadata| {
                assert_eq!(metadata, &None);
                (InvalidMetadataAction::DeleteLayer, "none")
            },
            &unexpected_restored::<Version>,
        )
        .unwrap();
        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction { cause: "none" }
            }
        );
    }

    #[test]
    fn malformed_toml_is_an_error_not_a_callback() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[types\nlaunch = true\n");

        let error = cached::<Version, _, _, (), ()>(
            temp_dir.path(),
            &unexpected_invalid,
            &unexpected_restored,
        )
        .unwrap_err();

        // Upstream's variant, holding the parser's error.
        match &error {
            Error::LayerError(LayerError::CouldNotReadGenericLayerMetadata(
                TomlFileError::TomlDeserializationError(toml_error),
            )) => assert_eq!(toml_error.span(), Some(6..6)),
            other => panic!("{other:?}"),
        }
        assert!(
            error.to_string().starts_with(
                "Layer error: Cannot read generic layer metadata: TOML deserialization error \
                 while reading TOML file: TOML parse error at line 1, column 7"
            ),
            "{error}"
        );
        assert_eq!(toml_of(temp_dir.path()), "[types\nlaunch = true\n");
        assert_eq!(read(&temp_dir.path().join("cache/content")), "restored");
    }

    #[test]
    fn invalid_metadata_delete_recreates_the_layer_without_sboms() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nanswer = 42\n");

        let layer = cached(
            temp_dir.path(),
            &|metadata: &GenericMetadata| {
                let answer = metadata
                    .as_ref()
                    .and_then(|table| table.get("answer")?.as_integer());
                assert_eq!(answer, Some(42));
                (InvalidMetadataAction::DeleteLayer, "old format")
            },
            &unexpected_restored::<Version>,
        )
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction {
                    cause: "old format"
                }
            }
        );
        assert!(names(&layer.path()).is_empty());
        assert_eq!(toml_of(temp_dir.path()), cache_types());
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);
    }

    #[test]
    fn replaced_metadata_is_inspected_and_kept() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nv = \"2\"\n");

        let layer = cached(
            temp_dir.path(),
            &|metadata: &GenericMetadata| {
                let version = metadata.as_ref().and_then(|table| table.get("v")?.as_str());
                (
                    InvalidMetadataAction::ReplaceMetadata(Version {
                        version: version.unwrap().to_string(),
                    }),
                    "dropped",
                )
            },
            &|metadata: &Version, layer_dir| {
                assert_eq!(metadata.version, "2");
                assert!(layer_dir.join("content").exists());
                (InspectRestoredAction::KeepLayer, "kept")
            },
        )
        .unwrap();

        assert_eq!(layer.state, LayerState::Restored { cause: "kept" });
        assert_eq!(read(&layer.path().join("content")), "restored");
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\nversion = \"2\"\n", cache_types())
        );
        assert_eq!(
            names(temp_dir.path()),
            ["cache", "cache.sbom.cdx.json", "cache.toml"]
        );
    }

    #[test]
    fn replaced_metadata_can_still_be_deleted() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nv = \"2\"\n");

        let layer = cached(
            temp_dir.path(),
            &|_: &GenericMetadata| {
                InvalidMetadataAction::ReplaceMetadata(Version {
                    version: "2".into(),
                })
            },
            &|_: &Version, _| (InspectRestoredAction::DeleteLayer, "stale"),
        )
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::<(), _>::Empty {
                cause: EmptyLayerCause::InspectRestoredAction { cause: "stale" }
            }
        );
        assert!(names(&layer.path()).is_empty());
        assert_eq!(toml_of(temp_dir.path()), cache_types());
    }

    #[test]
    fn a_replacement_that_does_not_read_back_is_an_error_not_a_loop() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nold = 1\n");

        let error = cached::<Lossy, _, _, (), ()>(
            temp_dir.path(),
            &|_| {
                InvalidMetadataAction::ReplaceMetadata(Lossy {
                    required: "x".into(),
                })
            },
            &unexpected_restored,
        )
        .unwrap_err();

        match error {
            Error::LayerError(
                error @ LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(
                    _,
                )),
            ) => {
                assert_eq!(
                    error.to_string(),
                    "Layer content metadata couldn't be parsed!"
                );
                // The TOML error names the layer and the file.
                let LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(
                    toml_error,
                )) = &error
                else {
                    unreachable!()
                };
                assert_eq!(
                    toml_error.to_string().trim_end(),
                    format!(
                        "the metadata of layer `cache` (to be written to {}) doesn't deserialize \
                         as the layer's metadata type once serialized; make the type's \
                         `Serialize` and `Deserialize` agree: missing field `required`",
                        temp_dir.path().join("cache.toml").display()
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(toml_of(temp_dir.path()), "[metadata]\nold = 1\n");
    }

    #[test]
    fn keep_rewrites_the_types_and_keeps_metadata_contents_and_sboms() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");

        let layer = cached(
            temp_dir.path(),
            &unexpected_invalid,
            &|metadata: &Version, _| {
                assert_eq!(metadata.version, "1");
                (InspectRestoredAction::KeepLayer, 7)
            },
        )
        .unwrap();

        assert_eq!(layer.state, LayerState::<(), _>::Restored { cause: 7 });
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\nversion = \"1\"\n", cache_types())
        );
        assert_eq!(read(&layer.path().join("content")), "restored");
        assert_eq!(
            names(temp_dir.path()),
            ["cache", "cache.sbom.cdx.json", "cache.toml"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn keep_does_not_write_a_toml_that_is_already_right() {
        use std::os::unix::fs::MetadataExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let text = format!("{}\n[metadata]\nversion = \"1\"\n", cache_types());
        restore(temp_dir.path(), "cache", &text);
        let inode = fs::metadata(temp_dir.path().join("cache.toml"))
            .unwrap()
            .ino();

        let layer: LayerRef<_, (), ()> =
            cached(temp_dir.path(), &unexpected_invalid, &|_: &Version, _| {
                InspectRestoredAction::KeepLayer
            })
            .unwrap();

        assert_eq!(layer.state, LayerState::Restored { cause: () });
        assert_eq!(
            fs::metadata(temp_dir.path().join("cache.toml"))
                .unwrap()
                .ino(),
            inode
        );
        assert_eq!(toml_of(temp_dir.path()), text);
    }

    #[test]
    fn delete_removes_contents_and_sboms_and_recreates_the_layer() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");

        let layer = cached(temp_dir.path(), &unexpected_invalid, &|_: &Version, _| {
            (InspectRestoredAction::DeleteLayer, "outdated")
        })
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::<(), _>::Empty {
                cause: EmptyLayerCause::InspectRestoredAction { cause: "outdated" }
            }
        );
        assert!(names(&layer.path()).is_empty());
        assert_eq!(toml_of(temp_dir.path()), cache_types());
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);
    }

    #[test]
    fn integers_restored_as_floats_are_valid_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        // What the lifecycle restores for `count = 3` after its JSON round trip.
        restore(temp_dir.path(), "cache", "[metadata]\ncount = 3.0\n");

        let layer = cached(
            temp_dir.path(),
            &unexpected_invalid,
            &|metadata: &Counter, _| {
                assert_eq!(metadata, &Counter { count: 3 });
                InspectRestoredAction::KeepLayer
            },
        )
        .unwrap();

        assert_eq!(layer.state, LayerState::<(), ()>::Restored { cause: () });
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\ncount = 3.0\n", cache_types())
        );
    }

    #[test]
    fn metadata_that_is_not_a_table_cannot_be_passed_to_invalid_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "metadata = 5\n");

        let error = cached::<Version, _, _, (), ()>(
            temp_dir.path(),
            &unexpected_invalid,
            &unexpected_restored,
        )
        .unwrap_err();

        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::CouldNotReadGenericLayerMetadata(
                    TomlFileError::TomlDeserializationError(_)
                ))
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("invalid type: integer `5`, expected a map"),
            "{error}"
        );

        // A metadata type that is an integer reads it, as upstream does.
        let layer = cached(temp_dir.path(), &unexpected_invalid, &|metadata: &u8, _| {
            assert_eq!(*metadata, 5);
            InspectRestoredAction::KeepLayer
        })
        .unwrap();
        assert_eq!(layer.state, LayerState::<(), ()>::Restored { cause: () });
    }

    #[test]
    fn a_layer_whose_metadata_was_never_written_gets_invalid_metadata_with_none() {
        let temp_dir = tempfile::tempdir().unwrap();
        let _: LayerRef<_, (), ()> = cached::<Version, _, _, _, _>(
            temp_dir.path(),
            &unexpected_invalid,
            &unexpected_restored,
        )
        .unwrap();

        let layer = cached(
            temp_dir.path(),
            &|metadata: &GenericMetadata| {
                assert_eq!(metadata, &None);
                (InvalidMetadataAction::DeleteLayer, "no metadata")
            },
            &unexpected_restored::<Version>,
        )
        .unwrap();

        assert_eq!(
            layer.state,
            LayerState::<_, ()>::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction {
                    cause: "no metadata"
                }
            }
        );
    }

    #[test]
    fn an_uncached_layer_always_deletes_what_was_restored() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");

        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("cache"),
                UncachedLayerDefinition {
                    build: true,
                    launch: false,
                },
            )
            .unwrap();

        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InspectRestoredAction { cause: () }
            }
        );
        assert!(names(&layer.path()).is_empty());
        assert_eq!(toml_of(temp_dir.path()), types_toml(false, true, false));
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);

        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("fresh"),
                UncachedLayerDefinition {
                    build: false,
                    launch: false,
                },
            )
            .unwrap();
        assert_eq!(
            layer.state,
            LayerState::Empty {
                cause: EmptyLayerCause::NewlyCreated
            }
        );
    }

    #[test]
    fn callback_errors_stop_and_leave_the_layer_untouched() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");

        let error =
            cached::<Version, _, _, (), ()>(temp_dir.path(), &unexpected_invalid, &|_, _| {
                Err::<InspectRestoredAction, _>(String::from("inspect failed"))
            })
            .unwrap_err();
        assert!(
            matches!(&error, Error::BuildpackError(e) if e == "inspect failed"),
            "{error:?}"
        );

        let error = cached::<Counter, _, _, (), ()>(
            temp_dir.path(),
            &|_| Err::<InvalidMetadataAction<Counter>, _>(String::from("invalid failed")),
            &unexpected_restored,
        )
        .unwrap_err();
        assert!(
            matches!(&error, Error::BuildpackError(e) if e == "invalid failed"),
            "{error:?}"
        );

        assert_eq!(toml_of(temp_dir.path()), "[metadata]\nversion = \"1\"\n");
        assert_eq!(read(&temp_dir.path().join("cache/content")), "restored");
        assert_eq!(
            names(temp_dir.path()),
            ["cache", "cache.sbom.cdx.json", "cache.toml"]
        );
    }

    /// Handles a restored layer with `version = "1"` through `inspect_restored`.
    fn inspect<RA, RAC>(inspect_restored: &dyn Fn(&Version, &Path) -> RA) -> Outcome<(), RAC>
    where
        RA: crate::layer::IntoAction<InspectRestoredAction, RAC, String>,
    {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nversion = \"1\"\n");
        cached(temp_dir.path(), &unexpected_invalid, inspect_restored)
    }

    #[test]
    fn inspect_restored_accepts_every_into_action_form() {
        let bare = inspect(&|_, _| InspectRestoredAction::KeepLayer).unwrap();
        assert_eq!(bare.state, LayerState::Restored { cause: () });

        let tuple = inspect(&|_, _| (InspectRestoredAction::DeleteLayer, 'd')).unwrap();
        assert_eq!(
            tuple.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InspectRestoredAction { cause: 'd' }
            }
        );

        let ok_bare = inspect(&|_, _| Ok::<_, String>(InspectRestoredAction::DeleteLayer)).unwrap();
        assert_eq!(
            ok_bare.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InspectRestoredAction { cause: () }
            }
        );

        let ok_tuple =
            inspect(&|_, _| Ok::<_, String>((InspectRestoredAction::KeepLayer, 1.5))).unwrap();
        assert_eq!(ok_tuple.state, LayerState::Restored { cause: 1.5 });

        let error = inspect::<_, u8>(&|_, _| {
            Err::<(InspectRestoredAction, u8), _>(String::from("tuple error"))
        })
        .unwrap_err();
        assert!(
            matches!(&error, Error::BuildpackError(e) if e == "tuple error"),
            "{error:?}"
        );
    }

    /// Handles a restored layer with metadata that isn't a [`Version`] through
    /// `invalid_metadata`, keeping whatever `inspect_restored` sees.
    fn invalid<MA, MAC>(invalid_metadata: &dyn Fn(&GenericMetadata) -> MA) -> Outcome<MAC, ()>
    where
        MA: crate::layer::IntoAction<InvalidMetadataAction<Version>, MAC, String>,
    {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "cache", "[metadata]\nold = true\n");
        cached(temp_dir.path(), invalid_metadata, &|_: &Version, _| {
            InspectRestoredAction::KeepLayer
        })
    }

    fn replacement() -> InvalidMetadataAction<Version> {
        InvalidMetadataAction::ReplaceMetadata(Version {
            version: "2".into(),
        })
    }

    #[test]
    fn invalid_metadata_accepts_every_into_action_form() {
        let bare = invalid(&|_| InvalidMetadataAction::DeleteLayer).unwrap();
        assert_eq!(
            bare.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction { cause: () }
            }
        );

        let tuple = invalid(&|_| (InvalidMetadataAction::DeleteLayer, "t")).unwrap();
        assert_eq!(
            tuple.state,
            LayerState::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction { cause: "t" }
            }
        );

        let ok_bare = invalid(&|_| Ok::<_, String>(replacement())).unwrap();
        assert_eq!(ok_bare.state, LayerState::Restored { cause: () });

        let ok_tuple = invalid(&|_| Ok::<_, String>((replacement(), 9))).unwrap();
        assert_eq!(ok_tuple.state, LayerState::Restored { cause: () });

        let error =
            invalid::<_, ()>(&|_| Err::<InvalidMetadataAction<Version>, _>(String::from("e")))
                .unwrap_err();
        assert!(
            matches!(&error, Error::BuildpackError(e) if e == "e"),
            "{error:?}"
        );
    }
}
