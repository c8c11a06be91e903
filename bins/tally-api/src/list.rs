//! The list convention every table endpoint shares: `sort` by any column, either
//! way; opaque keyset cursors, sealed so that only the cursors the API made for
//! a listing, account and sort are taken back; a `limit` with a hard maximum;
//! and the answer: a page of JSON, or the whole table as CSV, JSON or XLSX,
//! streamed ([`crate::whole`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use headers_accept::Accept;
use hmac::{Hmac, Mac};
use mediatype::{MediaType, Name, names};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tally_access::StaffScope;
use tally_audit::{AuditAfter, AuditKey};
use tally_figures::FigureTable;
use tally_figures::dashboard::DashboardFormat;
use tally_report::{Cell, Format, TableSink, WriteOptions};
use tally_store::{RunKey, RunsAfter};
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, PartialSchema, ToSchema};

use crate::error::ApiError;
use crate::state::AppState;
use crate::whole::{self, WholeTableError};

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The most rows one page may hold.
pub const MAX_LIMIT: usize = 1000;

/// A sort key value, as kept in a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    /// No value; sorts first.
    Null,
    /// An integer (also instants, as microseconds).
    Integer(i64),
    /// A number.
    Number(f64),
    /// Text (also dates, as `YYYY-MM-DD`).
    Text(String),
}

impl Key {
    fn of(cell: &Cell) -> Key {
        match cell {
            Cell::Empty => Key::Null,
            Cell::Integer(value) => Key::Integer(*value),
            Cell::Decimal(value) | Cell::Percent(value) | Cell::Percentage(value) => {
                Key::Number(*value)
            }
            Cell::Text(text) => Key::Text(text.clone()),
            Cell::Date(date) => Key::Text(date.to_string()),
            Cell::DateTime(at) => Key::Integer(at.timestamp_micros()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Null => 0,
            Key::Integer(_) | Key::Number(_) => 1,
            Key::Text(_) => 2,
        }
    }

    fn compare(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Integer(a), Key::Integer(b)) => a.cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Integer(a), Key::Number(b)) => (*a as f64).total_cmp(b),
            (Key::Number(a), Key::Integer(b)) => a.total_cmp(&(*b as f64)),
            (Key::Number(a), Key::Number(b)) => a.total_cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

fn compare_keys(a: &[Key], b: &[Key]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(a, b)| a.compare(b))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// What a cursor holds: the sort it was made under, the last row's key, and,
/// for a listing computed at an instant, that instant (microseconds since the
/// Unix epoch), so that every page is read at the first page's.
#[derive(Debug, Serialize, Deserialize)]
struct CursorBody {
    sort: String,
    after: Vec<Key>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<i64>,
}

/// The key the API seals its cursors with, derived from the audit log's key
/// (HMAC-SHA256 of a tag of its own under that key). So it needs no file or
/// table of its own, is the same in every API process over one database and
/// after a restart, and tells nothing of the audit key. Cursors made under
/// another key (another database's, or before the key file was replaced) are
/// refused as `bad_cursor`.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// The cursor key of the API whose audit log is sealed with `audit_key`.
    pub fn from_audit_key(audit_key: &[u8; 32]) -> CursorKey {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(audit_key).expect("HMAC accepts keys of any length");
        mac.update(b"tally-api/v1/cursor-key");
        CursorKey(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey { .. }")
    }
}

/// Whose rows a listing holds, which its cursors are sealed with, so that a
/// cursor made for one account's listing is refused on another's.
#[derive(Debug, Clone, Copy)]
pub enum CursorScope<'a> {
    /// One account's listing, by slug.
    Account(&'a str),
    /// The usage monitor's listing across the accounts in a staff team's scope.
    Monitor,
    /// The usage monitor's live activity stream as one staff scope sees it:
    /// its cursors hold an item's account and user, so a cursor made for one
    /// scope is refused on another.
    Staff(&'a StaffScope),
}

/// How many bytes of its HMAC-SHA256 a cursor keeps: 128 bits, as HMAC-SHA-256-128.
const CURSOR_TAG_BYTES: usize = 16;

/// What seals the cursors of one listing for one scope: HMAC-SHA256 under the
/// cursor key over a tag, the listing's name and the scope (each preceded by
/// its length as 8 big-endian bytes), then the cursor's body. A cursor is
/// `base64url(body).base64url(first 16 bytes of the MAC)`; its body holds the
/// sort, so a cursor is also tied to its sort.
#[derive(Clone)]
struct CursorSeal(Hmac<Sha256>);

impl std::fmt::Debug for CursorSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSeal { .. }")
    }
}

impl CursorSeal {
    fn new(key: &CursorKey, listing: &str, scope: CursorScope<'_>) -> CursorSeal {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC accepts keys of any length");
        // Slugs are lower-case letters, digits and hyphens: `,` and `*`
        // cannot be part of one.
        let (scope_kind, accounts) = match scope {
            CursorScope::Account(slug) => ("account", slug.to_owned()),
            CursorScope::Monitor => ("monitor", String::new()),
            CursorScope::Staff(StaffScope::AllAccounts) => ("staff", "*".to_owned()),
            CursorScope::Staff(StaffScope::Accounts(slugs)) => {
                ("staff", slugs.iter().map(String::as_str).collect::<Vec<_>>().join(","))
            }
        };
        for field in ["tally-api/v1/cursor", listing, scope_kind, &accounts] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        CursorSeal(mac)
    }

    fn seal(&self, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(body),
            URL_SAFE_NO_PAD.encode(&tag[..CURSOR_TAG_BYTES])
        )
    }

    /// The body of `cursor` if this seal made it (compared in constant time).
    fn open(&self, cursor: &str) -> Option<Vec<u8>> {
        let (body, tag) = cursor.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if tag.len() != CURSOR_TAG_BYTES {
            return None;
        }
        let mut mac = self.0.clone();
        mac.update(&body);
        mac.verify_truncated_left(&tag).ok().map(|()| body)
    }
}

/// A row type the API lists, and the table that defines its listing: its
/// columns are what `sort` takes.
pub trait Listed: Sized + 'static {
    /// The listing's table.
    fn listing() -> &'static FigureTable<Self>;
    /// Who cuts its pages.
    const PAGING: Paging;
    /// The listing's name, which its cursors are sealed with: a cursor of one
    /// listing is refused on another.
    const NAME: &'static str;
}

/// Who cuts a listing's pages, which decides what its cursors hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// The API, from every row held in memory: a cursor holds the sort
    /// column's value and the listing's key columns.
    InMemory,
    /// The store (runs, the audit log): a cursor holds the sort column's value
    /// and the last row's sequence number.
    ByStore,
}

macro_rules! listed {
    ($($row:ty => $name:literal, $table:expr, $paging:ident);+ $(;)?) => {$(
        impl Listed for $row {
            fn listing() -> &'static FigureTable<Self> {
                &$table
            }
            const PAGING: Paging = Paging::$paging;
            const NAME: &'static str = $name;
        }
    )+};
}

listed!(
    tally_figures::usage::EventCount => "event-counts", tally_figures::usage::EVENT_COUNTS, InMemory;
    tally_figures::dashboard::ActivityRow => "activity", tally_figures::dashboard::ACTIVITY, InMemory;
    tally_figures::usage::AccountEventCount => "monitor/event-counts", tally_figures::usage::MONITOR_EVENT_COUNTS, InMemory;
    tally_figures::monitor::ActivityItem => "monitor/activities", tally_figures::monitor::ACTIVITY_ITEMS, InMemory;
    tally_figures::seats::MonthlySeatsRow => "seats/monthly", tally_figures::seats::MONTHLY_SEATS, InMemory;
    tally_figures::seats::ActivatedSeatRow => "seats/activated", tally_figures::seats::ACTIVATED_SEATS, InMemory;
    tally_figures::runs::RunRow => "runs", tally_figures::runs::RUNS, ByStore;
    tally_figures::audit::AuditRow => "audit", tally_figures::audit::AUDIT_ENTRIES, ByStore;
);

/// What a listing's request brings besides its path: the raw query string,
/// the headers (for `Accept`) and the key its cursors are sealed with. Taken
/// as text; [`ListingQuery::read`] reads it, after the handler has checked
/// access, so that a token learns nothing of an account it may not read.
pub struct ListingQuery {
    query: Option<String>,
    headers: HeaderMap,
    cursor_key: CursorKey,
}

impl FromRequestParts<AppState> for ListingQuery {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ListingQuery {
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            cursor_key: state.cursor_key().clone(),
        })
    }
}

impl ListingQuery {
    /// The listing's filters `F` and the list parameters of the listing of
    /// `R`, its cursors sealed for `scope` (see [`read_listing`]).
    pub fn read<F: DeserializeOwned + IntoParams, R: Listed>(
        &self,
        scope: CursorScope<'_>,
    ) -> Result<(F, ListRequest), ApiError> {
        read_listing::<F, R>(self.query.as_deref(), &self.headers, &self.cursor_key, scope)
    }
}

/// Reads a listing's query, its filters `F` and the list parameters of the
/// listing of `R`, with the `Accept` header; its cursors are sealed with `key`
/// for `scope`.
pub fn read_listing<F: DeserializeOwned + IntoParams, R: Listed>(
    query: Option<&str>,
    headers: &HeaderMap,
    key: &CursorKey,
    scope: CursorScope<'_>,
) -> Result<(F, ListRequest), ApiError> {
    let (filters, list_params) = crate::query::parse_listing::<F, R>(query)?;
    Ok((filters, ListRequest::parse(&list_params, headers, key, scope)?))
}

/// The list convention's query parameters of the listing of `R`, which every
/// listing takes after its filters. Read as text here and checked by
/// [`ListRequest::parse`]; documented with the listing's columns as the choices
/// of `sort`, so the document and the check read the same table.
#[derive(Debug, Deserialize)]
#[serde(bound = "")]
pub struct ListParameters<R> {
    /// A column of the listing; a leading - sorts descending.
    pub sort: Option<String>,
    /// The previous page's next_cursor; not with a whole table.
    pub cursor: Option<String>,
    /// Rows per page of the JSON listing, 1 to 1000; default 100; not with a
    /// whole table.
    pub limit: Option<String>,
    /// csv, json or xlsx: the whole table as a file; or send an Accept header.
    pub format: Option<String>,
    /// true to start a CSV answer with a UTF-8 byte-order mark.
    pub bom: Option<String>,
    #[serde(skip)]
    listing: PhantomData<fn() -> R>,
}

impl<R: Listed> IntoParams for ListParameters<R> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let listing = R::listing();
        let text = |choices: Option<Vec<String>>| {
            ObjectBuilder::new().schema_type(Type::String).enum_values(choices)
        };
        let formats = [Format::Json, Format::Csv, Format::Xlsx].map(|format| format.to_string());
        let limit = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT as i64));
        [
            (
                "sort",
                format!(
                    "{}, with a leading - for descending. Default {}.",
                    listing.columns.iter().map(|column| column.name).collect::<Vec<_>>().join(", "),
                    listing.default_sort
                ),
                text(Some(listing.sort_choices())),
            ),
            (
                "cursor",
                "The previous page's next_cursor. Not with a whole table (format).".to_owned(),
                text(None),
            ),
            (
                "limit",
                format!(
                    "Rows per page of the JSON listing, 1 to {MAX_LIMIT}; default {DEFAULT_LIMIT}. \
                     Not with a whole table (format)."
                ),
                limit,
            ),
            (
                "format",
                "csv, json or xlsx: the whole table as a file, streamed, every row matching the \
                 filters (JSON as docs/reports.md shapes a table). Without it, a page of the JSON \
                 listing. An Accept header of text/csv or the XLSX type does the same."
                    .to_owned(),
                text(Some(formats.to_vec())),
            ),
            (
                "bom",
                "true to start the CSV with a UTF-8 byte-order mark (for Excel on Windows); \
                 default false. Only with CSV."
                    .to_owned(),
                ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true", "false"])),
            ),
        ]
        .into_iter()
        .map(|(name, description, schema)| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        })
        .collect()
    }
}

/// What a listing answers with.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A [`Page`] of JSON: the answer without `format` (and with no `Accept`
    /// header preferring a file).
    Page {
        /// The last row's key, from the cursor.
        after: Option<Vec<Key>>,
        /// Rows to answer at most.
        limit: usize,
    },
    /// Every row, as a file in this format, streamed: `format` given, or an
    /// `Accept` header preferring CSV or XLSX. Takes no `limit` or `cursor`.
    Whole(Format),
}

/// A validated `sort`, `cursor`, `limit`, format and byte-order mark.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The sort column's index in the listing.
    pub sort_column: usize,
    /// Whether largest first.
    pub descending: bool,
    /// A page, or the whole table.
    pub answer: Answer,
    /// Whether a CSV answer starts with a byte-order mark (only ever with CSV).
    byte_order_mark: bool,
    sort_text: String,
    /// The instant the cursor was made at, for a listing computed at one.
    cursor_at: Option<i64>,
    /// The instant this page is computed at, kept in its next cursor.
    at: Option<DateTime<Utc>>,
    /// What seals this listing's cursors.
    seal: CursorSeal,
}

impl ListRequest {
    /// Reads the list parameters of the listing of `R` from `params` and the
    /// `Accept` header. A cursor is taken only if `key` sealed it for this
    /// listing and `scope`, and it was made under the same sort.
    pub fn parse<R: Listed>(
        params: &ListParameters<R>,
        headers: &HeaderMap,
        key: &CursorKey,
        scope: CursorScope<'_>,
    ) -> Result<ListRequest, ApiError> {
        let listing = R::listing();
        let seal = CursorSeal::new(key, R::NAME, scope);
        let key_len = match R::PAGING {
            Paging::InMemory => 1 + listing.key.len(),
            Paging::ByStore => STORE_KEY_LEN,
        };
        let sort_text = params.sort.clone().unwrap_or_else(|| listing.default_sort.to_owned());
        let (descending, name) = match sort_text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, sort_text.as_str()),
        };
        let names: Vec<&str> = listing.columns.iter().map(|column| column.name).collect();
        let sort_column = names.iter().position(|column| *column == name).ok_or_else(|| {
            ApiError::bad(
                "bad_sort",
                "sort",
                format!(
                    "{name:?} is not a column of this listing; sort by one of {}, with a leading - for descending",
                    names.join(", ")
                ),
            )
        })?;
        let whole = match &params.format {
            Some(text) => Some((answer_format(Some(text), headers)?, Asked::Parameter)),
            None => match answer_format(None, headers)? {
                Format::Json => None,
                format => Some((format, Asked::AcceptHeader)),
            },
        };
        if let Some((format, asked)) = whole {
            for (name, given) in [("limit", &params.limit), ("cursor", &params.cursor)] {
                if given.is_some() {
                    return Err(ApiError::bad(
                        "whole_table",
                        name,
                        format!(
                            "{} answers the whole table, not a page, so it takes no {name}: \
                             leave {name} out, or leave out {} to page the JSON listing",
                            asked.describe(format),
                            asked.name(),
                        ),
                    ));
                }
            }
        }
        let byte_order_mark = match params.bom.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(text) => {
                return Err(ApiError::bad_parameter(
                    "bom",
                    format!("{text:?} is not true or false"),
                ));
            }
        };
        if byte_order_mark && whole.map(|(format, _)| format) != Some(Format::Csv) {
            let answer = match whole {
                Some((format, asked)) => asked.describe(format),
                None => "the JSON listing".to_owned(),
            };
            return Err(ApiError::bad_parameter(
                "bom",
                format!(
                    "a byte-order mark starts only a CSV answer, not {answer}: ask for format=csv"
                ),
            ));
        }
        if let Some((format, _)) = whole {
            return Ok(ListRequest {
                sort_column,
                descending,
                answer: Answer::Whole(format),
                byte_order_mark,
                sort_text,
                cursor_at: None,
                at: None,
                seal,
            });
        }
        let limit = page_limit(params.limit.as_deref())?;
        let cursor = params
            .cursor
            .as_deref()
            .map(|cursor| read_cursor(&seal, cursor, &sort_text, key_len))
            .transpose()?;
        let (after, cursor_at) = match cursor {
            Some(body) => (Some(body.after), body.at),
            None => (None, None),
        };
        Ok(ListRequest {
            sort_column,
            descending,
            answer: Answer::Page { after, limit },
            byte_order_mark,
            sort_text,
            cursor_at,
            at: None,
            seal,
        })
    }

    /// The instant a listing computed at one is read at: `given` (the `at`
    /// parameter), else the cursor's, else `now`. Next cursors keep it, so that
    /// the pages of one listing agree even when the first page named no
    /// instant. A cursor made at another instant than `given` is refused.
    pub fn instant(
        &mut self,
        given: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ApiError> {
        let from_cursor = self
            .cursor_at
            .map(|micros| DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(not_given_out))
            .transpose()?;
        let at = match (given, from_cursor) {
            (Some(given), Some(cursor)) if given != cursor => {
                return Err(ApiError::bad(
                    "bad_cursor",
                    "cursor",
                    format!(
                        "the cursor was made at {}, not {}; keep at while paging, or leave it out",
                        cursor.to_rfc3339(),
                        given.to_rfc3339()
                    ),
                ));
            }
            (Some(at), _) | (None, Some(at)) => at,
            (None, None) => now,
        };
        self.at = Some(at);
        Ok(at)
    }

    /// The cursor that resumes after a row with this key.
    pub fn cursor_after(&self, key: Vec<Key>) -> String {
        let body = CursorBody {
            sort: self.sort_text.clone(),
            after: key,
            at: self.at.map(|at| at.timestamp_micros()),
        };
        self.seal.seal(&serde_json::to_vec(&body).expect("a cursor always serialises"))
    }
}

/// Rows per page of a JSON listing, read from `limit`: 1 to [`MAX_LIMIT`],
/// [`DEFAULT_LIMIT`] when not given.
pub fn page_limit(limit: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = limit else { return Ok(DEFAULT_LIMIT) };
    match text.parse::<i64>() {
        Ok(limit) if (1..=MAX_LIMIT as i64).contains(&limit) => Ok(limit as usize),
        Ok(limit) => Err(ApiError::bad(
            "bad_limit",
            "limit",
            format!("{limit} is out of range: give 1 to {MAX_LIMIT}"),
        )),
        Err(_) => Err(ApiError::bad(
            "bad_limit",
            "limit",
            format!("{text:?} is not a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// The cursors of a listing in one fixed order whose pages are cut outside
/// this module (the usage monitor's activity stream, newest first): the key
/// of the last row shown, sealed for the listing and scope like every other
/// cursor, and for the order, in place of a sort.
#[derive(Debug, Clone)]
pub struct OrderedCursor {
    seal: CursorSeal,
    order: &'static str,
    key_len: usize,
}

impl OrderedCursor {
    /// Cursors of `listing` in `order` for `scope`, each holding a key of
    /// `key_len` values.
    pub fn new(
        key: &CursorKey,
        listing: &str,
        scope: CursorScope<'_>,
        order: &'static str,
        key_len: usize,
    ) -> OrderedCursor {
        OrderedCursor { seal: CursorSeal::new(key, listing, scope), order, key_len }
    }

    /// The cursor resuming after a row with this key.
    pub fn after(&self, key: Vec<Key>) -> String {
        let body = CursorBody { sort: self.order.to_owned(), after: key, at: None };
        self.seal.seal(&serde_json::to_vec(&body).expect("a cursor always serialises"))
    }

    /// The key `cursor` resumes after, if this listing made it for this scope.
    pub fn read(&self, cursor: &str) -> Result<Vec<Key>, ApiError> {
        let body = read_cursor(&self.seal, cursor, self.order, self.key_len)?;
        if body.at.is_some() {
            return Err(not_of_this_listing());
        }
        Ok(body.after)
    }
}

/// The body of `cursor`, if `seal` made it under `sort`. Whatever does not
/// carry the seal (made up, changed, made for another listing or account, or
/// under another key) gets one answer, which tells nothing of why.
fn read_cursor(
    seal: &CursorSeal,
    cursor: &str,
    sort: &str,
    key_len: usize,
) -> Result<CursorBody, ApiError> {
    let bad = |reason: &str| ApiError::bad("bad_cursor", "cursor", reason.to_owned());
    let bytes = seal.open(cursor).ok_or_else(not_given_out)?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| not_given_out())?;
    if body.sort != sort {
        return Err(bad(&format!(
            "the cursor was made for sort {:?}, not {sort:?}; keep the sort while paging",
            body.sort
        )));
    }
    if body.after.len() != key_len {
        return Err(not_of_this_listing());
    }
    Ok(body)
}

fn not_given_out() -> ApiError {
    ApiError::bad(
        "bad_cursor",
        "cursor",
        "not a cursor this API gave out for this listing; start again without one",
    )
}

fn not_of_this_listing() -> ApiError {
    ApiError::bad("bad_cursor", "cursor", "not a cursor of this listing; start again without one")
}

/// How many values the cursor of a listing the store pages holds.
const STORE_KEY_LEN: usize = 2;

/// Where a store-paged listing's page starts, as the store takes it: after a
/// row with this sort value and sequence number. A cursor holds the two, so
/// the cursor and the store's position convert here, in one place.
pub trait StorePosition: Sized {
    /// The position after a row whose sort column holds `value`, with `seq`.
    fn from_cursor(value: StoreKey, seq: i64) -> Self;
    /// The sort value and sequence number a cursor keeps of this position.
    fn into_cursor(self) -> (StoreKey, i64);
}

/// The sort column's value in a store-paged listing's cursor.
pub enum StoreKey {
    /// An integer column's (instants as microseconds).
    Integer(i64),
    /// A text column's.
    Text(String),
}

impl StorePosition for RunsAfter {
    fn from_cursor(value: StoreKey, seq: i64) -> RunsAfter {
        let key = match value {
            StoreKey::Integer(micros) => RunKey::Micros(micros),
            StoreKey::Text(text) => RunKey::Text(text),
        };
        RunsAfter { key, seq }
    }

    fn into_cursor(self) -> (StoreKey, i64) {
        let value = match self.key {
            RunKey::Micros(micros) => StoreKey::Integer(micros),
            RunKey::Text(text) => StoreKey::Text(text),
        };
        (value, self.seq)
    }
}

impl StorePosition for AuditAfter {
    fn from_cursor(value: StoreKey, seq: i64) -> AuditAfter {
        let key = match value {
            StoreKey::Integer(value) => AuditKey::Integer(value),
            StoreKey::Text(text) => AuditKey::Text(text),
        };
        AuditAfter { key, seq: seq as u64 }
    }

    fn into_cursor(self) -> (StoreKey, i64) {
        let value = match self.key {
            AuditKey::Integer(value) => StoreKey::Integer(value),
            AuditKey::Text(text) => StoreKey::Text(text),
        };
        (value, self.seq as i64)
    }
}

/// How many rows a whole table reads from the store at a time: the page the
/// API holds in memory while it writes them.
const STORE_PAGE_ROWS: usize = MAX_LIMIT;

impl ListRequest {
    /// The write options of a file answer: `options` with the byte-order mark
    /// the request asked for.
    fn write_options(&self, options: &WriteOptions) -> WriteOptions {
        options.with_csv_byte_order_mark(self.byte_order_mark)
    }

    /// The page of a store-paged listing, from rows fetched with one more than
    /// `limit` (to know whether a next page exists); `position` gives the
    /// store's position after a row, kept in the next cursor.
    fn store_page<T, P: StorePosition, R>(
        &self,
        mut rows: Vec<T>,
        limit: usize,
        position: impl Fn(&T) -> P,
        item: impl Fn(T) -> R,
    ) -> Page<R> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(self.store_cursor(position(last))),
            _ => None,
        };
        Page { items: rows.into_iter().map(item).collect(), next_cursor }
    }

    /// The cursor of the page that starts at the store's `position`, as this
    /// listing's next cursors are made: the web pages link their pages with
    /// the cursors the API gives.
    pub fn store_cursor<P: StorePosition>(&self, position: P) -> String {
        let (value, seq) = position.into_cursor();
        let value = match value {
            StoreKey::Integer(value) => Key::Integer(value),
            StoreKey::Text(text) => Key::Text(text),
        };
        self.cursor_after(vec![value, Key::Integer(seq)])
    }

    /// Where the store starts this page of a store-paged listing: after the
    /// cursor's row, or from the first row (also for a whole table).
    /// `integer_sort` says whether the sort column holds integers.
    pub fn store_start<P: StorePosition>(&self, integer_sort: bool) -> Result<Option<P>, ApiError> {
        match &self.answer {
            Answer::Page { after, .. } => store_after(after.as_deref(), integer_sort),
            Answer::Whole(_) => Ok(None),
        }
    }
}

/// Where the store's page starts, from the cursor's key `after`.
/// `integer_sort` says whether the sort column holds integers, so that a
/// cursor of another column is refused.
fn store_after<P: StorePosition>(
    after: Option<&[Key]>,
    integer_sort: bool,
) -> Result<Option<P>, ApiError> {
    let Some(after) = after else { return Ok(None) };
    match (&after[0], &after[1], integer_sort) {
        (Key::Integer(value), Key::Integer(seq), true) => {
            Ok(Some(P::from_cursor(StoreKey::Integer(*value), *seq)))
        }
        (Key::Text(text), Key::Integer(seq), false) => {
            Ok(Some(P::from_cursor(StoreKey::Text(text.clone()), *seq)))
        }
        _ => Err(not_of_this_listing()),
    }
}

/// How a listing the store pages is read: `read` gives up to `limit` rows
/// after a position (from the first row when `None`), on a blocking thread,
/// taking its own connection; `position` is the store's position after a row,
/// and `item` the listing's row of a store row. `integer_sort` says whether
/// the sort column holds integers, so that a cursor of another column is
/// refused.
pub struct StoreListing<Read, Position, Item> {
    /// Reads a page of rows.
    pub read: Read,
    /// The store's position after a row.
    pub position: Position,
    /// The listing's row of a store row.
    pub item: Item,
    /// Whether the sort column holds integers.
    pub integer_sort: bool,
}

/// Answers the listing of `R`, whose rows the store pages: the requested page
/// as JSON, or every row as a whole table, read from the store a page at a
/// time while the body is written. The first page is read before answering,
/// so that a refusal (a member's audit log without their run) is a problem
/// document, not a broken body.
pub async fn answer_from_store<R, T, P, Read, Position, Item>(
    listing: StoreListing<Read, Position, Item>,
    request: &ListRequest,
    options: &WriteOptions,
) -> Result<Response, ApiError>
where
    R: Listed + Serialize,
    T: Send + 'static,
    P: StorePosition + Send + 'static,
    Read: Fn(Option<P>, usize) -> Result<Vec<T>, ApiError> + Send + 'static,
    Position: Fn(&T) -> P + Send + 'static,
    Item: Fn(T) -> R + Send + 'static,
{
    let StoreListing { read, position, item, integer_sort } = listing;
    match &request.answer {
        Answer::Page { after, limit } => {
            let after = store_after(after.as_deref(), integer_sort)?;
            let limit = *limit;
            // One more than asked, to know whether there is a next page.
            let rows = read_on_blocking_thread(read, after, limit + 1).await?.1;
            Ok(page_response(request.store_page(rows, limit, position, item)))
        }
        Answer::Whole(format) => {
            let (read, first) = read_on_blocking_thread(read, None, STORE_PAGE_ROWS).await?;
            Ok(whole_response::<R>(*format, &request.write_options(options), move |sink| {
                let mut rows = first;
                loop {
                    let next = match rows.last() {
                        Some(last) if rows.len() == STORE_PAGE_ROWS => Some(position(last)),
                        _ => None,
                    };
                    for row in rows {
                        sink.row(&R::listing().cells(&item(row)))?;
                    }
                    match next {
                        Some(after) => rows = read(Some(after), STORE_PAGE_ROWS)?,
                        None => return Ok(()),
                    }
                }
            }))
        }
    }
}

/// Reads a page with `read` on a blocking thread, handing `read` back with it.
async fn read_on_blocking_thread<Read, T, P>(
    read: Read,
    after: Option<P>,
    limit: usize,
) -> Result<(Read, Vec<T>), ApiError>
where
    Read: Fn(Option<P>, usize) -> Result<Vec<T>, ApiError> + Send + 'static,
    T: Send + 'static,
    P: Send + 'static,
{
    tokio::task::spawn_blocking(move || read(after, limit).map(|rows| (read, rows))).await.map_err(
        |error| {
            tracing::error!(%error, "a store task failed");
            ApiError::Internal
        },
    )?
}

const JSON: MediaType = MediaType::new(names::APPLICATION, names::JSON);
const CSV: MediaType = MediaType::new(names::TEXT, names::CSV);
const XLSX: MediaType = MediaType::new(
    names::APPLICATION,
    Name::new_unchecked("vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
);
const PDF: MediaType = MediaType::new(names::APPLICATION, names::PDF);

/// The format of a dashboard tab's or widget's answer: as [`answer_format`],
/// with PDF (`format=pdf`, or `application/pdf` in the `Accept` header) too.
pub fn tab_format(format: Option<&str>, headers: &HeaderMap) -> Result<DashboardFormat, ApiError> {
    if let Some(text) = format {
        return DashboardFormat::parse(text).ok_or_else(|| {
            ApiError::bad(
                "bad_format",
                "format",
                format!("{text:?} is not a format: use json, csv, xlsx or pdf"),
            )
        });
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|value| Accept::try_from(value).ok())
    else {
        return Ok(DashboardFormat::Table(Format::Json));
    };
    Ok(match accept.negotiate(&[JSON, CSV, XLSX, PDF]) {
        Some(media_type) if *media_type == PDF => DashboardFormat::Pdf,
        Some(media_type) if *media_type == CSV => DashboardFormat::Table(Format::Csv),
        Some(media_type) if *media_type == XLSX => DashboardFormat::Table(Format::Xlsx),
        _ => DashboardFormat::Table(Format::Json),
    })
}

/// The format asked for: the `format` parameter, else the `Accept` header
/// negotiated by its q-values (a type at `q=0` is refused, the highest q wins,
/// ties go to the type listed first, then to JSON, CSV, XLSX in that order),
/// else JSON. JSON is also the answer when the header accepts none of the three
/// or cannot be read: a listing always has an answer, and the problem documents
/// are JSON anyway.
pub fn answer_format(format: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    if let Some(text) = format {
        return text.parse::<Format>().map_err(|_| {
            ApiError::bad(
                "bad_format",
                "format",
                format!("{text:?} is not a format: use json, csv or xlsx"),
            )
        });
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|value| Accept::try_from(value).ok())
    else {
        return Ok(Format::Json);
    };
    Ok(match accept.negotiate(&[JSON, CSV, XLSX]) {
        Some(media_type) if *media_type == CSV => Format::Csv,
        Some(media_type) if *media_type == XLSX => Format::Xlsx,
        _ => Format::Json,
    })
}

/// A page of a listing: its rows and the cursor of the next page, if there is
/// one. Answered as it is in JSON, and documented as each listing's answer.
#[derive(Serialize, ToSchema)]
pub struct Page<R> {
    /// The rows.
    pub items: Vec<R>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A listing's JSON answer, as the OpenAPI document gives it: a [`Page`] of
/// rows without `format`, or with `format=json` the whole table in the shape
/// of docs/reports.md (`title`, `columns`, `rows` keyed by column name,
/// `chart`).
pub struct ListingJson<R>(PhantomData<R>);

impl<R: ToSchema> PartialSchema for ListingJson<R> {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let column = ObjectBuilder::new()
            .property("name", text())
            .property("title", text())
            .property("type", text().enum_values(Some(COLUMN_TYPES)))
            .required("name")
            .required("title")
            .required("type");
        let chart = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
            .property("kind", text().enum_values(Some(["line", "bar", "pie"])))
            .property("category", text())
            .property("values", ArrayBuilder::new().items(text()));
        let whole = ObjectBuilder::new()
            .description(Some("The whole table (format=json), as docs/reports.md shapes it."))
            .property("title", text())
            .property("columns", ArrayBuilder::new().items(column))
            .property(
                "rows",
                ArrayBuilder::new().items(
                    ObjectBuilder::new()
                        .description(Some("A row: each column's value by its name.")),
                ),
            )
            .property("chart", chart)
            .required("title")
            .required("columns")
            .required("rows")
            .required("chart");
        OneOfBuilder::new().item(Page::<R>::schema()).item(whole).into()
    }
}

/// The column types of a whole table's JSON, as `tally-report` names them.
const COLUMN_TYPES: [&str; 7] =
    ["text", "integer", "decimal", "percent", "percentage", "date", "date_time"];

/// The answer of every listing of `R`, as the OpenAPI document gives it (200):
/// a [`Page`] of rows in JSON, or the whole table as CSV, JSON or XLSX, by the
/// `format` parameter or the `Accept` header (docs/api.md).
pub struct ListingPage<R>(PhantomData<R>);

impl<R: ToSchema> ListingPage<R> {
    /// The listing's 200 response, for a listing that adds a header to it.
    pub fn response() -> ResponseBuilder {
        let content = |schema| ContentBuilder::new().schema(Some(schema)).build();
        ResponseBuilder::new()
            .description(
                "A page of the listing as JSON, or the whole table in the format asked for.",
            )
            .content("application/json", content(ListingJson::<R>::schema()))
            .content("text/csv", content(String::schema()))
            .content(Format::Xlsx.media_type(), content(<Vec<u8>>::schema()))
    }
}

impl<R: ToSchema> IntoResponses for ListingPage<R> {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([("200".to_owned(), RefOr::T(Self::response().build()))])
    }
}

/// Answers the listing of `R` from all its `rows`, held in memory: sorts them,
/// then answers the requested page as JSON, or writes every row, one at a
/// time, as the whole table.
pub fn answer<R: Listed + Serialize + Send>(
    rows: Vec<R>,
    request: &ListRequest,
    options: &WriteOptions,
) -> Result<Response, ApiError> {
    let listing = R::listing();
    let sorted = sorted(listing, rows, request);
    match &request.answer {
        Answer::Page { after, limit } => {
            Ok(page_response(cut_page(sorted, after.as_deref(), *limit, request)))
        }
        Answer::Whole(format) => {
            Ok(whole_response::<R>(*format, &request.write_options(options), move |sink| {
                for (_, row) in sorted {
                    sink.row(&listing.cells(&row))?;
                }
                Ok(())
            }))
        }
    }
}

/// The page of `rows`, held in memory, that `request` asks for, cut as the
/// JSON listing cuts it (so its cursor works on the API too); `None` when it
/// asks for the whole table as a file.
pub fn page_of<R: Listed>(rows: Vec<R>, request: &ListRequest) -> Option<Page<R>> {
    match &request.answer {
        Answer::Page { after, limit } => {
            let sorted = sorted(R::listing(), rows, request);
            Some(cut_page(sorted, after.as_deref(), *limit, request))
        }
        Answer::Whole(_) => None,
    }
}

/// The key of `row` under `request`'s sort: the sort column, then the key columns.
fn key_of<R>(listing: &FigureTable<R>, row: &R, request: &ListRequest) -> Vec<Key> {
    std::iter::once(request.sort_column)
        .chain(
            listing.key.iter().map(|name| {
                listing.column_index(name).expect("a listing's key names its own columns")
            }),
        )
        .map(|index| Key::of(&(listing.columns[index].cell)(row)))
        .collect()
}

/// Rows held in memory in `request`'s order, each with its key.
fn sorted<R>(listing: &FigureTable<R>, rows: Vec<R>, request: &ListRequest) -> Vec<(Vec<Key>, R)> {
    let mut keyed: Vec<(Vec<Key>, R)> =
        rows.into_iter().map(|row| (key_of(listing, &row, request), row)).collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let order = compare_keys(a, b);
        if request.descending { order.reverse() } else { order }
    });
    keyed
}

/// The page of up to `limit` sorted rows after the key `after`.
fn cut_page<R>(
    sorted: Vec<(Vec<Key>, R)>,
    after: Option<&[Key]>,
    limit: usize,
    request: &ListRequest,
) -> Page<R> {
    let beyond = |key: &[Key]| match after {
        None => true,
        Some(after) => {
            let order = compare_keys(key, after);
            if request.descending { order.is_lt() } else { order.is_gt() }
        }
    };
    let mut rest = sorted.into_iter().filter(|(key, _)| beyond(key));
    let items: Vec<(Vec<Key>, R)> = rest.by_ref().take(limit).collect();
    let next_cursor = match (rest.next(), items.last()) {
        (Some(_), Some((key, _))) => Some(request.cursor_after(key.clone())),
        _ => None,
    };
    Page { items: items.into_iter().map(|(_, row)| row).collect(), next_cursor }
}

/// A page as JSON `{items, next_cursor}`, the next cursor also in the
/// `Next-Cursor` header.
fn page_response<R: Serialize>(page: Page<R>) -> Response {
    let mut response = axum::Json(&page).into_response();
    if let Some(cursor) = &page.next_cursor
        && let Ok(value) = HeaderValue::from_str(cursor)
    {
        response.headers_mut().insert("next-cursor", value);
    }
    response
}

/// The whole table of the listing of `R` as a file in `format`, its rows
/// written by `write_rows` while the body is sent ([`crate::whole`]).
fn whole_response<R: Listed>(
    format: Format,
    options: &WriteOptions,
    write_rows: impl FnOnce(&mut dyn TableSink) -> Result<(), WholeTableError> + Send + 'static,
) -> Response {
    let listing = R::listing();
    let mut response =
        whole::stream(format, listing.header(), *options, write_rows).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    let disposition = format!(
        "attachment; filename=\"{}.{}\"",
        listing.title.replace(' ', "-"),
        format.extension()
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// How a whole table was asked for, to name it in a refusal.
#[derive(Debug, Clone, Copy)]
enum Asked {
    /// By the `format` parameter.
    Parameter,
    /// By the `Accept` header.
    AcceptHeader,
}

impl Asked {
    /// The request's words for the answer: `format=csv`.
    fn describe(self, format: Format) -> String {
        match self {
            Asked::Parameter => format!("format={format}"),
            Asked::AcceptHeader => format!("the Accept header asking for {format}"),
        }
    }

    /// What to leave out to be answered a page.
    fn name(self) -> &'static str {
        match self {
            Asked::Parameter => "format",
            Asked::AcceptHeader => "the Accept header",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(accept: Option<&str>, format: Option<&str>, expected: Format) {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        assert_eq!(answer_format(format, &headers).unwrap(), expected, "{accept:?} {format:?}");
    }

    #[test]
    fn the_accept_header_is_negotiated_by_q_values() {
        check(None, None, Format::Json);
        check(Some("text/csv"), None, Format::Csv);
        check(
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            None,
            Format::Xlsx,
        );
        // q=0 means "not this one".
        check(Some("text/csv;q=0"), None, Format::Json);
        // The higher q wins, wherever it is listed.
        check(Some("text/csv;q=0.1, application/json"), None, Format::Json);
        check(Some("text/csv;q=0.9, application/json;q=0.5"), None, Format::Csv);
        // Equal q: the first listed.
        check(Some("text/csv, application/json"), None, Format::Csv);
        // Ranges: */* is JSON, the API's first choice; text/* is CSV.
        check(Some("*/*"), None, Format::Json);
        check(Some("text/*"), None, Format::Csv);
        // Nothing the API writes, or a header it cannot read: JSON.
        check(Some("image/png"), None, Format::Json);
        check(Some("text/csv;q=0, application/json;q=0"), None, Format::Json);
        check(Some("not a media type"), None, Format::Json);
    }

    #[test]
    fn a_cursor_opens_only_under_its_key_listing_and_account() {
        let key = CursorKey::from_audit_key(&[7; 32]);
        let acme_runs = CursorSeal::new(&key, "runs", CursorScope::Account("acme"));
        let body = br#"{"sort":"-at","after":[1,2]}"#;
        let cursor = acme_runs.seal(body);
        assert_eq!(acme_runs.open(&cursor).as_deref(), Some(&body[..]));
        let others = [
            CursorSeal::new(&key, "runs", CursorScope::Account("globex")),
            CursorSeal::new(&key, "audit", CursorScope::Account("acme")),
            CursorSeal::new(&key, "runs", CursorScope::Monitor),
            CursorSeal::new(
                &CursorKey::from_audit_key(&[8; 32]),
                "runs",
                CursorScope::Account("acme"),
            ),
        ];
        for other in &others {
            assert_eq!(other.open(&cursor), None, "{other:?}");
        }
        // Lengths keep fields apart: ("acme", "runs") is not ("acm", "eruns").
        let shifted = CursorSeal::new(&key, "eruns", CursorScope::Account("acm"));
        assert_eq!(shifted.open(&cursor), None);
        // Not the shape of a cursor: no tag, a short tag, not base64.
        let (encoded_body, tag) = cursor.split_once('.').unwrap();
        for bad in
            [encoded_body.to_owned(), format!("{encoded_body}.{}", &tag[..10]), "!.!".to_owned()]
        {
            assert_eq!(acme_runs.open(&bad), None, "{bad}");
        }
    }

    /// A listing without filters: every parameter is a list parameter.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    struct NoFilters {}

    /// What the list parameters in `query` (with `accept`) answer on the runs
    /// listing: the answer and whether CSV gets a byte-order mark, or the
    /// refusal's code and parameter.
    fn check_answer(
        query: &str,
        accept: Option<&str>,
        expected: Result<(Answer, bool), (&str, &str)>,
    ) {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        let key = CursorKey::from_audit_key(&[7; 32]);
        let found = read_listing::<NoFilters, tally_figures::runs::RunRow>(
            Some(query),
            &headers,
            &key,
            CursorScope::Account("acme"),
        )
        .map(|(_, request)| (request.answer, request.byte_order_mark))
        .map_err(|error| match error {
            ApiError::BadParameter { name, code, .. } => (code, name),
            other => panic!("{query}: {other:?}"),
        });
        let expected = expected.map_err(|(code, name)| (code, name.to_owned()));
        assert_eq!(found, expected, "{query} {accept:?}");
    }

    #[test]
    fn a_format_answers_the_whole_table_and_takes_no_paging() {
        let page = |limit| Answer::Page { after: None, limit };
        check_answer("", None, Ok((page(DEFAULT_LIMIT), false)));
        check_answer("limit=5", Some("application/json"), Ok((page(5), false)));
        for (query, format) in [
            ("format=csv", Format::Csv),
            ("format=json", Format::Json),
            ("format=xlsx", Format::Xlsx),
        ] {
            check_answer(query, None, Ok((Answer::Whole(format), false)));
        }
        check_answer("", Some("text/csv"), Ok((Answer::Whole(Format::Csv), false)));
        // The parameter wins, so JSON asked for by name is the whole table.
        check_answer("format=json", Some("text/csv"), Ok((Answer::Whole(Format::Json), false)));
        check_answer("format=csv&limit=5", None, Err(("whole_table", "limit")));
        check_answer("format=json&cursor=x", None, Err(("whole_table", "cursor")));
        check_answer("limit=5", Some("text/csv"), Err(("whole_table", "limit")));
        // A sort still applies to the whole table; a bad one is still refused.
        check_answer("format=csv&sort=-colour", None, Err(("bad_sort", "sort")));
    }

    #[test]
    fn a_byte_order_mark_is_for_csv_alone() {
        check_answer("format=csv&bom=true", None, Ok((Answer::Whole(Format::Csv), true)));
        check_answer("bom=true", Some("text/csv"), Ok((Answer::Whole(Format::Csv), true)));
        check_answer("format=csv&bom=false", None, Ok((Answer::Whole(Format::Csv), false)));
        let page = Answer::Page { after: None, limit: DEFAULT_LIMIT };
        check_answer("bom=false", None, Ok((page, false)));
        for query in
            ["bom=true", "format=json&bom=true", "format=xlsx&bom=true", "format=csv&bom=1"]
        {
            check_answer(query, None, Err(("bad_parameter", "bom")));
        }
    }

    #[test]
    fn the_format_parameter_wins_over_the_accept_header() {
        check(Some("text/csv"), Some("xlsx"), Format::Xlsx);
        check(Some("application/json"), Some("csv"), Format::Csv);
        check(Some("text/csv;q=0"), Some("csv"), Format::Csv);
    }
}
