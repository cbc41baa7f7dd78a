//! The `trace` feature end to end, with a real buildpack process.
//!
//! This test binary is also the buildpack: started under the name `detect` or `build` (through
//! symlinks, as the lifecycle starts `bin/detect` and `bin/build`) it runs `libcnb_runtime` like
//! any `buildpack_main!` binary; started by `cargo test` it runs the scenarios below, each
//! starting itself through those symlinks and reading what the runtime appended to
//! `/tmp/libcnb-telemetry/<id>-<phase>.jsonl`. (A second crate for the buildpack would enable
//! `trace` for the whole workspace through feature unification.)

// `harness = false`: clippy's `allow-unwrap-in-tests` doesn't see `#[test]` functions here.
#![expect(
    clippy::unwrap_used,
    reason = "a test: a failed setup step panics with its error"
)]

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::{Buildpack, Error};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct TraceBuildpack;

#[derive(Debug)]
enum TraceBuildpackError {
    AskedToFail,
}

impl Buildpack for TraceBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = TraceBuildpackError;

    fn detect(
        &self,
        _: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, TraceBuildpackError> {
        let _span = tracing::info_span!("own-detect", answer = 42_i64).entered();
        tracing::info!(count = 3_i64, "own-event");
        tracing::debug!("below the INFO filter");
        tracing_log::log::info!(target: "own-log-target", "from-log {}", 1);
        tracing_log::log::debug!("log record below the INFO filter");
        match outcome().as_deref() {
            Some("error") => Err(Error::BuildpackError(TraceBuildpackError::AskedToFail)),
            Some("fail") => DetectResultBuilder::fail().build(),
            _ => DetectResultBuilder::pass().build(),
        }
    }

    fn build(
        &self,
        _: BuildContext<Self>,
    ) -> libcnb_lite::Result<BuildResult, TraceBuildpackError> {
        let _span = tracing::info_span!("own-build").entered();
        match outcome().as_deref() {
            Some("error") => Err(Error::BuildpackError(TraceBuildpackError::AskedToFail)),
            _ => BuildResultBuilder::new().build(),
        }
    }
}

/// What the scenario asks the buildpack to do: pass (unset), `fail` detection, or `error`.
fn outcome() -> Option<String> {
    std::env::var("TRACE_TEST_OUTCOME").ok()
}

fn main() {
    let invoked_as = std::env::args_os()
        .next()
        .and_then(|arg0| Path::new(&arg0).file_name().map(ToOwned::to_owned));
    if invoked_as
        .as_ref()
        .is_some_and(|name| name == "detect" || name == "build")
    {
        libcnb_lite::libcnb_runtime(&TraceBuildpack);
    }

    let fixture = Fixture::new();
    detect_pass(&fixture);
    detect_error(&fixture);
    detect_fail(&fixture);
    build_success(&fixture);
    build_error(&fixture);
    unwritable_export_never_fails_the_phase(&fixture);
    fixture.remove_exports();
    println!("trace: 6 scenarios passed");
}

/// A packaged buildpack whose `bin/detect` and `bin/build` are this binary, with a unique id so
/// that concurrent runs write different export files.
struct Fixture {
    dir: tempfile::TempDir,
    id: String,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let id = format!("libcnb-lite-tests/trace-{}", std::process::id());
        let buildpack_dir = dir.path().join("buildpack");
        fs::create_dir_all(buildpack_dir.join("bin")).unwrap();
        fs::create_dir_all(dir.path().join("platform")).unwrap();
        fs::create_dir_all(dir.path().join("layers")).unwrap();
        fs::create_dir_all(dir.path().join("app")).unwrap();
        fs::write(
            buildpack_dir.join("buildpack.toml"),
            format!(
                "api = \"0.10\"\n[buildpack]\nid = \"{id}\"\nversion = \"1.2.3\"\nname = \"Trace test\"\nhomepage = \"https://example.com/trace\"\n"
            ),
        )
        .unwrap();
        fs::write(dir.path().join("plan.toml"), "[[entries]]\nname = \"x\"\n").unwrap();
        let exe = std::env::current_exe().expect("locating this test binary");
        for phase in ["detect", "build"] {
            std::os::unix::fs::symlink(&exe, buildpack_dir.join("bin").join(phase)).unwrap();
        }
        let fixture = Self { dir, id };
        fixture.remove_exports();
        fixture
    }

    fn export_path(&self, phase: &str) -> PathBuf {
        let id = self.id.replace(['/', '.', '-'], "_");
        PathBuf::from(format!("/tmp/libcnb-telemetry/{id}-{phase}.jsonl"))
    }

    fn remove_exports(&self) {
        for phase in ["detect", "build"] {
            let path = self.export_path(phase);
            let _ = fs::remove_file(&path);
            let _ = fs::remove_dir(&path);
        }
    }

    /// Runs a phase as the lifecycle would and returns its exit code.
    fn run(&self, phase: &str, outcome: Option<&str>) -> i32 {
        let root = self.dir.path();
        let mut command = Command::new(root.join("buildpack/bin").join(phase));
        match phase {
            "detect" => command.args([root.join("platform"), root.join("build-plan.toml")]),
            _ => command.args([
                root.join("layers"),
                root.join("platform"),
                root.join("plan.toml"),
            ]),
        };
        command
            .current_dir(root.join("app"))
            .env("CNB_BUILDPACK_DIR", root.join("buildpack"))
            .env("CNB_TARGET_OS", "linux")
            .env("CNB_TARGET_ARCH", "amd64")
            .env("CNB_TARGET_DISTRO_NAME", "ubuntu")
            .env("CNB_TARGET_DISTRO_VERSION", "24.04")
            .env_remove("OTEL_RESOURCE_ATTRIBUTES");
        match outcome {
            Some(outcome) => command.env("TRACE_TEST_OUTCOME", outcome),
            None => command.env_remove("TRACE_TEST_OUTCOME"),
        };
        let output = command.output().expect("starting the buildpack binary");
        output
            .status
            .code()
            .expect("the buildpack exited by a signal")
    }

    /// The export's lines, each checked to be one JSON object.
    fn export(&self, phase: &str) -> Vec<Value> {
        let path = self.export_path(phase);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        assert!(
            text.ends_with('\n'),
            "{} must end with a newline",
            path.display()
        );
        text.lines()
            .map(|line| serde_json::from_str(line).expect("each line is a JSON object"))
            .collect()
    }
}

fn spans(line: &Value) -> &[Value] {
    line["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .expect("resourceSpans[0].scopeSpans[0].spans is an array")
}

fn span<'a>(line: &'a Value, name: &str) -> &'a Value {
    spans(line)
        .iter()
        .find(|span| span["name"] == name)
        .unwrap_or_else(|| panic!("no span {name} in {line}"))
}

/// The values of every attribute named `key`, in order.
fn values<'a>(attributes: &'a Value, key: &str) -> Vec<&'a Value> {
    attributes
        .as_array()
        .expect("attributes are an array")
        .iter()
        .filter(|attribute| attribute["key"] == key)
        .map(|attribute| &attribute["value"])
        .collect()
}

fn event_names(span: &Value) -> Vec<&str> {
    span["events"]
        .as_array()
        .expect("events are an array")
        .iter()
        .map(|event| event["name"].as_str().expect("event names are strings"))
        .collect()
}

fn detect_pass(fixture: &Fixture) {
    assert_eq!(fixture.run("detect", None), 0, "detect passes");
    let lines = fixture.export("detect");
    assert_eq!(lines.len(), 1, "one export batch: {lines:?}");
    let line = &lines[0];

    let resource = &line["resourceSpans"][0]["resource"]["attributes"];
    for (key, value) in [
        ("service.name", fixture.id.as_str()),
        ("service.version", "1.2.3"),
        ("buildpack_id", fixture.id.as_str()),
        ("buildpack_name", "Trace test"),
        ("buildpack_version", "1.2.3"),
        ("buildpack_homepage", "https://example.com/trace"),
    ] {
        assert_eq!(
            values(resource, key),
            [&serde_json::json!({ "stringValue": value })]
        );
    }
    assert_eq!(
        line["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"],
        "libcnb"
    );

    let detect = span(line, "libcnb-detect");
    assert_eq!(detect["parentSpanId"], "");
    assert_eq!(
        values(&detect["attributes"], "failed"),
        [
            &serde_json::json!({"boolValue": true}),
            &serde_json::json!({"boolValue": false})
        ]
    );
    assert_eq!(
        values(&detect["attributes"], "target"),
        [&serde_json::json!({"stringValue": "libcnb::runtime"})]
    );
    assert_eq!(event_names(detect), ["libcnb-detect-passed"]);
    assert_eq!(
        detect["status"],
        serde_json::json!({"message": "", "code": 0})
    );

    let own = span(line, "own-detect");
    assert_eq!(own["traceId"], detect["traceId"]);
    assert_eq!(own["parentSpanId"], detect["spanId"]);
    assert_eq!(
        values(&own["attributes"], "answer"),
        [&serde_json::json!({"intValue": "42"})]
    );
    assert_eq!(
        event_names(own),
        ["own-event", "from-log 1"],
        "DEBUG events and log records are filtered out"
    );
    assert_eq!(
        values(&own["events"][0]["attributes"], "count"),
        [&serde_json::json!({"intValue": "3"})]
    );
    // A `log` record, as upstream exports it: the record's own level, target and location,
    // and none of the `log.*` fields that carried them.
    let log_attributes = &own["events"][1]["attributes"];
    let keys: Vec<_> = log_attributes
        .as_array()
        .unwrap()
        .iter()
        .map(|attribute| attribute["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "level",
            "target",
            "code.file.path",
            "code.module.name",
            "code.line.number"
        ]
    );
    assert_eq!(
        values(log_attributes, "target"),
        [&serde_json::json!({"stringValue": "own-log-target"})]
    );
    assert!(
        values(log_attributes, "code.file.path")[0]["stringValue"]
            .as_str()
            .unwrap()
            .ends_with("tests/trace.rs")
    );
}

fn detect_error(fixture: &Fixture) {
    assert_eq!(
        fixture.run("detect", Some("error")),
        1,
        "detect fails with the buildpack's error"
    );
    let lines = fixture.export("detect");
    assert_eq!(lines.len(), 2, "the second run appends a line");
    let detect = span(&lines[1], "libcnb-detect");
    assert_eq!(
        values(&detect["attributes"], "failed"),
        [&serde_json::json!({"boolValue": true})]
    );
    assert_eq!(event_names(detect), ["libcnb-detect-error"]);
    let event = &detect["events"][0];
    assert_eq!(
        values(&event["attributes"], "error"),
        [&serde_json::json!({"stringValue": "BuildpackError(AskedToFail)"})]
    );
    assert_eq!(
        values(&event["attributes"], "level"),
        [&serde_json::json!({"stringValue": "ERROR"})]
    );
    assert_eq!(
        detect["status"],
        serde_json::json!({"message": "", "code": 2})
    );
    assert_ne!(
        lines[1]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
        lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
        "each run is its own trace"
    );
}

fn detect_fail(fixture: &Fixture) {
    assert_eq!(fixture.run("detect", Some("fail")), 100, "detection fails");
    let lines = fixture.export("detect");
    assert_eq!(lines.len(), 3, "the third run appends a line");
    let detect = span(&lines[2], "libcnb-detect");
    assert_eq!(event_names(detect), ["libcnb-detect-failed"]);
    assert_eq!(
        values(&detect["attributes"], "failed"),
        [&serde_json::json!({"boolValue": true})],
        "as upstream, a detection that fails keeps `failed = true`"
    );
    assert_eq!(detect["status"]["code"], 0);
}

fn build_error(fixture: &Fixture) {
    assert_eq!(
        fixture.run("build", Some("error")),
        1,
        "build fails with the buildpack's error"
    );
    let lines = fixture.export("build");
    assert_eq!(lines.len(), 2);
    let build = span(&lines[1], "libcnb-build");
    assert_eq!(event_names(build), ["libcnb-build-error"]);
    assert_eq!(
        values(&build["events"][0]["attributes"], "error"),
        [&serde_json::json!({"stringValue": "BuildpackError(AskedToFail)"})]
    );
    assert_eq!(build["status"]["code"], 2);
}

fn build_success(fixture: &Fixture) {
    assert_eq!(fixture.run("build", None), 0, "build succeeds");
    let lines = fixture.export("build");
    assert_eq!(lines.len(), 1);
    let build = span(&lines[0], "libcnb-build");
    assert_eq!(event_names(build), ["libcnb-build-success"]);
    assert_eq!(
        values(&build["attributes"], "failed"),
        [
            &serde_json::json!({"boolValue": true}),
            &serde_json::json!({"boolValue": false})
        ]
    );
    assert_eq!(
        span(&lines[0], "own-build")["parentSpanId"],
        build["spanId"]
    );
}

fn unwritable_export_never_fails_the_phase(fixture: &Fixture) {
    // A directory where the export file should be: opening it for appending fails.
    fixture.remove_exports();
    let path = fixture.export_path("detect");
    fs::create_dir_all(&path).unwrap();
    assert_eq!(fixture.run("detect", None), 0, "detect still passes");
    assert!(path.is_dir());
}
