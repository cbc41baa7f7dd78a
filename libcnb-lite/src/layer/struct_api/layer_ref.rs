//! [`LayerRef`]: a handled layer, and the ways to write its metadata, env, SBOMs and exec.d
//! programs.

use crate::Buildpack;
#[cfg(doc)]
use crate::build::BuildContext;
use crate::layer::error::LayerError;
#[cfg(doc)]
use crate::layer::error::WriteLayerError;
use crate::layer::store::LayerFiles;
use crate::layer::struct_api::LayerState;
use crate::layer_env::LayerEnv;
use crate::sbom::Sbom;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::marker::PhantomData;
use std::path::PathBuf;

/// A layer on disk, as [`BuildContext::cached_layer`] or [`BuildContext::uncached_layer`] left
/// it: its directory exists and its `<layer>.toml` has the types of the definition.
///
/// Write files into [`path`](Self::path) with ordinary file-system code, and use the methods to
/// write what the CNB spec keeps outside the contents: metadata, environment, SBOMs and exec.d
/// programs. Files are written in place, as upstream libcnb writes them.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::layer::UncachedLayerDefinition;
/// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
///
/// let layer = context.uncached_layer(
///     layer_name!("tools"),
///     UncachedLayerDefinition { build: true, launch: false },
/// )?;
/// std::fs::create_dir(layer.path().join("bin"))?;
/// layer.write_env(LayerEnv::new().chainable_insert(
///     Scope::Build,
///     ModificationBehavior::Override,
///     "TOOLS_HOME",
///     layer.path(),
/// ))?;
///
/// let env = layer.read_env()?.apply_to_empty(Scope::Build);
/// assert_eq!(env.get("TOOLS_HOME"), Some(&layer.path().into_os_string()));
/// assert_eq!(env.get("PATH"), Some(&layer.path().join("bin").into_os_string()));
/// # Ok(())
/// # }
/// ```
pub struct LayerRef<B, MAC, RAC>
where
    B: Buildpack + ?Sized,
{
    name: LayerName,
    layers_dir: PathBuf,
    /// The types written to `<layer>.toml`, kept by `write_metadata` (saves re-reading it).
    types: LayerTypes,
    buildpack: PhantomData<B>,
    /// What happened to the layer.
    pub state: LayerState<MAC, RAC>,
}

impl<B, MAC, RAC> LayerRef<B, MAC, RAC>
where
    B: Buildpack + ?Sized,
{
    #[inline]
    pub(crate) fn new(
        files: LayerFiles<'_>,
        layers_dir: PathBuf,
        types: LayerTypes,
        state: LayerState<MAC, RAC>,
    ) -> Self {
        Self {
            name: files.name().clone(),
            layers_dir,
            types,
            buildpack: PhantomData,
            state,
        }
    }

    #[inline]
    fn files(&self) -> LayerFiles<'_> {
        LayerFiles::new(&self.layers_dir, &self.name)
    }

    /// The layer directory, `<layers>/<name>`.
    #[must_use]
    #[inline]
    pub fn path(&self) -> PathBuf {
        self.files().dir()
    }

    /// Writes `metadata` as the layer's `[metadata]`, replacing what was there; the types stay.
    ///
    /// The new metadata's type may differ from the one the layer was handled with.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer::UncachedLayerDefinition;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Installed {
    ///     version: String,
    /// }
    ///
    /// let layer = context.uncached_layer(
    ///     layer_name!("runtime"),
    ///     UncachedLayerDefinition { build: false, launch: true },
    /// )?;
    /// layer.write_metadata(Installed { version: "3.12.1".into() })?;
    ///
    /// let toml = std::fs::read_to_string(context.layers_dir.join("runtime.toml"))?;
    /// assert!(toml.contains("version = \"3.12.1\""), "{toml}");
    /// assert!(toml.contains("launch = true"), "the types stay: {toml}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::WriteLayerMetadataError`] if the metadata can't be serialized as TOML
    /// or `<layer>.toml` can't be written.
    pub fn write_metadata<M>(&self, metadata: M) -> crate::Result<(), B::Error>
    where
        M: Serialize,
    {
        let content = LayerContentMetadata {
            types: Some(self.types),
            metadata,
        };
        self.files()
            .write_content_metadata(&content)
            .map_err(|error| LayerError::from(error).into())
    }

    /// Replaces the layer's environment (`env/`, `env.build/`, `env.launch/` and
    /// `env.launch/<process>/`) by `env`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer::UncachedLayerDefinition;
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// let layer = context.uncached_layer(
    ///     layer_name!("venv"),
    ///     UncachedLayerDefinition { build: true, launch: true },
    /// )?;
    /// layer.write_env(LayerEnv::new().chainable_insert(
    ///     Scope::All,
    ///     ModificationBehavior::Override,
    ///     "VIRTUAL_ENV",
    ///     layer.path(),
    /// ))?;
    ///
    /// // The spec's file: `env/VIRTUAL_ENV.override`.
    /// let value = std::fs::read_to_string(layer.path().join("env/VIRTUAL_ENV.override"))?;
    /// assert_eq!(std::path::Path::new(&value), layer.path());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::IoError`] if a directory or file can't be removed or written.
    pub fn write_env(&self, env: impl Borrow<LayerEnv>) -> crate::Result<(), B::Error> {
        self.files()
            .write_env(env.borrow())
            .map_err(|error| LayerError::from(error).into())
    }

    /// Reads the layer's environment, including the implicit entries of its `bin/`, `lib/`,
    /// `include/` and `pkgconfig/` directories, and `env.launch/<process>/` (which upstream
    /// libcnb can't read).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer::UncachedLayerDefinition;
    /// use libcnb_lite::layer_env::Scope;
    ///
    /// let layer = context.uncached_layer(
    ///     layer_name!("jdk"),
    ///     UncachedLayerDefinition { build: true, launch: true },
    /// )?;
    /// // Files written by hand (or by a tool) count, and so does the `bin/` dir.
    /// std::fs::create_dir_all(layer.path().join("env.launch"))?;
    /// std::fs::write(layer.path().join("env.launch/JAVA_OPTS.default"), "-Xmx1g")?;
    /// std::fs::create_dir(layer.path().join("bin"))?;
    ///
    /// let launch = layer.read_env()?.apply_to_empty(Scope::Launch);
    /// assert_eq!(launch.get("JAVA_OPTS").and_then(|v| v.to_str()), Some("-Xmx1g"));
    /// assert_eq!(launch.get("PATH"), Some(&layer.path().join("bin").into_os_string()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReadLayerError::IoError`](crate::layer::ReadLayerError::IoError) if a file can't be
    /// read.
    #[inline]
    pub fn read_env(&self) -> crate::Result<LayerEnv, B::Error> {
        self.files()
            .read_env()
            .map_err(|error| LayerError::from(error).into())
    }

    /// Replaces the layer's SBOM files, `<layers>/<name>.sbom.<format>.json`, by `sboms`; an
    /// empty slice removes them.
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::ReplaceLayerSbomsError`] if the layer directory is missing or a file
    /// can't be removed or written.
    #[inline]
    pub fn write_sboms(&self, sboms: &[Sbom]) -> crate::Result<(), B::Error> {
        self.files()
            .replace_sboms(sboms)
            .map_err(|error| LayerError::from(error).into())
    }

    /// Replaces the layer's exec.d programs by copies of the given files, keeping their
    /// permissions; a later entry with the same name wins, and no entries remove `exec.d/`.
    ///
    /// Each name must be a file name; the programs are usually binary targets of the buildpack
    /// (see [`additional_buildpack_binary_path!`](crate::additional_buildpack_binary_path)).
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::ReplaceLayerExecdProgramsError`] if a name isn't a file name, a
    /// program doesn't exist, the layer directory is missing, or `exec.d/` can't be replaced.
    pub fn write_exec_d_programs<P, S>(&self, programs: P) -> crate::Result<(), B::Error>
    where
        S: Into<String>,
        P: IntoIterator<Item = (S, PathBuf)>,
    {
        let programs = programs
            .into_iter()
            .map(|(name, path)| (name.into(), path))
            .collect::<HashMap<_, _>>();
        self.files()
            .replace_exec_d_programs(&programs)
            .map_err(|error| LayerError::from(error).into())
    }
}

impl<B, MAC, RAC> Debug for LayerRef<B, MAC, RAC>
where
    B: Buildpack + ?Sized,
    MAC: Debug,
    RAC: Debug,
{
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayerRef")
            .field("name", &self.name)
            .field("layers_dir", &self.layers_dir)
            .field("types", &self.types)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::data::sbom::SbomFormat;
    use crate::layer::test_support::{context, names, read, types_toml, write};
    use crate::layer::{
        LayerError, ReplaceLayerExecdProgramsError, UncachedLayerDefinition, WriteLayerError,
    };
    use crate::layer_env::{LayerEnv, ModificationBehavior, Scope};
    use crate::sbom::Sbom;
    use libcnb_lite_data::layer_name;
    use std::path::PathBuf;

    #[test]
    fn write_metadata_keeps_the_types_and_replaces_the_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("l"),
                UncachedLayerDefinition {
                    build: true,
                    launch: true,
                },
            )
            .unwrap();
        let toml_path = temp_dir.path().join("l.toml");

        layer.write_metadata(toml::toml! { version = "1" }).unwrap();
        layer.write_metadata(toml::toml! { other = 2 }).unwrap();

        assert_eq!(
            read(&toml_path),
            format!("{}\n[metadata]\nother = 2\n", types_toml(true, true, false))
        );
    }

    #[test]
    fn write_metadata_errors_are_upstreams() {
        let temp_dir = tempfile::tempdir().unwrap();
        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("l"),
                UncachedLayerDefinition {
                    build: true,
                    launch: true,
                },
            )
            .unwrap();

        let error = layer.write_metadata(vec![Some(1), None]).unwrap_err();

        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::WriteLayerError(
                    WriteLayerError::WriteLayerMetadataError(_)
                ))
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "Layer error: Error while writing layer content metadata TOML: TOML serialization \
             error while writing TOML file: unsupported None value"
        );
    }

    #[test]
    fn env_round_trips_including_process_scopes() {
        let temp_dir = tempfile::tempdir().unwrap();
        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("l"),
                UncachedLayerDefinition {
                    build: true,
                    launch: true,
                },
            )
            .unwrap();
        let env = LayerEnv::new()
            .chainable_insert(Scope::All, ModificationBehavior::Override, "A", "1")
            .chainable_insert(
                Scope::Process(String::from("web")),
                ModificationBehavior::Default,
                "B",
                "2",
            );

        layer.write_env(&env).unwrap();

        assert_eq!(read(&layer.path().join("env.launch/web/B.default")), "2");
        assert_eq!(layer.read_env().unwrap(), env);
    }

    #[test]
    fn sboms_and_exec_d_programs_are_replaced() {
        let temp_dir = tempfile::tempdir().unwrap();
        let layers_dir = temp_dir.path().join("layers");
        let layer = context(&layers_dir)
            .uncached_layer(
                layer_name!("l"),
                UncachedLayerDefinition {
                    build: false,
                    launch: true,
                },
            )
            .unwrap();
        let first = temp_dir.path().join("first");
        let second = temp_dir.path().join("second");
        write(&first, "1");
        write(&second, "2");

        layer
            .write_sboms(&[Sbom::from_bytes(SbomFormat::CycloneDxJson, "cdx")])
            .unwrap();
        layer
            .write_exec_d_programs([("p", first), ("p", second.clone())])
            .unwrap();

        assert_eq!(names(&layers_dir), ["l", "l.sbom.cdx.json", "l.toml"]);
        assert_eq!(read(&layer.path().join("exec.d/p")), "2");

        let error = layer.write_exec_d_programs([("../p", second)]).unwrap_err();
        assert!(
            matches!(
                error,
                Error::LayerError(LayerError::WriteLayerError(
                    WriteLayerError::ReplaceLayerExecdProgramsError(
                        ReplaceLayerExecdProgramsError::InvalidProgramName { .. }
                    )
                ))
            ),
            "{error:?}"
        );
        layer
            .write_exec_d_programs(Vec::<(String, PathBuf)>::new())
            .unwrap();
        assert!(names(&layer.path()).is_empty());
    }

    #[test]
    fn layer_errors_print_their_causes() {
        let temp_dir = tempfile::tempdir().unwrap();
        let layer = context(temp_dir.path())
            .uncached_layer(
                layer_name!("l"),
                UncachedLayerDefinition {
                    build: false,
                    launch: true,
                },
            )
            .unwrap();
        let missing = temp_dir.path().join("missing");

        let error = layer
            .write_exec_d_programs([("p", missing.clone())])
            .unwrap_err();

        assert_eq!(
            error.to_string(),
            format!(
                "Layer error: Couldn't find exec.d file for copying: {}",
                missing.display()
            )
        );
    }
}
