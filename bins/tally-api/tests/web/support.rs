//! What every browser test stands on: the demo database served by the real
//! `tally-api` and ingest daemon on loopback, tokens of each kind, and headless
//! Chromium driven through chromedriver.
//!
//! The demo is built once per test binary; each test opens its own browser.
//! Chromium and chromedriver come from Debian's `chromium` and
//! `chromium-driver` packages (`.ci/run` installs them); axe-core comes from
//! npm, pinned in `package-lock.json`, installed once per target directory.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tally_access::StaffScope;
use tally_store::{NewToken, StaffTeam, Store, StoreOptions, TokenGrant};

use crate::common::{Api, Ingest};

const PACKAGE_JSON: &str = include_str!("package.json");
const PACKAGE_LOCK: &str = include_str!("package-lock.json");

/// Where the screenshots the tests take are written, for the README.
const SCREENSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");

/// A token of each kind of viewer, over the demo's first account.
pub struct Tokens {
    /// An administrator of the first account with read permission on server
    /// management (who may download the usage reports).
    pub administrator: String,
    /// An administrator of the first account without it.
    pub administrator_without_reports: String,
    /// A member of the first account, who is `member_user` in its events.
    pub member: String,
    /// Staff whose scope is the first account only.
    pub staff: String,
    /// A staff admin of every account.
    pub staff_admin: String,
}

/// The demo database, served.
pub struct Demo {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    /// The API and the pages.
    pub api: Api,
    pub api_url: String,
    /// The ingest daemon over the same file.
    pub ingest: Ingest,
    pub ingest_url: String,
    /// The accounts' slugs, in the demo's order.
    pub accounts: Vec<String>,
    /// Their write keys, in the same order.
    pub write_keys: Vec<String>,
    /// The user the member token is.
    pub member_user: String,
    pub tokens: Tokens,
}

/// The demo, built and served on first use.
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(build)
}

fn build() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally-demo.sqlite");
    let audit_key = tally_audit::key_file_for(&db);
    let built =
        tally_ingest::demo::build_demo(&db, &audit_key, chrono::Utc::now(), |_, _, _| {}).unwrap();
    let accounts: Vec<String> =
        built.accounts.iter().map(|entry| entry.account.slug.clone()).collect();
    let write_keys =
        built.accounts.iter().map(|entry| entry.write_key.expose().to_owned()).collect();
    let first = accounts[0].clone();
    let member_user = a_user_with_runs(&db, &first);
    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    store
        .set_staff_team(&StaffTeam {
            team: "web-care".into(),
            scope: StaffScope::Accounts([first.clone()].into()),
        })
        .unwrap();
    store
        .set_staff_team(&StaffTeam { team: "web-all".into(), scope: StaffScope::AllAccounts })
        .unwrap();
    let mut token = |grant: TokenGrant| {
        store
            .create_token(&NewToken { grant, label: "web tests".into(), expires_at: None })
            .unwrap()
            .1
            .expose()
            .to_owned()
    };
    let tokens = Tokens {
        administrator: token(TokenGrant::Administrator {
            account: first.clone(),
            server_management_read: true,
        }),
        administrator_without_reports: token(TokenGrant::Administrator {
            account: first.clone(),
            server_management_read: false,
        }),
        member: token(TokenGrant::Member { account: first.clone(), user: member_user.clone() }),
        staff: token(TokenGrant::Staff { team: "web-care".into(), admin: false }),
        staff_admin: token(TokenGrant::Staff { team: "web-all".into(), admin: true }),
    };
    drop(store);
    let api = Api::start(&db);
    let api_url = api.url.clone();
    let ingest = Ingest::start(&db);
    let ingest_url = ingest.url.clone();
    Demo {
        _dir: dir,
        db,
        api,
        api_url,
        ingest,
        ingest_url,
        accounts,
        write_keys,
        member_user,
        tokens,
    }
}

/// A user of `account` who started an action run, read straight from the file
/// (an independent path from the API's).
pub fn a_user_with_runs(db: &Path, account: &str) -> String {
    let connection = rusqlite::Connection::open(db).unwrap();
    connection
        .query_row(
            "SELECT json_extract(e.payload, '$.user') FROM events e JOIN accounts a ON a.account_id = e.account_id \
             WHERE a.slug = ?1 AND e.kind = 'action_run' AND json_extract(e.payload, '$.user') IS NOT NULL \
             ORDER BY e.at_us DESC LIMIT 1",
            [account],
            |row| row.get(0),
        )
        .expect("the demo's first account has a run by a user")
}

impl Demo {
    /// GETs an API `path` with `token` over plain HTTP: the independent path
    /// the pages' figures are compared with.
    pub fn api_json(&self, path: &str, token: &str) -> Value {
        let answer = self.api.get(path, Some(token));
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.text());
        answer.json()
    }

    /// POSTs NDJSON `events` to the ingest daemon with the write key of the
    /// account at `index`; panics unless every one is accepted.
    pub fn send(&self, index: usize, events: &str) {
        self.ingest.post(&self.write_keys[index], events);
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The axe-core script, installed from npm once per target directory.
fn axe_script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-axe");
        let script = dir.join("node_modules/axe-core/axe.min.js");
        let installed = fs::read_to_string(dir.join("package-lock.json")).ok();
        if !script.exists() || installed.as_deref() != Some(PACKAGE_LOCK) {
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("package.json"), PACKAGE_JSON).unwrap();
            fs::write(dir.join("package-lock.json"), PACKAGE_LOCK).unwrap();
            let output = Command::new("npm")
                .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("npm, to install axe-core (Node.js with npm)");
            assert!(
                output.status.success(),
                "npm ci of axe-core failed:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        fs::read_to_string(script).unwrap()
    })
}

/// An accessibility violation axe-core found.
#[derive(Debug)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    /// The elements, as CSS selectors.
    pub targets: Vec<String>,
}

impl Violation {
    /// Whether the bar refuses it.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

/// Headless Chromium, driven over WebDriver; closed when dropped.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    driver_port: u16,
    _profile: tempfile::TempDir,
    downloads: tempfile::TempDir,
    base: String,
    width: u32,
}

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

impl Browser {
    /// A new browser on the demo's pages, at desktop width, signed in as nobody.
    pub fn new() -> Browser {
        let base = demo().api_url.clone();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver package)");
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                }
            }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connected = runtime.block_on(
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url),
            );
            match connected {
                Ok(client) => break client,
                Err(error) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = error;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(error) => {
                    let _ = driver.kill();
                    panic!("no WebDriver session from chromedriver in 20 s: {error}");
                }
            }
        };
        let browser = Browser {
            runtime,
            client: Some(client),
            driver,
            driver_port: port,
            _profile: profile,
            downloads,
            base,
            width: DESKTOP.0,
        };
        // Headless Chromium saves downloads only once told where.
        let downloads = browser.downloads.path().display().to_string();
        browser.devtools(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads}),
        );
        // Every page records what its Content-Security-Policy blocked, from
        // before its own scripts run, for `csp_violations`.
        browser.devtools(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
                (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"}),
        );
        browser
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open until dropped")
    }

    /// Sends a Chrome DevTools command through chromedriver.
    fn devtools(&self, command: &str, params: Value) -> Value {
        let session =
            self.runtime.block_on(self.client().session_id()).unwrap().expect("a session");
        let url =
            format!("http://127.0.0.1:{}/session/{session}/goog/cdp/execute", self.driver_port);
        let body = json!({"cmd": command, "params": params});
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("chromedriver answers");
        let text = response.body_mut().read_to_string().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{url}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The page at `path` on the demo's API server.
    pub fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(self.client().goto(&url)).unwrap();
    }

    /// The current URL's path and query.
    pub fn path(&self) -> String {
        let url = self.runtime.block_on(self.client().current_url()).unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Signs in with `token` through the sign-in form, then waits for the
    /// first page.
    pub fn sign_in(&self, token: &str) {
        self.goto("/sign-in");
        self.fill("#token", token);
        self.click("form.sign-in button[type=submit]");
        self.wait_until("return !location.pathname.startsWith('/sign-in') || document.querySelector('[role=alert]') !== null");
    }

    /// The text of the first element matching `css` (waiting for it).
    pub fn text(&self, css: &str) -> String {
        self.wait_for(css);
        let element = self.runtime.block_on(self.client().find(Locator::Css(css))).unwrap();
        self.runtime.block_on(element.text()).unwrap()
    }

    /// The texts of every element matching `css`, none waited for.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let elements = self.runtime.block_on(self.client().find_all(Locator::Css(css))).unwrap();
        elements.iter().map(|element| self.runtime.block_on(element.text()).unwrap()).collect()
    }

    /// The attribute `name` of the first element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css);
        let element = self.runtime.block_on(self.client().find(Locator::Css(css))).unwrap();
        self.runtime.block_on(element.attr(name)).unwrap()
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) {
        self.wait_for(css);
        let element = self.runtime.block_on(self.client().find(Locator::Css(css))).unwrap();
        self.runtime.block_on(element.click()).unwrap();
    }

    /// Types `value` into the first field matching `css`, after clearing it.
    pub fn fill(&self, css: &str, value: &str) {
        self.wait_for(css);
        let element = self.runtime.block_on(self.client().find(Locator::Css(css))).unwrap();
        self.runtime.block_on(element.clear()).unwrap();
        self.runtime.block_on(element.send_keys(value)).unwrap();
    }

    /// Waits (up to 20 s) for an element matching `css`.
    pub fn wait_for(&self, css: &str) {
        let condition = format!("return document.querySelector({}) !== null", json!(css));
        self.wait_until(&condition);
    }

    /// Waits (up to 20 s) until the script `condition` returns true.
    pub fn wait_until(&self, condition: &str) {
        self.wait_until_for(condition, Duration::from_secs(20));
    }

    /// Waits up to `limit` until the script `condition` returns true.
    pub fn wait_until_for(&self, condition: &str, limit: Duration) {
        let started = Instant::now();
        loop {
            if self.script(condition) == Value::Bool(true) {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "waited {limit:?} on {} for: {condition}",
                self.path()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `script` in the page (a function body: `return` what it answers).
    pub fn script(&self, script: &str) -> Value {
        self.runtime.block_on(self.client().execute(script, Vec::new())).unwrap()
    }

    /// What the page's Content-Security-Policy blocked since it loaded.
    pub fn csp_violations(&self) -> Vec<String> {
        match self.script("return window.__cspViolations || []") {
            Value::Array(items) => {
                items.into_iter().map(|item| item.as_str().unwrap_or("").to_owned()).collect()
            }
            other => panic!("not a list: {other}"),
        }
    }

    /// The same-site pages the current page links to (path and query), not
    /// downloads, API endpoints or assets.
    pub fn page_links(&self) -> Vec<String> {
        let links = self.script(
            "return [...document.querySelectorAll('a[href]')]
                .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
                .map(a => a.pathname + a.search)
                .filter(p => !/^\\/(v1|export|assets)\\//.test(p) && !p.startsWith('/sign-'))",
        );
        match links {
            Value::Array(items) => {
                items.into_iter().filter_map(|item| item.as_str().map(str::to_owned)).collect()
            }
            other => panic!("not a list: {other}"),
        }
    }

    /// The page's HTML as the browser now has it.
    pub fn source(&self) -> String {
        self.runtime.block_on(self.client().source()).unwrap()
    }

    /// Desktop width, 1280 by 900.
    pub fn desktop(&mut self) {
        self.resize(DESKTOP);
    }

    /// A phone's width, 390 by 844.
    pub fn phone(&mut self) {
        self.resize(PHONE);
    }

    fn resize(&mut self, (width, height): (u32, u32)) {
        self.width = width;
        self.runtime.block_on(self.client().set_window_size(width, height)).unwrap();
    }

    /// Writes the whole page, at the current width, to
    /// `docs/screenshots/web-NAME-{desktop|phone}.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let kind = if self.width == PHONE.0 { "phone" } else { "desktop" };
        let height = self
            .script("return Math.ceil(document.documentElement.scrollHeight)")
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 6000);
        let width = self.width;
        // The whole page in one picture, then the window as it was.
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": kind == "phone"}),
        );
        let png = self.runtime.block_on(self.client().screenshot()).unwrap();
        self.devtools("Emulation.clearDeviceMetricsOverride", json!({}));
        let path = Path::new(SCREENSHOTS).join(format!("web-{name}-{kind}.png"));
        fs::create_dir_all(SCREENSHOTS).unwrap();
        fs::write(&path, png).unwrap();
        path
    }

    /// Runs axe-core on the page: every violation of WCAG 2.x A and AA.
    pub fn axe(&self) -> Vec<Violation> {
        self.script(axe_script());
        let answer = self
            .runtime
            .block_on(self.client().execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
                    .then(result => done(result.violations.map(v => ({
                        id: v.id, impact: v.impact || 'minor', help: v.help,
                        targets: v.nodes.map(n => n.target.join(' '))}))))
                    .catch(error => done({error: String(error)}));",
                Vec::new(),
            ))
            .unwrap();
        let Value::Array(violations) = answer else { panic!("axe failed: {answer}") };
        violations
            .into_iter()
            .map(|violation| Violation {
                id: violation["id"].as_str().unwrap_or_default().to_owned(),
                impact: violation["impact"].as_str().unwrap_or_default().to_owned(),
                help: violation["help"].as_str().unwrap_or_default().to_owned(),
                targets: violation["targets"]
                    .as_array()
                    .map(|targets| {
                        targets.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Asserts that axe-core finds no serious or critical violation on the
    /// page, and answers how many of each impact it found.
    pub fn assert_accessible(&self) -> Vec<Violation> {
        let violations = self.axe();
        let serious: Vec<&Violation> = violations.iter().filter(|v| v.is_serious()).collect();
        assert!(serious.is_empty(), "axe on {}: {serious:#?}", self.path());
        violations
    }

    /// Clicks the link matching `css` and waits (up to 30 s) for the file it
    /// downloads; answers its path.
    pub fn download(&self, css: &str) -> PathBuf {
        let before: Vec<PathBuf> = self.downloaded();
        self.click(css);
        let started = Instant::now();
        loop {
            let now = self.downloaded();
            if let Some(path) = now.into_iter().find(|path| !before.contains(path)) {
                return path;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no download from {css}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The finished downloads.
    fn downloaded(&self) -> Vec<PathBuf> {
        fs::read_dir(self.downloads.path())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
                !name.ends_with(".crdownload") && !name.starts_with('.')
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
