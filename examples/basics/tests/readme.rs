//! The tutorial in `README.md` quotes the buildpack's code: every `rust` block must appear,
//! line for line (ignoring indentation), in a source file, so the tutorial can't drift from
//! code that compiles and is tested.

use std::fs;

const SOURCES: [&str; 3] = ["src/main.rs", "src/greeter.rs", "tests/integration.rs"];

fn trimmed_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

/// The contents of the README's ```` ```rust ```` blocks.
fn rust_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_rust_block_of_the_readme_is_real_code() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let readme = fs::read_to_string(format!("{dir}/README.md")).unwrap();
    let sources: Vec<String> = SOURCES
        .iter()
        .map(|file| fs::read_to_string(format!("{dir}/{file}")).unwrap())
        .collect();
    let blocks = rust_blocks(&readme);
    assert!(
        blocks.len() >= 10,
        "found only {} rust blocks",
        blocks.len()
    );
    for block in blocks {
        let wanted = trimmed_lines(&block);
        let found = sources.iter().any(|source| {
            trimmed_lines(source)
                .windows(wanted.len())
                .any(|window| window == wanted.as_slice())
        });
        assert!(found, "README block not found in {SOURCES:?}:\n{block}");
    }
}
