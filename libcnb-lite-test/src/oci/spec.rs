//! The parts of the OCI image spec (v1.1) that `cnb-local` reads and writes: the layout's
//! `oci-layout` and `index.json`, descriptors, the image manifest and the image config.
//!
//! Hand-written rather than taken from the `oci-spec` crate: these few serde structs are
//! all the harness needs, and `oci-spec` would add builders, getters and a dozen
//! dependencies to a crate whose point is to be light to compile. Fields are declared in
//! the order they are written and maps are `BTreeMap`s, so the JSON is deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub(crate) const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const MEDIA_TYPE_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// The layer media types a run image may use; their blobs are copied as they are.
pub(crate) const RUN_IMAGE_LAYER_TYPES: [&str; 3] = [
    MEDIA_TYPE_LAYER,
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
];
/// The annotation that names a manifest in `index.json` (`oci:DIR:<name>`).
pub(crate) const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The `created` time of the image and its history: the lifecycle's normalised time.
pub(crate) const CREATED: &str = "1980-01-01T00:00:01Z";

/// `oci-layout`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Layout {
    #[serde(rename = "imageLayoutVersion")]
    pub(crate) image_layout_version: String,
}

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType")]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// `index.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Index {
    #[serde(rename = "schemaVersion")]
    pub(crate) schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub(crate) media_type: Option<String>,
    pub(crate) manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub(crate) schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub(crate) media_type: Option<String>,
    pub(crate) config: Descriptor,
    pub(crate) layers: Vec<Descriptor>,
}

/// An image config. `config` keeps the keys it does not model (`ExposedPorts`,
/// `StopSignal`, …) so a run image's survive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created: Option<String>,
    #[serde(default)]
    pub(crate) architecture: String,
    #[serde(default)]
    pub(crate) os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) variant: Option<String>,
    #[serde(default)]
    pub(crate) config: RuntimeConfig,
    pub(crate) rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) history: Vec<History>,
}

/// The `config` object of an image config.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct RuntimeConfig {
    #[serde(rename = "User", default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    #[serde(rename = "Env", default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) env: Vec<String>,
    #[serde(
        rename = "Entrypoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub(crate) cmd: Option<Vec<String>>,
    #[serde(
        rename = "WorkingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) working_dir: Option<String>,
    #[serde(rename = "Labels", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(flatten)]
    pub(crate) other: BTreeMap<String, serde_json::Value>,
}

/// `rootfs`: the diff IDs of the layers, bottom first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RootFs {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) diff_ids: Vec<String>,
}

impl Default for RootFs {
    fn default() -> Self {
        Self {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        }
    }
}

/// One history entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) empty_layer: bool,
}
