//! Layers directories as the lifecycle leaves them before a build.

use std::fs;
use std::io;
use std::path::Path;

/// Names of the `n` layers of a run: `layer-00000`, `layer-00001`, …
#[must_use]
pub fn layer_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("layer-{i:05}")).collect()
}

/// Files every restored layer holds, relative to the layer directory.
pub const LAYER_FILES: [(&str, &[u8]); 3] = [
    ("bin/tool", b"#!/bin/sh\necho tool\n"),
    ("lib/libtool.so", &[0x7f; 1024]),
    ("share/tool/README", b"a restored layer\n"),
];

/// Writes `n` layers into `layers_dir` as the lifecycle restores cached layers:
/// a `<layer>/` directory with [`LAYER_FILES`] and a `<layer>.toml` holding
/// `layer_toml` — `[metadata]` only, since the restorer drops `[types]`.
///
/// # Errors
/// Any I/O error while writing the files.
pub fn write_restored_layers(layers_dir: &Path, n: usize, layer_toml: &str) -> io::Result<()> {
    for name in layer_names(n) {
        let layer_path = layers_dir.join(&name);
        for (file, contents) in LAYER_FILES {
            let path = layer_path.join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, contents)?;
        }
        fs::write(layers_dir.join(format!("{name}.toml")), layer_toml)?;
    }
    Ok(())
}

/// `buildpack.toml` of the benchmark buildpack, for the build context.
pub const BUILDPACK_TOML: &str = r#"
api = "0.10"

[buildpack]
id = "bench/layers"
version = "0.0.0"
"#;
