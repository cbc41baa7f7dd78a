//! SBOM formats.
//!
//! Models the media types of the spec's
//! [Bills-of-Materials](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#bills-of-materials)
//! section, as they appear in `buildpack.toml`'s `sbom-formats`.

use serde::{Deserialize, Serialize};

/// A format for software bills of materials, serialized as its media type.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::sbom::{SbomFormat, SBOM_FORMATS};
///
/// let format: SbomFormat = toml::Value::from("application/spdx+json").try_into()?;
/// assert_eq!(format, SbomFormat::SpdxJson);
/// assert!(SBOM_FORMATS.contains(&format));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash, Deserialize, Serialize)]
pub enum SbomFormat {
    /// [CycloneDX](https://cyclonedx.org/) JSON, `application/vnd.cyclonedx+json`
    /// (files `*.sbom.cdx.json`).
    #[serde(rename = "application/vnd.cyclonedx+json")]
    CycloneDxJson,

    /// [SPDX](https://spdx.dev/) JSON, `application/spdx+json` (files `*.sbom.spdx.json`).
    #[serde(rename = "application/spdx+json")]
    SpdxJson,

    /// [Syft](https://github.com/anchore/syft) JSON, `application/vnd.syft+json`
    /// (files `*.sbom.syft.json`).
    #[serde(rename = "application/vnd.syft+json")]
    SyftJson,
}

/// All supported SBOM formats.
pub const SBOM_FORMATS: &[SbomFormat] = &[
    SbomFormat::CycloneDxJson,
    SbomFormat::SpdxJson,
    SbomFormat::SyftJson,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Holder {
        formats: Vec<SbomFormat>,
    }

    #[test]
    fn media_types() {
        let holder = Holder {
            formats: SBOM_FORMATS.to_vec(),
        };
        let toml = toml::to_string(&holder).unwrap();
        assert_eq!(
            toml,
            "formats = [\"application/vnd.cyclonedx+json\", \"application/spdx+json\", \"application/vnd.syft+json\"]\n"
        );
        assert_eq!(toml::from_str::<Holder>(&toml).unwrap(), holder);
        assert!(toml::from_str::<Holder>("formats = [\"text/plain\"]").is_err());
    }
}
