//! Known incompatibilities: upstream libcnb 0.30 code that compiles against upstream but not
//! against libcnb-lite, although the root README promises it should after the dependency rename
//! and the four renames of its "Porting a libcnb buildpack" table. Compiled
//! only with the `known-incompatibilities` feature: `run.sh` checks that it compiles against
//! upstream and still fails against libcnb-lite, prints the errors, and fails once it compiles
//! (so that a fixed item is moved into the buildpack and off this list). Never called.
//!
//! Each item is a top-level `fn` (run.sh skips the check while there is none), with a doc
//! comment saying which decision it comes from.
//!
//! There are none at present: the name errors and the layer errors, the last two items, have
//! upstream's shapes again and are checked positively in `upstream_errors.rs`.
