//! `launch.toml`: the processes, labels and slices of the app image.
//!
//! Models the spec's
//! [launch.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#launchtoml-toml).
//! The per-process `exec-env` key of Buildpack API 0.12 is not supported, as in upstream
//! libcnb-data: [`Process`] keeps upstream's fields so that its struct literals compile
//! unchanged, and a `launch.toml` with `exec-env` is rejected as having an unknown field.

use crate::internals::bytes;
use crate::newtype::validated_name;
use serde::{Deserialize, Serialize, Serializer};
use std::path::PathBuf;

/// The contents of `launch.toml`.
///
/// Build one with [`LaunchBuilder`]. Empty lists are left out when serialized, so
/// `Launch::default()` serializes to an empty document.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::{Launch, LaunchBuilder, ProcessBuilder};
/// use libcnb_lite_data::process_type;
///
/// let launch: Launch = LaunchBuilder::new()
///     .process(ProcessBuilder::new(process_type!("web"), ["bundle", "exec", "puma"]).build())
///     .build();
///
/// assert_eq!(
///     toml::to_string(&launch)?,
///     "[[processes]]\ntype = \"web\"\ncommand = [\"bundle\", \"exec\", \"puma\"]\n"
/// );
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Deserialize, Serialize, Clone, Debug, Default, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Launch {
    /// Labels to add to the app image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// The processes the app image can run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Process>,
    /// Groups of app files to put in their own image layers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<Slice>,
}

/// A non-consuming builder for [`Launch`] values.
///
/// Every method takes `&mut self` and returns `&mut Self`, as in upstream libcnb, so calls chain
/// on a temporary and a builder can also be kept in a variable and added to in a loop.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::{Label, LaunchBuilder, ProcessBuilder};
/// use libcnb_lite_data::process_type;
///
/// let mut builder = LaunchBuilder::new();
/// for (name, command) in [("web", "web-server"), ("worker", "worker")] {
///     builder.process(ProcessBuilder::new(name.parse()?, [command]).build());
/// }
/// builder.label(Label { key: "team".into(), value: "buildpacks".into() });
///
/// let launch = builder.build();
/// assert_eq!(launch.processes.len(), 2);
/// assert_eq!(launch.labels[0].key, "team");
/// # Ok::<(), libcnb_lite_data::launch::ProcessTypeError>(())
/// ```
#[derive(Debug, Default)]
pub struct LaunchBuilder {
    launch: Launch,
}

impl LaunchBuilder {
    /// Creates a builder for an empty [`Launch`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a process.
    pub fn process<P: Into<Process>>(&mut self, process: P) -> &mut Self {
        self.launch.processes.push(process.into());
        self
    }

    /// Adds several processes.
    pub fn processes<I: IntoIterator<Item = P>, P: Into<Process>>(
        &mut self,
        processes: I,
    ) -> &mut Self {
        for process in processes {
            self.process(process);
        }
        self
    }

    /// Adds a label.
    pub fn label<L: Into<Label>>(&mut self, label: L) -> &mut Self {
        self.launch.labels.push(label.into());
        self
    }

    /// Adds several labels.
    pub fn labels<I: IntoIterator<Item = L>, L: Into<Label>>(&mut self, labels: I) -> &mut Self {
        for label in labels {
            self.label(label);
        }
        self
    }

    /// Adds a slice.
    pub fn slice<S: Into<Slice>>(&mut self, slice: S) -> &mut Self {
        self.launch.slices.push(slice.into());
        self
    }

    /// Adds several slices.
    pub fn slices<I: IntoIterator<Item = S>, S: Into<Slice>>(&mut self, slices: I) -> &mut Self {
        for slice in slices {
            self.slice(slice);
        }
        self
    }

    /// Returns the [`Launch`] built so far (a clone, so the builder stays usable).
    #[must_use]
    pub fn build(&self) -> Launch {
        self.launch.clone()
    }
}

/// A label to add to the app image.
#[derive(Deserialize, Serialize, Clone, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// The label key.
    pub key: String,
    /// The label value.
    pub value: String,
}

/// A process the app image can run.
///
/// Serialized with the keys in this order: `type`, `command`, `args` (left out when empty),
/// `default` (left out when `false`) and `working-dir` (left out for the app directory).
/// Buildpack API 0.12's `exec-env` key is not supported (see the [module docs](crate::launch)).
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::{Process, WorkingDirectory};
///
/// let process: Process = toml::from_str(r#"
/// type = "web"
/// command = ["java", "-jar", "app.jar"]
/// default = true
/// working-dir = "dist"
/// "#)?;
/// assert!(process.default);
/// assert_eq!(process.working_directory, WorkingDirectory::Directory("dist".into()));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// The process type, such as `web`.
    pub r#type: ProcessType,
    /// The command and its fixed arguments.
    pub command: Vec<String>,
    /// Arguments that the user may override when running the image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Whether this is the buildpack's default process.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// The directory the process starts in (`working-dir`).
    #[serde(
        rename = "working-dir",
        default,
        skip_serializing_if = "WorkingDirectory::is_app"
    )]
    pub working_directory: WorkingDirectory,
}

/// The working directory of a [`Process`].
///
/// Serializes as `"."` for [`App`](Self::App) and as the path otherwise; [`Process`] leaves
/// the key out for `App`. Deserializing mirrors upstream libcnb: any string, including `"."`,
/// becomes [`Directory`](Self::Directory) (the spec resolves relative paths against the app
/// directory, so `Directory(".")` means the same place as `App`).
#[derive(Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(untagged)]
pub enum WorkingDirectory {
    /// The app directory, the spec's default.
    #[default]
    App,
    /// A directory; a relative path is relative to the app directory.
    Directory(PathBuf),
}

impl WorkingDirectory {
    /// Whether this is [`WorkingDirectory::App`].
    #[must_use]
    pub fn is_app(&self) -> bool {
        matches!(self, Self::App)
    }
}

// A derived untagged Serialize would write `App` as nothing at all; it must be a string.
impl Serialize for WorkingDirectory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::App => serializer.serialize_str("."),
            Self::Directory(path) => path.serialize(serializer),
        }
    }
}

/// A non-consuming builder for [`Process`] values.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::{ProcessBuilder, WorkingDirectory};
/// use libcnb_lite_data::process_type;
///
/// let process = ProcessBuilder::new(process_type!("web"), ["java"])
///     .arg("-jar")
///     .arg("target/application-1.0.0.jar")
///     .default(true)
///     .working_directory(WorkingDirectory::Directory("app".into()))
///     .build();
///
/// assert_eq!(
///     toml::to_string(&process)?,
///     "type = \"web\"\ncommand = [\"java\"]\nargs = [\"-jar\", \"target/application-1.0.0.jar\"]\n\
///      default = true\nworking-dir = \"app\"\n"
/// );
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Debug)]
pub struct ProcessBuilder {
    process: Process,
}

impl ProcessBuilder {
    /// Starts a process of type `r#type` that runs `command`, with no user-overridable
    /// arguments, `default = false` and the app directory as working directory.
    pub fn new(r#type: ProcessType, command: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            process: Process {
                r#type,
                command: command.into_iter().map(Into::into).collect(),
                args: Vec::new(),
                default: false,
                working_directory: WorkingDirectory::App,
            },
        }
    }

    /// Adds one user-overridable argument.
    ///
    /// Each call adds exactly one argument: `.arg("-C").arg("/path")`, not `.arg("-C /path")`.
    /// See [`args`](Self::args) to add several.
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.process.args.push(arg.into());
        self
    }

    /// Adds several user-overridable arguments.
    pub fn args(&mut self, args: impl IntoIterator<Item = impl Into<String>>) -> &mut Self {
        for arg in args {
            self.arg(arg);
        }
        self
    }

    /// Sets whether this is the buildpack's default process.
    pub fn default(&mut self, value: bool) -> &mut Self {
        self.process.default = value;
        self
    }

    /// Sets the working directory.
    pub fn working_directory(&mut self, value: WorkingDirectory) -> &mut Self {
        self.process.working_directory = value;
        self
    }

    /// Returns the [`Process`] built so far (a clone, so the builder stays usable).
    #[must_use]
    pub fn build(&self) -> Process {
        self.process.clone()
    }
}

/// A group of app files that the exporter puts in a layer of its own.
#[derive(Deserialize, Serialize, Clone, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Slice {
    /// Globs (serialized as `paths`) of files and directories in the app directory, in the
    /// [Go `filepath.Match` syntax](https://pkg.go.dev/path/filepath#Match).
    #[serde(rename = "paths")]
    pub path_globs: Vec<String>,
}

/// The type of a process, such as `web` or `worker`.
///
/// It is not empty and contains only ASCII letters and digits, `.`, `_` and `-` (see
/// [`ProcessTypeRule`]).
///
/// Use the [`process_type!`](crate::process_type) macro for a literal, which is checked at
/// compile time. Parse any other string with [`str::parse`].
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::{ProcessType, ProcessTypeRule};
/// use libcnb_lite_data::process_type;
///
/// let from_literal = process_type!("web");
/// let from_dynamic: ProcessType = "web".parse()?;
/// assert_eq!(from_dynamic, from_literal);
///
/// let error = "web/1".parse::<ProcessType>().unwrap_err();
/// assert_eq!(error.rule(), Some(ProcessTypeRule::InvalidCharacter));
/// # Ok::<(), libcnb_lite_data::launch::ProcessTypeError>(())
/// ```
#[derive(Debug, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, Serialize)]
pub struct ProcessType(String);

/// A rule that a [`ProcessType`] must follow.
///
/// [`ProcessTypeError::rule`] says which one a string broke.
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum ProcessTypeRule {
    /// The process type is empty.
    Empty,
    /// The process type contains a character other than an ASCII letter or digit, `.`, `_` or
    /// `-`.
    InvalidCharacter,
}

impl ProcessTypeRule {
    /// Explains the rule, for error messages.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "a process type must not be empty",
            Self::InvalidCharacter => {
                "a process type may only contain ASCII letters and digits, `.`, `_` and `-`"
            }
        }
    }
}

impl ProcessType {
    /// Checks `value` against the process type rules, without allocating.
    ///
    /// This is the one implementation behind [`process_type!`](crate::process_type) (at compile
    /// time), [`FromStr`](std::str::FromStr) and `Deserialize`.
    ///
    /// # Errors
    ///
    /// Returns the first [`ProcessTypeRule`] that `value` breaks.
    pub const fn validate(value: &str) -> Result<(), ProcessTypeRule> {
        let value = value.as_bytes();
        if value.is_empty() {
            return Err(ProcessTypeRule::Empty);
        }
        if !bytes::all_alphanumeric_or(value, b"._-") {
            return Err(ProcessTypeRule::InvalidCharacter);
        }
        Ok(())
    }
}

validated_name! {
    name: ProcessType,
    error: ProcessTypeError,
    rule: ProcessTypeRule,
    what: "process type",
    macro: "process_type",
}

/// Constructs a [`ProcessType`](crate::launch::ProcessType) from a string literal, checked at
/// compile time.
///
/// An invalid literal is a compile error that names the rule it broke. The check is a
/// `const fn` ([`ProcessType::validate`](crate::launch::ProcessType::validate)), the same one
/// that `parse` uses.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::launch::ProcessType;
/// use libcnb_lite_data::process_type;
///
/// let web: ProcessType = process_type!("web");
/// assert_eq!(web.as_str(), "web");
/// ```
///
/// ```compile_fail
/// let web = libcnb_lite_data::process_type!("web server");
/// ```
#[macro_export]
macro_rules! process_type {
    ($value:expr $(,)?) => {
        $crate::__validated_literal!($crate::launch::ProcessType, $value)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(r#type: ProcessType, command: &str) -> Process {
        ProcessBuilder::new(r#type, [command]).build()
    }

    #[test]
    fn launch_builder_collects_in_order() {
        let launch = LaunchBuilder::new()
            .process(process(process_type!("web"), "web_command"))
            .processes([
                process(process_type!("another"), "another_command"),
                process(process_type!("worker"), "worker_command"),
            ])
            .label(Label {
                key: String::from("a"),
                value: String::from("1"),
            })
            .labels([Label {
                key: String::from("b"),
                value: String::from("2"),
            }])
            .slice(Slice {
                path_globs: vec![String::from("static/**")],
            })
            .slices([Slice {
                path_globs: Vec::new(),
            }])
            .build();

        assert_eq!(
            launch
                .processes
                .iter()
                .map(|process| process.r#type.as_str())
                .collect::<Vec<_>>(),
            ["web", "another", "worker"]
        );
        assert_eq!(
            launch
                .labels
                .iter()
                .map(|label| label.key.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(launch.slices.len(), 2);
    }

    #[test]
    fn builders_stay_usable_after_build() {
        let mut builder = ProcessBuilder::new(process_type!("web"), ["java"]);
        let first = builder.build();
        builder.default(true);
        assert!(!first.default);
        assert!(builder.build().default);
    }

    #[test]
    fn process_type_validation() {
        assert!("web".parse::<ProcessType>().is_ok());
        assert!("Abc123._-".parse::<ProcessType>().is_ok());
        for invalid in ["worker/foo", "worker:foo", "worker foo", "wörker"] {
            assert_eq!(
                invalid.parse::<ProcessType>().unwrap_err().rule(),
                Some(ProcessTypeRule::InvalidCharacter)
            );
        }
        let error = "".parse::<ProcessType>().unwrap_err();
        assert_eq!(error.rule(), Some(ProcessTypeRule::Empty));
        assert_eq!(error.to_string(), "Invalid Value: ");
        assert_eq!(
            error.rule().unwrap().to_string(),
            "a process type must not be empty"
        );
        let error = "a b".parse::<ProcessType>().unwrap_err();
        assert_eq!(error.to_string(), "Invalid Value: a b");
        assert_eq!(
            error.rule().unwrap().to_string(),
            "a process type may only contain ASCII letters and digits, `.`, `_` and `-`"
        );
    }

    #[test]
    fn minimal_process_serialization() {
        assert_eq!(
            toml::to_string(&process(process_type!("web"), "foo")).unwrap(),
            "type = \"web\"\ncommand = [\"foo\"]\n"
        );
    }

    #[test]
    fn full_process_serialization_keeps_key_order() {
        let process = ProcessBuilder::new(process_type!("web"), ["foo"])
            .args(["a"])
            .default(true)
            .working_directory(WorkingDirectory::Directory(PathBuf::from("dist")))
            .build();
        assert_eq!(
            toml::to_string(&process).unwrap(),
            "type = \"web\"\ncommand = [\"foo\"]\nargs = [\"a\"]\ndefault = true\nworking-dir = \"dist\"\n"
        );
    }

    #[test]
    fn process_defaults_when_deserialized() {
        assert_eq!(
            toml::from_str::<Process>("type = \"web\"\ncommand = [\"foo\"]"),
            Ok(process(process_type!("web"), "foo"))
        );
    }

    #[test]
    fn working_directory_serialization() {
        #[derive(Serialize)]
        struct Holder {
            dir: WorkingDirectory,
        }
        for (dir, expected) in [
            (WorkingDirectory::App, "."),
            (WorkingDirectory::Directory(PathBuf::from("/")), "/"),
            (
                WorkingDirectory::Directory(PathBuf::from("/foo/bar")),
                "/foo/bar",
            ),
            (
                WorkingDirectory::Directory(PathBuf::from("relative/foo")),
                "relative/foo",
            ),
        ] {
            assert_eq!(
                toml::to_string(&Holder { dir }).unwrap(),
                format!("dir = \"{expected}\"\n")
            );
        }
    }

    #[test]
    fn working_directory_dot_deserializes_to_directory() {
        // Upstream quirk, mirrored: "." is a Directory, not App.
        let process =
            toml::from_str::<Process>("type = \"web\"\ncommand = [\"foo\"]\nworking-dir = \".\"")
                .unwrap();
        assert_eq!(
            process.working_directory,
            WorkingDirectory::Directory(PathBuf::from("."))
        );
    }

    #[test]
    fn process_type_macro_accepts_a_const() {
        const WEB: &str = "web";
        assert_eq!(process_type!(WEB), "web".parse::<ProcessType>().unwrap());
    }
}
