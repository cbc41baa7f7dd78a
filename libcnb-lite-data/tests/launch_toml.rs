//! `launch.toml`: round trip, builder output, and what is rejected.

use libcnb_lite_data::launch::{
    Label, Launch, LaunchBuilder, Process, ProcessBuilder, Slice, WorkingDirectory,
};
use libcnb_lite_data::process_type;
use std::path::PathBuf;

const LAUNCH: &str = include_str!("fixtures/launch/launch.toml");

fn table(toml_str: &str) -> toml::Table {
    toml::from_str(toml_str).unwrap_or_else(|error| panic!("not TOML: {error}\n{toml_str}"))
}

fn expected_launch() -> Launch {
    LaunchBuilder::new()
        .label(Label {
            key: String::from("org.example.team"),
            value: String::from("buildpacks"),
        })
        .process(
            ProcessBuilder::new(process_type!("web"), ["gunicorn", "app:app"])
                .args(["--workers", "4"])
                .default(true)
                .working_directory(WorkingDirectory::Directory(PathBuf::from("src")))
                .build(),
        )
        .process(ProcessBuilder::new(process_type!("worker"), ["python", "worker.py"]).build())
        .process(
            ProcessBuilder::new(process_type!("migrate"), ["python", "manage.py", "migrate"])
                .build(),
        )
        .slice(Slice {
            path_globs: vec![String::from("static/**"), String::from("*.html")],
        })
        .build()
}

#[test]
fn parses_the_spec_layout() {
    assert_eq!(toml::from_str::<Launch>(LAUNCH).unwrap(), expected_launch());
}

#[test]
fn round_trips() {
    let launch = toml::from_str::<Launch>(LAUNCH).unwrap();
    let serialized = toml::to_string(&launch).unwrap();
    assert_eq!(table(&serialized), table(LAUNCH));
    assert_eq!(toml::from_str::<Launch>(&serialized).unwrap(), launch);
}

#[test]
fn serializes_in_spec_key_order() {
    let serialized = toml::to_string(&expected_launch()).unwrap();
    let keys = serialized
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
        .collect::<Vec<_>>();
    assert_eq!(
        keys,
        [
            "key",
            "value",
            "type",
            "command",
            "args",
            "default",
            "working-dir",
            "type",
            "command",
            "type",
            "command",
            "paths"
        ]
    );
    let sections = serialized
        .lines()
        .filter(|line| line.starts_with("[["))
        .collect::<Vec<_>>();
    assert_eq!(
        sections,
        [
            "[[labels]]",
            "[[processes]]",
            "[[processes]]",
            "[[processes]]",
            "[[slices]]"
        ]
    );
}

#[test]
fn empty_launch_is_an_empty_file() {
    assert_eq!(toml::to_string(&Launch::default()).unwrap(), "");
    assert_eq!(toml::from_str::<Launch>("").unwrap(), Launch::default());
}

#[test]
fn app_working_directory_is_left_out() {
    let process = ProcessBuilder::new(process_type!("web"), ["foo"])
        .working_directory(WorkingDirectory::App)
        .build();
    assert_eq!(
        toml::to_string(&process).unwrap(),
        "type = \"web\"\ncommand = [\"foo\"]\n"
    );
}

#[test]
fn dot_working_directory_reads_back_as_a_directory() {
    // Upstream quirk, mirrored: "." is `Directory(".")`, which then serializes as written.
    let process =
        toml::from_str::<Process>("type = \"web\"\ncommand = [\"foo\"]\nworking-dir = \".\"")
            .unwrap();
    assert_eq!(
        process.working_directory,
        WorkingDirectory::Directory(PathBuf::from("."))
    );
    assert!(
        toml::to_string(&process)
            .unwrap()
            .contains("working-dir = \".\"")
    );
}

#[test]
fn rejects_unknown_and_outdated_keys() {
    for (process, key) in [
        // Removed from the spec in Buildpack API 0.9.
        ("direct = true", "direct"),
        // The key libcnb used before 0.22.
        ("working-directory = \"src\"", "working-directory"),
        // Buildpack API 0.12, unsupported as upstream so that `Process` keeps upstream's fields.
        ("exec-env = [\"production\"]", "exec-env"),
    ] {
        let toml_str = format!("[[processes]]\ntype = \"web\"\ncommand = [\"foo\"]\n{process}\n");
        let error = toml::from_str::<Launch>(&toml_str).unwrap_err().to_string();
        assert!(
            error.contains(&format!("unknown field `{key}`")),
            "{key}: {error}"
        );
    }
    let error = toml::from_str::<Launch>("[[bom]]\nname = \"x\"")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `bom`"), "{error}");
}

#[test]
fn rejects_string_command_and_bad_process_types() {
    // Since Buildpack API 0.9 `command` is an array.
    assert!(toml::from_str::<Launch>("[[processes]]\ntype = \"web\"\ncommand = \"foo\"").is_err());
    let error = toml::from_str::<Launch>("[[processes]]\ntype = \"web/api\"\ncommand = [\"foo\"]")
        .unwrap_err()
        .to_string();
    assert!(error.contains("Invalid Value: web/api"), "{error}");
}

#[test]
fn process_struct_literal_has_upstreams_fields() {
    // Downstream tests build processes by hand; a field added here would break them.
    let process = Process {
        r#type: process_type!("web"),
        command: vec![String::from("foo")],
        args: Vec::new(),
        default: false,
        working_directory: WorkingDirectory::App,
    };
    assert_eq!(
        process,
        ProcessBuilder::new(process_type!("web"), ["foo"]).build()
    );
}

#[test]
fn launch_builder_is_reusable() {
    let mut builder = LaunchBuilder::new();
    builder.process(ProcessBuilder::new(process_type!("web"), ["foo"]).build());
    let first = builder.build();
    builder.processes([ProcessBuilder::new(process_type!("worker"), ["bar"]).build()]);
    assert_eq!(first.processes.len(), 1);
    assert_eq!(builder.build().processes.len(), 2);
}
