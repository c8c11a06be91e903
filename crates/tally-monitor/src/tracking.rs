//! Which modules and activities the monitor counts, applied when figures are read.

use std::collections::{HashMap, HashSet};

/// A tracked module, or one tracked activity of a module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tracked {
    /// The module, as `activity` events name it.
    pub module: String,
    /// The action of the activity, or `None` for every action of the module.
    pub activity: Option<String>,
}

/// The modules and activities tracked; an empty list tracks everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tracking {
    /// By module: `None` for the whole module, else its tracked actions.
    modules: HashMap<String, Option<HashSet<String>>>,
}

impl Tracking {
    /// Tracks every module and activity.
    pub fn everything() -> Tracking {
        Tracking::default()
    }

    /// Tracks what the list names; an empty list tracks everything. A module
    /// named whole and also with one activity is tracked whole.
    pub fn new(tracked: Vec<Tracked>) -> Tracking {
        let mut modules: HashMap<String, Option<HashSet<String>>> = HashMap::new();
        for Tracked { module, activity } in tracked {
            let actions = modules.entry(module).or_insert_with(|| Some(HashSet::new()));
            match (actions, activity) {
                (actions @ Some(_), None) => *actions = None,
                (Some(actions), Some(action)) => {
                    actions.insert(action);
                }
                (None, _) => {}
            }
        }
        Tracking { modules }
    }

    /// Whether an `activity` event of this module and action counts.
    pub fn tracks(&self, module: &str, action: &str) -> bool {
        if self.modules.is_empty() {
            return true;
        }
        match self.modules.get(module) {
            None => false,
            Some(None) => true,
            Some(Some(actions)) => actions.contains(action),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(tracked: &[(&str, Option<&str>)], asked: (&str, &str), expected: bool) {
        let tracking = Tracking::new(
            tracked
                .iter()
                .map(|(module, activity)| Tracked {
                    module: module.to_string(),
                    activity: activity.map(str::to_string),
                })
                .collect(),
        );
        assert_eq!(tracking.tracks(asked.0, asked.1), expected, "{tracked:?} tracks {asked:?}");
    }

    #[test]
    fn what_is_tracked() {
        check(&[], ("Dashboard", "export"), true);
        check(&[("Dashboard", None)], ("Dashboard", "export"), true);
        check(&[("Dashboard", None)], ("Reports", "export"), false);
        check(&[("Dashboard", Some("export"))], ("Dashboard", "export"), true);
        check(&[("Dashboard", Some("export"))], ("Dashboard", "open"), false);
        check(&[("Dashboard", Some("export")), ("Dashboard", None)], ("Dashboard", "open"), true);
        check(&[("Dashboard", None), ("Dashboard", Some("export"))], ("Dashboard", "open"), true);
        // Names are compared byte for byte: `dashboard` is another module.
        check(&[("Dashboard", None)], ("dashboard", "export"), false);
    }
}
