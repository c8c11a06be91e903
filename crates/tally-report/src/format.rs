//! The output formats and the options every writer takes.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 4180 comma-separated values, CRLF line ends, UTF-8.
    Csv,
    /// One JSON object per table (see `docs/reports.md`).
    Json,
    /// An Office Open XML workbook.
    Xlsx,
}

impl Format {
    /// The HTTP media type of the format, as sent in `Content-Type`.
    pub fn media_type(&self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name extension of the format, without the dot: `csv`, `json`
    /// or `xlsx`. Also the name [`FromStr`] accepts.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Reads `csv`, `json` or `xlsx`, in lower case exactly.
    fn from_str(text: &str) -> Result<Format, UnknownFormat> {
        match text {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(UnknownFormat { value: text.to_owned() }),
        }
    }
}

/// A format name that is not `csv`, `json` or `xlsx`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format {value:?}: expected csv, json or xlsx")]
pub struct UnknownFormat {
    /// The name given.
    pub value: String,
}

/// How the writers show values that depend on the reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// The account's time zone. [`Cell::DateTime`](crate::Cell::DateTime) values
    /// are shown in it in CSV (RFC 3339 with the zone's offset) and XLSX (local
    /// date and time; the header names the zone). JSON keeps RFC 3339 in UTC
    /// with `Z`. Defaults to UTC.
    pub time_zone: Tz,
    /// Whether CSV starts with a UTF-8 byte-order mark (`EF BB BF`), which
    /// spreadsheet programs that read CSV in a legacy code page otherwise
    /// (Excel on Windows) take as the sign to read it as UTF-8, so that
    /// "García" is not shown as "GarcÃ­a". Off by default, as RFC 4180 and
    /// most programs reading CSV expect none. Only CSV has one: JSON must not
    /// start with one (RFC 8259) and XLSX is a zip, so their writers never
    /// read this.
    pub csv_byte_order_mark: bool,
}

impl WriteOptions {
    /// Options showing date-times in `time_zone`, CSV without a byte-order mark.
    pub fn new(time_zone: Tz) -> WriteOptions {
        WriteOptions { time_zone, csv_byte_order_mark: false }
    }

    /// The same options with CSV starting with a byte-order mark, or not.
    pub fn with_csv_byte_order_mark(self, csv_byte_order_mark: bool) -> WriteOptions {
        WriteOptions { csv_byte_order_mark, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<(&str, &str), &str>) {
        let found = text
            .parse::<Format>()
            .map(|format| (format.media_type(), format.extension()))
            .map_err(|error| error.to_string());
        assert_eq!(found, expected.map_err(str::to_owned));
    }

    #[test]
    fn names() {
        check("csv", Ok(("text/csv; charset=utf-8", "csv")));
        check("json", Ok(("application/json", "json")));
        check(
            "xlsx",
            Ok(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")),
        );
        check("CSV", Err("unknown report format \"CSV\": expected csv, json or xlsx"));
        check("xls", Err("unknown report format \"xls\": expected csv, json or xlsx"));
        check("", Err("unknown report format \"\": expected csv, json or xlsx"));
    }
}
