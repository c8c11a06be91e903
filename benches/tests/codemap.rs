//! docs/ARCHITECTURE.md's "Depends on" sentences against the Cargo manifests, so
//! that the codemap cannot drift from what the crates really use.
//!
//! Every workspace member has a section headed `### `path`` (its path in the
//! workspace, then anything, such as "(API boundary)"), holding exactly one
//! sentence that starts with "Depends on" and ends with a full stop. Every name
//! in backticks in that sentence, outside parentheses, is one of the member's
//! `[dependencies]` (target-specific ones included; dev-dependencies are not
//! listed), and every one of those is named.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// A way the codemap and the manifests disagree.
#[derive(Debug, PartialEq, Eq)]
enum Drift {
    /// A workspace member the codemap has no section for.
    NoSection { member: String },
    /// A section headed with a path that is no workspace member.
    NoMember { section: String },
    /// A section without exactly one "Depends on" sentence.
    DependsOnSentences { member: String, found: usize },
    /// A dependency the codemap names that the manifest does not have.
    NotInManifest { member: String, dependency: String },
    /// A dependency in the manifest that the codemap does not name.
    NotInCodemap { member: String, dependency: String },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::NoSection { member } => write!(
                f,
                "{member} is a workspace member, but docs/ARCHITECTURE.md has no `### `{member}`` section"
            ),
            Drift::NoMember { section } => write!(
                f,
                "docs/ARCHITECTURE.md has a section on {section}, which is no workspace member"
            ),
            Drift::DependsOnSentences { member, found } => write!(
                f,
                "docs/ARCHITECTURE.md's section on {member} has {found} sentences starting \"Depends on\"; it needs exactly one"
            ),
            Drift::NotInManifest { member, dependency } => write!(
                f,
                "docs/ARCHITECTURE.md names `{dependency}` as a dependency of {member}, but {member}/Cargo.toml's [dependencies] does not have it"
            ),
            Drift::NotInCodemap { member, dependency } => write!(
                f,
                "{member}/Cargo.toml's [dependencies] has `{dependency}`, but docs/ARCHITECTURE.md's section on {member} does not name it"
            ),
        }
    }
}

/// A workspace member: its path in the workspace and its `[dependencies]` names.
struct Member {
    path: String,
    dependencies: BTreeSet<String>,
}

/// Compares the codemap's sections with the members, in the members' order, then
/// the sections no member has.
fn drifts(codemap: &str, members: &[Member]) -> Vec<Drift> {
    let sections = sections(codemap);
    let mut drifts = Vec::new();
    for member in members {
        let Some((_, body)) = sections.iter().find(|(path, _)| *path == member.path) else {
            drifts.push(Drift::NoSection { member: member.path.clone() });
            continue;
        };
        let sentences = depends_on_sentences(body);
        let [sentence] = sentences.as_slice() else {
            drifts.push(Drift::DependsOnSentences {
                member: member.path.clone(),
                found: sentences.len(),
            });
            continue;
        };
        let named = names_outside_parentheses(sentence);
        for dependency in named.difference(&member.dependencies) {
            drifts.push(Drift::NotInManifest {
                member: member.path.clone(),
                dependency: dependency.clone(),
            });
        }
        for dependency in member.dependencies.difference(&named) {
            drifts.push(Drift::NotInCodemap {
                member: member.path.clone(),
                dependency: dependency.clone(),
            });
        }
    }
    for (path, _) in &sections {
        if !members.iter().any(|member| member.path == *path) {
            drifts.push(Drift::NoMember { section: (*path).to_owned() });
        }
    }
    drifts
}

/// The `### `path`` sections, each with its text up to the next heading of
/// level 2 or 3, lines joined by spaces so a sentence may wrap.
fn sections(codemap: &str) -> Vec<(&str, String)> {
    let mut sections: Vec<(&str, String)> = Vec::new();
    let mut current: Option<(&str, Vec<&str>)> = None;
    for line in codemap.lines() {
        if line.starts_with("## ") || line.starts_with("### ") {
            if let Some((path, lines)) = current.take() {
                sections.push((path, lines.join(" ")));
            }
            current = line
                .strip_prefix("### `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(path, _)| (path, Vec::new()));
        } else if let Some((_, lines)) = &mut current {
            lines.push(line.trim());
        }
    }
    if let Some((path, lines)) = current {
        sections.push((path, lines.join(" ")));
    }
    sections
}

/// Each "Depends on" sentence of a section: from those words to the first full
/// stop outside backticks and parentheses that ends the text or precedes a space.
fn depends_on_sentences(body: &str) -> Vec<&str> {
    body.match_indices("Depends on")
        .map(|(start, _)| {
            let sentence = &body[start..];
            let mut depth = 0_usize;
            let mut in_backticks = false;
            let mut characters = sentence.char_indices().peekable();
            while let Some((index, character)) = characters.next() {
                match character {
                    '`' => in_backticks = !in_backticks,
                    '(' if !in_backticks => depth += 1,
                    ')' if !in_backticks => depth = depth.saturating_sub(1),
                    '.' if !in_backticks
                        && depth == 0
                        && characters.peek().is_none_or(|(_, next)| next.is_whitespace()) =>
                    {
                        return &sentence[..=index];
                    }
                    _ => {}
                }
            }
            sentence
        })
        .collect()
}

/// The names in backticks outside parentheses.
fn names_outside_parentheses(sentence: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut depth = 0_usize;
    let mut name: Option<String> = None;
    for character in sentence.chars() {
        match (&mut name, character) {
            (Some(_), '`') => {
                let finished = name.take().expect("a name is open");
                if depth == 0 {
                    names.insert(finished);
                }
            }
            (Some(open), other) => open.push(other),
            (None, '`') => name = Some(String::new()),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
    }
    names
}

/// The workspace's members, from the root manifest's `members` (a path, or a
/// directory followed by `/*` for each of its subdirectories with a Cargo.toml).
fn workspace_members(root: &Path) -> Vec<Member> {
    let root_manifest = read_manifest(&root.join("Cargo.toml"));
    let patterns = root_manifest["workspace"]["members"]
        .as_array()
        .expect("the root Cargo.toml lists its workspace members");
    let mut paths = Vec::new();
    for pattern in patterns {
        let pattern = pattern.as_str().expect("a workspace member is a path");
        match pattern.strip_suffix("/*") {
            Some(directory) => {
                let mut found: Vec<String> = fs::read_dir(root.join(directory))
                    .unwrap_or_else(|error| panic!("reading {directory}: {error}"))
                    .map(|entry| entry.expect("a directory entry").file_name())
                    .filter(|name| root.join(directory).join(name).join("Cargo.toml").is_file())
                    .map(|name| format!("{directory}/{}", name.to_string_lossy()))
                    .collect();
                found.sort();
                paths.extend(found);
            }
            None => paths.push(pattern.to_owned()),
        }
    }
    paths
        .into_iter()
        .map(|path| {
            let manifest = read_manifest(&root.join(&path).join("Cargo.toml"));
            Member { dependencies: normal_dependencies(&manifest), path }
        })
        .collect()
}

/// `[dependencies]` and every `[target.'...'.dependencies]`: what the crate is built with.
fn normal_dependencies(manifest: &toml::Table) -> BTreeSet<String> {
    let targets = manifest.get("target").and_then(toml::Value::as_table);
    let target_tables = targets
        .into_iter()
        .flat_map(|targets| targets.values())
        .filter_map(|target| target.get("dependencies"));
    manifest
        .get("dependencies")
        .into_iter()
        .chain(target_tables)
        .filter_map(toml::Value::as_table)
        .flat_map(|table| table.keys().cloned())
        .collect()
}

fn read_manifest(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    text.parse().unwrap_or_else(|error| panic!("{} is not TOML: {error}", path.display()))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the workspace")
        .to_path_buf()
}

#[test]
fn the_codemap_names_each_crates_dependencies_as_its_manifest_has_them() {
    let root = workspace_root();
    let codemap = fs::read_to_string(root.join("docs/ARCHITECTURE.md"))
        .expect("reading docs/ARCHITECTURE.md");
    let members = workspace_members(&root);
    // The workspace as it stands holds at least the crates, the binaries and benches.
    assert!(members.len() >= 13, "found only {} workspace members", members.len());
    let drifts = drifts(&codemap, &members);
    let report: Vec<String> = drifts.iter().map(Drift::to_string).collect();
    assert!(report.is_empty(), "docs/ARCHITECTURE.md has drifted:\n{}", report.join("\n"));
}

fn check(codemap: &str, members: &[(&str, &[&str])], expected: &[&str]) {
    let members: Vec<Member> = members
        .iter()
        .map(|(path, dependencies)| Member {
            path: (*path).to_owned(),
            dependencies: dependencies.iter().map(|name| (*name).to_owned()).collect(),
        })
        .collect();
    let found: Vec<String> = drifts(codemap, &members).iter().map(Drift::to_string).collect();
    assert_eq!(found, expected);
}

const CODEMAP: &str = "# Architecture

## Crates

### `crates/tally-seats` (API boundary)
The seat rule. Depends on `tally-events` (for `AccountCalendar`,
`SubscriptionTerm`), `chrono` and `thiserror`.

**Architecture invariant:** no I/O.

### `bins/tally-export`
The exporter. Depends on `anyhow`, `clap` (derive, so
flags are one struct) and `tally-store`. It opens the file directly.

## One login
Depends on nothing here: not a section.
";

#[test]
fn a_codemap_in_step_with_its_manifests_passes() {
    check(
        CODEMAP,
        &[
            ("crates/tally-seats", &["chrono", "tally-events", "thiserror"]),
            ("bins/tally-export", &["anyhow", "clap", "tally-store"]),
        ],
        &[],
    );
}

#[test]
fn a_missing_and_an_extra_dependency_are_named_with_their_crate_and_side() {
    // The manifest has hashbrown, which the codemap leaves out, and no longer has
    // thiserror, which the codemap still names.
    check(
        CODEMAP,
        &[
            ("crates/tally-seats", &["chrono", "hashbrown", "tally-events"]),
            ("bins/tally-export", &["anyhow", "clap", "tally-store"]),
        ],
        &[
            "docs/ARCHITECTURE.md names `thiserror` as a dependency of crates/tally-seats, but crates/tally-seats/Cargo.toml's [dependencies] does not have it",
            "crates/tally-seats/Cargo.toml's [dependencies] has `hashbrown`, but docs/ARCHITECTURE.md's section on crates/tally-seats does not name it",
        ],
    );
}

#[test]
fn a_crate_without_a_section_and_a_section_without_a_crate_fail() {
    check(
        CODEMAP,
        &[
            ("crates/tally-seats", &["chrono", "tally-events", "thiserror"]),
            ("crates/tally-calendar", &["chrono"]),
        ],
        &[
            "crates/tally-calendar is a workspace member, but docs/ARCHITECTURE.md has no `### `crates/tally-calendar`` section",
            "docs/ARCHITECTURE.md has a section on bins/tally-export, which is no workspace member",
        ],
    );
}

#[test]
fn a_section_needs_exactly_one_depends_on_sentence() {
    let codemap = "### `benches`
criterion benchmarks. tokio and axum are used here.

### `crates/tally-access`
Depends on `hex`. Depends on `rand`.
";
    check(
        codemap,
        &[("benches", &["anyhow"]), ("crates/tally-access", &["hex", "rand"])],
        &[
            "docs/ARCHITECTURE.md's section on benches has 0 sentences starting \"Depends on\"; it needs exactly one",
            "docs/ARCHITECTURE.md's section on crates/tally-access has 2 sentences starting \"Depends on\"; it needs exactly one",
        ],
    );
}

#[test]
fn a_sentence_ends_at_its_full_stop_not_at_one_in_a_note() {
    // The note's "e.g." stays in the sentence; `serde` after the sentence's end is
    // not a dependency.
    let codemap = "### `crates/tally-report`
Depends on `csv` (quoting as RFC 4180, e.g. fields with commas) and `zip`. Rows
serialise with `serde`.
";
    check(codemap, &[("crates/tally-report", &["csv", "zip"])], &[]);
}
