//! Build plans: what detect writes
//! ([spec: Build Plan](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#build-plan-toml)),
//! how the detector resolves a group's plans with the provides/requires trials
//! ([spec: Detection](https://github.com/buildpacks/spec/blob/main/buildpack.md#detection)), and each buildpack's own plan
//! ([spec: Buildpack Plan](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpack-plan-toml)).

use serde::{Deserialize, Serialize};

/// One `[[requires]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct Require {
    /// The required name.
    pub name: String,
    /// Opaque buildpack data.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub metadata: toml::Table,
    /// A top-level `version` key, which the lifecycle rejects.
    #[serde(default, skip_serializing)]
    pub version: Option<toml::Value>,
}

/// One `[[provides]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Provide {
    /// The provided name.
    pub name: String,
}

/// A `(provides, requires)` pair: the top level of a build plan or one `[[or]]` alternative.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub(crate) struct PlanSections {
    /// `[[provides]]`.
    #[serde(default)]
    pub provides: Vec<Provide>,
    /// `[[requires]]`.
    #[serde(default)]
    pub requires: Vec<Require>,
}

/// The Build Plan a buildpack's detect writes to `CNB_BUILD_PLAN_PATH`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub(crate) struct BuildPlan {
    /// The top-level alternative.
    #[serde(flatten)]
    pub sections: PlanSections,
    /// `[[or]]` alternatives, tried after the top level.
    #[serde(default)]
    pub or: Vec<PlanSections>,
}

impl BuildPlan {
    /// The alternatives in trial order: the top level, then each `[[or]]`.
    fn options(&self) -> Vec<&PlanSections> {
        std::iter::once(&self.sections).chain(&self.or).collect()
    }

    /// The first `requires` entry with a top-level `version` key, if any.
    #[must_use]
    pub(crate) fn require_with_version(&self) -> Option<&str> {
        self.options()
            .into_iter()
            .flat_map(|option| &option.requires)
            .find(|require| require.version.is_some())
            .map(|require| require.name.as_str())
    }
}

/// A buildpack that passed detect, as plan resolution sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetectedPlan {
    /// The index of the buildpack in the group.
    pub index: usize,
    /// Whether the buildpack is optional.
    pub optional: bool,
    /// Its build plan.
    pub plan: BuildPlan,
}

/// One entry of the resolved plan (`<layers>/plan.toml`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanEntry {
    /// Group indexes of the buildpacks that provide the name before the requirers.
    pub providers: Vec<usize>,
    /// The requirements.
    pub requires: Vec<Require>,
}

/// The resolved plan of a group.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ResolvedPlan {
    /// The entries, one per required name.
    pub entries: Vec<PlanEntry>,
}

impl ResolvedPlan {
    /// The Buildpack Plan of the buildpack at `index`: the `requires` of every entry it
    /// provides (`platform/files/plan.go Find`).
    #[must_use]
    pub(crate) fn find(&self, index: usize) -> BuildpackPlan {
        let entries = self
            .entries
            .iter()
            .filter(|entry| entry.providers.contains(&index))
            .flat_map(|entry| entry.requires.iter().cloned())
            .collect();
        BuildpackPlan { entries }
    }

    /// Drops the entries whose name was met (`Plan.Filter`).
    pub(crate) fn remove_met(&mut self, met: &[String]) {
        self.entries.retain(|entry| {
            !entry
                .requires
                .iter()
                .any(|require| met.contains(&require.name))
        });
    }
}

/// The plan one buildpack receives at `CNB_BP_PLAN_PATH`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub(crate) struct BuildpackPlan {
    /// `[[entries]]`: name plus metadata.
    pub entries: Vec<Require>,
}

impl BuildpackPlan {
    /// The plan as TOML.
    ///
    /// # Errors
    ///
    /// Fails when metadata cannot be represented as TOML.
    pub(crate) fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }
}

#[derive(Default)]
struct DepEntry {
    name: String,
    providers: Vec<usize>,
    requires: Vec<Require>,
    extra_provides: Vec<usize>,
    early_requires: Vec<usize>,
}

/// Runs the trials ([spec: Detection](https://github.com/buildpacks/spec/blob/main/buildpack.md#detection)): for each combination of alternatives, depth-first from left to
/// right, drop optional buildpacks with unmet requires or unused provides until stable.
/// Returns the surviving group indexes and the resolved plan, or `None` if no trial works.
#[must_use]
pub(crate) fn resolve(detected: &[DetectedPlan]) -> Option<(Vec<usize>, ResolvedPlan)> {
    let mut choice = vec![0; detected.len()];
    loop {
        let trial: Vec<(&DetectedPlan, &PlanSections)> = detected
            .iter()
            .zip(&choice)
            .map(|(run, &i)| (run, run.plan.options()[i]))
            .collect();
        if let Some(result) = run_trial(trial) {
            return Some(result);
        }
        // Advance the rightmost element first: the leftmost varies slowest.
        let mut position = detected.len();
        loop {
            if position == 0 {
                return None;
            }
            position -= 1;
            choice[position] += 1;
            if choice[position] < detected[position].plan.options().len() {
                break;
            }
            choice[position] = 0;
        }
    }
}

fn run_trial(mut trial: Vec<(&DetectedPlan, &PlanSections)>) -> Option<(Vec<usize>, ResolvedPlan)> {
    loop {
        let deps = dep_map(&trial);
        let mut to_remove = Vec::new();
        for entry in &deps {
            for &index in entry.early_requires.iter().chain(&entry.extra_provides) {
                let optional = trial
                    .iter()
                    .any(|(run, _)| run.index == index && run.optional);
                if !optional {
                    return None;
                }
                to_remove.push(index);
            }
        }
        if to_remove.is_empty() {
            if trial.is_empty() {
                return None;
            }
            let group = trial.iter().map(|(run, _)| run.index).collect();
            let entries = deps
                .into_iter()
                .filter(|entry| !entry.providers.is_empty() && !entry.requires.is_empty())
                .map(|entry| PlanEntry {
                    providers: entry.providers,
                    requires: entry.requires,
                })
                .collect();
            return Some((group, ResolvedPlan { entries }));
        }
        trial.retain(|(run, _)| !to_remove.contains(&run.index));
    }
}

fn dep_map(trial: &[(&DetectedPlan, &PlanSections)]) -> Vec<DepEntry> {
    let mut deps: Vec<DepEntry> = Vec::new();
    let entry_for = |deps: &mut Vec<DepEntry>, name: &str| -> usize {
        if let Some(i) = deps.iter().position(|d| d.name == name) {
            i
        } else {
            deps.push(DepEntry {
                name: name.to_owned(),
                ..DepEntry::default()
            });
            deps.len() - 1
        }
    };
    for (run, sections) in trial {
        for provide in &sections.provides {
            let i = entry_for(&mut deps, &provide.name);
            deps[i].extra_provides.push(run.index);
        }
        for require in &sections.requires {
            let i = entry_for(&mut deps, &require.name);
            let entry = &mut deps[i];
            let extra = std::mem::take(&mut entry.extra_provides);
            entry.providers.extend(extra);
            if entry.providers.is_empty() {
                entry.early_requires.push(run.index);
            } else {
                entry.requires.push(require.clone());
            }
        }
    }
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> BuildPlan {
        toml::from_str(text).unwrap()
    }

    fn detected(index: usize, optional: bool, text: &str) -> DetectedPlan {
        DetectedPlan {
            index,
            optional,
            plan: plan(text),
        }
    }

    #[test]
    fn provider_before_requirer_resolves() {
        let runs = [
            detected(0, false, "[[provides]]\nname = \"node\"\n"),
            detected(
                1,
                false,
                "[[requires]]\nname = \"node\"\n[requires.metadata]\nversion = \"22\"\n",
            ),
        ];
        let (group, resolved) = resolve(&runs).unwrap();
        assert_eq!(group, [0, 1]);
        assert_eq!(resolved.entries.len(), 1);
        assert_eq!(resolved.find(0).entries[0].name, "node");
        assert!(resolved.find(1).entries.is_empty());
    }

    #[test]
    fn same_buildpack_provide_counts_and_unused_provide_fails() {
        let own = [detected(
            0,
            false,
            "[[provides]]\nname = \"x\"\n[[requires]]\nname = \"x\"\n",
        )];
        assert!(resolve(&own).is_some());
        let unused = [detected(0, false, "[[provides]]\nname = \"x\"\n")];
        assert!(resolve(&unused).is_none());
        let early = [
            detected(0, false, "[[requires]]\nname = \"x\"\n"),
            detected(1, false, "[[provides]]\nname = \"x\"\n"),
        ];
        assert!(
            resolve(&early).is_none(),
            "a require before its provide fails"
        );
    }

    #[test]
    fn optional_buildpacks_are_dropped_and_or_alternatives_tried() {
        let runs = [
            detected(0, true, "[[provides]]\nname = \"unused\"\n"),
            detected(
                1,
                false,
                "[[requires]]\nname = \"missing\"\n[[or]]\n[[or.provides]]\nname = \"y\"\n[[or.requires]]\nname = \"y\"\n",
            ),
        ];
        let (group, resolved) = resolve(&runs).unwrap();
        assert_eq!(group, [1]);
        assert_eq!(resolved.find(1).entries[0].name, "y");
    }

    #[test]
    fn every_requirer_reaches_the_provider_and_met_entries_are_dropped() {
        let runs = [
            detected(0, false, "[[provides]]\nname = \"x\"\n"),
            detected(
                1,
                false,
                "[[requires]]\nname = \"x\"\n[requires.metadata]\nn = 1\n",
            ),
            detected(
                2,
                false,
                "[[requires]]\nname = \"x\"\n[requires.metadata]\nn = 2\n",
            ),
        ];
        let (_, mut resolved) = resolve(&runs).unwrap();
        assert_eq!(resolved.find(0).entries.len(), 2);
        resolved.remove_met(&["x".to_owned()]);
        assert!(resolved.find(0).entries.is_empty());
    }

    #[test]
    fn buildpack_plan_serialises_as_entries() {
        let plan = BuildpackPlan {
            entries: vec![Require {
                name: "x".into(),
                metadata: toml::from_str("a = 1").unwrap(),
                version: None,
            }],
        };
        let text = plan.to_toml().unwrap();
        let back: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(back["entries"][0]["name"].as_str(), Some("x"));
        assert_eq!(back["entries"][0]["metadata"]["a"].as_integer(), Some(1));
    }
}
