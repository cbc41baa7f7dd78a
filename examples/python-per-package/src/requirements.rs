//! What pip's resolution of `requirements.txt` depends on, as far as files are concerned: the
//! requirements file itself, the files it includes with `-r`/`-c`, and the contents of the
//! local `--find-links` directories. These go into the resolution cache key
//! ([`crate::resolution::ResolutionKey`]).
//!
//! This is not a requirements parser: pip parses the file. It only scans for the options that
//! point at other files, the way pip reads them: comments start at a `#` at the start of a line
//! or after whitespace, a line ending in `\` continues on the next, an option's value follows
//! a space or `=` (or directly, for short options), and relative paths are relative to the
//! including file's directory. A relative `--find-links` is looked up there first and then in
//! the app directory, which is pip's working directory.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// How deep `-r`/`-c` includes are followed; pip has no limit, but a cycle must end.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Reads `requirements` (relative to `app_dir` or absolute) and everything it points at, and
/// returns one line per input, in a stable order, for the resolution cache key.
///
/// An included file or find-links directory that doesn't exist is recorded as missing (pip
/// will report it when it resolves), so a file that appears later changes the key.
///
/// # Errors
///
/// [`ReadInputError`] if the requirements file, an included file or a find-links directory
/// exists but can't be read.
pub(crate) fn key_inputs(
    app_dir: &Path,
    requirements: &Path,
) -> Result<Vec<String>, ReadInputError> {
    let mut inputs = Vec::new();
    let mut visited = BTreeSet::new();
    let path = app_dir.join(requirements);
    let text = fs::read(&path).map_err(|error| with_path(&path, error))?;
    scan_file(app_dir, &path, &text, 0, &mut visited, &mut inputs)?;
    Ok(inputs)
}

fn scan_file(
    app_dir: &Path,
    path: &Path,
    bytes: &[u8],
    depth: usize,
    visited: &mut BTreeSet<PathBuf>,
    inputs: &mut Vec<String>,
) -> Result<(), ReadInputError> {
    inputs.push(format!(
        "file {} sha256:{}",
        path.display(),
        hex_sha256(bytes)
    ));
    if !visited.insert(path.to_path_buf()) || depth >= MAX_INCLUDE_DEPTH {
        return Ok(());
    }
    let base_dir = path.parent().unwrap_or(app_dir);
    let text = String::from_utf8_lossy(bytes);
    for option in file_options(&text) {
        match option {
            FileOption::Include(value) => {
                if is_url(&value) {
                    inputs.push(format!("include-url {value}"));
                    continue;
                }
                let included = base_dir.join(&value);
                match fs::read(&included) {
                    Ok(bytes) => scan_file(app_dir, &included, &bytes, depth + 1, visited, inputs)?,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        inputs.push(format!("file {} missing", included.display()));
                    }
                    Err(error) => return Err(with_path(&included, error)),
                }
            }
            FileOption::FindLinks(value) => {
                if is_url(&value) {
                    inputs.push(format!("find-links-url {value}"));
                    continue;
                }
                let candidate = base_dir.join(&value);
                let dir = if candidate.exists() {
                    candidate
                } else {
                    app_dir.join(&value)
                };
                inputs.push(find_links_input(&dir)?);
            }
        }
    }
    Ok(())
}

/// A find-links location: a directory is its sorted file names and sizes (pip picks
/// artifacts by file name; an artifact is replaced by a new version, not rewritten in
/// place), a file its hash.
fn find_links_input(path: &Path) -> Result<String, ReadInputError> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(format!("find-links {} missing", path.display()));
        }
        Err(error) => return Err(with_path(path, error)),
    };
    if metadata.is_file() {
        let bytes = fs::read(path).map_err(|error| with_path(path, error))?;
        return Ok(format!(
            "find-links {} sha256:{}",
            path.display(),
            hex_sha256(&bytes)
        ));
    }

    let mut entries = Vec::new();
    for entry in fs::read_dir(path).map_err(|error| with_path(path, error))? {
        let entry = entry.map_err(|error| with_path(path, error))?;
        let size = entry
            .metadata()
            .map_err(|error| with_path(&entry.path(), error))?
            .len();
        entries.push(format!("{}:{size}", entry.file_name().to_string_lossy()));
    }
    entries.sort();
    Ok(format!(
        "find-links {} {}",
        path.display(),
        entries.join(" ")
    ))
}

/// An option of a requirements file that points at another file or directory.
#[derive(Debug, PartialEq, Eq)]
enum FileOption {
    /// `-r`/`--requirement` or `-c`/`--constraint`.
    Include(String),
    /// `-f`/`--find-links`.
    FindLinks(String),
}

fn file_options(text: &str) -> Vec<FileOption> {
    let mut options = Vec::new();
    for line in logical_lines(text) {
        let mut tokens = line.split_whitespace();
        while let Some(token) = tokens.next() {
            let Some((kind, inline_value)) = split_option(token) else {
                continue;
            };
            let value = match inline_value {
                Some(value) => value.to_string(),
                None => match tokens.next() {
                    Some(value) => value.to_string(),
                    None => continue,
                },
            };
            options.push(match kind {
                OptionKind::Include => FileOption::Include(value),
                OptionKind::FindLinks => FileOption::FindLinks(value),
            });
        }
    }
    options
}

#[derive(Clone, Copy)]
enum OptionKind {
    Include,
    FindLinks,
}

/// Recognises `-r x`, `-rx`, `--requirement x`, `--requirement=x` and the same forms of
/// `-c`/`--constraint` and `-f`/`--find-links`.
fn split_option(token: &str) -> Option<(OptionKind, Option<&str>)> {
    const LONG: [(&str, OptionKind); 3] = [
        ("--requirement", OptionKind::Include),
        ("--constraint", OptionKind::Include),
        ("--find-links", OptionKind::FindLinks),
    ];
    const SHORT: [(&str, OptionKind); 3] = [
        ("-r", OptionKind::Include),
        ("-c", OptionKind::Include),
        ("-f", OptionKind::FindLinks),
    ];
    for (name, kind) in LONG {
        if token == name {
            return Some((kind, None));
        }
        if let Some(value) = token
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
        {
            return Some((kind, Some(value)));
        }
    }
    if token.starts_with("--") {
        return None;
    }
    for (name, kind) in SHORT {
        if token == name {
            return Some((kind, None));
        }
        if let Some(value) = token.strip_prefix(name) {
            return Some((kind, Some(value.strip_prefix('=').unwrap_or(value))));
        }
    }
    None
}

/// Joins continuation lines and strips comments, as pip's `req_file.py` does.
pub(crate) fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(continued) = line.strip_suffix('\\') {
            current.push_str(continued);
            continue;
        }
        current.push_str(line);
        lines.push(strip_comment(&current).to_string());
        current.clear();
    }
    if !current.is_empty() {
        lines.push(strip_comment(&current).to_string());
    }
    lines
}

fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (index, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return &line[..index];
        }
        previous_is_space = c.is_whitespace();
    }
    line
}

fn is_url(value: &str) -> bool {
    value.contains("://")
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn with_path(path: &Path, source: io::Error) -> ReadInputError {
    ReadInputError {
        path: path.to_path_buf(),
        source,
    }
}

/// An input of the resolution exists but can't be read.
#[derive(Debug, thiserror::Error)]
#[error("couldn't read {}", path.display())]
pub(crate) struct ReadInputError {
    path: PathBuf,
    source: io::Error,
}

#[cfg(test)]
mod tests {
    use super::{FileOption, file_options, key_inputs, logical_lines};
    use std::fs;

    #[test]
    fn finds_file_options_in_every_spelling() {
        let text = "\
--no-index
--find-links wheels   # local wheels
-f=more
-rbase.txt
--requirement other.txt
--constraint=constraints.txt
-c pins.txt
demo-core==1.2.0 --hash=sha256:abc
# -r commented.txt
name-with-#hash-inside==1.0
--find-links \\
    continued
";
        assert_eq!(
            file_options(text),
            [
                FileOption::FindLinks("wheels".into()),
                FileOption::FindLinks("more".into()),
                FileOption::Include("base.txt".into()),
                FileOption::Include("other.txt".into()),
                FileOption::Include("constraints.txt".into()),
                FileOption::Include("pins.txt".into()),
                FileOption::FindLinks("continued".into()),
            ]
        );
    }

    #[test]
    fn comments_start_at_line_start_or_after_whitespace() {
        assert_eq!(logical_lines("a # b\n#c\nd#e\n"), ["a ", "", "d#e"]);
    }

    #[test]
    fn key_inputs_cover_includes_and_find_links_contents() {
        let app = tempfile::tempdir().unwrap();
        let app_dir = app.path();
        fs::create_dir(app_dir.join("wheels")).unwrap();
        fs::write(app_dir.join("wheels/a-1.0-py3-none-any.whl"), "12345").unwrap();
        fs::write(app_dir.join("base.txt"), "demo-core\n").unwrap();
        fs::write(
            app_dir.join("requirements.txt"),
            "--find-links wheels\n-r base.txt\n-c missing.txt\n",
        )
        .unwrap();

        let inputs = key_inputs(app_dir, "requirements.txt".as_ref()).unwrap();
        assert_eq!(inputs.len(), 4, "{inputs:?}");
        assert!(
            inputs[1].ends_with("wheels a-1.0-py3-none-any.whl:5"),
            "{inputs:?}"
        );
        assert!(inputs[2].contains("base.txt sha256:"), "{inputs:?}");
        assert!(inputs[3].ends_with("missing.txt missing"), "{inputs:?}");

        // A new artifact in the find-links directory changes the inputs.
        fs::write(app_dir.join("wheels/a-1.1-py3-none-any.whl"), "123456").unwrap();
        assert_ne!(
            key_inputs(app_dir, "requirements.txt".as_ref()).unwrap(),
            inputs
        );
    }

    #[test]
    fn include_cycles_end() {
        let app = tempfile::tempdir().unwrap();
        fs::write(app.path().join("a.txt"), "-r b.txt\n").unwrap();
        fs::write(app.path().join("b.txt"), "-r a.txt\n").unwrap();
        let inputs = key_inputs(app.path(), "a.txt".as_ref()).unwrap();
        assert_eq!(inputs.len(), 3, "{inputs:?}");
    }

    #[test]
    fn a_missing_requirements_file_is_an_error_naming_it() {
        let app = tempfile::tempdir().unwrap();
        let error = key_inputs(app.path(), "requirements.txt".as_ref()).unwrap_err();
        assert!(error.to_string().contains("requirements.txt"), "{error}");
    }
}
