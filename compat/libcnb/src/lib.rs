//! [`libcnb_lite`] under upstream libcnb's package name and version (0.30.4).
//!
//! With this crate and its sibling `libcnb-data`, one `[patch.crates-io]` section replaces
//! upstream libcnb in a buildpack's whole dependency tree, including crates that depend on
//! upstream libcnb themselves (`libherokubuildpack`, `libcnb-test`):
//!
//! ```toml
//! [patch.crates-io]
//! libcnb = { git = "https://github.com/…/libcnb-lite" }
//! libcnb-data = { git = "https://github.com/…/libcnb-lite" }
//! ```
//!
//! Everything is [`libcnb_lite`]'s, re-exported as a whole: the crate has no code of its own.
//! Upstream's cargo features are here with the same names (`trace`, `anyhow`,
//! `cyclonedx-bom`) and turn on libcnb-lite's features of the same names.

// The whole crate, under another name: a glob is the point here, not a shortcut.
#[doc(inline)]
pub use libcnb_lite::*;
