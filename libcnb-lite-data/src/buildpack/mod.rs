//! The buildpack descriptor, `buildpack.toml`.
//!
//! Models the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml).
//! A *component* buildpack has `bin/detect` and `bin/build` and may declare `[[targets]]` (and
//! legacy `[[stacks]]`); a *composite* buildpack has an `[[order]]` of other buildpacks instead.
//! Parse [`ComponentBuildpackDescriptor`] or [`CompositeBuildpackDescriptor`] when you know which
//! one to expect (the errors are more precise), or [`BuildpackDescriptor`] to accept either.

mod api;
mod id;
mod stack;
mod target;
mod version;

pub use api::{BuildpackApi, BuildpackApiError};
pub use id::{BuildpackId, BuildpackIdError, BuildpackIdRule};
pub use stack::Stack;
pub use target::{BuildpackTarget, Distro};
pub use version::{BuildpackVersion, BuildpackVersionError};

use crate::generic::GenericMetadata;
use crate::sbom::SbomFormat;
use serde::Deserialize;
use std::collections::HashSet;

/// A buildpack descriptor of either kind.
///
/// Deserialization tries [`ComponentBuildpackDescriptor`] first, then
/// [`CompositeBuildpackDescriptor`]. If neither matches, the error is serde's
/// `data did not match any variant of untagged enum BuildpackDescriptor`; parse the specific
/// type for a precise message.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::BuildpackDescriptor;
/// use libcnb_lite_data::buildpack_id;
///
/// let toml_str = r#"
/// api = "0.10"
///
/// [buildpack]
/// id = "foo/bar"
/// version = "0.0.1"
///
/// [[order]]
/// [[order.group]]
/// id = "foo/baz"
/// version = "1.0.0"
/// "#;
///
/// let descriptor: BuildpackDescriptor = toml::from_str(toml_str)?;
/// assert_eq!(descriptor.buildpack().id, buildpack_id!("foo/bar"));
/// match descriptor {
///     BuildpackDescriptor::Component(_) => unreachable!("it has an order"),
///     BuildpackDescriptor::Composite(composite) => {
///         assert_eq!(composite.order[0].group[0].id, buildpack_id!("foo/baz"));
///     }
/// }
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum BuildpackDescriptor<BM = GenericMetadata> {
    /// A buildpack with `bin/detect` and `bin/build`.
    Component(ComponentBuildpackDescriptor<BM>),
    /// A buildpack made of an order of other buildpacks.
    Composite(CompositeBuildpackDescriptor<BM>),
}

impl<BM> BuildpackDescriptor<BM> {
    /// The `[buildpack]` table, whichever the kind.
    pub fn buildpack(&self) -> &Buildpack {
        match self {
            BuildpackDescriptor::Component(descriptor) => &descriptor.buildpack,
            BuildpackDescriptor::Composite(descriptor) => &descriptor.buildpack,
        }
    }
}

/// The descriptor (`buildpack.toml`) of a component buildpack, one with `bin/detect` and
/// `bin/build`.
///
/// `BM` is the type of the free-form `[metadata]` table. With the default
/// [`GenericMetadata`] a missing table is `None`; a struct type makes the table required.
/// An `[[order]]` is rejected: the spec (since API 0.10) does not forbid it, but `pack` does, and
/// so does libcnb.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::{BuildpackApi, BuildpackTarget, ComponentBuildpackDescriptor};
/// use libcnb_lite_data::buildpack_id;
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug)]
/// struct Metadata {
///     runtime_version: String,
/// }
///
/// let toml_str = r#"
/// api = "0.10"
///
/// [buildpack]
/// id = "foo/bar"
/// name = "Bar Buildpack"
/// version = "0.0.1"
/// clear-env = true
///
/// [[buildpack.licenses]]
/// type = "BSD-3-Clause"
///
/// [[targets]]
/// os = "linux"
/// arch = "amd64"
///
/// [metadata]
/// runtime_version = "3.12"
/// "#;
///
/// let descriptor: ComponentBuildpackDescriptor<Metadata> = toml::from_str(toml_str)?;
/// assert_eq!(descriptor.api, BuildpackApi { major: 0, minor: 10 });
/// assert_eq!(descriptor.buildpack.id, buildpack_id!("foo/bar"));
/// assert!(descriptor.buildpack.clear_env);
/// assert_eq!(descriptor.targets[0].arch.as_deref(), Some("amd64"));
/// assert_eq!(descriptor.metadata.runtime_version, "3.12");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ComponentBuildpackDescriptor<BM = GenericMetadata> {
    /// The Buildpack API version the buildpack implements.
    pub api: BuildpackApi,
    /// The `[buildpack]` table.
    pub buildpack: Buildpack,
    /// Legacy `[[stacks]]` (deprecated by the spec since API 0.10).
    #[serde(default)]
    pub stacks: Vec<Stack>,
    /// The `[[targets]]` the buildpack supports.
    #[serde(default)]
    pub targets: Vec<BuildpackTarget>,
    /// The free-form `[metadata]` table.
    pub metadata: BM,
}

/// The descriptor (`buildpack.toml`) of a composite buildpack, one that only lists other
/// buildpacks in an `[[order]]`.
///
/// `[[targets]]` and `[[stacks]]` are rejected: the spec (since API 0.10) does not forbid
/// targets here, but `pack` does, and so does libcnb.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::{BuildpackVersion, CompositeBuildpackDescriptor};
/// use libcnb_lite_data::buildpack_id;
///
/// let toml_str = r#"
/// api = "0.10"
///
/// [buildpack]
/// id = "foo/bar"
/// version = "0.0.1"
///
/// [[order]]
/// [[order.group]]
/// id = "foo/baz"
/// version = "0.0.1"
/// optional = true
/// "#;
///
/// let descriptor: CompositeBuildpackDescriptor = toml::from_str(toml_str)?;
/// let group = &descriptor.order[0].group[0];
/// assert_eq!(group.id, buildpack_id!("foo/baz"));
/// assert_eq!(group.version, BuildpackVersion::new(0, 0, 1));
/// assert!(group.optional);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct CompositeBuildpackDescriptor<BM = GenericMetadata> {
    /// The Buildpack API version the buildpack implements.
    pub api: BuildpackApi,
    /// The `[buildpack]` table.
    pub buildpack: Buildpack,
    /// The `[[order]]`: alternative groups of buildpacks, tried in turn.
    pub order: Vec<Order>,
    /// The free-form `[metadata]` table.
    pub metadata: BM,
}

/// The `[buildpack]` table of a buildpack descriptor.
///
/// The fields are upstream libcnb-data's, so `Buildpack { .. }` struct literals written for it
/// compile unchanged. Unknown keys are rejected, except `exec-env` (Buildpack API 0.12), which
/// must be a list of strings and is then ignored: the lifecycle uses it to choose which
/// buildpacks run, and a running buildpack learns its execution environment from
/// `CNB_EXEC_ENV`, which libcnb-lite's detect and build contexts expose as `exec_env()`.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::ComponentBuildpackDescriptor;
/// use libcnb_lite_data::buildpack_id;
///
/// let toml_str = r#"
/// api = "0.12"
///
/// [buildpack]
/// id = "foo/bar"
/// version = "0.0.1"
/// exec-env = ["production"]
/// "#;
///
/// let descriptor: ComponentBuildpackDescriptor = toml::from_str(toml_str)?;
/// assert_eq!(descriptor.buildpack.id, buildpack_id!("foo/bar"));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Debug)]
#[serde(from = "BuildpackTable")]
pub struct Buildpack {
    /// The buildpack's ID.
    pub id: BuildpackId,
    /// A human-readable name.
    pub name: Option<String>,
    /// The buildpack's version.
    pub version: BuildpackVersion,
    /// A URL for the buildpack's home page.
    pub homepage: Option<String>,
    /// `clear-env`: whether the buildpack wants to run without the user-provided environment
    /// variables applied.
    pub clear_env: bool,
    /// A human-readable description.
    pub description: Option<String>,
    /// Search keywords.
    pub keywords: Vec<String>,
    /// The licenses of the buildpack.
    pub licenses: Vec<License>,
    /// `sbom-formats`: the SBOM formats the buildpack writes. Duplicates collapse.
    pub sbom_formats: HashSet<SbomFormat>,
}

/// What `[buildpack]` may contain: [`Buildpack`]'s keys plus `exec-env`, which is checked and
/// dropped so that `Buildpack` keeps upstream's fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildpackTable {
    id: BuildpackId,
    name: Option<String>,
    version: BuildpackVersion,
    homepage: Option<String>,
    #[serde(default, rename = "clear-env")]
    clear_env: bool,
    description: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    licenses: Vec<License>,
    #[serde(default, rename = "sbom-formats")]
    sbom_formats: HashSet<SbomFormat>,
    /// The lifecycle's form, a list of strings (the spec text shows `[[buildpack.exec-env]]`
    /// tables instead).
    #[serde(default, rename = "exec-env")]
    _exec_env: Vec<String>,
}

impl From<BuildpackTable> for Buildpack {
    fn from(table: BuildpackTable) -> Self {
        Self {
            id: table.id,
            name: table.name,
            version: table.version,
            homepage: table.homepage,
            clear_env: table.clear_env,
            description: table.description,
            keywords: table.keywords,
            licenses: table.licenses,
            sbom_formats: table.sbom_formats,
        }
    }
}

/// A license of a buildpack, by SPDX identifier (`type`) and/or `uri`.
#[derive(Deserialize, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct License {
    /// The SPDX license identifier, or a free-form license name.
    pub r#type: Option<String>,
    /// A URL to the license text.
    pub uri: Option<String>,
}

/// One `[[order]]` entry of a composite buildpack: a group of buildpacks that detect together.
#[derive(Deserialize, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The buildpacks of the group, in order.
    pub group: Vec<Group>,
}

/// A buildpack reference in an [`Order`] group.
#[derive(Deserialize, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The referenced buildpack's ID.
    pub id: BuildpackId,
    /// The referenced buildpack's version.
    pub version: BuildpackVersion,
    /// Whether the group may pass without this buildpack.
    #[serde(default)]
    pub optional: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL_COMPONENT: &str = r#"
api = "0.10"

[buildpack]
id = "foo/bar"
version = "0.0.1"
"#;

    #[test]
    fn minimal_component_has_defaults() {
        let descriptor = toml::from_str::<ComponentBuildpackDescriptor>(MINIMAL_COMPONENT).unwrap();
        assert_eq!(
            descriptor.api,
            BuildpackApi {
                major: 0,
                minor: 10
            }
        );
        let buildpack = &descriptor.buildpack;
        assert_eq!(buildpack.id.as_str(), "foo/bar");
        assert_eq!(buildpack.version, BuildpackVersion::new(0, 0, 1));
        assert_eq!(buildpack.name, None);
        assert_eq!(buildpack.homepage, None);
        assert_eq!(buildpack.description, None);
        assert!(!buildpack.clear_env);
        assert!(buildpack.keywords.is_empty());
        assert!(buildpack.licenses.is_empty());
        assert!(buildpack.sbom_formats.is_empty());
        assert!(descriptor.stacks.is_empty());
        assert!(descriptor.targets.is_empty());
        assert_eq!(descriptor.metadata, None);
    }

    #[test]
    fn descriptor_picks_the_kind() {
        let descriptor = toml::from_str::<BuildpackDescriptor>(MINIMAL_COMPONENT).unwrap();
        assert!(matches!(descriptor, BuildpackDescriptor::Component(_)));
        assert_eq!(descriptor.buildpack().id.as_str(), "foo/bar");
    }

    #[test]
    fn struct_metadata_is_required() {
        #[derive(Deserialize, Debug)]
        struct Metadata {
            #[expect(dead_code, reason = "only parsed")]
            checksum: String,
        }
        let error = toml::from_str::<ComponentBuildpackDescriptor<Metadata>>(MINIMAL_COMPONENT)
            .unwrap_err();
        assert!(
            error.to_string().contains("missing field `metadata`"),
            "{error}"
        );
    }
}
