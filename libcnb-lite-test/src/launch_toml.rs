//! `launch.toml`
//! ([spec](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#launchtoml-toml)):
//! processes, labels and slices, their validation, and how the
//! group's files merge (later buildpacks win).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::buildpack::BuildpackApi;
use crate::toml_error::TomlError;

/// A launch process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// The process type, e.g. `web`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// The command and its fixed arguments.
    pub command: Vec<String>,
    /// Default arguments, which user arguments replace.
    #[serde(default)]
    pub args: Vec<String>,
    /// Whether this is the default process.
    #[serde(default)]
    pub default: bool,
    /// Working dir, relative to the app dir unless absolute.
    #[serde(
        rename = "working-dir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// Execution environments this process is for (Buildpack API 0.12); empty means all.
    #[serde(rename = "exec-env", default, skip_serializing_if = "Vec::is_empty")]
    pub exec_env: Vec<String>,
    /// The buildpack that defined it.
    #[serde(rename = "buildpack-id", default)]
    pub buildpack_id: String,
}

/// An image label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Label {
    /// Label key.
    pub key: String,
    /// Label value.
    pub value: String,
}

/// What the lifecycle reads from one buildpack's `launch.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LaunchToml {
    /// `[[processes]]`.
    pub processes: Vec<Process>,
    /// `[[labels]]`.
    pub labels: Vec<Label>,
    /// The number of `[[slices]]` (accepted, but the app is exported as one layer).
    pub slices: usize,
}

/// A `launch.toml` is invalid.
#[derive(Debug, thiserror::Error)]
pub enum LaunchTomlError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not valid TOML or has the wrong shape.
    #[error("cannot parse {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: TomlError,
    },
    /// A rule of the Buildpack API is broken.
    #[error("invalid {path}: {rule}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The rule, e.g. `multiple default process types`.
        rule: String,
    },
}

#[derive(Deserialize)]
struct RawLaunch {
    #[serde(default)]
    processes: Vec<toml::Table>,
    #[serde(default)]
    labels: Vec<Label>,
    #[serde(default)]
    slices: Vec<toml::Value>,
}

impl LaunchToml {
    /// Reads and validates `<layers>/<bp>/launch.toml`; a missing file is empty.
    ///
    /// # Errors
    ///
    /// Fails on invalid TOML, more than one default process, `direct` (API ≥ 0.9), a
    /// non-array `command` (API ≥ 0.9) or a missing process type.
    pub(crate) fn read(
        path: &Path,
        api: BuildpackApi,
        buildpack_id: &str,
    ) -> Result<Self, LaunchTomlError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(LaunchTomlError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let raw: RawLaunch = toml::from_str(&text).map_err(|source| LaunchTomlError::Parse {
            path: path.to_path_buf(),
            source: TomlError::new(&text, &source),
        })?;
        let invalid = |rule: String| LaunchTomlError::Invalid {
            path: path.to_path_buf(),
            rule,
        };
        let modern = api.at_least(0, 9);
        let mut processes = Vec::new();
        for mut table in raw.processes {
            if modern && table.contains_key("direct") {
                return Err(invalid(
                    "`direct` is not allowed for Buildpack API >= 0.9".into(),
                ));
            }
            let command = match table.remove("command") {
                Some(toml::Value::Array(items)) => items
                    .into_iter()
                    .map(|item| match item {
                        toml::Value::String(s) => Ok(s),
                        _ => Err(invalid("`command` must be an array of strings".into())),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Some(toml::Value::String(command)) if !modern => vec![command],
                _ => return Err(invalid("`command` must be an array of strings".into())),
            };
            table.insert(
                "command".into(),
                toml::Value::Array(command.into_iter().map(toml::Value::String).collect()),
            );
            let mut process: Process =
                toml::Value::Table(table)
                    .try_into()
                    .map_err(|error: toml::de::Error| {
                        invalid(format!(
                            "invalid process: {}",
                            TomlError::without_input(&error)
                        ))
                    })?;
            buildpack_id.clone_into(&mut process.buildpack_id);
            processes.push(process);
        }
        if processes.iter().filter(|p| p.default).count() > 1 {
            return Err(invalid("multiple default process types".into()));
        }
        Ok(Self {
            processes,
            labels: raw.labels,
            slices: raw.slices.len(),
        })
    }
}

/// The group's processes and labels, merged in build order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LaunchConfig {
    /// Processes by type; a later buildpack's process replaces an earlier one.
    pub processes: BTreeMap<String, Process>,
    /// The default process type, if any.
    pub default_process: Option<String>,
    /// Labels; later buildpacks win.
    pub labels: BTreeMap<String, String>,
}

impl LaunchConfig {
    /// Merges one buildpack's `launch.toml`, returning warnings (`phase/builder.go processMap`).
    pub(crate) fn add(&mut self, launch: LaunchToml) -> Vec<String> {
        let mut warnings = Vec::new();
        for process in launch.processes {
            if process.default {
                self.default_process = Some(process.r#type.clone());
            } else if self.default_process.as_deref() == Some(process.r#type.as_str()) {
                warnings.push(format!(
                    "redefining the following default process type with a process not marked as default: {}",
                    process.r#type
                ));
                self.default_process = None;
            }
            self.processes.insert(process.r#type.clone(), process);
        }
        for label in launch.labels {
            self.labels.insert(label.key, label.value);
        }
        warnings
    }

    /// Checks process types for characters the exporter rejects (`/><:|&\`).
    ///
    /// # Errors
    ///
    /// Returns the offending process type.
    pub(crate) fn validate(&self) -> Result<(), String> {
        match self
            .processes
            .keys()
            .find(|t| t.is_empty() || t.contains(['/', '>', '<', ':', '|', '&', '\\']))
        {
            Some(bad) => Err(bad.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: BuildpackApi = BuildpackApi {
        major: 0,
        minor: 10,
    };

    fn read(text: &str) -> Result<LaunchToml, LaunchTomlError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("launch.toml");
        fs::write(&path, text).unwrap();
        LaunchToml::read(&path, API, "a/b")
    }

    #[test]
    fn processes_are_read() {
        let launch = read(
            "[[processes]]\ntype = \"web\"\ncommand = [\"serve\", \"-p\"]\nargs = [\"80\"]\ndefault = true\n[[labels]]\nkey = \"k\"\nvalue = \"v\"\n[[slices]]\npaths = [\"a\"]\n",
        )
        .unwrap();
        assert_eq!(launch.processes[0].command, ["serve", "-p"]);
        assert_eq!(launch.processes[0].buildpack_id, "a/b");
        assert_eq!(launch.labels[0].value, "v");
        assert_eq!(launch.slices, 1);
    }

    #[test]
    fn rules_are_enforced() {
        let two_defaults = "[[processes]]\ntype = \"a\"\ncommand = [\"x\"]\ndefault = true\n[[processes]]\ntype = \"b\"\ncommand = [\"y\"]\ndefault = true\n";
        assert!(
            read(two_defaults)
                .unwrap_err()
                .to_string()
                .contains("multiple default")
        );
        assert!(read("[[processes]]\ntype = \"a\"\ncommand = \"x\"\n").is_err());
        assert!(read("[[processes]]\ntype = \"a\"\ncommand = [\"x\"]\ndirect = true\n").is_err());
    }

    #[test]
    fn later_buildpacks_win_and_redefinition_clears_default() {
        let process = |t: &str, default: bool, cmd: &str| Process {
            r#type: t.into(),
            command: vec![cmd.into()],
            args: vec![],
            default,
            working_dir: None,
            exec_env: vec![],
            buildpack_id: String::new(),
        };
        let mut config = LaunchConfig::default();
        config.add(LaunchToml {
            processes: vec![process("web", true, "first")],
            ..LaunchToml::default()
        });
        let warnings = config.add(LaunchToml {
            processes: vec![process("web", false, "second")],
            ..LaunchToml::default()
        });
        assert_eq!(config.processes["web"].command, ["second"]);
        assert_eq!(config.default_process, None);
        assert_eq!(warnings.len(), 1);
        config.add(LaunchToml {
            processes: vec![process("a:b", false, "x")],
            ..LaunchToml::default()
        });
        assert_eq!(config.validate(), Err("a:b".to_string()));
    }
}
