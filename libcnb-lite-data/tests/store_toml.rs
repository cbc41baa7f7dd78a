//! `store.toml`.

use libcnb_lite_data::store::Store;

const STORE: &str = include_str!("fixtures/store/store.toml");

#[test]
fn round_trips() {
    let store = toml::from_str::<Store>(STORE).unwrap();
    assert_eq!(
        store.metadata["last_python_version"].as_str(),
        Some("3.12.1")
    );
    assert_eq!(store.metadata["build_count"].as_integer(), Some(7));
    let serialized = toml::to_string(&store).unwrap();
    assert_eq!(
        toml::from_str::<toml::Table>(&serialized).unwrap(),
        toml::from_str::<toml::Table>(STORE).unwrap()
    );
    assert_eq!(toml::from_str::<Store>(&serialized).unwrap(), store);
}

#[test]
fn default_is_an_empty_metadata_table() {
    assert_eq!(toml::to_string(&Store::default()).unwrap(), "[metadata]\n");
}

#[test]
fn metadata_is_required_and_nothing_else_is_allowed() {
    let error = toml::from_str::<Store>("").unwrap_err().to_string();
    assert!(error.contains("missing field `metadata`"), "{error}");
    let error = toml::from_str::<Store>("[metadata]\n[other]")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `other`"), "{error}");
}
