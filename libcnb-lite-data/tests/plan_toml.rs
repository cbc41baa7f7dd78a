//! The build plan (written by detect) and the buildpack plan (read by build).

use libcnb_lite_data::build_plan::{BuildPlan, BuildPlanBuilder, Require};
use libcnb_lite_data::buildpack_plan::BuildpackPlan;
use serde::{Deserialize, Serialize};

const BUILD_PLAN: &str = include_str!("fixtures/build-plan/plan.toml");
const BUILDPACK_PLAN: &str = include_str!("fixtures/buildpack-plan/plan.toml");

fn table(toml_str: &str) -> toml::Table {
    toml::from_str(toml_str).unwrap_or_else(|error| panic!("not TOML: {error}\n{toml_str}"))
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct PythonMetadata {
    version: String,
    launch: bool,
}

fn python_metadata() -> PythonMetadata {
    PythonMetadata {
        version: String::from("3.12"),
        launch: true,
    }
}

#[test]
fn builder_writes_the_spec_layout() {
    let mut python = Require::new("python");
    python.metadata(python_metadata()).unwrap();

    let plan = BuildPlanBuilder::new()
        .provides("python")
        .requires(python)
        .or()
        .provides("pip")
        .requires("python")
        .requires("pip")
        .build();

    let serialized = toml::to_string(&plan).unwrap();
    assert_eq!(table(&serialized), table(BUILD_PLAN));
}

#[test]
fn build_plan_reads_back() {
    let plan = toml::from_str::<BuildPlan>(BUILD_PLAN).unwrap();
    assert_eq!(plan.provides[0].name(), "python");
    assert_eq!(plan.requires[0].name, "python");
    assert_eq!(
        toml::Value::Table(plan.requires[0].metadata.clone())
            .try_into::<PythonMetadata>()
            .unwrap(),
        python_metadata()
    );
    assert_eq!(plan.or.len(), 1);
    assert_eq!(plan.or[0].provides()[0].name(), "pip");
    assert_eq!(
        plan.or[0]
            .requires()
            .iter()
            .map(|require| require.name.as_str())
            .collect::<Vec<_>>(),
        ["python", "pip"]
    );
    assert_eq!(table(&toml::to_string(&plan).unwrap()), table(BUILD_PLAN));
}

#[test]
fn requires_metadata_is_always_written() {
    let plan = BuildPlanBuilder::new().requires("python").build();
    assert_eq!(
        toml::to_string(&plan).unwrap(),
        "[[requires]]\nname = \"python\"\n\n[requires.metadata]\n"
    );
}

#[test]
fn buildpack_plan_parses_the_spec_layout_and_round_trips() {
    let plan = toml::from_str::<BuildpackPlan>(BUILDPACK_PLAN).unwrap();
    assert_eq!(plan.entries.len(), 2);
    assert_eq!(plan.entries[0].name, "python");
    assert_eq!(
        plan.entries[0].metadata::<PythonMetadata>().unwrap(),
        python_metadata()
    );
    assert_eq!(plan.entries[1].name, "pip");
    assert!(plan.entries[1].metadata.is_empty());

    let serialized = toml::to_string(&plan).unwrap();
    assert_eq!(toml::from_str::<BuildpackPlan>(&serialized).unwrap(), plan);
}

#[test]
fn buildpack_plan_rejects_unknown_keys() {
    // `version` was a plan entry key before Buildpack API 0.3.
    let error = toml::from_str::<BuildpackPlan>("[[entries]]\nname = \"python\"\nversion = \"3\"")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `version`"), "{error}");
    let error = toml::from_str::<BuildpackPlan>("[[requires]]\nname = \"python\"")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `requires`"), "{error}");
    assert!(toml::from_str::<BuildpackPlan>("[[entries]]\n[entries.metadata]").is_err());
}
