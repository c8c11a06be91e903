//! The usage dashboard (D4-D12): every widget of a tab, one widget, and the
//! activity behind a widget's row. For the account's administrators.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tally_figures::InstantOrDay;
use tally_figures::dashboard::{
    ActivityRow, DashboardFormat, DashboardQuery, Tab, Widget, WidgetTable, activity_rows, tab_pdf,
    tab_tables, widget_table, write_widget_json, write_widgets,
};
use tally_report::{Format, WriteOptions};
use tally_store::{ACTIVITY_KINDS, ActivityFilter, DayRange};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListingPage, ListingQuery};
use crate::query;
use crate::routes::AccountProblems;
use crate::state::{AppState, Authenticated, PathParams};

/// What every widget is asked with.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParameters {
    /// The instant "now" is for "this month", "the last 7 days" and the like (RFC 3339), or a date (YYYY-MM-DD, the start of that day in the account's time zone); default now.
    #[serde(default, deserialize_with = "query::instant_or_day")]
    #[param(value_type = Option<String>)]
    pub at: Option<InstantOrDay>,
    /// The first day (YYYY-MM-DD, the account's time zone), instead of each widget's own period's.
    #[serde(default, deserialize_with = "query::day")]
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day (YYYY-MM-DD), included, instead of the day holding `at`.
    #[serde(default, deserialize_with = "query::day")]
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Only this organization's figures.
    #[serde(default, deserialize_with = "query::filter")]
    pub organization: Option<String>,
    /// Only figures of users while they were in this team (its id).
    #[serde(default, deserialize_with = "query::filter")]
    pub team: Option<String>,
    /// json (default), csv or xlsx, and pdf for a whole tab; or send an Accept header.
    #[serde(default, deserialize_with = "query::filter")]
    #[param(pattern = "^(json|csv|xlsx|pdf)$")]
    pub format: Option<String>,
    /// true to start a CSV answer with a UTF-8 byte-order mark.
    #[serde(default)]
    pub bom: Option<bool>,
}

impl DashboardParameters {
    /// Whether a byte-order mark starts the answer: only a CSV one may have one.
    fn byte_order_mark(&self, format: DashboardFormat) -> Result<bool, ApiError> {
        let bom = self.bom == Some(true);
        if bom && format != DashboardFormat::Table(Format::Csv) {
            return Err(ApiError::bad_parameter(
                "bom",
                format!(
                    "a byte-order mark starts only a CSV answer, not {format}: ask for format=csv"
                ),
            ));
        }
        Ok(bom)
    }

    fn query(&self, at: chrono::DateTime<Utc>) -> Result<DashboardQuery, ApiError> {
        DashboardQuery::new(at, self.from, self.to, self.organization.clone(), self.team.clone())
            .map_err(|error| ApiError::bad("bad_range", "from", error.to_string()))
    }
}

/// The tab named in the path, or a 404 naming the tabs there are.
pub(crate) fn tab_named(name: &str) -> Result<Tab, ApiError> {
    Tab::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Tab::ALL.iter().map(|tab| tab.name()).collect();
        ApiError::NotFound(format!("no dashboard tab {name:?}; the tabs are {}", names.join(", ")))
    })
}

/// The widget of `tab` named in the path, or a 404 naming the tab's widgets.
pub(crate) fn widget_named(tab: Tab, name: &str) -> Result<Widget, ApiError> {
    Widget::parse(tab, name).ok_or_else(|| {
        let names: Vec<&str> = tab.widgets().iter().map(|widget| widget.name()).collect();
        ApiError::NotFound(format!(
            "no widget {name:?} on tab {}; its widgets are {}",
            tab.name(),
            names.join(", ")
        ))
    })
}

/// The account asked about and what its widgets are asked with: `at` (a day
/// is the start of that day in the account's time zone; default now) and the
/// filters. The API's widgets and the web pages read the query alike.
pub(crate) fn asked(
    store: &tally_store::Store,
    usage: &tally_access::AccountUsage,
    params: &DashboardParameters,
) -> Result<(tally_store::Account, DashboardQuery), ApiError> {
    let account = store.account(usage.account())?;
    let at = params.at.map_or_else(Utc::now, |at| at.instant(&account.calendar));
    let query = params.query(at)?;
    Ok((account, query))
}

/// Writes `bytes` as a file of `format` named `name`.
fn file(bytes: Vec<u8>, format: DashboardFormat, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if format != DashboardFormat::Table(Format::Json) {
        let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

fn written(error: impl std::error::Error) -> ApiError {
    tracing::error!(error = %crate::error::error_chain(&error), "writing the dashboard");
    ApiError::Internal
}

/// Every widget of a dashboard tab.
///
/// Each widget's table with the days it covers, the first instant it has
/// data for and its notes (docs/dashboard.md). JSON is one document; XLSX a
/// workbook with an "About" sheet and a sheet per widget; CSV the same tables
/// as sections, each after a `# widget` line; PDF each widget's chart and
/// table under the filters in force. Whole, never paged.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/dashboard/{tab}",
    tag = "dashboard",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("tab" = String, Path, description = "users-activity, entities, actions-automations, data-sources or ai-mcp."),
        DashboardParameters,
    ),
    responses(
        (status = 200, description = "The tab's widgets, in the format asked for.",
            content(
                (String = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/pdf"),
            )),
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn dashboard_tab(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams((account, tab)): PathParams<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params: DashboardParameters = query::parse(raw.as_deref())?;
    let tab = tab_named(&tab)?;
    let format = list::tab_format(params.format.as_deref(), &headers)?;
    let bom = params.byte_order_mark(format)?;
    let bytes = state
        .with_store(move |store| {
            let (account, query) = asked(store, &usage, &params)?;
            let tables = tab_tables(store, &usage, tab, &query)?;
            let zone = account.calendar.time_zone;
            match format {
                DashboardFormat::Pdf => {
                    tab_pdf(tab, &account.slug, &query, &tables, zone).map_err(written)
                }
                DashboardFormat::Table(format) => {
                    let mut bytes = Vec::new();
                    let options = WriteOptions::new(zone).with_csv_byte_order_mark(bom);
                    write_widgets(format, &account.slug, &query, &tables, &options, &mut bytes)
                        .map_err(written)?;
                    Ok(bytes)
                }
            }
        })
        .await?;
    Ok(file(bytes, format, tab.name()))
}

/// One widget of a dashboard tab.
///
/// In JSON, the widget's days, data floor and notes, its table under `table`,
/// and `rows_behind`: for each row, the `/activity` request listing the
/// activity it was summed from (null where a row is not summed from activity).
/// In CSV and XLSX, the table alone, whole; in PDF, its chart and table.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/dashboard/{tab}/{widget}",
    tag = "dashboard",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("tab" = String, Path, description = "The widget's tab."),
        ("widget" = String, Path, description = "The widget's name (docs/dashboard.md)."),
        DashboardParameters,
    ),
    responses(
        (status = 200, description = "The widget, in the format asked for.",
            content(
                (String = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/pdf"),
            )),
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn dashboard_widget(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams((account, tab, widget)): PathParams<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params: DashboardParameters = query::parse(raw.as_deref())?;
    let tab = tab_named(&tab)?;
    let widget = widget_named(tab, &widget)?;
    let format = list::tab_format(params.format.as_deref(), &headers)?;
    let bom = params.byte_order_mark(format)?;
    let slug = account.clone();
    let bytes = state
        .with_store(move |store| {
            let (account, query) = asked(store, &usage, &params)?;
            let answer = widget_table(store, &usage, widget, &query)?;
            let zone = account.calendar.time_zone;
            let options = WriteOptions::new(zone).with_csv_byte_order_mark(bom);
            let mut bytes = Vec::new();
            match format {
                DashboardFormat::Table(Format::Json) => {
                    write_widget_json(&answer, &options, &mut bytes).map_err(written)?;
                    bytes = with_rows_behind(&bytes, &slug, &answer);
                }
                DashboardFormat::Table(format) => {
                    tally_report::write_table(format, &answer.table, &options, &mut bytes)
                        .map_err(written)?;
                }
                DashboardFormat::Pdf => {
                    bytes =
                        tab_pdf(tab, &account.slug, &query, &[answer], zone).map_err(written)?;
                }
            }
            Ok(bytes)
        })
        .await?;
    Ok(file(bytes, format, widget.name()))
}

/// The widget's JSON with `rows_behind` added.
fn with_rows_behind(json: &[u8], account: &str, answer: &WidgetTable) -> Vec<u8> {
    let mut document: serde_json::Value =
        serde_json::from_slice(json).expect("the widget's JSON was just written");
    let links: Vec<Option<String>> = answer
        .drill
        .iter()
        .map(|filter| filter.as_ref().map(|filter| activity_link(account, filter)))
        .collect();
    document["rows_behind"] = serde_json::json!(links);
    serde_json::to_vec(&document).expect("a JSON value serialises")
}

/// The `/activity` request for `filter`.
fn activity_link(account: &str, filter: &ActivityFilter) -> String {
    let account: String =
        percent_encoding::utf8_percent_encode(account, percent_encoding::NON_ALPHANUMERIC)
            .collect();
    format!("/v1/accounts/{account}/activity?{}", activity_query(filter))
}

/// The query string of the `/activity` request for `filter`, which the web
/// page of the rows behind a figure takes too.
pub(crate) fn activity_query(filter: &ActivityFilter) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let kinds: Vec<&str> = filter.kinds.iter().map(|kind| kind.wire_name()).collect();
    query.append_pair("kind", &kinds.join(","));
    query.append_pair("from", &filter.days.first.to_string());
    query.append_pair("to", &filter.days.last.to_string());
    for (name, value) in [
        ("organization", filter.organization.as_deref()),
        ("team", filter.team.as_deref()),
        ("role", filter.role.map(|role| role.as_str())),
        ("user", filter.user.as_deref()),
    ] {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    match filter.subject.as_deref() {
        Some("") => {
            query.append_pair("no_subject", "true");
        }
        Some(subject) => {
            query.append_pair("subject", subject);
        }
        None => {}
    }
    query.finish()
}

/// The activity listing's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParameters {
    /// Kinds, comma-separated: login, page_visit, action_run, automation_run, ai_invocation, mcp_call; default all of them.
    #[serde(default, deserialize_with = "query::filter")]
    pub kind: Option<String>,
    /// The first day, YYYY-MM-DD in the account's time zone; default 29 days before `to`.
    #[serde(default, deserialize_with = "query::day")]
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day, YYYY-MM-DD, included; default today in the account's time zone.
    #[serde(default, deserialize_with = "query::day")]
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Only this organization's.
    #[serde(default, deserialize_with = "query::filter")]
    pub organization: Option<String>,
    /// Only what users did while in this team.
    #[serde(default, deserialize_with = "query::filter")]
    pub team: Option<String>,
    /// Only what users did while in this role: admin or member.
    #[serde(default, deserialize_with = "query::filter")]
    #[param(pattern = "^(admin|member)$")]
    pub role: Option<String>,
    /// Only this page, action, automation, AI source or MCP tool.
    #[serde(default, deserialize_with = "query::filter")]
    pub subject: Option<String>,
    /// Only activity without a subject (AI invocations shown as "Other", MCP calls without a tool).
    #[serde(default)]
    pub no_subject: Option<bool>,
    /// Only this user's.
    #[serde(default, deserialize_with = "query::filter")]
    pub user: Option<String>,
}

impl ActivityParameters {
    fn filter(self, today: NaiveDate) -> Result<ActivityFilter, ApiError> {
        let kinds = match &self.kind {
            None => ACTIVITY_KINDS.to_vec(),
            Some(text) => text
                .split(',')
                .map(|name| {
                    tally_events::EventKind::parse(name)
                        .filter(|kind| ACTIVITY_KINDS.contains(kind))
                        .ok_or_else(|| {
                            ApiError::bad_parameter(
                                "kind",
                                format!(
                                    "{name:?} is not a kind of activity: use login, page_visit, \
                                     action_run, automation_run, ai_invocation or mcp_call"
                                ),
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let last = self.to.unwrap_or(today);
        let first = self.from.unwrap_or(last - chrono::Days::new(29));
        query::check_range(&Some(first), &Some(last))?;
        let role = match &self.role {
            None => None,
            Some(text) => Some(tally_events::Role::parse(text).ok_or_else(|| {
                ApiError::bad_parameter("role", format!("{text:?} is not a role: admin or member"))
            })?),
        };
        let subject = match (self.subject, self.no_subject) {
            (Some(_), Some(true)) => {
                return Err(ApiError::bad_parameter(
                    "no_subject",
                    "give subject or no_subject=true, not both",
                ));
            }
            (None, Some(true)) => Some(String::new()),
            (subject, _) => subject,
        };
        Ok(ActivityFilter {
            kinds,
            days: DayRange { first, last },
            organization: self.organization,
            team: self.team,
            role,
            subject,
            user: self.user,
        })
    }
}

/// The activity behind a dashboard figure.
///
/// The day rows a widget's figure is summed from: per local day, kind,
/// organization, subject, user, role and teams, the events (runs, for action
/// and automation runs) and failures. Each widget row's `rows_behind` names
/// the request for its rows.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/activity",
    tag = "dashboard",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ActivityParameters,
        ListParameters<ActivityRow>,
    ),
    responses(
        ListingPage<ActivityRow>,
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn activity(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let (params, request) =
        listing.read::<ActivityParameters, ActivityRow>(CursorScope::Account(&account))?;
    let listing = state.with_store(move |store| activity_listing(store, &usage, params)).await?;
    list::answer(listing.rows, &request, &WriteOptions::new(listing.time_zone))
}

/// The activity rows a request asks for.
pub(crate) struct ActivityListing {
    /// The filter read from the request, its days filled in.
    pub filter: ActivityFilter,
    /// The rows, unsorted.
    pub rows: Vec<ActivityRow>,
    /// The account's time zone, which the days are in.
    pub time_zone: chrono_tz::Tz,
}

/// The activity rows `params` asks for; the days default to the 30 ending
/// today in the account's time zone.
pub(crate) fn activity_listing(
    store: &tally_store::Store,
    usage: &tally_access::AccountUsage,
    params: ActivityParameters,
) -> Result<ActivityListing, ApiError> {
    let calendar = store.account(usage.account())?.calendar;
    let filter = params.filter(tally_seats::local_date(&calendar, Utc::now()))?;
    let rows = activity_rows(store, usage, &filter)?;
    Ok(ActivityListing { filter, rows, time_zone: calendar.time_zone })
}
