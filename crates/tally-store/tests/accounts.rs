//! Accounts and write keys.

use tally_store::StoreError;

use crate::common::*;

#[test]
fn a_write_key_finds_its_account_and_is_not_stored_in_clear() {
    let (dir, path, mut store) = fresh();
    let (acme, acme_key) = create(&mut store, "acme");
    let (globex, globex_key) = create(&mut store, "globex");
    assert!(acme_key.expose().starts_with("tally_wk_"));
    assert_ne!(acme_key.expose(), globex_key.expose());

    assert_eq!(store.account_for_write_key(acme_key.expose()).unwrap(), Some(acme));
    assert_eq!(store.account_for_write_key(globex_key.expose()).unwrap(), Some(globex));
    assert_eq!(store.account_for_write_key("tally_wk_0000").unwrap(), None);
    drop(store);

    // Scan the raw file, WAL included, for the key's text.
    let mut raw = std::fs::read(&path).unwrap();
    raw.extend(std::fs::read(dir.path().join("tally.sqlite-wal")).unwrap_or_default());
    let secret = acme_key.expose().as_bytes();
    assert!(!raw.windows(secret.len()).any(|window| window == secret));
}

#[test]
fn a_rotated_key_replaces_the_old_one() {
    let (_dir, _, mut store) = fresh();
    let (acme, old_key) = create(&mut store, "acme");
    let new_key = store.rotate_write_key("acme").unwrap();
    assert_eq!(store.account_for_write_key(old_key.expose()).unwrap(), None);
    assert_eq!(store.account_for_write_key(new_key.expose()).unwrap(), Some(acme));
}

#[test]
fn accounts_keep_their_calendar_and_terms() {
    let (_dir, _, mut store) = fresh();
    let mut new = new_account("kiwi");
    new.calendar.time_zone = chrono_tz::Pacific::Auckland;
    new.calendar.week_start = chrono::Weekday::Sun;
    new.terms = vec!["2026-01-15..2027-01-15".parse().unwrap()];
    store.create_account(&new).unwrap();
    store.add_term("kiwi", "2027-01-15..2028-01-15".parse().unwrap()).unwrap();

    let account = store.account("kiwi").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::Pacific::Auckland);
    assert_eq!(account.calendar.week_start, chrono::Weekday::Sun);
    let terms: Vec<String> = account.terms.iter().map(ToString::to_string).collect();
    assert_eq!(terms, ["2026-01-15..2027-01-15", "2027-01-15..2028-01-15"]);
}

#[test]
fn bad_slugs_and_repeated_slugs_are_refused() {
    let (_dir, _, mut store) = fresh();
    create(&mut store, "acme");
    assert!(matches!(
        store.create_account(&new_account("acme")),
        Err(StoreError::AccountExists { slug }) if slug == "acme"
    ));
    assert!(matches!(
        store.create_account(&new_account("Acme Corp")),
        Err(StoreError::InvalidSlug { slug }) if slug == "Acme Corp"
    ));
    // The deployment's own audit chain is named so that no account can take it.
    assert!(matches!(
        store.create_account(&new_account(tally_store::DEPLOYMENT_AUDIT_CHAIN)),
        Err(StoreError::InvalidSlug { slug }) if slug == "_deployment"
    ));
    assert!(
        matches!(store.account("nobody"), Err(StoreError::UnknownAccount { slug }) if slug == "nobody")
    );
}

/// Issue 13: an overlapping term was stored, and every seat command of the
/// account then failed on "a bad value in subscription_terms".
#[test]
fn a_term_overlapping_one_the_account_has_is_refused_naming_both() {
    let (_dir, _, mut store) = fresh();
    create(&mut store, "acme");
    // 2026-12-01 is before the held term's end, 2027-01-01: December is shared.
    let error = store.add_term("acme", "2026-12-01..2027-12-01".parse().unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "term 2026-12-01..2027-12-01 of account \"acme\" overlaps its term 2026-01-01..2027-01-01: \
         terms may not share a day; remove or change the held term first"
    );
    // A term inside the held one, and the held one again, are refused too.
    for inside in ["2026-03-01..2026-04-01", "2026-01-01..2027-01-01"] {
        assert!(matches!(
            store.add_term("acme", inside.parse().unwrap()),
            Err(StoreError::OverlappingTerms { .. })
        ));
    }
    // A term starting the day the held one ends follows it.
    store.add_term("acme", "2027-01-01..2028-01-01".parse().unwrap()).unwrap();
    assert_eq!(store.account("acme").unwrap().terms.len(), 2);
    store.update_seats("acme").unwrap();

    let mut overlapping = new_account("globex");
    overlapping.terms.push("2026-06-01..2027-06-01".parse().unwrap());
    assert!(matches!(
        store.create_account(&overlapping),
        Err(StoreError::OverlappingTerms { slug, .. }) if slug == "globex"
    ));
    assert!(matches!(store.account("globex"), Err(StoreError::UnknownAccount { .. })));
}

#[test]
fn a_term_is_removed_only_as_the_account_holds_it() {
    let (_dir, _, mut store) = fresh();
    create(&mut store, "acme");
    store.add_term("acme", "2027-01-01..2028-01-01".parse().unwrap()).unwrap();
    let error = store.remove_term("acme", "2027-01-01..2027-06-01".parse().unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "account \"acme\" has no term 2027-01-01..2027-06-01; its terms: \
         2026-01-01..2027-01-01, 2027-01-01..2028-01-01"
    );
    let account = store.remove_term("acme", "2026-01-01..2027-01-01".parse().unwrap()).unwrap();
    assert_eq!(account.terms, ["2027-01-01..2028-01-01".parse().unwrap()]);
}

/// Every table with an `account_id` column is emptied of the deleted account's
/// rows, the other account keeps all of its own, and a new account on the
/// deleted one's row number starts from nothing.
#[test]
fn deleting_an_account_removes_its_rows_everywhere_and_nothing_else() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    // u1 is added, then logs in in three weeks: a seat, with a profile.
    let batch = [
        r#"{"id":"e0","kind":"user_added","at":"2026-02-20T09:00:00Z","user":"u1","email":"u1@example.test","display_name":"U One","role":"member","teams":["ops"]}"#.to_owned(),
        login("e1", "u1", "2026-03-02T08:00:00Z"),
        login("e2", "u1", "2026-03-09T08:00:00Z"),
        login("e3", "u1", "2026-03-16T08:00:00Z"),
        // A run and an entity, for the dashboard's tables.
        r#"{"id":"e4","kind":"action_run","at":"2026-03-16T09:00:00Z","organization":"east","action":"deploy","run_id":"r1","trigger":"ui","status":"success","user":"u1"}"#.to_owned(),
        r#"{"id":"e5","kind":"entity_change","at":"2026-03-16T09:00:00Z","organization":"east","blueprint":"service","entity":"api","operation":"create"}"#.to_owned(),
        r#"{"id":"e6","kind":"mcp_call","at":"2026-03-16T09:00:00Z","user":"u1","tool":"get_entity","duration_ms":120}"#.to_owned(),
        // An activity, for the monitor's sums.
        r#"{"id":"e7","kind":"activity","at":"2026-03-16T09:05:00Z","user":"u1","module":"Dashboard","action":"export","time_spent_secs":60}"#.to_owned(),
    ]
    .join("\n");
    for (account, slug) in [(&acme, "acme"), (&globex, "globex")] {
        assert_eq!(store.append(account.id, &events(&batch)).unwrap().accepted, 8);
        store
            .set_organization(
                slug,
                &tally_store::Organization { organization: "east".into(), name: "East".into() },
            )
            .unwrap();
        store
            .set_team(
                slug,
                &tally_store::Team { team: "ops".into(), name: "Ops".into(), organization: None },
            )
            .unwrap();
        store.set_seat_rule(slug, tally_seats::SeatRule::default()).unwrap();
        store.update_seats(slug).unwrap();
        store.update_usage_months(slug, 1_000).unwrap();
        store.update_dashboard(slug, 1_000).unwrap();
        store.update_monitor(slug, 1_000).unwrap();
        let rule = tally_compat::MappingRule::new(
            "Signed In",
            tally_events::EventKind::Login,
            Default::default(),
            Default::default(),
        )
        .unwrap();
        store.set_event_mapping(account.id, &rule).unwrap();
        store
            .create_token(&tally_store::NewToken {
                grant: tally_store::TokenGrant::Administrator {
                    account: slug.into(),
                    server_management_read: false,
                },
                label: String::new(),
                expires_at: None,
            })
            .unwrap();
    }
    let both = ["acme", "globex"].map(str::to_owned).into_iter().collect();
    store
        .set_staff_team(&tally_store::StaffTeam {
            team: "care".into(),
            scope: tally_access::StaffScope::Accounts(both),
        })
        .unwrap();

    // globex has the highest row number, which SQLite gives out again.
    let deleted = store.delete_account("globex").unwrap();
    assert_eq!(
        deleted,
        tally_store::DeletedAccount { events: 8, tokens: 1, staff_teams: vec!["care".into()] }
    );
    assert!(matches!(store.account("globex"), Err(StoreError::UnknownAccount { .. })));
    let tables: Vec<String> = {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection
            .prepare(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
                 WHERE m.type = 'table' AND c.name = 'account_id' ORDER BY m.name",
            )
            .unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    };
    // accounts, the 29 tables of the account's rows; each held a row of both.
    assert_eq!(tables.len(), 30, "{tables:?}");
    for table in &tables {
        let rows = |id: i64| {
            stored_rows(&path, &format!("SELECT count(*) FROM {table} WHERE account_id = {id}"))
        };
        assert_eq!(rows(globex.id.0), 0, "{table}");
        assert!(rows(acme.id.0) > 0, "{table}");
    }
    let care = store.staff_team("care").unwrap().scope;
    let acme_only = ["acme"].map(str::to_owned).into_iter().collect();
    assert_eq!(care, tally_access::StaffScope::Accounts(acme_only));

    // A new account on the same row number: the same ids are new events to it.
    let (again, _) = create(&mut store, "globex");
    assert_eq!(again.id, globex.id);
    let outcome = store.append(again.id, &events(&batch)).unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates), (8, 0));
}

/// Issue 13: a token made already expired was accepted silently.
#[test]
fn a_token_that_would_be_expired_when_made_is_refused() {
    let (_dir, _, mut store) = fresh();
    create(&mut store, "acme");
    let token = |expires_at| tally_store::NewToken {
        grant: tally_store::TokenGrant::Administrator {
            account: "acme".into(),
            server_management_read: false,
        },
        label: String::new(),
        expires_at: Some(expires_at),
    };
    let past = "2026-01-01T00:00:00Z".parse().unwrap();
    assert!(matches!(
        store.create_token(&token(past)),
        Err(StoreError::TokenAlreadyExpired { expires_at, .. }) if expires_at == past
    ));
    assert_eq!(store.tokens().unwrap(), []);
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    store.create_token(&token(tomorrow)).unwrap();
}
