//! Sheet names from table titles, valid and unique as Excel wants them.

/// Excel's longest sheet name, in UTF-16 code units.
const MAX_SHEET_NAME_UTF16: usize = 31;

/// Sheet names for tables titled `titles`, in order: [`SheetNames::next`] for
/// each.
#[cfg(test)]
fn sheet_names<'a>(titles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names = SheetNames::default();
    titles.into_iter().map(|title| names.next(title)).collect()
}

/// The names given so far to a workbook's sheets, so that the next is unique.
#[derive(Debug)]
pub(crate) struct SheetNames {
    /// Lower case, as Excel compares sheet names ignoring case.
    taken_lowercase: Vec<String>,
}

impl Default for SheetNames {
    fn default() -> SheetNames {
        // Excel reserves `History` for its change tracking.
        SheetNames { taken_lowercase: vec!["history".to_owned()] }
    }
}

impl SheetNames {
    /// The name of the next sheet, titled `title`: the title with
    /// `[ ] : * ? / \` and control characters replaced by `_`, without leading
    /// or trailing apostrophes and spaces, cut to 31 UTF-16 units; a title
    /// left empty becomes `Sheet<n>` (n counting sheets from 1). A name
    /// already taken (ignoring case; `History` is reserved by Excel) gets
    /// ` (2)`, ` (3)`, ... with the title cut further to make room.
    pub(crate) fn next(&mut self, title: &str) -> String {
        let number = self.taken_lowercase.len();
        let base = valid_name(title).unwrap_or_else(|| format!("Sheet{number}"));
        let mut name = base.clone();
        let mut copy = 2;
        while self.taken_lowercase.contains(&name.to_lowercase()) {
            let suffix = format!(" ({copy})");
            let room = MAX_SHEET_NAME_UTF16 - suffix.len();
            name = format!("{}{suffix}", cut_utf16(&base, room).trim_end_matches(is_trimmed));
            copy += 1;
        }
        self.taken_lowercase.push(name.to_lowercase());
        name
    }
}

fn valid_name(title: &str) -> Option<String> {
    let replaced: String = title
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let name = cut_utf16(replaced.trim_matches(is_trimmed), MAX_SHEET_NAME_UTF16)
        .trim_end_matches(is_trimmed);
    (!name.is_empty()).then(|| name.to_owned())
}

fn is_trimmed(c: char) -> bool {
    c == '\'' || c.is_whitespace()
}

/// The longest prefix of `text` of at most `max` UTF-16 units.
fn cut_utf16(text: &str, max: usize) -> &str {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &text[..at];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(titles: &[&str], expected: &[&str]) {
        assert_eq!(sheet_names(titles.iter().copied()), expected);
    }

    #[test]
    fn invalid_characters_are_replaced() {
        check(&["Seats [2026]: a/b\\c*?"], &["Seats _2026__ a_b_c__"]);
        check(&["line\nbreak"], &["line_break"]);
    }

    #[test]
    fn apostrophes_and_spaces_are_trimmed() {
        check(&["'Seats'"], &["Seats"]);
        check(&["  ' Seats '  "], &["Seats"]);
        check(&["It's"], &["It's"]);
    }

    #[test]
    fn empty_titles_get_numbered_names() {
        check(&["", "Logins", "  ", "'"], &["Sheet1", "Logins", "Sheet3", "Sheet4"]);
    }

    #[test]
    fn long_titles_are_cut_to_31_units() {
        // 26 letters + "12345" = 31 characters; one more is cut.
        check(&["abcdefghijklmnopqrstuvwxyz123456"], &["abcdefghijklmnopqrstuvwxyz12345"]);
        // "𝄞" is 2 UTF-16 units: 15 of them are 30 units, a 16th would be 32.
        check(&[&"𝄞".repeat(16)], &[&"𝄞".repeat(15)]);
        // A cut that ends in a space or apostrophe drops it too.
        check(&["abcdefghijklmnopqrstuvwxyz1234 x"], &["abcdefghijklmnopqrstuvwxyz1234"]);
    }

    #[test]
    fn repeated_names_are_numbered() {
        check(
            &["Seats", "seats", "SEATS", "Seats (2)"],
            &["Seats", "seats (2)", "SEATS (3)", "Seats (2) (2)"],
        );
        // 31 characters, then room for 27 of them before " (2)".
        let long = "abcdefghijklmnopqrstuvwxyz12345";
        check(&[long, long], &[long, "abcdefghijklmnopqrstuvwxyz1 (2)"]);
    }

    #[test]
    fn history_is_reserved() {
        check(&["History", "history"], &["History (2)", "history (3)"]);
    }
}
