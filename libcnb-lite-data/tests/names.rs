//! Property tests for the validated names: no input makes a parser panic, parsing agrees with
//! a plain restatement of each rule, and an accepted layer name is one safe path component.

use libcnb_lite_data::buildpack::{BuildpackId, BuildpackIdError};
use libcnb_lite_data::exec_d::{ExecDProgramOutputKey, ExecDProgramOutputKeyError};
use libcnb_lite_data::launch::{ProcessType, ProcessTypeError, ProcessTypeRule};
use libcnb_lite_data::layer::{LayerName, LayerNameError, LayerNameRule};
use proptest::prelude::*;
use std::path::{Component, Path};

/// Any string, plus short strings built from the characters the rules care about, so that
/// `.`, `..`, separators and reserved words come up often.
fn name_candidates() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[./\\\\\0\n\r a-zA-Z0-9_:-]{0,8}",
        prop::sample::select(vec![
            "",
            ".",
            "..",
            "...",
            "build",
            "launch",
            "store",
            "app",
            "config",
            "sbom",
            "generated",
            "Build",
            "../x",
            "./",
            "a/..",
            "\\",
            "C:",
        ])
        .prop_map(String::from),
    ]
}

fn alphanumeric_or(value: &str, extra: &str) -> bool {
    value
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || extra.contains(character))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn layer_name_parse_matches_the_rules(value in name_candidates()) {
        let expected_valid = !value.is_empty()
            && !["build", "launch", "store", ".", ".."].contains(&value.as_str())
            && !value.contains(['/', '\\', '\n', '\0']);
        match value.parse::<LayerName>() {
            Ok(name) => {
                prop_assert!(expected_valid);
                prop_assert_eq!(name.as_str(), value.as_str());
            }
            Err(error) => {
                prop_assert!(!expected_valid);
                prop_assert_eq!(error.value(), value.as_str());
                prop_assert_eq!(error.rule(), LayerName::validate(&value).err());
                prop_assert_eq!(error.to_string(), format!("Invalid Value: {value}"));
            }
        }
    }

    #[test]
    fn accepted_layer_names_are_one_normal_component(value in name_candidates()) {
        if let Ok(name) = value.parse::<LayerName>() {
            let components = Path::new(name.as_str()).components().collect::<Vec<_>>();
            prop_assert_eq!(components, [Component::Normal(name.as_str().as_ref())]);

            let layers_dir = Path::new("/layers/example_buildpack");
            let layer_dir = layers_dir.join(name.as_str());
            prop_assert_eq!(layer_dir.parent(), Some(layers_dir));
            prop_assert!(layer_dir.starts_with(layers_dir));
            prop_assert_eq!(
                layer_dir.components().count(),
                layers_dir.components().count() + 1
            );
        }
    }

    #[test]
    fn buildpack_id_parse_matches_the_rules(value in name_candidates()) {
        let expected_valid = !value.is_empty()
            && !["app", "config", "sbom"].contains(&value.as_str())
            && alphanumeric_or(&value, "./-");
        let parsed = value.parse::<BuildpackId>();
        prop_assert_eq!(parsed.is_ok(), expected_valid);
        if let Err(error) = parsed {
            prop_assert_eq!(error.rule(), BuildpackId::validate(&value).err());
        }
    }

    #[test]
    fn process_type_parse_matches_the_rules(value in name_candidates()) {
        let expected_valid = !value.is_empty() && alphanumeric_or(&value, "._-");
        let parsed = value.parse::<ProcessType>();
        prop_assert_eq!(parsed.is_ok(), expected_valid);
        if let Err(error) = parsed {
            prop_assert_eq!(error.rule(), ProcessType::validate(&value).err());
        }
    }

    #[test]
    fn exec_d_key_parse_matches_the_rules(value in name_candidates()) {
        let expected_valid = !value.is_empty() && alphanumeric_or(&value, "_-");
        let parsed = value.parse::<ExecDProgramOutputKey>();
        prop_assert_eq!(parsed.is_ok(), expected_valid);
        if let Err(error) = parsed {
            prop_assert_eq!(error.rule(), ExecDProgramOutputKey::validate(&value).err());
        }
    }

    #[test]
    fn deserialize_agrees_with_parse(value in name_candidates()) {
        #[derive(serde::Deserialize)]
        struct Holder {
            name: LayerName,
        }
        let document = toml::to_string(&toml::toml! { name = (value.clone()) }).unwrap();
        let deserialized = toml::from_str::<Holder>(&document).map(|holder| holder.name);
        prop_assert_eq!(deserialized.ok(), value.parse::<LayerName>().ok());
    }
}

#[test]
fn known_traversal_attempts_are_rejected() {
    for value in [
        "..",
        ".",
        "../../etc",
        "a/../../b",
        "..\\..\\windows",
        "/etc",
        "x\0",
    ] {
        assert!(value.parse::<LayerName>().is_err(), "{value:?}");
    }
}

/// Code written for libcnb-data uses names as `String`s through `Deref`: `str` and `String`
/// methods, and `&name` where a `&str` or `&String` is expected.
#[test]
fn names_deref_to_string_as_upstream() {
    let id: BuildpackId = "heroku/ruby".parse().unwrap();
    assert_eq!(id.replace('/', "_"), "heroku_ruby");
    let layer: LayerName = "gems".parse().unwrap();
    let name: &str = &layer;
    assert_eq!(name, "gems");
    let process: ProcessType = "web".parse().unwrap();
    assert!(process.starts_with("we"));
    let key: ExecDProgramOutputKey = "PATH".parse().unwrap();
    let key: &String = &key;
    assert_eq!(key.len(), 4);
}

/// Code written for libcnb-data matches and constructs name errors as
/// `XError::InvalidValue(String)`; the message and `rule()` come from the value.
#[test]
fn name_errors_have_upstreams_shape() {
    let error = "../etc".parse::<LayerName>().unwrap_err();
    assert_eq!(error, LayerNameError::InvalidValue(String::from("../etc")));
    let LayerNameError::InvalidValue(value) = &error;
    assert_eq!(value, "../etc");
    assert_eq!(error.rule(), Some(LayerNameRule::PathSeparator));

    let constructed = ProcessTypeError::InvalidValue(String::from("a b"));
    assert_eq!(constructed.value(), "a b");
    assert_eq!(constructed.rule(), Some(ProcessTypeRule::InvalidCharacter));
    assert_eq!(constructed.to_string(), "Invalid Value: a b");
    assert_eq!(
        constructed.rule().unwrap().to_string(),
        "a process type may only contain ASCII letters and digits, `.`, `_` and `-`"
    );
    assert_eq!(
        format!("{constructed:?}"),
        r#"InvalidValue("a b")"#,
        "the Debug form is upstream's"
    );

    assert_eq!(
        "app".parse::<BuildpackId>().unwrap_err(),
        BuildpackIdError::InvalidValue(String::from("app"))
    );
    assert_eq!(
        "A=B".parse::<ExecDProgramOutputKey>().unwrap_err(),
        ExecDProgramOutputKeyError::InvalidValue(String::from("A=B"))
    );
}

/// An error constructed by hand around a valid value has no rule to name.
#[test]
fn hand_made_error_for_a_valid_value_names_no_rule() {
    let error = LayerNameError::InvalidValue(String::from("gems"));
    assert_eq!(error.rule(), None);
    assert_eq!(error.to_string(), "Invalid Value: gems");
}
