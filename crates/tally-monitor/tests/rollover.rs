//! Today is a day of the monitor's zone: in a zone far from UTC the day turns
//! over far from midnight UTC.

use tally_monitor::{Live, Tracking};

use crate::common::*;

#[test]
fn today_turns_over_at_midnight_in_kiritimati_which_is_ten_utc() {
    // Pacific/Kiritimati is UTC+14: its 8 December starts at 7 December
    // 10:00:00Z. Lisa's use at 09:59Z is on the 7th there; Tom's at 10:00Z on
    // the 8th.
    let zone = chrono_tz::Pacific::Kiritimati;
    let mut live = Live::new(settings(zone), at("2026-12-07T09:00:00Z"));
    feed(
        &mut live,
        &[
            used("acme", "lisa", "2026-12-07T09:59:00Z", "Dashboard", "open", 30),
            used("acme", "tom", "2026-12-07T10:00:00Z", "Reports", "open", 50),
        ],
    );
    let before = live.snapshot(at("2026-12-07T09:59:59.999999Z"), &Tracking::everything());
    assert_eq!(before.day().to_string(), "2026-12-07");
    assert_eq!(before.as_of().zone, "Pacific/Kiritimati");
    let today = before.today(&all());
    // Only Lisa is of the 7th: 1 seen, 30 s. Tom's event, 1 µs ahead of now,
    // is inside the window (now - 5 min < t): both online.
    assert_eq!((today.users_online, today.users_seen_today, today.time_spent_secs), (2, 1, 30));
    let page = before.stream_page(&all(), None, 10);
    assert_eq!(page.items.len(), 1);
    assert_eq!(&*page.items[0].user, "lisa");

    let after = live.snapshot(at("2026-12-07T10:00:01Z"), &Tracking::everything());
    assert_eq!(after.day().to_string(), "2026-12-08");
    let today = after.today(&all());
    // The 8th holds Tom's 50 s; Lisa (09:59, 61 s ago) is still online.
    assert_eq!((today.users_online, today.users_seen_today, today.time_spent_secs), (2, 1, 50));
    let page = after.stream_page(&all(), None, 10);
    assert_eq!(page.items.len(), 1);
    assert_eq!(&*page.items[0].user, "tom");
}

#[test]
fn today_turns_over_at_midnight_in_pago_pago_which_is_eleven_utc() {
    // Pacific/Pago_Pago is UTC-11: its 7 December starts at 7 December
    // 11:00:00Z.
    let zone = chrono_tz::Pacific::Pago_Pago;
    let mut live = Live::new(settings(zone), at("2026-12-07T10:00:00Z"));
    assert_eq!(live.day().to_string(), "2026-12-06");
    feed(
        &mut live,
        &[
            login("acme", "lisa", "2026-12-07T10:59:59.999999Z"),
            login("acme", "tom", "2026-12-07T11:00:00Z"),
        ],
    );
    let snapshot = live.snapshot(at("2026-12-07T12:00:00Z"), &Tracking::everything());
    assert_eq!(snapshot.day().to_string(), "2026-12-07");
    // Tom only, and neither is within 5 minutes of 12:00Z.
    let today = snapshot.today(&all());
    assert_eq!((today.users_online, today.users_seen_today), (0, 1));
    // A state started later reads from the start of the day in the zone.
    assert_eq!(live.events_from(at("2026-12-07T12:00:00Z")), at("2026-12-07T11:00:00Z"));
    // Five minutes after the day starts, the window reaches further back.
    assert_eq!(live.events_from(at("2026-12-07T11:02:00Z")), at("2026-12-07T10:57:00Z"));
}

#[test]
fn a_day_skipped_entirely_leaves_nothing_of_the_old_day() {
    let mut live = live(
        "2026-12-07T10:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T10:00:00Z", "Dashboard", "open", 30),
            // Fed before the 8th's first refresh, so tallied for the 8th.
            used("acme", "lisa", "2026-12-08T00:00:10Z", "Dashboard", "open", 7),
        ],
    );
    let eighth = snapshot(&mut live, "2026-12-08T00:01:00Z").today(&all());
    assert_eq!((eighth.users_seen_today, eighth.time_spent_secs), (1, 7));
    // No refresh on the 8th after that; the 9th starts empty.
    let mut skipping = self::live(
        "2026-12-07T10:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T10:00:00Z", "Dashboard", "open", 30),
            used("acme", "lisa", "2026-12-08T00:00:10Z", "Dashboard", "open", 7),
        ],
    );
    let ninth = snapshot(&mut skipping, "2026-12-09T00:01:00Z").today(&all());
    assert_eq!((ninth.users_seen_today, ninth.time_spent_secs), (0, 0));
    assert_eq!(skipping.users_held(), 0);
}
