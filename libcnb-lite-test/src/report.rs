//! What a build did: detect results, restored layers, per-layer export and cache results,
//! processes, output and timings.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::archive::DiffId;
use crate::detect::DetectRun;
use crate::launch_toml::Process;
use crate::layer::LayerTypes;
use crate::output::Output;
use crate::restore::RestoredLayer;

/// Whether an archive was new or identical to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerStatus {
    /// The digest differs from the previous image's or cache's (or there was none).
    Added,
    /// The digest equals the previous one.
    Reused,
}

impl fmt::Display for LayerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Added => "added",
            Self::Reused => "reused",
        })
    }
}

/// One layer of this build, as export and cache saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerReport {
    /// The buildpack ID.
    pub buildpack_id: String,
    /// The layer name.
    pub name: String,
    /// Its types after the build.
    pub types: LayerTypes,
    /// Its metadata after the build (empty when its toml has no `[metadata]`).
    pub metadata: toml::Table,
    /// Whether its toml has no `[metadata]` table at all: the lifecycle stores that as
    /// JSON `null`, and the next build's restored toml has no `[metadata]` either.
    pub metadata_absent: bool,
    /// The diff ID of its archive, when it was exported or cached.
    pub diff_id: Option<DiffId>,
    /// The export result, for `launch=true` layers.
    pub exported: Option<LayerStatus>,
    /// The cache result, for `cache=true` layers that were cached.
    pub cached: Option<LayerStatus>,
}

impl LayerReport {
    /// `<bp-id>:<name>`, as the lifecycle names layers in its log.
    #[must_use]
    pub fn identifier(&self) -> String {
        format!("{}:{}", self.buildpack_id, self.name)
    }
}

/// How long each phase took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// Preparing buildpacks (packaging, cargo) and copying the app.
    pub prepare: Duration,
    /// Detect.
    pub detect: Duration,
    /// Restore.
    pub restore: Duration,
    /// Build.
    pub build: Duration,
    /// Export.
    pub export: Duration,
    /// Cache.
    pub cache: Duration,
}

/// The result of a successful build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildReport {
    /// Captured output.
    pub output: Output,
    /// Every detect run.
    pub detect: Vec<DetectRun>,
    /// The buildpacks that built, as `(id, version)`.
    pub group: Vec<(String, String)>,
    /// Layers restored before the build.
    pub restored: Vec<RestoredLayer>,
    /// Every layer with a `<layer>.toml` after the build, in export order.
    pub layers: Vec<LayerReport>,
    /// The app layer's diff ID and status.
    pub app: (DiffId, LayerStatus),
    /// The launch processes, by type.
    pub processes: Vec<Process>,
    /// The default process type.
    pub default_process: Option<String>,
    /// Image labels.
    pub labels: BTreeMap<String, String>,
    /// Warnings (also on `output.stderr`).
    pub warnings: Vec<String>,
    /// Phase durations.
    pub timings: Timings,
}

impl BuildReport {
    /// The report for a layer, by buildpack ID and name.
    #[must_use]
    pub fn layer(&self, buildpack_id: &str, name: &str) -> Option<&LayerReport> {
        self.layers
            .iter()
            .find(|layer| layer.buildpack_id == buildpack_id && layer.name == name)
    }

    /// The restore record for a layer, by buildpack ID and name.
    #[must_use]
    pub fn restored_layer(&self, buildpack_id: &str, name: &str) -> Option<&RestoredLayer> {
        self.restored
            .iter()
            .find(|layer| layer.buildpack_id == buildpack_id && layer.name == name)
    }
}
