//! Filters, sorting by every column, keyset pages.

use tally_audit::{
    AuditAfter, AuditColumn, AuditError, AuditKey, AuditQuery, AuditStore, NewAuditEntry,
};
use tally_events::{AuditEntry, AuditStatus, Operation, OriginType, ResourceKind, SourceType};

use crate::common::*;

/// Eight entries, in this arrival order (seq 1 to 8). e2 happened before e1;
/// e5 and e6 at the same instant.
fn eight() -> Vec<NewAuditEntry> {
    let none = |base: NewAuditEntry| {
        edited(base, |change| {
            change.resource_id = None;
            change.user = None;
            change.blueprint = None;
            change.entity = None;
        })
    };
    vec![
        edited(entry("e1", "2026-03-01T09:00:00Z"), |change| {
            change.operation = Operation::Create;
        }),
        edited(entry("e2", "2026-03-01T08:00:00Z"), |change| {
            change.source_type = SourceType::Integration;
            change.source = "k8s-prod-exporter".into();
            change.origin = OriginType::K8sExporter;
            change.user = None;
        }),
        edited(entry("e3", "2026-03-02T10:00:00Z"), |change| {
            change.resource_id = Some("payments".into());
            change.source = "sam@example.com".into();
            change.origin = OriginType::PortAutomation;
            change.status = AuditStatus::Failure;
            change.error = Some("Timeout reaching cluster".into());
            change.user = Some("u-2".into());
            change.entity = Some("payments".into());
            change.run_id = Some("r_1".into());
        }),
        edited(none(entry("e4", "2026-03-02T11:00:00Z")), |change| {
            change.resource = ResourceKind::Blueprint;
            change.resource_id = Some("service".into());
            change.source = "Dana@Example.com".into();
            change.origin = OriginType::Terraform;
        }),
        edited(none(entry("e5", "2026-03-03T12:00:00Z")), |change| {
            change.resource = ResourceKind::Integration;
            change.resource_id = Some("gh-main".into());
            change.operation = Operation::Delete;
            change.source_type = SourceType::Webhook;
            change.source = "github-hook".into();
            change.origin = OriginType::Webhook;
            change.status = AuditStatus::Failure;
            change.error = Some("Permission DENIED for token".into());
            change.integration = Some("gh-main".into());
        }),
        edited(none(entry("e6", "2026-03-03T12:00:00Z")), |change| {
            change.resource = ResourceKind::Run;
            change.resource_id = Some("r_1".into());
            change.operation = Operation::Create;
            change.source = "sam@example.com".into();
            change.origin = OriginType::Api;
            change.user = Some("u-2".into());
            change.run_id = Some("r_1".into());
        }),
        edited(entry("e7", "2026-03-04T07:00:00Z"), |change| {
            change.resource_id = Some("sre".into());
            change.operation = Operation::TimerExpired;
            change.source_type = SourceType::Integration;
            change.source = "team-members-aggregation".into();
            change.origin = OriginType::AggregationProperty;
            change.user = None;
            change.blueprint = Some("team".into());
            change.entity = Some("sre".into());
        }),
        edited(none(entry("e8", "2026-03-04T09:30:00Z")), |change| {
            change.resource = ResourceKind::SignIn;
            change.operation = Operation::Create;
            change.user = Some("u-1".into());
        }),
    ]
}

fn store_with_eight() -> (tempfile::TempDir, AuditStore) {
    let (dir, _path, mut store) = fresh();
    store.append("acme", &eight()).unwrap();
    store.append("globex", &eight()).unwrap();
    (dir, store)
}

fn oldest_first() -> AuditQuery {
    AuditQuery { sort: AuditColumn::At, descending: false, limit: 100, ..AuditQuery::default() }
}

fn check(store: &AuditStore, query: AuditQuery, expected: &[&str]) {
    let found = ids(&store.query("acme", &query).unwrap());
    assert_eq!(found, expected, "{query:?}");
}

#[test]
fn each_filter_keeps_only_matching_entries() {
    let (_dir, store) = store_with_eight();
    let query = oldest_first;
    check(&store, query(), &["e2", "e1", "e3", "e4", "e5", "e6", "e7", "e8"]);
    // From is inclusive, to exclusive: e7 at 03-04T07:00 is out.
    check(
        &store,
        AuditQuery {
            from: Some(at("2026-03-02T10:00:00Z")),
            to: Some(at("2026-03-04T07:00:00Z")),
            ..query()
        },
        &["e3", "e4", "e5", "e6"],
    );
    check(
        &store,
        AuditQuery { resource: Some(ResourceKind::Entity), ..query() },
        &["e2", "e1", "e3", "e7"],
    );
    check(&store, AuditQuery { resource: Some(ResourceKind::Secret), ..query() }, &[]);
    check(&store, AuditQuery { resource_id: Some("checkout".into()), ..query() }, &["e2", "e1"]);
    check(
        &store,
        AuditQuery { operation: Some(Operation::Update), ..query() },
        &["e2", "e3", "e4"],
    );
    check(&store, AuditQuery { operation: Some(Operation::TimerExpired), ..query() }, &["e7"]);
    check(&store, AuditQuery { origin: Some(OriginType::K8sExporter), ..query() }, &["e2"]);
    check(
        &store,
        AuditQuery { origin: Some(OriginType::parse("aggregation_property")), ..query() },
        &["e7"],
    );
    check(&store, AuditQuery { status: Some(AuditStatus::Failure), ..query() }, &["e3", "e5"]);
    check(&store, AuditQuery { source_type: Some(SourceType::Webhook), ..query() }, &["e5"]);
    check(&store, AuditQuery { user: Some("u-2".into()), ..query() }, &["e3", "e6"]);
    check(&store, AuditQuery { blueprint: Some("service".into()), ..query() }, &["e2", "e1", "e3"]);
    check(&store, AuditQuery { entity: Some("checkout".into()), ..query() }, &["e2", "e1"]);
    check(&store, AuditQuery { run_id: Some("r_1".into()), ..query() }, &["e3", "e6"]);
    check(&store, AuditQuery { integration: Some("gh-main".into()), ..query() }, &["e5"]);
    // Filters combine.
    check(
        &store,
        AuditQuery {
            resource: Some(ResourceKind::Entity),
            status: Some(AuditStatus::Success),
            ..query()
        },
        &["e2", "e1", "e7"],
    );
}

#[test]
fn source_and_error_match_text_anywhere_ignoring_case() {
    let (_dir, store) = store_with_eight();
    let query = oldest_first;
    // dana@example.com (e1, e8) and Dana@Example.com (e4).
    check(&store, AuditQuery { source: Some("DANA".into()), ..query() }, &["e1", "e4", "e8"]);
    check(
        &store,
        AuditQuery { source: Some("example.com".into()), ..query() },
        &["e1", "e3", "e4", "e6", "e8"],
    );
    check(&store, AuditQuery { source: Some("%".into()), ..query() }, &[]);
    check(&store, AuditQuery { error_contains: Some("denied".into()), ..query() }, &["e5"]);
    check(&store, AuditQuery { error_contains: Some("CLUSTER".into()), ..query() }, &["e3"]);
    // The empty text: every entry that has an error.
    check(&store, AuditQuery { error_contains: Some(String::new()), ..query() }, &["e3", "e5"]);
}

#[test]
fn source_matching_folds_case_beyond_ascii() {
    let (_dir, _path, mut store) = fresh();
    store
        .append(
            "acme",
            &[NewAuditEntry {
                change: AuditEntry { source: "ÉLODIE@example.com".into(), ..entry_change() },
                ..entry("e1", "2026-03-01T00:00:00Z")
            }],
        )
        .unwrap();
    check(&store, AuditQuery { source: Some("élodie".into()), ..oldest_first() }, &["e1"]);
}

/// Each expected order is worked out from the table in `eight()`: values
/// compared by bytes (absent text as ""), ties by seq in the same direction.
#[test]
fn sorting_by_a_column_pages_through_every_entry_once() {
    let (_dir, store) = store_with_eight();
    let cases: [(AuditColumn, bool, [&str; 8]); 9] = [
        (AuditColumn::At, false, ["e2", "e1", "e3", "e4", "e5", "e6", "e7", "e8"]),
        (AuditColumn::At, true, ["e8", "e7", "e6", "e5", "e4", "e3", "e1", "e2"]),
        (AuditColumn::Seq, true, ["e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1"]),
        // "Dana@..." < "dana@..." (e1, e8) < "github-hook" < "k8s-..." < "sam@..."
        // (e3, e6) < "team-...".
        (AuditColumn::Source, false, ["e4", "e1", "e8", "e5", "e2", "e3", "e6", "e7"]),
        (AuditColumn::Source, true, ["e7", "e6", "e3", "e2", "e5", "e8", "e1", "e4"]),
        // No error ("") first, then "Permission..." < "Timeout...".
        (AuditColumn::Error, false, ["e1", "e2", "e4", "e6", "e7", "e8", "e5", "e3"]),
        // create (e1, e6, e8) < delete < timer_expired < update (e2, e3, e4).
        (AuditColumn::Operation, false, ["e1", "e6", "e8", "e5", "e7", "e2", "e3", "e4"]),
        // AGGREGATION PROPERTY < API < K8S EXPORTER < PORT AUTOMATION < TERRAFORM
        // < UI (e1, e8) < WEBHOOK.
        (AuditColumn::Origin, false, ["e7", "e6", "e2", "e3", "e4", "e1", "e8", "e5"]),
        // blueprint < entity (e1, e2, e3, e7) < integration < run < sign_in.
        (AuditColumn::Resource, false, ["e4", "e1", "e2", "e3", "e7", "e5", "e6", "e8"]),
    ];
    for (sort, descending, expected) in cases {
        let query = AuditQuery { sort, descending, limit: 3, ..AuditQuery::default() };
        let (seen, sizes) = all_pages(&store, "acme", &query);
        assert_eq!(seen, expected, "sorted by {} descending {descending}", sort.name());
        assert_eq!(sizes, [3, 3, 2, 0]);
    }
}

/// Every column, both ways: pages of 2 give what one page of 100 gives, and
/// that order never goes back on the column's value.
#[test]
fn every_column_sorts_and_pages_consistently() {
    let (_dir, store) = store_with_eight();
    for sort in AuditColumn::ALL {
        assert_eq!(AuditColumn::from_name(sort.name()), Some(sort));
        for descending in [false, true] {
            let whole = store
                .query(
                    "acme",
                    &AuditQuery { sort, descending, limit: 100, ..AuditQuery::default() },
                )
                .unwrap();
            let (paged, _) = all_pages(
                &store,
                "acme",
                &AuditQuery { sort, descending, limit: 2, ..AuditQuery::default() },
            );
            assert_eq!(paged, ids(&whole), "{}", sort.name());
            for pair in whole.windows(2) {
                let (a, b) = ((pair[0].key(sort), pair[0].seq), (pair[1].key(sort), pair[1].seq));
                assert!(if descending { a > b } else { a < b }, "{} {a:?} then {b:?}", sort.name());
            }
        }
    }
}

#[test]
fn pages_stay_stable_while_entries_are_appended() {
    let (dir, store) = store_with_eight();
    let query = AuditQuery { limit: 3, ..oldest_first() };
    let first = store.query("acme", &query).unwrap();
    assert_eq!(ids(&first), ["e2", "e1", "e3"]);
    // Another connection appends one entry older than every other and one newer.
    let mut writer = open(&dir.path().join("audit.sqlite"));
    writer
        .append(
            "acme",
            &[entry("e9", "2026-02-28T00:00:00Z"), entry("e10", "2026-03-05T00:00:00Z")],
        )
        .unwrap();
    let mut query = query;
    query.after = Some(first[2].after(AuditColumn::At));
    let second = store.query("acme", &query).unwrap();
    assert_eq!(ids(&second), ["e4", "e5", "e6"]);
    query.after = Some(second[2].after(AuditColumn::At));
    let third = store.query("acme", &query).unwrap();
    // e9 sorts before the pages already read; e10 after them.
    assert_eq!(ids(&third), ["e7", "e8", "e10"]);
}

#[test]
fn the_listing_reaches_beyond_a_thousand_entries() {
    let (_dir, _path, mut store) = fresh();
    for batch in 0..5 {
        let entries: Vec<NewAuditEntry> = (0..241)
            .map(|index| entry(&format!("b{batch}-{index}"), "2026-03-01T00:00:00Z"))
            .collect();
        store.append("acme", &entries).unwrap();
    }
    // 5 batches of 241: 1,205 entries, in pages of 500, 500 and 205.
    let (seen, sizes) =
        all_pages(&store, "acme", &AuditQuery { limit: 500, ..AuditQuery::default() });
    assert_eq!(sizes, [500, 500, 205, 0]);
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 1205);
    // Every instant is equal, so newest first is seq 1,205 down to 1.
    assert_eq!((seen[0].as_str(), seen[1204].as_str()), ("b4-240", "b0-0"));
}

#[test]
fn a_key_of_the_wrong_type_is_refused() {
    let (_dir, store) = store_with_eight();
    let query = AuditQuery {
        sort: AuditColumn::Source,
        after: Some(AuditAfter { key: AuditKey::Integer(3), seq: 3 }),
        ..AuditQuery::default()
    };
    let error = store.query("acme", &query).unwrap_err();
    assert!(matches!(error, AuditError::KeyMismatch { column: "source", .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the listing is sorted by `source`, but the page starts after the key Integer(3)"
    );
}

#[test]
fn an_account_without_entries_lists_nothing() {
    let (_dir, store) = store_with_eight();
    assert_eq!(store.query("initech", &AuditQuery::default()).unwrap(), vec![]);
}
