//! The greeter: which version the app asks for, what the greeter layer records about itself,
//! the two callbacks that decide whether a restored layer can be reused, and the install step.
//!
//! Everything here is a plain function, so it is unit-tested below without running a build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::{fmt, fs, io};

use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{InspectRestoredAction, InvalidMetadataAction};
use serde::{Deserialize, Serialize};

/// The app file that names the greeter version; detection passes when it exists.
pub(crate) const VERSION_FILE: &str = "greeter-version.txt";

/// The `[metadata]` of the greeter layer's `<layer>.toml`: what the next build needs to
/// decide whether the restored layer is still good.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct GreeterLayerMetadata {
    /// The greeter version installed in the layer.
    pub(crate) version: String,
}

/// Reads the version the app asks for from [`VERSION_FILE`].
pub(crate) fn read_requested_version(app_dir: &Path) -> Result<String, VersionFileError> {
    let path = app_dir.join(VERSION_FILE);
    let text = fs::read_to_string(&path).map_err(|source| VersionFileError::Read {
        path: path.clone(),
        source,
    })?;
    parse_version(&text).ok_or(VersionFileError::Invalid {
        path,
        content: text.trim().to_owned(),
    })
}

/// A version is dot-separated numbers, such as `1.2.0`. The check matters: the version ends
/// up in a script and in file names, so app input must not be trusted blindly.
fn parse_version(text: &str) -> Option<String> {
    let version = text.trim();
    let valid = version
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()));
    valid.then(|| version.to_owned())
}

/// The `inspect_restored` callback: the layer came back with valid metadata. Keep it when it
/// holds the version the app asks for, otherwise delete it (libcnb-lite then hands the build
/// an empty layer). The `String` is the *cause*, which comes back in the layer's state.
pub(crate) fn inspect_restored(
    requested: &str,
    restored: &GreeterLayerMetadata,
) -> (InspectRestoredAction, String) {
    if restored.version == requested {
        (
            InspectRestoredAction::KeepLayer,
            format!("greeter {requested} is cached"),
        )
    } else {
        (
            InspectRestoredAction::DeleteLayer,
            format!(
                "the app asks for {requested}, the cache has {}",
                restored.version
            ),
        )
    }
}

/// The `invalid_metadata` callback: the layer came back with metadata that isn't a
/// [`GreeterLayerMetadata`]. Version 0.0.x of this buildpack stored the version as
/// `greeter_version`; that layer is still good, so migrate its metadata (the layer then goes
/// through [`inspect_restored`]). Anything else is deleted.
pub(crate) fn invalid_metadata(
    metadata: &GenericMetadata,
) -> (InvalidMetadataAction<GreeterLayerMetadata>, String) {
    let old_version = metadata
        .as_ref()
        .and_then(|table| table.get("greeter_version"))
        .and_then(|value| value.as_str());
    match old_version {
        Some(version) => (
            InvalidMetadataAction::ReplaceMetadata(GreeterLayerMetadata {
                version: version.to_owned(),
            }),
            String::from("migrated the metadata of buildpack 0.0.x"),
        ),
        None => (
            InvalidMetadataAction::DeleteLayer,
            String::from("the cached metadata is not from this buildpack"),
        ),
    }
}

/// Installs greeter `version` into the layer: `bin/greet`. A real buildpack would download
/// and unpack a release here; this one writes a script, so the example runs offline.
///
/// Because the layer has a `bin/` directory, the lifecycle puts it on `PATH` of later
/// buildpacks (the layer is `build = true`) and of the app (`launch = true`).
pub(crate) fn install(layer_dir: &Path, version: &str) -> io::Result<()> {
    let bin = layer_dir.join("bin");
    fs::create_dir_all(&bin)?;
    let greet = bin.join("greet");
    fs::write(
        &greet,
        format!("#!/bin/sh\necho \"Hello, ${{1:-world}}! (greeter {version})\"\n"),
    )?;
    fs::set_permissions(&greet, fs::Permissions::from_mode(0o755))
}

/// The version file is missing, unreadable or doesn't hold a version.
#[derive(Debug)]
pub(crate) enum VersionFileError {
    /// The file can't be read.
    Read { path: PathBuf, source: io::Error },
    /// The file doesn't hold a version.
    Invalid { path: PathBuf, content: String },
}

impl fmt::Display for VersionFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "couldn't read {}: {source}", path.display())
            }
            Self::Invalid { path, content } => write!(
                f,
                "{} holds {content:?}, which is not a version; write one such as 1.2.0",
                path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(version: &str) -> GreeterLayerMetadata {
        GreeterLayerMetadata {
            version: version.to_owned(),
        }
    }

    #[test]
    fn versions_are_dot_separated_numbers() {
        assert_eq!(parse_version("1.2.0\n").as_deref(), Some("1.2.0"));
        assert_eq!(parse_version("  22 ").as_deref(), Some("22"));
        for invalid in ["", "latest", "1..2", "1.2.", "1.2.0; rm -rf ~", "v1.2"] {
            assert_eq!(parse_version(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn reading_the_version_file() {
        let app = tempfile::tempdir().unwrap();
        let missing = read_requested_version(app.path()).unwrap_err();
        assert!(
            missing.to_string().starts_with("couldn't read "),
            "{missing}"
        );

        fs::write(app.path().join(VERSION_FILE), "latest\n").unwrap();
        let invalid = read_requested_version(app.path()).unwrap_err();
        assert!(
            invalid
                .to_string()
                .ends_with("holds \"latest\", which is not a version; write one such as 1.2.0"),
            "{invalid}"
        );

        fs::write(app.path().join(VERSION_FILE), "1.2.0\n").unwrap();
        assert_eq!(read_requested_version(app.path()).unwrap(), "1.2.0");
    }

    #[test]
    fn a_restored_layer_with_the_requested_version_is_kept() {
        let (action, cause) = inspect_restored("1.2.0", &metadata("1.2.0"));
        assert!(matches!(action, InspectRestoredAction::KeepLayer));
        assert_eq!(cause, "greeter 1.2.0 is cached");
    }

    #[test]
    fn a_restored_layer_with_another_version_is_deleted() {
        let (action, cause) = inspect_restored("1.3.0", &metadata("1.2.0"));
        assert!(matches!(action, InspectRestoredAction::DeleteLayer));
        assert_eq!(cause, "the app asks for 1.3.0, the cache has 1.2.0");
    }

    #[test]
    fn old_metadata_is_migrated() {
        let old: toml::Table = toml::from_str("greeter_version = \"1.1.0\"").unwrap();
        let (action, _) = invalid_metadata(&Some(old));
        assert!(
            matches!(action, InvalidMetadataAction::ReplaceMetadata(m) if m == metadata("1.1.0"))
        );
    }

    #[test]
    fn unknown_or_missing_metadata_is_deleted() {
        let unknown: toml::Table = toml::from_str("version = 2").unwrap();
        for generic in [Some(unknown), None] {
            let (action, cause) = invalid_metadata(&generic);
            assert!(matches!(action, InvalidMetadataAction::DeleteLayer));
            assert_eq!(cause, "the cached metadata is not from this buildpack");
        }
    }

    #[test]
    fn install_writes_an_executable_greet() {
        let layer = tempfile::tempdir().unwrap();
        install(layer.path(), "1.2.0").unwrap();
        let greet = layer.path().join("bin/greet");
        let output = std::process::Command::new(&greet)
            .arg("Ferris")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "Hello, Ferris! (greeter 1.2.0)\n"
        );
    }
}
