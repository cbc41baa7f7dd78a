//! The writer of the env test group: layers whose env uses every [`Scope`] and every
//! [`ModificationBehavior`], for the `env-reader` buildpack (run after it in the same group)
//! to see at build time, for the launched processes to see at launch, and for [`read_env`] to
//! read back.
//!
//! Layers (visited by the lifecycle in name order; it sorts `<name>.toml` at build time and
//! `<name>` at launch, so `sort-b` comes before `sort` at build and after it at launch):
//!
//! - `base` (uncached, build + launch): a `bin/` dir, and `ENVTEST_<S>_{OVERRIDE,
//!   DEFAULT_KEPT, APPEND, PREPEND, NO_DELIM}` and `ENVTEST_MIX` set to `base` in `Scope::All`,
//!   for `matrix` to change.
//! - `matrix` (cached, build + launch): for each scope `S` of `ALL`, `BUILD`, `LAUNCH`, `PROC`
//!   (`Scope::Process("web")`), override, default (of an unset and of a set variable),
//!   append and prepend with a `:` delimiter, and append without one; `ENVTEST_MIX` with
//!   append, override, prepend and a `-` delimiter in one dir; `ENVTEST_PLATFORM`, which a
//!   platform env var beats at build time; a build-time `PATH` prepend; and `bin/`, `lib/`,
//!   `include/` and `pkgconfig/` dirs.
//! - `sort`, `sort-b` (uncached, build + launch): each prepends its name to `ENVTEST_ORDER`.
//! - `build-only`, `launch-only` (uncached): `ENVTEST_LAYER_BUILD_ONLY` and
//!   `ENVTEST_LAYER_LAUNCH_ONLY`.
//!
//! It prints the `ENVTEST_*` variables of its own environment (a buildpack never sees its own
//! layers' env), whether `matrix` was restored and whether its restored env equals what was
//! written, and what [`read_env`] predicts for each scope from `base` and `matrix`.
//!
//! [`read_env`]: libcnb_lite::layer::LayerRef::read_env

use std::path::{Path, PathBuf};
use std::{fs, io};

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb_lite::data::layer_name;
use libcnb_lite::data::process_type;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{
    CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerState,
    UncachedLayerDefinition,
};
use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb_lite::{Buildpack, Env, buildpack_main};
use serde::{Deserialize, Serialize};

struct EnvWriterBuildpack;

/// The scopes, with the name part of the variables each one changes.
fn scopes() -> [(&'static str, Scope); 4] {
    [
        ("ALL", Scope::All),
        ("BUILD", Scope::Build),
        ("LAUNCH", Scope::Launch),
        ("PROC", Scope::Process(String::from("web"))),
    ]
}

/// `base`: the values `matrix` changes.
fn base_env() -> LayerEnv {
    let mut env = LayerEnv::new();
    for (name, _) in scopes() {
        for suffix in ["OVERRIDE", "DEFAULT_KEPT", "APPEND", "PREPEND", "NO_DELIM"] {
            env.insert(
                Scope::All,
                ModificationBehavior::Override,
                format!("ENVTEST_{name}_{suffix}"),
                "base",
            );
        }
    }
    env.insert(
        Scope::All,
        ModificationBehavior::Override,
        "ENVTEST_MIX",
        "base",
    );
    env
}

/// `matrix`: every behaviour in every scope.
fn matrix_env() -> LayerEnv {
    let mut env = LayerEnv::new();
    for (name, scope) in scopes() {
        let var = |suffix: &str| format!("ENVTEST_{name}_{suffix}");
        let entries = [
            (ModificationBehavior::Override, var("OVERRIDE"), "matrix"),
            (ModificationBehavior::Default, var("DEFAULT"), "matrix"),
            (ModificationBehavior::Default, var("DEFAULT_KEPT"), "matrix"),
            (ModificationBehavior::Append, var("APPEND"), "matrix"),
            (ModificationBehavior::Delimiter, var("APPEND"), ":"),
            (ModificationBehavior::Prepend, var("PREPEND"), "matrix"),
            (ModificationBehavior::Delimiter, var("PREPEND"), ":"),
            (ModificationBehavior::Append, var("NO_DELIM"), "matrix"),
        ];
        for (behavior, name, value) in entries {
            env.insert(scope.clone(), behavior, name, value);
        }
    }
    // One dir, several behaviours: the lifecycle applies the files in name order
    // (append, delim, override, prepend), which is also libcnb's behaviour order.
    for (behavior, value) in [
        (ModificationBehavior::Append, "a"),
        (ModificationBehavior::Override, "o"),
        (ModificationBehavior::Prepend, "p"),
        (ModificationBehavior::Delimiter, "-"),
    ] {
        env.insert(Scope::All, behavior, "ENVTEST_MIX", value);
    }
    env.insert(
        Scope::All,
        ModificationBehavior::Override,
        "ENVTEST_PLATFORM",
        "layer",
    );
    env.insert(
        Scope::Build,
        ModificationBehavior::Prepend,
        "PATH",
        "/matrix-tools",
    );
    env.insert(Scope::Build, ModificationBehavior::Delimiter, "PATH", ":");
    env
}

/// The `ENVTEST_*` variables of `env`, sorted.
fn envtest_vars(env: &Env) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = env
        .iter()
        .map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        })
        .filter(|(name, _)| name.starts_with("ENVTEST_"))
        .collect();
    vars.sort();
    vars
}

/// A prepend of `value` to `name`, with a `:` delimiter, for every scope.
fn prepend(name: &str, value: &str) -> LayerEnv {
    LayerEnv::new()
        .chainable_insert(Scope::All, ModificationBehavior::Prepend, name, value)
        .chainable_insert(Scope::All, ModificationBehavior::Delimiter, name, ":")
}

/// `name=yes` for every scope.
fn set(name: &str) -> LayerEnv {
    LayerEnv::new().chainable_insert(Scope::All, ModificationBehavior::Override, name, "yes")
}

/// Whether two layer envs set the same `ENVTEST_*` values in every scope.
fn same_envtest_vars(left: &LayerEnv, right: &LayerEnv) -> bool {
    scopes().into_iter().all(|(_, scope)| {
        envtest_vars(&left.apply_to_empty(scope.clone()))
            == envtest_vars(&right.apply_to_empty(scope))
    })
}

/// Prints what `read_env` says later buildpacks (`build`) and processes (`launch`, and
/// `web` for `Scope::Process("web")`) get from `base` and then `matrix`.
fn print_read_env(base: &LayerEnv, matrix: &LayerEnv) {
    for (label, scope) in [
        ("build", Scope::Build),
        ("launch", Scope::Launch),
        ("web", Scope::Process(String::from("web"))),
    ] {
        let env = matrix.apply(scope.clone(), &base.apply(scope, &Env::new()));
        for (name, value) in envtest_vars(&env) {
            println!("read_env {label}: {name}={value}");
        }
    }
}

/// What `matrix` records, so that a restored layer is recognised.
#[derive(Deserialize, Serialize)]
struct MatrixMetadata {
    format: u32,
}

impl Buildpack for EnvWriterBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = CreateDirError;

    fn detect(
        &self,
        _context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        for (name, value) in envtest_vars(&Env::from_current()) {
            println!("own: {name}={value}");
        }

        let base = context.uncached_layer(
            layer_name!("base"),
            UncachedLayerDefinition {
                build: true,
                launch: true,
            },
        )?;
        base.write_env(base_env())?;
        create_dirs(&base.path(), &["bin"])?;

        let matrix = context.cached_layer(
            layer_name!("matrix"),
            CachedLayerDefinition {
                build: true,
                launch: true,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|_: &MatrixMetadata, _| InspectRestoredAction::KeepLayer,
            },
        )?;
        match matrix.state {
            LayerState::Restored { .. } => {
                println!("matrix: restored");
                println!(
                    "matrix: restored env {} what was written",
                    if same_envtest_vars(&matrix.read_env()?, &matrix_env()) {
                        "equals"
                    } else {
                        "differs from"
                    }
                );
            }
            LayerState::Empty { .. } => {
                println!("matrix: created");
                matrix.write_env(matrix_env())?;
                create_dirs(&matrix.path(), &["bin", "lib", "include", "pkgconfig"])?;
                matrix.write_metadata(MatrixMetadata { format: 1 })?;
            }
        }

        // Small uncached layers with one variable each.
        for (name, build, launch, env) in [
            (
                layer_name!("sort"),
                true,
                true,
                prepend("ENVTEST_ORDER", "sort"),
            ),
            (
                layer_name!("sort-b"),
                true,
                true,
                prepend("ENVTEST_ORDER", "sort-b"),
            ),
            (
                layer_name!("build-only"),
                true,
                false,
                set("ENVTEST_LAYER_BUILD_ONLY"),
            ),
            (
                layer_name!("launch-only"),
                false,
                true,
                set("ENVTEST_LAYER_LAUNCH_ONLY"),
            ),
        ] {
            context
                .uncached_layer(name, UncachedLayerDefinition { build, launch })?
                .write_env(env)?;
        }

        print_read_env(&base.read_env()?, &matrix.read_env()?);

        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("web"), ["printenv"])
                            .default(true)
                            .build(),
                    )
                    .process(ProcessBuilder::new(process_type!("worker"), ["printenv"]).build())
                    .build(),
            )
            .build()
    }
}

/// A layer dir couldn't be created.
#[derive(Debug, thiserror::Error)]
#[error("couldn't create {}", path.display())]
struct CreateDirError {
    path: PathBuf,
    source: io::Error,
}

/// Creates empty dirs in a layer; the lifecycle adds them to path variables.
fn create_dirs(layer_dir: &Path, names: &[&str]) -> libcnb_lite::Result<(), CreateDirError> {
    for name in names {
        let path = layer_dir.join(name);
        fs::create_dir_all(&path).map_err(|source| {
            libcnb_lite::Error::BuildpackError(CreateDirError { path, source })
        })?;
    }
    Ok(())
}

buildpack_main!(EnvWriterBuildpack);
