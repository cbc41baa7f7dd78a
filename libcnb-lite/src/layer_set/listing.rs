//! Listing and deleting the layers in a buildpack's layers directory, and pruning a layer set.

use super::{LayerPlan, LayerSet};
use crate::Buildpack;
use crate::build::BuildContext;
use crate::layer::DeleteLayerError;
use crate::layer::LayerFiles;
use libcnb_lite_data::layer::LayerName;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

impl<B: Buildpack + ?Sized> BuildContext<B> {
    /// The names of the layers in this buildpack's layers directory, sorted: at the start of
    /// a build, the layers the lifecycle restored.
    ///
    /// Like the lifecycle, this counts every directory and every `<name>.toml` as a layer,
    /// so a restored layer shows up whether its contents came back (a cached layer) or only
    /// its metadata (a launch-only layer). `launch.toml`, `build.toml`, `store.toml`, SBOM
    /// files and names that aren't valid [`LayerName`]s are left out.
    ///
    /// # Errors
    ///
    /// [`ListLayersError`] if the layers directory exists but can't be read.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// // What the lifecycle restored: a cached layer and a launch layer's metadata.
    /// std::fs::create_dir(context.layers_dir.join("deps"))?;
    /// std::fs::write(context.layers_dir.join("deps.toml"), "[metadata]\n")?;
    /// std::fs::write(context.layers_dir.join("runtime.toml"), "[metadata]\n")?;
    /// std::fs::write(context.layers_dir.join("store.toml"), "[metadata]\n")?;
    ///
    /// let names: Vec<String> = context.layer_names()?.iter().map(ToString::to_string).collect();
    /// assert_eq!(names, ["deps", "runtime"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn layer_names(&self) -> Result<Vec<LayerName>, ListLayersError> {
        list_layers(&self.layers_dir)
    }

    /// Deletes a layer: its directory (never following a symbolic link out of the layers
    /// directory; read-only contents included), its `<name>.toml` and its SBOM files. A layer
    /// that doesn't exist is no error.
    ///
    /// A layer that isn't handled in a build is dropped by the lifecycle anyway (its restored
    /// `<name>.toml` has no `[types]`), but it stays on disk, and a later buildpack or process
    /// in the build may still see it; deleting it says what is meant.
    ///
    /// # Errors
    ///
    /// [`DeleteLayerError`] naming the path that couldn't be removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::layer_name;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// std::fs::create_dir(context.layers_dir.join("old"))?;
    /// std::fs::write(context.layers_dir.join("old.toml"), "[metadata]\n")?;
    ///
    /// context.delete_layer(&layer_name!("old"))?;
    /// assert!(context.layer_names()?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete_layer(&self, name: &LayerName) -> Result<(), DeleteLayerError> {
        LayerFiles::new(&self.layers_dir, name).delete()
    }
}

impl LayerSet {
    /// Deletes the layers of this set (see [`owns`](Self::owns)) that `plan` doesn't have,
    /// such as the layer of a dependency the app no longer has, and returns their names.
    ///
    /// Call it after handling the plan's layers; other layers of the buildpack are left
    /// alone.
    ///
    /// # Errors
    ///
    /// [`PruneLayersError`] if the layers directory can't be read or a layer can't be
    /// deleted.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_set::{LayerSet, SetItem};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// // Restored from the previous build.
    /// for name in ["pkg-web", "pkg-scheduler", "venv"] {
    ///     std::fs::create_dir(context.layers_dir.join(name))?;
    ///     std::fs::write(context.layers_dir.join(format!("{name}.toml")), "[metadata]\n")?;
    /// }
    ///
    /// let set = LayerSet::new("pkg-", "pkgs-")?;
    /// let plan = set.plan([SetItem::new("web", 1, ())])?;
    /// let pruned = set.prune(&context, &plan)?;
    ///
    /// assert_eq!(pruned.len(), 1);
    /// assert_eq!(pruned[0].as_str(), "pkg-scheduler");
    /// let names: Vec<String> = context.layer_names()?.iter().map(ToString::to_string).collect();
    /// assert_eq!(names, ["pkg-web", "venv"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn prune<B: Buildpack + ?Sized, T>(
        &self,
        context: &BuildContext<B>,
        plan: &LayerPlan<T>,
    ) -> Result<Vec<LayerName>, PruneLayersError> {
        let mut pruned = Vec::new();
        for name in context.layer_names()? {
            if self.owns(&name) && !plan.contains(&name) {
                context.delete_layer(&name)?;
                pruned.push(name);
            }
        }
        Ok(pruned)
    }
}

#[inline]
fn list_layers(layers_dir: &Path) -> Result<Vec<LayerName>, ListLayersError> {
    let entries = match fs::read_dir(layers_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ListLayersError {
                path: layers_dir.to_path_buf(),
                source,
            });
        }
    };

    let mut names = BTreeSet::new();
    for entry in entries {
        let entry = entry.map_err(|source| ListLayersError {
            path: layers_dir.to_path_buf(),
            source,
        })?;
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        // `file_type` doesn't follow symbolic links, as the lifecycle's directory scan.
        let is_dir = entry.file_type().is_ok_and(|file_type| file_type.is_dir());
        let name = if is_dir {
            file_name.as_str()
        } else if let Some(stem) = file_name.strip_suffix(".toml") {
            stem
        } else {
            continue;
        };
        // `launch`, `build` and `store` are rejected as layer names.
        if let Ok(name) = name.parse::<LayerName>() {
            names.insert(name);
        }
    }
    Ok(names.into_iter().collect())
}

/// The layers directory can't be read.
#[derive(Debug, thiserror::Error)]
#[error("couldn't list the layers in {}", path.display())]
pub struct ListLayersError {
    /// The layers directory.
    pub path: PathBuf,
    /// The error.
    pub source: io::Error,
}

/// [`LayerSet::prune`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PruneLayersError {
    /// The layers directory can't be read.
    #[error(transparent)]
    ListLayers(#[from] ListLayersError),
    /// A layer can't be deleted.
    #[error(transparent)]
    DeleteLayer(#[from] DeleteLayerError),
}

#[cfg(test)]
mod tests {
    use super::{ListLayersError, list_layers};
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn lists_dirs_and_tomls_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let layers = dir.path();
        fs::create_dir(layers.join("both")).unwrap();
        fs::write(layers.join("both.toml"), "").unwrap();
        fs::create_dir(layers.join("dir-only")).unwrap();
        fs::write(layers.join("toml-only.toml"), "").unwrap();
        for file in [
            "launch.toml",
            "build.toml",
            "store.toml",
            "both.sbom.cdx.json",
            "notes.txt",
        ] {
            fs::write(layers.join(file), "").unwrap();
        }
        symlink(layers.join("both"), layers.join("link")).unwrap();

        let names: Vec<String> = list_layers(layers)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["both", "dir-only", "toml-only"]);
    }

    #[test]
    fn a_missing_layers_dir_has_no_layers() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list_layers(&dir.path().join("missing")).unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_layers_dir_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        let error: ListLayersError = list_layers(&file).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("couldn't list the layers in {}", file.display())
        );
    }
}
