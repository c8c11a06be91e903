//! `account map-event`, `unmap-event` and `event-mappings` (issue 18): an
//! account's own rules for analytics SDKs' messages, set and read by the real
//! binary, checked in the file by an independent connection.

use std::path::Path;

use crate::common::*;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(db: &Path, args: &[&str]) -> String {
    let output = run(db, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `args`, expecting exit status `code` and `needle` in standard error.
fn fails(db: &Path, args: &[&str], code: i32, needle: &str) {
    let output = run(db, args);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {}", stderr(&output));
    assert!(stderr(&output).contains(needle), "{args:?}: {}", stderr(&output));
}

#[test]
fn an_accounts_rules_are_set_listed_and_removed_by_command() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme");
    create_account(&db, "globex");

    let deploy = [
        "account",
        "map-event",
        "--account",
        "acme",
        "--event",
        "Deploy Service",
        "--kind",
        "action_run",
        "--set",
        "action=deploy_service",
        "--set",
        "trigger=api",
        "--from",
        "run_id=runId",
    ];
    let printed = succeeded(&db, &deploy);
    assert_eq!(
        printed.lines().next(),
        Some(
            r#"acme: "Deploy Service" -> action_run; set action="deploy_service", trigger="api"; from run_id=property "runId""#
        )
    );
    // A number as a constant, and a text constant that looks like one.
    succeeded(
        &db,
        &[
            "account",
            "map-event",
            "--account",
            "acme",
            "--event",
            "Baked",
            "--kind",
            "activity",
            "--set-json",
            "time_spent_secs=60",
            "--set",
            "action=60",
        ],
    );
    succeeded(
        &db,
        &["account", "map-event", "--account", "globex", "--event", "Signed In", "--kind", "login"],
    );

    // 'B' (0x42) sorts before 'D' (0x44); globex's rule is not acme's.
    let listed = succeeded(&db, &["account", "event-mappings", "--account", "acme"]);
    assert_eq!(
        listed,
        concat!(
            r#""Baked" -> activity; set action="60", time_spent_secs=60"#,
            "\n",
            r#""Deploy Service" -> action_run; set action="deploy_service", trigger="api"; from run_id=property "runId""#,
            "\n",
        )
    );
    let json: serde_json::Value = serde_json::from_str(&succeeded(
        &db,
        &["account", "event-mappings", "--account", "acme", "--json"],
    ))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"event": "Baked", "kind": "activity",
             "set": {"action": "60", "time_spent_secs": 60}, "from": {}},
            {"event": "Deploy Service", "kind": "action_run",
             "set": {"action": "deploy_service", "trigger": "api"}, "from": {"run_id": "runId"}},
        ])
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM event_mappings m JOIN accounts a USING (account_id)
             WHERE a.slug = 'acme' AND m.kind IN ('activity', 'action_run')"
        ),
        2
    );

    // Mapping the name again replaces its rule.
    succeeded(
        &db,
        &["account", "map-event", "--account", "acme", "--event", "Baked", "--kind", "login"],
    );
    let listed = succeeded(&db, &["account", "event-mappings", "--account", "acme"]);
    assert_eq!(listed.lines().next(), Some(r#""Baked" -> login"#));

    let removed =
        succeeded(&db, &["account", "unmap-event", "--account", "acme", "--event", "Baked"]);
    assert!(removed.starts_with(r#"acme: removed the rule for "Baked""#), "{removed}");
    fails(
        &db,
        &["account", "unmap-event", "--account", "acme", "--event", "Baked"],
        1,
        r#"account acme has no rule for the event "Baked" (names are matched exactly); its rules are for: "Deploy Service""#,
    );
    // globex's rule is left alone by acme's commands.
    fails(
        &db,
        &["account", "unmap-event", "--account", "acme", "--event", "Signed In"],
        1,
        "has no rule",
    );
    assert_eq!(count(&db, "SELECT count(*) FROM event_mappings"), 2);
}

#[test]
fn a_rule_that_cannot_be_set_is_refused_with_what_to_do() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme");
    let map = |extra: &[&str]| -> Vec<String> {
        ["account", "map-event", "--account", "acme", "--event", "Signed In"]
            .iter()
            .chain(extra)
            .map(|arg| arg.to_string())
            .collect()
    };
    let cases: [(&[&str], i32, &str); 7] = [
        // A kind that is not one: the kinds are listed (clap's usage error, 2).
        (
            &["--kind", "signin"],
            2,
            r#"no event kind is called "signin"; the kinds are: login, page_visit,"#,
        ),
        // A field the kind does not have: its fields are listed.
        (
            &["--kind", "login", "--set", "page=/"],
            1,
            "`login` has no field `page`; its fields are: user, organization",
        ),
        (&["--kind", "audit_entry"], 1, "messages cannot be mapped to `audit_entry`"),
        (
            &["--kind", "login", "--set", "user=u-1", "--from", "user=userId"],
            1,
            "the field `user` is given both a constant and a property",
        ),
        (
            &["--kind", "login", "--set", "user=u-1", "--set-json", "user=1"],
            1,
            "the field user is given more than one constant",
        ),
        (
            &["--kind", "login", "--from", "user=userId", "--from", "user=uid"],
            1,
            r#"the field user is taken from two properties, "userId" and "uid""#,
        ),
        (
            &["--kind", "activity", "--set-json", "time_spent_secs=sixty"],
            2,
            "the value of time_spent_secs is not JSON",
        ),
    ];
    for (extra, code, needle) in cases {
        let args = map(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&db, &args, code, needle);
    }
    assert_eq!(count(&db, "SELECT count(*) FROM event_mappings"), 0);
}
