//! Settings, from platform environment variables (`pack build --env`, `cnb-local --env`).

use libcnb_lite::Env;
use libcnb_lite::layer_set::{DEFAULT_BUDGET, DEFAULT_GROUP_LAYERS, LayerSet};

/// `per-package` (the default) or `single`.
pub(crate) const STRATEGY_VAR: &str = "BP_PYTHON_LAYER_STRATEGY";
/// The most package layers, at least 1 (default [`DEFAULT_BUDGET`]).
pub(crate) const BUDGET_VAR: &str = "BP_PYTHON_PACKAGE_LAYER_BUDGET";

/// How packages are split into layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// One layer per distribution, with at most `budget` layers: beyond that, the least
    /// specific distributions share up to [`DEFAULT_GROUP_LAYERS`] group layers.
    PerPackage { budget: usize },
    /// One layer for all distributions, for comparison: a budget of 1.
    Single,
}

impl Strategy {
    /// Reads [`STRATEGY_VAR`] and [`BUDGET_VAR`].
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a value that isn't one of the documented ones.
    pub(crate) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let strategy = env.get_string_lossy(STRATEGY_VAR);
        match strategy.as_deref().map(str::trim) {
            None | Some("" | "per-package") => {}
            Some("single") => return Ok(Self::Single),
            Some(other) => {
                return Err(ConfigError::Strategy {
                    value: other.to_string(),
                });
            }
        }
        let budget = match env.get_string_lossy(BUDGET_VAR) {
            None => DEFAULT_BUDGET,
            Some(value) => match value.trim().parse::<usize>() {
                Ok(budget) if budget > 0 => budget,
                _ => return Err(ConfigError::Budget { value }),
            },
        };
        Ok(Self::PerPackage { budget })
    }

    /// The layer set of the package layers: `pkg-<name>` for a distribution's own layer,
    /// `pkgs-<index>` for a group layer. Both strategies use the same prefixes, so switching
    /// between them prunes the other strategy's layers.
    pub(crate) fn layer_set(self) -> LayerSet {
        let (budget, group_layers) = match self {
            Self::PerPackage { budget } => (budget, DEFAULT_GROUP_LAYERS.min(budget)),
            Self::Single => (1, 1),
        };
        LayerSet::new("pkg-", "pkgs-")
            .and_then(|set| set.with_budget(budget, group_layers))
            .expect("the prefixes are valid and distinct, and 1 ≤ group layers ≤ budget")
    }
}

/// A setting has an invalid value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("{STRATEGY_VAR} is `{value}`; use `per-package` (the default) or `single`")]
    Strategy { value: String },
    #[error("{BUDGET_VAR} is `{value}`; use a whole number of layers, 1 or more")]
    Budget { value: String },
}

#[cfg(test)]
mod tests {
    use super::{BUDGET_VAR, ConfigError, STRATEGY_VAR, Strategy};
    use libcnb_lite::Env;

    fn strategy(vars: &[(&str, &str)]) -> Result<Strategy, ConfigError> {
        let mut env = Env::new();
        for (name, value) in vars {
            env.insert(name, value);
        }
        Strategy::from_env(&env)
    }

    #[test]
    fn defaults_to_per_package_layers_within_60() {
        assert_eq!(strategy(&[]).unwrap(), Strategy::PerPackage { budget: 60 });
        let set = strategy(&[]).unwrap().layer_set();
        assert_eq!((set.budget(), set.group_layers()), (60, 4));
    }

    #[test]
    fn reads_the_strategy_and_the_budget() {
        assert_eq!(
            strategy(&[(BUDGET_VAR, "10")]).unwrap(),
            Strategy::PerPackage { budget: 10 }
        );
        assert_eq!(
            strategy(&[(STRATEGY_VAR, "single")]).unwrap(),
            Strategy::Single
        );
        let set = Strategy::Single.layer_set();
        assert_eq!((set.budget(), set.group_layers()), (1, 1));
        let set = Strategy::PerPackage { budget: 2 }.layer_set();
        assert_eq!((set.budget(), set.group_layers()), (2, 2));
    }

    #[test]
    fn rejects_unknown_values() {
        let error = strategy(&[(STRATEGY_VAR, "per-distro")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "BP_PYTHON_LAYER_STRATEGY is `per-distro`; use `per-package` (the default) or `single`"
        );
        for value in ["0", "-1", "many"] {
            assert!(matches!(
                strategy(&[(BUDGET_VAR, value)]),
                Err(ConfigError::Budget { .. })
            ));
        }
    }
}
