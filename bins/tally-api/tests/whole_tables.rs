//! Whole exports (issue 15): `format=csv|xlsx|json`, or an `Accept` header
//! asking for a file, answers every row of a listing, not one page. Each file is
//! read back with a reader of its own (the csv crate, calamine, serde_json) and
//! checked against the JSON listing walked page by page.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tally_calendar::AccountCalendar;
use tally_events::{Limits, check_batch};
use tally_store::{NewAccount, NewToken, Store, StoreOptions, TokenGrant};

use crate::common::Api;

/// Run states in initech's log: more than two of the store's pages of 1000
/// that a whole table is read in, and 24 of the listing's default pages of 100.
const RUN_STATES: usize = 2345;
/// Audit entries: more than one store page, 13 listing pages.
const AUDIT_ENTRIES: usize = 1234;
/// The audit entry whose source has an accent.
const GARCIA_ENTRY: usize = 617;
/// Users who become active seats: 150, a page and a half of the activated
/// seats log, a listing the API holds in memory.
const SEATS: usize = 150;
/// The seat whose display name has an accent.
const GARCIA_SEAT: usize = 42;

/// Run state `i` (0-based): reported at 2026-03-01T00:00Z plus `i` minutes, of
/// run `run-{i / 2}`; every tenth is started by an automation and has no user,
/// every seventh (the rest) failed.
fn run_event(i: usize) -> String {
    let at = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().to_utc()
        + chrono::Duration::minutes(i as i64);
    let (trigger, user) = if i.is_multiple_of(10) {
        ("automation", String::new())
    } else {
        ("ui", format!(r#","user":"u-{}""#, i % 13))
    };
    let status = if !i.is_multiple_of(10) && i.is_multiple_of(7) { "failure" } else { "success" };
    format!(
        r#"{{"id":"run-state-{i}","kind":"action_run","at":"{}","organization":"initech-{}","action":"deploy-{}","run_id":"run-{}","trigger":"{trigger}","status":"{status}"{user}}}"#,
        at.to_rfc3339(),
        i % 3,
        i % 5,
        i / 2,
    )
}

/// Audit entry `i` (0-based): at 2026-03-01T00:00Z plus `i` minutes, an update
/// of entity svc-{i} by Ana, but entry 617's by José García.
fn audit_event(i: usize) -> String {
    let at = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().to_utc()
        + chrono::Duration::minutes(i as i64);
    let source = if i == GARCIA_ENTRY { "José García" } else { "ana@initech.test" };
    format!(
        r#"{{"id":"audit-{i}","kind":"audit_entry","at":"{}","resource":"entity","resource_id":"svc-{i}","operation":"update","source_type":"user","source":"{source}","origin":"ui","status":"success","user":"u-1","blueprint":"service","entity":"svc-{i}","before":{{"tier":"bronze"}},"after":{{"tier":"gold"}}}}"#,
        at.to_rfc3339()
    )
}

/// Seat `k`'s events: added on 2026-02-20 in initech-0, then a login on each
/// of the Mondays 2026-03-02, 03-09 and 03-16 at 09:00Z plus `k` seconds (three
/// weeks: an active seat from the third); every fourth user logs in to
/// initech-1 the second time, so is seen in two organizations.
fn seat_events(k: usize) -> Vec<String> {
    let name = if k == GARCIA_SEAT { "José García".to_owned() } else { format!("Seat {k}") };
    let mut events = vec![format!(
        r#"{{"id":"seat-{k}-added","kind":"user_added","at":"2026-02-20T09:00:00Z","user":"s-{k:03}","email":"s{k}@initech.test","display_name":"{name}","role":"member","organization":"initech-0"}}"#
    )];
    for (week, day) in ["02", "09", "16"].into_iter().enumerate() {
        let organization = if week == 1 && k.is_multiple_of(4) { "initech-1" } else { "initech-0" };
        events.push(format!(
            r#"{{"id":"seat-{k}-login-{week}","kind":"login","at":"2026-03-{day}T09:{:02}:{:02}Z","user":"s-{k:03}","organization":"{organization}"}}"#,
            k / 60,
            k % 60,
        ));
    }
    events
}

struct Initech {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    administrator: String,
}

/// Account initech (Europe/Berlin), holding the run states and audit entries
/// above, and an administrator's token.
fn initech() -> Initech {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    let (account, _) = store
        .create_account(&NewAccount {
            slug: "initech".into(),
            name: "Initech".into(),
            calendar: AccountCalendar {
                time_zone: "Europe/Berlin".parse().unwrap(),
                ..AccountCalendar::default()
            },
            terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
        })
        .unwrap();
    let mut events: Vec<String> = (0..RUN_STATES).map(run_event).collect();
    events.extend((0..SEATS).flat_map(seat_events));
    let batch = check_batch(events.join("\n").as_bytes(), &Limits::default()).unwrap();
    assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
    store.append(account.id, &batch.events).unwrap();
    store.update_seats("initech").unwrap();

    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
    let mut log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    let entries: Vec<String> = (0..AUDIT_ENTRIES).map(audit_event).collect();
    let batch = check_batch(entries.join("\n").as_bytes(), &Limits::default()).unwrap();
    assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
    let entries: Vec<tally_audit::NewAuditEntry> = batch
        .events
        .iter()
        .map(|checked| match &checked.event.body {
            tally_events::EventBody::AuditEntry(entry) => {
                tally_audit::NewAuditEntry::from_event(&checked.event.id, checked.event.at, entry)
            }
            other => panic!("not an audit entry: {other:?}"),
        })
        .collect();
    assert_eq!(log.append("initech", &entries).unwrap().accepted, AUDIT_ENTRIES);
    drop(log);
    let administrator = store
        .create_token(&NewToken {
            grant: TokenGrant::Administrator {
                account: "initech".into(),
                server_management_read: false,
            },
            label: String::new(),
            expires_at: None,
        })
        .unwrap()
        .1
        .expose()
        .to_owned();
    drop(store);
    Initech { _dir: dir, db, administrator }
}

/// The JSON listing at `path` (with its filters), walked page by page with
/// the default limit, each page's rows in order.
fn walk(api: &Api, path: &str, token: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut page = api.get(path, Some(token));
    loop {
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        let json = page.json();
        let items = json["items"].as_array().unwrap();
        assert!(items.len() <= 100, "{path}: a page holds at most 100 rows by default");
        rows.extend(items.iter().cloned());
        match json["next_cursor"].as_str() {
            Some(cursor) => {
                page = api.get(&format!("{path}{separator}cursor={cursor}"), Some(token));
            }
            None => return rows,
        }
    }
}

/// A JSON value as the text CSV and XLSX show it: text as is, null as
/// nothing, numbers in their shortest form, a list as its items separated by
/// `; ` (docs/api.md).
fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// A row of the JSON listing as the whole table's JSON gives it: a list as
/// one text (docs/api.md), every other value as it is.
fn as_table_row(item: &Value) -> Value {
    let row = item.as_object().unwrap().iter().map(|(name, value)| {
        let value = match value {
            Value::Array(_) => Value::String(shown(value)),
            other => other.clone(),
        };
        (name.clone(), value)
    });
    Value::Object(row.collect())
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|_| panic!("{text:?}")).to_utc()
}

/// The CSV answer's rows as (column name → field) maps, read with the csv
/// crate, with its column names.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let names: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            names.iter().cloned().zip(record.iter().map(str::to_owned)).collect()
        })
        .collect();
    (names, rows)
}

/// The XLSX answer's first sheet, read with calamine: the header row's titles
/// and the rows of cells.
fn read_xlsx(bytes: &[u8]) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut workbook = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let mut rows = sheet.rows();
    let titles = rows.next().unwrap().iter().map(|cell| cell.to_string()).collect();
    (titles, rows.map(<[Data]>::to_vec).collect())
}

/// Checks that the whole table at `path` in every format holds exactly the
/// rows of `paged`, in order; `date_time_columns` hold instants (RFC 3339 in
/// JSON, with the zone's offset in CSV, local date-times in XLSX).
fn check_every_format(
    api: &Api,
    path: &str,
    token: &str,
    paged: &[Value],
    columns: &[&str],
    date_time_columns: &[&str],
) {
    let separator = if path.contains('?') { '&' } else { '?' };

    let json = api.get(&format!("{path}{separator}format=json"), Some(token));
    assert_eq!(json.status, 200, "{}", json.text());
    assert_eq!(json.content_type, "application/json");
    assert!(json.next_cursor.is_empty());
    let table = json.json();
    let names: Vec<&str> =
        table["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, columns);
    // Every row, with every value as the JSON listing gives it.
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), paged.len(), "{path}: format=json");
    for (index, (row, item)) in rows.iter().zip(paged).enumerate() {
        assert_eq!(row, &as_table_row(item), "{path}: format=json, row {index}");
    }

    let csv = api.get(&format!("{path}{separator}format=csv"), Some(token));
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);
    assert_ne!(&csv.bytes[..3], b"\xEF\xBB\xBF", "no byte-order mark unless asked for");
    let (names, rows) = read_csv(&csv.bytes);
    assert_eq!(names, columns);
    assert_eq!(rows.len(), paged.len(), "{path}: format=csv");
    for (index, (row, item)) in rows.iter().zip(paged).enumerate() {
        for column in columns {
            let (field, value) = (&row[*column], &item[*column]);
            if date_time_columns.contains(column) {
                // The CSV shows Berlin's offset; the instant is the same.
                assert_eq!(instant(field), instant(value.as_str().unwrap()), "row {index}");
            } else {
                assert_eq!(field, &shown(value), "{path}: row {index}, {column}");
            }
        }
    }
    // The Accept header asks for the same file.
    let by_header = api.send("GET", path, Some(token), None, &[("Accept", "text/csv")]);
    assert_eq!(by_header.bytes, csv.bytes);

    let xlsx = api.get(&format!("{path}{separator}format=xlsx"), Some(token));
    assert_eq!(xlsx.status, 200, "{}", xlsx.text());
    let (_, rows) = read_xlsx(&xlsx.bytes);
    assert_eq!(rows.len(), paged.len(), "{path}: format=xlsx");
    for (index, (row, item)) in rows.iter().zip(paged).enumerate() {
        for (column_index, column) in columns.iter().enumerate() {
            if date_time_columns.contains(column) {
                continue;
            }
            let value = &item[*column];
            let cell = &row[column_index];
            match value {
                Value::Number(number) => {
                    assert_eq!(cell.as_f64(), number.as_f64(), "row {index}, {column}")
                }
                _ => assert_eq!(cell.to_string(), shown(value), "row {index}, {column}"),
            }
        }
    }
}

const RUN_COLUMNS: [&str; 7] =
    ["at", "run_id", "action", "organization", "trigger", "status", "user"];

#[test]
fn issue_15_the_runs_export_whole_in_every_format() {
    let initech = initech();
    let api = Api::start(&initech.db);
    let token = initech.administrator.as_str();
    let path = "/v1/accounts/initech/runs";
    let paged = walk(&api, path, token);
    assert_eq!(paged.len(), RUN_STATES);
    // Newest first: the last state, 2344 minutes after 2026-03-01T00:00Z
    // (1 day 15:04), of run 1172, by u-4 (2344 % 13 = 4), in initech-1
    // (2344 % 3 = 1), of deploy-4; 2344 is neither a tenth nor a seventh.
    assert_eq!(
        paged[0],
        serde_json::json!({
            "at": "2026-03-02T15:04:00Z", "run_id": "run-1172", "action": "deploy-4",
            "organization": "initech-1", "trigger": "ui", "status": "success", "user": "u-4",
        })
    );
    check_every_format(&api, path, token, &paged, &RUN_COLUMNS, &["at"]);

    // The first row's instant in the XLSX: 15:04Z is 16:04 in Berlin (CET, +1).
    let xlsx = api.get(&format!("{path}?format=xlsx"), Some(token));
    let (titles, rows) = read_xlsx(&xlsx.bytes);
    assert!(titles[0].contains("Europe/Berlin"), "{titles:?}");
    let at = rows[0][0].as_datetime().unwrap();
    assert_eq!(at.to_string(), "2026-03-02 16:04:00");

    // With a filter and another sort: the failures by run id. Failures are the
    // states whose i is a multiple of 7 but not of 10: 2345 / 7 rounds down to
    // 335 multiples of 7 in 0..2345 (0 to 2338), of which 34 are multiples of
    // 70 (0 to 2310): 301 rows, more than three default pages.
    let failures = format!("{path}?status=failure&sort=run_id");
    let paged = walk(&api, &failures, token);
    assert_eq!(paged.len(), 301);
    check_every_format(&api, &failures, token, &paged, &RUN_COLUMNS, &["at"]);
}

#[test]
fn issue_15_the_audit_log_exports_whole_and_a_byte_order_mark_keeps_garcia() {
    let initech = initech();
    let api = Api::start(&initech.db);
    let token = initech.administrator.as_str();
    let columns = [
        "at",
        "seq",
        "resource",
        "resource_id",
        "operation",
        "source_type",
        "source",
        "origin",
        "status",
        "error",
        "user",
        "blueprint",
        "entity",
        "run_id",
        "integration",
    ];
    let path = "/v1/accounts/initech/audit";
    let paged = walk(&api, path, token);
    assert_eq!(paged.len(), AUDIT_ENTRIES);
    // Newest first: entry 1233, seq 1234.
    assert_eq!(paged[0]["seq"], 1234);
    assert_eq!(paged[0]["entity"], "svc-1233");
    check_every_format(&api, path, token, &paged, &columns, &["at"]);
    // Sorted by a text column, which the store pages by text keys.
    let by_source = format!("{path}?sort=-source");
    let paged = walk(&api, &by_source, token);
    assert_eq!(paged.len(), AUDIT_ENTRIES);
    check_every_format(&api, &by_source, token, &paged, &columns, &["at"]);

    // "í" is C3 AD in UTF-8; the mark EF BB BF comes first.
    let marked = api.get(&format!("{path}?format=csv&bom=true"), Some(token));
    assert_eq!(marked.status, 200, "{}", marked.text());
    assert_eq!(&marked.bytes[..5], b"\xEF\xBB\xBFat");
    assert!(marked.bytes.windows(13).any(|bytes| bytes == b"Jos\xC3\xA9 Garc\xC3\xADa"));
    // The csv crate takes the mark off the first column's name, as Excel does.
    let (names, rows) = read_csv(&marked.bytes);
    assert_eq!(names[0], "at");
    assert_eq!(rows.len(), AUDIT_ENTRIES);
    // Newest first: entry 617 has seq 618, and 1234 - 618 = 616 rows before it.
    assert_eq!(rows[616]["seq"], "618");
    assert_eq!(rows[616]["source"], "José García");
    let garcias: Vec<&str> = rows
        .iter()
        .filter(|row| row["source"] == "José García")
        .map(|row| row["entity"].as_str())
        .collect();
    assert_eq!(garcias, ["svc-617"]);
    // bom=false is the default: the same file without the mark.
    let plain = api.get(&format!("{path}?format=csv&bom=false"), Some(token));
    assert_eq!(plain.bytes, marked.bytes[3..]);
}

#[test]
fn issue_15_the_activated_seats_log_held_in_memory_exports_whole() {
    let initech = initech();
    let api = Api::start(&initech.db);
    let token = initech.administrator.as_str();
    let path = "/v1/accounts/initech/seats/activated?at=2026-06-30T00:00:00Z";
    let paged = walk(&api, path, token);
    assert_eq!(paged.len(), SEATS);
    // Oldest activation first: seat 0's third login, 2026-03-16T09:00:00Z,
    // seen in initech-0 and (its second login, 0 being a multiple of 4) initech-1.
    assert_eq!(paged[0]["user"], "s-000");
    assert_eq!(paged[0]["activated_at"], "2026-03-16T09:00:00Z");
    assert_eq!(paged[0]["organizations"], serde_json::json!(["initech-0", "initech-1"]));
    let columns = [
        "user",
        "email",
        "display_name",
        "organizations",
        "teams",
        "activated_at",
        "logins",
        "weeks",
        "status",
    ];
    check_every_format(&api, path, token, &paged, &columns, &["activated_at"]);
    // Seat 42's name through the byte-order-marked CSV: its activation,
    // 09:00:42Z, is the 43rd.
    let marked = api.get(&format!("{path}&format=csv&bom=true"), Some(token));
    assert_eq!(&marked.bytes[..3], b"\xEF\xBB\xBF");
    let (_, rows) = read_csv(&marked.bytes);
    assert_eq!(rows[42]["user"], "s-042");
    assert_eq!(rows[42]["display_name"], "José García");
    assert_eq!(rows[42]["activated_at"], "2026-03-16T10:00:42+01:00");
}

#[test]
fn issue_15_a_whole_table_takes_no_limit_or_cursor_and_a_byte_order_mark_only_in_csv() {
    let initech = initech();
    let api = Api::start(&initech.db);
    let token = Some(initech.administrator.as_str());
    let runs = "/v1/accounts/initech/runs";
    let cursor = api.get(&format!("{runs}?limit=1"), token).json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = |path: &str, headers: &[(&str, &str)], code: &str, parameter: &str| {
        let answer = api.send("GET", path, token, None, headers);
        assert_eq!(answer.status, 400, "{path}: {}", answer.text());
        let problem = answer.json();
        assert_eq!(problem["code"], code, "{path}");
        assert_eq!(problem["parameter"], parameter, "{path}");
        problem["detail"].as_str().unwrap().to_owned()
    };
    let detail = refused(&format!("{runs}?format=csv&limit=5"), &[], "whole_table", "limit");
    assert!(detail.contains("format=csv answers the whole table"), "{detail}");
    refused(&format!("{runs}?format=json&cursor={cursor}"), &[], "whole_table", "cursor");
    refused(&format!("{runs}?format=xlsx&limit=1000"), &[], "whole_table", "limit");
    let csv = [("Accept", "text/csv")];
    let detail = refused(&format!("{runs}?limit=5"), &csv, "whole_table", "limit");
    assert!(detail.contains("Accept header"), "{detail}");
    for path in [
        format!("{runs}?bom=true"),
        format!("{runs}?bom=true&format=json"),
        format!("{runs}?bom=true&format=xlsx"),
        format!("{runs}?bom=yes&format=csv"),
        "/v1/accounts/initech/event-counts?bom=true&limit=5".to_owned(),
    ] {
        refused(&path, &[], "bad_parameter", "bom");
    }
    // A JSON listing keeps its pages, with or without an Accept header for it.
    let page =
        api.send("GET", &format!("{runs}?limit=5"), token, None, &[("Accept", "application/json")]);
    assert_eq!(page.json()["items"].as_array().unwrap().len(), 5);
    // The mark follows the Accept header's CSV too.
    let marked = api.send("GET", &format!("{runs}?bom=true"), token, None, &csv);
    assert_eq!(marked.status, 200, "{}", marked.text());
    assert_eq!(&marked.bytes[..3], b"\xEF\xBB\xBF");
    assert_eq!(marked.text().lines().count(), 1 + RUN_STATES);
    // No bom, or bom=false, with JSON is no mark asked for.
    assert_eq!(api.get(&format!("{runs}?bom=false&format=json"), token).status, 200);
}
