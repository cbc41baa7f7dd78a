#![doc = include_str!("../README.md")]

pub mod build;
pub mod build_plan;
pub mod buildpack;
pub mod buildpack_plan;
pub mod exec_d;
pub mod generic;
pub mod launch;
pub mod layer;
pub mod layer_content_metadata;
pub mod package_descriptor;
pub mod sbom;
pub mod store;

mod newtype;
mod path_component;

// Public only because the literal macros expand to code that calls it.
#[doc(hidden)]
pub mod internals;
