//! `libcnb_lite_data` (work in progress).
