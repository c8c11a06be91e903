//! Where the seat listings surprised a reader (issue 14), on the fixture's acme
//! (Europe/Berlin, term 2026): Ana (u-1) is a seat from 2026-03-16T09:00Z.

use crate::common::*;

/// The months of a page of `/seats/monthly`.
fn months(page: &serde_json::Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|row| row["month"].as_str().unwrap()).collect()
}

#[test]
fn monthly_seats_stop_at_the_month_holding_at() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let monthly = |query: &str| api.get(&format!("/v1/accounts/acme/seats/monthly?{query}"), token);
    // 2026-04-30T21:59:59Z is 23:59:59 CEST on April 30th; 22:00Z is May 1st,
    // as is the date 2026-05-01 (its start in Berlin).
    let to_april = ["2026-01", "2026-02", "2026-03", "2026-04"];
    let to_may = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"];
    assert_eq!(months(&monthly("at=2026-04-30T21:59:59Z").json()), to_april);
    assert_eq!(months(&monthly("at=2026-04-30T22:00:00Z").json()), to_may);
    assert_eq!(months(&monthly("at=2026-05-01").json()), to_may);
    assert_eq!(months(&monthly("at=2026-05-01&from=2026-04").json()), ["2026-04", "2026-05"]);
    // April keeps March's 1 seat: +0, 0 %, exact in JSON, 0.00 in CSV.
    let page = monthly("at=2026-04-15").json();
    assert_eq!(page["items"][3]["change_percent"].as_f64(), Some(0.0));
    assert_eq!(
        monthly("at=2026-04-15&format=csv&from=2026-04").text(),
        "month,seats,change,change_percent\r\n2026-04,1,0,0.00\r\n"
    );
}

#[test]
fn the_activated_log_takes_a_date_and_names_the_term_it_looked_at() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let log = |at: &str| api.get(&format!("/v1/accounts/acme/seats/activated?at={at}"), token);
    // 2024-12-31 begins at 2024-12-30T23:00Z in Berlin: in no term.
    let outside = log("2024-12-31");
    assert_eq!(outside.status, 200);
    assert_eq!(outside.json()["items"], serde_json::json!([]));
    assert_eq!(outside.term, "none");
    // 2026-03-16 begins at 2026-03-15T23:00Z, before Ana's activation.
    let before = log("2026-03-16");
    assert_eq!(before.json()["items"], serde_json::json!([]));
    assert_eq!(before.term, "2026-01-01..2027-01-01");
    // 2026-03-17 begins at 2026-03-16T23:00Z, after it.
    let after = log("2026-03-17");
    assert_eq!(after.json()["items"][0]["user"], "u-1");
    assert_eq!(after.term, "2026-01-01..2027-01-01");

    let explanation = api.get("/v1/accounts/acme/seats/users/u-1?at=2026-03-17", token).json();
    assert_eq!(explanation["at"], "2026-03-16T23:00:00Z");
    assert_eq!(explanation["status"], "active");
}

#[test]
fn a_bad_at_names_the_accepted_forms() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    for path in [
        "/v1/accounts/acme/seats/activated?at=31.12.2024",
        "/v1/accounts/acme/seats/monthly?at=31.12.2024",
        "/v1/accounts/acme/seats/users/u-1?at=31.12.2024",
    ] {
        let answer = api.get(path, token);
        assert_eq!(answer.status, 400, "{path}");
        let problem = answer.json();
        assert_eq!(problem["parameter"], "at", "{path}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(
                "\"31.12.2024\" is neither an RFC 3339 instant such as 2024-12-31T09:00:00Z nor \
                 a date such as 2024-12-31 (the start of that day in the account's time zone)"
            ),
            "{path}: {detail}"
        );
    }
}
