//! The usage reports button: there for an administrator with read permission
//! on server management, and for nobody else.

use std::process::Command;

use crate::support::{Browser, demo};

const BUTTON: &str = "header.site a[href='/export/usage-reports']";

#[test]
fn the_usage_reports_button_downloads_the_zip_for_those_allowed_only() {
    let demo = demo();
    let browser = Browser::new();
    browser.sign_in(&demo.tokens.administrator);
    let zip = browser.download(BUTTON);
    assert_eq!(zip.file_name().and_then(|name| name.to_str()), Some("Usage Reports.zip"));
    // Opened by an independent reader: Python's zipfile, which also checks
    // every member's CRC.
    let listed = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             assert z.testzip() is None; print('\\n'.join(z.namelist()))",
        ])
        .arg(&zip)
        .output()
        .expect("python3");
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let names = String::from_utf8(listed.stdout).unwrap();
    assert!(names.lines().count() > 0, "an empty zip");
    assert!(names.lines().all(|name| name.ends_with(".xlsx")), "{names}");

    for token in
        [&demo.tokens.administrator_without_reports, &demo.tokens.member, &demo.tokens.staff]
    {
        let browser = Browser::new();
        browser.sign_in(token);
        browser.wait_until("return document.readyState === 'complete'");
        let shown = browser.script(&format!("return document.querySelector({BUTTON:?}) !== null"));
        assert_eq!(shown, serde_json::Value::Bool(false), "the button shows on {}", browser.path());
    }
}
