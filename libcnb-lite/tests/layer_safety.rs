//! Adversarial tests of layer handling: symbolic links out of the layers directory, read-only
//! trees, corrupt and truncated `<layer>.toml` (what a writer killed in the middle of its
//! in-place write leaves), and metadata of the wrong shape.
//!
//! One test re-runs this test binary as a child process (an ignored test selected by name) to
//! delete read-only trees as an unprivileged user when the tests run as root.

#![cfg(unix)]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on what they don't expect"
)]

mod support;

use libcnb_lite::Error;
use libcnb_lite::TomlFileError;
use libcnb_lite::data::layer_name;
use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{
    CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
    LayerError, LayerState, UncachedLayerDefinition,
};
use serde::{Deserialize, Serialize};
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{TestBuildpack, chmod, context, names, read, snapshot, write};

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Version {
    version: String,
}

type LayerRef<MAC, RAC> = libcnb_lite::layer::LayerRef<TestBuildpack, MAC, RAC>;

/// `cached_layer(name)` whose callbacks delete the layer, with a cause saying which one did.
fn delete_restored(layers_dir: &Path, name: &str) -> LayerRef<&'static str, &'static str> {
    context(layers_dir)
        .cached_layer(
            name.parse::<libcnb_lite::data::layer::LayerName>().unwrap(),
            CachedLayerDefinition {
                build: true,
                launch: false,
                invalid_metadata: &|_: &GenericMetadata| {
                    (InvalidMetadataAction::DeleteLayer, "invalid")
                },
                inspect_restored: &|_: &Version, _: &Path| {
                    (InspectRestoredAction::DeleteLayer, "inspected")
                },
            },
        )
        .unwrap()
}

/// A directory outside the layers directory that a restored layer's links point into: a
/// read-only file, a read-only directory with a file, and a writable file.
fn outside_tree(root: &Path) -> PathBuf {
    let outside = root.join("outside");
    write(&outside.join("read-only"), "keep me");
    write(&outside.join("dir/inner"), "keep me too");
    write(&outside.join("writable"), "and me");
    chmod(&outside.join("read-only"), 0o444);
    chmod(&outside.join("dir"), 0o555);
    outside
}

#[test]
fn a_layer_directory_that_links_outside_is_unlinked_not_emptied() {
    let temp_dir = tempfile::tempdir().unwrap();
    let outside = outside_tree(temp_dir.path());
    let before = snapshot(&outside);
    let layers_dir = temp_dir.path().join("layers");
    fs::create_dir(&layers_dir).unwrap();

    // The struct API, deleting after inspection, and an uncached layer.
    for name in ["cached", "uncached"] {
        symlink(&outside, layers_dir.join(name)).unwrap();
        write(
            &layers_dir.join(format!("{name}.toml")),
            "[metadata]\nversion = \"1\"\n",
        );
    }
    let layer = delete_restored(&layers_dir, "cached");
    assert_eq!(
        layer.state,
        LayerState::Empty {
            cause: EmptyLayerCause::InspectRestoredAction { cause: "inspected" }
        }
    );
    let layer = context(&layers_dir)
        .uncached_layer(
            layer_name!("uncached"),
            UncachedLayerDefinition {
                build: true,
                launch: true,
            },
        )
        .unwrap();
    assert_eq!(
        layer.state,
        LayerState::Empty {
            cause: EmptyLayerCause::InspectRestoredAction { cause: () }
        }
    );

    // The trait API, recreating.
    symlink(&outside, layers_dir.join("trait")).unwrap();
    write(
        &layers_dir.join("trait.toml"),
        "[metadata]\nversion = \"1\"\n",
    );
    #[expect(deprecated, reason = "the trait API must be as safe as the struct API")]
    {
        let data = context(&layers_dir)
            .handle_layer(layer_name!("trait"), trait_layer::Recreating)
            .unwrap();
        assert_eq!(data.content_metadata.metadata, GenericMetadata::None);
    }

    assert_eq!(snapshot(&outside), before);
    for name in ["cached", "uncached", "trait"] {
        let metadata = fs::symlink_metadata(layers_dir.join(name)).unwrap();
        assert!(metadata.is_dir(), "{name} is a real directory now");
        assert!(names(&layers_dir.join(name)).is_empty(), "{name} is empty");
    }
}

#[test]
fn links_inside_a_layer_are_removed_not_followed() {
    let temp_dir = tempfile::tempdir().unwrap();
    let outside = outside_tree(temp_dir.path());
    let before = snapshot(&outside);
    let layers_dir = temp_dir.path().join("layers");
    let tree = layers_dir.join("links");
    write(
        &layers_dir.join("links.toml"),
        "[metadata]\nversion = \"1\"\n",
    );
    write(&tree.join("own"), "x");
    fs::create_dir(tree.join("nested")).unwrap();
    symlink(&outside, tree.join("to-dir")).unwrap();
    symlink(outside.join("read-only"), tree.join("to-file")).unwrap();
    symlink(outside.join("dir"), tree.join("nested/to-read-only-dir")).unwrap();
    symlink("../../outside", tree.join("nested/relative")).unwrap();
    symlink(tree.join("missing"), tree.join("dangling")).unwrap();
    chmod(&tree.join("nested"), 0o555);
    chmod(&tree, 0o555);

    let layer = delete_restored(&layers_dir, "links");

    assert!(matches!(layer.state, LayerState::Empty { .. }));
    assert!(names(&tree).is_empty());
    assert_eq!(snapshot(&outside), before);
}

/// Whether this process runs as root, who may delete from read-only directories.
fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

/// Runs the ignored test `test` of this binary in a child process, with `LAYERS_TEST_DIR` set
/// to `dir`, as the unprivileged user 65534 if `unprivileged`.
fn child(test: &str, dir: &Path, unprivileged: bool) -> Command {
    let exe = std::env::current_exe().unwrap();
    let mut command = if unprivileged {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(exe);
        command
    } else {
        Command::new(exe)
    };
    command
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LAYERS_TEST_DIR", dir);
    command
}

/// Gives `path` and everything below it to the user and group 65534, not following links.
fn chown_to_nobody(path: &Path) {
    std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for name in names(path) {
            chown_to_nobody(&path.join(name));
        }
    }
}

#[test]
fn read_only_trees_are_deleted_by_their_owner() {
    let temp_dir = tempfile::tempdir().unwrap();
    let layers_dir = temp_dir.path().join("layers");
    for name in ["struct", "trait"] {
        let tree = layers_dir.join(name);
        write(
            &layers_dir.join(format!("{name}.toml")),
            "[metadata]\nversion = \"1\"\n",
        );
        write(&tree.join("file"), "x");
        write(&tree.join("sub/deep/file"), "x");
        write(&tree.join("locked/secret"), "x");
        for file in ["file", "sub/deep/file", "locked/secret"] {
            chmod(&tree.join(file), 0o444);
        }
        for dir in ["sub/deep", "sub", "locked", ""] {
            chmod(&tree.join(dir), if dir == "locked" { 0o000 } else { 0o555 });
        }
    }

    if is_root() && Command::new("setpriv").arg("--version").output().is_ok() {
        // Root ignores permissions, so only an unprivileged owner shows that the deletion
        // makes the tree writable first.
        chown_to_nobody(temp_dir.path());
        let output = child("read_only_child", &layers_dir, true)
            .output()
            .unwrap();
        assert!(
            output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    } else {
        delete_read_only_layers(&layers_dir);
    }

    for name in ["struct", "trait"] {
        assert!(names(&layers_dir.join(name)).is_empty(), "{name}");
    }
}

#[test]
#[ignore = "the child process of read_only_trees_are_deleted_by_their_owner"]
fn read_only_child() {
    delete_read_only_layers(Path::new(&std::env::var_os("LAYERS_TEST_DIR").unwrap()));
}

fn delete_read_only_layers(layers_dir: &Path) {
    let layer = delete_restored(layers_dir, "struct");
    assert!(matches!(layer.state, LayerState::Empty { .. }));
    #[expect(deprecated, reason = "the trait API must delete read-only trees too")]
    context(layers_dir)
        .handle_layer(layer_name!("trait"), trait_layer::Recreating)
        .unwrap();
}

mod trait_layer {
    #![expect(deprecated, reason = "tests of the deprecated trait API")]

    use super::support::TestBuildpack;
    use libcnb_lite::build::BuildContext;
    use libcnb_lite::data::layer_content_metadata::LayerTypes;
    use libcnb_lite::generic::GenericMetadata;
    use libcnb_lite::layer::{Layer, LayerResult, LayerResultBuilder};
    use std::path::Path;

    /// A trait API layer that is always recreated (the default strategy).
    pub(crate) struct Recreating;

    impl Layer for Recreating {
        type Buildpack = TestBuildpack;
        type Metadata = GenericMetadata;

        fn types(&self) -> LayerTypes {
            LayerTypes {
                launch: false,
                build: true,
                cache: true,
            }
        }

        fn create(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &Path,
        ) -> Result<LayerResult<GenericMetadata>, String> {
            LayerResultBuilder::new(None).build()
        }
    }
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Dependency {
    version: String,
    sha: String,
}

/// Every outcome of handling a layer restored with `toml`, checked against the files.
fn handle_restored_toml(toml: &str) {
    let temp_dir = tempfile::tempdir().unwrap();
    let layers_dir = temp_dir.path();
    write(&layers_dir.join("dep.toml"), toml);
    write(&layers_dir.join("dep/content"), "restored");

    let result = context(layers_dir).cached_layer(
        layer_name!("dep"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata: &|_: &GenericMetadata| {
                (InvalidMetadataAction::DeleteLayer, "invalid")
            },
            inspect_restored: &|_: &Dependency, _: &Path| {
                (InspectRestoredAction::KeepLayer, "kept")
            },
        },
    );

    let types = "[types]\nlaunch = true\nbuild = true\ncache = true\n";
    match result {
        Ok(layer) => match layer.state {
            LayerState::Restored { cause: "kept" } => {
                let written = read(&layers_dir.join("dep.toml"));
                assert!(written.starts_with(types), "{toml:?} → {written:?}");
                assert_eq!(read(&layers_dir.join("dep/content")), "restored");
            }
            LayerState::Empty {
                cause: EmptyLayerCause::InvalidMetadataAction { cause: "invalid" },
            } => {
                assert_eq!(read(&layers_dir.join("dep.toml")), types, "{toml:?}");
                assert!(names(&layers_dir.join("dep")).is_empty(), "{toml:?}");
            }
            other => panic!("{toml:?}: {other:?}"),
        },
        Err(Error::LayerError(LayerError::CouldNotReadGenericLayerMetadata(
            TomlFileError::TomlDeserializationError(_),
        ))) => {
            // Errors change nothing.
            assert_eq!(read(&layers_dir.join("dep.toml")), toml);
            assert_eq!(read(&layers_dir.join("dep/content")), "restored");
        }
        Err(other) => panic!("{toml:?}: {other:?}"),
    }
}

/// A `<layer>.toml` is written in place, so a writer killed in the middle leaves a prefix of it.
/// The lifecycle exports nothing from a killed build, so no later build sees one, but if one
/// is read anyway, every prefix is a valid layer or an error that changes nothing, never a
/// panic.
#[test]
fn every_truncation_of_a_layer_toml_is_handled() {
    let toml = "[types]\nlaunch = true\nbuild = false\ncache = true\n\n[metadata]\n\
                version = \"1.2.3\"\nsha = \"2608a36467a6fec50be1672bfbf88b04b9ec8efa\"\n";
    for length in 0..=toml.len() {
        handle_restored_toml(&toml[..length]);
    }
}

#[test]
fn corrupt_layer_tomls_and_metadata_of_the_wrong_shape_are_handled() {
    for toml in [
        "\0\0\0\0",
        "[types]\n[types]\n",
        "types = true\n",
        "[types]\nlaunch = 1\n",
        "[types]\nexport = true\n",
        "launch = true\n",
        "metadata = \"text\"\n",
        "[[metadata]]\nversion = \"1\"\n",
        "[metadata]\nversion = 5\nsha = \"x\"\n",
        "[metadata]\nversion = \"1\"\nsha = [\"x\"]\n",
        "[metadata]\nversion = \"1\"\nsha = \"x\"\nextra = 1\n",
        "[metadata.version]\nnested = \"1\"\n",
    ] {
        handle_restored_toml(toml);
    }
}
