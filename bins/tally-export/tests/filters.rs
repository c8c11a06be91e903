//! The filters the exporter shares with the API's listings (issue 12): months
//! of the monthly seats, status and organization of the activated seats log,
//! and the event counts by kind and months. Figures are worked out by hand
//! from the fixture in `tests.rs`.

use crate::{export, fixture, stdout};

#[test]
fn monthly_seats_between_two_months() {
    let (_dir, db) = fixture();
    // Ana becomes a seat on 2026-03-16, so March has 1 seat, up 1 from
    // February's 0 (no percent of 0), and April keeps it: 1, up 0, 0.00%.
    let args = ["seats", "monthly", "--account", "acme", "--from", "2026-03", "--to", "2026-04"];
    assert_eq!(
        stdout(&export(&db, &args)),
        "month,seats,change,change_percent\r\n2026-03,1,1,\r\n2026-04,1,0,0.00\r\n"
    );
    let backwards =
        ["seats", "monthly", "--account", "acme", "--from", "2026-05", "--to", "2026-04"];
    let output = export(&db, &backwards);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2026-05") && stderr.contains("2026-04"), "{stderr}");
}

#[test]
fn the_activated_seats_log_by_status_and_organization() {
    let (_dir, db) = fixture();
    let header = "user,email,display_name,organizations,teams,activated_at,logins,weeks,status\r\n";
    let ana = "u-1,ana@acme.test,Ana Acme,acme-east,,2026-03-16T10:00:00+01:00,3,3,active\r\n";
    let log = |filter: &[&str]| {
        let args = ["seats", "log", "--account", "acme", "--at", "2026-04-01T00:00:00Z"];
        stdout(&export(&db, &[&args[..], filter].concat()))
    };
    // Only Ana ever became a seat; on 2026-04-01 she is active, in acme-east.
    assert_eq!(log(&["--status", "active"]), format!("{header}{ana}"));
    assert_eq!(log(&["--status", "removed"]), header);
    assert_eq!(log(&["--organization", "acme-east"]), format!("{header}{ana}"));
    assert_eq!(log(&["--organization", "acme-west"]), header);
    assert_eq!(log(&["--status", "active", "--organization", "acme-west"]), header);

    let output = export(&db, &["seats", "log", "--account", "acme", "--status", "happy"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("happy") && stderr.contains("not_yet_active"), "{stderr}");
}

#[test]
fn event_counts_by_kind_and_months() {
    let (_dir, db) = fixture();
    let counts = |filter: &[&str]| {
        stdout(&export(&db, &[&["event-counts", "--account", "acme"][..], filter].concat()))
    };
    // In Berlin: Ana's user_added on 02-20, her three logins in March, Bo's
    // login on 04-01 at 11:00.
    let header = "month,kind,events\r\n";
    assert_eq!(
        counts(&[]),
        format!("{header}2026-02,user_added,1\r\n2026-03,login,3\r\n2026-04,login,1\r\n")
    );
    assert_eq!(
        counts(&["--kind", "login"]),
        format!("{header}2026-03,login,3\r\n2026-04,login,1\r\n")
    );
    assert_eq!(
        counts(&["--kind", "login", "--from", "2026-04"]),
        format!("{header}2026-04,login,1\r\n")
    );
    assert_eq!(counts(&["--to", "2026-02"]), format!("{header}2026-02,user_added,1\r\n"));

    let output = export(&db, &["event-counts", "--account", "acme", "--kind", "logins"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("logins"));
}
