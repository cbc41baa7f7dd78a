//! A test buildpack for `store.toml`: metadata a buildpack keeps from one build to the next.
//!
//! Each build prints the store it got back, every value with its type, then reads its build
//! counter twice: with a plain serde struct, which fails after the first rebuild, and robustly.
//! The lifecycle keeps the store in the image's metadata label as JSON, so what comes back
//! differs from what was written: integers are floats (`1` → `1.0`), datetimes are strings.
//!
//! `STORE_ACTION` in the platform env steers the build: unset writes the next store; `fail`
//! fails the build (nothing is exported, so the next build gets the store of the last
//! successful one); `skip` returns no store, which does **not** remove it: the lifecycle
//! restored `store.toml` into the layers directory before the build, and exports whatever is
//! there; `clear` returns an empty store, which is how a buildpack forgets its store.

mod history;

use history::History;
use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::store::Store;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::{Buildpack, Platform, buildpack_main};

struct StoreBuildpack;

/// Why a build of this buildpack failed.
#[derive(Debug, thiserror::Error)]
enum StoreBuildpackError {
    /// The store holds a history this buildpack can't read, even robustly.
    #[error("the store's history is unreadable: {0}")]
    UnreadableHistory(#[source] toml::de::Error),
    /// `STORE_ACTION=fail` asked for a failed build.
    #[error("failing as STORE_ACTION=fail asks")]
    Requested,
}

impl Buildpack for StoreBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = StoreBuildpackError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        let previous = context.store.as_ref();
        match previous {
            None => println!("store: none"),
            Some(store) => {
                for (key, value) in &store.metadata {
                    println!("store: {key} = {}", history::describe(value));
                }
            }
        }

        let history = match previous {
            None => History::default(),
            Some(store) => {
                match history::read_strictly(store) {
                    Ok(builds) => println!("strict read: builds = {builds}"),
                    Err(error) => println!("strict read failed: {}", error.message()),
                }
                let history = History::read(store).map_err(|error| {
                    libcnb_lite::Error::BuildpackError(StoreBuildpackError::UnreadableHistory(
                        error,
                    ))
                })?;
                println!(
                    "robust read: builds = {}, build_numbers = {:?}",
                    history.builds, history.build_numbers
                );
                history
            }
        };

        let action = context.platform.env().get_string_lossy("STORE_ACTION");
        match action.as_deref() {
            Some("fail") => Err(libcnb_lite::Error::BuildpackError(
                StoreBuildpackError::Requested,
            )),
            Some("skip") => {
                println!("store: not returning one");
                BuildResultBuilder::new().build()
            }
            Some("clear") => {
                println!("store: returning an empty one");
                BuildResultBuilder::new().store(Store::default()).build()
            }
            _ => {
                let next = history.next();
                println!("store: writing builds = {}", next.builds);
                BuildResultBuilder::new()
                    .store(Store {
                        metadata: next.to_metadata(),
                    })
                    .build()
            }
        }
    }
}

buildpack_main!(StoreBuildpack);
