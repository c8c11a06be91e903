//! How values are compared: the comparison text of a value and the parts of an
//! email that matching uses.

use std::borrow::Cow;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

/// The text a value is compared by, and the form keys are reported in.
///
/// Unicode's compatibility caseless match (The Unicode Standard, section 3.13,
/// D146: `NFKD(toCasefold(NFKD(toCasefold(NFD(x)))))`), recomposed (NFC) so
/// that keys read naturally; then surrounding whitespace removed and each inner
/// run of whitespace made one space. Case folding is full and
/// locale-independent: `STRASSE` and `straße` compare equal, Turkish dotless
/// `ı` stays apart from `i`.
///
/// ```
/// use tally_identity::comparison_text;
///
/// assert_eq!(comparison_text("  Straße\u{a0} Nord "), "strasse nord");
/// ```
pub fn comparison_text(value: &str) -> String {
    if value.is_ascii() {
        // Every normal form of ASCII text is itself, and its case folding is its
        // ASCII lower case: the same result for a fraction of the work, on what
        // most identifiers are.
        let mut text = String::with_capacity(value.len());
        for word in value.split(char::is_whitespace).filter(|word| !word.is_empty()) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        }
        return text;
    }
    folded_slowly(value)
}

/// [`comparison_text`] through the full Unicode pipeline, whatever the text.
fn folded_slowly(value: &str) -> String {
    let folded: String =
        value.chars().nfd().default_case_fold().nfkd().default_case_fold().nfkc().collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`comparison_text`], borrowing `value` when it is its own comparison text
/// (ASCII in lower case, no surrounding whitespace, single spaces between
/// words), as most identifiers are.
pub(crate) fn comparison_text_cow(value: &str) -> Cow<'_, str> {
    let bytes = value.as_bytes();
    let plain = bytes.iter().all(|&byte| {
        // `char::is_whitespace`, as `comparison_text` splits by, also takes
        // U+000B, which `u8::is_ascii_whitespace` does not.
        byte.is_ascii()
            && !byte.is_ascii_uppercase()
            && (byte == b' ' || !char::from(byte).is_whitespace())
    }) && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && !value.contains("  ");
    if plain { Cow::Borrowed(value) } else { Cow::Owned(comparison_text(value)) }
}

/// An email as matching uses it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg(test)]
pub(crate) struct Email {
    /// The local part without its `+tag`, `@`, the domain: the key of rule 2.
    pub(crate) address: String,
    /// The local part without its `+tag`: a key of rule 1.
    pub(crate) local_part: String,
}

/// `text` (a comparison text) as an email, or `None` when it is not one: no
/// `@`, whitespace inside, or an empty local part (before any `+`) or domain.
/// The split is at the last `@`.
#[cfg(test)]
pub(crate) fn email_of(text: &str) -> Option<Email> {
    let (untagged, domain) = email_parts(text)?;
    Some(Email { address: format!("{untagged}@{domain}"), local_part: untagged.to_owned() })
}

/// `text` (a comparison text) as an email's local part without its `+tag`
/// and its domain, or `None` when it is not an email: no `@`, whitespace
/// inside, or an empty local part (before any `+`) or domain. The split is at
/// the last `@`.
pub(crate) fn email_parts(text: &str) -> Option<(&str, &str)> {
    if text.chars().any(char::is_whitespace) {
        return None;
    }
    let (local_part, domain) = text.rsplit_once('@')?;
    let untagged = local_part.split('+').next().unwrap_or_default();
    if untagged.is_empty() || domain.is_empty() {
        return None;
    }
    Some((untagged, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_shortcut_folds_as_the_full_pipeline_does() {
        // Every ASCII character, alone and between letters, and some identifiers.
        let mut values: Vec<String> = (0u8..128).map(|byte| (byte as char).to_string()).collect();
        values.extend((0u8..128).map(|byte| format!("Ab{}cD", byte as char)));
        values.extend(
            [" Ana.Lopez@Example.TEST ", "a\u{b}b\u{c}c\u{1c}d", "\tUSER  42\n", "", "   "]
                .map(String::from),
        );
        for value in values {
            assert_eq!(comparison_text(&value), folded_slowly(&value), "{value:?}");
        }
    }

    #[test]
    fn a_value_is_borrowed_only_when_it_is_its_own_comparison_text() {
        for value in ["ana", "ana lopez", "ana.lopez@acme.test", "", "a-b_c[bot]"] {
            assert!(matches!(comparison_text_cow(value), Cow::Borrowed(_)), "{value:?}");
        }
        for value in
            ["Ana", " ana", "ana ", "ana  lopez", "ana\tlopez", "a\u{b}b", "straße", "ＡＮＡ", " "]
        {
            let text = comparison_text_cow(value);
            assert!(matches!(text, Cow::Owned(_)), "{value:?}");
            assert_eq!(text, comparison_text(value), "{value:?}");
        }
    }

    /// `value`'s comparison text and, as an email, its address and local part.
    fn check(value: &str, expected_text: &str, expected_email: Option<(&str, &str)>) {
        let text = comparison_text(value);
        assert_eq!(text, expected_text, "comparison text of {value:?}");
        let email = email_of(&text);
        assert_eq!(
            email.as_ref().map(|email| (email.address.as_str(), email.local_part.as_str())),
            expected_email,
            "email of {value:?}"
        );
    }

    #[test]
    fn surrounding_whitespace_goes_and_inner_runs_become_one_space() {
        // U+00A0 (no-break space) and U+3000 (ideographic space) are whitespace
        // too; NFKC also maps both to U+0020.
        check(" \tAna\u{a0}\u{3000} Lopez \n", "ana lopez", None);
        check("", "", None);
        check(" \u{2003} ", "", None);
    }

    #[test]
    fn full_case_folding_is_not_plain_lowercasing() {
        // ß folds to "ss" (full folding, CaseFolding.txt status F), as does the
        // capital ẞ (U+1E9E); lowercasing would leave "straße" apart.
        check("STRASSE", "strasse", None);
        check("straße", "strasse", None);
        check("STRAẞE", "strasse", None);
        // Capital Σ, medial σ and final ς all fold to σ.
        check("ΣΑΣ", "σασ", None);
        check("σας", "σασ", None);
    }

    #[test]
    fn turkish_i_is_folded_without_a_locale() {
        // Default (non-Turkic) folding: I → i, İ (U+0130) → i + U+0307 combining
        // dot, ı (U+0131) stays ı. So "KIRIM" matches "kirim", not "kırım".
        check("KIRIM", "kirim", None);
        check("kırım", "kırım", None);
        check("İstanbul", "i\u{307}stanbul", None);
    }

    #[test]
    fn compatibility_forms_compare_as_their_plain_letters() {
        // Fullwidth letters (U+FF21..) and the ﬁ ligature (U+FB01) are NFKC
        // equivalent to ASCII; é precomposed and e + U+0301 are the same.
        check("ＡＮＡ", "ana", None);
        check("ﬁona", "fiona", None);
        check("Jose\u{301}", "josé", None);
    }

    #[test]
    fn an_email_loses_its_tag_and_keeps_its_domain() {
        check(
            " Ana.Lopez+Jira@Example.TEST ",
            "ana.lopez+jira@example.test",
            Some(("ana.lopez@example.test", "ana.lopez")),
        );
        check("ana@example.test", "ana@example.test", Some(("ana@example.test", "ana")));
        // Only the first + starts the tag.
        check("ana+a+b@x.test", "ana+a+b@x.test", Some(("ana@x.test", "ana")));
        // The split is at the last @.
        check("\"a@b\"@x.test", "\"a@b\"@x.test", Some(("\"a@b\"@x.test", "\"a@b\"")));
    }

    #[test]
    fn what_is_not_an_email() {
        check("ana", "ana", None);
        check("@x.test", "@x.test", None);
        check("ana@", "ana@", None);
        check("+tag@x.test", "+tag@x.test", None);
        check("Ana Lopez <ana@x.test>", "ana lopez <ana@x.test>", None);
    }
}
