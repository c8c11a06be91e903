//! Formula neutralisation (OWASP "CSV injection"): text a spreadsheet would
//! run as a formula is written so that it stays text.

/// Whether a spreadsheet could take `text` for a formula: it starts with `=`,
/// `+`, `-` or `@`, or with a tab or carriage return (which some programs skip
/// before looking at the next character).
pub(crate) fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: bool) {
        assert_eq!(looks_like_formula(text), expected, "{text:?}");
    }

    #[test]
    fn leading_characters() {
        for text in ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=", "-"] {
            check(text, true);
        }
        for text in ["", "1+2", " =1", "a=b", "'=1", "\n=1", "€", "1-2"] {
            check(text, false);
        }
    }
}
