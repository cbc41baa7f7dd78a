//! The lines the build prints about package layers, made from the layer states and their
//! causes.

use crate::metadata::{DistributionChange, InvalidMetadataCause, RestoredCause};
use crate::resolution::Distribution;
use libcnb_lite::layer::{EmptyLayerCause, LayerState};
use std::time::Duration;

/// The state of a package layer after `cached_layer`.
pub(crate) type PackageLayerState = LayerState<InvalidMetadataCause, RestoredCause>;

/// What happened to one package layer, e.g. `demo-http 1.4.0: reused`,
/// `demo-urlkit: installing 2.2.2 (was 2.2.1)`, or for a group layer
/// `pkgs-1 (demo-b64x 0.1.0, demo-charset 3.3.0): reused`.
pub(crate) fn package_layer_line(
    layer_name: &str,
    distributions: &[Distribution],
    state: &PackageLayerState,
) -> String {
    let reason = match state {
        LayerState::Restored { .. } => None,
        LayerState::Empty {
            cause: EmptyLayerCause::NewlyCreated,
        } => Some(None),
        LayerState::Empty {
            cause: EmptyLayerCause::InvalidMetadataAction { cause },
        } => Some(Some(cause.to_string())),
        LayerState::Empty {
            cause: EmptyLayerCause::InspectRestoredAction { cause },
        } => Some(Some(restored_cause_text(cause, distributions))),
    };

    match (distributions, reason) {
        ([single], None) => format!("{} {}: reused", single.name, single.version),
        ([single], Some(reason)) => {
            let reason = reason
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            format!("{}: installing {}{reason}", single.name, single.version)
        }
        (group, None) => format!("{layer_name} ({}): reused", list(group)),
        (group, Some(reason)) => {
            let reason = reason
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            format!("{layer_name} ({}): installing{reason}", list(group))
        }
    }
}

/// For a distribution's own layer, a version change reads `was 2.2.1`; everything else is
/// the cause's own text.
fn restored_cause_text(cause: &RestoredCause, distributions: &[Distribution]) -> String {
    match (cause, distributions) {
        (RestoredCause::DistributionsChanged(changes), [single]) => match changes.as_slice() {
            [DistributionChange::Version { name, was, .. }] if *name == single.name => {
                format!("was {was}")
            }
            _ => cause.to_string(),
        },
        _ => cause.to_string(),
    }
}

fn list(distributions: &[Distribution]) -> String {
    distributions
        .iter()
        .map(|dist| format!("{} {}", dist.name, dist.version))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary line, e.g. `35 packages: 34 reused, 1 installed in 0.41 s`.
pub(crate) fn summary_line(reused: usize, installed: usize, install_time: Duration) -> String {
    let total = reused + installed;
    let noun = if total == 1 { "package" } else { "packages" };
    format!(
        "{total} {noun}: {reused} reused, {installed} installed in {}",
        seconds(install_time)
    )
}

/// A duration as `0.41 s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::{PackageLayerState, package_layer_line, summary_line};
    use crate::metadata::{DistributionChange, InvalidMetadataCause, RestoredCause};
    use crate::resolution::Distribution;
    use libcnb_lite::layer::{EmptyLayerCause, LayerState};
    use std::time::Duration;

    fn dist(name: &str, version: &str) -> Distribution {
        Distribution {
            name: name.into(),
            version: version.into(),
            sha256: "aa".into(),
            url: format!("file:///w/{name}.whl"),
            requested: false,
        }
    }

    fn line(distributions: &[Distribution], state: &PackageLayerState) -> String {
        package_layer_line("pkgs-1", distributions, state)
    }

    fn inspected(cause: RestoredCause) -> PackageLayerState {
        LayerState::Empty {
            cause: EmptyLayerCause::InspectRestoredAction { cause },
        }
    }

    #[test]
    fn own_layer_lines() {
        let urlkit = [dist("demo-urlkit", "2.2.2")];
        let reused = LayerState::Restored {
            cause: RestoredCause::Unchanged,
        };
        assert_eq!(line(&urlkit, &reused), "demo-urlkit 2.2.2: reused");
        let new = LayerState::Empty {
            cause: EmptyLayerCause::NewlyCreated,
        };
        assert_eq!(line(&urlkit, &new), "demo-urlkit: installing 2.2.2");
        let bumped = inspected(RestoredCause::DistributionsChanged(vec![
            DistributionChange::Version {
                name: "demo-urlkit".into(),
                was: "2.2.1".into(),
                now: "2.2.2".into(),
            },
        ]));
        assert_eq!(
            line(&urlkit, &bumped),
            "demo-urlkit: installing 2.2.2 (was 2.2.1)"
        );
        let python = inspected(RestoredCause::PythonChanged {
            was: "cpython-3.11.7".into(),
            now: "cpython-3.12.1".into(),
        });
        assert_eq!(
            line(&urlkit, &python),
            "demo-urlkit: installing 2.2.2 (Python changed: cpython-3.11.7 → cpython-3.12.1)"
        );
        let unreadable = LayerState::Empty {
            cause: EmptyLayerCause::InvalidMetadataAction {
                cause: InvalidMetadataCause::Unrecognised,
            },
        };
        assert_eq!(
            line(&urlkit, &unreadable),
            "demo-urlkit: installing 2.2.2 (unrecognised cached metadata)"
        );
    }

    #[test]
    fn group_layer_lines() {
        let group = [dist("demo-b64x", "0.1.0"), dist("demo-charset", "3.3.1")];
        let reused = LayerState::Restored {
            cause: RestoredCause::Unchanged,
        };
        assert_eq!(
            line(&group, &reused),
            "pkgs-1 (demo-b64x 0.1.0, demo-charset 3.3.1): reused"
        );
        let bumped = inspected(RestoredCause::DistributionsChanged(vec![
            DistributionChange::Version {
                name: "demo-charset".into(),
                was: "3.3.0".into(),
                now: "3.3.1".into(),
            },
        ]));
        assert_eq!(
            line(&group, &bumped),
            "pkgs-1 (demo-b64x 0.1.0, demo-charset 3.3.1): installing (demo-charset 3.3.0 → 3.3.1)"
        );
    }

    #[test]
    fn summary() {
        assert_eq!(
            summary_line(34, 1, Duration::from_millis(412)),
            "35 packages: 34 reused, 1 installed in 0.41 s"
        );
        assert_eq!(
            summary_line(1, 0, Duration::ZERO),
            "1 package: 1 reused, 0 installed in 0.00 s"
        );
    }
}
