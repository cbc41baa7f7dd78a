//! TOML parse errors that name the line and column and quote little: a buildpack's file may
//! hold megabytes on one line, and `toml`'s own message quotes the whole line (and a value
//! that has the wrong type, in full).

use std::fmt::Write as _;

/// How many bytes of the input line an error quotes on each side of the error.
const EXCERPT_SIDE: usize = 80;
/// How many bytes of the parser's message an error keeps (it may quote a value).
const MESSAGE_LIMIT: usize = 1024;

/// A file that is not valid TOML, or not of the expected shape.
///
/// Its text is at most a few KiB, whatever the size of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.text)]
pub struct TomlError {
    /// The 1-based line of the error, when known.
    pub line: Option<usize>,
    /// The 1-based column (in characters) of the error, when known.
    pub column: Option<usize>,
    text: String,
}

impl TomlError {
    /// The error `error` that parsing `input` returned.
    pub(crate) fn new(input: &str, error: &toml::de::Error) -> Self {
        let message = shorten(error.message().trim_end());
        let Some(span) = error.span() else {
            return Self {
                line: None,
                column: None,
                text: message,
            };
        };
        let start = floor_char_boundary(input, span.start.min(input.len()));
        let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = input[start..].find('\n').map_or(input.len(), |i| start + i);
        let line = input[..start].matches('\n').count() + 1;
        let column = input[line_start..start].chars().count() + 1;
        let from = floor_char_boundary(input, start.saturating_sub(EXCERPT_SIDE).max(line_start));
        let to = floor_char_boundary(input, (start + EXCERPT_SIDE).min(line_end));
        let mut text = format!("line {line}, column {column}: {message}");
        let _ = write!(
            text,
            " (at: {}{}{})",
            if from > line_start { "…" } else { "" },
            input[from..to].escape_debug(),
            if to < line_end { "…" } else { "" }
        );
        Self {
            line: Some(line),
            column: Some(column),
            text,
        }
    }

    /// An error of converting an already parsed value (no position).
    pub(crate) fn without_input(error: &toml::de::Error) -> Self {
        Self {
            line: None,
            column: None,
            text: shorten(error.message().trim_end()),
        }
    }
}

fn shorten(message: &str) -> String {
    if message.len() <= MESSAGE_LIMIT {
        return message.to_owned();
    }
    let end = floor_char_boundary(message, MESSAGE_LIMIT);
    format!("{}… ({} more bytes)", &message[..end], message.len() - end)
}

/// `str::floor_char_boundary` (stable only since Rust 1.91).
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_line_is_quoted_briefly_with_line_and_column() {
        let input = format!(
            "[types]\nlaunch = true\nx = \"{}\" oops\n",
            "a".repeat(10 << 20)
        );
        let error = toml::from_str::<toml::Table>(&input).unwrap_err();
        let error = TomlError::new(&input, &error);
        let text = error.to_string();
        assert!(text.len() < 4096, "{} bytes", text.len());
        assert!(text.starts_with("line 3, column "), "{text}");
        assert_eq!(error.line, Some(3));
        assert!(text.contains("oops"), "{text}");
    }

    #[test]
    fn a_huge_value_of_the_wrong_type_is_cut() {
        #[derive(Debug, serde::Deserialize)]
        struct Types {
            #[expect(dead_code, reason = "only the error matters")]
            launch: bool,
        }
        let input = format!("launch = \"{}\"\n", "é".repeat(1 << 20));
        let error = toml::from_str::<Types>(&input).unwrap_err();
        let text = TomlError::new(&input, &error).to_string();
        assert!(text.len() < 4096, "{} bytes", text.len());
        assert!(text.starts_with("line 1, column 10: "), "{text}");
    }
}
