//! The usage monitor's pages (docs/web.md, "The usage monitor"): Today and
//! Activities, for the vendor's staff, each team seeing the accounts of its
//! scope exactly as the API's monitor routes decide, since both read the same
//! snapshot and the same store functions through the same `MonitorView`.
//!
//! Every figure is on the page as the server rendered it, so the pages read
//! without scripts; `monitor.js` keeps Today live over the API's server-sent
//! event streams.

use axum::Router;
use axum::routing::get;
use maud::Markup;

use crate::state::AppState;
use crate::web::layout::tabs;

mod activities;
mod today;

use activities::activities;
use today::today;

/// Items of the activity stream a page of Today shows; the rest is a page on.
pub const STREAM_ITEMS: usize = 50;
/// Rows of the Activities list a page shows; the rest is a page on, and the
/// whole list is a download.
pub const LIST_ROWS: usize = 100;

/// The usage monitor's pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/monitor", get(today)).route("/monitor/activities", get(activities))
}

/// The two tabs, the current one marked.
fn monitor_tabs(current: &str) -> Markup {
    tabs(
        "Usage monitor",
        [("Today", "/monitor"), ("Activities", "/monitor/activities")]
            .map(|(name, href)| (name, href.to_owned(), name == current)),
    )
}

/// A duration: seconds, minutes and seconds, or hours and minutes.
fn duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// How a figure reads.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// A number of things.
    Count,
    /// A duration in seconds, read as hours, minutes and seconds.
    Seconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
        }
    }

    fn show(self, value: u64) -> String {
        match self {
            Unit::Count => value.to_string(),
            Unit::Seconds => duration(value),
        }
    }
}

/// A query string of `pairs`.
fn encode(pairs: &[(&str, &str)]) -> String {
    // Text pairs always encode.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        let check = |secs: u64, expected: &str| assert_eq!(duration(secs), expected);
        check(0, "0 s");
        check(59, "59 s");
        check(300, "5 min");
        // 125 s = 2 min 5 s.
        check(125, "2 min 5 s");
        // 3,725 s = 1 h 2 min 5 s; the seconds are dropped past an hour.
        check(3725, "1 h 2 min");
    }
}
