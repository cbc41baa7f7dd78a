//! The target the buildpack runs on.

/// The target (OS, architecture and distribution) the buildpack runs on, read from the
/// `CNB_TARGET_*` variables the lifecycle sets for Buildpack API 0.10 and later.
///
/// # Examples
///
/// ```
/// use libcnb_lite::Target;
///
/// let target = Target {
///     os: "linux".to_string(),
///     arch: "amd64".to_string(),
///     arch_variant: None,
///     distro_name: "ubuntu".to_string(),
///     distro_version: "24.04".to_string(),
/// };
/// assert_eq!(format!("{}-{}", target.distro_name, target.distro_version), "ubuntu-24.04");
/// ```
#[derive(Clone, Debug)]
pub struct Target {
    /// The operating system, from `CNB_TARGET_OS`, e.g. `linux`.
    pub os: String,
    /// The CPU architecture, from `CNB_TARGET_ARCH`, e.g. `amd64` or `arm64`.
    pub arch: String,
    /// The architecture variant, from `CNB_TARGET_ARCH_VARIANT`, e.g. `v8`; often unset.
    pub arch_variant: Option<String>,
    /// The distribution name, from `CNB_TARGET_DISTRO_NAME`, e.g. `ubuntu`.
    pub distro_name: String,
    /// The distribution version, from `CNB_TARGET_DISTRO_VERSION`, e.g. `24.04`.
    pub distro_version: String,
}
