//! Active seats (D1-D3): monthly figures, the activated seats log, and one user's
//! explanation. For the account's administrators.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tally_report::{Cell, ColumnKind, WriteOptions};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{ListColumn, ListRequest, Listing};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// Active seats in one calendar month of the account's time zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlySeatsRow {
    /// The month, `YYYY-MM`.
    #[schema(example = "2026-03")]
    pub month: String,
    /// Users who were an active seat at some moment of the month.
    pub seats: u32,
    /// `seats` minus the month before's.
    pub change: i64,
    /// `change` as a percentage of the month before's seats (25.0 is +25%); null
    /// when the month before had none.
    pub change_percent: Option<f64>,
}

/// A page of monthly seats.
#[derive(Serialize, ToSchema)]
pub struct MonthlySeatsPage {
    /// The rows.
    pub items: Vec<MonthlySeatsRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

pub(crate) static MONTHLY_SEATS: Listing<MonthlySeatsRow> = Listing {
    title: "Monthly active seats",
    columns: &[
        ListColumn {
            name: "month",
            title: "Month",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.month.clone()),
        },
        ListColumn {
            name: "seats",
            title: "Active seats",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.seats.into()),
        },
        ListColumn {
            name: "change",
            title: "Change",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.change),
        },
        ListColumn {
            name: "change_percent",
            title: "Change (%)",
            kind: ColumnKind::Decimal,
            cell: |row| row.change_percent.map_or(Cell::Empty, Cell::Decimal),
        },
    ],
    key: &["month"],
    default_sort: "month",
};

/// Monthly active seats.
///
/// For each calendar month of the account's terms, the users who were an active
/// seat at some moment of it, of the whole account or of one organization.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/monthly",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("organization" = Option<String>, Query, description = "Only this organization's seats."),
        ("from" = Option<String>, Query, description = "First month, YYYY-MM.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("to" = Option<String>, Query, description = "Last month, YYYY-MM, included.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("sort" = Option<String>, Query, description = "month, seats, change or change_percent; a leading - sorts descending. Default month."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of monthly figures.", content(
            (MonthlySeatsPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn monthly_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params = QueryParams::parse::<__path_monthly_seats>(query.as_deref())?;
    let organization = params.filter("organization")?;
    let (from, to) = (params.month("from")?, params.month("to")?);
    check_range(&from, &to)?;
    let request = ListRequest::parse(&params, &headers, &MONTHLY_SEATS, MONTHLY_SEATS.key_len())?;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let rows: Vec<MonthlySeatsRow> = store
                .monthly_seats(&usage, organization.as_deref())?
                .into_iter()
                .filter(|figure| {
                    from.is_none_or(|from| figure.month >= from)
                        && to.is_none_or(|to| figure.month <= to)
                })
                .map(|figure| MonthlySeatsRow {
                    month: figure.month.to_string(),
                    seats: figure.seats,
                    change: figure.change,
                    change_percent: figure.change_percent,
                })
                .collect();
            Ok((rows, time_zone))
        })
        .await?;
    let page = MONTHLY_SEATS.page(rows, &request);
    MONTHLY_SEATS.respond(page, &request, &WriteOptions::new(time_zone))
}

/// The statuses a user in the activated seats log can have.
pub(crate) const STATUSES: [&str; 5] =
    ["active", "not_yet_active", "disabled", "removed", "outside_term"];

/// A user in the activated seats log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivatedSeatRow {
    /// The user's id in the account's events.
    pub user: String,
    /// From the user's latest `user_added`.
    pub email: Option<String>,
    /// From the user's latest `user_added`.
    pub display_name: Option<String>,
    /// The organizations the user was seen in.
    pub organizations: Vec<String>,
    /// From the user's latest `user_added` or `user_teams_changed`.
    pub teams: Vec<String>,
    /// When the user became an active seat in the term (RFC 3339, UTC).
    pub activated_at: DateTime<Utc>,
    /// Counted logins in the term up to `at`.
    pub logins: u32,
    /// Distinct calendar weeks with a counted login in the term up to `at`.
    pub weeks: u32,
    /// `active`, `not_yet_active`, `disabled`, `removed` or `outside_term`.
    pub status: String,
}

/// A page of the activated seats log.
#[derive(Serialize, ToSchema)]
pub struct ActivatedSeatPage {
    /// The rows.
    pub items: Vec<ActivatedSeatRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

fn optional_text(text: &Option<String>) -> Cell {
    text.as_ref().map_or(Cell::Empty, |text| Cell::Text(text.clone()))
}

pub(crate) static ACTIVATED_SEATS: Listing<ActivatedSeatRow> = Listing {
    title: "Activated seats",
    columns: &[
        ListColumn {
            name: "user",
            title: "User",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.user.clone()),
        },
        ListColumn {
            name: "email",
            title: "Email",
            kind: ColumnKind::Text,
            cell: |row| optional_text(&row.email),
        },
        ListColumn {
            name: "display_name",
            title: "Display name",
            kind: ColumnKind::Text,
            cell: |row| optional_text(&row.display_name),
        },
        ListColumn {
            name: "organizations",
            title: "Organizations",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.organizations.join("; ")),
        },
        ListColumn {
            name: "teams",
            title: "Teams",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.teams.join("; ")),
        },
        ListColumn {
            name: "activated_at",
            title: "Activated at",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.activated_at),
        },
        ListColumn {
            name: "logins",
            title: "Logins",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.logins.into()),
        },
        ListColumn {
            name: "weeks",
            title: "Weeks",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.weeks.into()),
        },
        ListColumn {
            name: "status",
            title: "Status",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.status.clone()),
        },
    ],
    key: &["user"],
    default_sort: "activated_at",
};

/// The activated seats log.
///
/// Every user who became an active seat in the term holding `at`, with their
/// activation, logins and weeks so far, and their status at `at`.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/activated",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("at" = Option<String>, Query, description = "The instant the log is as of (RFC 3339); default now.", format = DateTime),
        ("status" = Option<String>, Query, description = "Only users with this status: active, not_yet_active, disabled, removed or outside_term."),
        ("organization" = Option<String>, Query, description = "Only users seen in this organization."),
        ("sort" = Option<String>, Query, description = "Any column; a leading - sorts descending. Default activated_at."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of the log.", content(
            (ActivatedSeatPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn activated_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params = QueryParams::parse::<__path_activated_seats>(query.as_deref())?;
    let at = params.instant("at")?.unwrap_or_else(Utc::now);
    let status = params.filter("status")?;
    if let Some(status) = &status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_parameter(
            "status",
            format!("{status:?} is not a status: use one of {}", STATUSES.join(", ")),
        ));
    }
    let organization = params.filter("organization")?;
    let request =
        ListRequest::parse(&params, &headers, &ACTIVATED_SEATS, ACTIVATED_SEATS.key_len())?;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let rows: Vec<ActivatedSeatRow> = store
                .activated_seats(&usage, at)?
                .into_iter()
                .map(|entry| ActivatedSeatRow {
                    user: entry.seat.user,
                    email: entry.email,
                    display_name: entry.display_name,
                    organizations: entry.organizations,
                    teams: entry.teams,
                    activated_at: entry.seat.activated_at,
                    logins: entry.seat.logins,
                    weeks: entry.seat.weeks,
                    status: entry.seat.status.as_str().to_owned(),
                })
                .filter(|row| status.as_ref().is_none_or(|status| row.status == *status))
                .filter(|row| {
                    organization
                        .as_ref()
                        .is_none_or(|organization| row.organizations.contains(organization))
                })
                .collect();
            Ok((rows, time_zone))
        })
        .await?;
    let page = ACTIVATED_SEATS.page(rows, &request);
    ACTIVATED_SEATS.respond(page, &request, &WriteOptions::new(time_zone))
}

/// Why one user is or is not an active seat at an instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatExplanationBody {
    /// The user.
    pub user: String,
    /// The instant explained.
    pub at: DateTime<Utc>,
    /// `active`, `not_yet_active`, `disabled`, `removed` or `outside_term`.
    pub status: String,
    /// Why, in one sentence.
    pub reason: String,
    /// The term holding `at`, if any.
    pub term: Option<TermBody>,
    /// The rule applied.
    pub rule: RuleBody,
    /// The login that made the user a seat in this term, if any.
    pub activated_at: Option<DateTime<Utc>>,
    /// Counted logins in the term up to `at`, by calendar week.
    pub weeks: Vec<WeekBody>,
}

/// A subscription term: from `start` up to but not including `end`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermBody {
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

/// The seat rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleBody {
    /// Distinct calendar weeks needed.
    pub weeks_needed: u32,
    /// Counted logins needed.
    pub logins_needed: u32,
    /// Logins a week needs to count.
    pub logins_per_week: u32,
}

/// Counted logins in one calendar week.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekBody {
    /// The week's first day, in the account's time zone.
    pub week: NaiveDate,
    /// The logins' instants.
    pub logins: Vec<DateTime<Utc>>,
    /// Whether the week counts towards the rule.
    pub counts: bool,
}

/// One user's seat explanation.
///
/// Their counted logins grouped by week, and why they are or are not an active
/// seat at `at`.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/users/{user}",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("user" = String, Path, description = "The user's id in the account's events."),
        ("at" = Option<String>, Query, description = "The instant to explain (RFC 3339); default now.", format = DateTime),
    ),
    responses(
        (status = 200, description = "The explanation.", body = SeatExplanationBody),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn seat_explanation(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams((account, user)): PathParams<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<SeatExplanationBody>, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params = QueryParams::parse::<__path_seat_explanation>(query.as_deref())?;
    let at = params.instant("at")?.unwrap_or_else(Utc::now);
    let explanation = {
        let user = user.clone();
        state.with_store(move |store| Ok(store.explain_seat(&usage, &user, at)?)).await?
    };
    Ok(Json(SeatExplanationBody {
        status: explanation.status.as_str().to_owned(),
        reason: explanation.reason(),
        user,
        at,
        term: explanation.term.map(|term| TermBody { start: term.start, end: term.end }),
        rule: RuleBody {
            weeks_needed: explanation.rule.weeks_needed,
            logins_needed: explanation.rule.logins_needed,
            logins_per_week: explanation.rule.logins_per_week,
        },
        activated_at: explanation.activation.map(|activation| activation.at),
        weeks: explanation
            .weeks
            .into_iter()
            .map(|week| WeekBody { week: week.week, logins: week.logins, counts: week.counts })
            .collect(),
    }))
}
