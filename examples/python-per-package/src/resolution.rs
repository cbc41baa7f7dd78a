//! The resolved set of distributions: read from pip's installation report, cached between
//! builds under a key made of everything that determines it.

use crate::names::NormalizedName;
use crate::requirements::hex_sha256;
use libcnb_lite::layer::InspectRestoredAction;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};
use std::path::Path;

/// The file in the `resolution` layer that holds the cached [`Resolution`] (JSON).
pub(crate) const RESOLUTION_FILE: &str = "resolution.json";

/// One resolved distribution: what pip would install, and from which artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Distribution {
    /// The PEP 503 normalised name, which keys its layer.
    pub(crate) name: String,
    /// The version pip picked.
    pub(crate) version: String,
    /// The artifact's sha256 (lower-case hex): its identity, whatever its URL.
    pub(crate) sha256: String,
    /// The artifact's URL (`file://…` for `--find-links` directories).
    pub(crate) url: String,
    /// Whether `requirements.txt` names it (top-level or a pinned transitive dependency),
    /// as opposed to pulled in by another distribution.
    pub(crate) requested: bool,
}

impl Distribution {
    /// The artifact URL with its hash as a fragment, so that pip checks the artifact it
    /// installs against the hash recorded in the layer metadata.
    pub(crate) fn url_with_hash(&self) -> String {
        let url = self.url.split('#').next().unwrap_or(&self.url);
        format!("{url}#sha256={}", self.sha256)
    }
}

/// The distributions pip resolved `requirements.txt` to, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Resolution {
    /// The cache key it was resolved under.
    pub(crate) key: ResolutionKey,
    /// The distributions, sorted by normalised name.
    pub(crate) distributions: Vec<Distribution>,
}

impl Resolution {
    /// Reads the report of `pip install --dry-run --ignore-installed --report` (format
    /// version 1, pip 23.0 and later).
    ///
    /// # Errors
    ///
    /// [`ReportError`] if the report isn't valid JSON of that format, or an item isn't an
    /// archive with a sha256 (a local directory or a VCS checkout).
    pub(crate) fn from_pip_report(key: ResolutionKey, report: &[u8]) -> Result<Self, ReportError> {
        let report: Report = serde_json::from_slice(report).map_err(ReportError::Json)?;
        if report.version != "1" {
            return Err(ReportError::Version(report.version));
        }

        let mut distributions = Vec::with_capacity(report.install.len());
        for item in report.install {
            let display_name = item.metadata.name;
            let name = NormalizedName::new(&display_name)
                .ok_or_else(|| ReportError::Name(display_name.clone()))?;
            let sha256 = item
                .download_info
                .archive_info
                .and_then(ArchiveInfo::sha256)
                .ok_or_else(|| ReportError::NotAnArchive {
                    name: display_name.clone(),
                    url: item.download_info.url.clone(),
                })?;
            distributions.push(Distribution {
                name: name.as_str().to_string(),
                version: item.metadata.version,
                sha256,
                url: item.download_info.url,
                requested: item.requested,
            });
        }
        distributions.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { key, distributions })
    }
}

/// The cache key of a resolution: a sha256 over the Python implementation and version, the
/// pip version, the target, the app directory (artifact URLs are absolute) and the
/// requirements inputs (see [`crate::requirements::key_inputs`]).
///
/// Resolving again when none of these changed would give the same result, as long as the
/// requirements only use local artifacts. With a package index, a newly published version
/// of an unpinned dependency is picked up when the key next changes; pin what matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct ResolutionKey(String);

impl ResolutionKey {
    pub(crate) fn new(
        python: &str,
        pip_version: &str,
        target: &str,
        app_dir: &str,
        inputs: &[String],
    ) -> Self {
        let mut text = String::from("python-per-package resolution v1\n");
        let _ = writeln!(
            text,
            "python {python}\npip {pip_version}\ntarget {target}\napp {app_dir}"
        );
        for input in inputs {
            text.push_str(input);
            text.push('\n');
        }
        Self(hex_sha256(text.as_bytes()))
    }
}

/// The metadata of the `resolution` layer (cached, not in the image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolutionMetadata {
    pub(crate) key: ResolutionKey,
}

/// Why the cached resolution was used or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolutionCause {
    /// Same key: the cached resolution is used, and pip isn't run.
    Unchanged,
    /// Something that determines the resolution changed.
    InputsChanged,
    /// The layer has the right key but no resolution file.
    FileMissing,
    /// The layer's metadata is not this version's.
    MetadataUnrecognised,
}

impl fmt::Display for ResolutionCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unchanged => "inputs unchanged",
            Self::InputsChanged => "requirements, Python, pip or target changed",
            Self::FileMissing => "cached resolution missing",
            Self::MetadataUnrecognised => "unrecognised cached metadata",
        })
    }
}

/// `inspect_restored` of the `resolution` layer: keep it if its key is `expected` and it has
/// its file.
pub(crate) fn inspect_restored(
    expected: &ResolutionKey,
    restored: &ResolutionMetadata,
    layer_dir: &Path,
) -> (InspectRestoredAction, ResolutionCause) {
    if &restored.key != expected {
        (
            InspectRestoredAction::DeleteLayer,
            ResolutionCause::InputsChanged,
        )
    } else if !layer_dir.join(RESOLUTION_FILE).is_file() {
        (
            InspectRestoredAction::DeleteLayer,
            ResolutionCause::FileMissing,
        )
    } else {
        (InspectRestoredAction::KeepLayer, ResolutionCause::Unchanged)
    }
}

/// pip's installation report is not what this buildpack expects.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("pip's installation report isn't valid JSON of the expected shape")]
    Json(#[source] serde_json::Error),
    #[error(
        "pip's installation report has format version {0}, but only version 1 (pip 23.0 and \
         later) is supported"
    )]
    Version(String),
    #[error("pip resolved a distribution with the invalid name `{0}`")]
    Name(String),
    #[error(
        "pip resolved {name} to {url}, which isn't an archive with a sha256 hash: only wheels \
         and source archives are supported, not local directories or VCS checkouts"
    )]
    NotAnArchive { name: String, url: String },
}

#[derive(Deserialize)]
struct Report {
    version: String,
    install: Vec<ReportItem>,
}

#[derive(Deserialize)]
struct ReportItem {
    download_info: DownloadInfo,
    #[serde(default)]
    requested: bool,
    metadata: ReportMetadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
    archive_info: Option<ArchiveInfo>,
}

#[derive(Deserialize)]
struct ArchiveInfo {
    /// `sha256=<hex>`; the legacy field.
    hash: Option<String>,
    /// `{"sha256": "<hex>"}`; pip ≥ 23 fills both.
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
}

impl ArchiveInfo {
    fn sha256(self) -> Option<String> {
        let mut hashes = self.hashes;
        hashes
            .remove("sha256")
            .or_else(|| self.hash?.strip_prefix("sha256=").map(str::to_string))
            .filter(|hex| hex.len() == 64 && hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .map(|hex| hex.to_ascii_lowercase())
    }
}

#[derive(Deserialize)]
struct ReportMetadata {
    name: String,
    version: String,
}

#[cfg(test)]
mod tests {
    use super::{
        RESOLUTION_FILE, ReportError, Resolution, ResolutionCause, ResolutionKey,
        ResolutionMetadata, inspect_restored,
    };
    use libcnb_lite::layer::InspectRestoredAction;

    const HASH: &str = "e8b6def7e7242ee232f96ee91875fa772c2f648248973831bd1488c03524fa93";

    fn key() -> ResolutionKey {
        ResolutionKey::new("cpython-3.11.7", "23.2.1", "linux/amd64", "/workspace", &[])
    }

    fn report(items: &str) -> String {
        format!(
            r#"{{"version": "1", "pip_version": "23.2.1", "install": [{items}], "environment": {{}}}}"#
        )
    }

    fn item(name: &str, version: &str, requested: bool, archive_info: &str) -> String {
        format!(
            r#"{{"download_info": {{"url": "file:///workspace/wheels/{name}-{version}-py3-none-any.whl", "archive_info": {archive_info}}},
                "is_direct": false, "requested": {requested},
                "metadata": {{"metadata_version": "2.1", "name": "{name}", "version": "{version}"}}}}"#
        )
    }

    #[test]
    fn reads_pip_23_reports_sorted_by_normalised_name() {
        let hashes = format!(r#"{{"hash": "sha256={HASH}", "hashes": {{"sha256": "{HASH}"}}}}"#);
        let text = report(
            &[
                item("Demo.Web", "1.0.0", true, &hashes),
                item("demo_core", "1.2.0", false, &hashes),
            ]
            .join(","),
        );
        let resolution = Resolution::from_pip_report(key(), text.as_bytes()).unwrap();
        let names: Vec<(&str, &str, bool)> = resolution
            .distributions
            .iter()
            .map(|dist| (dist.name.as_str(), dist.version.as_str(), dist.requested))
            .collect();
        assert_eq!(
            names,
            [("demo-core", "1.2.0", false), ("demo-web", "1.0.0", true)]
        );
        assert_eq!(resolution.distributions[0].sha256, HASH);
        assert_eq!(
            resolution.distributions[0].url_with_hash(),
            format!("file:///workspace/wheels/demo_core-1.2.0-py3-none-any.whl#sha256={HASH}")
        );
    }

    #[test]
    fn falls_back_to_the_legacy_hash_field() {
        let text = report(&item(
            "demo-core",
            "1.2.0",
            true,
            &format!(r#"{{"hash": "sha256={HASH}"}}"#),
        ));
        let resolution = Resolution::from_pip_report(key(), text.as_bytes()).unwrap();
        assert_eq!(resolution.distributions[0].sha256, HASH);
    }

    #[test]
    fn rejects_what_it_cannot_cache() {
        let no_hash = report(&item("demo-core", "1.2.0", true, r#"{"hash": "md5=abc"}"#));
        assert!(matches!(
            Resolution::from_pip_report(key(), no_hash.as_bytes()),
            Err(ReportError::NotAnArchive { .. })
        ));
        let directory = report(&item("demo-core", "1.2.0", true, "null"));
        let error = Resolution::from_pip_report(key(), directory.as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "pip resolved demo-core to file:///workspace/wheels/demo-core-1.2.0-py3-none-any.whl, \
             which isn't an archive with a sha256 hash: only wheels and source archives are \
             supported, not local directories or VCS checkouts"
        );
        let old = r#"{"version": "0", "install": []}"#;
        assert!(matches!(
            Resolution::from_pip_report(key(), old.as_bytes()),
            Err(ReportError::Version(version)) if version == "0"
        ));
        assert!(matches!(
            Resolution::from_pip_report(key(), b"{"),
            Err(ReportError::Json(_))
        ));
    }

    #[test]
    fn the_key_changes_with_each_ingredient() {
        let base = ResolutionKey::new(
            "cpython-3.11.7",
            "23.2.1",
            "linux/amd64",
            "/w",
            &["a".into()],
        );
        assert_eq!(
            base,
            ResolutionKey::new(
                "cpython-3.11.7",
                "23.2.1",
                "linux/amd64",
                "/w",
                &["a".into()]
            )
        );
        for other in [
            ResolutionKey::new(
                "cpython-3.12.1",
                "23.2.1",
                "linux/amd64",
                "/w",
                &["a".into()],
            ),
            ResolutionKey::new("cpython-3.11.7", "24.0", "linux/amd64", "/w", &["a".into()]),
            ResolutionKey::new(
                "cpython-3.11.7",
                "23.2.1",
                "linux/arm64",
                "/w",
                &["a".into()],
            ),
            ResolutionKey::new(
                "cpython-3.11.7",
                "23.2.1",
                "linux/amd64",
                "/x",
                &["a".into()],
            ),
            ResolutionKey::new(
                "cpython-3.11.7",
                "23.2.1",
                "linux/amd64",
                "/w",
                &["b".into()],
            ),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(serde_json::to_string(&base).unwrap().len(), 64 + 2);
    }

    #[test]
    fn the_cached_resolution_is_kept_for_the_same_key_only() {
        let layer = tempfile::tempdir().unwrap();
        let restored = ResolutionMetadata { key: key() };
        let (action, cause) = inspect_restored(&key(), &restored, layer.path());
        assert!(matches!(action, InspectRestoredAction::DeleteLayer));
        assert_eq!(cause, ResolutionCause::FileMissing);

        std::fs::write(layer.path().join(RESOLUTION_FILE), "{}").unwrap();
        let (action, cause) = inspect_restored(&key(), &restored, layer.path());
        assert!(matches!(action, InspectRestoredAction::KeepLayer));
        assert_eq!(cause, ResolutionCause::Unchanged);

        let other = ResolutionKey::new("cpython-3.12.1", "23.2.1", "linux/amd64", "/w", &[]);
        let (action, cause) = inspect_restored(&other, &restored, layer.path());
        assert!(matches!(action, InspectRestoredAction::DeleteLayer));
        assert_eq!(
            cause.to_string(),
            "requirements, Python, pip or target changed"
        );
    }
}
