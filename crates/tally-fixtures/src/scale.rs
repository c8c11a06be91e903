//! How much data to generate.

/// The size of the generated data set. Every scale holds every scenario (week-boundary
/// logins, renewals, lifecycle changes, messy identities, every audit kind); the scales
/// differ in how many users there are and how busy they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The ten scenario users per account (one of them a daily user) and a light
    /// background of catalog and sync events: a few hundred kilobytes in all, small
    /// enough to check in as a test fixture.
    Small,
    /// About thirty users per account (eighteen to forty by the account's size), most
    /// of them active: a few megabytes, enough for the dashboards to look lived-in.
    Demo,
    /// A chosen size, for load tests. The background of catalog, run and sync events
    /// grows with the number of users, from the demo's rates at thirty users upwards.
    Large {
        /// Logins per week of each daily user (1 to 7; other habits are unchanged).
        logins_per_user_per_week: u32,
        /// People in an account of average size. The ten scenario users are always
        /// there; the people beyond them are scaled by each account's size (40% to 150%).
        users_per_account: u32,
    },
}

/// The shape a scale gives one account of 100% size. Rates are per year, so that the
/// small scale can have a kind of event less often than weekly.
pub(crate) struct Shape {
    pub(crate) people: u32,
    pub(crate) logins_per_week: u32,
    /// Events (page visits, activity, AI, MCP) after a login on average, in
    /// hundredths (at most 400): 100 is one, 20 is one after every fifth login.
    pub(crate) session_events_percent: u32,
    pub(crate) entity_changes: u32,
    pub(crate) action_runs: u32,
    pub(crate) automation_runs: u32,
    pub(crate) data_source_updates: u32,
    pub(crate) definition_updates: u32,
    /// Short-lived environments beyond the one every scale has.
    pub(crate) environments: u32,
    pub(crate) sync_observations: u32,
    pub(crate) entity_syncs: u32,
}

/// The people the scenarios need in every account (see `people.rs`).
pub(crate) const SCENARIO_PEOPLE: u32 = 10;

/// The demo's people per account of 100% size.
const DEMO_PEOPLE: u32 = 30;

impl Scale {
    pub(crate) fn shape(self) -> Shape {
        match self {
            Scale::Small => Shape {
                people: SCENARIO_PEOPLE,
                logins_per_week: 5,
                session_events_percent: 10,
                entity_changes: 12,
                action_runs: 8,
                automation_runs: 4,
                data_source_updates: 3,
                definition_updates: 4,
                environments: 0,
                sync_observations: 10,
                entity_syncs: 8,
            },
            Scale::Demo => Scale::demo_shape(DEMO_PEOPLE, 5),
            Scale::Large { logins_per_user_per_week, users_per_account } => Scale::demo_shape(
                users_per_account.max(SCENARIO_PEOPLE),
                logins_per_user_per_week.clamp(1, 7),
            ),
        }
    }

    /// The demo's rates, scaled linearly for more people than the demo has.
    fn demo_shape(people: u32, logins_per_week: u32) -> Shape {
        let scaled =
            |rate_at_demo_size: u32| rate_at_demo_size * people.max(DEMO_PEOPLE) / DEMO_PEOPLE;
        Shape {
            people,
            logins_per_week,
            session_events_percent: 100,
            entity_changes: scaled(260),
            action_runs: scaled(104),
            automation_runs: scaled(52),
            data_source_updates: scaled(26),
            definition_updates: scaled(26),
            environments: scaled(12),
            sync_observations: scaled(156),
            entity_syncs: scaled(78),
        }
    }
}
