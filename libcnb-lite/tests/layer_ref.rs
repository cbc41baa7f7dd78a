//! `LayerRef`'s writes where libcnb-lite deliberately differs from upstream libcnb: a failing
//! `write_exec_d_programs` changes nothing, and `write_metadata` doesn't need the old
//! `<layer>.toml`.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on what they don't expect"
)]

mod support;

use libcnb_lite::Error;
use libcnb_lite::data::layer_name;
use libcnb_lite::layer::{
    LayerError, ReplaceLayerExecdProgramsError, UncachedLayerDefinition, WriteLayerError,
};
use serde::Serialize;
use std::fs;
use support::{context, names, read, write};

#[test]
fn a_failing_write_exec_d_programs_changes_nothing() {
    let temp_dir = tempfile::tempdir().unwrap();
    let layers_dir = temp_dir.path().join("layers");
    let layer = context(&layers_dir)
        .uncached_layer(
            layer_name!("web"),
            UncachedLayerDefinition {
                build: false,
                launch: true,
            },
        )
        .unwrap();
    let program = temp_dir.path().join("program");
    write(&program, "#!/bin/sh\n");
    layer
        .write_exec_d_programs([("first", program.clone())])
        .unwrap();
    let missing = temp_dir.path().join("missing");

    // Upstream has already replaced `exec.d/` (and copied some programs) when it finds that a
    // source is missing.
    let error = layer
        .write_exec_d_programs([("second", program), ("third", missing.clone())])
        .unwrap_err();

    assert!(
        matches!(
            &error,
            Error::LayerError(LayerError::WriteLayerError(
                WriteLayerError::ReplaceLayerExecdProgramsError(
                    ReplaceLayerExecdProgramsError::MissingExecDFile(path)
                )
            )) if *path == missing
        ),
        "{error:?}"
    );
    assert_eq!(names(&layer.path().join("exec.d")), ["first"]);
    assert_eq!(read(&layer.path().join("exec.d/first")), "#!/bin/sh\n");
}

#[derive(Serialize)]
struct Version {
    version: String,
}

#[test]
fn write_metadata_writes_a_removed_layer_toml_again_with_the_types() {
    let temp_dir = tempfile::tempdir().unwrap();
    let layer = context(temp_dir.path())
        .uncached_layer(
            layer_name!("tools"),
            UncachedLayerDefinition {
                build: true,
                launch: false,
            },
        )
        .unwrap();
    let toml_path = temp_dir.path().join("tools.toml");
    fs::remove_file(&toml_path).unwrap();

    // Upstream reads the old file for its types, and fails with NotFound.
    layer
        .write_metadata(Version {
            version: String::from("1.0"),
        })
        .unwrap();

    assert_eq!(
        read(&toml_path),
        "[types]\nlaunch = false\nbuild = true\ncache = false\n\n[metadata]\nversion = \"1.0\"\n"
    );
}
