//! A store with two accounts, tokens of every role, and the API serving it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tally_access::StaffScope;
use tally_calendar::AccountCalendar;
use tally_compat::MappingRule;
use tally_events::{EventKind, Limits, check_batch};
use tally_store::{NewAccount, NewToken, StaffTeam, Store, StoreOptions, TokenGrant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_tally-api");

/// acme's events. Ana (u-1, ana@acme.test) logs in on three Mondays of March 2026
/// (weeks of 03-02, 03-09, 03-16, Berlin time): an active seat from 03-16 09:00Z.
/// Bo (u-2) logs in once. Runs: r-a1 by Ana (in progress, then success), r-a2 by
/// Bo (failure).
pub const ACME_EVENTS: &str = r#"{"id":"a0","kind":"user_added","at":"2026-02-20T09:00:00Z","user":"u-1","email":"ana@acme.test","display_name":"Ana Acme","role":"member","organization":"acme-east"}
{"id":"a1","kind":"login","at":"2026-03-02T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a2","kind":"login","at":"2026-03-09T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a3","kind":"login","at":"2026-03-16T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a4","kind":"login","at":"2026-04-01T09:00:00Z","user":"u-2","organization":"acme-east"}
{"id":"a5","kind":"action_run","at":"2026-03-10T10:00:00Z","organization":"acme-east","action":"acme-deploy","run_id":"r-a1","trigger":"ui","status":"in_progress","user":"u-1"}
{"id":"a6","kind":"action_run","at":"2026-03-10T10:05:00Z","organization":"acme-east","action":"acme-deploy","run_id":"r-a1","trigger":"ui","status":"success","user":"u-1"}
{"id":"a7","kind":"action_run","at":"2026-03-11T10:00:00Z","organization":"acme-east","action":"acme-scale","run_id":"r-a2","trigger":"api","status":"failure","user":"u-2"}"#;

/// globex's events: one user, one login, one run.
pub const GLOBEX_EVENTS: &str = r#"{"id":"g1","kind":"login","at":"2026-03-03T09:00:00Z","user":"g-1","organization":"globex-hq"}
{"id":"g2","kind":"action_run","at":"2026-03-12T10:00:00Z","organization":"globex-hq","action":"globex-sync","run_id":"r-g1","trigger":"ui","status":"success","user":"g-1"}"#;

/// acme's audit entries: seq 1 from Ana's run r-a1, seq 2 from Bo's run r-a2,
/// seq 3 a secret's rotation by no run.
pub const ACME_AUDIT: &str = r#"{"id":"au1","kind":"audit_entry","at":"2026-03-10T10:05:00Z","resource":"entity","resource_id":"svc-1","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success","user":"u-1","blueprint":"service","entity":"svc-1","run_id":"r-a1","before":{"tier":"bronze"},"after":{"tier":"gold"}}
{"id":"au2","kind":"audit_entry","at":"2026-03-11T10:00:00Z","resource":"entity","resource_id":"svc-2","operation":"delete","source_type":"user","source":"bo@acme.test","origin":"ui","status":"failure","error":"acme-scale quota exceeded","user":"u-2","run_id":"r-a2","before":{"tier":"silver"}}
{"id":"au3","kind":"audit_entry","at":"2026-03-12T10:00:00Z","resource":"secret","resource_id":"db-password","operation":"update","source_type":"integration","source":"acme-vault","origin":"api","status":"success","before":{"value":"hunter2-old"},"after":{"value":"hunter2-new"}}"#;

/// Strings that appear only in acme's data: none may reach a globex token.
pub const ACME_ONLY: &[&str] = &[
    "u-1",
    "u-2",
    "ana@acme.test",
    "Ana Acme",
    "acme-east",
    "acme-deploy",
    "acme-scale",
    "r-a1",
    "r-a2",
    "acme-run",
];

/// A token of each kind of principal, by name.
pub struct Tokens {
    pub acme_administrator: String,
    pub acme_administrator_with_server_management: String,
    pub acme_member: String,
    pub acme_staff: String,
    pub acme_staff_admin: String,
    pub globex_staff: String,
    pub globex_administrator: String,
    pub globex_member: String,
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    pub tokens: Tokens,
    /// The accounts' write keys, for the ingest daemon: acme's, then globex's.
    pub write_keys: [String; 2],
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    let mut write_keys = Vec::new();
    for (slug, events) in [("acme", ACME_EVENTS), ("globex", GLOBEX_EVENTS)] {
        let (account, write_key) = store
            .create_account(&NewAccount {
                slug: slug.into(),
                name: format!("{slug} Inc."),
                calendar: AccountCalendar {
                    time_zone: "Europe/Berlin".parse().unwrap(),
                    ..AccountCalendar::default()
                },
                terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
            })
            .unwrap();
        write_keys.push(write_key.expose().to_owned());
        let batch = check_batch(events.as_bytes(), &Limits::default()).unwrap();
        assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
        store.append(account.id, &batch.events).unwrap();
        store.update_seats(slug).unwrap();
        store.update_dashboard(slug, 1_000).unwrap();
    }
    // Each account's own event mapping rule; acme's names only what is acme's.
    let acme_rule = MappingRule::new(
        "acme-deploy",
        EventKind::ActionRun,
        BTreeMap::from([("action".to_owned(), serde_json::json!("acme-deploy"))]),
        BTreeMap::from([("run_id".to_owned(), "acme-run".to_owned())]),
    );
    let globex_rule =
        MappingRule::new("Signed In", EventKind::Login, BTreeMap::new(), BTreeMap::new());
    for (slug, rule) in [("acme", acme_rule), ("globex", globex_rule)] {
        let account = store.account(slug).unwrap();
        store.set_event_mapping(account.id, &rule.unwrap()).unwrap();
    }
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
    let mut log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    let batch = check_batch(ACME_AUDIT.as_bytes(), &Limits::default()).unwrap();
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
    assert_eq!(log.append("acme", &entries).unwrap().accepted, 3);
    drop(log);
    let scope =
        |slugs: &[&str]| StaffScope::Accounts(slugs.iter().map(|s| s.to_string()).collect());
    store.set_staff_team(&StaffTeam { team: "acme-care".into(), scope: scope(&["acme"]) }).unwrap();
    store
        .set_staff_team(&StaffTeam { team: "globex-care".into(), scope: scope(&["globex"]) })
        .unwrap();
    let mut token = |grant: TokenGrant| {
        store
            .create_token(&NewToken { grant, label: String::new(), expires_at: None })
            .unwrap()
            .1
            .expose()
            .to_owned()
    };
    let administrator = |account: &str, server_management_read| TokenGrant::Administrator {
        account: account.into(),
        server_management_read,
    };
    let tokens = Tokens {
        acme_administrator: token(administrator("acme", false)),
        acme_administrator_with_server_management: token(administrator("acme", true)),
        acme_member: token(TokenGrant::Member { account: "acme".into(), user: "u-1".into() }),
        acme_staff: token(TokenGrant::Staff { team: "acme-care".into(), admin: false }),
        acme_staff_admin: token(TokenGrant::Staff { team: "acme-care".into(), admin: true }),
        globex_staff: token(TokenGrant::Staff { team: "globex-care".into(), admin: false }),
        globex_administrator: token(administrator("globex", false)),
        globex_member: token(TokenGrant::Member { account: "globex".into(), user: "g-1".into() }),
    };
    drop(store);
    let write_keys = write_keys.try_into().expect("two accounts");
    Fixture { _dir: dir, db, tokens, write_keys }
}

/// The ingest daemon's server on a free loopback port, on a runtime of its own
/// thread; stopped (gracefully) when dropped.
pub struct Ingest {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ingest {
    pub fn start(db: &std::path::Path) -> Ingest {
        let open = || Store::open(db, &StoreOptions::default()).unwrap();
        let (write_store, key_store) = (open(), open());
        let audit =
            tally_ingest::audit::AuditLog::open(db, &tally_audit::key_file_for(db)).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (address, bound) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address.send(listener.local_addr().unwrap()).unwrap();
                tally_ingest::serve(
                    listener,
                    write_store,
                    key_store,
                    audit,
                    tally_ingest::ServeOptions {
                        max_body_bytes: 1 << 20,
                        ..tally_ingest::ServeOptions::default()
                    },
                    async move {
                        let _ = stopped.await;
                    },
                )
                .await
                .unwrap();
            });
        });
        // Bound before the address is sent: ready for requests.
        let address = bound.recv().unwrap();
        Ingest { url: format!("http://{address}"), stop: Some(stop), thread: Some(thread) }
    }

    /// POSTs the NDJSON `events` with the account's write `key`; panics unless
    /// every event is accepted.
    pub fn post(&self, key: &str, events: &str) {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(format!("{}/v1/batch", self.url))
            .header("Content-Type", "application/x-ndjson")
            .header("Authorization", &format!("Bearer {key}"))
            .send(events)
            .expect("a response");
        let text = response.body_mut().read_to_string().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["rejected"], 0, "{answer}");
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        let _ = self.thread.take().map(std::thread::JoinHandle::join);
    }
}

/// `tally-api serve` on a free loopback port.
pub struct Api {
    pub child: Child,
    pub url: String,
}

impl Api {
    pub fn start(db: &Path) -> Api {
        Api::start_on(db, "127.0.0.1:0")
    }

    /// `tally-api serve --listen LISTEN`.
    pub fn start_on(db: &Path, listen: &str) -> Api {
        Api::start_with(db, &["--listen", listen])
    }

    /// `tally-api serve ARGS`.
    pub fn start_with(db: &Path, args: &[&str]) -> Api {
        let mut child = Command::new(BINARY)
            .arg("--db")
            .arg(db)
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tally-api serve");
        // Ready when it prints its address: it does so after binding.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .strip_prefix("tally-api listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Api { child, url }
    }

    /// GETs `path` with `token`, answering the status, the content type and the body.
    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, None, &[])
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}{path}", self.url);
        let request = ureq::http::Request::builder().method(method).uri(&url);
        let mut request = match token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = match body {
            Some(body) => agent.run(
                request.header("Content-Type", "application/json").body(body.to_owned()).unwrap(),
            ),
            None => agent.run(request.body(()).unwrap()),
        }
        .expect("a response");
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let content_type = header("content-type");
        let next_cursor = header("next-cursor");
        let disposition = header("content-disposition");
        let term = header("tally-term");
        let bytes = response.body_mut().read_to_vec().unwrap();
        Answer { status, content_type, next_cursor, disposition, term, bytes }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub next_cursor: String,
    pub disposition: String,
    /// The `Tally-Term` header: the term an activated seats log looked at.
    pub term: String,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON (status {}): {}", self.status, self.text()))
    }
}
