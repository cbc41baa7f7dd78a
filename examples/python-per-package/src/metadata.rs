//! The metadata of a package layer, and the two callbacks that decide whether a restored one
//! is still valid. Both callbacks are plain functions of their inputs; their causes become
//! the messages of the build log ([`crate::messages`]).

use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{InspectRestoredAction, InvalidMetadataAction};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What makes a package layer valid. Keys are short because the lifecycle stores the
/// metadata of every launch layer in the image's labels:
///
/// ```toml
/// [metadata]
/// py = "cpython-3.11.7"              # Python implementation and version
/// tgt = "linux/amd64 ubuntu 24.04"   # target OS/arch(/variant) and distribution
/// [[metadata.d]]                     # the distributions in the layer, by name
/// n = "demo-urlkit"                  # normalised name
/// v = "2.2.1"                        # version
/// h = "9f86d081…"                    # the artifact's sha256
/// ```
///
/// A distribution's own layer has one entry in `d`; a group layer has several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackagesMetadata {
    #[serde(rename = "py")]
    pub(crate) python: String,
    #[serde(rename = "tgt")]
    pub(crate) target: String,
    #[serde(rename = "d")]
    pub(crate) distributions: Vec<DistributionRecord>,
}

/// One distribution in [`PackagesMetadata`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DistributionRecord {
    #[serde(rename = "n")]
    pub(crate) name: String,
    #[serde(rename = "v")]
    pub(crate) version: String,
    #[serde(rename = "h")]
    pub(crate) sha256: String,
}

/// The metadata shape of version 0.1 of this buildpack, one distribution per layer with long
/// keys and pip's `sha256=<hex>` hash form:
///
/// ```toml
/// [metadata]
/// name = "demo-urlkit"
/// version = "2.2.1"
/// hash = "sha256=9f86d081…"
/// python = "cpython-3.11.7"
/// target = "linux/amd64 ubuntu 24.04"
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetadataV01 {
    name: String,
    version: String,
    hash: String,
    python: String,
    target: String,
}

/// Why a restored package layer was kept or deleted (the `cause` of
/// [`LayerState::Restored`](libcnb_lite::layer::LayerState) and of
/// `EmptyLayerCause::InspectRestoredAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestoredCause {
    /// Everything matches: the layer is kept.
    Unchanged,
    /// The layer was installed for another Python.
    PythonChanged { was: String, now: String },
    /// The layer was installed for another target.
    TargetChanged { was: String, now: String },
    /// Distributions changed (for a distribution's own layer: its version or artifact).
    DistributionsChanged(Vec<DistributionChange>),
}

/// How one distribution of a layer changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DistributionChange {
    /// Another version was resolved.
    Version {
        name: String,
        was: String,
        now: String,
    },
    /// The same version, from an artifact with another hash (a rebuilt wheel, another index).
    Artifact { name: String, version: String },
    /// The distribution joined this (group) layer.
    Added { name: String, version: String },
    /// The distribution left this (group) layer.
    Removed { name: String, version: String },
}

/// Why a restored layer's metadata was unreadable (the `cause` of
/// `EmptyLayerCause::InvalidMetadataAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidMetadataCause {
    /// The layer has no metadata (a build failed after creating it).
    Missing,
    /// The metadata is in a shape no version of this buildpack writes.
    Unrecognised,
    /// Version 0.1's shape, converted (this cause is not shown: the converted metadata is
    /// inspected like any other).
    ConvertedFromV01,
}

/// `inspect_restored`: keeps the layer only if it was installed for the same Python, the same
/// target and exactly the distributions (name, version, artifact hash) `expected` lists.
pub(crate) fn inspect_restored(
    expected: &PackagesMetadata,
    restored: &PackagesMetadata,
) -> (InspectRestoredAction, RestoredCause) {
    let cause = if restored.python != expected.python {
        RestoredCause::PythonChanged {
            was: restored.python.clone(),
            now: expected.python.clone(),
        }
    } else if restored.target != expected.target {
        RestoredCause::TargetChanged {
            was: restored.target.clone(),
            now: expected.target.clone(),
        }
    } else {
        let changes = distribution_changes(&restored.distributions, &expected.distributions);
        if changes.is_empty() {
            return (InspectRestoredAction::KeepLayer, RestoredCause::Unchanged);
        }
        RestoredCause::DistributionsChanged(changes)
    };
    (InspectRestoredAction::DeleteLayer, cause)
}

fn distribution_changes(
    restored: &[DistributionRecord],
    expected: &[DistributionRecord],
) -> Vec<DistributionChange> {
    let mut changes = Vec::new();
    for now in expected {
        match restored.iter().find(|was| was.name == now.name) {
            None => changes.push(DistributionChange::Added {
                name: now.name.clone(),
                version: now.version.clone(),
            }),
            Some(was) if was.version != now.version => changes.push(DistributionChange::Version {
                name: now.name.clone(),
                was: was.version.clone(),
                now: now.version.clone(),
            }),
            Some(was) if was.sha256 != now.sha256 => changes.push(DistributionChange::Artifact {
                name: now.name.clone(),
                version: now.version.clone(),
            }),
            Some(_) => {}
        }
    }
    for was in restored {
        if !expected.iter().any(|now| now.name == was.name) {
            changes.push(DistributionChange::Removed {
                name: was.name.clone(),
                version: was.version.clone(),
            });
        }
    }
    changes
}

/// `invalid_metadata`: converts version 0.1's shape (which then goes through
/// [`inspect_restored`]), and deletes the layer for anything else.
pub(crate) fn invalid_metadata(
    metadata: &GenericMetadata,
) -> (
    InvalidMetadataAction<PackagesMetadata>,
    InvalidMetadataCause,
) {
    let Some(table) = metadata else {
        return (
            InvalidMetadataAction::DeleteLayer,
            InvalidMetadataCause::Missing,
        );
    };
    let converted = toml::Value::Table(table.clone())
        .try_into::<MetadataV01>()
        .ok()
        .and_then(|old| {
            let sha256 = old.hash.strip_prefix("sha256=")?.to_string();
            Some(PackagesMetadata {
                python: old.python,
                target: old.target,
                distributions: vec![DistributionRecord {
                    name: old.name,
                    version: old.version,
                    sha256,
                }],
            })
        });
    match converted {
        Some(metadata) => (
            InvalidMetadataAction::ReplaceMetadata(metadata),
            InvalidMetadataCause::ConvertedFromV01,
        ),
        None => (
            InvalidMetadataAction::DeleteLayer,
            InvalidMetadataCause::Unrecognised,
        ),
    }
}

impl fmt::Display for RestoredCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchanged => f.write_str("unchanged"),
            Self::PythonChanged { was, now } => write!(f, "Python changed: {was} → {now}"),
            Self::TargetChanged { was, now } => write!(f, "target changed: {was} → {now}"),
            Self::DistributionsChanged(changes) => {
                for (index, change) in changes.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{change}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for DistributionChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version { name, was, now } => write!(f, "{name} {was} → {now}"),
            Self::Artifact { name, version } => write!(f, "{name} {version}: artifact changed"),
            Self::Added { name, version } => write!(f, "{name} {version} added"),
            Self::Removed { name, version } => write!(f, "{name} {version} removed"),
        }
    }
}

impl fmt::Display for InvalidMetadataCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "no cached metadata",
            Self::Unrecognised => "unrecognised cached metadata",
            Self::ConvertedFromV01 => "metadata converted from version 0.1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{
        DistributionChange, DistributionRecord, InvalidMetadataCause, PackagesMetadata,
        RestoredCause, inspect_restored, invalid_metadata,
    };
    use libcnb_lite::layer::{InspectRestoredAction, InvalidMetadataAction};

    fn record(name: &str, version: &str, sha256: &str) -> DistributionRecord {
        DistributionRecord {
            name: name.into(),
            version: version.into(),
            sha256: sha256.into(),
        }
    }

    fn metadata(distributions: Vec<DistributionRecord>) -> PackagesMetadata {
        PackagesMetadata {
            python: "cpython-3.11.7".into(),
            target: "linux/amd64 ubuntu 24.04".into(),
            distributions,
        }
    }

    fn inspect(expected: &PackagesMetadata, restored: &PackagesMetadata) -> (bool, RestoredCause) {
        let (action, cause) = inspect_restored(expected, restored);
        (matches!(action, InspectRestoredAction::KeepLayer), cause)
    }

    #[test]
    fn keeps_a_layer_when_everything_matches() {
        let expected = metadata(vec![record("demo-http", "1.4.0", "aa")]);
        assert_eq!(
            inspect(&expected, &expected.clone()),
            (true, RestoredCause::Unchanged)
        );
    }

    #[test]
    fn a_new_version_deletes_the_layer() {
        let expected = metadata(vec![record("demo-urlkit", "2.2.2", "bb")]);
        let restored = metadata(vec![record("demo-urlkit", "2.2.1", "aa")]);
        let (kept, cause) = inspect(&expected, &restored);
        assert!(!kept);
        assert_eq!(
            cause,
            RestoredCause::DistributionsChanged(vec![DistributionChange::Version {
                name: "demo-urlkit".into(),
                was: "2.2.1".into(),
                now: "2.2.2".into(),
            }])
        );
        assert_eq!(cause.to_string(), "demo-urlkit 2.2.1 → 2.2.2");
    }

    #[test]
    fn another_artifact_of_the_same_version_deletes_the_layer() {
        let expected = metadata(vec![record("demo-core", "1.2.0", "bb")]);
        let restored = metadata(vec![record("demo-core", "1.2.0", "aa")]);
        let (kept, cause) = inspect(&expected, &restored);
        assert!(!kept);
        assert_eq!(cause.to_string(), "demo-core 1.2.0: artifact changed");
    }

    #[test]
    fn python_and_target_changes_come_first() {
        let expected = metadata(vec![record("demo-core", "1.3.0", "bb")]);
        let mut restored = metadata(vec![record("demo-core", "1.2.0", "aa")]);
        restored.python = "cpython-3.12.1".into();
        restored.target = "linux/arm64 ubuntu 22.04".into();
        let (kept, cause) = inspect(&expected, &restored);
        assert!(!kept);
        assert_eq!(
            cause.to_string(),
            "Python changed: cpython-3.12.1 → cpython-3.11.7"
        );

        restored.python = expected.python.clone();
        let (kept, cause) = inspect(&expected, &restored);
        assert!(!kept);
        assert_eq!(
            cause.to_string(),
            "target changed: linux/arm64 ubuntu 22.04 → linux/amd64 ubuntu 24.04"
        );
    }

    #[test]
    fn group_layers_list_every_membership_change() {
        let expected = metadata(vec![record("a", "1", "x"), record("c", "3", "z")]);
        let restored = metadata(vec![record("a", "1", "x"), record("b", "2", "y")]);
        let (kept, cause) = inspect(&expected, &restored);
        assert!(!kept);
        assert_eq!(cause.to_string(), "c 3 added, b 2 removed");
    }

    #[test]
    fn converts_the_metadata_of_version_0_1() {
        let old: toml::Table = toml::from_str(
            r#"
            name = "demo-core"
            version = "1.2.0"
            hash = "sha256=aa"
            python = "cpython-3.11.7"
            target = "linux/amd64 ubuntu 24.04"
            "#,
        )
        .unwrap();
        let (action, cause) = invalid_metadata(&Some(old));
        let InvalidMetadataAction::ReplaceMetadata(converted) = action else {
            panic!("not converted: {action:?}");
        };
        assert_eq!(
            converted,
            metadata(vec![record("demo-core", "1.2.0", "aa")])
        );
        assert_eq!(cause, InvalidMetadataCause::ConvertedFromV01);
    }

    #[test]
    fn deletes_layers_with_missing_or_unrecognised_metadata() {
        let (action, cause) = invalid_metadata(&None);
        assert!(matches!(action, InvalidMetadataAction::DeleteLayer));
        assert_eq!(cause.to_string(), "no cached metadata");

        let garbage: toml::Table = toml::from_str("py = 3\nd = \"x\"").unwrap();
        let (action, cause) = invalid_metadata(&Some(garbage));
        assert!(matches!(action, InvalidMetadataAction::DeleteLayer));
        assert_eq!(cause, InvalidMetadataCause::Unrecognised);

        // Version 0.1's shape with a hash that isn't sha256.
        let md5: toml::Table = toml::from_str(
            "name = \"a\"\nversion = \"1\"\nhash = \"md5=aa\"\npython = \"p\"\ntarget = \"t\"",
        )
        .unwrap();
        let (action, _) = invalid_metadata(&Some(md5));
        assert!(matches!(action, InvalidMetadataAction::DeleteLayer));
    }

    #[test]
    fn metadata_serialises_with_short_keys() {
        let text = toml::to_string(&metadata(vec![record("demo-core", "1.2.0", "aa")])).unwrap();
        assert_eq!(
            text,
            "py = \"cpython-3.11.7\"\ntgt = \"linux/amd64 ubuntu 24.04\"\n\n[[d]]\nn = \"demo-core\"\nv = \"1.2.0\"\nh = \"aa\"\n"
        );
    }
}
