//! The trait API's handling of a layer: an adapter that calls a [`Layer`]'s methods as upstream
//! libcnb's `src/layer/trait_api/handling.rs` does, and does the file-system work with the
//! layer store, like the struct API.
//!
//! Upstream's outcomes, with the struct API's fixes: a `ReplaceMetadata` migration is checked in
//! memory instead of written and handled again (no endless recursion), `Keep` writes only
//! `<layer>.toml` (upstream also rewrites the env files with what it just read), and the layer
//! returned after a write is not read back from disk except for its env.
//!
//! As upstream, `<layer>.toml` is always written from `Layer::Metadata`, never from the raw
//! restored TOML: `Keep` writes the deserialized metadata back (and a `ReplaceMetadata`
//! followed by `Keep` writes the replacement as it reads back), so integers that the
//! lifecycle's JSON round trip turned into floats are integers again and keys the type doesn't
//! know are dropped. The struct API keeps the raw metadata, as upstream's does.

#![expect(deprecated, reason = "the deprecated API uses its own items")]

use crate::Buildpack;
use crate::build::BuildContext;
use crate::layer::error::{LayerError, ReadLayerError};
use crate::layer::metadata::{self, Migration, Restored};
use crate::layer::store::LayerFiles;
use crate::layer::trait_api::{
    ExistingLayerStrategy, Layer, LayerData, LayerResult, MetadataMigration,
};
use crate::toml_file::TomlFileError;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};

type HandleResult<L> =
    crate::Result<LayerData<<L as Layer>::Metadata>, <<L as Layer>::Buildpack as Buildpack>::Error>;

/// Upstream's trait API reports a `<layer>.toml` that isn't valid layer content metadata as
/// [`ReadLayerError::LayerContentMetadataParseError`], where its struct API (and the shared
/// [`metadata::restore`]) reports [`LayerError::CouldNotReadGenericLayerMetadata`].
fn trait_api_variant<E>(error: crate::Error<E>) -> crate::Error<E> {
    match error {
        crate::Error::LayerError(LayerError::CouldNotReadGenericLayerMetadata(
            TomlFileError::TomlDeserializationError(error),
        )) => {
            LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(error)).into()
        }
        other => other,
    }
}

/// Handles the layer `layer_name` with `layer`; see
/// [`BuildContext::handle_layer`](crate::build::BuildContext::handle_layer).
pub(crate) fn handle_layer<L: Layer>(
    context: &BuildContext<L::Buildpack>,
    layer_name: &LayerName,
    mut layer: L,
) -> HandleResult<L> {
    let files = LayerFiles::new(&context.layers_dir, layer_name);
    let restored = metadata::restore(&files, |generic| {
        match layer
            .migrate_incompatible_metadata(context, generic)
            .map_err(crate::Error::BuildpackError)?
        {
            MetadataMigration::RecreateLayer => Ok(Migration::Delete(())),
            MetadataMigration::ReplaceMetadata(metadata) => Ok(Migration::Replace(metadata)),
        }
    })
    .map_err(trait_api_variant)?;
    let (metadata, stored) = match restored {
        Restored::Valid { metadata, layer } => (metadata, layer),
        Restored::Absent | Restored::Deleted(()) => {
            return create_layer(context, files, &mut layer);
        }
    };
    let env = files.read_env().map_err(LayerError::from)?;

    let layer_data = LayerData {
        name: layer_name.clone(),
        path: files.dir(),
        env,
        // After a `ReplaceMetadata` migration these are the types as restored (upstream writes
        // them back with the new metadata and reads the layer again).
        content_metadata: LayerContentMetadata {
            types: stored.content.types,
            metadata,
        },
    };
    match layer
        .existing_layer_strategy(context, &layer_data)
        .map_err(crate::Error::BuildpackError)?
    {
        ExistingLayerStrategy::Recreate => {
            files.delete().map_err(LayerError::from)?;
            create_layer(context, files, &mut layer)
        }
        ExistingLayerStrategy::Update => {
            let result = layer
                .update(context, &layer_data)
                .map_err(crate::Error::BuildpackError)?;
            write_layer_result::<L>(files, layer.types(), result)
        }
        ExistingLayerStrategy::Keep => {
            // As upstream: the lifecycle restores `<layer>.toml` without types, so they are
            // written again, and the metadata is written as `L::Metadata` serializes it (the
            // `1.0` of the JSON round trip back to `1`, keys the type doesn't know dropped).
            let content_metadata = write_content_metadata::<L>(
                files,
                layer.types(),
                &layer_data.content_metadata.metadata,
            )?;
            Ok(LayerData {
                content_metadata,
                ..layer_data
            })
        }
    }
}

/// Creates the layer directory, lets [`Layer::create`] fill it, and writes the result.
fn create_layer<L: Layer>(
    context: &BuildContext<L::Buildpack>,
    files: LayerFiles<'_>,
    layer: &mut L,
) -> HandleResult<L> {
    files.create_dir().map_err(LayerError::from)?;
    let result = layer
        .create(context, &files.dir())
        .map_err(crate::Error::BuildpackError)?;
    write_layer_result::<L>(files, layer.types(), result)
}

/// Writes what [`Layer::create`] or [`Layer::update`] returned, replacing the layer's
/// `<layer>.toml`, env, SBOMs and exec.d programs, in upstream's order, and returns the layer as
/// it is now on disk.
fn write_layer_result<L: Layer>(
    files: LayerFiles<'_>,
    types: LayerTypes,
    result: LayerResult<L::Metadata>,
) -> HandleResult<L> {
    let content_metadata = write_content_metadata::<L>(files, types, &result.metadata)?;
    files
        .write_env(&result.env.unwrap_or_default())
        .map_err(LayerError::from)?;
    files
        .replace_sboms(&result.sboms)
        .map_err(LayerError::from)?;
    files
        .replace_exec_d_programs(&result.exec_d_programs)
        .map_err(LayerError::from)?;

    Ok(LayerData {
        name: files.name().clone(),
        path: files.dir(),
        // Read back for the implicit entries of `bin/`, `lib/` and so on.
        env: files.read_env().map_err(LayerError::from)?,
        content_metadata,
    })
}

/// Writes `<layer>.toml` with `types` and the metadata as `L::Metadata` serializes it, and
/// returns it as upstream reads it back after the write. The metadata must deserialize again:
/// upstream's read fails otherwise, which is checked in memory before anything is written.
fn write_content_metadata<L: Layer>(
    files: LayerFiles<'_>,
    types: LayerTypes,
    metadata: &L::Metadata,
) -> Result<LayerContentMetadata<L::Metadata>, LayerError> {
    let (_, as_read) = metadata::round_trip(&files, metadata)?;
    let content = LayerContentMetadata {
        types: Some(types),
        metadata,
    };
    files.write_content_metadata(&content)?;
    Ok(LayerContentMetadata {
        types: Some(types),
        metadata: as_read,
    })
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::build::BuildContext;
    use crate::data::layer_name;
    use crate::data::sbom::SbomFormat;
    use crate::generic::GenericMetadata;
    use crate::layer::test_support::{
        Lossy, TestBuildpack, context, names, read, restore, types_toml, write,
    };
    use crate::layer::{
        ExistingLayerStrategy, Layer, LayerData, LayerError, LayerResult, LayerResultBuilder,
        MetadataMigration, ReadLayerError, ReplaceLayerSbomsError, WriteLayerError,
    };
    use crate::layer_env::{LayerEnv, ModificationBehavior, Scope};
    use crate::sbom::Sbom;
    use libcnb_lite_data::layer_content_metadata::LayerTypes;
    use serde::{Deserialize, Serialize};
    use std::cell::RefCell;
    use std::fs;
    use std::path::{Path, PathBuf};

    #[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
    struct Version {
        version: String,
    }

    /// Upstream's test layer: `create` and `update` leave a file named after themselves,
    /// `migrate_incompatible_metadata` turns `[metadata] v` into a [`Version`], and every call
    /// is recorded.
    struct TestLayer<'a> {
        strategy: ExistingLayerStrategy,
        version: &'a str,
        env: Option<LayerEnv>,
        exec_d_program: Option<PathBuf>,
        calls: &'a RefCell<Vec<String>>,
    }

    impl<'a> TestLayer<'a> {
        fn new(strategy: ExistingLayerStrategy, calls: &'a RefCell<Vec<String>>) -> Self {
            Self {
                strategy,
                version: "1.0.0",
                env: None,
                exec_d_program: None,
                calls,
            }
        }

        fn result(&self, metadata: Version) -> LayerResult<Version> {
            let mut builder = LayerResultBuilder::new(metadata)
                .sbom(Sbom::from_bytes(SbomFormat::SyftJson, "{}"));
            if let Some(env) = &self.env {
                builder = builder.env(env.clone());
            }
            if let Some(program) = &self.exec_d_program {
                builder = builder.exec_d_program("program", program);
            }
            builder.build_unwrapped()
        }
    }

    impl Layer for TestLayer<'_> {
        type Buildpack = TestBuildpack;
        type Metadata = Version;

        fn types(&self) -> LayerTypes {
            LayerTypes {
                launch: true,
                build: true,
                cache: true,
            }
        }

        fn create(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            layer_path: &Path,
        ) -> Result<LayerResult<Version>, String> {
            self.calls.borrow_mut().push(String::from("create"));
            assert!(
                fs::read_dir(layer_path).unwrap().next().is_none(),
                "not empty"
            );
            write(&layer_path.join("create"), "ran");
            Ok(self.result(Version {
                version: self.version.to_string(),
            }))
        }

        fn existing_layer_strategy(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            layer_data: &LayerData<Version>,
        ) -> Result<ExistingLayerStrategy, String> {
            self.calls.borrow_mut().push(format!(
                "existing {} {:?}",
                layer_data.content_metadata.metadata.version,
                layer_data.content_metadata.types.is_some()
            ));
            Ok(self.strategy)
        }

        fn update(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            layer_data: &LayerData<Version>,
        ) -> Result<LayerResult<Version>, String> {
            self.calls.borrow_mut().push(String::from("update"));
            write(&layer_data.path.join("update"), "ran");
            Ok(self.result(layer_data.content_metadata.metadata.clone()))
        }

        fn migrate_incompatible_metadata(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            metadata: &GenericMetadata,
        ) -> Result<MetadataMigration<Version>, String> {
            self.calls.borrow_mut().push(String::from("migrate"));
            match metadata.as_ref().and_then(|table| table.get("v")?.as_str()) {
                Some(version) => Ok(MetadataMigration::ReplaceMetadata(Version {
                    version: version.to_string(),
                })),
                None => Ok(MetadataMigration::RecreateLayer),
            }
        }
    }

    fn handle(
        layers_dir: &Path,
        layer: impl Layer<Buildpack = TestBuildpack, Metadata = Version>,
    ) -> crate::Result<LayerData<Version>, String> {
        context(layers_dir).handle_layer(layer_name!("test"), layer)
    }

    fn all_types() -> String {
        types_toml(true, true, true)
    }

    fn toml_of(layers_dir: &Path) -> String {
        read(&layers_dir.join("test.toml"))
    }

    #[test]
    fn create() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        let layer = TestLayer {
            env: Some(LayerEnv::new().chainable_insert(
                Scope::All,
                ModificationBehavior::Append,
                "RANDOM",
                "4",
            )),
            ..TestLayer::new(ExistingLayerStrategy::Keep, &calls)
        };

        let data = handle(temp_dir.path(), layer).unwrap();

        assert_eq!(calls.take(), ["create"]);
        assert_eq!(data.name, layer_name!("test"));
        assert_eq!(data.path, temp_dir.path().join("test"));
        assert_eq!(data.content_metadata.metadata.version, "1.0.0");
        assert_eq!(
            data.content_metadata.types,
            Some(LayerTypes {
                launch: true,
                build: true,
                cache: true
            })
        );
        assert_eq!(data.env, LayerEnv::read_from_layer_dir(&data.path).unwrap());
        assert_eq!(read(&data.path.join("env/RANDOM.append")), "4");
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\nversion = \"1.0.0\"\n", all_types())
        );
        assert_eq!(
            names(temp_dir.path()),
            ["test", "test.sbom.syft.json", "test.toml"]
        );
    }

    #[test]
    fn create_then_update_keeps_metadata_and_contents() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Update, &calls),
        )
        .unwrap();
        let layer = TestLayer {
            version: "2.0.0",
            ..TestLayer::new(ExistingLayerStrategy::Update, &calls)
        };

        let data = handle(temp_dir.path(), layer).unwrap();

        assert_eq!(calls.take(), ["create", "existing 1.0.0 true", "update"]);
        assert_eq!(data.content_metadata.metadata.version, "1.0.0");
        assert_eq!(names(&data.path), ["create", "update"]);
    }

    #[test]
    fn update_replaces_env_sboms_and_exec_d_programs() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        let program = temp_dir.path().join("program");
        write(&program, "#!/bin/sh\n");
        let layers_dir = temp_dir.path().join("layers");
        let layer = TestLayer {
            env: Some(LayerEnv::new().chainable_insert(
                Scope::Build,
                ModificationBehavior::Override,
                "A",
                "1",
            )),
            exec_d_program: Some(program),
            ..TestLayer::new(ExistingLayerStrategy::Update, &calls)
        };
        let data = handle(&layers_dir, layer).unwrap();
        assert_eq!(names(&data.path), ["create", "env.build", "exec.d"]);

        // The default-like update result: no env, no exec.d programs; one SBOM.
        let data = handle(
            &layers_dir,
            TestLayer::new(ExistingLayerStrategy::Update, &calls),
        )
        .unwrap();

        assert_eq!(names(&data.path), ["create", "update"]);
        assert_eq!(data.env, LayerEnv::new());
        assert_eq!(
            names(&layers_dir),
            ["test", "test.sbom.syft.json", "test.toml"]
        );
    }

    #[test]
    fn create_then_recreate_starts_from_scratch() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Recreate, &calls),
        )
        .unwrap();
        write(&temp_dir.path().join("test/RESIDUE"), "x");
        let layer = TestLayer {
            version: "2.0.0",
            ..TestLayer::new(ExistingLayerStrategy::Recreate, &calls)
        };

        let data = handle(temp_dir.path(), layer).unwrap();

        assert_eq!(calls.take(), ["create", "existing 1.0.0 true", "create"]);
        assert_eq!(data.content_metadata.metadata.version, "2.0.0");
        assert_eq!(names(&data.path), ["create"]);
    }

    #[test]
    fn keep_rewrites_stripped_types_and_keeps_everything_else() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        restore(temp_dir.path(), "test", "[metadata]\nversion = \"1.0.0\"\n");
        write(
            &temp_dir.path().join("test/env.launch/web/PORT.default"),
            "80",
        );
        let layer = TestLayer {
            version: "2.0.0",
            ..TestLayer::new(ExistingLayerStrategy::Keep, &calls)
        };

        let data = handle(temp_dir.path(), layer).unwrap();

        assert_eq!(calls.take(), ["existing 1.0.0 false"]);
        assert_eq!(data.content_metadata.metadata.version, "1.0.0");
        assert_eq!(
            data.content_metadata.types,
            Some(LayerTypes {
                launch: true,
                build: true,
                cache: true
            })
        );
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\nversion = \"1.0.0\"\n", all_types())
        );
        // The process env (`env.launch/<process>/`, where upstream's read fails with "Is a
        // directory") and the SBOM stay.
        let web = data.env.apply_to_empty(Scope::Process(String::from("web")));
        assert_eq!(
            web.get("PORT").map(|value| value.to_str()),
            Some(Some("80"))
        );
        assert_eq!(
            names(temp_dir.path()),
            ["test", "test.sbom.cdx.json", "test.toml"]
        );
        assert_eq!(names(&data.path), ["content", "env.launch"]);
    }

    #[test]
    fn incompatible_metadata_is_replaced_then_handled() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        restore(temp_dir.path(), "test", "[metadata]\nv = \"3.2.1\"\n");

        let data = handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Update, &calls),
        )
        .unwrap();

        assert_eq!(calls.take(), ["migrate", "existing 3.2.1 false", "update"]);
        assert_eq!(data.content_metadata.metadata.version, "3.2.1");
        assert_eq!(names(&data.path), ["content", "update"]);
        assert_eq!(
            toml_of(temp_dir.path()),
            format!("{}\n[metadata]\nversion = \"3.2.1\"\n", all_types())
        );
    }

    #[test]
    fn incompatible_metadata_is_recreated() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        restore(
            temp_dir.path(),
            "test",
            "[metadata]\nversi_on = \"3.2.1\"\n",
        );

        let data = handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Update, &calls),
        )
        .unwrap();

        assert_eq!(calls.take(), ["migrate", "create"]);
        assert_eq!(data.content_metadata.metadata.version, "1.0.0");
        assert_eq!(names(&data.path), ["create"]);
        // The restored SBOM went with the layer; the new one is `create`'s.
        assert_eq!(
            names(temp_dir.path()),
            ["test", "test.sbom.syft.json", "test.toml"]
        );
    }

    #[test]
    fn a_directory_without_toml_is_an_existing_layer() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        write(&temp_dir.path().join("test/content"), "x");

        // No metadata isn't a `Version`; the default migration recreates the layer.
        let data = handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Keep, &calls),
        )
        .unwrap();

        assert_eq!(calls.take(), ["migrate", "create"]);
        assert_eq!(names(&data.path), ["create"]);
    }

    #[test]
    fn a_toml_without_directory_is_no_layer() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        write(
            &temp_dir.path().join("test.toml"),
            "[metadata]\nversion = \"3.2.1\"\n",
        );

        let data = handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Keep, &calls),
        )
        .unwrap();

        assert_eq!(calls.take(), ["create"]);
        assert_eq!(data.content_metadata.metadata.version, "1.0.0");
    }

    #[test]
    fn stale_sboms_of_an_absent_layer_are_replaced() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        write(&temp_dir.path().join("test.sbom.cdx.json"), "stale");
        write(&temp_dir.path().join("test.sbom.syft.json"), "stale");

        handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Keep, &calls),
        )
        .unwrap();

        assert_eq!(
            names(temp_dir.path()),
            ["test", "test.sbom.syft.json", "test.toml"]
        );
        assert_eq!(read(&temp_dir.path().join("test.sbom.syft.json")), "{}");
    }

    #[test]
    fn a_layer_directory_removed_by_create_is_a_missing_layer() {
        struct RemovingLayer;
        impl Layer for RemovingLayer {
            type Buildpack = TestBuildpack;
            type Metadata = Version;
            fn types(&self) -> LayerTypes {
                LayerTypes::default()
            }
            fn create(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                layer_path: &Path,
            ) -> Result<LayerResult<Version>, String> {
                fs::remove_dir(layer_path).unwrap();
                LayerResultBuilder::new(Version {
                    version: String::from("1"),
                })
                .build()
            }
        }
        let temp_dir = tempfile::tempdir().unwrap();

        let error = context(temp_dir.path())
            .handle_layer(layer_name!("test"), RemovingLayer)
            .unwrap_err();

        assert!(
            matches!(
                &error,
                Error::LayerError(LayerError::WriteLayerError(
                    WriteLayerError::ReplaceLayerSbomsError(ReplaceLayerSbomsError::MissingLayer(
                        name
                    ))
                )) if *name == layer_name!("test")
            ),
            "{error:?}"
        );
    }

    #[test]
    fn malformed_toml_is_an_error() {
        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        restore(temp_dir.path(), "test", "[metadata\n");

        let error = handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Keep, &calls),
        )
        .unwrap_err();

        // Upstream's trait API variant (the struct API's is
        // `CouldNotReadGenericLayerMetadata`).
        let Error::LayerError(LayerError::ReadLayerError(
            ReadLayerError::LayerContentMetadataParseError(toml_error),
        )) = &error
        else {
            panic!("{error:?}")
        };
        assert!(toml_error.to_string().contains("line 1"), "{toml_error}");
        assert!(calls.take().is_empty());
        assert_eq!(toml_of(temp_dir.path()), "[metadata\n");
    }

    #[test]
    fn integers_restored_as_floats_are_valid_metadata() {
        #[derive(Clone, Deserialize, Serialize)]
        struct Count {
            count: u64,
        }
        struct CountLayer;
        impl Layer for CountLayer {
            type Buildpack = TestBuildpack;
            type Metadata = Count;
            fn types(&self) -> LayerTypes {
                LayerTypes {
                    launch: true,
                    build: false,
                    cache: true,
                }
            }
            fn create(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &Path,
            ) -> Result<LayerResult<Count>, String> {
                panic!("the restored layer is valid")
            }
            fn existing_layer_strategy(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &LayerData<Count>,
            ) -> Result<ExistingLayerStrategy, String> {
                Ok(ExistingLayerStrategy::Keep)
            }
        }
        let temp_dir = tempfile::tempdir().unwrap();
        restore(
            temp_dir.path(),
            "test",
            "[metadata]\ncount = 12.0\nunknown = \"x\"\n",
        );

        let data = context(temp_dir.path())
            .handle_layer(layer_name!("test"), CountLayer)
            .unwrap();

        assert_eq!(data.content_metadata.metadata.count, 12);
        // Written back as `Count` serializes it, as upstream does: an integer again, and
        // without the key `Count` doesn't know.
        assert_eq!(
            toml_of(temp_dir.path()),
            format!(
                "{}\n[metadata]\ncount = 12\n",
                types_toml(true, false, true)
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn keep_does_not_rewrite_identical_bytes() {
        use std::os::unix::fs::MetadataExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let calls = RefCell::default();
        let text = format!("{}\n[metadata]\nversion = \"1.0.0\"\n", all_types());
        restore(temp_dir.path(), "test", &text);
        let inode = fs::metadata(temp_dir.path().join("test.toml"))
            .unwrap()
            .ino();

        handle(
            temp_dir.path(),
            TestLayer::new(ExistingLayerStrategy::Keep, &calls),
        )
        .unwrap();

        assert_eq!(toml_of(temp_dir.path()), text);
        assert_eq!(
            fs::metadata(temp_dir.path().join("test.toml"))
                .unwrap()
                .ino(),
            inode
        );
    }

    #[test]
    fn keep_of_metadata_that_does_not_read_back_is_an_error_and_writes_nothing() {
        struct KeptLossyLayer;
        impl Layer for KeptLossyLayer {
            type Buildpack = TestBuildpack;
            type Metadata = Lossy;
            fn types(&self) -> LayerTypes {
                LayerTypes::default()
            }
            fn create(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &Path,
            ) -> Result<LayerResult<Lossy>, String> {
                panic!("the restored layer is valid")
            }
            fn existing_layer_strategy(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &LayerData<Lossy>,
            ) -> Result<ExistingLayerStrategy, String> {
                Ok(ExistingLayerStrategy::Keep)
            }
        }
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "test", "[metadata]\nrequired = \"x\"\n");

        let error = context(temp_dir.path())
            .handle_layer(layer_name!("test"), KeptLossyLayer)
            .unwrap_err();

        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::ReadLayerError(
                    ReadLayerError::LayerContentMetadataParseError(_)
                ))
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "Layer error: Layer content metadata couldn't be parsed!"
        );
        assert!(
            parse_error_text(&error).starts_with(&format!(
                "the metadata of layer `test` (to be written to {}) doesn't deserialize as the \
                 layer's metadata type once serialized; ",
                temp_dir.path().join("test.toml").display()
            )),
            "{error:?}"
        );
        assert_eq!(toml_of(temp_dir.path()), "[metadata]\nrequired = \"x\"\n");
    }

    /// The TOML error inside a `ReadLayerError::LayerContentMetadataParseError`.
    fn parse_error_text<E: std::fmt::Debug>(error: &Error<E>) -> String {
        match error {
            Error::LayerError(LayerError::ReadLayerError(
                ReadLayerError::LayerContentMetadataParseError(toml_error),
            )) => toml_error.to_string(),
            other => panic!("{other:?}"),
        }
    }

    /// A layer whose migration and results use [`Lossy`] metadata.
    struct LossyLayer;

    impl Layer for LossyLayer {
        type Buildpack = TestBuildpack;
        type Metadata = Lossy;
        fn types(&self) -> LayerTypes {
            LayerTypes::default()
        }
        fn create(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &Path,
        ) -> Result<LayerResult<Lossy>, String> {
            LayerResultBuilder::new(Lossy {
                required: "x".into(),
            })
            .build()
        }
        fn migrate_incompatible_metadata(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &GenericMetadata,
        ) -> Result<MetadataMigration<Lossy>, String> {
            Ok(MetadataMigration::ReplaceMetadata(Lossy {
                required: "x".into(),
            }))
        }
    }

    #[test]
    fn metadata_that_does_not_read_back_is_an_error_not_a_loop() {
        let temp_dir = tempfile::tempdir().unwrap();
        restore(temp_dir.path(), "test", "[metadata]\nold = 1\n");

        let error = context(temp_dir.path())
            .handle_layer(layer_name!("test"), LossyLayer)
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::ReadLayerError(
                    ReadLayerError::LayerContentMetadataParseError(_)
                ))
            ),
            "{error:?}"
        );
        assert!(
            parse_error_text(&error)
                .trim_end()
                .ends_with("missing field `required`"),
            "{error:?}"
        );
        assert_eq!(toml_of(temp_dir.path()), "[metadata]\nold = 1\n");

        let error = context(temp_dir.path())
            .handle_layer(layer_name!("new"), LossyLayer)
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::ReadLayerError(
                    ReadLayerError::LayerContentMetadataParseError(_)
                ))
            ),
            "{error:?}"
        );
        assert!(
            parse_error_text(&error)
                .trim_end()
                .ends_with("missing field `required`"),
            "{error:?}"
        );
    }

    #[test]
    fn method_errors_are_buildpack_errors() {
        struct FailingLayer(&'static str);
        impl Layer for FailingLayer {
            type Buildpack = TestBuildpack;
            type Metadata = Version;
            fn types(&self) -> LayerTypes {
                LayerTypes::default()
            }
            fn create(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &Path,
            ) -> Result<LayerResult<Version>, String> {
                Err(format!("create {}", self.0))
            }
            fn existing_layer_strategy(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &LayerData<Version>,
            ) -> Result<ExistingLayerStrategy, String> {
                Err(format!("strategy {}", self.0))
            }
            fn migrate_incompatible_metadata(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &GenericMetadata,
            ) -> Result<MetadataMigration<Version>, String> {
                Err(format!("migrate {}", self.0))
            }
        }
        let temp_dir = tempfile::tempdir().unwrap();
        let context = context(temp_dir.path());

        for (toml, expected) in [
            (None, "create x"),
            (Some("[metadata]\nversion = \"1\"\n"), "strategy x"),
            (Some("[metadata]\nold = 1\n"), "migrate x"),
        ] {
            if let Some(toml) = toml {
                restore(temp_dir.path(), "test", toml);
            }
            let error = context
                .handle_layer(layer_name!("test"), FailingLayer("x"))
                .unwrap_err();
            assert!(
                matches!(&error, Error::BuildpackError(e) if e == expected),
                "{error:?}"
            );
        }
    }

    #[test]
    fn default_methods_recreate_and_update_keeps_metadata_and_env() {
        struct DefaultLayer;
        impl Layer for DefaultLayer {
            type Buildpack = TestBuildpack;
            type Metadata = Version;
            fn types(&self) -> LayerTypes {
                LayerTypes {
                    launch: false,
                    build: true,
                    cache: false,
                }
            }
            fn create(
                &mut self,
                _: &BuildContext<TestBuildpack>,
                _: &Path,
            ) -> Result<LayerResult<Version>, String> {
                LayerResultBuilder::new(Version {
                    version: "created".into(),
                })
                .env(LayerEnv::new().chainable_insert(
                    Scope::All,
                    ModificationBehavior::Override,
                    "A",
                    "1",
                ))
                .build()
            }
        }
        let temp_dir = tempfile::tempdir().unwrap();
        let context = context(temp_dir.path());
        let data = context
            .handle_layer(layer_name!("test"), DefaultLayer)
            .unwrap();
        let mut layer = DefaultLayer;

        assert_eq!(
            layer.existing_layer_strategy(&context, &data),
            Ok(ExistingLayerStrategy::Recreate)
        );
        assert!(matches!(
            layer.migrate_incompatible_metadata(&context, &None),
            Ok(MetadataMigration::RecreateLayer)
        ));
        let update = layer.update(&context, &data).unwrap();
        assert_eq!(update.metadata, data.content_metadata.metadata);
        assert_eq!(update.env, Some(data.env));
        assert!(update.exec_d_programs.is_empty() && update.sboms.is_empty());
    }
}
