//! `libcnb_lite_test` (work in progress).
