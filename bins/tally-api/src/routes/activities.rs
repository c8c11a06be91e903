//! The usage monitor's Activities (M4-M5): a period of whole days of the
//! viewer's zone compared with the one before, and the list of tracked
//! modules and activities. Staff only, over the accounts in their team's scope.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use tally_figures::InstantOrDay;
use tally_figures::monitor::{ActivitiesQuery, ActivitiesSummary, ActivityItem, Period};
use tally_report::WriteOptions;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::error::{ApiError, Problem};
use crate::list::{self, CursorScope, ListParameters, ListRequest, ListingPage};
use crate::query;
use crate::state::{AppState, Authenticated};

/// The period a request names, documented as the choice of [`Period::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodParameter(pub Period);

impl<'de> Deserialize<'de> for PeriodParameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PeriodParameter, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(PeriodParameter).map_err(D::Error::custom)
    }
}

impl PartialSchema for PeriodParameter {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Period::ALL.map(Period::name)))
            .into()
    }
}

impl ToSchema for PeriodParameter {}

/// An IANA time zone name.
fn zone<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Tz>, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(|_| {
        D::Error::custom(format!(
            "{text:?} is not a time zone of the IANA database, such as UTC or Asia/Kathmandu"
        ))
    })
}

/// Which Activities: the period, the viewer's zone and "now".
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesParameters {
    /// last-90-days, last-30-days, last-7-days or yesterday: whole days of
    /// `zone` ending yesterday; default last-7-days.
    #[param(inline)]
    pub period: Option<PeriodParameter>,
    /// The viewer's time zone, whose days make the periods: an IANA name such
    /// as Asia/Kathmandu; default UTC.
    #[serde(default, deserialize_with = "zone")]
    #[param(value_type = Option<String>)]
    pub zone: Option<Tz>,
    /// The instant yesterday is relative to (RFC 3339), or a date (YYYY-MM-DD,
    /// the start of that day in `zone`); default now.
    #[serde(default, deserialize_with = "query::instant_or_day")]
    #[param(value_type = Option<String>)]
    pub at: Option<InstantOrDay>,
}

impl ActivitiesParameters {
    /// The query, as of `at` when the request named no instant.
    pub(crate) fn query(&self, at: DateTime<Utc>) -> ActivitiesQuery {
        ActivitiesQuery {
            period: self.period.map_or(Period::Last7Days, |period| period.0),
            zone: self.zone.unwrap_or(Tz::UTC),
            at,
        }
    }

    /// The instant the request named, placed in its zone.
    pub(crate) fn given_instant(&self) -> Option<DateTime<Utc>> {
        self.at.map(|at| at.instant_in(self.zone.unwrap_or(Tz::UTC)))
    }
}

/// The list's name filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameParameter {
    /// Only modules and activities whose module or activity contains this
    /// text, ignoring case (Unicode case folding).
    #[serde(default, deserialize_with = "query::filter")]
    pub name: Option<String>,
}

/// Activities over a period.
///
/// Time spent and actions in the period with their change against the period
/// of the same length before it, the top 5 activities and modules by actions,
/// and a series per day, over the accounts in the staff team's scope, counting
/// only the tracked modules and activities (docs/monitor.md).
#[utoipa::path(
    get,
    path = "/v1/monitor/activities",
    tag = "monitor",
    params(ActivitiesParameters),
    responses(
        (status = 200, description = "The period's figures.", body = ActivitiesSummary),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn activities(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<ActivitiesSummary>, ApiError> {
    let view = principal.read_monitor()?;
    let params: ActivitiesParameters = query::parse(query.as_deref())?;
    let query = params.query(params.given_instant().unwrap_or_else(Utc::now));
    let summary = state
        .with_store(move |store| {
            Ok(tally_figures::monitor::activities(store, &view, query)?.summary())
        })
        .await?;
    Ok(Json(summary))
}

/// Tracked modules and activities over a period.
///
/// Every tracked module and activity with actions in the period or the one
/// before it: actions in each, the change in percent, and whether it is new
/// (nothing before). Over the accounts in the staff team's scope.
#[utoipa::path(
    get,
    path = "/v1/monitor/activities/list",
    tag = "monitor",
    params(ActivitiesParameters, NameParameter, ListParameters<ActivityItem>),
    responses(
        ListingPage<ActivityItem>,
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn activity_list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = principal.read_monitor()?;
    let parts = [
        query::names::<ActivitiesParameters>(),
        query::names::<NameParameter>(),
        query::names::<ListParameters<ActivityItem>>(),
    ];
    let checked = query::Checked::new(query.as_deref(), &parts)?;
    let params: ActivitiesParameters = checked.read()?;
    let NameParameter { name } = checked.read()?;
    let list_params: ListParameters<ActivityItem> = checked.read()?;
    let mut request =
        ListRequest::parse(&list_params, &headers, state.cursor_key(), CursorScope::Monitor)?;
    // Every page of one listing is read at the first page's instant.
    let query = params.query(request.instant(params.given_instant(), Utc::now())?);
    let rows = state
        .with_store(move |store| {
            Ok(tally_figures::monitor::activities(store, &view, query)?.items(name.as_deref()))
        })
        .await?;
    list::answer(rows, &request, &WriteOptions::new(query.zone))
}
