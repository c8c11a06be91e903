//! Generic identities (`docs/identity.md`, "Generic identities").

use tally_identity::{ConfigError, Matcher, MatcherConfig};

use crate::common::*;

#[test]
fn a_generic_username_joins_only_the_same_account_in_one_system() {
    check(
        &[
            "Jira   | | admin |",
            "Jira   | | ADMIN |",
            // Another system: another person.
            "GitHub | | admin |",
            // The display name is usable, so rule 3 applies to it.
            "Jira   | | admin | Ana Lopez",
            "Slack  | |       | Ana Lopez",
            // Every value generic, and not the very same identity as 0 and 1.
            "Jira   | | admin | Admin",
        ],
        // Ids: "ana lopez" (not generic) sorts first; of the three "admin"
        // people, 5 (display name, rank 1) before 2 and 0-1 (username, rank 2),
        // and GitHub before Jira: admin, admin#2, admin#3.
        r#"
        0 [username] admin#3: username "admin" in Jira
        1 [username] admin#3: username "admin" in Jira
        2 [username] admin#2: alone
        3 [display_name] ana lopez: display_name "ana lopez"
        4 [display_name] ana lopez: display_name "ana lopez"
        5 [display_name] admin: alone
        generic "admin": 0 1 2 3 5, 4 people
        "#,
    );
}

#[test]
fn a_generic_email_leaves_the_rule_to_the_other_values() {
    check(
        &[
            // noreply is generic: rule 3 by the display name.
            "GitHub    | noreply@github.test |     | Ana Lopez",
            "Jira      | ana@acme.test       |     | Ana Lopez",
            "GitHub    | noreply@github.test |     | Bo Chen",
            // Nothing else: one account per system.
            "GitHub    | noreply@github.test |     |",
            "GitLab    | noreply@github.test |     |",
            // admin@ is generic by its local part: rule 4 by the username.
            "Jira      | admin@acme.test     | ana |",
            "Bitbucket |                     | ana |",
        ],
        r#"
        0 [display_name] ana@acme.test: display_name "ana lopez"
        1 [email] ana@acme.test: display_name "ana lopez"
        2 [display_name] bo chen: alone
        3 [email] noreply@github.test: alone
        4 [email] noreply@github.test#2: alone
        5 [username] ana: username "ana"
        6 [username] ana: username "ana"
        generic "noreply": 0 2 3 4, 4 people
        "#,
    );
}

#[test]
fn the_generic_identities_are_configurable() {
    let config =
        MatcherConfig { generic_identities: vec![" Build-Bot ".into()], placeholders: Vec::new() };
    check_with(
        &config,
        &[
            "Jira   | | build-bot |",
            "GitHub | | BUILD-BOT |",
            // Not generic under this list.
            "Jira   | | admin     |",
            "GitHub | | admin     |",
            // Not a placeholder under this list.
            "Jira   | |           | N/A",
            "GitHub | |           | n/a",
        ],
        r#"
        0 [username] build-bot#2: alone
        1 [username] build-bot: alone
        2 [username] admin: username "admin"
        3 [username] admin: username "admin"
        4 [display_name] n/a: display_name "n/a"
        5 [display_name] n/a: display_name "n/a"
        generic "build-bot": 0 1, 2 people
        "#,
    );
}

#[test]
fn an_empty_entry_is_refused_with_its_text() {
    let config = MatcherConfig {
        generic_identities: vec!["admin".into(), " \t".into()],
        ..MatcherConfig::default()
    };
    let error = Matcher::new(&config).unwrap_err();
    assert_eq!(error, ConfigError::EmptyGenericIdentity { value: " \t".into() });
    assert_eq!(error.to_string(), r#"generic identity " \t" is empty once whitespace is removed"#);
    let config = MatcherConfig { placeholders: vec!["".into()], ..MatcherConfig::default() };
    assert_eq!(
        Matcher::new(&config).unwrap_err(),
        ConfigError::EmptyPlaceholder { value: "".into() }
    );
}
