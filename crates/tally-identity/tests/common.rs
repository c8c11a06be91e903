//! Helpers shared by the matcher tests: observations written one per line, and
//! the matching rendered as text to compare with expected text worked out by hand.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use tally_identity::{Matcher, MatcherConfig, Matching, Observation};

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|_| panic!("{text} is an RFC 3339 instant"))
}

/// `system | email | username | display name [| service]`, an empty field for
/// an absent value. Fields lose surrounding ASCII spaces only, so other
/// whitespace can be tested. Every observation is at 2026-03-02T09:00:00Z.
pub fn observations(lines: &[&str]) -> Vec<Observation> {
    lines
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split('|').map(|field| field.trim_matches(' ')).collect();
            assert!(fields.len() == 4 || fields.len() == 5, "{line}: 4 or 5 fields");
            let value = |field: &str| (!field.is_empty()).then(|| field.to_owned());
            Observation {
                system: fields[0].to_owned(),
                project: None,
                email: value(fields[1]),
                username: value(fields[2]),
                display_name: value(fields[3]),
                interaction: None,
                at: at("2026-03-02T09:00:00Z"),
                service_account: fields.get(4) == Some(&"service"),
            }
        })
        .collect()
}

/// One line per observation, `index [identified_by] person: rule "key"` (with
/// ` in System` for a join limited to one system), `alone` when nothing joined
/// it, `none` without a person; then one line per generic identity reported.
pub fn render(matching: &Matching) -> String {
    let mut text = String::new();
    for (index, assignment) in matching.assignments.iter().enumerate() {
        let identified_by = assignment.identified_by.map_or("-", |rule| rule.as_str());
        let Some(person) = matching.person_of(index) else {
            writeln!(text, "{index} [{identified_by}] none").unwrap();
            continue;
        };
        match matching.join_of(index) {
            Some(join) => {
                write!(
                    text,
                    "{index} [{identified_by}] {}: {} {:?}",
                    person.id, join.rule, join.key
                )
                .unwrap();
                if let Some(system) = &join.system {
                    write!(text, " in {system}").unwrap();
                }
                writeln!(text).unwrap();
            }
            None => writeln!(text, "{index} [{identified_by}] {}: alone", person.id).unwrap(),
        }
    }
    for generic in &matching.generic_identities {
        let observations: Vec<String> = generic.observations.iter().map(usize::to_string).collect();
        writeln!(
            text,
            "generic {:?}: {}, {} people",
            generic.identity,
            observations.join(" "),
            generic.people
        )
        .unwrap();
    }
    text
}

pub fn matching(config: &MatcherConfig, lines: &[&str]) -> Matching {
    Matcher::new(config).unwrap().match_people(&observations(lines))
}

/// Matches `lines` under the default configuration and compares the rendering
/// with `expected`, whose lines lose their indentation.
pub fn check(lines: &[&str], expected: &str) {
    check_with(&MatcherConfig::default(), lines, expected);
}

pub fn check_with(config: &MatcherConfig, lines: &[&str], expected: &str) {
    let expected: String = expected
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(render(&matching(config, lines)), expected);
}
