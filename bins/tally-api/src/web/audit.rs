//! The audit log's pages, one tab per resource kind, and a member's My runs
//! (docs/web.md, "The audit log and My runs").
//!
//! Each page reads what the API's listing reads: its query string is the
//! listing's own filters and `sort` (read by the same parser, turned into the
//! same store query by the route's `audit_query` or `run_query`), and its
//! pages are linked with the cursors the API gives, so a page's rows and the
//! API's page for the same query are the same rows.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use maud::{Markup, PreEscaped, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use tally_access::{AuditView, Principal, RunsView};
use tally_audit::{
    Anchor, AnchorCheck, AuditAfter, AuditColumn, AuditEntry, AuditQuery, AuditStore, Change,
    ChangeKind, Diff, MissingSnapshot, VerifyReport,
};
use tally_events::{AuditStatus, Operation, OriginType, ResourceKind, SourceType};
use tally_figures::audit::{AuditReadError, AuditRow};
use tally_figures::runs::{RUNS, RunRow};
use tally_store::{RunColumn, RunQuery, RunState, RunsAfter, Store};

use crate::error::ApiError;
use crate::list::{CursorScope, ListRequest, StorePosition, read_listing};
use crate::routes::audit::{AuditParameters, audit_query};
use crate::routes::runs::{RunParameters, run_query};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::chain::{self, Checked, Verification};
use crate::web::layout::{Section, download_menu, instant, page, tabs};
use crate::web::session::Viewer;

/// The audit log's and a member's runs' pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(first_tab))
        .route("/audit/{kind}", get(audit_tab))
        .route("/runs", get(my_runs))
        .route("/runs/{run_id}", get(run_details))
}

/// Rows a page shows: a tenth of the seed's 1,000-entry view, so that a page
/// with every entry's changes stays far under 1 MB; the pager goes on past
/// the 1,000th.
const PAGE_ROWS: usize = 100;
/// Bytes of rows one page may hold: with the rest of the page, a page stays
/// under 1 MB however long its entries' texts and snapshots are (a text may
/// be 4 KiB, and escaping can make it six times longer). A page cut short
/// goes on at the next page, from its last row shown.
const PAGE_ROW_BYTES: usize = 600 * 1024;
/// Changes of one entry shown in its row; the whole entry is one link away.
const CHANGES_SHOWN: usize = 12;
/// Characters of one value shown in a diff.
const VALUE_CHARS: usize = 160;

/// The page's own parameters, beside the listing's filters and sort: the
/// number of the page's first row, an anchor to check, and a new filter rule
/// set's fields.
const ROW: &str = "row";
const ANCHOR: &str = "anchor";
const RULE_FIELD: &str = "field";
const RULE_OPERATOR: &str = "op";
const RULE_VALUE: &str = "value";

/// The listing's parameters the page sets itself: the tab names the resource
/// kind, and a page is always [`PAGE_ROWS`] rows of JSON.
const SET_BY_THE_PAGE: [&str; 4] = ["resource", "limit", "format", "bom"];

/// The kinds with a tab, in the seed's order: every kind an account's chain
/// holds (`monitor_tracking` is the deployment's own chain, not an account's).
fn tab_kinds() -> impl Iterator<Item = ResourceKind> {
    ResourceKind::SENT_NAMES.iter().filter_map(|name| ResourceKind::parse(name))
}

/// A tab's name.
fn tab_title(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Entity => "Entities",
        ResourceKind::Blueprint => "Blueprints",
        ResourceKind::Action => "Actions",
        ResourceKind::Automation => "Automations",
        ResourceKind::Scorecard => "Scorecards",
        ResourceKind::Run => "Runs",
        ResourceKind::Integration => "Integrations",
        ResourceKind::Secret => "Secrets",
        ResourceKind::SignIn => "Sign-ins",
        ResourceKind::AccountAccess => "Account access",
        ResourceKind::MonitorTracking => "Usage monitor tracking",
    }
}

/// A column of a tab, with its title there.
type TabColumn = (AuditColumn, &'static str);

/// A tab's columns with their titles: the seed's columns for every tab (Date,
/// Source, Operation, Type, Status, Error), with the kind's own after the date
/// (the Entities tab's Blueprint and Entity) or at the end (its Run ID).
fn tab_columns(kind: ResourceKind) -> Vec<TabColumn> {
    let (resource, end): (&[TabColumn], &[TabColumn]) = match kind {
        ResourceKind::Entity => (
            &[(AuditColumn::Blueprint, "Blueprint"), (AuditColumn::Entity, "Entity")],
            &[(AuditColumn::RunId, "Run ID")],
        ),
        ResourceKind::Blueprint => (&[(AuditColumn::ResourceId, "Blueprint")], &[]),
        ResourceKind::Action => (&[(AuditColumn::ResourceId, "Action")], &[]),
        ResourceKind::Automation => (&[(AuditColumn::ResourceId, "Automation")], &[]),
        ResourceKind::Scorecard => (&[(AuditColumn::ResourceId, "Scorecard")], &[]),
        ResourceKind::Run => (&[(AuditColumn::RunId, "Run ID")], &[]),
        ResourceKind::Integration => (&[(AuditColumn::Integration, "Integration")], &[]),
        ResourceKind::Secret => (&[(AuditColumn::ResourceId, "Secret")], &[]),
        ResourceKind::SignIn => (&[(AuditColumn::User, "User")], &[]),
        ResourceKind::AccountAccess => (&[(AuditColumn::ResourceId, "User")], &[]),
        ResourceKind::MonitorTracking => (&[(AuditColumn::ResourceId, "Resource")], &[]),
    };
    let mut columns = vec![(AuditColumn::At, "Date")];
    columns.extend_from_slice(resource);
    columns.extend_from_slice(&[
        (AuditColumn::Source, "Source"),
        (AuditColumn::Operation, "Operation"),
        (AuditColumn::Origin, "Type"),
        (AuditColumn::Status, "Status"),
        (AuditColumn::Error, "Error"),
    ]);
    columns.extend_from_slice(end);
    columns
}

/// `/audit`: the first tab.
async fn first_tab(viewer: Viewer) -> Result<Redirect, WebError> {
    viewer.administered_account()?;
    let first = tab_kinds().next().unwrap_or(ResourceKind::Entity);
    Ok(Redirect::to(&format!("/audit/{}", first.as_str())))
}

/// A query string read into the listing's parameters and the page's own.
struct PageQuery {
    /// The listing's filters and sort, in the order given.
    listing: Vec<(String, String)>,
    /// The number of the page's first row, from 1.
    row: usize,
    /// An anchor to check the chain against, as typed.
    anchor: Option<String>,
    /// Filter rules sent by the rules form: field, operator and value.
    rules: Option<Vec<(String, String, String)>>,
}

impl PageQuery {
    fn read(query: Option<&str>) -> Result<PageQuery, ApiError> {
        let mut page = PageQuery { listing: Vec::new(), row: 1, anchor: None, rules: None };
        let (mut fields, mut operators, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let value = value.into_owned();
            match &*name {
                ROW => {
                    page.row = value.parse().ok().filter(|row| *row >= 1).ok_or_else(|| {
                        ApiError::bad_parameter(ROW, format!("{value:?} is not a row number"))
                    })?;
                }
                ANCHOR => page.anchor = Some(value).filter(|text| !text.trim().is_empty()),
                RULE_FIELD => fields.push(value),
                RULE_OPERATOR => operators.push(value),
                RULE_VALUE => values.push(value),
                name if SET_BY_THE_PAGE.contains(&name) => {
                    return Err(ApiError::bad_parameter(
                        name,
                        "the page sets this itself (the tab names the resource kind; use the \
                         download menu for a whole table)",
                    ));
                }
                _ => page.listing.push((name.into_owned(), value)),
            }
        }
        if !fields.is_empty() {
            if fields.len() != operators.len() || fields.len() != values.len() {
                return Err(ApiError::bad_parameter(
                    RULE_FIELD,
                    "each filter rule needs a field, an operator and a value",
                ));
            }
            let rules = fields.into_iter().zip(operators).zip(values);
            page.rules = Some(rules.map(|((field, op), value)| (field, op, value)).collect());
        }
        Ok(page)
    }

    /// The listing's value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.listing.iter().find(|(given, _)| given == name).map(|(_, value)| value.as_str())
    }
}

/// A query string of `pairs`, `?` first, or nothing.
fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    let text = serializer.finish();
    if text.is_empty() { text } else { format!("?{text}") }
}

/// The listing's pairs with `name` replaced by `value` (or removed), and the
/// cursor and row left out: another sort or filter starts from the first row.
fn with<'a>(
    listing: &'a [(String, String)],
    name: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut pairs: Vec<(&str, &str)> = listing
        .iter()
        .filter(|(given, _)| given != name && given != "cursor")
        .map(|(given, value)| (given.as_str(), value.as_str()))
        .collect();
    if let Some(value) = value {
        pairs.push((name, value));
    }
    pairs
}

/// A filter rule's field: with its operator it maps onto one of the listing's
/// filter parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleField {
    Date,
    Source,
    SourceType,
    Operation,
    Origin,
    Status,
    Error,
    User,
    Blueprint,
    Entity,
    RunId,
    Integration,
}

/// How a rule compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleOperator {
    Is,
    Contains,
    OnOrAfter,
    Before,
}

impl RuleOperator {
    const ALL: [RuleOperator; 4] =
        [RuleOperator::Is, RuleOperator::Contains, RuleOperator::OnOrAfter, RuleOperator::Before];

    fn name(self) -> &'static str {
        match self {
            RuleOperator::Is => "is",
            RuleOperator::Contains => "contains",
            RuleOperator::OnOrAfter => "on-or-after",
            RuleOperator::Before => "before",
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleOperator::Is => "is",
            RuleOperator::Contains => "contains",
            RuleOperator::OnOrAfter => "on or after",
            RuleOperator::Before => "before",
        }
    }
}

impl RuleField {
    const ALL: [RuleField; 12] = [
        RuleField::Date,
        RuleField::Source,
        RuleField::SourceType,
        RuleField::Operation,
        RuleField::Origin,
        RuleField::Status,
        RuleField::Error,
        RuleField::User,
        RuleField::Blueprint,
        RuleField::Entity,
        RuleField::RunId,
        RuleField::Integration,
    ];

    fn name(self) -> &'static str {
        match self {
            RuleField::Date => "date",
            RuleField::Source => "source",
            RuleField::SourceType => "source_type",
            RuleField::Operation => "operation",
            RuleField::Origin => "origin",
            RuleField::Status => "status",
            RuleField::Error => "error",
            RuleField::User => "user",
            RuleField::Blueprint => "blueprint",
            RuleField::Entity => "entity",
            RuleField::RunId => "run_id",
            RuleField::Integration => "integration",
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleField::Date => "Date",
            RuleField::Source => "Source",
            RuleField::SourceType => "Source type",
            RuleField::Operation => "Operation",
            RuleField::Origin => "Type",
            RuleField::Status => "Status",
            RuleField::Error => "Error",
            RuleField::User => "User",
            RuleField::Blueprint => "Blueprint",
            RuleField::Entity => "Entity",
            RuleField::RunId => "Run ID",
            RuleField::Integration => "Integration",
        }
    }

    /// The operators the listing has a filter for: dates compare, source and
    /// error match text anywhere, everything else matches exactly.
    fn operators(self) -> &'static [RuleOperator] {
        match self {
            RuleField::Date => &[RuleOperator::OnOrAfter, RuleOperator::Before],
            RuleField::Source | RuleField::Error => &[RuleOperator::Contains],
            RuleField::SourceType
            | RuleField::Operation
            | RuleField::Origin
            | RuleField::Status
            | RuleField::User
            | RuleField::Blueprint
            | RuleField::Entity
            | RuleField::RunId
            | RuleField::Integration => &[RuleOperator::Is],
        }
    }

    /// The listing's filter parameter for this field and operator.
    fn parameter(self, operator: RuleOperator) -> Option<&'static str> {
        match (self, operator) {
            (RuleField::Date, RuleOperator::OnOrAfter) => Some("from"),
            (RuleField::Date, RuleOperator::Before) => Some("to"),
            (RuleField::Error, RuleOperator::Contains) => Some("error"),
            (field, operator) if field.operators().contains(&operator) => Some(field.name()),
            _ => None,
        }
    }

    /// The values a closed field takes, offered as suggestions.
    fn suggestions(self) -> &'static [&'static str] {
        match self {
            RuleField::Operation => Operation::WIRE_NAMES,
            RuleField::Status => AuditStatus::WIRE_NAMES,
            RuleField::SourceType => SourceType::WIRE_NAMES,
            RuleField::Origin => OriginType::KNOWN,
            RuleField::Date
            | RuleField::Source
            | RuleField::Error
            | RuleField::User
            | RuleField::Blueprint
            | RuleField::Entity
            | RuleField::RunId
            | RuleField::Integration => &[],
        }
    }

    fn hint(self) -> &'static str {
        match self {
            RuleField::Date => "an RFC 3339 instant, such as 2026-12-01T00:00:00Z",
            _ => "",
        }
    }

    /// The rule a listing parameter holds, if it is a filter.
    fn of_parameter(name: &str) -> Option<(RuleField, RuleOperator)> {
        RuleField::ALL.into_iter().find_map(|field| {
            RuleOperator::ALL
                .into_iter()
                .find(|operator| field.parameter(*operator) == Some(name))
                .map(|operator| (field, operator))
        })
    }
}

/// The listing's filter parameters of the rules a form sent, in its order;
/// a rule without a value is left out.
fn rule_parameters(rules: &[(String, String, String)]) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for (field_name, operator_name, value) in rules {
        if value.trim().is_empty() {
            continue;
        }
        let field = RuleField::ALL.into_iter().find(|field| field.name() == field_name);
        let field = field.ok_or_else(|| {
            ApiError::bad_parameter(RULE_FIELD, format!("{field_name:?} is not a field to filter"))
        })?;
        let operator = RuleOperator::ALL.into_iter().find(|op| op.name() == operator_name);
        let parameter =
            operator.and_then(|operator| field.parameter(operator)).ok_or_else(|| {
                let operators: Vec<&str> = field.operators().iter().map(|op| op.title()).collect();
                ApiError::bad_parameter(
                    RULE_OPERATOR,
                    format!(
                        "{} takes {}, not {operator_name:?}",
                        field.title(),
                        operators.join(" or ")
                    ),
                )
            })?;
        pairs.push((parameter.to_owned(), value.trim().to_owned()));
    }
    Ok(pairs)
}

/// A listing's order: its sort column's name, and which way.
#[derive(Debug, Clone, Copy)]
struct Order {
    sort: &'static str,
    descending: bool,
}

/// Where a page sits among the listing's pages, and its neighbours' cursors.
struct Pager {
    /// The number of the page's first row.
    row: usize,
    /// The next page's cursor.
    next: Option<String>,
    /// The previous page: `Some(None)` is the first page.
    previous: Option<Option<String>>,
}

/// The rows of `items` that fit in [`PAGE_ROW_BYTES`], rendered, and how
/// many: always the first, so that a page always moves on.
fn rows_within_budget<T>(items: &[T], render: impl Fn(&T) -> Markup) -> (Markup, usize) {
    let mut html = String::new();
    let mut shown = 0;
    for item in items {
        let row = render(item).into_string();
        if shown > 0 && html.len() + row.len() > PAGE_ROW_BYTES {
            break;
        }
        html.push_str(&row);
        shown += 1;
    }
    // Every value in `html` was escaped by maud as each row was rendered.
    (PreEscaped(html), shown)
}

/// Reads a page of a store-paged listing from `start`, with `read(after,
/// reversed, limit)` reading the listing (or, reversed, the listing read
/// backwards) after a position, and `position` a row's position. The next
/// cursor is the one the API gives for this page; the previous page's is
/// found by reading backwards from the page's first row.
fn read_page<T, P: StorePosition>(
    request: &ListRequest,
    start: Option<P>,
    row: usize,
    read: impl Fn(Option<P>, bool, usize) -> Result<Vec<T>, ApiError>,
    position: impl Fn(&T) -> P,
) -> Result<(Vec<T>, Pager), ApiError> {
    let had_start = start.is_some();
    let mut rows = read(start, false, PAGE_ROWS + 1)?;
    let more = rows.len() > PAGE_ROWS;
    rows.truncate(PAGE_ROWS);
    let next = match rows.last() {
        Some(last) if more => Some(request.store_cursor(position(last))),
        _ => None,
    };
    let previous = match rows.first() {
        Some(first) if had_start => {
            let before = read(Some(position(first)), true, PAGE_ROWS + 1)?;
            Some(before.get(PAGE_ROWS).map(|row| request.store_cursor(position(row))))
        }
        None if had_start => Some(None),
        _ => None,
    };
    Ok((rows, Pager { row, next, previous }))
}

/// What an audit tab shows besides its rows.
struct ChainStatus {
    /// The head the file has now: the latest anchor.
    head: Anchor,
    verification: Verification,
    /// The anchor the viewer asked to check, and what came of it (or why it
    /// could not be read).
    anchor: Option<(String, Result<Option<AnchorCheck>, String>)>,
}

/// What the tab's read of the audit log gives for its status: the head, and,
/// when the viewer asked to check an anchor of this account, a whole
/// verification against it (as `tally-export audit verify --anchor` does).
struct ChainRead {
    head: Anchor,
    anchor_report: Option<VerifyReport>,
    anchor: Option<(String, Result<Option<AnchorCheck>, String>)>,
}

fn chain_read(
    log: &AuditStore,
    account: &str,
    anchor_text: Option<&str>,
) -> Result<ChainRead, ApiError> {
    let internal = |error| ApiError::from(AuditReadError::Audit(error));
    let head = log.head(account).map_err(internal)?;
    let Some(text) = anchor_text else {
        return Ok(ChainRead { head, anchor_report: None, anchor: None });
    };
    Ok(match text.trim().parse::<Anchor>() {
        Ok(anchor) if anchor.account == account => {
            let report = log.verify(account, Some(&anchor)).map_err(internal)?;
            let check = report.anchor;
            ChainRead {
                head,
                anchor_report: Some(report),
                anchor: Some((text.to_owned(), Ok(check))),
            }
        }
        Ok(anchor) => ChainRead {
            head,
            anchor_report: None,
            anchor: Some((
                text.to_owned(),
                Err(format!("it is an anchor of account {:?}, not of {account:?}", anchor.account)),
            )),
        },
        Err(error) => ChainRead {
            head,
            anchor_report: None,
            anchor: Some((text.to_owned(), Err(error.to_string()))),
        },
    })
}

/// The tab's chain status: the anchor check's verification when one was
/// asked for, else the account's last one (web/chain.rs).
async fn chain_status(state: &AppState, account: &str, read: ChainRead) -> ChainStatus {
    let verification = match read.anchor_report {
        Some(report) => Verification::Current(Checked { report, at: Utc::now() }),
        None => chain::verification(state, account, &read.head).await,
    };
    ChainStatus { head: read.head, verification, anchor: read.anchor }
}

/// `/audit/{kind}`: one resource kind's entries, for the account's administrator.
async fn audit_tab(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind_name): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Result<Response, WebError> {
    let account = viewer.administered_account()?.to_owned();
    let view: AuditView = viewer.principal.read_audit(&account)?;
    let kind = tab_kinds()
        .find(|kind| kind.as_str() == kind_name)
        .ok_or_else(|| ApiError::NotFound(format!("no audit log tab {kind_name:?}")))?;
    let page_query = PageQuery::read(raw_query.as_deref())?;
    if let Some(rules) = &page_query.rules {
        // A rules form sent: show its filters as the listing's own parameters,
        // so that the address can be shared and handed to the API as it is.
        let mut pairs = rule_parameters(rules)?;
        if let Some(sort) = page_query.get("sort") {
            pairs.push(("sort".to_owned(), sort.to_owned()));
        }
        let query = query_string(pairs.iter().map(|(name, value)| (name.as_str(), value.as_str())));
        return Ok(Redirect::to(&format!("/audit/{kind_name}{query}")).into_response());
    }
    let limit = PAGE_ROWS.to_string();
    let api_query = {
        let mut pairs =
            page_query.listing.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>();
        pairs.push(("resource", kind.as_str()));
        pairs.push(("limit", &limit));
        query_string(pairs)
    };
    let (params, request) = read_listing::<AuditParameters, AuditRow>(
        api_query.strip_prefix('?'),
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Account(&account),
    )?;
    let query = audit_query(params, &request)?;
    let (sort, descending) = (query.sort, query.descending);
    let start = request.store_start::<AuditAfter>(sort.is_integer())?;
    let row = if start.is_some() { page_query.row } else { 1 };
    let anchor = page_query.anchor.clone();
    let cursors = request.clone();
    let (entries, mut pager, status) = {
        let account = account.clone();
        state
            .with_audit(move |store, log| {
                let (store, log): (&Store, &AuditStore) = (store, log);
                let (entries, pager) = read_page(
                    &request,
                    start,
                    row,
                    |after, reversed, limit| {
                        let descending = query.descending != reversed;
                        let page = AuditQuery { after, limit, descending, ..query.clone() };
                        Ok(tally_figures::audit::audit_entries(store, log, &view, &page)?)
                    },
                    |entry: &AuditEntry| entry.after(sort),
                )?;
                let chain = chain_read(log, &account, anchor.as_deref())?;
                Ok((entries, pager, chain))
            })
            .await?
    };
    let status = chain_status(&state, &account, status).await;
    let columns = tab_columns(kind);
    let (rows, shown) = rows_within_budget(&entries, |entry| entry_rows(&account, entry, &columns));
    if shown < entries.len() {
        pager.next = Some(cursors.store_cursor(entries[shown - 1].after(sort)));
    }
    let body = audit_body(
        &account,
        kind,
        &page_query,
        Order { sort: sort.name(), descending },
        (rows, shown),
        &pager,
        &status,
    );
    Ok(page(&viewer, "Audit log", Section::Audit, &["audit.js"], body).into_response())
}

fn audit_body(
    account: &str,
    kind: ResourceKind,
    page_query: &PageQuery,
    order: Order,
    (rows, shown): (Markup, usize),
    pager: &Pager,
    status: &ChainStatus,
) -> Markup {
    let columns = tab_columns(kind);
    let listing = &page_query.listing;
    let tab_items =
        tab_kinds().map(|tab| (tab_title(tab), format!("/audit/{}", tab.as_str()), tab == kind));
    let path = format!("/audit/{}", kind.as_str());
    let api = format!("/v1/accounts/{account}/audit");
    let downloads = ["csv", "xlsx", "json"].map(|format| {
        let mut pairs = with(listing, "format", Some(format));
        pairs.push(("resource", kind.as_str()));
        (format, format!("{api}{}", query_string(pairs)))
    });
    let caption = format!("{} of the audit log", tab_title(kind));
    html! {
        (chain_block(&path, status))
        (tabs("Resource kinds", tab_items))
        (rules_form(&path, listing))
        div class="table-tools" {
            (column_settings(kind, &columns))
            (download_menu("Download all", downloads.iter().map(|(name, href)| (*name, href.clone()))))
        }
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table class="audit-entries" data-columns-key={ "tally.audit.columns." (kind.as_str()) } {
                caption { (caption) }
                thead {
                    tr {
                        th scope="col" class="expand-col" { span class="visually-hidden" { "Changes" } }
                        @for (column, title) in &columns {
                            (sort_header(&path, listing, column.name(), title, order))
                        }
                    }
                }
                tbody {
                    @if shown == 0 {
                        tr { td colspan=(columns.len() + 1) { "No entries match." } }
                    }
                    (rows)
                }
            }
        }
        (pager_nav(&path, listing, pager, shown, ("Entries", "No entries")))
    }
}

/// A sortable column's header: a link that sorts by it (ascending first,
/// then the other way), with `aria-sort` on the sorted one.
fn sort_header(
    path: &str,
    listing: &[(String, String)],
    name: &str,
    title: &str,
    order: Order,
) -> Markup {
    let Order { sort: sorted_by, descending } = order;
    let sorted = name == sorted_by;
    let next = if sorted && !descending { format!("-{name}") } else { name.to_owned() };
    let aria_sort = sorted.then_some(if descending { "descending" } else { "ascending" });
    let href = format!("{path}{}", query_string(with(listing, "sort", Some(&next))));
    let how = if next.starts_with('-') { "descending" } else { "ascending" };
    html! {
        th scope="col" data-column=(name) aria-sort=[aria_sort] {
            a href=(href) title={ "Sort by " (title) ", " (how) } {
                (title)
                @if let Some(order) = aria_sort {
                    span aria-hidden="true" { @if order == "descending" { " ▼" } @else { " ▲" } }
                }
            }
        }
    }
}

/// An entry's row, and the row of its changes that the row's button shows.
fn entry_rows(
    account: &str,
    entry: &AuditEntry,
    columns: &[(AuditColumn, &'static str)],
) -> Markup {
    let row = AuditRow::from(entry);
    let changes_id = format!("changes-{}", entry.seq);
    html! {
        tr class="entry" data-seq=(entry.seq) {
            td class="expand-col" {
                button type="button" class="expand" hidden aria-expanded="false" aria-controls=(changes_id) {
                    span aria-hidden="true" { "▸" }
                    span class="visually-hidden" { "Changes of entry " (entry.seq) }
                }
            }
            @for (column, _) in columns {
                td data-column=(column.name()) { (cell(&row, *column)) }
            }
        }
        tr class="changes" id=(changes_id) {
            td colspan=(columns.len() + 1) {
                (diff_view(account, entry))
            }
        }
    }
}

/// A column's value in an entry's row.
fn cell(row: &AuditRow, column: AuditColumn) -> Markup {
    let text = |value: &Option<String>| html! { @if let Some(value) = value { (value) } };
    match column {
        AuditColumn::At => instant(row.at),
        AuditColumn::Seq => html! { (row.seq) },
        AuditColumn::EventId => html! {},
        AuditColumn::Resource => html! { (row.resource) },
        AuditColumn::ResourceId => text(&row.resource_id),
        AuditColumn::Operation => html! { (row.operation) },
        AuditColumn::SourceType => html! { (row.source_type) },
        AuditColumn::Source => html! { (row.source) },
        AuditColumn::Origin => html! { (row.origin) },
        AuditColumn::Status => html! { span class={ "outcome " (row.status) } { (row.status) } },
        AuditColumn::Error => text(&row.error),
        AuditColumn::User => text(&row.user),
        AuditColumn::Blueprint => text(&row.blueprint),
        AuditColumn::Entity => text(&row.entity),
        AuditColumn::RunId => text(&row.run_id),
        AuditColumn::Integration => text(&row.integration),
    }
}

/// A value in a diff: its JSON, cut short when long.
fn shown_value(value: Option<&Value>) -> String {
    let Some(value) = value else { return String::new() };
    let text = value.to_string();
    if text.chars().count() <= VALUE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(VALUE_CHARS).collect();
    short.push('…');
    short
}

/// An entry's before/after diff, from the same data as the API's entry
/// (`AuditEntry::diff`), with a link to the whole entry.
fn diff_view(account: &str, entry: &AuditEntry) -> Markup {
    let whole = format!("/v1/accounts/{account}/audit/{}", entry.seq);
    let diff = entry.diff();
    html! {
        div class="diff" data-seq=(entry.seq) {
            @match &diff {
                Diff::NoSnapshot { missing } => {
                    p class="no-snapshot" {
                        @match missing {
                            MissingSnapshot::Before => "No before snapshot was captured for this change.",
                            MissingSnapshot::After => "No after snapshot was captured for this change.",
                            MissingSnapshot::Both => "This entry has no snapshots: there is no diff to show.",
                        }
                    }
                }
                Diff::Changes { changes } if changes.is_empty() => {
                    p { "The before and after snapshots are the same." }
                }
                Diff::Changes { changes } => {
                    table class="diff-table" {
                        caption { "Changes of entry " (entry.seq) }
                        thead {
                            tr {
                                th scope="col" { "Field" }
                                th scope="col" { "Change" }
                                th scope="col" { "Before" }
                                th scope="col" { "After" }
                            }
                        }
                        tbody {
                            @for change in changes.iter().take(CHANGES_SHOWN) {
                                (change_row(change))
                            }
                        }
                    }
                    @if changes.len() > CHANGES_SHOWN {
                        p class="hint" { (changes.len() - CHANGES_SHOWN) " more changes are in the whole entry." }
                    }
                }
            }
            p class="hint" { "Entry " (entry.seq) ": " a href=(whole) { "the whole entry as JSON" } }
        }
    }
}

fn change_row(change: &Change) -> Markup {
    let kind = match change.kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    };
    let path = if change.path.is_empty() { "(the whole resource)" } else { change.path.as_str() };
    html! {
        tr class={ "change " (kind) } {
            th scope="row" { code { (path) } }
            td { (kind) }
            td class="before" { code { (shown_value(change.before.as_ref())) } }
            td class="after" { code { (shown_value(change.after.as_ref())) } }
        }
    }
}

/// The chain's verification status, the latest anchor, and a form to check
/// an anchor the viewer kept.
fn chain_block(path: &str, status: &ChainStatus) -> Markup {
    html! {
        section class="chain" aria-labelledby="chain-title" {
            h2 id="chain-title" { "Integrity" }
            @match &status.verification {
                Verification::Current(checked) => {
                    (verified(&checked.report))
                    p class="hint" { "Verified at " (instant(checked.at)) "." }
                }
                Verification::Earlier(checked) => {
                    p class="status earlier" role="status" {
                        "Entries after seq " (checked.report.head.seq) " are being verified now: reload in a moment for their status. "
                        "The last verification, at " (instant(checked.at)) ", said:"
                    }
                    (verified(&checked.report))
                }
                Verification::Pending => {
                    p class="status pending" role="status" {
                        "The chain is being verified: reload in a moment for its status."
                    }
                }
            }
            p {
                "Latest anchor: " code class="anchor" { (status.head.to_string()) }
                span class="hint" { " Keep anchors somewhere Tally does not control; checking one proves nothing up to it was rewritten." }
            }
            @if let Some((text, outcome)) = &status.anchor {
                p class={ "status anchor-outcome " (anchor_class(outcome)) } role="status" {
                    "Anchor " code { (text) } ": " (anchor_outcome(outcome))
                }
            }
            form method="get" action=(path) class="anchor-check" {
                label for="anchor" { "Check an anchor you kept" }
                input id="anchor" name=(ANCHOR) type="text" spellcheck="false" autocomplete="off"
                    placeholder="account:seq:digest" value=[status.anchor.as_ref().map(|(text, _)| text.as_str())];
                button type="submit" class="quiet" { "Check" }
            }
        }
    }
}

/// What a verification found.
fn verified(report: &VerifyReport) -> Markup {
    html! {
        @match &report.problem {
            None => {
                p class="status ok" role="status" {
                    strong { "Verified: the chain is intact. " }
                    (report.entries) " entries and " (report.tombstones)
                    " tombstones of purged entries were checked against their hashes and seals, up to seq "
                    (report.head.seq) " (entries up to seq " (report.checkpoint_seq) " are purged into the signed checkpoint)."
                }
            }
            Some(problem) => {
                p class="status broken" role="alert" {
                    strong { "The chain is broken: " } (problem.to_string()) "."
                }
            }
        }
    }
}

fn anchor_class(outcome: &Result<Option<AnchorCheck>, String>) -> &'static str {
    match outcome {
        Ok(Some(AnchorCheck::Matched | AnchorCheck::Purged { .. })) => "ok",
        _ => "broken",
    }
}

fn anchor_outcome(outcome: &Result<Option<AnchorCheck>, String>) -> String {
    match outcome {
        Ok(Some(AnchorCheck::Matched)) => "the chain holds this digest at its seq: nothing up to it was rewritten.".to_owned(),
        Ok(Some(AnchorCheck::Purged { checkpoint_seq })) => format!(
            "its entry and every one before it are purged (the checkpoint is at seq {checkpoint_seq}): nothing it protected is left to check."
        ),
        Ok(Some(AnchorCheck::Mismatched)) => "the chain does not hold this digest at its seq: it was rewritten at or before it, or cut short.".to_owned(),
        Ok(Some(AnchorCheck::NotReached)) => "an earlier problem stopped the check before its seq.".to_owned(),
        Ok(None) => "not checked.".to_owned(),
        Err(reason) => format!("not an anchor of this log: {reason}."),
    }
}

/// The filter rules: each of the listing's filters as a rule to change or
/// remove, and a blank rule to add one; sent, they become the listing's
/// filter parameters in the address.
fn rules_form(path: &str, listing: &[(String, String)]) -> Markup {
    let rules: Vec<(usize, RuleField, RuleOperator, &str)> = listing
        .iter()
        .enumerate()
        .filter_map(|(index, (name, value))| {
            RuleField::of_parameter(name).map(|(field, op)| (index, field, op, value.as_str()))
        })
        .collect();
    let sort = listing.iter().find(|(name, _)| name == "sort").map(|(_, value)| value.as_str());
    html! {
        form method="get" action=(path) class="rules" {
            fieldset {
                legend { "Filter rules" }
                @if let Some(sort) = sort {
                    input type="hidden" name="sort" value=(sort);
                }
                ol class="rule-list" {
                    @for (number, (index, field, op, value)) in rules.iter().enumerate() {
                        (rule_row(number + 1, Some((*field, *op, *value)), Some(
                            format!("{path}{}", query_string(
                                listing.iter().enumerate()
                                    .filter(|(other, (name, _))| other != index && name != "cursor")
                                    .map(|(_, (name, value))| (name.as_str(), value.as_str()))
                            ))
                        )))
                    }
                    (rule_row(rules.len() + 1, None, None))
                }
                div class="rule-actions" {
                    button type="button" class="quiet add-rule" hidden { "Add a rule" }
                    button type="submit" { "Apply rules" }
                    @if !rules.is_empty() {
                        a href=(format!("{path}{}", query_string(sort.map(|sort| ("sort", sort))))) { "Clear all rules" }
                    }
                }
                datalist id="rule-suggestions" {
                    @for field in RuleField::ALL {
                        @for suggestion in field.suggestions() {
                            option value=(suggestion) data-field=(field.name()) {}
                        }
                    }
                }
            }
        }
    }
}

/// One rule's controls, numbered for their labels; `remove` is the address
/// without it.
fn rule_row(
    number: usize,
    rule: Option<(RuleField, RuleOperator, &str)>,
    remove: Option<String>,
) -> Markup {
    let id = |part: &str| format!("rule-{number}-{part}");
    let (field, operator, value) = match rule {
        Some((field, operator, value)) => (Some(field), Some(operator), value),
        None => (None, None, ""),
    };
    let hint = field.map(RuleField::hint).filter(|hint| !hint.is_empty());
    html! {
        li class="rule" {
            label for=(id("field")) { "Field" span class="visually-hidden" { " of rule " (number) } }
            select id=(id("field")) name=(RULE_FIELD) {
                @for option in RuleField::ALL {
                    option value=(option.name()) selected[Some(option) == field] { (option.title()) }
                }
            }
            label for=(id("op")) { "Operator" span class="visually-hidden" { " of rule " (number) } }
            select id=(id("op")) name=(RULE_OPERATOR) {
                @for option in RuleOperator::ALL {
                    option value=(option.name()) selected[Some(option) == operator]
                        data-fields=(RuleField::ALL.iter().filter(|field| field.operators().contains(&option)).map(|field| field.name()).collect::<Vec<_>>().join(" "))
                    { (option.title()) }
                }
            }
            label for=(id("value")) { "Value" span class="visually-hidden" { " of rule " (number) } }
            input id=(id("value")) name=(RULE_VALUE) type="text" value=(value) list="rule-suggestions"
                spellcheck="false" autocomplete="off" title=[hint];
            @if let Some(remove) = remove {
                a href=(remove) class="remove-rule" { "Remove" span class="visually-hidden" { " rule " (number) } }
            }
        }
    }
}

/// The settings that hide and reorder a table's columns; audit.js shows them
/// and remembers the choice in the browser. Without the script every column
/// shows, in this order.
fn column_settings(kind: ResourceKind, columns: &[(AuditColumn, &'static str)]) -> Markup {
    html! {
        details class="column-settings" hidden data-kind=(kind.as_str()) {
            summary { "Columns" }
            ol {
                @for (column, title) in columns {
                    li data-column=(column.name()) {
                        label {
                            input type="checkbox" checked value=(column.name());
                            " " (title)
                        }
                        button type="button" class="quiet move" data-move="up" { "↑" span class="visually-hidden" { " Move " (title) " up" } }
                        button type="button" class="quiet move" data-move="down" { "↓" span class="visually-hidden" { " Move " (title) " down" } }
                    }
                }
            }
            button type="button" class="quiet reset-columns" { "Show all, in the first order" }
        }
    }
}

/// Links to the previous and next pages, and which rows these are.
fn pager_nav(
    path: &str,
    listing: &[(String, String)],
    pager: &Pager,
    shown: usize,
    (what, none): (&str, &str),
) -> Markup {
    let link = |cursor: Option<&str>, row: usize| {
        let mut pairs = with(listing, "cursor", cursor);
        let row_text = row.to_string();
        if cursor.is_some() {
            pairs.push((ROW, &row_text));
        }
        format!("{path}{}", query_string(pairs))
    };
    let first = pager.row;
    let last = pager.row + shown.saturating_sub(1);
    html! {
        nav class="pager" aria-label="Pages" {
            @if let Some(cursor) = &pager.previous {
                a href=(link(cursor.as_deref(), pager.row.saturating_sub(PAGE_ROWS).max(1))) rel="prev" { "Previous page" }
            }
            span class="rows" {
                @if shown == 0 { (none) } @else { (what) " " (thousands(first)) " to " (thousands(last)) }
            }
            @if let Some(cursor) = &pager.next {
                a href=(link(Some(cursor), pager.row + shown)) rel="next" { "Next page" }
            }
        }
    }
}

/// A count with thousands separated: 1,001.
fn thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `/runs`: a member's own action runs (the seed's "My inbox > Runs"); an
/// administrator sees the account's runs, as the API gives them.
async fn my_runs(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw_query): RawQuery,
) -> Result<Response, WebError> {
    let account = viewer
        .principal
        .account()
        .ok_or(ApiError::Forbidden { needs: "an account's member or administrator" })?
        .to_owned();
    let view: RunsView = viewer.principal.read_runs(&account)?;
    let page_query = PageQuery::read(raw_query.as_deref())?;
    if page_query.rules.is_some() || page_query.anchor.is_some() {
        return Err(ApiError::bad_parameter(RULE_FIELD, "the runs page has no filter rules").into());
    }
    let limit = PAGE_ROWS.to_string();
    let api_query = {
        let mut pairs =
            page_query.listing.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>();
        pairs.push(("limit", &limit));
        query_string(pairs)
    };
    let (params, request) = read_listing::<RunParameters, RunRow>(
        api_query.strip_prefix('?'),
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Account(&account),
    )?;
    let query = run_query(params, &request)?;
    let (sort, descending) = (query.sort, query.descending);
    let start = request.store_start::<RunsAfter>(sort == RunColumn::At)?;
    let row = if start.is_some() { page_query.row } else { 1 };
    let cursors = request.clone();
    let (runs, mut pager) = state
        .with_store(move |store| {
            let store: &Store = store;
            read_page(
                &request,
                start,
                row,
                |after, reversed, limit| {
                    let descending = query.descending != reversed;
                    let page = RunQuery { after, limit, descending, ..query.clone() };
                    Ok(store.runs(&view, &page)?)
                },
                |run: &RunState| RunsAfter { key: run.key(sort), seq: run.seq },
            )
        })
        .await?;
    let member = matches!(viewer.principal, Principal::Member { .. });
    let title = if member { "My runs" } else { "Action runs" };
    let (rows, shown) = rows_within_budget(&runs, |run| run_row(&RunRow::from(run.clone())));
    if shown < runs.len() {
        let last = &runs[shown - 1];
        pager.next = Some(cursors.store_cursor(RunsAfter { key: last.key(sort), seq: last.seq }));
    }
    let body = runs_body(
        &account,
        &page_query,
        Order { sort: sort.name(), descending },
        (rows, shown),
        &pager,
        member,
    );
    Ok(page(&viewer, title, Section::MyRuns, &["audit.js"], body).into_response())
}

fn runs_body(
    account: &str,
    page_query: &PageQuery,
    order: Order,
    (rows, shown): (Markup, usize),
    pager: &Pager,
    member: bool,
) -> Markup {
    let listing = &page_query.listing;
    let caption = if member { "Action runs you started" } else { "The account's action runs" };
    let api = format!("/v1/accounts/{account}/runs");
    let downloads = ["csv", "xlsx", "json"].map(|format| {
        (format, format!("{api}{}", query_string(with(listing, "format", Some(format)))))
    });
    html! {
        p class="hint" {
            @if member {
                "Every state reported for the action runs you started, newest first; a run that reports progress has a row per report."
            } @else {
                "Every state reported for the account's action runs, newest first."
            }
        }
        div class="table-tools" {
            (download_menu("Download all", downloads.iter().map(|(name, href)| (*name, href.clone()))))
        }
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table class="runs" {
                caption { (caption) }
                thead {
                    tr {
                        @for column in RUNS.columns {
                            (sort_header("/runs", listing, column.name, column.title, order))
                        }
                    }
                }
                tbody {
                    @if shown == 0 {
                        tr { td colspan=(RUNS.columns.len()) { "No runs." } }
                    }
                    (rows)
                }
            }
        }
        (pager_nav("/runs", listing, pager, shown, ("Runs", "No runs")))
    }
}

/// A run's row, its id a link to its audit details.
fn run_row(run: &RunRow) -> Markup {
    html! {
        tr {
            td data-column="at" { (instant(run.at)) }
            td data-column="run_id" {
                a href={ "/runs/" (utf8_percent_encode(&run.run_id, PATH_SEGMENT)) }
                    title="This run's audit details" { (run.run_id) }
            }
            td data-column="action" { (run.action) }
            td data-column="organization" { (run.organization) }
            td data-column="trigger" { (run.trigger) }
            td data-column="status" { span class={ "outcome " (run.status) } { (run.status) } }
            td data-column="user" { @if let Some(user) = &run.user { (user) } }
        }
    }
}

/// What a run id keeps of itself in a path: letters, digits, `-`, `_`, `.`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// The columns of a run's audit details: what each change was to.
const RUN_DETAIL_COLUMNS: [TabColumn; 7] = [
    (AuditColumn::At, "Date"),
    (AuditColumn::Resource, "Resource"),
    (AuditColumn::ResourceId, "Name"),
    (AuditColumn::Operation, "Operation"),
    (AuditColumn::Origin, "Type"),
    (AuditColumn::Status, "Status"),
    (AuditColumn::Error, "Error"),
];

/// `/runs/{run_id}`: the audit details of one action run, newest first (the
/// seed's "audit details" of My runs): the rows of the API's audit listing
/// with `run_id`, which a member may read for their own runs only.
async fn run_details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(run_id): Path<String>,
) -> Result<Response, WebError> {
    let account = viewer
        .principal
        .account()
        .ok_or(ApiError::Forbidden { needs: "an account's member or administrator" })?
        .to_owned();
    let view: AuditView = viewer.principal.read_audit(&account)?;
    let limit = PAGE_ROWS.to_string();
    let api_query = query_string([("run_id", run_id.as_str()), ("limit", &limit)]);
    let (params, request) = read_listing::<AuditParameters, AuditRow>(
        api_query.strip_prefix('?'),
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Account(&account),
    )?;
    let query = audit_query(params, &request)?;
    let sort = query.sort;
    let (entries, pager) = state
        .with_audit(move |store, log| {
            let (store, log): (&Store, &AuditStore) = (store, log);
            read_page(
                &request,
                None,
                1,
                |after, reversed, limit| {
                    let descending = query.descending != reversed;
                    let page = AuditQuery { after, limit, descending, ..query.clone() };
                    Ok(tally_figures::audit::audit_entries(store, log, &view, &page)?)
                },
                |entry: &AuditEntry| entry.after(sort),
            )
        })
        .await?;
    let api = format!("/v1/accounts/{account}/audit");
    let downloads = ["csv", "xlsx", "json"].map(|format| {
        (
            format,
            format!("{api}{}", query_string([("run_id", run_id.as_str()), ("format", format)])),
        )
    });
    let caption = format!("Audit entries of run {run_id}");
    let (rows, shown) =
        rows_within_budget(&entries, |entry| entry_rows(&account, entry, &RUN_DETAIL_COLUMNS));
    let body = html! {
        p { a href="/runs" { "Back to the runs" } }
        div class="table-tools" {
            p class="hint" { "Every change this run made or recorded, newest first, each with its before/after diff." }
            (download_menu("Download all", downloads.iter().map(|(name, href)| (*name, href.clone()))))
        }
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table class="audit-entries run-details" {
                caption { (caption) }
                thead {
                    tr {
                        th scope="col" class="expand-col" { span class="visually-hidden" { "Changes" } }
                        @for (column, title) in &RUN_DETAIL_COLUMNS {
                            th scope="col" data-column=(column.name()) { (title) }
                        }
                    }
                }
                tbody {
                    @if shown == 0 {
                        tr { td colspan=(RUN_DETAIL_COLUMNS.len() + 1) { "No audit entries name this run." } }
                    }
                    (rows)
                }
            }
        }
        @if pager.next.is_some() || shown < entries.len() {
            p class="hint" { "The first " (shown) " entries are shown; the download holds every one." }
        }
    };
    let title = format!("Run {run_id}");
    Ok(page(&viewer, &title, Section::MyRuns, &["audit.js"], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rules: &[(&str, &str, &str)], expected: Result<&[(&str, &str)], &str>) {
        let rules: Vec<(String, String, String)> = rules
            .iter()
            .map(|(field, op, value)| (field.to_string(), op.to_string(), value.to_string()))
            .collect();
        let found = rule_parameters(&rules).map_err(|error| match error {
            ApiError::BadParameter { reason, .. } => reason,
            other => panic!("{other:?}"),
        });
        let expected = expected
            .map(|pairs| pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
            .map_err(str::to_owned);
        assert_eq!(found, expected, "{rules:?}");
    }

    #[test]
    fn rules_become_the_listings_filter_parameters() {
        check(
            &[
                ("date", "on-or-after", "2026-12-01T00:00:00Z"),
                ("date", "before", "2026-12-08T00:00:00Z"),
                ("source", "contains", " dana "),
                ("status", "is", "failure"),
                ("error", "contains", "timeout"),
                ("run_id", "is", "r_1"),
                // A blank rule is the form's "add one" row.
                ("origin", "is", ""),
            ],
            Ok(&[
                ("from", "2026-12-01T00:00:00Z"),
                ("to", "2026-12-08T00:00:00Z"),
                ("source", "dana"),
                ("status", "failure"),
                ("error", "timeout"),
                ("run_id", "r_1"),
            ]),
        );
        check(&[("status", "contains", "fail")], Err("Status takes is, not \"contains\""));
        check(&[("date", "is", "2026-12-01")], Err("Date takes on or after or before, not \"is\""));
        check(&[("colour", "is", "red")], Err("\"colour\" is not a field to filter"));
    }

    #[test]
    fn every_rule_reads_back_from_its_parameter() {
        for field in RuleField::ALL {
            for operator in field.operators() {
                let parameter = field.parameter(*operator).unwrap();
                assert_eq!(RuleField::of_parameter(parameter), Some((field, *operator)));
            }
        }
    }

    #[test]
    fn counts_are_written_with_thousands_separated() {
        for (number, text) in [(1, "1"), (999, "999"), (1001, "1,001"), (1234567, "1,234,567")] {
            assert_eq!(thousands(number), text);
        }
    }
}
