//! The four rules and their precedence (`docs/identity.md`, "The definition").
//! Observations are `system | email | username | display name`.

use crate::common::*;

#[test]
fn rule_1_a_username_matches_a_username_or_an_email_local_part() {
    check(
        &[
            // Rule 1 keys: ana, ana.lopez.
            "Jira      | Ana.Lopez@acme.test  | ana       |",
            // al, ana: shares ana (its local part, 0's username).
            "GitHub    | ana@home.test        | al        |",
            // ana.lopez, al.other: shares ana.lopez (its username, 0's local part).
            "GitLab    | al.other@acme.test   | ana.lopez |",
            // bo: shared with no one.
            "Bitbucket | bo@acme.test         | bo        |",
        ],
        // 0 is in the joins on "ana" and "ana.lopez"; "ana" is the smaller key.
        // The person's id is its smallest email: "al.other@…" < "ana.lopez@…" <
        // "ana@…" ('l' < 'n', '.' < '@').
        r#"
        0 [username_or_email] al.other@acme.test: username_or_email "ana"
        1 [username_or_email] al.other@acme.test: username_or_email "ana"
        2 [username_or_email] al.other@acme.test: username_or_email "ana.lopez"
        3 [username_or_email] bo@acme.test: alone
        "#,
    );
}

#[test]
fn rule_1_needs_both_an_email_and_a_username() {
    check(
        &[
            "Jira   | ana.lopez@acme.test | ana |",
            // Email only: rule 2, by the whole email; its local part "ana" is no key.
            "Slack  | ana@home.test       |     |",
            // Username only: rule 4, which finds Jira's username.
            "GitHub |                     | ana |",
        ],
        r#"
        0 [username_or_email] ana.lopez@acme.test: username "ana"
        1 [email] ana@home.test: alone
        2 [username] ana.lopez@acme.test: username "ana"
        "#,
    );
}

#[test]
fn rule_2_an_email_joins_every_observation_with_that_email() {
    check(
        &[
            "Jira       | ana@acme.test   | ana |",
            "Slack      | ANA@acme.test   |     |",
            "Confluence | ana@acme.test   |     | Ana",
            // Another domain is another email.
            "GitHub     | ana@other.test  |     |",
        ],
        r#"
        0 [username_or_email] ana@acme.test: email "ana@acme.test"
        1 [email] ana@acme.test: email "ana@acme.test"
        2 [email] ana@acme.test: email "ana@acme.test"
        3 [email] ana@other.test: alone
        "#,
    );
}

#[test]
fn rule_3_a_display_name_when_there_is_no_email() {
    check(
        &[
            "Jira   | ana@acme.test | ana    | Ana Lopez",
            "Slack  |               |        | ana lopez",
            // Rule 3 (it has a display name), and it holds the username alopez.
            "Teams  |               | alopez | Ana Lopez",
            // Rule 4 finds Teams' username.
            "GitHub |               | alopez |",
        ],
        // 2 is in the display-name join and the username join; rule 3 ranks first.
        r#"
        0 [username_or_email] ana@acme.test: display_name "ana lopez"
        1 [display_name] ana@acme.test: display_name "ana lopez"
        2 [display_name] ana@acme.test: display_name "ana lopez"
        3 [username] ana@acme.test: username "alopez"
        "#,
    );
}

#[test]
fn rule_4_a_username_when_there_is_no_email_and_no_display_name() {
    check(
        &[
            "Jira      | ana@acme.test | ana |",
            "GitHub    |               | Ana |",
            // Rule 3 for itself, but it holds the username 1 looks for.
            "GitLab    |               | ana | Ana L",
            "Bitbucket |               | bo  |",
        ],
        r#"
        0 [username_or_email] ana@acme.test: username "ana"
        1 [username] ana@acme.test: username "ana"
        2 [display_name] ana@acme.test: username "ana"
        3 [username] bo: alone
        "#,
    );
}

#[test]
fn a_value_below_an_observations_rule_never_joins_it_by_itself() {
    check(
        &[
            // Both under rule 2: the shared display name is looked for by neither.
            "Jira    | ana@acme.test   |     | Ana Lopez",
            "Zendesk | ana.l@home.test |     | Ana Lopez",
            // Both under rule 3: the shared username is looked for by neither.
            "Teams   |                 | ana | Ana L",
            "Slack   |                 | ana | A. Lopez",
        ],
        r#"
        0 [email] ana@acme.test: alone
        1 [email] ana.l@home.test: alone
        2 [display_name] ana l: alone
        3 [display_name] a. lopez: alone
        "#,
    );
}

#[test]
fn an_observation_matching_two_people_joins_them_into_one() {
    check(
        &[
            "Jira   | ana@acme.test | ana |",
            "GitHub | bo@acme.test  | bo  |",
            // Keys ana and bo: one with 0, one with 1.
            "GitLab | bo@home.test  | ana |",
        ],
        r#"
        0 [username_or_email] ana@acme.test: username_or_email "ana"
        1 [username_or_email] ana@acme.test: username_or_email "bo"
        2 [username_or_email] ana@acme.test: username_or_email "ana"
        "#,
    );
}

#[test]
fn a_display_name_without_email_joins_every_holder_of_that_name() {
    // Deliberate (docs/identity.md, "Where it differs from a sequential
    // reading"): two emails sharing a display name become one person once an
    // observation without email carries that name.
    check(
        &[
            "Jira    | ana@acme.test |  | Sam Lee",
            "Zendesk | sam@home.test |  | Sam Lee",
            "Slack   |               |  | Sam Lee",
        ],
        r#"
        0 [email] ana@acme.test: display_name "sam lee"
        1 [email] ana@acme.test: display_name "sam lee"
        2 [display_name] ana@acme.test: display_name "sam lee"
        "#,
    );
}

#[test]
fn people_named_by_the_same_text_get_distinct_ids() {
    check(
        &[
            // Rule 3 looks for display names, rule 4 for usernames: not joined.
            "Slack  | | | Ana",
            "GitHub | | ana |",
        ],
        // Both would be "ana"; the display name ranks before the username.
        r#"
        0 [display_name] ana: alone
        1 [username] ana#2: alone
        "#,
    );
}

#[test]
fn each_person_lists_every_join_that_connects_it() {
    let matching = matching(
        &Default::default(),
        &[
            "Jira   | ana@acme.test | ana    | Ana Lopez",
            "GitHub | ana@home.test | ana    |",
            "Slack  |               |        | Ana Lopez",
            "Teams  | ana@acme.test |        |",
        ],
    );
    assert_eq!(matching.people.len(), 1);
    let joins: Vec<(String, String, Vec<usize>)> = matching.people[0]
        .joins
        .iter()
        .map(|join| (join.rule.to_string(), join.key.clone(), join.observations.clone()))
        .collect();
    // Rule 1 on "ana" (0 and 1, both rule 1); rule 2 on ana@acme.test (3 looks
    // for it, 0 holds it); rule 3 on "ana lopez" (2 looks, 0 holds). Ordered by
    // rule.
    assert_eq!(
        joins,
        [
            ("username_or_email".to_owned(), "ana".to_owned(), vec![0, 1]),
            ("email".to_owned(), "ana@acme.test".to_owned(), vec![0, 3]),
            ("display_name".to_owned(), "ana lopez".to_owned(), vec![0, 2]),
        ]
    );
}
