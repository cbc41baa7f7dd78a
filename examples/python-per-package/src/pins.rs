//! Pinned requirements: when every requirement line of `requirements.txt` is `name==version`
//! (with or without `--hash`), a build compares the pins with the cached resolution and asks
//! pip only about the pins that changed (`--no-deps`), instead of running the resolver.
//!
//! The file must then be a complete lock, as `pip-compile` or `pip freeze` write it: the first
//! build resolves it with pip once and uses the pinned path only if the resolution has exactly
//! the pinned distributions. A bumped pin whose new version needs a distribution the file
//! does not list is not noticed: add it to the file, which adds a pin and resolves again.

use crate::names::NormalizedName;
use crate::requirements::logical_lines;

/// One `name==version` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pin {
    /// The PEP 503 normalised name.
    pub(crate) name: String,
    /// The pinned version, as written.
    pub(crate) version: String,
    /// The `--hash=sha256:` values (lower-case hex), if any.
    pub(crate) hashes: Vec<String>,
    /// The line as written, for a requirements file of the pins that changed.
    pub(crate) line: String,
}

/// What `requirements.txt` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirements {
    /// Every requirement is pinned; `options` are the option lines (index, find-links).
    Pinned {
        options: Vec<String>,
        pins: Vec<Pin>,
    },
    /// The first line that is not a pin or a plain option.
    NotPinned(String),
}

/// Options that say where artifacts come from, kept for the lookup of changed pins. Any
/// other option (`-r`, `-c`, `-e`, ...) leaves the file to the resolver.
const SOURCE_OPTIONS: [&str; 10] = [
    "--no-index",
    "--find-links",
    "-f",
    "--index-url",
    "-i",
    "--extra-index-url",
    "--trusted-host",
    "--prefer-binary",
    "--only-binary",
    "--pre",
];

/// Classifies the text of a requirements file.
pub(crate) fn classify(text: &str) -> Requirements {
    let mut options = Vec::new();
    let mut pins = Vec::new();
    for line in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            let first = line.split([' ', '=']).next().unwrap_or(line);
            let known = SOURCE_OPTIONS
                .iter()
                .any(|option| first == *option || (option.len() == 2 && first.starts_with(option)));
            if !known {
                return Requirements::NotPinned(line.to_string());
            }
            options.push(line.to_string());
            continue;
        }
        match pin(line) {
            Some(pin) => pins.push(pin),
            None => return Requirements::NotPinned(line.to_string()),
        }
    }
    Requirements::Pinned { options, pins }
}

/// `name[extras]==version [--hash=sha256:<hex>]...`, without markers or wildcards.
fn pin(line: &str) -> Option<Pin> {
    let mut tokens = line.split_whitespace();
    let spec = tokens.next()?;
    let (name, version) = spec.split_once("==")?;
    let name = name.split('[').next()?;
    let valid_version = !version.is_empty()
        && !version.starts_with('=')
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '-' | '_'));
    if !valid_version || line.contains(';') {
        return None;
    }
    let mut hashes = Vec::new();
    while let Some(token) = tokens.next() {
        let value = match token.strip_prefix("--hash") {
            Some("") => tokens.next()?,
            Some(rest) => rest.strip_prefix('=')?,
            None => return None,
        };
        let hex = value.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        hashes.push(hex.to_ascii_lowercase());
    }
    Some(Pin {
        name: NormalizedName::new(name)?.as_str().to_string(),
        version: version.to_string(),
        hashes,
        line: line.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::{Requirements, classify};

    const HASH: &str = "e8b6def7e7242ee232f96ee91875fa772c2f648248973831bd1488c03524fa93";

    #[test]
    fn a_lock_file_is_pinned() {
        let text = format!(
            "--no-index\n--find-links wheels  # local\n\nDemo.Web==1.0.0\n\
             demo-client[extra]==2.0.3 \\\n    --hash=sha256:{HASH}\n"
        );
        let Requirements::Pinned { options, pins } = classify(&text) else {
            panic!("not pinned")
        };
        assert_eq!(options, ["--no-index", "--find-links wheels"]);
        assert_eq!(pins[0].name, "demo-web");
        assert_eq!(pins[0].version, "1.0.0");
        assert_eq!(pins[1].name, "demo-client");
        assert_eq!(pins[1].hashes, [HASH]);
    }

    #[test]
    fn anything_else_goes_to_the_resolver() {
        for line in [
            "demo-web>=1.0",
            "demo-web==1.*",
            "demo-web==1.0 ; python_version < '3.9'",
            "-r other.txt",
            "-e .",
            "./local-dir",
            "demo-web==1.0 --hash=md5:abc",
        ] {
            assert_eq!(
                classify(&format!("demo-a==1.0\n{line}\n")),
                Requirements::NotPinned(line.trim().to_string()),
                "{line}"
            );
        }
    }
}
