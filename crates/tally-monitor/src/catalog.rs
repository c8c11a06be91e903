//! Modules and their actions, numbered once: the state and the snapshots name
//! an activity by its number, not by two strings each.

use std::collections::HashMap;
use std::sync::Arc;

use crate::tracking::Tracking;

/// The number of a module.
pub(crate) type ModuleId = u32;
/// The number of an activity: a (module, action) pair.
pub(crate) type ActivityId = u32;

/// The names behind the numbers, shared by a state and its snapshots. Only
/// added to, so a number keeps its meaning in every snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// By module number.
    pub(crate) modules: Vec<Arc<str>>,
    /// By activity number: its module and action.
    pub(crate) activities: Vec<(ModuleId, Arc<str>)>,
}

impl Names {
    pub(crate) fn module(&self, module: ModuleId) -> &Arc<str> {
        &self.modules[module as usize]
    }

    pub(crate) fn module_of(&self, activity: ActivityId) -> ModuleId {
        self.activities[activity as usize].0
    }

    pub(crate) fn action(&self, activity: ActivityId) -> &Arc<str> {
        &self.activities[activity as usize].1
    }

    /// Whether each activity, by number, is tracked.
    pub(crate) fn tracked(&self, tracking: &Tracking) -> Vec<bool> {
        self.activities
            .iter()
            .map(|(module, action)| tracking.tracks(self.module(*module), action))
            .collect()
    }
}

/// Numbers modules and activities as events name them. Kept for the state's
/// life: modules and actions are the product's, a catalog of some hundreds,
/// not one per user or event.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    names: Arc<Names>,
    module_ids: HashMap<Arc<str>, ModuleId>,
    /// By module number: its actions' activity numbers.
    activity_ids: Vec<HashMap<Arc<str>, ActivityId>>,
}

impl Catalog {
    /// The number of `module / action`, numbering it when new.
    pub(crate) fn activity(&mut self, module: &Arc<str>, action: &Arc<str>) -> ActivityId {
        let module = match self.module_ids.get(&**module) {
            Some(id) => *id,
            None => {
                let id = self.names.modules.len() as ModuleId;
                Arc::make_mut(&mut self.names).modules.push(module.clone());
                self.module_ids.insert(module.clone(), id);
                self.activity_ids.push(HashMap::new());
                id
            }
        };
        let actions = &mut self.activity_ids[module as usize];
        match actions.get(&**action) {
            Some(id) => *id,
            None => {
                let id = self.names.activities.len() as ActivityId;
                Arc::make_mut(&mut self.names).activities.push((module, action.clone()));
                actions.insert(action.clone(), id);
                id
            }
        }
    }

    /// The names as they are now, for a snapshot to keep.
    pub(crate) fn names(&self) -> &Arc<Names> {
        &self.names
    }
}
