//! Unique users per system, service accounts, duplicates and last seen
//! (`docs/identity.md`, "Unique users per system").

use tally_identity::{Duplicate, Matcher, MatcherConfig, SystemUsername, UserCounts};

use crate::common::*;

const OBSERVATIONS: &[&str] = &[
    "Jira   | ana@acme.test | ana      | Ana Lopez",
    "Jira   |               |          | Ana Lopez",
    "Jira   | bo@acme.test  |          |",
    "Jira   |               | jira-bot |           | service",
    "GitHub | ana@acme.test | ana-l    |",
    "GitHub |               | carl     |",
    "GitHub | -             |          |",
    "Jira   | bo@acme.test  | bo       |",
    "Jira   | bo@acme.test  | bob      |",
    "Slack  | dee@acme.test |          | Dee",
    "Slack  |               |          | Eve",
];

// People: ana@acme.test {0 1 4} (rule 1 on "ana", rule 3 on "ana lopez"),
// bo@acme.test {2 7 8} (rule 2 on the email, rule 1 on "bo"), jira-bot {3},
// carl {5}, dee@acme.test {9}, eve {10}; 6 has no value left.

#[test]
fn each_person_counts_once_per_system_under_its_best_rule() {
    let matching = matching(&MatcherConfig::default(), OBSERVATIONS);
    let systems: Vec<(&str, UserCounts)> = matching
        .unique_users
        .systems
        .iter()
        .map(|system| (system.system.as_str(), system.users))
        .collect();
    let counts =
        |users, rules: [usize; 4], service_accounts, duplicates, unidentified| UserCounts {
            unique_users: users,
            by_username_or_email: rules[0],
            by_email: rules[1],
            by_display_name: rules[2],
            by_username: rules[3],
            service_accounts,
            duplicates,
            unidentified_observations: unidentified,
        };
    assert_eq!(
        systems,
        [
            // Ana by rule 1 (4), carl by rule 4 (5); 6 unidentified. Ana's
            // email has usernames ana (Jira) and ana-l (GitHub): a duplicate.
            ("GitHub", counts(2, [1, 0, 0, 1], 0, 1, 1)),
            // Ana by rule 1 (0, better than 1's rule 3), Bo by rule 1 (7 and 8,
            // better than 2's rule 2), jira-bot by rule 4, a service account.
            ("Jira", counts(3, [2, 0, 0, 1], 1, 1, 0)),
            ("Slack", counts(2, [0, 1, 1, 0], 0, 0, 0)),
        ]
    );
    // Ana, Bo (rule 1); Dee (rule 2); Eve (rule 3); jira-bot, carl (rule 4).
    assert_eq!(matching.unique_users.all_systems, counts(6, [2, 1, 1, 2], 1, 1, 1));
}

#[test]
fn a_duplicate_is_one_email_with_different_usernames_in_different_systems() {
    let matching = matching(&MatcherConfig::default(), OBSERVATIONS);
    let duplicates: Vec<(&str, &[Duplicate])> =
        matching.people.iter().map(|person| (person.id.as_str(), &person.duplicates[..])).collect();
    let ana = Duplicate {
        email: "ana@acme.test".into(),
        usernames: vec![
            SystemUsername { system: "GitHub".into(), username: "ana-l".into() },
            SystemUsername { system: "Jira".into(), username: "ana".into() },
        ],
    };
    // Bo's bo and bob are both in Jira: a rename, not a duplicate.
    assert_eq!(
        duplicates,
        [
            ("ana@acme.test", &[ana][..]),
            ("bo@acme.test", &[][..]),
            ("carl", &[][..]),
            ("dee@acme.test", &[][..]),
            ("eve", &[][..]),
            ("jira-bot", &[][..]),
        ]
    );
}

#[test]
fn a_person_is_a_service_account_if_any_observation_is_and_was_last_seen_at_the_latest() {
    let mut observations = observations(OBSERVATIONS);
    observations[0].at = at("2026-03-01T08:00:00Z");
    observations[1].at = at("2026-03-05T17:30:00Z");
    observations[4].at = at("2026-02-10T12:00:00Z");
    observations[4].service_account = true;
    let matching = Matcher::new(&MatcherConfig::default()).unwrap().match_people(&observations);
    let ana = matching.person_of(0).unwrap();
    assert_eq!(ana.observations, [0, 1, 4]);
    assert_eq!(ana.last_seen, at("2026-03-05T17:30:00Z"));
    assert!(ana.service_account);
    // Only Ana's GitHub observation is flagged: a service account in GitHub and
    // overall, not in Jira (only jira-bot there).
    let service_accounts: Vec<(&str, usize)> = matching
        .unique_users
        .systems
        .iter()
        .map(|system| (system.system.as_str(), system.users.service_accounts))
        .collect();
    assert_eq!(service_accounts, [("GitHub", 1), ("Jira", 1), ("Slack", 0)]);
    assert_eq!(matching.unique_users.all_systems.service_accounts, 2);
}
