//! `buildpack.toml`: component, composite and legacy-stack descriptors, and what is rejected.

use libcnb_lite_data::buildpack::{
    Buildpack, BuildpackApi, BuildpackDescriptor, BuildpackTarget, BuildpackVersion,
    ComponentBuildpackDescriptor, CompositeBuildpackDescriptor, Distro, Group, License, Order,
    Stack,
};
use libcnb_lite_data::buildpack_id;
use libcnb_lite_data::sbom::SbomFormat;
use serde::Deserialize;
use std::collections::HashSet;

const COMPONENT: &str = include_str!("fixtures/component-buildpack/buildpack.toml");
const COMPOSITE: &str = include_str!("fixtures/composite-buildpack/buildpack.toml");
const LEGACY_STACKS: &str = include_str!("fixtures/legacy-stacks-buildpack/buildpack.toml");

const MINIMAL_HEADER: &str = "api = \"0.10\"\n[buildpack]\nid = \"foo/bar\"\nversion = \"0.0.1\"\n";

fn component_error(toml_str: &str) -> String {
    toml::from_str::<ComponentBuildpackDescriptor>(toml_str)
        .expect_err("the descriptor should be rejected")
        .to_string()
}

#[test]
fn component_with_every_key() {
    let descriptor = toml::from_str::<ComponentBuildpackDescriptor>(COMPONENT).unwrap();

    assert_eq!(
        descriptor.api,
        BuildpackApi {
            major: 0,
            minor: 10
        }
    );
    let buildpack = &descriptor.buildpack;
    assert_eq!(buildpack.id, buildpack_id!("example.com/python"));
    assert_eq!(buildpack.name.as_deref(), Some("Python Buildpack"));
    assert_eq!(buildpack.version, BuildpackVersion::new(1, 2, 3));
    assert_eq!(
        buildpack.homepage.as_deref(),
        Some("https://example.com/python")
    );
    assert!(buildpack.clear_env);
    assert_eq!(
        buildpack.description.as_deref(),
        Some("Installs Python and the app's packages")
    );
    assert_eq!(buildpack.keywords, ["python", "pip"]);
    assert_eq!(
        buildpack.licenses,
        [
            License {
                r#type: Some(String::from("BSD-3-Clause")),
                uri: None
            },
            License {
                r#type: Some(String::from("Custom")),
                uri: Some(String::from("https://example.com/license"))
            },
            License {
                r#type: None,
                uri: Some(String::from("https://example.com/other-license"))
            },
        ]
    );
    // The duplicated Syft entry collapses.
    assert_eq!(
        buildpack.sbom_formats,
        HashSet::from([
            SbomFormat::CycloneDxJson,
            SbomFormat::SpdxJson,
            SbomFormat::SyftJson
        ])
    );
    assert!(descriptor.stacks.is_empty());
    assert_eq!(
        descriptor.targets,
        [
            BuildpackTarget {
                os: Some(String::from("linux")),
                arch: Some(String::from("amd64")),
                variant: None,
                distros: vec![
                    Distro {
                        name: String::from("ubuntu"),
                        version: String::from("22.04")
                    },
                    Distro {
                        name: String::from("ubuntu"),
                        version: String::from("24.04")
                    },
                ],
            },
            BuildpackTarget {
                os: Some(String::from("linux")),
                arch: Some(String::from("arm")),
                variant: Some(String::from("v8")),
                distros: Vec::new(),
            },
            BuildpackTarget {
                os: None,
                arch: None,
                variant: None,
                distros: Vec::new(),
            },
        ]
    );
    let metadata = descriptor.metadata.unwrap();
    assert_eq!(metadata["default_version"].as_str(), Some("3.12"));
    assert_eq!(
        metadata["mirrors"]["primary"].as_str(),
        Some("https://mirror.example.com")
    );
}

#[test]
fn component_with_typed_metadata() {
    #[derive(Deserialize, Debug)]
    struct Metadata {
        default_version: String,
        mirrors: Mirrors,
    }
    #[derive(Deserialize, Debug)]
    struct Mirrors {
        primary: String,
    }

    let descriptor = toml::from_str::<ComponentBuildpackDescriptor<Metadata>>(COMPONENT).unwrap();
    assert_eq!(descriptor.metadata.default_version, "3.12");
    assert_eq!(
        descriptor.metadata.mirrors.primary,
        "https://mirror.example.com"
    );
}

#[test]
fn composite() {
    let descriptor = toml::from_str::<CompositeBuildpackDescriptor>(COMPOSITE).unwrap();
    assert_eq!(
        descriptor.buildpack.id,
        buildpack_id!("example.com/python-suite")
    );
    assert_eq!(
        descriptor.order,
        [
            Order {
                group: vec![
                    Group {
                        id: buildpack_id!("example.com/python"),
                        version: BuildpackVersion::new(1, 2, 3),
                        optional: false,
                    },
                    Group {
                        id: buildpack_id!("example.com/procfile"),
                        version: BuildpackVersion::new(2, 0, 0),
                        optional: true,
                    },
                ]
            },
            Order {
                group: vec![Group {
                    id: buildpack_id!("example.com/static"),
                    version: BuildpackVersion::new(0, 0, 1),
                    optional: false,
                }]
            },
        ]
    );
    assert_eq!(descriptor.metadata, None);
}

#[test]
fn legacy_stacks() {
    let descriptor = toml::from_str::<ComponentBuildpackDescriptor>(LEGACY_STACKS).unwrap();
    assert_eq!(descriptor.api, BuildpackApi { major: 0, minor: 9 });
    assert_eq!(
        descriptor.stacks,
        [
            Stack {
                id: String::from("heroku-20"),
                mixins: Vec::new()
            },
            Stack {
                id: String::from("io.buildpacks.stacks.focal"),
                mixins: vec![String::from("build:jq"), String::from("wget")]
            },
            Stack {
                id: String::from("*"),
                mixins: Vec::new()
            },
        ]
    );
    assert!(descriptor.targets.is_empty());
}

#[test]
fn untagged_descriptor_picks_the_kind() {
    for (toml_str, composite) in [
        (COMPONENT, false),
        (LEGACY_STACKS, false),
        (COMPOSITE, true),
    ] {
        let descriptor = toml::from_str::<BuildpackDescriptor>(toml_str).unwrap();
        assert_eq!(
            matches!(descriptor, BuildpackDescriptor::Composite(_)),
            composite
        );
    }
    let descriptor = toml::from_str::<BuildpackDescriptor>(COMPOSITE).unwrap();
    assert_eq!(
        descriptor.buildpack().version,
        BuildpackVersion::new(0, 1, 0)
    );
}

#[test]
fn buildpack_api_0_12_exec_env_is_accepted_and_ignored() {
    let toml_str = "api = \"0.12\"\n[buildpack]\nid = \"foo/bar\"\nversion = \"0.0.1\"\nexec-env = [\"production\", \"test\"]\n";
    let descriptor = toml::from_str::<ComponentBuildpackDescriptor>(toml_str).unwrap();
    assert_eq!(
        descriptor.api,
        BuildpackApi {
            major: 0,
            minor: 12
        }
    );
    assert_eq!(descriptor.buildpack.id, buildpack_id!("foo/bar"));
    assert_eq!(descriptor.buildpack.version, BuildpackVersion::new(0, 0, 1));

    let composite =
        format!("{toml_str}[[order]]\n[[order.group]]\nid = \"foo/baz\"\nversion = \"0.0.1\"\n");
    let descriptor = toml::from_str::<BuildpackDescriptor>(&composite).unwrap();
    assert!(matches!(descriptor, BuildpackDescriptor::Composite(_)));
}

#[test]
fn buildpack_struct_literal_has_upstreams_fields() {
    // Downstream tests build descriptors by hand; a field added here would break them.
    let buildpack = Buildpack {
        id: buildpack_id!("foo/bar"),
        name: None,
        version: BuildpackVersion::new(0, 0, 1),
        homepage: None,
        clear_env: false,
        description: None,
        keywords: Vec::new(),
        licenses: Vec::new(),
        sbom_formats: HashSet::new(),
    };
    let parsed = toml::from_str::<ComponentBuildpackDescriptor>(MINIMAL_HEADER)
        .unwrap()
        .buildpack;
    assert_eq!(format!("{parsed:?}"), format!("{buildpack:?}"));
}

#[test]
fn buildpack_exec_env_must_be_a_list_of_strings() {
    for exec_env in ["\"production\"", "[1]", "[{ name = \"production\" }]"] {
        let error = component_error(&format!("{MINIMAL_HEADER}exec-env = {exec_env}\n"));
        assert!(error.contains("exec-env"), "{exec_env}: {error}");
    }
}

#[test]
fn rejects_both_targets_and_order() {
    let toml_str = format!(
        "{MINIMAL_HEADER}[[targets]]\nos = \"linux\"\n[[order]]\n[[order.group]]\nid = \"foo/baz\"\nversion = \"0.0.1\"\n"
    );
    assert_eq!(
        toml::from_str::<BuildpackDescriptor>(&toml_str)
            .unwrap_err()
            .to_string(),
        "data did not match any variant of untagged enum BuildpackDescriptor\n"
    );
    assert!(component_error(&toml_str).contains("unknown field `order`"));
    let composite_error = toml::from_str::<CompositeBuildpackDescriptor>(&toml_str)
        .unwrap_err()
        .to_string();
    assert!(
        composite_error.contains("unknown field `targets`"),
        "{composite_error}"
    );
}

#[test]
fn rejects_composite_with_stacks() {
    let toml_str = format!(
        "{MINIMAL_HEADER}[[stacks]]\nid = \"*\"\n[[order]]\n[[order.group]]\nid = \"foo/baz\"\nversion = \"0.0.1\"\n"
    );
    let error = toml::from_str::<CompositeBuildpackDescriptor>(&toml_str)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `stacks`"), "{error}");
}

#[test]
fn rejects_unknown_keys_everywhere() {
    for (extra, key) in [
        ("unknown = 1\n", "unknown"),
        ("exec_env = [\"production\"]\n", "exec_env"),
        ("[buildpack.links]\nhome = \"x\"\n", "links"),
        ("[[targets]]\nplatform = \"linux\"\n", "platform"),
        (
            "[[targets]]\n[[targets.distros]]\nname = \"ubuntu\"\nversion = \"1\"\ncodename = \"x\"\n",
            "codename",
        ),
        ("[[buildpack.licenses]]\nname = \"MIT\"\n", "name"),
        ("[[stacks]]\nid = \"*\"\nfoo = 1\n", "foo"),
    ] {
        let error = component_error(&format!("{MINIMAL_HEADER}{extra}"));
        assert!(
            error.contains(&format!("unknown field `{key}`")),
            "{extra}: {error}"
        );
    }

    let toml_str = "api = \"0.10\"\n[buildpack]\nid = \"a/b\"\nversion = \"0.0.1\"\n[[order]]\n[[order.group]]\nid = \"foo/baz\"\nversion = \"0.0.1\"\nexec-env = [\"test\"]\n";
    let error = toml::from_str::<CompositeBuildpackDescriptor>(toml_str)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `exec-env`"), "{error}");
}

#[test]
fn rejects_missing_required_keys() {
    assert!(
        component_error("[buildpack]\nid = \"foo/bar\"\nversion = \"0.0.1\"")
            .contains("missing field `api`")
    );
    assert!(
        component_error("api = \"0.10\"\n[buildpack]\nid = \"foo/bar\"")
            .contains("missing field `version`")
    );
    assert!(
        component_error("api = \"0.10\"\n[buildpack]\nversion = \"0.0.1\"")
            .contains("missing field `id`")
    );
    assert!(component_error("api = \"0.10\"").contains("missing field `buildpack`"));
}

#[test]
fn rejects_bad_api_versions() {
    for api in ["1.2.3", "0.10-dev", "", "-1", "x"] {
        let error = component_error(&MINIMAL_HEADER.replace("0.10", api));
        assert!(
            error.contains(&format!("Invalid Buildpack API version: `{api}`")),
            "{api}: {error}"
        );
    }
}

#[test]
fn rejects_bad_buildpack_versions() {
    for version in [
        "1.2",
        "01.2.3",
        "1.2.3-dev",
        "1.2.3+abc",
        "1.2.3.4",
        "v1.2.3",
    ] {
        let error = component_error(&MINIMAL_HEADER.replace("0.0.1", version));
        assert!(
            error.contains(&format!("Invalid buildpack version: `{version}`")),
            "{version}: {error}"
        );
    }
    let composite_with_bad_group_version = "api = \"0.10\"\n[buildpack]\nid = \"a/b\"\nversion = \"0.0.1\"\n[[order]]\n[[order.group]]\nid = \"foo/baz\"\nversion = \"1.0\"\n";
    let error = toml::from_str::<CompositeBuildpackDescriptor>(composite_with_bad_group_version)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("Invalid buildpack version: `1.0`"),
        "{error}"
    );
}

#[test]
fn rejects_bad_buildpack_ids() {
    for (id, rule) in [
        (
            "app",
            "`app`, `config` and `sbom` are reserved buildpack ids",
        ),
        (
            "foo_bar",
            "a buildpack id may only contain ASCII letters and digits",
        ),
        ("", "a buildpack id must not be empty"),
    ] {
        let error = component_error(&MINIMAL_HEADER.replace("foo/bar", id));
        // Upstream's message; the rule is the parse error's.
        assert!(
            error.contains(&format!("Invalid Value: {id}")),
            "{id}: {error}"
        );
        let rule_text = id
            .parse::<libcnb_lite_data::buildpack::BuildpackId>()
            .unwrap_err()
            .rule()
            .unwrap()
            .to_string();
        assert!(rule_text.starts_with(rule), "{id}: {rule_text}");
    }
}

#[test]
fn rejects_unknown_sbom_formats() {
    let error = component_error(&format!(
        "{MINIMAL_HEADER}sbom-formats = [\"text/plain\"]\n"
    ));
    assert!(error.contains("text/plain"), "{error}");
}
