//! `package.toml`.

use libcnb_lite_data::package_descriptor::{
    PackageDescriptor, PackageDescriptorBuildpackReference, PackageDescriptorDependency, Platform,
    PlatformOs,
};

const PACKAGE: &str = include_str!("fixtures/package/package.toml");

fn dependency(uri: &str) -> PackageDescriptorDependency {
    PackageDescriptorDependency::try_from(uri).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn parses_and_round_trips() {
    let descriptor = toml::from_str::<PackageDescriptor>(PACKAGE).unwrap();
    assert_eq!(
        descriptor,
        PackageDescriptor {
            buildpack: PackageDescriptorBuildpackReference::try_from(".").unwrap(),
            dependencies: vec![
                dependency("libcnb:example.com/python"),
                dependency("../relative/path"),
                dependency("/absolute/path"),
                dependency("docker://docker.io/example/python:1.2.3"),
            ],
            platform: Platform {
                os: PlatformOs::Windows
            },
        }
    );
    let serialized = toml::to_string(&descriptor).unwrap();
    assert_eq!(serialized, PACKAGE);
}

#[test]
fn default_serializes_like_upstream() {
    // Upstream does not skip an empty `dependencies` list either.
    assert_eq!(
        toml::to_string(&PackageDescriptor::default()).unwrap(),
        "dependencies = []\n\n[buildpack]\nuri = \".\"\n\n[platform]\nos = \"linux\"\n"
    );
}

#[test]
fn rejects_bad_input() {
    for (toml_str, expected) in [
        ("", "missing field `buildpack`"),
        (
            "[buildpack]\nuri = \".\"\nversion = \"1\"",
            "unknown field `version`",
        ),
        (
            "[buildpack]\nuri = \".\"\n[platform]\nos = \"darwin\"",
            "darwin",
        ),
        // uriparse's message, as upstream.
        ("[buildpack]\nuri = \"two words\"", "invalid path character"),
        (
            "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"docker://a b\"",
            "invalid",
        ),
    ] {
        let error = toml::from_str::<PackageDescriptor>(toml_str)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{toml_str}: {error}");
    }
}
