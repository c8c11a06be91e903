//! Identity matching (R3, R4) as tables: each observation with the person it
//! was assigned to and why, unique users per system, and the generic
//! identities that joined no one. Unlike the other figures these are computed
//! from observations given by the caller, not read from the store
//! ([`parse_observations`] reads them from a file's text). The columns are
//! documented in docs/identity.md.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tally_identity::{Matching, Observation, UserCounts};
use tally_report::{Cell, ColumnKind};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, optional_text, text};

/// Why a file of observations could not be read, at the first bad
/// observation: a match over part of the file would give other people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {reason}")]
pub struct ObservationsError {
    /// The file's line, from 1.
    pub line: usize,
    /// The column in that line, from 1.
    pub column: usize,
    /// What is wrong, in serde_json's words without its own position.
    pub reason: String,
}

/// Observations from NDJSON (blank lines skipped) or from one JSON array (when
/// the first non-blank character is `[`), stopping at the first bad one.
pub fn parse_observations(text: &str) -> Result<Vec<Observation>, ObservationsError> {
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).map_err(|error| ObservationsError {
            line: error.line(),
            column: error.column(),
            reason: reason(&error),
        });
    }
    let mut observations = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let observation = serde_json::from_str(line).map_err(|error| ObservationsError {
            line: index + 1,
            column: error.column(),
            reason: reason(&error),
        })?;
        observations.push(observation);
    }
    Ok(observations)
}

/// serde_json's message without its own position, which counts lines of
/// what it was given, not of the file.
fn reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rsplit_once(" at line ") {
        Some((reason, _)) => reason.to_owned(),
        None => message,
    }
}

/// One observation, as given, and what the matcher made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ObservationAssignmentRow {
    /// The observation's position in the input, from 0.
    pub observation: u64,
    /// The system, as given.
    pub system: String,
    /// The project, as given.
    pub project: Option<String>,
    /// The email, as given.
    pub email: Option<String>,
    /// The username, as given.
    pub username: Option<String>,
    /// The display name, as given.
    pub display_name: Option<String>,
    /// Where the user was seen, as given.
    pub interaction: Option<String>,
    /// When the user was seen.
    pub at: DateTime<Utc>,
    /// Whether the observation is flagged as a service account.
    pub service_account: bool,
    /// The rule the observation's values put it under: `username_or_email`,
    /// `email`, `display_name` or `username`; null when no value is left.
    pub identified_by: Option<String>,
    /// The person's id; null when no value is left.
    pub person: Option<String>,
    /// The rule of the join that put the observation in its person; null when
    /// it is alone in its person.
    pub rule: Option<String>,
    /// That join's key, normalised.
    pub key: Option<String>,
    /// For a generic identity's join: the one system it joined the same
    /// account in.
    pub within_system: Option<String>,
}

/// The rows of `matching`, which `observations` were matched into, in input
/// order.
pub fn assignment_rows(
    observations: &[Observation],
    matching: &Matching,
) -> Vec<ObservationAssignmentRow> {
    observations
        .iter()
        .zip(&matching.assignments)
        .enumerate()
        .map(|(index, (observation, assignment))| {
            let join = matching.join_of(index);
            ObservationAssignmentRow {
                observation: index as u64,
                system: observation.system.clone(),
                project: observation.project.clone(),
                email: observation.email.clone(),
                username: observation.username.clone(),
                display_name: observation.display_name.clone(),
                interaction: observation.interaction.clone(),
                at: observation.at,
                service_account: observation.service_account,
                identified_by: assignment.identified_by.map(|rule| rule.as_str().to_owned()),
                person: matching.person_of(index).map(|person| person.id.clone()),
                rule: join.map(|join| join.rule.as_str().to_owned()),
                key: join.map(|join| join.key.clone()),
                within_system: join.and_then(|join| join.system.clone()),
            }
        })
        .collect()
}

/// Each observation and the person it was assigned to.
pub static OBSERVATION_ASSIGNMENTS: FigureTable<ObservationAssignmentRow> = FigureTable {
    title: "Identity assignments",
    columns: &[
        FigureColumn {
            name: "observation",
            title: "Observation",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.observation as i64),
        },
        FigureColumn {
            name: "system",
            title: "System",
            kind: ColumnKind::Text,
            cell: |row| text(&row.system),
        },
        FigureColumn {
            name: "project",
            title: "Project",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.project.as_deref()),
        },
        FigureColumn {
            name: "email",
            title: "Email",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.email.as_deref()),
        },
        FigureColumn {
            name: "username",
            title: "Username",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.username.as_deref()),
        },
        FigureColumn {
            name: "display_name",
            title: "Display name",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.display_name.as_deref()),
        },
        FigureColumn {
            name: "interaction",
            title: "Interaction",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.interaction.as_deref()),
        },
        FigureColumn {
            name: "at",
            title: "Seen at",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.at),
        },
        FigureColumn {
            name: "service_account",
            title: "Service account",
            kind: ColumnKind::Text,
            cell: |row| text(if row.service_account { "yes" } else { "no" }),
        },
        FigureColumn {
            name: "identified_by",
            title: "Identified by",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.identified_by.as_deref()),
        },
        FigureColumn {
            name: "person",
            title: "Person",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.person.as_deref()),
        },
        FigureColumn {
            name: "rule",
            title: "Joined by rule",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.rule.as_deref()),
        },
        FigureColumn {
            name: "key",
            title: "Joined by key",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.key.as_deref()),
        },
        FigureColumn {
            name: "within_system",
            title: "Within system",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.within_system.as_deref()),
        },
    ],
    key: &["observation"],
    default_sort: "observation",
};

/// The unique users of one system, or of all systems together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UniqueUsersRow {
    /// The system; null on the last row, which counts all systems together (a
    /// person seen in two systems counts once there).
    pub system: Option<String>,
    /// People seen in the system.
    pub unique_users: u64,
    /// Of them, identified by username or email (rule 1): each person counts
    /// under the highest-priority rule of its observations in the system.
    pub by_username_or_email: u64,
    /// By email alone (rule 2).
    pub by_email: u64,
    /// By display name (rule 3).
    pub by_display_name: u64,
    /// By username alone (rule 4).
    pub by_username: u64,
    /// People with an observation in the system flagged as a service account.
    pub service_accounts: u64,
    /// People with an email seen with different usernames in different systems.
    pub duplicates: u64,
    /// Observations in the system with no email, username or display name.
    pub unidentified_observations: u64,
}

/// One row per system, ordered by system, then one for all systems.
pub fn unique_users_rows(matching: &Matching) -> Vec<UniqueUsersRow> {
    let row = |system: Option<&str>, users: &UserCounts| UniqueUsersRow {
        system: system.map(str::to_owned),
        unique_users: users.unique_users as u64,
        by_username_or_email: users.by_username_or_email as u64,
        by_email: users.by_email as u64,
        by_display_name: users.by_display_name as u64,
        by_username: users.by_username as u64,
        service_accounts: users.service_accounts as u64,
        duplicates: users.duplicates as u64,
        unidentified_observations: users.unidentified_observations as u64,
    };
    let unique_users = &matching.unique_users;
    unique_users
        .systems
        .iter()
        .map(|system| row(Some(&system.system), &system.users))
        .chain([row(None, &unique_users.all_systems)])
        .collect()
}

fn count(value: u64) -> Cell {
    Cell::Integer(value as i64)
}

/// Unique users per system (the usage reports' "Unique User Count").
pub static UNIQUE_USERS: FigureTable<UniqueUsersRow> = FigureTable {
    title: "Unique User Count",
    columns: &[
        FigureColumn {
            name: "system",
            title: "System",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.system.as_deref()),
        },
        FigureColumn {
            name: "unique_users",
            title: "Unique users",
            kind: ColumnKind::Integer,
            cell: |row| count(row.unique_users),
        },
        FigureColumn {
            name: "by_username_or_email",
            title: "Usernames or emails",
            kind: ColumnKind::Integer,
            cell: |row| count(row.by_username_or_email),
        },
        FigureColumn {
            name: "by_email",
            title: "Emails",
            kind: ColumnKind::Integer,
            cell: |row| count(row.by_email),
        },
        FigureColumn {
            name: "by_display_name",
            title: "Display names",
            kind: ColumnKind::Integer,
            cell: |row| count(row.by_display_name),
        },
        FigureColumn {
            name: "by_username",
            title: "Usernames",
            kind: ColumnKind::Integer,
            cell: |row| count(row.by_username),
        },
        FigureColumn {
            name: "service_accounts",
            title: "Service accounts",
            kind: ColumnKind::Integer,
            cell: |row| count(row.service_accounts),
        },
        FigureColumn {
            name: "duplicates",
            title: "Duplicates",
            kind: ColumnKind::Integer,
            cell: |row| count(row.duplicates),
        },
        FigureColumn {
            name: "unidentified_observations",
            title: "Unidentified observations",
            kind: ColumnKind::Integer,
            cell: |row| count(row.unidentified_observations),
        },
    ],
    key: &["system"],
    default_sort: "system",
};

/// A generic identity held by two or more people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GenericIdentityRow {
    /// The generic identity, normalised.
    pub identity: String,
    /// The observations with a value equal to it, by position from 0.
    pub observations: Vec<u64>,
    /// The people those observations belong to.
    pub people: u64,
}

/// The generic identities of `matching`, ordered by identity.
pub fn generic_identity_rows(matching: &Matching) -> Vec<GenericIdentityRow> {
    matching
        .generic_identities
        .iter()
        .map(|generic| GenericIdentityRow {
            identity: generic.identity.clone(),
            observations: generic.observations.iter().map(|&index| index as u64).collect(),
            people: generic.people as u64,
        })
        .collect()
}

/// Generic identities that joined no one. Observations are joined with `"; "`
/// in files.
pub static GENERIC_IDENTITIES: FigureTable<GenericIdentityRow> = FigureTable {
    title: "Generic identities",
    columns: &[
        FigureColumn {
            name: "identity",
            title: "Generic identity",
            kind: ColumnKind::Text,
            cell: |row| text(&row.identity),
        },
        FigureColumn {
            name: "observations",
            title: "Observations",
            kind: ColumnKind::Text,
            cell: |row| {
                let observations: Vec<String> =
                    row.observations.iter().map(u64::to_string).collect();
                Cell::Text(observations.join("; "))
            },
        },
        FigureColumn {
            name: "people",
            title: "People",
            kind: ColumnKind::Integer,
            cell: |row| count(row.people),
        },
    ],
    key: &["identity"],
    default_sort: "identity",
};

#[cfg(test)]
mod tests {
    use tally_identity::{MatcherConfig, match_people};
    use tally_report::{Format, write_table};

    use super::*;

    fn seen(system: &str, email: Option<&str>, username: Option<&str>) -> Observation {
        Observation {
            system: system.into(),
            project: Some("OPS".into()),
            email: email.map(Into::into),
            username: username.map(Into::into),
            display_name: None,
            interaction: Some("COMMENT AUTHOR".into()),
            at: "2026-03-02T09:00:00Z".parse().unwrap(),
            service_account: username == Some("admin"),
        }
    }

    fn csv<R>(table: &FigureTable<R>, rows: &[R]) -> String {
        let mut out = Vec::new();
        write_table(Format::Csv, &table.to_table(rows), &Default::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn check_parse(text: &str, expected: Result<usize, &str>) {
        let parsed = parse_observations(text)
            .map(|observations| observations.len())
            .map_err(|error| error.to_string());
        assert_eq!(parsed, expected.map_err(str::to_owned), "{text:?}");
    }

    #[test]
    fn observations_are_read_from_ndjson_or_an_array() {
        let one = r#"{"system":"Jira","at":"2026-03-02T09:00:00Z"}"#;
        check_parse(&format!("{one}\n\n{one}\n"), Ok(2));
        check_parse(&format!("  [{one},\n{one}]"), Ok(2));
        check_parse("", Ok(0));
        // Line 3 of the file (line 2 is blank); `]` is its second character.
        check_parse(&format!("{one}\n\n{{]\n"), Err("line 3, column 2: key must be a string"));
        // In an array, serde_json's own line is the file's.
        check_parse(&format!("[{one},\n{{]"), Err("line 2, column 2: key must be a string"));
    }

    #[test]
    fn each_table_as_csv() {
        let observations = [
            seen("Jira", Some("Ana@acme.test"), Some("ana")),
            // Rule 4: Jira's username.
            seen("GitHub", None, Some("ANA")),
            // Generic, in two systems: two people.
            seen("Jira", None, Some("admin")),
            seen("GitHub", None, Some("admin")),
            seen("GitHub", Some("n/a"), None),
        ];
        let matching = match_people(&observations, &MatcherConfig::default()).unwrap();
        // The two admins: GitHub's sorts first and keeps the plain id.
        assert_eq!(
            csv(&OBSERVATION_ASSIGNMENTS, &assignment_rows(&observations, &matching)),
            "observation,system,project,email,username,display_name,interaction,at,\
             service_account,identified_by,person,rule,key,within_system\r\n\
             0,Jira,OPS,Ana@acme.test,ana,,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,no,\
             username_or_email,ana@acme.test,username,ana,\r\n\
             1,GitHub,OPS,,ANA,,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,no,\
             username,ana@acme.test,username,ana,\r\n\
             2,Jira,OPS,,admin,,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,yes,\
             username,admin#2,,,\r\n\
             3,GitHub,OPS,,admin,,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,yes,\
             username,admin,,,\r\n\
             4,GitHub,OPS,n/a,,,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,no,,,,,\r\n"
        );
        // GitHub: Ana (rule 4 there) and admin (rule 4, service), n/a
        // unidentified. Jira: Ana (rule 1), admin (rule 4, service). All: Ana
        // counts under rule 1, the two admins under rule 4.
        assert_eq!(
            csv(&UNIQUE_USERS, &unique_users_rows(&matching)),
            "system,unique_users,by_username_or_email,by_email,by_display_name,by_username,\
             service_accounts,duplicates,unidentified_observations\r\n\
             GitHub,2,0,0,0,2,1,0,1\r\n\
             Jira,2,1,0,0,1,1,0,0\r\n\
             ,3,1,0,0,2,2,0,1\r\n"
        );
        assert_eq!(
            csv(&GENERIC_IDENTITIES, &generic_identity_rows(&matching)),
            "identity,observations,people\r\nadmin,2; 3,2\r\n"
        );
    }
}
