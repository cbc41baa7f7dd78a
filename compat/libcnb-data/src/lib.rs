//! [`libcnb_lite_data`] under upstream libcnb-data's package name and version (0.30.4).
//!
//! With this crate and its sibling `libcnb`, one `[patch.crates-io]` section replaces upstream
//! libcnb-data in a buildpack's whole dependency tree, including `libcnb-package` and
//! `libcnb-test`, which then compile against libcnb-lite-data's types.
//!
//! Everything is [`libcnb_lite_data`]'s, re-exported as a whole: the crate has no code of its
//! own.

// The whole crate, under another name: a glob is the point here, not a shortcut.
#[doc(inline)]
pub use libcnb_lite_data::*;
