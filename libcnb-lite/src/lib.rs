//! `libcnb_lite` (work in progress).
