//! Tally's live usage monitor: who is online now, what was used today, the
//! activity stream and the top-10 lists, across accounts (docs/monitor.md).
//!
//! A [`Live`] state is fed the events that make a user seen, in log order, and
//! keeps per user only what today's figures and the online window need. At
//! each refresh [`Live::snapshot`] turns it into a [`Snapshot`] under the
//! current [`Tracking`]; the snapshot answers for any staff scope
//! ([`tally_access::MonitorView`]) in time that grows with the accounts in
//! scope. Nothing here reads the clock: "now" is an argument.
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use tally_access::{Principal, StaffScope};
//! use tally_monitor::{Activity, Live, MonitorSettings, SeenEvent, Tracking};
//!
//! let settings = MonitorSettings { online_window: TimeDelta::minutes(5), zone: chrono_tz::UTC };
//! let now = Utc.with_ymd_and_hms(2026, 12, 7, 14, 0, 0).unwrap();
//! let mut live = Live::new(settings, now);
//! live.add(&SeenEvent {
//!     seq: 1,
//!     account: Arc::from("acme"),
//!     user: Arc::from("lisa"),
//!     at: now - TimeDelta::minutes(2),
//!     activity: Some(Activity {
//!         module: Arc::from("Dashboard"),
//!         action: Arc::from("export"),
//!         time_spent_secs: 90,
//!     }),
//! });
//! let snapshot = live.snapshot(now, &Tracking::everything());
//! let staff = Principal::Staff { team: "support".into(), scope: StaffScope::AllAccounts, admin: false };
//! let today = snapshot.today(&staff.read_monitor().unwrap());
//! // Lisa, seen 2 minutes ago, is online; 90 s over one user is 90 s per user.
//! assert_eq!((today.users_online, today.time_per_user_secs), (1, Some(90)));
//! ```

#![deny(missing_docs)]

mod catalog;
mod event;
mod live;
mod snapshot;
mod tracking;

pub use event::{Activity, SeenEvent};
pub use live::{Live, MonitorSettings, day_of, start_of_day};
pub use snapshot::{
    ActionCount, AsOf, Figure, OptionalFigure, Snapshot, StreamCursor, StreamItem, StreamPage, TOP,
    TodayCounts, TodayFigures, TopAccount, TopActivity, TopModule, TopToday, TopUser,
};
pub use tracking::{Tracked, Tracking};
