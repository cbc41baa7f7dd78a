//! Software bills of materials (SBOMs).

use libcnb_lite_data::sbom::SbomFormat;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A software bill of materials: raw data in one of the [`SbomFormat`]s.
///
/// Hand it to [`BuildResultBuilder::build_sbom`](crate::build::BuildResultBuilder::build_sbom)
/// or [`launch_sbom`](crate::build::BuildResultBuilder::launch_sbom) (or to a layer). The data is
/// written as is; it is not validated.
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::sbom::SbomFormat;
/// use libcnb_lite::sbom::Sbom;
///
/// let sbom = Sbom::from_bytes(SbomFormat::CycloneDxJson, r#"{"bomFormat":"CycloneDX"}"#);
/// assert_eq!(sbom.format, SbomFormat::CycloneDxJson);
/// assert_eq!(sbom.data, br#"{"bomFormat":"CycloneDX"}"#);
/// ```
#[derive(Debug, Clone)]
pub struct Sbom {
    /// The format of `data`.
    pub format: SbomFormat,
    /// The SBOM itself.
    pub data: Vec<u8>,
}

impl Sbom {
    /// Reads the SBOM data from the file at `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::sbom::SbomFormat;
    /// use libcnb_lite::sbom::Sbom;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// let path = temp_dir.path().join("sbom.spdx.json");
    /// std::fs::write(&path, "{}")?;
    /// let sbom = Sbom::from_path(SbomFormat::SpdxJson, &path)?;
    /// assert_eq!(sbom.data, b"{}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The I/O error if the file can't be read.
    pub fn from_path<P: AsRef<Path>>(format: SbomFormat, path: P) -> std::io::Result<Self> {
        fs::read(path.as_ref()).map(|data| Self { format, data })
    }

    /// Creates an SBOM from in-memory data.
    pub fn from_bytes<D: Into<Vec<u8>>>(format: SbomFormat, data: D) -> Self {
        Self {
            format,
            data: data.into(),
        }
    }
}

/// An SBOM from a `CycloneDX` document, written as `CycloneDX` 1.3 JSON, as upstream does
/// (the cargo feature `cyclonedx-bom`).
#[cfg(feature = "cyclonedx-bom")]
impl TryFrom<cyclonedx_bom::models::bom::Bom> for Sbom {
    type Error = cyclonedx_bom::errors::JsonWriteError;

    fn try_from(cyclonedx_bom: cyclonedx_bom::models::bom::Bom) -> Result<Self, Self::Error> {
        let mut data = Vec::new();
        cyclonedx_bom.output_as_json_v1_3(&mut data)?;
        Ok(Self {
            format: SbomFormat::CycloneDxJson,
            data,
        })
    }
}

/// Writes each SBOM to `<directory>/<base_name>.sbom.<format>.json`, in place; a later SBOM of
/// the same format wins. For the build and launch SBOMs of the runtime and for layer SBOMs.
///
/// # Errors
///
/// The I/O error of the file that couldn't be written, holding a
/// [`PathError`](crate::PathError) that names it.
pub(crate) fn write_sboms(sboms: &[Sbom], directory: &Path, base_name: &str) -> io::Result<()> {
    for sbom in sboms {
        crate::fs::write(cnb_sbom_path(sbom.format, directory, base_name), &sbom.data)?;
    }
    Ok(())
}

/// `<base_directory>/<base_name>.sbom.<cdx|spdx|syft>.json`: where the CNB spec puts an SBOM of
/// this format (`base_name` is `launch`, `build` or a layer name).
pub(crate) fn cnb_sbom_path(
    sbom_format: SbomFormat,
    base_directory: impl AsRef<Path>,
    base_name: &str,
) -> PathBuf {
    let suffix = match sbom_format {
        SbomFormat::CycloneDxJson => "cdx.json",
        SbomFormat::SpdxJson => "spdx.json",
        SbomFormat::SyftJson => "syft.json",
    };
    base_directory
        .as_ref()
        .join(format!("{base_name}.sbom.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sboms_are_written_and_the_last_of_a_format_wins() {
        let temp_dir = tempfile::tempdir().unwrap();
        let dir = temp_dir.path();

        write_sboms(
            &[
                Sbom::from_bytes(SbomFormat::SpdxJson, "first"),
                Sbom::from_bytes(SbomFormat::SyftJson, "syft"),
                Sbom::from_bytes(SbomFormat::SpdxJson, "second"),
            ],
            dir,
            "launch",
        )
        .unwrap();

        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["launch.sbom.spdx.json", "launch.sbom.syft.json"]);
        assert_eq!(
            fs::read_to_string(dir.join("launch.sbom.spdx.json")).unwrap(),
            "second"
        );
    }

    #[test]
    fn a_failed_write_names_the_path() {
        let temp_dir = tempfile::tempdir().unwrap();
        let missing = temp_dir.path().join("missing");

        let error = write_sboms(
            &[Sbom::from_bytes(SbomFormat::CycloneDxJson, "{}")],
            &missing,
            "build",
        )
        .unwrap_err();

        assert_eq!(
            crate::PathError::in_io_error(&error).map(crate::PathError::path),
            Some(missing.join("build.sbom.cdx.json").as_path())
        );
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn sbom_paths() {
        let dir = Path::new("/layers/bp");
        assert_eq!(
            cnb_sbom_path(SbomFormat::CycloneDxJson, dir, "launch"),
            dir.join("launch.sbom.cdx.json")
        );
        assert_eq!(
            cnb_sbom_path(SbomFormat::SpdxJson, dir, "build"),
            dir.join("build.sbom.spdx.json")
        );
        assert_eq!(
            cnb_sbom_path(SbomFormat::SyftJson, dir, "python"),
            dir.join("python.sbom.syft.json")
        );
    }
}

#[cfg(all(test, feature = "cyclonedx-bom"))]
mod cyclonedx_tests {
    use super::*;

    #[test]
    fn a_cyclonedx_bom_becomes_cyclonedx_json() {
        let sbom = Sbom::try_from(cyclonedx_bom::models::bom::Bom::default()).unwrap();
        assert_eq!(sbom.format, SbomFormat::CycloneDxJson);
        let json = String::from_utf8(sbom.data).unwrap();
        assert!(json.contains("\"bomFormat\": \"CycloneDX\""), "{json}");
        assert!(json.contains("\"specVersion\": \"1.3\""), "{json}");
    }
}
