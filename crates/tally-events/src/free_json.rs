//! Free-form JSON (`properties`, and an audit entry's `before` and `after`) read
//! from its text as sent, rather than through `serde_json::Value`.
//!
//! A `Value` keeps the last of two values given one key, and holds every number
//! that is not a 64-bit integer as a 64-bit float, so `1.0e-400` would become
//! `0.0`. Reading the text instead finds keys sent twice, and keeps each number
//! exactly: written as serde_json writes the 64-bit number it reads, when that
//! is the same decimal number (so events stored before this reader compare equal
//! to their resends), and otherwise as sent.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Number;

/// A free-form value in canonical JSON: no whitespace, object keys sorted by their
/// UTF-8 bytes at every depth, strings written as serde_json writes them, numbers
/// exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CanonicalJson {
    /// The canonical text.
    pub(crate) text: String,
    /// The first number (in the order sent) that no 64-bit number holds exactly,
    /// as sent; such a number is kept in `text` as sent.
    pub(crate) inexact_number: Option<String>,
}

/// Why a free-form value was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FreeJsonError {
    /// An object holds a key twice; `path` names it from the field down, as
    /// `properties.plan` or `after.labels[2].tier`.
    DuplicateKey { path: String },
    /// The text is not JSON.
    Syntax { reason: String },
}

/// Reads `text`, one JSON value found in the field `field`, into canonical JSON.
pub(crate) fn canonicalise(text: &str, field: &str) -> Result<CanonicalJson, FreeJsonError> {
    let mut reader = Reader { text, at: 0, inexact_number: None };
    let mut out = String::with_capacity(text.len());
    let mut path = field.to_owned();
    reader.value(&mut path, &mut out)?;
    reader.skip_blank();
    if reader.at != text.len() {
        return Err(reader.syntax("trailing characters"));
    }
    Ok(CanonicalJson { text: out, inexact_number: reader.inexact_number })
}

/// The JSON type of the value `text` holds, named as [`crate::check::json_type`]
/// names it, told by its first non-blank character.
pub(crate) fn json_type_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    inexact_number: Option<String>,
}

impl<'a> Reader<'a> {
    fn syntax(&self, what: &str) -> FreeJsonError {
        FreeJsonError::Syntax { reason: format!("{what} at byte {}", self.at) }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), FreeJsonError> {
        self.skip_blank();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.syntax(&format!("expected `{}`", byte as char)))
        }
    }

    fn value(&mut self, path: &mut String, out: &mut String) -> Result<(), FreeJsonError> {
        self.skip_blank();
        match self.peek() {
            Some(b'{') => self.object(path, out),
            Some(b'[') => self.array(path, out),
            Some(b'"') => {
                let token = self.string_token()?;
                token.write(out);
                Ok(())
            }
            Some(b't') => self.literal("true", out),
            Some(b'f') => self.literal("false", out),
            Some(b'n') => self.literal("null", out),
            Some(b'-' | b'0'..=b'9') => self.number(out),
            _ => Err(self.syntax("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, out: &mut String) -> Result<(), FreeJsonError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            out.push_str(word);
            Ok(())
        } else {
            Err(self.syntax("expected a value"))
        }
    }

    fn number(&mut self, out: &mut String) -> Result<(), FreeJsonError> {
        let start = self.at;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.at += 1;
        }
        let sent = &self.text[start..self.at];
        match exact_number(sent) {
            Some(Some(written)) => out.push_str(&written),
            Some(None) => {
                if self.inexact_number.is_none() {
                    self.inexact_number = Some(sent.to_owned());
                }
                out.push_str(sent);
            }
            None => {
                self.at = start;
                return Err(self.syntax("invalid number"));
            }
        }
        Ok(())
    }

    /// A string from its opening quote to its closing one, escapes left as sent.
    fn string_token(&mut self) -> Result<StringToken<'a>, FreeJsonError> {
        let start = self.at;
        self.at += 1;
        let bytes = self.text.as_bytes();
        let mut escaped = false;
        loop {
            match bytes.get(self.at) {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.at += 2;
                }
                Some(byte) if *byte < 0x20 => {
                    return Err(self.syntax("control character in a string"));
                }
                Some(_) => self.at += 1,
            }
        }
        self.at += 1;
        let text = self.text;
        let token = &text[start..self.at];
        if !escaped {
            // No escape and no control character: serde_json writes it as sent.
            return Ok(StringToken {
                sent: token,
                decoded: Cow::Borrowed(&token[1..token.len() - 1]),
            });
        }
        let decoded: String = serde_json::from_str(token).map_err(|error| {
            FreeJsonError::Syntax { reason: format!("{error} in the string at byte {start}") }
        })?;
        Ok(StringToken { sent: token, decoded: Cow::Owned(decoded) })
    }

    fn array(&mut self, path: &mut String, out: &mut String) -> Result<(), FreeJsonError> {
        self.at += 1;
        out.push('[');
        self.skip_blank();
        if self.peek() == Some(b']') {
            self.at += 1;
            out.push(']');
            return Ok(());
        }
        let path_len = path.len();
        for index in 0.. {
            if index > 0 {
                out.push(',');
            }
            path.truncate(path_len);
            write!(path, "[{index}]").expect("writing to a String never fails");
            self.value(path, out)?;
            self.skip_blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    break;
                }
                _ => return Err(self.syntax("expected `,` or `]`")),
            }
        }
        path.truncate(path_len);
        out.push(']');
        Ok(())
    }

    fn object(&mut self, path: &mut String, out: &mut String) -> Result<(), FreeJsonError> {
        self.at += 1;
        self.skip_blank();
        if self.peek() == Some(b'}') {
            self.at += 1;
            out.push_str("{}");
            return Ok(());
        }
        // Each entry is written to `out` as it is read, and each value's place
        // noted. Keys mostly come sorted already (canonical JSON sent again);
        // otherwise the entries are written out again in key order.
        let object_start = out.len();
        out.push('{');
        let mut entries: Vec<(StringToken<'a>, std::ops::Range<usize>)> = Vec::new();
        let mut in_order = true;
        let path_len = path.len();
        loop {
            self.skip_blank();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a key"));
            }
            let key = self.string_token()?;
            self.expect(b':')?;
            path.truncate(path_len);
            path.push('.');
            path.push_str(&key.decoded);
            if let Some((last, _)) = entries.last() {
                in_order &= last.decoded.as_bytes() < key.decoded.as_bytes();
                out.push(',');
            }
            key.write(out);
            out.push(':');
            let start = out.len();
            self.value(path, out)?;
            entries.push((key, start..out.len()));
            self.skip_blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    break;
                }
                _ => return Err(self.syntax("expected `,` or `}`")),
            }
        }
        path.truncate(path_len);
        if in_order {
            // Strictly increasing: sorted, and no key twice.
            out.push('}');
            return Ok(());
        }
        entries.sort_by(|(a, _), (b, _)| a.decoded.as_bytes().cmp(b.decoded.as_bytes()));
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].0.decoded == pair[1].0.decoded) {
            return Err(FreeJsonError::DuplicateKey {
                path: format!("{path}.{}", pair[0].0.decoded),
            });
        }
        let values = out.split_off(object_start);
        out.push('{');
        for (index, (key, range)) in entries.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            key.write(out);
            out.push(':');
            out.push_str(&values[range.start - object_start..range.end - object_start]);
        }
        out.push('}');
        Ok(())
    }
}

struct StringToken<'a> {
    /// From quote to quote, as sent.
    sent: &'a str,
    decoded: Cow<'a, str>,
}

impl StringToken<'_> {
    /// Writes the string as serde_json writes it.
    fn write(&self, out: &mut String) {
        match &self.decoded {
            Cow::Borrowed(_) => out.push_str(self.sent),
            Cow::Owned(decoded) => out.push_str(
                &serde_json::to_string(decoded.as_str()).expect("a string always serialises"),
            ),
        }
    }
}

/// A number as canonical JSON writes it: `Some(Some(written))` as serde_json
/// writes it when a 64-bit integer or float holds its value exactly,
/// `Some(None)` when none does (it is then kept as sent), `None` when `sent` is
/// not a JSON number.
fn exact_number(sent: &str) -> Option<Option<Cow<'_, str>>> {
    let digits = sent.strip_prefix('-').unwrap_or(sent);
    // The common case: a whole number of up to 18 digits, written as sent. JSON
    // forbids leading zeros, and `-0` is left to the general case.
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && sent != "-0"
    {
        return Some(Some(Cow::Borrowed(sent)));
    }
    let value = Decimal::parse(sent)?;
    // Out of a float's range (`1e400`), serde_json refuses the number.
    let Ok(number) = serde_json::from_str::<Number>(sent) else {
        return Some(None);
    };
    let written = serde_json::to_string(&number).expect("a number always serialises");
    Some((Decimal::parse(&written).as_ref() == Some(&value)).then_some(Cow::Owned(written)))
}

/// A decimal number's exact value: `0.digits × 10^exponent`, negative or not,
/// with no leading or trailing zero in `digits`; zero is no digits, not negative.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    /// Reads a JSON number; `None` when `text` is not one.
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(index) => (&unsigned[..index], Some(&unsigned[index + 1..])),
            None => (unsigned, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (mantissa.contains('.') && fraction.is_empty())
            || (whole.len() > 1 && whole.starts_with('0'))
        {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(text) => {
                let (sign, digits) = match text.as_bytes().first() {
                    Some(b'-') => (-1, &text[1..]),
                    Some(b'+') => (1, &text[1..]),
                    _ => (1, text),
                };
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                // An exponent too long for i64 is far outside any float's range.
                sign * digits.parse::<i64>().unwrap_or(i64::MAX / 4)
            }
        };
        let significant = format!("{whole}{fraction}");
        let leading_zeros = significant.bytes().take_while(|byte| *byte == b'0').count();
        let digits = significant[leading_zeros..].trim_end_matches('0');
        if digits.is_empty() {
            return Some(Decimal { negative: false, digits: String::new(), exponent: 0 });
        }
        let point = whole.len() as i64 - leading_zeros as i64;
        Some(Decimal {
            negative,
            digits: digits.to_owned(),
            exponent: point.saturating_add(exponent),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<(&str, Option<&str>), FreeJsonError>) {
        let got = canonicalise(text, "properties");
        let got = got.as_ref().map(|json| (json.text.as_str(), json.inexact_number.as_deref()));
        assert_eq!(got, expected.as_ref().map(|(text, inexact)| (*text, *inexact)), "{text:?}");
    }

    fn duplicate(path: &str) -> Result<(&'static str, Option<&'static str>), FreeJsonError> {
        Err(FreeJsonError::DuplicateKey { path: path.to_owned() })
    }

    #[test]
    fn keys_are_sorted_by_bytes_and_whitespace_dropped_at_every_depth() {
        check(
            r#" { "b" : 1 , "a" : { "d" : [ true , null ] , "c" : "x" } } "#,
            Ok((r#"{"a":{"c":"x","d":[true,null]},"b":1}"#, None)),
        );
        // Upper case sorts before lower case, and "é" (0xC3 0xA9) after "z".
        check(r#"{"é":1,"z":2,"Z":3}"#, Ok((r#"{"Z":3,"z":2,"é":1}"#, None)));
        check("[]", Ok(("[]", None)));
        check("{ }", Ok(("{}", None)));
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        // `\u0041` is `A`, `\/` is `/`; a tab and U+0001 stay escaped.
        check(r#"{"\u0041":"\/ \t \u0001 é"}"#, Ok((r#"{"A":"/ \t \u0001 é"}"#, None)));
        // Two spellings of one key are one key.
        check(r#"{"A":1,"\u0041":2}"#, duplicate("properties.A"));
    }

    #[test]
    fn numbers_a_64_bit_number_holds_are_written_as_serde_json_writes_them() {
        // As serde_json has always written them: 1e3 is the float 1000.0, and
        // 1.50 the float 1.5; 2^64 - 1 is a whole number.
        check(
            "[1,-2,1.50,1e3,1E+20,-0,18446744073709551615,-9223372036854775808]",
            Ok(("[1,-2,1.5,1000.0,1e+20,-0.0,18446744073709551615,-9223372036854775808]", None)),
        );
    }

    #[test]
    fn numbers_no_64_bit_number_holds_are_kept_as_sent() {
        // 30 digits: the nearest float is 1.2345678901234568e29, another number.
        check(
            r#"{"big":123456789012345678901234567890}"#,
            Ok((
                r#"{"big":123456789012345678901234567890}"#,
                Some("123456789012345678901234567890"),
            )),
        );
        // Below the smallest float, which would be 0.0; above the largest.
        check("[1.0e-400,1e400]", Ok(("[1.0e-400,1e400]", Some("1.0e-400"))));
        // 0.1 is not exactly a float, but the float nearest it is written 0.1:
        // serde_json gives it back as sent, so it is kept.
        check("0.1", Ok(("0.1", None)));
        // serde_json reads floats fast rather than exactly: this one, as a float
        // writes it, comes back one unit lower in the last place
        // (1.2943755465123462e-236). It is kept as sent.
        check(
            "1.2943755465123464e-236",
            Ok(("1.2943755465123464e-236", Some("1.2943755465123464e-236"))),
        );
        // 2^64 is too large for a u64. A float holds it, but serde_json writes
        // that float 1.8446744073709552e+19, which is 384 more: kept as sent.
        check("18446744073709551616", Ok(("18446744073709551616", Some("18446744073709551616"))));
    }

    #[test]
    fn a_key_sent_twice_is_named_by_its_path() {
        check(r#"{"plan":"pro","seats":3,"plan":"free"}"#, duplicate("properties.plan"));
        check(r#"{"a":[{"x":1},{"y":1,"y":2}]}"#, duplicate("properties.a[1].y"));
        // The same key in two objects is no duplicate.
        check(r#"{"a":{"x":1},"b":{"x":1}}"#, Ok((r#"{"a":{"x":1},"b":{"x":1}}"#, None)));
    }

    #[test]
    fn text_that_is_not_json_is_a_syntax_error() {
        for text in ["{", r#"{"a"}"#, "[1,]", "01", "1.", "-", r#""\ud800""#, "tru", "{} x"] {
            assert!(
                matches!(canonicalise(text, "properties"), Err(FreeJsonError::Syntax { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_type_is_told_by_the_first_character() {
        assert_eq!(json_type_of(" {}"), "an object");
        assert_eq!(json_type_of("[1]"), "an array");
        assert_eq!(json_type_of(r#""x""#), "a string");
        assert_eq!(json_type_of("false"), "a boolean");
        assert_eq!(json_type_of("null"), "null");
        assert_eq!(json_type_of("-1"), "a number");
    }
}
