//! exec.d program output.

use libcnb_lite_data::exec_d::{ExecDProgramOutput, ExecDProgramOutputKey};
use libcnb_lite_data::exec_d_program_output_key;
use std::collections::HashMap;

const OUTPUT: &str = include_str!("fixtures/exec-d/output.toml");

#[test]
fn round_trips() {
    let output = toml::from_str::<ExecDProgramOutput>(OUTPUT).unwrap();
    assert_eq!(
        output,
        ExecDProgramOutput::from([
            (exec_d_program_output_key!("PORT"), "8080"),
            (exec_d_program_output_key!("WEB_CONCURRENCY"), "4"),
            (
                exec_d_program_output_key!("python-path"),
                "/layers/python/lib"
            ),
        ])
    );
    let serialized = toml::to_string(&output).unwrap();
    assert_eq!(
        toml::from_str::<toml::Table>(&serialized).unwrap(),
        toml::from_str::<toml::Table>(OUTPUT).unwrap()
    );
}

#[test]
fn from_a_map_with_parsed_keys() {
    let key: ExecDProgramOutputKey = "JAVA_TOOL_OPTIONS".parse().unwrap();
    let output = ExecDProgramOutput::new(HashMap::from([(key, String::from("-Xmx1g"))]));
    assert_eq!(
        toml::to_string(&output).unwrap(),
        "JAVA_TOOL_OPTIONS = \"-Xmx1g\"\n"
    );
}

#[test]
fn rejects_invalid_keys_and_non_string_values() {
    let error = toml::from_str::<ExecDProgramOutput>("\"MY.VAR\" = \"x\"")
        .unwrap_err()
        .to_string();
    assert!(error.contains("Invalid Value: MY.VAR"), "{error}");
    assert!(toml::from_str::<ExecDProgramOutput>("PORT = 8080").is_err());
    assert!(toml::from_str::<ExecDProgramOutput>("[nested]\nA = \"b\"").is_err());
}
