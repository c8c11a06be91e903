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
use serde::de::DeserializeOwned;
use serde_json::Value;
use tally_access::AuditView;
use tally_audit::{
    Anchor, AnchorCheck, AuditAfter, AuditColumn, AuditEntry, AuditQuery, AuditStore, Change,
    ChangeKind, Diff, MissingSnapshot, VerifyReport,
};
use tally_events::ResourceKind;
use tally_figures::audit::{AuditReadError, AuditRow};
use tally_store::Store;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{CursorScope, ListRequest, Listed, StorePosition, read_listing};
use crate::routes::audit::{AuditParameters, audit_query};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::chain::{self, Checked, Verification};
use crate::web::layout::{Section, download_menu, instant, page, tabs};
use crate::web::session::Viewer;

mod rules;
mod runs;

use rules::{rule_parameters, rules_form};
use runs::{my_runs, run_details};

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
    /// The listing's own parameters the address holds, as pairs.
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.listing.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect()
    }

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

/// The API's listing of `R` for `account`, read from `pairs` (its filters,
/// `sort` and `cursor`) and a page of [`PAGE_ROWS`], as the API would read the
/// same query string.
fn read_page_listing<F: DeserializeOwned + IntoParams, R: Listed>(
    state: &AppState,
    account: &str,
    pairs: Vec<(&str, &str)>,
) -> Result<(F, ListRequest), ApiError> {
    let limit = PAGE_ROWS.to_string();
    let query = query_string(pairs.into_iter().chain([("limit", limit.as_str())]));
    read_listing::<F, R>(
        query.strip_prefix('?'),
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Account(account),
    )
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
    let mut pairs = page_query.pairs();
    pairs.push(("resource", kind.as_str()));
    let (params, request) =
        read_page_listing::<AuditParameters, AuditRow>(&state, &account, pairs)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands_separated() {
        for (number, text) in [(1, "1"), (999, "999"), (1001, "1,001"), (1234567, "1,234,567")] {
            assert_eq!(thousands(number), text);
        }
    }
}
