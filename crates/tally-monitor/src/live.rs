//! The running state: what today's figures and the online window need, kept
//! from the events fed in, in memory bounded by today's users and modules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::catalog::{ActivityId, Catalog, ModuleId, Names};
use crate::event::SeenEvent;
use crate::snapshot::{AccountSummary, Item, Snapshot};
use crate::tracking::Tracking;

/// How a deployment's monitor reads time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorSettings {
    /// A user is online while seen less than this long ago.
    pub online_window: TimeDelta,
    /// The zone whose days are "today".
    pub zone: Tz,
}

/// The monitor's running state, fed events in log order with [`Live::add`] and
/// read with [`Live::snapshot`].
///
/// It keeps, per account and user, the last instant each kind of seen event
/// happened (for the online window) and today's tallies per activity (for the
/// figures); not the events themselves. Tracking is applied when a snapshot
/// is taken, so a change of tracking takes effect on the same state.
#[derive(Debug)]
pub struct Live {
    settings: MonitorSettings,
    day: NaiveDate,
    /// One copy of each account and user name in use.
    names: HashSet<Arc<str>>,
    catalog: Catalog,
    accounts: HashMap<Arc<str>, HashMap<Arc<str>, UserLive>>,
    /// Events of the day after today, tallied when that day comes: those that
    /// arrive just before the refresh that turns the day over, and the few a
    /// sender's clock stamps ahead.
    next_day: Vec<SeenEvent>,
}

impl Live {
    /// An empty state whose today is the day holding `now` in the settings' zone.
    pub fn new(settings: MonitorSettings, now: DateTime<Utc>) -> Live {
        Live {
            settings,
            day: day_of(now, settings.zone),
            names: HashSet::new(),
            catalog: Catalog::default(),
            accounts: HashMap::new(),
            next_day: Vec::new(),
        }
    }

    /// The settings the state was made with.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// The day the state counts as today.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// How many users the state holds, over all accounts: what its memory
    /// follows, with their activities.
    pub fn users_held(&self) -> usize {
        self.accounts.values().map(HashMap::len).sum()
    }

    /// The first instant whose events matter at `now`: the earlier of today's
    /// first instant and the start of the online window. Events before it
    /// change no figure, so a caller filling a new state reads from here.
    pub fn events_from(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        start_of_day(day_of(now, self.settings.zone), self.settings.zone)
            .min(now - self.settings.online_window)
    }

    /// Takes in one event. An event of today is tallied; one of the next day
    /// is kept to be tallied when that day comes (it arrives before the
    /// snapshot that turns the day over); any event marks its user seen at its
    /// instant, for the online window.
    pub fn add(&mut self, event: &SeenEvent) {
        let day = day_of(event.at, self.settings.zone);
        let today = day == self.day;
        if Some(day) == self.day.succ_opt() {
            self.next_day.push(event.clone());
        }
        let at_us = event.at.timestamp_micros();
        match &event.activity {
            Some(what) => {
                let activity = self.catalog.activity(&what.module, &what.action);
                let user = self.user(&event.account, &event.user);
                let position =
                    match user.actions.iter().position(|action| action.activity == activity) {
                        Some(position) => position,
                        None => {
                            user.actions.push(ActionLive::new(activity, at_us));
                            user.actions.len() - 1
                        }
                    };
                let action = &mut user.actions[position];
                action.last_seen_us = action.last_seen_us.max(at_us);
                if today {
                    action.tally(at_us, what.time_spent_secs);
                }
            }
            None => {
                let user = self.user(&event.account, &event.user);
                user.last_plain_us = user.last_plain_us.max(at_us);
                user.plain_today |= today;
            }
        }
    }

    /// The figures at `now` under `tracking`. When `now` falls in a later day
    /// than the state's today, the day turns over first: the old day's
    /// tallies are dropped. Users neither seen today nor within the online
    /// window are forgotten.
    pub fn snapshot(&mut self, now: DateTime<Utc>, tracking: &Tracking) -> Snapshot {
        self.turn_over(day_of(now, self.settings.zone));
        let online_since_us = (now - self.settings.online_window).timestamp_micros();
        self.forget_before(online_since_us);
        let names = self.catalog.names().clone();
        let tracked = names.tracked(tracking);
        let accounts = self
            .accounts
            .iter()
            .map(|(account, users)| {
                (account.clone(), summarise(users, &names, &tracked, online_since_us))
            })
            .collect();
        Snapshot::new(now, self.day, self.settings, names, accounts)
    }

    /// The user's entry, made when new, names shared with the state's copies.
    fn user(&mut self, account: &Arc<str>, user: &Arc<str>) -> &mut UserLive {
        if !self.accounts.contains_key(&**account) {
            let account = intern(&mut self.names, account);
            self.accounts.insert(account, HashMap::new());
        }
        let users = self.accounts.get_mut(&**account).expect("inserted above");
        if !users.contains_key(&**user) {
            users.insert(intern(&mut self.names, user), UserLive::default());
        }
        users.get_mut(&**user).expect("inserted above")
    }

    fn turn_over(&mut self, day: NaiveDate) {
        if day <= self.day {
            return;
        }
        for user in self.accounts.values_mut().flat_map(HashMap::values_mut) {
            user.plain_today = false;
            for action in &mut user.actions {
                action.count = 0;
                action.time_spent_secs = 0;
            }
        }
        let next_day = Some(day) == self.day.succ_opt();
        self.day = day;
        let kept = std::mem::take(&mut self.next_day);
        if next_day {
            for event in &kept {
                self.add(event);
            }
        }
    }

    /// Drops what neither today nor the online window starting at
    /// `online_since_us` needs, so memory follows today's users, not the events.
    fn forget_before(&mut self, online_since_us: i64) {
        for users in self.accounts.values_mut() {
            for user in users.values_mut() {
                user.actions
                    .retain(|action| action.count > 0 || action.last_seen_us > online_since_us);
            }
            users.retain(|_, user| {
                user.plain_today || user.last_plain_us > online_since_us || !user.actions.is_empty()
            });
        }
        self.accounts.retain(|_, users| !users.is_empty());
        self.names.retain(|name| Arc::strong_count(name) > 1);
    }
}

/// The day holding `at` in `zone`.
pub fn day_of(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The first instant of `day` in `zone`.
pub fn start_of_day(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists on every date");
    // Every gap in the tz database is a whole number of quarter hours, and
    // shorter than a day.
    (0..96)
        .find_map(|quarter| {
            zone.from_local_datetime(&(midnight + TimeDelta::minutes(15 * quarter))).earliest()
        })
        .expect("some quarter hour of every day exists")
        .with_timezone(&Utc)
}

/// One user of an account.
#[derive(Debug)]
struct UserLive {
    /// The last instant (µs) an event other than `activity` named the user,
    /// any day; `i64::MIN` for never.
    last_plain_us: i64,
    /// Whether such an event named them today.
    plain_today: bool,
    /// By activity: a user does a handful, so a list beats a map.
    actions: Vec<ActionLive>,
}

impl Default for UserLive {
    fn default() -> Self {
        UserLive { last_plain_us: i64::MIN, plain_today: false, actions: Vec::new() }
    }
}

/// One activity of a user: when last seen doing it, and today's tally.
#[derive(Debug)]
struct ActionLive {
    activity: ActivityId,
    /// Today's events; 0 when none, and then the rest of the tally is unused.
    count: u32,
    time_spent_secs: u64,
    /// The last instant (µs), any day.
    last_seen_us: i64,
    /// Today's first and last instants (µs).
    first_us: i64,
    last_us: i64,
}

impl ActionLive {
    fn new(activity: ActivityId, at_us: i64) -> ActionLive {
        ActionLive {
            activity,
            count: 0,
            time_spent_secs: 0,
            last_seen_us: at_us,
            first_us: at_us,
            last_us: at_us,
        }
    }

    fn tally(&mut self, at_us: i64, time_spent_secs: u32) {
        if self.count == 0 {
            self.first_us = at_us;
            self.last_us = at_us;
        }
        self.count = self.count.saturating_add(1);
        self.time_spent_secs += u64::from(time_spent_secs);
        self.first_us = self.first_us.min(at_us);
        self.last_us = self.last_us.max(at_us);
    }
}

/// One account's share of every figure under `tracked`.
fn summarise(
    users: &HashMap<Arc<str>, UserLive>,
    names: &Names,
    tracked: &[bool],
    online_since_us: i64,
) -> AccountSummary {
    let mut summary = AccountSummary::default();
    let mut module_users: HashMap<ModuleId, u64> = HashMap::new();
    let mut activity_actions: HashMap<ActivityId, u64> = HashMap::new();
    // The user's tracked activities of today, by module: reused for each user.
    let mut today: Vec<&ActionLive> = Vec::new();
    for (user, live) in users {
        let mut last_seen_us = live.last_plain_us;
        today.clear();
        for action in &live.actions {
            if !tracked[action.activity as usize] {
                continue;
            }
            last_seen_us = last_seen_us.max(action.last_seen_us);
            if action.count > 0 {
                today.push(action);
            }
        }
        let online = last_seen_us > online_since_us;
        summary.users_online += u64::from(online);
        summary.users_seen_today += u64::from(live.plain_today || !today.is_empty());
        if today.is_empty() {
            continue;
        }
        today.sort_by_key(|action| names.module_of(action.activity));
        let mut user_time_secs = 0;
        for module_actions in
            today.chunk_by(|a, b| names.module_of(a.activity) == names.module_of(b.activity))
        {
            let module = names.module_of(module_actions[0].activity);
            let actions_start = summary.actions.len() as u32;
            let mut item = Item {
                user: user.clone(),
                module,
                count: 0,
                online,
                time_spent_secs: 0,
                first_us: i64::MAX,
                last_us: i64::MIN,
                actions_start,
                actions_len: module_actions.len() as u32,
            };
            for action in module_actions {
                item.count += u64::from(action.count);
                item.time_spent_secs += action.time_spent_secs;
                item.first_us = item.first_us.min(action.first_us);
                item.last_us = item.last_us.max(action.last_us);
                summary.actions.push((action.activity, action.count));
                *activity_actions.entry(action.activity).or_default() += u64::from(action.count);
            }
            // Most done first, then by name.
            summary.actions[actions_start as usize..].sort_by(|a, b| {
                b.1.cmp(&a.1).then_with(|| names.action(a.0).cmp(names.action(b.0)))
            });
            *module_users.entry(module).or_default() += 1;
            user_time_secs += item.time_spent_secs;
            summary.items.push(item);
        }
        summary.users_with_activity_today += 1;
        summary.time_spent_secs += user_time_secs;
        summary.top_users.push((user.clone(), user_time_secs));
    }
    summary.modules = module_users.into_iter().collect();
    summary.activities = activity_actions.into_iter().collect();
    summary.finish(names);
    summary
}

fn intern(names: &mut HashSet<Arc<str>>, name: &Arc<str>) -> Arc<str> {
    match names.get(&**name) {
        Some(kept) => kept.clone(),
        None => {
            names.insert(name.clone());
            name.clone()
        }
    }
}
