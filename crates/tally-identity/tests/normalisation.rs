//! How values are compared (`docs/identity.md`, "Normalisation"), through the
//! matcher. `comparison_text` itself is tested beside its code.

use tally_identity::MatcherConfig;

use crate::common::*;

#[test]
fn case_and_surrounding_whitespace_do_not_matter() {
    check(
        &[
            "Jira   | ana@acme.test | ana |",
            // No-break space before, a tab after.
            "GitHub |               | \u{a0}ANA\t |",
            // Two ideographic spaces inside become one space.
            "Slack  |               |     | Ana\u{3000}\u{3000}Lopez",
            "Teams  |               |     | ana lopez",
        ],
        r#"
        0 [username_or_email] ana@acme.test: username "ana"
        1 [username] ana@acme.test: username "ana"
        2 [display_name] ana lopez: display_name "ana lopez"
        3 [display_name] ana lopez: display_name "ana lopez"
        "#,
    );
}

#[test]
fn full_case_folding_matches_strasse_and_final_sigma() {
    check(
        &[
            "Jira   | | STRASSE |",
            "GitHub | | straße  |",
            // Capital sharp s, U+1E9E.
            "GitLab | | Straẞe  |",
            // Σ, σ and ς all fold to σ.
            "Jira   | |         | ΣΟΦΟΣ",
            "Slack  | |         | σοφος",
        ],
        r#"
        0 [username] strasse: username "strasse"
        1 [username] strasse: username "strasse"
        2 [username] strasse: username "strasse"
        3 [display_name] σοφοσ: display_name "σοφοσ"
        4 [display_name] σοφοσ: display_name "σοφοσ"
        "#,
    );
}

#[test]
fn turkish_dotted_and_dotless_i_follow_the_default_folding() {
    // No Turkic mappings: I folds to i, so KIRIM is kirim and not kırım; İ folds
    // to i followed by U+0307 (combining dot above), so İPEK is not ipek.
    check(
        &[
            "Jira   | | KIRIM |",
            "GitHub | | kırım |",
            "GitLab | | kirim |",
            "Jira   | | İPEK  |",
            "GitHub | | ipek  |",
            "GitLab | | i\u{307}pek |",
        ],
        "0 [username] kirim: username \"kirim\"\n\
         1 [username] kırım: alone\n\
         2 [username] kirim: username \"kirim\"\n\
         3 [username] i\u{307}pek: username \"i\\u{307}pek\"\n\
         4 [username] ipek: alone\n\
         5 [username] i\u{307}pek: username \"i\\u{307}pek\"\n",
    );
}

#[test]
fn compatibility_forms_and_composed_accents_compare_equal() {
    check(
        &[
            // Fullwidth ＡＮＡ (U+FF21, U+FF2E, U+FF21).
            "Jira   | | ＡＮＡ |",
            "GitHub | | ana    |",
            // The ﬁ ligature (U+FB01); é composed and as e + U+0301.
            "Slack  | |        | ﬁona José",
            "Teams  | |        | Fiona Jose\u{301}",
        ],
        r#"
        0 [username] ana: username "ana"
        1 [username] ana: username "ana"
        2 [display_name] fiona josé: display_name "fiona josé"
        3 [display_name] fiona josé: display_name "fiona josé"
        "#,
    );
}

#[test]
fn an_emails_tag_is_set_aside_for_matching() {
    check(
        &[
            "Jira   | ana+jira@acme.test   |       |",
            "GitHub | ANA+github@Acme.Test |       |",
            // A username keeps its +: rule 1 keys ana+x and ana.
            "GitLab | ana@acme.test        | ana+x |",
            // Rule 1 keys carl and ana (the local part without +review).
            "Gerrit | ana+review@home.test | carl  |",
        ],
        // One person: 0, 1 and 2 by the email ana@acme.test, 2 and 3 by "ana".
        r#"
        0 [email] ana@acme.test: email "ana@acme.test"
        1 [email] ana@acme.test: email "ana@acme.test"
        2 [username_or_email] ana@acme.test: username_or_email "ana"
        3 [username_or_email] ana@acme.test: username_or_email "ana"
        "#,
    );
}

#[test]
fn placeholders_and_malformed_emails_count_as_absent() {
    check(
        &[
            // Email "n/a" and display name "Unknown" are placeholders: rule 4.
            "Jira   | n/a                         | ana | Unknown",
            "GitHub | ana@acme.test               | ana |",
            "Slack  | -                           | -   | -",
            "Teams  | NULL                        |     | N/A",
            // Not emails: no @; a display form with spaces.
            "Jira   | ana                         |     |",
            "Jira   | Ana Lopez <ana@acme.test>   |     |",
        ],
        r#"
        0 [username] ana@acme.test: username "ana"
        1 [username_or_email] ana@acme.test: username "ana"
        2 [-] none
        3 [-] none
        4 [-] none
        5 [-] none
        "#,
    );
}

#[test]
fn placeholders_are_configurable() {
    let config = MatcherConfig { placeholders: vec!["TBD".into()], ..MatcherConfig::default() };
    check_with(
        &config,
        &["Jira | | | tbd", "Slack | | | n/a", "Teams | | | N/A"],
        r#"
        0 [-] none
        1 [display_name] n/a: display_name "n/a"
        2 [display_name] n/a: display_name "n/a"
        "#,
    );
}
