//! `compat/widget`: a buildpack written for upstream libcnb 0.30 that installs a (fictional)
//! `widget` tool, its packages and a toolchain. `benches/compat/run.sh` compiles this one file
//! against upstream libcnb (`../upstream`) and against libcnb-lite (`../lite`, where the
//! dependency is renamed so every `libcnb::` path stays) and compares what both do.
//!
//! The only lines that differ are the four struct layer API renames listed in the root
//! README's "Porting a libcnb buildpack" table,
//! switched by the `lite` feature (`#[cfg(feature = "lite")]`). Every line the buildpack prints
//! starts with `compat:` and is part of the compared transcript.

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::build_plan::{BuildPlanBuilder, Require};
use libcnb::data::launch::{
    Label, Launch, LaunchBuilder, ProcessBuilder, ProcessType, WorkingDirectory,
};
use libcnb::data::layer_content_metadata::LayerTypes;
use libcnb::data::store::Store;
use libcnb::data::{buildpack_id, layer_name, process_type};
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
#[cfg(feature = "lite")]
use libcnb::layer::InspectRestoredAction as RestoredLayerAction;
#[cfg(not(feature = "lite"))]
use libcnb::layer::RestoredLayerAction;
#[allow(deprecated)]
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, ExistingLayerStrategy, InvalidMetadataAction, Layer,
    LayerData, LayerRef, LayerResult, LayerResultBuilder, LayerState, MetadataMigration,
    UncachedLayerDefinition,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::sbom::Sbom;
use libcnb::{Buildpack, Env, Platform, Target, TomlFileError, buildpack_main};
use libcnb_data::sbom::SbomFormat;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

#[cfg(feature = "known-incompatibilities")]
mod known_incompatibilities;
mod upstream_errors;

/// `[metadata]` of buildpack.toml.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WidgetBuildpackMetadata {
    default_version: String,
    mirror: String,
}

/// The app's `widget.toml`, which is also the build plan requirement's metadata.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct WidgetRequest {
    version: Option<String>,
    #[serde(default)]
    packages: Vec<String>,
    worker: Option<String>,
}

#[derive(Debug)]
enum WidgetError {
    ReadProject(TomlFileError),
    RequireMetadata(toml::ser::Error),
    PlanMetadata(toml::de::Error),
    InvalidVersion(String),
    Install(std::io::Error),
    WidgetCommand(String),
}

impl From<WidgetError> for libcnb::Error<WidgetError> {
    fn from(error: WidgetError) -> Self {
        Self::BuildpackError(error)
    }
}

/// The platform: its env (read as `GenericPlatform` reads it) and the `WIDGET_DEBUG` switch.
struct WidgetPlatform {
    env: Env,
    debug: bool,
}

impl Platform for WidgetPlatform {
    fn env(&self) -> &Env {
        &self.env
    }

    fn from_path(platform_dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let env = GenericPlatform::from_path(platform_dir)?.env().clone();
        let debug = env.get_string_lossy("WIDGET_DEBUG").as_deref() == Some("true");
        Ok(Self { env, debug })
    }
}

struct WidgetBuildpack;

impl Buildpack for WidgetBuildpack {
    type Platform = WidgetPlatform;
    type Metadata = WidgetBuildpackMetadata;
    type Error = WidgetError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        println!(
            "compat: detect: target {}",
            describe_target(&context.target)
        );
        let mut request: WidgetRequest =
            match libcnb::read_toml_file(context.app_dir.join("widget.toml")) {
                Ok(request) => request,
                Err(TomlFileError::IoError(error)) if error.kind() == ErrorKind::NotFound => {
                    println!("compat: detect: no widget.toml");
                    return DetectResultBuilder::fail().build();
                }
                Err(error) => Err(WidgetError::ReadProject(error))?,
            };
        let metadata = &context.buildpack_descriptor.metadata;
        request.version = request.version.or(Some(metadata.default_version.clone()));

        let mut require = Require::new("widget");
        require
            .metadata(&request)
            .map_err(WidgetError::RequireMetadata)?;
        println!("compat: detect: requires widget {request:?}");
        DetectResultBuilder::pass()
            .build_plan(
                BuildPlanBuilder::new()
                    .provides("widget")
                    .requires(require)
                    .or()
                    .provides("widget-cli")
                    .requires("widget-cli")
                    .build(),
            )
            .build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        let descriptor = &context.buildpack_descriptor;
        println!(
            "compat: build: {} {} (api {}), {} plan entries, target {}",
            descriptor.buildpack.id,
            descriptor.buildpack.version,
            descriptor.api,
            context.buildpack_plan.entries.len(),
            describe_target(&context.target),
        );
        // The lifecycle names the layers dir after the buildpack ID, `/` replaced.
        let layers_dir_name = descriptor.buildpack.id.replace('/', "_");
        if !context.layers_dir.ends_with(layers_dir_name) {
            println!("compat: build: unexpected layers dir");
        }
        if descriptor.buildpack.id != buildpack_id!("compat/widget") {
            println!("compat: build: running under another id");
        }
        if context.platform.debug {
            println!("compat: build: debug logging on");
        }

        let (request, version) = resolve_request(&context)?;

        let previous = context
            .store
            .as_ref()
            .and_then(|store| store.metadata.get("widget-version"));
        let builds = match context
            .store
            .as_ref()
            .and_then(|store| store.metadata.get("builds"))
        {
            Some(toml::Value::Integer(builds)) => *builds,
            // The lifecycle's JSON round trip turns integers into floats (libcnb#473).
            #[expect(clippy::cast_possible_truncation, reason = "a build count")]
            Some(toml::Value::Float(builds)) => *builds as i64,
            _ => 0,
        };
        println!("compat: store: previous widget {previous:?}, {builds} earlier builds");

        let legacy = context
            .platform
            .env()
            .get_string_lossy("WIDGET_WRITE_LEGACY_METADATA");
        let legacy = legacy.as_deref() == Some("true");
        let widget_env = install_widget(&context, &version, legacy)?;
        install_packages(&context, &request.packages, legacy)?;
        install_toolchain(&context, &version, legacy)?;
        let worker = write_profile(&context, &version, request.worker.as_deref())?;

        let output = Command::new("widget")
            .arg("--version")
            .envs(&widget_env.apply(Scope::Build, &Env::from_current()))
            .output()
            .map_err(|error| WidgetError::WidgetCommand(error.to_string()))?;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            println!("compat: widget says: {line} ({})", output.status);
        }

        let mut store = Store::default();
        store
            .metadata
            .insert("widget-version".into(), version.clone().into());
        store.metadata.insert("builds".into(), (builds + 1).into());
        BuildResultBuilder::new()
            .launch(launch(&version, worker))
            .store(store)
            .build_sbom(Sbom::from_bytes(
                SbomFormat::SyftJson,
                syft_json("toolchain", &version),
            ))
            .launch_sbom(Sbom::from_bytes(
                SbomFormat::CycloneDxJson,
                cyclonedx_json(&version),
            ))
            .launch_sbom(Sbom::from_bytes(SbomFormat::SpdxJson, spdx_json(&version)))
            .build()
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        let what = match &error {
            libcnb::Error::BuildpackError(error) => describe_widget_error(error),
            libcnb::Error::ProcessTypeError(error) => format!(
                "widget.toml's worker {:?}: {error:?}",
                upstream_errors::rejected_process_type(error)
            ),
            libcnb::Error::LayerError(error) => upstream_errors::describe_layer_error(error),
            libcnb::Error::CannotDetermineAppDirectory(_)
            | libcnb::Error::CannotDetermineBuildpackDirectory(_)
            | libcnb::Error::CannotDetermineTargetOs(_)
            | libcnb::Error::CannotDetermineTargetArch(_)
            | libcnb::Error::CannotDetermineTargetDistroName(_)
            | libcnb::Error::CannotDetermineTargetDistroVersion(_)
            | libcnb::Error::CannotCreatePlatformFromPath(_)
            | libcnb::Error::CannotReadBuildpackPlan(_)
            | libcnb::Error::CannotReadBuildpackDescriptor(_)
            | libcnb::Error::CannotReadStore(_)
            | libcnb::Error::CannotWriteBuildPlan(_)
            | libcnb::Error::CannotWriteLaunch(_)
            | libcnb::Error::CannotWriteStore(_)
            | libcnb::Error::CannotWriteBuildSbom(_)
            | libcnb::Error::CannotWriteLaunchSbom(_) => {
                "the lifecycle's contract was broken".into()
            }
        };
        eprintln!("compat: error: {what}");
        eprintln!("compat: error message: {error}");
    }
}

fn describe_widget_error(error: &WidgetError) -> String {
    match error {
        WidgetError::ReadProject(error) => format!("couldn't read widget.toml: {error}"),
        WidgetError::RequireMetadata(error) => format!("couldn't write the build plan: {error}"),
        WidgetError::PlanMetadata(error) => format!("the buildpack plan is invalid: {error}"),
        WidgetError::InvalidVersion(version) => {
            format!("invalid widget version {version:?}: use digits and dots, such as 2.1.0")
        }
        WidgetError::Install(error) => format!("couldn't install widget: {error}"),
        WidgetError::WidgetCommand(error) => format!("widget didn't run: {error}"),
    }
}

fn describe_target(target: &Target) -> String {
    format!(
        "{}/{}{} on {} {}",
        target.os,
        target.arch,
        target
            .arch_variant
            .as_deref()
            .map(|variant| format!("/{variant}"))
            .unwrap_or_default(),
        target.distro_name,
        target.distro_version
    )
}

/// The request of the buildpack plan, and the version to install (`WIDGET_VERSION` in the
/// platform env overrides the app's).
fn resolve_request(
    context: &BuildContext<WidgetBuildpack>,
) -> libcnb::Result<(WidgetRequest, String), WidgetError> {
    let mut request = WidgetRequest::default();
    for entry in &context.buildpack_plan.entries {
        request = entry.metadata().map_err(WidgetError::PlanMetadata)?;
        println!("compat: plan: {} {request:?}", entry.name);
    }
    let version = (context.platform.env().get_string_lossy("WIDGET_VERSION"))
        .or(request.version.clone())
        .unwrap_or_else(|| {
            context
                .buildpack_descriptor
                .metadata
                .default_version
                .clone()
        });
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(WidgetError::InvalidVersion(version).into());
    }
    Ok((request, version))
}

fn launch(version: &str, worker: Option<ProcessType>) -> Launch {
    let mut launch = LaunchBuilder::new();
    launch
        .process(
            ProcessBuilder::new(process_type!("web"), ["widget", "serve"])
                .args(["--port", "$PORT"])
                .default(true)
                .build(),
        )
        .process(
            ProcessBuilder::new(process_type!("console"), ["widget"])
                .arg("console")
                .working_directory(WorkingDirectory::Directory("/workspace/console".into()))
                .build(),
        )
        .label(Label {
            key: "org.example.widget.version".into(),
            value: version.into(),
        });
    if let Some(worker) = worker {
        launch.process(ProcessBuilder::new(worker, ["widget", "work"]).build());
    }
    launch.build()
}

/// `<layer>.toml` metadata of the widget layer.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
struct WidgetLayerMetadata {
    version: String,
    arch: String,
    mirror: String,
}

/// What buildpack releases before 1.4 wrote for the widget layer.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct LegacyWidgetMetadata {
    widget_version: String,
    arch: String,
}

#[derive(Debug)]
enum WidgetMigration {
    Unreadable,
}

enum WidgetReuse {
    Cached,
    VersionChanged { from: String },
    TargetChanged,
    Damaged,
}

fn describe_reuse(reuse: &WidgetReuse) -> String {
    match reuse {
        WidgetReuse::Cached => "the requested version is cached".into(),
        WidgetReuse::VersionChanged { from } => {
            format!("the requested version changed from {from}")
        }
        WidgetReuse::TargetChanged => "the target architecture changed".into(),
        WidgetReuse::Damaged => "bin/widget is missing".into(),
    }
}

/// Invalid-metadata callback of the widget layer: `(action, cause)`.
fn migrate_widget_metadata(
    metadata: &GenericMetadata,
) -> (InvalidMetadataAction<WidgetLayerMetadata>, WidgetMigration) {
    let legacy = metadata
        .as_ref()
        .map(|table| (table.get("widget-version"), table.get("arch")));
    match legacy {
        Some((Some(toml::Value::String(version)), Some(toml::Value::String(arch)))) => {
            println!("compat: widget: migrating legacy metadata");
            let mirror = String::from("unknown");
            let migrated = WidgetLayerMetadata {
                version: version.clone(),
                arch: arch.clone(),
                mirror,
            };
            (
                InvalidMetadataAction::ReplaceMetadata(migrated),
                WidgetMigration::Unreadable,
            )
        }
        _ => (
            InvalidMetadataAction::DeleteLayer,
            WidgetMigration::Unreadable,
        ),
    }
}

fn install_widget(
    context: &BuildContext<WidgetBuildpack>,
    version: &str,
    legacy: bool,
) -> libcnb::Result<LayerEnv, WidgetError> {
    let mirror = &context.buildpack_descriptor.metadata.mirror;
    let inspect_widget = |metadata: &WidgetLayerMetadata,
                          layer_dir: &Path|
     -> Result<(RestoredLayerAction, WidgetReuse), WidgetError> {
        if !layer_dir.join("bin/widget").is_file() {
            Ok((RestoredLayerAction::DeleteLayer, WidgetReuse::Damaged))
        } else if metadata.version != version {
            let from = metadata.version.clone();
            Ok((
                RestoredLayerAction::DeleteLayer,
                WidgetReuse::VersionChanged { from },
            ))
        } else if metadata.arch != context.target.arch {
            Ok((RestoredLayerAction::DeleteLayer, WidgetReuse::TargetChanged))
        } else {
            Ok((RestoredLayerAction::KeepLayer, WidgetReuse::Cached))
        }
    };
    let layer = context.cached_layer(
        layer_name!("widget"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            #[cfg(not(feature = "lite"))]
            invalid_metadata_action: &migrate_widget_metadata,
            #[cfg(feature = "lite")]
            invalid_metadata: &migrate_widget_metadata,
            #[cfg(not(feature = "lite"))]
            restored_layer_action: &inspect_widget,
            #[cfg(feature = "lite")]
            inspect_restored: &inspect_widget,
        },
    )?;
    let metadata = WidgetLayerMetadata {
        version: version.to_string(),
        arch: context.target.arch.clone(),
        mirror: mirror.clone(),
    };
    match &layer.state {
        LayerState::Restored { cause } => {
            println!("compat: widget: restored: {}", describe_reuse(cause));
            // Layers migrated from legacy metadata don't know their mirror.
            layer.write_metadata(&metadata)?;
        }
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::NewlyCreated => println!("compat: widget: new layer"),
                EmptyLayerCause::InvalidMetadataAction { cause } => {
                    println!("compat: widget: metadata discarded ({cause:?})");
                }
                #[cfg(not(feature = "lite"))]
                EmptyLayerCause::RestoredLayerAction { cause } => {
                    println!("compat: widget: discarded: {}", describe_reuse(cause));
                }
                #[cfg(feature = "lite")]
                EmptyLayerCause::InspectRestoredAction { cause } => {
                    println!("compat: widget: discarded: {}", describe_reuse(cause));
                }
            }
            println!("compat: widget: installing {version} from {mirror}");
            create_widget(&layer, version)?;
            layer.write_metadata(&metadata)?;
        }
    }
    if legacy {
        let arch = context.target.arch.clone();
        layer.write_metadata(LegacyWidgetMetadata {
            widget_version: version.to_string(),
            arch,
        })?;
    }

    let layer_env = layer.read_env()?;
    let mut base = Env::new();
    base.insert("PATH", "/usr/bin:/bin")
        .insert("WIDGET_OPTS", "--quiet");
    let env = layer_env.apply(Scope::Build, &base);
    let mut names: Vec<String> = env
        .iter()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        println!(
            "compat: widget env: {name}={}",
            env.get_string_lossy(&name).unwrap_or_default()
        );
    }
    Ok(layer_env)
}

/// Installs widget into the empty layer: `bin/widget`, the env and the SBOMs.
fn create_widget(
    layer: &LayerRef<WidgetBuildpack, WidgetMigration, WidgetReuse>,
    version: &str,
) -> libcnb::Result<(), WidgetError> {
    let widget = layer.path().join("bin/widget");
    fs::create_dir_all(layer.path().join("bin")).map_err(WidgetError::Install)?;
    let script = format!("#!/bin/sh\necho \"widget {version} $WIDGET_OPTS\"\n");
    fs::write(&widget, script).map_err(WidgetError::Install)?;
    fs::set_permissions(&widget, fs::Permissions::from_mode(0o755))
        .map_err(WidgetError::Install)?;

    let home = layer.path();
    let mut env = LayerEnv::new();
    env.insert(
        Scope::All,
        ModificationBehavior::Override,
        "WIDGET_HOME",
        home,
    );
    env.insert(
        Scope::All,
        ModificationBehavior::Default,
        "WIDGET_VERSION",
        version,
    );
    let opts = "WIDGET_OPTS";
    env.insert(
        Scope::Build,
        ModificationBehavior::Append,
        opts,
        "--color=never",
    );
    env.insert(Scope::Build, ModificationBehavior::Delimiter, opts, " ");
    let plugins = "WIDGET_PLUGINS";
    env.insert(
        Scope::Launch,
        ModificationBehavior::Prepend,
        plugins,
        "core",
    );
    env.insert(Scope::Launch, ModificationBehavior::Delimiter, plugins, ":");
    layer.write_env(env)?;
    layer.write_sboms(&[
        Sbom::from_bytes(SbomFormat::CycloneDxJson, cyclonedx_json(version)),
        Sbom::from_bytes(SbomFormat::SyftJson, syft_json("widget", version)),
    ])
}

/// `<layer>.toml` metadata of the packages layer. `package-count` is an integer, which the
/// lifecycle's JSON round trip turns into a float.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct PackagesMetadata {
    checksum: String,
    package_count: u32,
}

/// Invalid-metadata callback of the packages layer: a bare action. Keeps metadata whose count
/// came back from the lifecycle as a float (the workaround for libcnb#473).
fn migrate_packages_metadata(
    metadata: &GenericMetadata,
) -> InvalidMetadataAction<PackagesMetadata> {
    let table = metadata.as_ref();
    let checksum = table
        .and_then(|table| table.get("checksum"))
        .and_then(toml::Value::as_str);
    let count = table
        .and_then(|table| table.get("package-count"))
        .and_then(toml::Value::as_float);
    match (checksum, count) {
        (Some(checksum), Some(count)) => {
            println!("compat: packages: metadata count came back as a float");
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a count"
            )]
            let package_count = count as u32;
            InvalidMetadataAction::ReplaceMetadata(PackagesMetadata {
                checksum: checksum.into(),
                package_count,
            })
        }
        _ => InvalidMetadataAction::DeleteLayer,
    }
}

/// Restored-layer callback of the packages layer: `Result<action, error>`.
fn inspect_packages(
    _metadata: &PackagesMetadata,
    layer_dir: &Path,
) -> Result<RestoredLayerAction, WidgetError> {
    match fs::metadata(layer_dir.join("packages.txt")) {
        Ok(_) => Ok(RestoredLayerAction::KeepLayer),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(RestoredLayerAction::DeleteLayer),
        Err(error) => Err(WidgetError::Install(error)),
    }
}

fn install_packages(
    context: &BuildContext<WidgetBuildpack>,
    packages: &[String],
    legacy: bool,
) -> libcnb::Result<(), WidgetError> {
    let layer = context.cached_layer(
        layer_name!("packages"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            #[cfg(not(feature = "lite"))]
            invalid_metadata_action: &migrate_packages_metadata,
            #[cfg(feature = "lite")]
            invalid_metadata: &migrate_packages_metadata,
            #[cfg(not(feature = "lite"))]
            restored_layer_action: &inspect_packages,
            #[cfg(feature = "lite")]
            inspect_restored: &inspect_packages,
        },
    )?;
    let checksum = format!(
        "{:016x}",
        packages
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, name| {
                name.bytes().fold(hash, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                })
            })
    );
    let state = match &layer.state {
        LayerState::Restored { cause: () } => "restored",
        LayerState::Empty {
            cause: EmptyLayerCause::NewlyCreated,
        } => "new",
        LayerState::Empty {
            cause: EmptyLayerCause::InvalidMetadataAction { cause: () },
        } => "invalid metadata",
        LayerState::Empty { cause: _ } => "damaged",
    };
    println!("compat: packages: {state}");
    let listed = fs::read_to_string(layer.path().join("packages.txt")).unwrap_or_default();
    if listed.lines().ne(packages.iter().map(String::as_str)) {
        println!("compat: packages: downloading {}", packages.join(", "));
        let listing = packages.join("\n") + "\n";
        fs::write(layer.path().join("packages.txt"), listing).map_err(WidgetError::Install)?;
        let package_count = u32::try_from(packages.len()).unwrap_or(u32::MAX);
        layer.write_metadata(PackagesMetadata {
            checksum,
            package_count,
        })?;
    }
    if legacy {
        let mut metadata = toml::Table::new();
        metadata.insert("packages".into(), packages.to_vec().into());
        layer.write_metadata(metadata)?;
    }
    Ok(())
}

/// `<layer>.toml` metadata of the toolchain layer (trait API).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct ToolchainMetadata {
    toolchain: String,
    patched: bool,
}

/// The toolchain layer, written with the deprecated trait API.
struct ToolchainLayer {
    version: String,
}

#[allow(deprecated)]
impl Layer for ToolchainLayer {
    type Buildpack = WidgetBuildpack;
    type Metadata = ToolchainMetadata;

    fn types(&self) -> LayerTypes {
        LayerTypes {
            launch: false,
            build: true,
            cache: true,
        }
    }

    fn create(
        &mut self,
        _context: &BuildContext<WidgetBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<ToolchainMetadata>, WidgetError> {
        println!("compat: toolchain: create {}", self.version);
        fs::write(layer_path.join("toolchain.txt"), &self.version).map_err(WidgetError::Install)?;
        LayerResultBuilder::new(ToolchainMetadata {
            toolchain: self.version.clone(),
            patched: false,
        })
        .env(LayerEnv::new().chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "WIDGET_TOOLCHAIN",
            &self.version,
        ))
        .sbom(Sbom::from_bytes(
            SbomFormat::SyftJson,
            syft_json("toolchain", &self.version),
        ))
        .build()
    }

    fn existing_layer_strategy(
        &mut self,
        _context: &BuildContext<WidgetBuildpack>,
        layer_data: &LayerData<ToolchainMetadata>,
    ) -> Result<ExistingLayerStrategy, WidgetError> {
        let metadata = &layer_data.content_metadata.metadata;
        println!(
            "compat: toolchain: restored {metadata:?}, types {:?}",
            layer_data.content_metadata.types
        );
        Ok(
            match (metadata.toolchain == self.version, metadata.patched) {
                (true, true) => ExistingLayerStrategy::Keep,
                (true, false) => ExistingLayerStrategy::Update,
                (false, _) => ExistingLayerStrategy::Recreate,
            },
        )
    }

    fn update(
        &mut self,
        _context: &BuildContext<WidgetBuildpack>,
        layer_data: &LayerData<ToolchainMetadata>,
    ) -> Result<LayerResult<ToolchainMetadata>, WidgetError> {
        let name: &str = &layer_data.name;
        println!("compat: toolchain: patching {name}");
        fs::write(layer_data.path.join("patched.txt"), "yes").map_err(WidgetError::Install)?;
        let metadata = ToolchainMetadata {
            patched: true,
            ..layer_data.content_metadata.metadata.clone()
        };
        LayerResultBuilder::new(metadata)
            .env(layer_data.env.clone())
            .build()
    }

    fn migrate_incompatible_metadata(
        &mut self,
        _context: &BuildContext<WidgetBuildpack>,
        metadata: &GenericMetadata,
    ) -> Result<MetadataMigration<ToolchainMetadata>, WidgetError> {
        let old = metadata
            .as_ref()
            .and_then(|table| table.get("release"))
            .and_then(toml::Value::as_str);
        println!("compat: toolchain: incompatible metadata, release {old:?}");
        Ok(old.map_or(MetadataMigration::RecreateLayer, |release| {
            MetadataMigration::ReplaceMetadata(ToolchainMetadata {
                toolchain: release.into(),
                patched: false,
            })
        }))
    }
}

/// What buildpack releases before 1.4 used for the toolchain layer.
struct LegacyToolchainLayer {
    release: String,
}

#[derive(Clone, Deserialize, Serialize)]
struct LegacyToolchainMetadata {
    release: String,
}

#[allow(deprecated)]
impl Layer for LegacyToolchainLayer {
    type Buildpack = WidgetBuildpack;
    type Metadata = LegacyToolchainMetadata;

    fn types(&self) -> LayerTypes {
        LayerTypes {
            launch: false,
            build: true,
            cache: true,
        }
    }

    fn create(
        &mut self,
        _context: &BuildContext<WidgetBuildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<LegacyToolchainMetadata>, WidgetError> {
        fs::write(layer_path.join("toolchain.txt"), &self.release).map_err(WidgetError::Install)?;
        LayerResultBuilder::new(LegacyToolchainMetadata {
            release: self.release.clone(),
        })
        .build()
    }
}

#[allow(deprecated)]
fn install_toolchain(
    context: &BuildContext<WidgetBuildpack>,
    version: &str,
    legacy: bool,
) -> libcnb::Result<(), WidgetError> {
    if legacy {
        context.handle_layer(
            layer_name!("toolchain"),
            LegacyToolchainLayer {
                release: version.into(),
            },
        )?;
        return Ok(());
    }
    let layer_data = context.handle_layer(
        layer_name!("toolchain"),
        ToolchainLayer {
            version: version.into(),
        },
    )?;
    println!(
        "compat: toolchain: {:?} at {}, env {:?}",
        layer_data.content_metadata.metadata,
        layer_data
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy(),
        layer_data
            .env
            .apply_to_empty(Scope::Build)
            .get_string_lossy("WIDGET_TOOLCHAIN"),
    );
    Ok(())
}

/// The uncached launch layer with process-specific env and an exec.d program. Returns the
/// worker's process type, when widget.toml names one.
fn write_profile(
    context: &BuildContext<WidgetBuildpack>,
    version: &str,
    worker: Option<&str>,
) -> libcnb::Result<Option<ProcessType>, WidgetError> {
    let worker = worker.map(str::parse::<ProcessType>).transpose()?;
    let layer = context.uncached_layer(
        layer_name!("profile"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    println!("compat: profile: {:?}", layer.state);
    let mut env = LayerEnv::new();
    env.insert(
        Scope::Process("web".into()),
        ModificationBehavior::Override,
        "WIDGET_MODE",
        "server",
    );
    if let Some(worker) = &worker {
        env.insert(
            Scope::Process(worker.to_string()),
            ModificationBehavior::Override,
            "WIDGET_MODE",
            "worker",
        );
    }
    env.insert(
        Scope::Launch,
        ModificationBehavior::Override,
        "WIDGET_PROFILE",
        version,
    );
    layer.write_env(env)?;
    let script = layer.path().join("widget-env");
    fs::write(&script, "#!/bin/sh\necho 'WIDGET_READY=\"true\"' >&3\n")
        .map_err(WidgetError::Install)?;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755))
        .map_err(WidgetError::Install)?;
    layer.write_exec_d_programs([("widget-env", script)])?;
    Ok(worker)
}

fn cyclonedx_json(version: &str) -> String {
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[{{"type":"application","name":"widget","version":"{version}"}}]}}"#
    )
}

fn spdx_json(version: &str) -> String {
    format!(r#"{{"spdxVersion":"SPDX-2.3","name":"widget-{version}","packages":[]}}"#)
}

fn syft_json(name: &str, version: &str) -> String {
    format!(r#"{{"artifacts":[{{"name":"{name}","version":"{version}"}}]}}"#)
}

buildpack_main!(WidgetBuildpack);
