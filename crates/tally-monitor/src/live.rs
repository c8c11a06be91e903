//! The running state: what today's figures and the online window need, kept
//! from the events fed in, in memory bounded by today's users and modules.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::event::SeenEvent;
use crate::snapshot::{AccountSummary, ActionCount, Snapshot, StreamItem, UserToday};
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
/// happened (for the online window) and today's tallies per module and action
/// (for the figures); not the events themselves. Tracking is applied when a
/// snapshot is taken, so a change of tracking takes effect on the same state.
#[derive(Debug)]
pub struct Live {
    settings: MonitorSettings,
    day: NaiveDate,
    /// One copy of each account, user, module and action name in use.
    names: HashSet<Arc<str>>,
    accounts: HashMap<Arc<str>, HashMap<Arc<str>, UserLive>>,
}

impl Live {
    /// An empty state whose today is the day holding `now` in the settings' zone.
    pub fn new(settings: MonitorSettings, now: DateTime<Utc>) -> Live {
        Live {
            settings,
            day: day_of(now, settings.zone),
            names: HashSet::new(),
            accounts: HashMap::new(),
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
    /// follows, with their modules and actions.
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
    /// is tallied for that day (it arrives before the snapshot that rolls the
    /// day over); any other only marks its user seen at its instant, for the
    /// online window.
    pub fn add(&mut self, event: &SeenEvent) {
        let placement = self.placement(event.at);
        let account = intern(&mut self.names, &event.account);
        let user_name = intern(&mut self.names, &event.user);
        let user = self.accounts.entry(account).or_default().entry(user_name).or_default();
        match &event.activity {
            None => {
                user.last_plain = user.last_plain.max(Some(event.at));
                match placement {
                    Placement::Today => user.plain_today = true,
                    Placement::NextDay => user.plain_next_day = true,
                    Placement::Other => {}
                }
            }
            Some(activity) => {
                let key = (
                    intern(&mut self.names, &activity.module),
                    intern(&mut self.names, &activity.action),
                );
                let action = user.actions.entry(key).or_insert(ActionLive {
                    last_seen: event.at,
                    today: None,
                    next_day: None,
                });
                action.last_seen = action.last_seen.max(event.at);
                let time_spent_secs = u64::from(activity.time_spent_secs);
                match placement {
                    Placement::Today => Tally::add(&mut action.today, event.at, time_spent_secs),
                    Placement::NextDay => {
                        Tally::add(&mut action.next_day, event.at, time_spent_secs)
                    }
                    Placement::Other => {}
                }
            }
        }
    }

    /// The figures at `now` under `tracking`. When `now` falls in a later day
    /// than the state's today, the day rolls over first: the old day's tallies
    /// are dropped. Users neither seen today nor within the online window are
    /// forgotten.
    pub fn snapshot(&mut self, now: DateTime<Utc>, tracking: &Tracking) -> Snapshot {
        self.roll_over(day_of(now, self.settings.zone));
        let online_since = now - self.settings.online_window;
        self.forget_before(online_since);
        let accounts = self
            .accounts
            .iter()
            .map(|(account, users)| {
                let users = users
                    .iter()
                    .map(|(user, live)| live.today(account, user, tracking, online_since, now));
                (account.clone(), AccountSummary::new(users))
            })
            .collect();
        Snapshot::new(now, self.day, self.settings, accounts)
    }

    fn placement(&self, at: DateTime<Utc>) -> Placement {
        let day = day_of(at, self.settings.zone);
        if day == self.day {
            Placement::Today
        } else if Some(day) == self.day.succ_opt() {
            Placement::NextDay
        } else {
            Placement::Other
        }
    }

    fn roll_over(&mut self, day: NaiveDate) {
        if day <= self.day {
            return;
        }
        let next_day = Some(day) == self.day.succ_opt();
        for user in self.accounts.values_mut().flat_map(HashMap::values_mut) {
            user.plain_today = next_day && user.plain_next_day;
            user.plain_next_day = false;
            for action in user.actions.values_mut() {
                action.today = if next_day { action.next_day.take() } else { None };
                action.next_day = None;
            }
        }
        self.day = day;
    }

    /// Drops what neither today nor the online window starting at
    /// `online_since` needs, so memory follows today's users, not the events.
    fn forget_before(&mut self, online_since: DateTime<Utc>) {
        for users in self.accounts.values_mut() {
            for user in users.values_mut() {
                user.actions.retain(|_, action| {
                    action.today.is_some()
                        || action.next_day.is_some()
                        || action.last_seen > online_since
                });
            }
            users.retain(|_, user| {
                user.plain_today
                    || user.plain_next_day
                    || user.last_plain.is_some_and(|at| at > online_since)
                    || !user.actions.is_empty()
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

enum Placement {
    Today,
    NextDay,
    Other,
}

#[derive(Debug, Default)]
struct UserLive {
    /// The last instant an event other than `activity` named the user, any day.
    last_plain: Option<DateTime<Utc>>,
    plain_today: bool,
    plain_next_day: bool,
    /// By (module, action).
    actions: HashMap<(Arc<str>, Arc<str>), ActionLive>,
}

#[derive(Debug)]
struct ActionLive {
    /// The last instant, any day.
    last_seen: DateTime<Utc>,
    today: Option<Tally>,
    next_day: Option<Tally>,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    count: u64,
    time_spent_secs: u64,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
}

impl Tally {
    fn add(tally: &mut Option<Tally>, at: DateTime<Utc>, time_spent_secs: u64) {
        match tally {
            None => *tally = Some(Tally { count: 1, time_spent_secs, first_at: at, last_at: at }),
            Some(tally) => {
                tally.count += 1;
                tally.time_spent_secs += time_spent_secs;
                tally.first_at = tally.first_at.min(at);
                tally.last_at = tally.last_at.max(at);
            }
        }
    }
}

impl UserLive {
    /// What the user did today and whether they are online, under `tracking`.
    fn today(
        &self,
        account: &Arc<str>,
        user: &Arc<str>,
        tracking: &Tracking,
        online_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> UserToday {
        let mut last_seen = self.last_plain;
        let mut modules: BTreeMap<Arc<str>, (Tally, Vec<ActionCount>)> = BTreeMap::new();
        let mut activities = Vec::new();
        for ((module, action), live) in &self.actions {
            if !tracking.tracks(module, action) {
                continue;
            }
            last_seen = last_seen.max(Some(live.last_seen));
            let Some(tally) = live.today else { continue };
            activities.push((module.clone(), action.clone(), tally.count));
            let (module_tally, actions) =
                modules.entry(module.clone()).or_insert_with(|| (tally, Vec::new()));
            if !actions.is_empty() {
                module_tally.count += tally.count;
                module_tally.time_spent_secs += tally.time_spent_secs;
                module_tally.first_at = module_tally.first_at.min(tally.first_at);
                module_tally.last_at = module_tally.last_at.max(tally.last_at);
            }
            actions.push(ActionCount { action: action.clone(), count: tally.count });
        }
        let online = last_seen.is_some_and(|at| at > online_since);
        let time_spent_secs = modules.values().map(|(tally, _)| tally.time_spent_secs).sum();
        let items = modules
            .into_iter()
            .map(|(module, (tally, mut actions))| {
                actions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.action.cmp(&b.action)));
                StreamItem {
                    account: account.clone(),
                    user: user.clone(),
                    module,
                    count: tally.count,
                    actions,
                    time_spent_secs: tally.time_spent_secs,
                    first_at: tally.first_at,
                    last_at: tally.last_at,
                    online,
                    secs_since_last: (now - tally.last_at).num_seconds().max(0),
                }
            })
            .collect::<Vec<_>>();
        UserToday {
            user: user.clone(),
            online,
            seen_today: self.plain_today || !items.is_empty(),
            time_spent_secs,
            items,
            activities,
        }
    }
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
