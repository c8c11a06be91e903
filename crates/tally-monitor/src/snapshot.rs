//! One refresh's figures, shared read-only by every request and stream.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};
use tally_access::{MonitorView, StaffScope};
use utoipa::ToSchema;

use crate::catalog::{ActivityId, ModuleId, Names};
use crate::live::MonitorSettings;

/// How many entries a top list holds.
pub const TOP: usize = 10;

/// The figures at one instant, per account, so that answering for a scope
/// costs the accounts in scope, not their users.
#[derive(Debug, Clone)]
pub struct Snapshot {
    at: DateTime<Utc>,
    day: NaiveDate,
    settings: MonitorSettings,
    names: Arc<Names>,
    accounts: BTreeMap<Arc<str>, AccountSummary>,
}

/// When and how figures were computed: every answer carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AsOf {
    /// The instant the figures are for.
    pub at: DateTime<Utc>,
    /// Today, in the monitor's zone.
    pub day: NaiveDate,
    /// The monitor's zone (IANA name).
    pub zone: String,
    /// The online window N: a user is online when seen less than this long ago.
    pub online_window_secs: i64,
}

/// Today's figures for the accounts in a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TodayCounts {
    /// When and how they were computed.
    pub as_of: AsOf,
    /// Accounts with at least one user online.
    pub accounts_online: u64,
    /// Users online, summed over accounts.
    pub users_online: u64,
    /// Users seen today.
    pub users_seen_today: u64,
    /// Users with at least one tracked `activity` today.
    pub users_with_activity_today: u64,
    /// Time spent today: the sum of tracked `activity` events' time spent.
    pub time_spent_secs: u64,
    /// Time spent today per user with a tracked `activity` today, rounded to
    /// the nearest second (halves up); `None` when there is no such user.
    pub time_per_user_secs: Option<u64>,
}

/// A count with its change since the previous refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figure {
    /// The value now.
    pub value: u64,
    /// The value now minus the previous value; `None` without a previous one.
    pub change: Option<i64>,
}

/// A figure that may have no value, with its change since the previous refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct OptionalFigure {
    /// The value now, if there is one.
    pub value: Option<u64>,
    /// The value now minus the previous value; `None` when either has none.
    pub change: Option<i64>,
}

/// Today's figures, each with its change since the previous refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TodayFigures {
    /// When and how they were computed.
    pub as_of: AsOf,
    /// Accounts with at least one user online.
    pub accounts_online: Figure,
    /// Users online, summed over accounts.
    pub users_online: Figure,
    /// Users seen today.
    pub users_seen_today: Figure,
    /// Users with at least one tracked `activity` today.
    pub users_with_activity_today: Figure,
    /// Time spent today, in seconds.
    pub time_spent_secs: Figure,
    /// Time spent today per user with a tracked `activity` today, in seconds.
    pub time_per_user_secs: OptionalFigure,
}

impl TodayFigures {
    /// `current`, each figure with its change since `previous`.
    pub fn new(current: TodayCounts, previous: Option<&TodayCounts>) -> TodayFigures {
        let figure = |value: fn(&TodayCounts) -> u64| Figure {
            value: value(&current),
            change: previous.map(|previous| difference(value(&current), value(previous))),
        };
        TodayFigures {
            accounts_online: figure(|counts| counts.accounts_online),
            users_online: figure(|counts| counts.users_online),
            users_seen_today: figure(|counts| counts.users_seen_today),
            users_with_activity_today: figure(|counts| counts.users_with_activity_today),
            time_spent_secs: figure(|counts| counts.time_spent_secs),
            time_per_user_secs: OptionalFigure {
                value: current.time_per_user_secs,
                change: match (current.time_per_user_secs, previous) {
                    (Some(now), Some(TodayCounts { time_per_user_secs: Some(before), .. })) => {
                        Some(difference(now, *before))
                    }
                    _ => None,
                },
            },
            as_of: current.as_of,
        }
    }
}

/// One account, user and module today: the activity stream's item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StreamItem {
    /// The account's slug.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub account: Arc<str>,
    /// The user.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub user: Arc<str>,
    /// The module.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub module: Arc<str>,
    /// Tracked `activity` events of the module today.
    pub count: u64,
    /// Each tracked action with its count, by count (most first), then name.
    pub actions: Vec<ActionCount>,
    /// Time spent in the module today.
    pub time_spent_secs: u64,
    /// The first instant today.
    pub first_at: DateTime<Utc>,
    /// The last instant today.
    pub last_at: DateTime<Utc>,
    /// Whether the user is online.
    pub online: bool,
    /// Whole seconds from the last instant to the snapshot's (0 for a last
    /// instant after it).
    pub secs_since_last: i64,
}

/// An action of a stream item and how many times it was done today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActionCount {
    /// The action.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub action: Arc<str>,
    /// `activity` events of it today.
    pub count: u64,
}

/// Where a page of the activity stream ends: its last item's place in the
/// order (last instant, newest first; then account, user and module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCursor {
    /// The item's last instant.
    pub last_at: DateTime<Utc>,
    /// The item's account.
    pub account: String,
    /// The item's user.
    pub user: String,
    /// The item's module.
    pub module: String,
}

/// A page of the activity stream, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPage {
    /// The items.
    pub items: Vec<StreamItem>,
    /// Where the next page starts, when there are more items.
    pub next: Option<StreamCursor>,
}

/// The four top-10 lists of today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopToday {
    /// When and how they were computed.
    pub as_of: AsOf,
    /// Accounts by users seen today.
    pub accounts: Vec<TopAccount>,
    /// Users by time spent today.
    pub users: Vec<TopUser>,
    /// Modules by users with a tracked `activity` in them today.
    pub modules: Vec<TopModule>,
    /// Activities by actions today.
    pub activities: Vec<TopActivity>,
}

/// An entry of the top accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopAccount {
    /// The account's slug.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub account: Arc<str>,
    /// Its users seen today.
    pub users_seen_today: u64,
}

/// An entry of the top users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopUser {
    /// The user's account.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub account: Arc<str>,
    /// The user.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub user: Arc<str>,
    /// Their time spent today.
    pub time_spent_secs: u64,
}

/// An entry of the top modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopModule {
    /// The module.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub module: Arc<str>,
    /// Users with a tracked `activity` in it today.
    pub users: u64,
}

/// An entry of the top activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopActivity {
    /// The module.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub module: Arc<str>,
    /// The action.
    #[serde(serialize_with = "name")]
    #[schema(value_type = String)]
    pub action: Arc<str>,
    /// Its `activity` events today.
    pub actions: u64,
}

impl Snapshot {
    pub(crate) fn new(
        at: DateTime<Utc>,
        day: NaiveDate,
        settings: MonitorSettings,
        names: Arc<Names>,
        accounts: BTreeMap<Arc<str>, AccountSummary>,
    ) -> Snapshot {
        Snapshot { at, day, settings, names, accounts }
    }

    /// The instant the figures are for.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Today, in the monitor's zone.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// The monitor's zone.
    pub fn zone(&self) -> Tz {
        self.settings.zone
    }

    /// The online window.
    pub fn online_window(&self) -> TimeDelta {
        self.settings.online_window
    }

    /// When and how the figures were computed, as answers carry it.
    pub fn as_of(&self) -> AsOf {
        AsOf {
            at: self.at,
            day: self.day,
            zone: self.settings.zone.name().to_owned(),
            online_window_secs: self.settings.online_window.num_seconds(),
        }
    }

    /// Today's figures over the accounts in the view's scope.
    pub fn today(&self, view: &MonitorView) -> TodayCounts {
        let mut counts = TodayCounts {
            as_of: self.as_of(),
            accounts_online: 0,
            users_online: 0,
            users_seen_today: 0,
            users_with_activity_today: 0,
            time_spent_secs: 0,
            time_per_user_secs: None,
        };
        for (_, summary) in self.in_scope(view) {
            counts.accounts_online += u64::from(summary.users_online > 0);
            counts.users_online += summary.users_online;
            counts.users_seen_today += summary.users_seen_today;
            counts.users_with_activity_today += summary.users_with_activity_today;
            counts.time_spent_secs += summary.time_spent_secs;
        }
        let users = counts.users_with_activity_today;
        counts.time_per_user_secs =
            (users > 0).then(|| (counts.time_spent_secs + users / 2) / users);
        counts
    }

    /// The four top-10 lists over the accounts in the view's scope. Ties go to
    /// the smaller account slug, then user, module and action, in byte order.
    pub fn top(&self, view: &MonitorView) -> TopToday {
        let mut accounts = Vec::new();
        let mut users = Vec::new();
        let mut modules: HashMap<ModuleId, u64> = HashMap::new();
        let mut activities: HashMap<ActivityId, u64> = HashMap::new();
        for (account, summary) in self.in_scope(view) {
            if summary.users_seen_today > 0 {
                accounts.push(TopAccount {
                    account: account.clone(),
                    users_seen_today: summary.users_seen_today,
                });
            }
            users.extend(summary.top_users.iter().map(|(user, time_spent_secs)| TopUser {
                account: account.clone(),
                user: user.clone(),
                time_spent_secs: *time_spent_secs,
            }));
            for (module, module_users) in &summary.modules {
                *modules.entry(*module).or_default() += module_users;
            }
            for (activity, actions) in &summary.activities {
                *activities.entry(*activity).or_default() += actions;
            }
        }
        let names = &self.names;
        let mut modules: Vec<TopModule> = modules
            .into_iter()
            .map(|(module, users)| TopModule { module: names.module(module).clone(), users })
            .collect();
        let mut activities: Vec<TopActivity> = activities
            .into_iter()
            .map(|(activity, actions)| TopActivity {
                module: names.module(names.module_of(activity)).clone(),
                action: names.action(activity).clone(),
                actions,
            })
            .collect();
        accounts.sort_by(|a, b| {
            (Reverse(a.users_seen_today), &a.account)
                .cmp(&(Reverse(b.users_seen_today), &b.account))
        });
        users.sort_by(|a, b| {
            (Reverse(a.time_spent_secs), &a.account, &a.user).cmp(&(
                Reverse(b.time_spent_secs),
                &b.account,
                &b.user,
            ))
        });
        modules.sort_by(|a, b| (Reverse(a.users), &a.module).cmp(&(Reverse(b.users), &b.module)));
        activities.sort_by(|a, b| {
            (Reverse(a.actions), &a.module, &a.action).cmp(&(
                Reverse(b.actions),
                &b.module,
                &b.action,
            ))
        });
        accounts.truncate(TOP);
        users.truncate(TOP);
        modules.truncate(TOP);
        activities.truncate(TOP);
        TopToday { as_of: self.as_of(), accounts, users, modules, activities }
    }

    /// Up to `limit` items (at least one) of the activity stream over the
    /// accounts in the view's scope, newest first, after `after` when given.
    pub fn stream_page(
        &self,
        view: &MonitorView,
        after: Option<&StreamCursor>,
        limit: usize,
    ) -> StreamPage {
        let limit = limit.max(1);
        let lists: Vec<(&Arc<str>, &AccountSummary, &[Item])> = self
            .in_scope(view)
            .map(|(account, summary)| {
                let start = after.map_or(0, |cursor| {
                    summary.items.partition_point(|item| {
                        self.key(account, item)
                            <= (
                                Reverse(cursor.last_at.timestamp_micros()),
                                cursor.account.as_str(),
                                cursor.user.as_str(),
                                cursor.module.as_str(),
                            )
                    })
                });
                (account, summary, &summary.items[start..])
            })
            .filter(|(_, _, items)| !items.is_empty())
            .collect();
        // Each list is in stream order already: merge them, the next item of
        // every list in a heap.
        let mut heap: BinaryHeap<Reverse<(StreamKey<'_>, usize, usize)>> = lists
            .iter()
            .enumerate()
            .map(|(list, (account, _, items))| Reverse((self.key(account, &items[0]), list, 0)))
            .collect();
        let mut items = Vec::new();
        while items.len() < limit {
            let Some(Reverse((_, list, position))) = heap.pop() else { break };
            let (account, summary, list_items) = lists[list];
            items.push(self.stream_item(account, summary, &list_items[position]));
            if let Some(next) = list_items.get(position + 1) {
                heap.push(Reverse((self.key(account, next), list, position + 1)));
            }
        }
        let next = match (heap.is_empty(), items.last()) {
            (false, Some(last)) => Some(StreamCursor {
                last_at: last.last_at,
                account: last.account.to_string(),
                user: last.user.to_string(),
                module: last.module.to_string(),
            }),
            _ => None,
        };
        StreamPage { items, next }
    }

    /// The items in scope that are new or whose count changed since `previous`,
    /// newest first: what a live stream sends at a refresh.
    pub fn changed_items(&self, previous: &Snapshot, view: &MonitorView) -> Vec<StreamItem> {
        let mut changed: Vec<(&Arc<str>, &AccountSummary, &Item)> = Vec::new();
        for (account, summary) in self.in_scope(view) {
            let (before_items, before_by_name) = previous
                .accounts
                .get(account)
                .map_or((&[][..], &[][..]), |before| (&before.items[..], &before.by_name[..]));
            // Both lists of items are by user and module: walk them together,
            // one comparison per item rather than a search.
            let mut position_before = 0;
            for &position in &summary.by_name {
                let item = &summary.items[position as usize];
                let name = self.name_of(item);
                let mut count_before = None;
                while let Some(&other) = before_by_name.get(position_before) {
                    let other = &before_items[other as usize];
                    match previous.name_of(other).cmp(&name) {
                        Ordering::Less => position_before += 1,
                        Ordering::Equal => {
                            count_before = Some(other.count);
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
                if count_before != Some(item.count) {
                    changed.push((account, summary, item));
                }
            }
        }
        changed.sort_by(|a, b| self.key(a.0, a.2).cmp(&self.key(b.0, b.2)));
        changed
            .into_iter()
            .map(|(account, summary, item)| self.stream_item(account, summary, item))
            .collect()
    }

    /// The item of this account, user and module, when the account is in the
    /// view's scope and the item exists today.
    pub fn item(
        &self,
        view: &MonitorView,
        account: &str,
        user: &str,
        module: &str,
    ) -> Option<StreamItem> {
        if !view.scope().includes(account) {
            return None;
        }
        let (account, summary) = self.accounts.get_key_value(account)?;
        let item = self.find(summary, user, module)?;
        Some(self.stream_item(account, summary, item))
    }

    fn in_scope<'a>(
        &'a self,
        view: &'a MonitorView,
    ) -> Box<dyn Iterator<Item = (&'a Arc<str>, &'a AccountSummary)> + 'a> {
        match view.scope() {
            StaffScope::AllAccounts => Box::new(self.accounts.iter()),
            StaffScope::Accounts(slugs) => {
                Box::new(slugs.iter().filter_map(|slug| self.accounts.get_key_value(slug.as_str())))
            }
        }
    }

    /// An item's place in the stream.
    fn key<'a>(&'a self, account: &'a str, item: &'a Item) -> StreamKey<'a> {
        (Reverse(item.last_us), account, &item.user, self.names.module(item.module))
    }

    /// An item's user and module: how items of two snapshots are matched.
    fn name_of<'a>(&'a self, item: &'a Item) -> (&'a str, &'a str) {
        (&item.user, self.names.module(item.module))
    }

    fn find<'a>(&self, summary: &'a AccountSummary, user: &str, module: &str) -> Option<&'a Item> {
        let position = summary
            .by_name
            .binary_search_by(|&position| {
                let item = &summary.items[position as usize];
                (&*item.user, &**self.names.module(item.module)).cmp(&(user, module))
            })
            .ok()?;
        Some(&summary.items[summary.by_name[position] as usize])
    }

    fn stream_item(&self, account: &Arc<str>, summary: &AccountSummary, item: &Item) -> StreamItem {
        let actions = &summary.actions
            [item.actions_start as usize..(item.actions_start + item.actions_len) as usize];
        StreamItem {
            account: account.clone(),
            user: item.user.clone(),
            module: self.names.module(item.module).clone(),
            count: item.count,
            actions: actions
                .iter()
                .map(|(activity, count)| ActionCount {
                    action: self.names.action(*activity).clone(),
                    count: u64::from(*count),
                })
                .collect(),
            time_spent_secs: item.time_spent_secs,
            first_at: instant(item.first_us),
            last_at: instant(item.last_us),
            online: item.online,
            secs_since_last: (self.at.timestamp_micros() - item.last_us).max(0) / 1_000_000,
        }
    }
}

/// One account's share of every figure, as [`crate::Live`] sums it.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountSummary {
    pub(crate) users_online: u64,
    pub(crate) users_seen_today: u64,
    pub(crate) users_with_activity_today: u64,
    pub(crate) time_spent_secs: u64,
    /// The account's users with activity, by time spent, cut to the first
    /// [`TOP`] by [`AccountSummary::finish`]: the top users of any scope are
    /// among its accounts' own.
    pub(crate) top_users: Vec<(Arc<str>, u64)>,
    /// Users with tracked activity today, per module.
    pub(crate) modules: Vec<(ModuleId, u64)>,
    /// Actions today, per activity.
    pub(crate) activities: Vec<(ActivityId, u64)>,
    /// The stream's items, put in stream order by [`AccountSummary::finish`].
    pub(crate) items: Vec<Item>,
    /// The items' actions with their counts, each item's a run of them.
    pub(crate) actions: Vec<(ActivityId, u32)>,
    /// Positions in `items`, by user then module.
    by_name: Vec<u32>,
}

impl AccountSummary {
    /// Orders what was pushed: top users, items, and the index by name.
    pub(crate) fn finish(&mut self, names: &Names) {
        self.top_users.sort_by(|a, b| (Reverse(a.1), &a.0).cmp(&(Reverse(b.1), &b.0)));
        self.top_users.truncate(TOP);
        self.top_users.shrink_to_fit();
        self.items.sort_by(|a, b| {
            (Reverse(a.last_us), &a.user, names.module(a.module)).cmp(&(
                Reverse(b.last_us),
                &b.user,
                names.module(b.module),
            ))
        });
        let items = &self.items;
        let mut by_name: Vec<u32> = (0..items.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            let (a, b) = (&items[a as usize], &items[b as usize]);
            (&a.user, names.module(a.module)).cmp(&(&b.user, names.module(b.module)))
        });
        self.by_name = by_name;
        // A snapshot lives for a refresh interval or two, shared by every
        // reader: what the vectors grew by while pushing is worth giving back.
        self.items.shrink_to_fit();
        self.actions.shrink_to_fit();
    }
}

/// A stream item as a snapshot keeps it: names by number, instants in µs,
/// made a [`StreamItem`] only when asked for.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) user: Arc<str>,
    pub(crate) module: ModuleId,
    pub(crate) actions_start: u32,
    pub(crate) actions_len: u32,
    pub(crate) online: bool,
    pub(crate) count: u64,
    pub(crate) time_spent_secs: u64,
    pub(crate) first_us: i64,
    pub(crate) last_us: i64,
}

/// An item's place in the stream: newest first, then account, user, module.
type StreamKey<'a> = (Reverse<i64>, &'a str, &'a str, &'a str);

fn instant(at_us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at_us).expect("µs read from an instant")
}

fn difference(now: u64, before: u64) -> i64 {
    // Counts of users and seconds stay far below i64::MAX.
    i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(i64::MAX)
}

fn name<S: Serializer>(name: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(name)
}
