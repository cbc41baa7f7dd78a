//! Planning a layer set: which item goes into which layer, within a budget.

use libcnb_lite_data::layer::{LayerName, LayerNameError};
use std::collections::{BTreeMap, BTreeSet};

/// How many layers a [`LayerSet`] uses at most, unless told otherwise: well under the 127
/// layers an image can have, which the base image and the other buildpacks share.
pub const DEFAULT_BUDGET: usize = 60;

/// How many shared layers a [`LayerSet`] spreads its least specific items over when it has more
/// items than its budget, unless told otherwise.
pub const DEFAULT_GROUP_LAYERS: usize = 4;

/// A family of layers with one layer per item (a dependency, say), named `<item prefix><key>`,
/// that stays within a budget by putting the least specific items into a few shared layers
/// named `<group prefix><index>`.
///
/// See the [module documentation](crate::layer_set) for the rules and a full example.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer_set::{LayerSet, SetItem};
///
/// let set = LayerSet::new("pkg-", "pkgs-")?.with_budget(3, 1)?;
/// let plan = set.plan([
///     SetItem::new("web", 1, "web 1.0"),
///     SetItem::new("http", 0, "http 1.4"),
///     SetItem::new("core", 0, "core 1.2"),
///     SetItem::new("clock", 0, "clock 0.7"),
/// ])?;
///
/// // Four items, three layers: two items of the lowest specificity share `pkgs-0`.
/// let names: Vec<&str> = plan.layers().iter().map(|layer| layer.name().as_str()).collect();
/// assert_eq!(plan.layers().len(), 3);
/// assert!(names.contains(&"pkg-web") && names.contains(&"pkgs-0"));
/// # Ok::<(), libcnb_lite::layer_set::LayerSetError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSet {
    item_prefix: String,
    group_prefix: String,
    budget: usize,
    group_layers: usize,
}

impl LayerSet {
    /// A layer set whose item layers are named `<item_prefix><key>` and whose shared layers
    /// are named `<group_prefix><index>`, with [`DEFAULT_BUDGET`] and
    /// [`DEFAULT_GROUP_LAYERS`].
    ///
    /// The set owns every layer whose name starts with either prefix: [`LayerSet::prune`]
    /// deletes those that a plan doesn't have.
    ///
    /// # Errors
    ///
    /// [`LayerSetError::InvalidPrefix`] if a prefix is empty or has other characters than
    /// ASCII letters, digits, `-` and `_`, and [`LayerSetError::OverlappingPrefixes`] if one
    /// prefix starts with the other (an item name could then be a group name).
    pub fn new(
        item_prefix: impl Into<String>,
        group_prefix: impl Into<String>,
    ) -> Result<Self, LayerSetError> {
        let (item_prefix, group_prefix) = (item_prefix.into(), group_prefix.into());
        for prefix in [&item_prefix, &group_prefix] {
            if !is_name_part(prefix) {
                return Err(LayerSetError::InvalidPrefix {
                    prefix: prefix.clone(),
                });
            }
        }
        if item_prefix.starts_with(&group_prefix) || group_prefix.starts_with(&item_prefix) {
            return Err(LayerSetError::OverlappingPrefixes {
                item_prefix,
                group_prefix,
            });
        }
        Ok(Self {
            item_prefix,
            group_prefix,
            budget: DEFAULT_BUDGET,
            group_layers: DEFAULT_GROUP_LAYERS,
        })
    }

    /// Sets the most layers the set may use (`budget`) and how many of them hold shared items
    /// when there are more items than that (`group_layers`, at most `budget`).
    ///
    /// With `budget` 1 every item shares one layer as soon as there are two.
    ///
    /// # Errors
    ///
    /// [`LayerSetError::InvalidBudget`] if `budget` or `group_layers` is 0 or `group_layers`
    /// is larger than `budget`.
    #[inline]
    pub fn with_budget(self, budget: usize, group_layers: usize) -> Result<Self, LayerSetError> {
        if budget == 0 || group_layers == 0 || group_layers > budget {
            return Err(LayerSetError::InvalidBudget {
                budget,
                group_layers,
            });
        }
        Ok(Self {
            budget,
            group_layers,
            ..self
        })
    }

    /// The most layers this set uses.
    #[must_use]
    #[inline]
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// How many shared layers this set uses when it has more items than its budget.
    #[must_use]
    #[inline]
    pub fn group_layers(&self) -> usize {
        self.group_layers
    }

    /// Whether a layer of this name belongs to this set: it starts with the item or the group
    /// prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer_set::LayerSet;
    ///
    /// let set = LayerSet::new("pkg-", "pkgs-")?;
    /// assert!(set.owns(&layer_name!("pkg-requests")));
    /// assert!(set.owns(&layer_name!("pkgs-2")));
    /// assert!(!set.owns(&layer_name!("venv")));
    /// # Ok::<(), libcnb_lite::layer_set::LayerSetError>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn owns(&self, name: &LayerName) -> bool {
        let name = name.as_str();
        name.starts_with(&self.item_prefix) || name.starts_with(&self.group_prefix)
    }

    /// Assigns every item to a layer.
    ///
    /// If there are at most [`budget`](Self::budget) items, each gets its own layer.
    /// Otherwise `budget - group_layers` items keep their own layer and the rest share the
    /// group layers. The items that share are the least specific: ordered by specificity
    /// (lowest first), then by a stable hash of the key, the first ones are grouped, and each
    /// grouped item goes into group layer `hash(key) % group_layers`. A group layer that gets
    /// no item is not in the plan.
    ///
    /// The assignment depends only on the items' keys and specificities, never on their
    /// values or the order they are given in, so it is the same on every build: changing an
    /// item's value (a version, say) moves nothing; adding or removing an item moves at most
    /// one other item between its own layer and a group layer, except when the number of
    /// items crosses the budget.
    ///
    /// Layers are in name order; the items of a layer are in key order.
    ///
    /// # Errors
    ///
    /// [`LayerSetError::InvalidKey`] if a key is empty or has other characters than ASCII
    /// letters, digits, `-` and `_`; [`LayerSetError::DuplicateKey`] if two items have the
    /// same key; [`LayerSetError::InvalidLayerName`] if a name made from a prefix and a key
    /// isn't a valid layer name.
    pub fn plan<T>(
        &self,
        items: impl IntoIterator<Item = SetItem<T>>,
    ) -> Result<LayerPlan<T>, LayerSetError> {
        let mut ranked = Vec::new();
        let mut keys = BTreeSet::new();
        for item in items {
            if !is_name_part(&item.key) {
                return Err(LayerSetError::InvalidKey { key: item.key });
            }
            if !keys.insert(item.key.clone()) {
                return Err(LayerSetError::DuplicateKey { key: item.key });
            }
            ranked.push((item.specificity, stable_hash(&item.key), item));
        }

        let grouped_count = if ranked.len() > self.budget {
            ranked.len() - (self.budget - self.group_layers)
        } else {
            0
        };
        // Least specific first; the hash spreads items of equal specificity evenly and
        // independently of their names' alphabetical order.
        ranked.sort_by(|(a_spec, a_hash, a), (b_spec, b_hash, b)| {
            (a_spec, a_hash, &a.key).cmp(&(b_spec, b_hash, &b.key))
        });

        let mut layers: BTreeMap<String, (Option<usize>, Vec<SetItem<T>>)> = BTreeMap::new();
        for (rank, (_, hash, item)) in ranked.into_iter().enumerate() {
            let (name, group) = if rank < grouped_count {
                // The remainder is smaller than `group_layers`, a usize.
                let groups = u64::try_from(self.group_layers).unwrap_or(u64::MAX);
                let index = usize::try_from(hash % groups).unwrap_or_default();
                (format!("{}{index}", self.group_prefix), Some(index))
            } else {
                (format!("{}{}", self.item_prefix, item.key), None)
            };
            layers
                .entry(name)
                .or_insert((group, Vec::new()))
                .1
                .push(item);
        }

        let mut planned = Vec::with_capacity(layers.len());
        for (name, (group, mut items)) in layers {
            items.sort_by(|a, b| a.key.cmp(&b.key));
            let name = name
                .parse::<LayerName>()
                .map_err(|source| LayerSetError::InvalidLayerName { source })?;
            planned.push(PlannedLayer {
                name,
                group,
                items: items.into_iter().map(|item| item.value).collect(),
            });
        }
        Ok(LayerPlan { layers: planned })
    }
}

/// An item of a [`LayerSet`]: a key that names its layer, a specificity and a value.
///
/// The specificity says how much the item deserves its own layer: higher is more specific
/// (for example 1 for a dependency the app asks for, 0 for one it only gets transitively).
/// Items of the lowest specificity are the first to share a group layer.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer_set::SetItem;
///
/// let item = SetItem::new("requests", 1, ("requests", "2.32.3"));
/// assert_eq!(item.key(), "requests");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetItem<T> {
    key: String,
    specificity: u32,
    value: T,
}

impl<T> SetItem<T> {
    /// An item with the given key, specificity and value.
    pub fn new(key: impl Into<String>, specificity: u32, value: T) -> Self {
        Self {
            key: key.into(),
            specificity,
            value,
        }
    }

    /// The item's key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The item's specificity.
    #[must_use]
    pub fn specificity(&self) -> u32 {
        self.specificity
    }

    /// The item's value.
    #[must_use]
    pub fn value(&self) -> &T {
        &self.value
    }
}

/// The layers of a [`LayerSet`] for one build, from [`LayerSet::plan`].
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::layer_set::{LayerSet, SetItem};
///
/// let plan = LayerSet::new("pkg-", "pkgs-")?.plan([SetItem::new("web", 1, ())])?;
/// assert!(plan.contains(&layer_name!("pkg-web")));
/// assert_eq!(plan.layers()[0].group(), None);
/// # Ok::<(), libcnb_lite::layer_set::LayerSetError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPlan<T> {
    layers: Vec<PlannedLayer<T>>,
}

impl<T> LayerPlan<T> {
    /// The planned layers, in name order.
    #[must_use]
    pub fn layers(&self) -> &[PlannedLayer<T>] {
        &self.layers
    }

    /// The planned layers, by value.
    #[must_use]
    pub fn into_layers(self) -> Vec<PlannedLayer<T>> {
        self.layers
    }

    /// Whether the plan has a layer of this name.
    #[must_use]
    pub fn contains(&self, name: &LayerName) -> bool {
        self.layers.iter().any(|layer| &layer.name == name)
    }
}

/// One layer of a [`LayerPlan`]: its name, whether it's a group layer, and its items' values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLayer<T> {
    name: LayerName,
    group: Option<usize>,
    items: Vec<T>,
}

impl<T> PlannedLayer<T> {
    /// The layer's name.
    #[must_use]
    pub fn name(&self) -> &LayerName {
        &self.name
    }

    /// The index of the group layer, or `None` for an item's own layer.
    #[must_use]
    pub fn group(&self) -> Option<usize> {
        self.group
    }

    /// The values of the layer's items, in key order: one for an item's own layer.
    #[must_use]
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The values of the layer's items, by value.
    #[must_use]
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// A [`LayerSet`] can't be set up or planned.
#[derive(Debug, thiserror::Error)]
pub enum LayerSetError {
    /// A prefix is empty or has other characters than ASCII letters, digits, `-` and `_`.
    #[error(
        "invalid layer set prefix `{prefix}`: use ASCII letters, digits, `-` and `_`, and at \
         least one character"
    )]
    InvalidPrefix {
        /// The prefix.
        prefix: String,
    },
    /// One prefix starts with the other.
    #[error(
        "the layer set prefixes `{item_prefix}` and `{group_prefix}` overlap: an item layer \
         could have a group layer's name; choose prefixes where neither starts with the other"
    )]
    OverlappingPrefixes {
        /// The item prefix.
        item_prefix: String,
        /// The group prefix.
        group_prefix: String,
    },
    /// The budget or the number of group layers is 0, or there are more group layers than the
    /// budget.
    #[error(
        "invalid layer set budget of {budget} layers with {group_layers} group layers: both \
         must be at least 1, with no more group layers than the budget"
    )]
    InvalidBudget {
        /// The budget.
        budget: usize,
        /// The number of group layers.
        group_layers: usize,
    },
    /// A key is empty or has other characters than ASCII letters, digits, `-` and `_`.
    #[error(
        "invalid layer set key `{key}`: use ASCII letters, digits, `-` and `_`, and at least \
         one character"
    )]
    InvalidKey {
        /// The key.
        key: String,
    },
    /// Two items have the same key.
    #[error("two layer set items have the key `{key}`: keys name layers, so they must be unique")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A prefix and a key make a reserved layer name (such as `build`).
    #[error("a layer set prefix and key make an invalid layer name")]
    InvalidLayerName {
        /// Why the name is invalid.
        source: LayerNameError,
    },
}

#[inline]
fn is_name_part(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'))
}

/// 64-bit FNV-1a: stable across builds, platforms and Rust versions (unlike
/// `std::hash::DefaultHasher`), which is what keeps the assignment the same on every build.
/// It needn't resist collisions on purpose: a collision only changes which of two items is
/// grouped first.
#[inline]
fn stable_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{LayerSet, LayerSetError, SetItem, stable_hash};
    use std::collections::BTreeMap;

    /// Item key → layer name.
    fn assignment(set: &LayerSet, items: &[(String, u32)]) -> BTreeMap<String, String> {
        let plan = set
            .plan(
                items
                    .iter()
                    .map(|(key, specificity)| SetItem::new(key.clone(), *specificity, key.clone())),
            )
            .unwrap();
        assert!(plan.layers().len() <= set.budget(), "over budget: {plan:?}");
        let mut assignment = BTreeMap::new();
        for layer in plan.layers() {
            assert!(!layer.items().is_empty());
            for key in layer.items() {
                assert!(
                    assignment
                        .insert(key.clone(), layer.name().to_string())
                        .is_none()
                );
            }
        }
        assert_eq!(assignment.len(), items.len());
        assignment
    }

    fn items(count: usize) -> Vec<(String, u32)> {
        (0..count)
            .map(|index| (format!("dist-{index}"), u32::from(index % 3 == 0)))
            .collect()
    }

    #[test]
    fn the_fnv_1a_hash_is_the_published_one() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn within_budget_every_item_has_its_own_layer() {
        let set = LayerSet::new("pkg-", "pkgs-")
            .unwrap()
            .with_budget(5, 2)
            .unwrap();
        let assignment = assignment(&set, &items(5));
        for (key, layer) in assignment {
            assert_eq!(layer, format!("pkg-{key}"));
        }
    }

    #[test]
    fn over_budget_the_least_specific_share_group_layers() {
        let set = LayerSet::new("pkg-", "pkgs-")
            .unwrap()
            .with_budget(10, 3)
            .unwrap();
        let items = items(30);
        let assignment = assignment(&set, &items);
        let own: Vec<&String> = assignment
            .iter()
            .filter(|(key, layer)| **layer == format!("pkg-{key}"))
            .map(|(key, _)| key)
            .collect();
        assert_eq!(own.len(), 7);
        // 10 of the 30 items are specific (index divisible by 3); all 7 own layers are theirs.
        for key in own {
            let index: usize = key.trim_start_matches("dist-").parse().unwrap();
            assert_eq!(index % 3, 0, "{key} is not among the most specific");
        }
    }

    #[test]
    fn the_assignment_ignores_values_and_order() {
        let set = LayerSet::new("pkg-", "pkgs-")
            .unwrap()
            .with_budget(8, 2)
            .unwrap();
        let items = items(20);
        let mut reversed = items.clone();
        reversed.reverse();
        let forward = set
            .plan(
                items
                    .iter()
                    .map(|(key, spec)| SetItem::new(key.clone(), *spec, 1)),
            )
            .unwrap();
        let backward = set
            .plan(
                reversed
                    .iter()
                    .map(|(key, spec)| SetItem::new(key.clone(), *spec, 2)),
            )
            .unwrap();
        let names = |plan: &super::LayerPlan<i32>| {
            plan.layers()
                .iter()
                .map(|layer| (layer.name().clone(), layer.items().len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&forward), names(&backward));
    }

    #[test]
    fn adding_or_removing_an_item_moves_at_most_one_other() {
        for budget in [1, 2, 5, 12] {
            for group_layers in [1, 2, 4] {
                if group_layers > budget {
                    continue;
                }
                let set = LayerSet::new("pkg-", "pkgs-")
                    .unwrap()
                    .with_budget(budget, group_layers)
                    .unwrap();
                // Start above the budget so that the threshold isn't crossed.
                for count in budget + 1..budget + 20 {
                    let before = assignment(&set, &items(count));
                    let after = assignment(&set, &items(count + 1));
                    let moved = before
                        .iter()
                        .filter(|(key, layer)| after[*key] != **layer)
                        .count();
                    assert!(
                        moved <= 1,
                        "budget {budget}/{group_layers}, {count} → {}: {moved} moved",
                        count + 1
                    );
                }
            }
        }
    }

    #[test]
    fn a_single_layer_budget_puts_everything_in_one_layer() {
        let set = LayerSet::new("pkg-", "all-")
            .unwrap()
            .with_budget(1, 1)
            .unwrap();
        let assignment = assignment(&set, &items(7));
        assert!(assignment.values().all(|layer| layer == "all-0"));
    }

    #[test]
    fn rejects_bad_configuration_and_items() {
        assert!(matches!(
            LayerSet::new("pkg-", "pkg-group-"),
            Err(LayerSetError::OverlappingPrefixes { .. })
        ));
        assert!(matches!(
            LayerSet::new("pkg.", "g-"),
            Err(LayerSetError::InvalidPrefix { .. })
        ));
        let set = LayerSet::new("pkg-", "pkgs-").unwrap();
        assert!(matches!(
            set.clone().with_budget(2, 3),
            Err(LayerSetError::InvalidBudget { .. })
        ));
        assert!(matches!(
            set.clone().with_budget(0, 0),
            Err(LayerSetError::InvalidBudget { .. })
        ));
        assert!(matches!(
            set.plan([SetItem::new("a.b", 0, ())]),
            Err(LayerSetError::InvalidKey { .. })
        ));
        assert!(matches!(
            set.plan([SetItem::new("a", 0, ()), SetItem::new("a", 1, ())]),
            Err(LayerSetError::DuplicateKey { .. })
        ));
        let reserved = LayerSet::new("bui", "g-").unwrap();
        assert!(matches!(
            reserved.plan([SetItem::new("ld", 0, ())]),
            Err(LayerSetError::InvalidLayerName { .. })
        ));
    }

    #[test]
    fn error_messages() {
        let error = LayerSet::new("pkg-", "pkg-group-").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the layer set prefixes `pkg-` and `pkg-group-` overlap: an item layer could have a \
             group layer's name; choose prefixes where neither starts with the other"
        );
        let error = LayerSet::new("a", "b")
            .unwrap()
            .with_budget(1, 2)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid layer set budget of 1 layers with 2 group layers: both must be at least 1, \
             with no more group layers than the budget"
        );
    }
}
