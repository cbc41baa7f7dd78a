//! The struct layer API: [`BuildContext::cached_layer`] and [`BuildContext::uncached_layer`]
//! take a definition and return a [`LayerRef`] whose [`state`](LayerRef::state) says what
//! happened to the layer.

pub(crate) mod handling;
mod layer_ref;

pub use layer_ref::LayerRef;

#[cfg(doc)]
use crate::build::BuildContext;
use crate::generic::GenericMetadata;
use std::fmt::{self, Debug};
use std::path::Path;

/// What [`BuildContext::cached_layer`] needs to know about a cached layer: where it's used and
/// what to do with a restored one.
///
/// `M` is the layer's metadata type. The callbacks return anything that implements
/// [`IntoAction`]: a bare action, an `(action, cause)` tuple, or either wrapped in a
/// `Result<_, B::Error>`. The cause ends up in the [`LayerState`].
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::generic::GenericMetadata;
/// use libcnb_lite::layer::{CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct RuntimeMetadata {
///     version: String,
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
/// let definition = CachedLayerDefinition {
///     build: true,
///     launch: true,
///     invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
///     inspect_restored: &|metadata: &RuntimeMetadata, _layer_dir| {
///         if metadata.version == "3.12.1" {
///             InspectRestoredAction::KeepLayer
///         } else {
///             InspectRestoredAction::DeleteLayer
///         }
///     },
/// };
/// let layer = context.cached_layer(layer_name!("python"), &definition)?;
/// # let _ = layer;
/// # Ok(())
/// # }
/// ```
pub struct CachedLayerDefinition<'a, M, MA, RA> {
    /// Whether the layer is available to later buildpacks during the build (`[types] build`).
    pub build: bool,
    /// Whether the layer is part of the app image (`[types] launch`).
    pub launch: bool,
    /// Called when a restored layer's metadata doesn't deserialize as `M`, with the metadata
    /// as raw TOML: delete the layer, or replace the metadata (to migrate an older format).
    ///
    /// Upstream libcnb calls this field `invalid_metadata_action`.
    pub invalid_metadata: &'a dyn Fn(&GenericMetadata) -> MA,
    /// Called with a restored layer's metadata and directory: keep the layer or delete it
    /// (to invalidate the cache).
    ///
    /// Upstream libcnb calls this field `restored_layer_action`.
    pub inspect_restored: &'a dyn Fn(&M, &Path) -> RA,
}

impl<M, MA, RA> Debug for CachedLayerDefinition<'_, M, MA, RA> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedLayerDefinition")
            .field("build", &self.build)
            .field("launch", &self.launch)
            .finish_non_exhaustive()
    }
}

/// What [`BuildContext::uncached_layer`] needs to know about an uncached layer: where it's
/// used.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer::UncachedLayerDefinition;
///
/// let definition = UncachedLayerDefinition { build: false, launch: true };
/// # let _ = definition;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct UncachedLayerDefinition {
    /// Whether the layer is available to later buildpacks during the build (`[types] build`).
    pub build: bool,
    /// Whether the layer is part of the app image (`[types] launch`).
    pub launch: bool,
}

/// What to do with a restored layer whose metadata doesn't deserialize as the layer's
/// metadata type.
///
/// # Examples
///
/// Migrating an older metadata format:
///
/// ```
/// use libcnb_lite::generic::GenericMetadata;
/// use libcnb_lite::layer::InvalidMetadataAction;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Metadata {
///     version: String,
/// }
///
/// fn invalid_metadata(old: &GenericMetadata) -> InvalidMetadataAction<Metadata> {
///     // Version 1 of this buildpack wrote `ruby_version`.
///     match old.as_ref().and_then(|table| table.get("ruby_version")?.as_str()) {
///         Some(version) => InvalidMetadataAction::ReplaceMetadata(Metadata {
///             version: version.to_string(),
///         }),
///         None => InvalidMetadataAction::DeleteLayer,
///     }
/// }
/// # let _ = invalid_metadata;
/// ```
#[derive(Copy, Clone, Debug)]
pub enum InvalidMetadataAction<M> {
    /// Delete the layer; it is recreated empty.
    DeleteLayer,
    /// Keep the layer with this metadata instead, which is then inspected like any restored
    /// layer's. It must deserialize as the metadata type again, or handling the layer fails
    /// with a
    /// [`ReadLayerError::LayerContentMetadataParseError`](crate::layer::ReadLayerError::LayerContentMetadataParseError)
    /// that names the layer and `ReplaceMetadata` (upstream asks again forever).
    ReplaceMetadata(M),
}

/// What to do with a restored layer whose metadata is valid.
///
/// Upstream libcnb calls this type `RestoredLayerAction`.
#[derive(Copy, Clone, Debug)]
pub enum InspectRestoredAction {
    /// Delete the layer; it is recreated empty.
    DeleteLayer,
    /// Keep the layer as it is.
    KeepLayer,
}

/// The state of a layer after [`BuildContext::cached_layer`] or
/// [`BuildContext::uncached_layer`].
///
/// `MAC` and `RAC` are the types of the causes the callbacks of a [`CachedLayerDefinition`]
/// return with their actions (`()` when they return a bare action).
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer::{EmptyLayerCause, LayerState};
///
/// fn describe(state: &LayerState<(), &str>) -> String {
///     match state {
///         LayerState::Restored { cause } => format!("reusing the cached layer: {cause}"),
///         LayerState::Empty { cause: EmptyLayerCause::NewlyCreated } => "new layer".into(),
///         LayerState::Empty { cause: EmptyLayerCause::InspectRestoredAction { cause } } => {
///             format!("rebuilding: {cause}")
///         }
///         LayerState::Empty { cause: EmptyLayerCause::InvalidMetadataAction { .. } } => {
///             "rebuilding: unknown metadata".into()
///         }
///     }
/// }
///
/// let state = LayerState::Empty { cause: EmptyLayerCause::InspectRestoredAction { cause: "new version" } };
/// assert_eq!(describe(&state), "rebuilding: new version");
/// ```
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum LayerState<MAC, RAC> {
    /// The layer holds the contents restored from the cache, which `inspect_restored` kept.
    Restored {
        /// The cause `inspect_restored` returned with [`InspectRestoredAction::KeepLayer`].
        cause: RAC,
    },
    /// The layer is an empty directory.
    Empty {
        /// Why.
        cause: EmptyLayerCause<MAC, RAC>,
    },
}

/// Why a layer is empty.
///
/// # Examples
///
/// A cached layer is new on the first build, and deleted (with the cause its
/// `inspect_restored` gave) when the version it was built for changed:
///
/// ```
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::generic::GenericMetadata;
/// use libcnb_lite::layer::{
///     CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
///     LayerState,
/// };
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Metadata {
///     version: String,
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
/// let wanted = "3.13.0";
/// let definition = CachedLayerDefinition {
///     build: false,
///     launch: true,
///     invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
///     inspect_restored: &|metadata: &Metadata, _layer_dir| {
///         if metadata.version == wanted {
///             (InspectRestoredAction::KeepLayer, "same version")
///         } else {
///             (InspectRestoredAction::DeleteLayer, "new version")
///         }
///     },
/// };
///
/// let layer = context.cached_layer(layer_name!("python"), &definition)?;
/// assert!(matches!(layer.state, LayerState::Empty { cause: EmptyLayerCause::NewlyCreated }));
///
/// // As a previous build would have left it: built for another version.
/// layer.write_metadata(Metadata { version: "3.12.1".into() })?;
/// let layer = context.cached_layer(layer_name!("python"), &definition)?;
/// match layer.state {
///     LayerState::Empty { cause: EmptyLayerCause::InspectRestoredAction { cause } } => {
///         assert_eq!(cause, "new version");
///     }
///     _ => panic!("the layer should be empty"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum EmptyLayerCause<MAC, RAC> {
    /// There was no layer to restore (or the layer is uncached).
    NewlyCreated,
    /// The restored layer's metadata was invalid and `invalid_metadata` chose to delete it.
    InvalidMetadataAction {
        /// The cause `invalid_metadata` returned with [`InvalidMetadataAction::DeleteLayer`].
        cause: MAC,
    },
    /// `inspect_restored` chose to delete the restored layer (an uncached layer always does).
    ///
    /// Upstream libcnb calls this variant `RestoredLayerAction`.
    InspectRestoredAction {
        /// The cause `inspect_restored` returned with [`InspectRestoredAction::DeleteLayer`].
        cause: RAC,
    },
}

/// A value a layer callback may return: an action `T`, with a cause `C`, or an error `E` (the
/// buildpack's error type).
///
/// Implemented for the bare action, `(action, cause)`, `Result<action, E>` and
/// `Result<(action, cause), E>`; the bare forms have the cause `()`. An error stops the build
/// with [`Error::BuildpackError`](crate::Error::BuildpackError), leaving the layer as it was.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer::{InspectRestoredAction, IntoAction};
///
/// let bare = IntoAction::<_, (), String>::into_action(InspectRestoredAction::KeepLayer);
/// assert!(matches!(bare, Ok((InspectRestoredAction::KeepLayer, ()))));
///
/// let with_cause: Result<(InspectRestoredAction, &str), String> =
///     (InspectRestoredAction::DeleteLayer, "stack changed").into_action();
/// assert!(matches!(with_cause, Ok((InspectRestoredAction::DeleteLayer, "stack changed"))));
///
/// let failed: Result<InspectRestoredAction, String> = Err(String::from("no network"));
/// let error = IntoAction::<InspectRestoredAction, (), _>::into_action(failed).unwrap_err();
/// assert_eq!(error, "no network");
/// ```
pub trait IntoAction<T, C, E> {
    /// Splits `self` into the action and its cause, or the error.
    ///
    /// # Errors
    ///
    /// The buildpack's error, for the `Result` forms.
    fn into_action(self) -> Result<(T, C), E>;
}

impl<T, E> IntoAction<T, (), E> for T {
    fn into_action(self) -> Result<(T, ()), E> {
        Ok((self, ()))
    }
}

impl<T, E> IntoAction<T, (), E> for Result<T, E> {
    fn into_action(self) -> Result<(T, ()), E> {
        self.map(|action| (action, ()))
    }
}

impl<T, C, E> IntoAction<T, C, E> for (T, C) {
    fn into_action(self) -> Result<(T, C), E> {
        Ok(self)
    }
}

impl<T, C, E> IntoAction<T, C, E> for Result<(T, C), E> {
    fn into_action(self) -> Result<(T, C), E> {
        self
    }
}
