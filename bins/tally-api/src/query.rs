//! Query strings, read strictly: every parameter must be one the endpoint
//! documents, given once, in UTF-8.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode;
use tally_seats::Month;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;

use crate::error::ApiError;

/// A request's query parameters, taken one by one by the handler.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Reads `query` (the raw text after `?`) against the query parameters that
    /// the operation `P` documents in the OpenAPI document, so that what is
    /// accepted and what is documented cannot drift apart.
    ///
    /// Unknown names, repeated names and values that are not UTF-8 once decoded
    /// are refused, each naming the parameter.
    pub fn parse<P: utoipa::Path>(query: Option<&str>) -> Result<QueryParams, ApiError> {
        let known: Vec<String> = P::operation()
            .parameters
            .unwrap_or_default()
            .into_iter()
            .filter_map(|parameter| match parameter {
                RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query => {
                    Some(parameter.name)
                }
                _ => None,
            })
            .collect();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for piece in query.unwrap_or("").split('&').filter(|piece| !piece.is_empty()) {
            let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = decode(raw_name).map_err(|_| ApiError::UnknownParameter {
                name: String::from_utf8_lossy(raw_name.as_bytes()).into_owned(),
                known: known.join(", "),
            })?;
            if !known.contains(&name) {
                return Err(ApiError::UnknownParameter { name, known: known.join(", ") });
            }
            let value = decode(raw_value)
                .map_err(|_| ApiError::bad_parameter(&name, "the value is not UTF-8 text"))?;
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(ApiError::bad_parameter(&name, "given more than once"));
            }
            pairs.push((name, value));
        }
        Ok(QueryParams { pairs })
    }

    /// The value of `name`, if given.
    pub fn text(&self, name: &str) -> Option<String> {
        self.pairs.iter().find(|(seen, _)| seen == name).map(|(_, value)| value.clone())
    }

    /// The value of `name`, if given and not empty.
    pub fn filter(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.text(name) {
            Some(value) if value.is_empty() => {
                Err(ApiError::bad_parameter(name, "is empty; leave it out to not filter"))
            }
            value => Ok(value),
        }
    }

    /// A month, `YYYY-MM`.
    pub fn month(&self, name: &str) -> Result<Option<Month>, ApiError> {
        self.text(name).map(|text| parse_month(name, &text)).transpose()
    }

    /// An RFC 3339 instant.
    pub fn instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.text(name)
            .map(|text| {
                DateTime::parse_from_rfc3339(&text).map(|at| at.with_timezone(&Utc)).map_err(|_| {
                    ApiError::bad_parameter(
                        name,
                        format!("{text:?} is not an RFC 3339 instant such as 2026-03-02T09:00:00Z"),
                    )
                })
            })
            .transpose()
    }
}

fn decode(raw: &str) -> Result<String, std::str::Utf8Error> {
    // In a query string `+` is a space (HTML forms), and `%2B` a plus.
    let raw = raw.replace('+', " ");
    percent_decode(raw.as_bytes()).decode_utf8().map(|text| text.into_owned())
}

fn parse_month(name: &str, text: &str) -> Result<Month, ApiError> {
    text.parse()
        .map_err(|error: tally_seats::MonthError| ApiError::bad_parameter(name, error.to_string()))
}

/// Checks that `from` is not after `to`.
pub fn check_range<T: PartialOrd + std::fmt::Display>(
    from: &Option<T>,
    to: &Option<T>,
) -> Result<(), ApiError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => {
            Err(ApiError::bad("bad_range", "from", format!("from ({from}) is after to ({to})")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[utoipa::path(
        get,
        path = "/example",
        params(("kind" = Option<String>, Query), ("from" = Option<String>, Query)),
        responses((status = 200))
    )]
    fn example() {}

    fn check(query: &str, expected: Result<Vec<(&str, &str)>, &str>) {
        example();
        let found = QueryParams::parse::<__path_example>(Some(query))
            .map(|params| params.pairs)
            .map_err(|error| error.problem().code);
        let expected = expected
            .map(|pairs| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
            .map_err(str::to_owned);
        assert_eq!(found, expected, "{query}");
    }

    #[test]
    fn queries_are_read_strictly() {
        check("kind=login&from=2026-03", Ok(vec![("kind", "login"), ("from", "2026-03")]));
        check("kind=a%20b+c%2B", Ok(vec![("kind", "a b c+")]));
        check("", Ok(vec![]));
        check("kind=login&sort=month", Err("unknown_parameter"));
        check("kind=%FF", Err("bad_parameter"));
        check("%FF=1", Err("unknown_parameter"));
        check("kind=a&kind=b", Err("bad_parameter"));
    }

    #[test]
    fn months_are_year_dash_month() {
        assert_eq!(parse_month("from", "2026-03").unwrap(), Month { year: 2026, month: 3 });
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", "2026-03-01", "march"] {
            assert!(parse_month("from", bad).is_err(), "{bad}");
        }
    }
}
