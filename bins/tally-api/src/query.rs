//! Query strings, read strictly into one typed struct per endpoint.
//!
//! Each endpoint's query is a struct that derives both serde's `Deserialize`
//! (what is accepted, read by `serde_urlencoded`) and utoipa's `IntoParams`
//! (what the OpenAPI document lists), so the two cannot drift apart. [`parse`]
//! refuses, naming the parameter: a name the struct does not have, a name given
//! twice, a value that is not UTF-8 once decoded. The fields' own readers
//! ([`filter`], [`month`], [`instant`], the [`ClosedFilter`] types) refuse an
//! empty filter and a bad month, instant or closed-set value, saying what is
//! accepted.

use chrono::{DateTime, NaiveDate, Utc};
use percent_encoding::percent_decode;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use tally_figures::FilterError;
use tally_figures::InstantOrDay;
use tally_seats::Month;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::error::ApiError;
use crate::list::{ListParameters, Listed};

/// Reads `query` (the raw text after `?`) into `T`, whose `IntoParams` names
/// the parameters accepted.
pub fn parse<T: DeserializeOwned + IntoParams>(query: Option<&str>) -> Result<T, ApiError> {
    Checked::new(query, &[names::<T>()])?.read()
}

/// Reads a listing's query: its filters `F`, then the list convention's
/// parameters. The listing's operation documents both (`params(F,
/// ListParameters)`), and a name neither takes is refused.
pub fn parse_listing<F: DeserializeOwned + IntoParams, R: Listed>(
    query: Option<&str>,
) -> Result<(F, ListParameters<R>), ApiError> {
    let checked = Checked::new(query, &[names::<F>(), names::<ListParameters<R>>()])?;
    Ok((checked.read()?, checked.read()?))
}

/// The names of the parameters `T` takes, in the order it documents them.
pub fn names<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|parameter| parameter.name)
        .collect()
}

/// A query string whose names are known and given once, and whose values are
/// UTF-8: its parts can be read into the structs that document them.
pub struct Checked<'a> {
    query: &'a str,
}

impl Checked<'_> {
    /// Checks `query` against the names of the parts it is made of.
    pub fn new<'a>(query: Option<&'a str>, parts: &[Vec<String>]) -> Result<Checked<'a>, ApiError> {
        let query = query.unwrap_or("");
        check_names(query, &parts.concat())?;
        Ok(Checked { query })
    }

    /// Reads the part `T`, leaving the names of the other parts to them.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let pairs = form_urlencoded::parse(self.query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(
            |error| ApiError::bad_parameter(&error.path().to_string(), error.inner().to_string()),
        )
    }
}

/// What serde_urlencoded does not check: it decodes bytes that are not UTF-8
/// into replacement characters, so a filter would silently look for them.
fn check_names(query: &str, known: &[String]) -> Result<(), ApiError> {
    let mut seen: Vec<String> = Vec::new();
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = decode(raw_name).map_err(|_| ApiError::UnknownParameter {
            name: String::from_utf8_lossy(raw_name.as_bytes()).into_owned(),
            known: known.join(", "),
        })?;
        if !known.contains(&name) {
            return Err(ApiError::UnknownParameter { name, known: known.join(", ") });
        }
        decode(raw_value)
            .map_err(|_| ApiError::bad_parameter(&name, "the value is not UTF-8 text"))?;
        if seen.contains(&name) {
            return Err(ApiError::bad_parameter(&name, "given more than once"));
        }
        seen.push(name);
    }
    Ok(())
}

fn decode(raw: &str) -> Result<String, std::str::Utf8Error> {
    // In a query string `+` is a space (HTML forms), and `%2B` a plus.
    let raw = raw.replace('+', " ");
    percent_decode(raw.as_bytes()).decode_utf8().map(|text| text.into_owned())
}

fn given<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.is_empty() {
        return Err(D::Error::custom("is empty; leave it out to not filter"));
    }
    Ok(text)
}

/// A filter's text, refused when empty (rather than read as "no filter").
pub fn filter<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    given(deserializer).map(Some)
}

/// A month, `YYYY-MM`.
pub fn month<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Month>, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(|error: tally_seats::MonthError| D::Error::custom(error))
}

/// A day, `YYYY-MM-DD`.
pub fn day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{text:?} is not a date such as 2026-04-01")))
}

/// An RFC 3339 instant.
pub fn instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text).map(|at| Some(at.with_timezone(&Utc))).map_err(|_| {
        D::Error::custom(format!(
            "{text:?} is not an RFC 3339 instant such as 2026-03-02T09:00:00Z"
        ))
    })
}

/// An RFC 3339 instant, or a date standing for the start of that day in the
/// account's time zone.
pub fn instant_or_day<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<InstantOrDay>, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse()
        .map(Some)
        .map_err(|error: tally_figures::InstantOrDayError| D::Error::custom(error))
}

/// A closed set a filter takes, by wire name.
pub trait WireName: Sized {
    /// Every member's wire name.
    fn wire_names() -> Vec<&'static str>;
    /// The member called `text`.
    fn from_wire(text: &str) -> Option<Self>;
}

macro_rules! wire_name_of_events {
    ($($closed:ty),+) => {$(
        impl WireName for $closed {
            fn wire_names() -> Vec<&'static str> {
                <$closed>::WIRE_NAMES.to_vec()
            }
            fn from_wire(text: &str) -> Option<Self> {
                <$closed>::parse(text)
            }
        }
    )+};
}

wire_name_of_events!(
    tally_events::ResourceKind,
    tally_events::Operation,
    tally_events::AuditStatus,
    tally_events::SourceType
);

impl WireName for tally_seats::SeatStatus {
    fn wire_names() -> Vec<&'static str> {
        tally_seats::SeatStatus::ALL.map(tally_seats::SeatStatus::as_str).to_vec()
    }
    fn from_wire(text: &str) -> Option<Self> {
        tally_seats::SeatStatus::parse(text)
    }
}

/// A filter taking a member of a closed set by its wire name, documented as
/// the choice of those names, from the same list it is read against.
pub trait ClosedFilter: Sized {
    /// The set's type.
    type Member: WireName;
    /// The filter of `member`.
    fn of(member: Self::Member) -> Self;
    /// The member named.
    fn member(self) -> Self::Member;
}

/// The member a closed-set filter names, if it was given.
pub fn member<F: ClosedFilter>(filter: Option<F>) -> Option<F::Member> {
    filter.map(F::member)
}

fn read_member<'de, F: ClosedFilter, D: Deserializer<'de>>(deserializer: D) -> Result<F, D::Error> {
    let text = given(deserializer)?;
    F::Member::from_wire(&text).map(F::of).ok_or_else(|| {
        D::Error::custom(format!("{text:?} is not one of {}", F::Member::wire_names().join(", ")))
    })
}

fn member_choices<T: WireName>() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(T::wire_names())).into()
}

// One type per closed set, rather than one generic type: utoipa documents
// parameters of generic types through its internal composition, which these
// do not need.
macro_rules! closed_filters {
    ($($filter:ident: $member:ty, $what:literal;)+) => {$(
        #[doc = concat!("A filter naming ", $what, ".")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $filter(pub $member);

        impl ClosedFilter for $filter {
            type Member = $member;
            fn of(member: $member) -> $filter {
                $filter(member)
            }
            fn member(self) -> $member {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $filter {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$filter, D::Error> {
                read_member(deserializer)
            }
        }

        impl PartialSchema for $filter {
            fn schema() -> RefOr<Schema> {
                member_choices::<$member>()
            }
        }

        impl ToSchema for $filter {}
    )+};
}

closed_filters! {
    ResourceFilter: tally_events::ResourceKind, "a resource kind";
    OperationFilter: tally_events::Operation, "an operation";
    AuditStatusFilter: tally_events::AuditStatus, "an audit entry's status";
    SourceTypeFilter: tally_events::SourceType, "a source type";
    SeatStatusFilter: tally_seats::SeatStatus, "a seat status";
}

impl From<FilterError> for ApiError {
    fn from(error: FilterError) -> ApiError {
        match error {
            FilterError::UnknownKind { .. } => ApiError::bad_parameter("kind", error.to_string()),
            FilterError::BackwardsRange { .. } => {
                ApiError::bad("bad_range", "from", error.to_string())
            }
        }
    }
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

/// The query of an answer given as of an instant, which the operation's
/// description explains.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The instant the answer is as of (RFC 3339); default now.
    #[serde(default, deserialize_with = "instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// The query of an endpoint that takes no parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoParameters {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    struct Example {
        #[serde(default, deserialize_with = "filter")]
        kind: Option<String>,
        #[serde(default, deserialize_with = "month")]
        #[param(value_type = Option<String>)]
        from: Option<Month>,
    }

    fn check(query: &str, expected: Result<Example, (&str, &str)>) {
        let found = parse::<Example>(Some(query)).map_err(|error| {
            let problem = error.problem();
            (problem.code, problem.parameter.unwrap_or_default())
        });
        let expected =
            expected.map_err(|(code, parameter)| (code.to_owned(), parameter.to_owned()));
        assert_eq!(found, expected, "{query}");
    }

    #[test]
    fn queries_are_read_strictly() {
        let march = Some(Month { year: 2026, month: 3 });
        check("kind=login&from=2026-03", Ok(Example { kind: Some("login".into()), from: march }));
        check("kind=a%20b+c%2B", Ok(Example { kind: Some("a b c+".into()), from: None }));
        check("", Ok(Example { kind: None, from: None }));
        check("&&kind=x&", Ok(Example { kind: Some("x".into()), from: None }));
        check("kind=login&sort=month", Err(("unknown_parameter", "sort")));
        check("sort=%FF", Err(("unknown_parameter", "sort")));
        check("kind=%FF", Err(("bad_parameter", "kind")));
        check("%FF=1", Err(("unknown_parameter", "%FF")));
        check("kind=a&kind=b", Err(("bad_parameter", "kind")));
        check("kind=", Err(("bad_parameter", "kind")));
        check("kind", Err(("bad_parameter", "kind")));
        check("from=2026-13", Err(("bad_parameter", "from")));
    }

    #[derive(Debug, Deserialize, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    struct Statuses {
        #[param(inline)]
        status: Option<AuditStatusFilter>,
    }

    #[test]
    fn a_closed_set_is_read_by_its_wire_names_and_documented_with_them() {
        let status = |query: &str| {
            parse::<Statuses>(Some(query))
                .map(|statuses| member(statuses.status))
                .map_err(|error| error.to_string())
        };
        assert_eq!(status("status=failure"), Ok(Some(tally_events::AuditStatus::Failure)));
        assert_eq!(status(""), Ok(None));
        assert_eq!(
            status("status=done"),
            Err("query parameter \"status\": \"done\" is not one of success, failure".to_owned())
        );
        assert!(status("status=").is_err());
        let documented = serde_json::to_value(&Statuses::into_params(|| None)[0]).unwrap();
        assert_eq!(documented["schema"]["enum"], serde_json::json!(["success", "failure"]));
    }

    #[test]
    fn an_unknown_parameter_is_told_the_known_ones() {
        let error = parse::<Example>(Some("colour=red")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown query parameter \"colour\"; this endpoint takes: kind, from"
        );
    }

    #[test]
    fn months_are_year_dash_month() {
        let month = |text: &str| {
            parse::<Example>(Some(&format!("from={text}"))).map(|example| example.from)
        };
        assert_eq!(month("2026-03").unwrap(), Some(Month { year: 2026, month: 3 }));
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", "2026-03-01", "march"] {
            assert!(month(bad).is_err(), "{bad}");
        }
    }
}
