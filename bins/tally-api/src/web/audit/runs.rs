//! A member's My runs and a run's audit details.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tally_access::{AuditView, Principal, RunsView};
use tally_audit::{AuditColumn, AuditEntry, AuditQuery, AuditStore};
use tally_figures::audit::AuditRow;
use tally_figures::runs::{RUNS, RunRow};
use tally_store::{RunColumn, RunQuery, RunState, RunsAfter, Store};

use super::{
    Order, PageQuery, Pager, RULE_FIELD, TabColumn, entry_rows, pager_nav, query_string, read_page,
    read_page_listing, rows_within_budget, sort_header, with,
};
use crate::error::ApiError;
use crate::routes::audit::{AuditParameters, audit_query};
use crate::routes::runs::{RunParameters, run_query};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::layout::{Section, download_menu, instant, page};
use crate::web::session::Viewer;

/// `/runs`: a member's own action runs (the seed's "My inbox > Runs"); an
/// administrator sees the account's runs, as the API gives them.
pub(super) async fn my_runs(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw_query): RawQuery,
) -> Result<Response, WebError> {
    let account = account_of(&viewer)?;
    let view: RunsView = viewer.principal.read_runs(&account)?;
    let page_query = PageQuery::read(raw_query.as_deref())?;
    if page_query.rules.is_some() || page_query.anchor.is_some() {
        return Err(ApiError::bad_parameter(RULE_FIELD, "the runs page has no filter rules").into());
    }
    let (params, request) =
        read_page_listing::<RunParameters, RunRow>(&state, &account, page_query.pairs())?;
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
pub(super) async fn run_details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(run_id): Path<String>,
) -> Result<Response, WebError> {
    let account = account_of(&viewer)?;
    let view: AuditView = viewer.principal.read_audit(&account)?;
    let (params, request) = read_page_listing::<AuditParameters, AuditRow>(
        &state,
        &account,
        vec![("run_id", run_id.as_str())],
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

/// The account whose member or administrator is looking, or a 403.
fn account_of(viewer: &Viewer) -> Result<String, ApiError> {
    let account = viewer.principal.account();
    let account =
        account.ok_or(ApiError::Forbidden { needs: "an account's member or administrator" })?;
    Ok(account.to_owned())
}
