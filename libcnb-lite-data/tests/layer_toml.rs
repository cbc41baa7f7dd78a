//! `<layer>.toml`: layer content metadata.

use libcnb_lite_data::generic::GenericMetadata;
use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};
use serde::{Deserialize, Serialize};

const LAYER: &str = include_str!("fixtures/layer/python.toml");

fn table(toml_str: &str) -> toml::Table {
    toml::from_str(toml_str).unwrap_or_else(|error| panic!("not TOML: {error}\n{toml_str}"))
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct PythonLayerMetadata {
    version: String,
    checksum: String,
}

#[test]
fn typed_round_trip() {
    let layer = toml::from_str::<LayerContentMetadata<PythonLayerMetadata>>(LAYER).unwrap();
    assert_eq!(
        layer,
        LayerContentMetadata {
            types: Some(LayerTypes {
                launch: true,
                build: true,
                cache: false,
            }),
            metadata: PythonLayerMetadata {
                version: String::from("3.12.1"),
                checksum: String::from("sha256:0123456789abcdef"),
            },
        }
    );
    let serialized = toml::to_string(&layer).unwrap();
    assert_eq!(table(&serialized), table(LAYER));
    assert!(serialized.starts_with("[types]\nlaunch = true\nbuild = true\ncache = false\n"));
}

#[test]
fn generic_round_trip() {
    let layer = toml::from_str::<LayerContentMetadata<GenericMetadata>>(LAYER).unwrap();
    assert_eq!(
        layer.metadata.as_ref().unwrap()["version"].as_str(),
        Some("3.12.1")
    );
    assert_eq!(table(&toml::to_string(&layer).unwrap()), table(LAYER));
}

#[test]
fn restored_layer_without_types() {
    // The lifecycle restores cached layers without the `[types]` table.
    let layer = toml::from_str::<LayerContentMetadata>("[metadata]\nanswer = 42").unwrap();
    assert_eq!(layer.types, None);
    assert_eq!(
        toml::to_string(&layer).unwrap(),
        "[metadata]\nanswer = 42\n"
    );
}

#[test]
fn empty_layer_is_an_empty_file() {
    let layer = LayerContentMetadata::<GenericMetadata> {
        types: None,
        metadata: None,
    };
    assert_eq!(toml::to_string(&layer).unwrap(), "");
    assert_eq!(toml::from_str::<LayerContentMetadata>("").unwrap(), layer);
}

#[test]
fn partial_types_default_to_false() {
    let layer = toml::from_str::<LayerContentMetadata>("[types]\nlaunch = true").unwrap();
    assert_eq!(
        layer.types,
        Some(LayerTypes {
            launch: true,
            build: false,
            cache: false
        })
    );
}

#[test]
fn rejects_flags_outside_types_and_unknown_type_keys() {
    for (toml_str, key) in [
        ("launch = true", "launch"),
        ("build = true\n[types]", "build"),
        ("[types]\nlaunch = true\nexport = true", "export"),
        ("[env]\nFOO = \"bar\"", "env"),
    ] {
        let error = toml::from_str::<LayerContentMetadata>(toml_str)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("unknown field `{key}`")),
            "{key}: {error}"
        );
    }
}

#[test]
fn typed_metadata_mismatch_is_an_error() {
    let error =
        toml::from_str::<LayerContentMetadata<PythonLayerMetadata>>("[metadata]\nversion = \"1\"")
            .unwrap_err()
            .to_string();
    assert!(error.contains("missing field `checksum`"), "{error}");
}
