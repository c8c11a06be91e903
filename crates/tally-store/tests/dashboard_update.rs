//! The dashboard's aggregates taken in a slice at a time end as those taken
//! in at once.

use std::path::Path;

use crate::common::*;

/// 250 events of one account, all of kinds the dashboard reads: page visits
/// and logins of five users over ten days of March 2026.
fn batch() -> String {
    (0..250)
        .map(|n| {
            let (user, day, hour) = (n % 5, 1 + n % 10, n % 24);
            let at = format!("2026-03-{day:02}T{hour:02}:00:00Z");
            if n % 2 == 0 {
                format!(
                    r#"{{"id":"e{n}","kind":"page_visit","at":"{at}","user":"u{user}","organization":"east","page":"/p{}"}}"#,
                    n % 7
                )
            } else {
                format!(
                    r#"{{"id":"e{n}","kind":"login","at":"{at}","user":"u{user}","organization":"east"}}"#
                )
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every row of every dashboard table, read with an independent connection,
/// in one order.
fn dashboard_rows(path: &Path) -> Vec<String> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'dashboard%'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() > 5, "the dashboard's tables: {tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let mut statement = connection.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = statement.column_count();
        let mut found = statement.query([]).unwrap();
        while let Some(row) = found.next().unwrap() {
            let values: Vec<String> =
                (0..columns).map(|column| format!("{:?}", row.get_ref(column).unwrap())).collect();
            rows.push(format!("{table}: {}", values.join(", ")));
        }
    }
    rows.sort();
    rows
}

#[test]
fn a_dashboard_taken_in_slices_ends_as_one_taken_in_at_once() {
    let (_whole_dir, whole_path, mut whole) = fresh();
    let (_sliced_dir, sliced_path, mut sliced) = fresh();
    for store in [&mut whole, &mut sliced] {
        let (account, _) = create(store, "acme");
        assert_eq!(store.append(account.id, &events(&batch())).unwrap().accepted, 250);
    }
    assert_eq!(whole.update_dashboard("acme", 1_000).unwrap(), 250);

    // Steps of 40 events, stopping once 100 are read: three steps, 120
    // events; then 120 more; then the last 10 (250 = 120 + 120 + 10).
    let mut slices = Vec::new();
    loop {
        let update = sliced.update_dashboard_for("acme", 40, 100).unwrap();
        slices.push((update.events, update.caught_up));
        if update.caught_up {
            break;
        }
    }
    assert_eq!(slices, [(120, false), (120, false), (10, true)]);
    assert_eq!(dashboard_rows(&sliced_path), dashboard_rows(&whole_path));
    // Caught up, a slice reads nothing more.
    let update = sliced.update_dashboard_for("acme", 40, 100).unwrap();
    assert_eq!((update.events, update.caught_up), (0, true));
}
