//! The usage monitor's Today (M1-M3), live: the figures, the activity stream
//! and the top 10 lists, read from the snapshot the monitor thread publishes
//! ([`crate::live`]), and their server-sent event streams. Staff only, each
//! team seeing the accounts of its scope.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tally_access::MonitorView;
use tally_monitor::{AsOf, Snapshot, StreamCursor, StreamItem, TodayFigures, TopToday};
use tally_store::ItemQuery;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::list::{self, CursorScope, Key, OrderedCursor};
use crate::live::{LiveFeed, MAX_REFRESH_SECS};
use crate::query::{self, NoParameters};
use crate::state::{AppState, Authenticated, PathParams};
use crate::streams::{self, Feed, StreamLimit};

/// When and how an answer's figures were computed, in every answer: a viewer
/// always knows what "now" and "online" meant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Clock {
    /// The instant, day, zone and online window of the figures.
    pub as_of: AsOf,
    /// Seconds between two computations (`--monitor-refresh-secs`).
    pub refresh_secs: u64,
}

impl Clock {
    /// The clock of `snapshot`, computed every `refresh`.
    pub fn of(snapshot: &Snapshot, refresh: Duration) -> Clock {
        Clock { as_of: snapshot.as_of(), refresh_secs: refresh.as_secs() }
    }
}

/// Today's figures, each with its change.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodayAnswer {
    /// The figures, with their instant, day, zone and online window.
    #[serde(flatten)]
    pub figures: TodayFigures,
    /// Seconds between two computations (`--monitor-refresh-secs`).
    pub refresh_secs: u64,
}

/// An item of the activity stream, with the id its events are read by.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveItem {
    /// The item's id: pass it to `/v1/monitor/stream/items/{item}/events`.
    pub id: String,
    /// The item.
    #[serde(flatten)]
    pub item: StreamItem,
}

impl LiveItem {
    /// The item with its id.
    pub fn of(item: StreamItem) -> LiveItem {
        LiveItem { id: item_id(&item.account, &item.user, &item.module), item }
    }
}

/// A page of the activity stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamAnswer {
    /// When and how it was computed.
    #[serde(flatten)]
    pub clock: Clock,
    /// The items, newest first.
    pub items: Vec<LiveItem>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The items of the activity stream that changed since a stream's previous
/// event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedItems {
    /// When and how they were computed.
    #[serde(flatten)]
    pub clock: Clock,
    /// The items, newest first.
    pub items: Vec<LiveItem>,
}

/// One `activity` event behind an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemEventRow {
    /// The event's id, as its sender gave it.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The action done in the module.
    pub action: String,
    /// Seconds spent.
    pub time_spent_secs: u32,
    /// The event's free-form properties, as sent.
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

/// The events behind one item of the activity stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemEvents {
    /// When and how the item was computed.
    #[serde(flatten)]
    pub clock: Clock,
    /// The item as of `as_of`; null when it has no tracked event then.
    pub item: Option<LiveItem>,
    /// Its tracked `activity` events today up to now, oldest first, with
    /// their properties.
    pub events: Vec<ItemEventRow>,
}

/// The four top 10 lists of today.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopAnswer {
    /// The lists, with their instant, day, zone and online window.
    #[serde(flatten)]
    pub top: TopToday,
    /// Seconds between two computations (`--monitor-refresh-secs`).
    pub refresh_secs: u64,
}

/// `limit` of an event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamEventsParameters {
    /// End the stream after this many events, 1 to 1000000 (so that a script
    /// ends); without it the stream runs until the client leaves or the daemon
    /// stops.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub limit: Option<String>,
}

/// `every` and `limit` of the Today stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TodayEventsParameters {
    /// Seconds between two events, from the refresh interval (the default) to
    /// 3600; rounded to whole refreshes.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 3600)]
    pub every: Option<String>,
    /// End the stream after this many events, 1 to 1000000 (so that a script
    /// ends); without it the stream runs until the client leaves or the daemon
    /// stops.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub limit: Option<String>,
}

/// A page of the activity stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamParameters {
    /// The previous page's next_cursor.
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000; default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// One item of the activity stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ItemPath {
    /// The item's `id`, as the stream gives it.
    pub item: String,
}

const SSE_DESCRIPTION: &str = "A text/event-stream of server-sent events, each with its `event` \
                               name and one JSON document as its `data`; comment lines keep the \
                               connection alive.";

/// Today: accounts and users online now, time per user.
///
/// Today's figures for the accounts in the team's scope, each with its
/// change since the previous refresh (null on the first). Cheap: read from
/// the snapshot the daemon computes every refresh interval.
#[utoipa::path(
    get,
    path = "/v1/monitor/today",
    tag = "monitor",
    responses(
        (status = 200, description = "Today's figures.", body = TodayAnswer),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn today(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<TodayAnswer>, ApiError> {
    let view = principal.read_monitor()?;
    query::parse::<NoParameters>(query.as_deref())?;
    Ok(Json(today_answer(state.live(), &view)))
}

/// Today's figures for `view` from the latest snapshot, each with its change
/// since the one before: what `/v1/monitor/today` and the Today page show.
pub(crate) fn today_answer(live: &LiveFeed, view: &MonitorView) -> TodayAnswer {
    let published = live.latest();
    let current = published.current.today(view);
    let previous = published.previous.as_ref().map(|snapshot| snapshot.today(view));
    TodayAnswer {
        figures: TodayFigures::new(current, previous.as_ref()),
        refresh_secs: live.refresh().as_secs(),
    }
}

/// Today, as a stream of server-sent events.
///
/// An event `today` at once, then one every `every` seconds, each holding
/// what `/v1/monitor/today` answers, but with each figure's change since the
/// previous event of this stream (null in the first).
#[utoipa::path(
    get,
    path = "/v1/monitor/today/events",
    tag = "monitor",
    params(TodayEventsParameters),
    responses(
        (status = 200, description = SSE_DESCRIPTION, body = String, content_type = "text/event-stream"),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn today_events(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = principal.read_monitor()?;
    let TodayEventsParameters { every, limit } = query::parse(query.as_deref())?;
    let refresh = state.live().refresh();
    let every = match every {
        None => refresh,
        Some(text) => every_of(&text, refresh)?,
    };
    let limit = StreamLimit::read(limit.as_deref())?;
    Ok(streams::respond(Feed::today(state.live(), view, every), limit, state.live()))
}

/// The activity stream, newest first.
///
/// One item per account, user and module today, newest first (by the last
/// instant, then account, user and module), a page at a time.
#[utoipa::path(
    get,
    path = "/v1/monitor/stream",
    tag = "monitor",
    params(StreamParameters),
    responses(
        (status = 200, description = "A page of the activity stream.", body = StreamAnswer),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<StreamAnswer>, ApiError> {
    let view = principal.read_monitor()?;
    let StreamParameters { cursor, limit } = query::parse(query.as_deref())?;
    let limit = list::page_limit(limit.as_deref())?;
    Ok(Json(stream_answer(&state, &view, cursor.as_deref(), limit)?))
}

/// A page of up to `limit` items of the activity stream for `view`, after
/// `cursor`: what `/v1/monitor/stream` and the Today page show.
pub(crate) fn stream_answer(
    state: &AppState,
    view: &MonitorView,
    cursor: Option<&str>,
    limit: usize,
) -> Result<StreamAnswer, ApiError> {
    let cursors = stream_cursors(state, view);
    let after = cursor.map(|cursor| cursors.read(cursor)).transpose()?;
    let after = after.map(|key| stream_cursor_of(&key)).transpose()?;
    let published = state.live().latest();
    let page = published.current.stream_page(view, after.as_ref(), limit);
    Ok(StreamAnswer {
        clock: Clock::of(&published.current, state.live().refresh()),
        items: page.items.into_iter().map(LiveItem::of).collect(),
        next_cursor: page.next.map(|next| cursors.after(stream_key(next))),
    })
}

/// The activity stream, as a stream of server-sent events.
///
/// An event `items` at once with the newest 100 items, then, at each refresh
/// that changed some, an event `items` with the items new or changed since
/// the previous event of this stream, newest first.
#[utoipa::path(
    get,
    path = "/v1/monitor/stream/events",
    tag = "monitor",
    params(StreamEventsParameters),
    responses(
        (status = 200, description = SSE_DESCRIPTION, body = String, content_type = "text/event-stream"),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn stream_events(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = principal.read_monitor()?;
    let StreamEventsParameters { limit } = query::parse(query.as_deref())?;
    let limit = StreamLimit::read(limit.as_deref())?;
    Ok(streams::respond(Feed::items(state.live(), view), limit, state.live()))
}

/// The events behind one item of the activity stream.
///
/// The item and its tracked `activity` events today, with their properties.
/// An item of an account outside the team's scope is not found, as any
/// unknown account.
#[utoipa::path(
    get,
    path = "/v1/monitor/stream/items/{item}/events",
    tag = "monitor",
    params(ItemPath),
    responses(
        (status = 200, description = "The item and its events.", body = ItemEvents),
        (status = 400, description = "A bad item id or a query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn item_events(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(ItemPath { item }): PathParams<ItemPath>,
    RawQuery(query): RawQuery,
) -> Result<Json<ItemEvents>, ApiError> {
    let view = principal.read_monitor()?;
    let (account, user, module) = item_of(&item)?;
    if !view.scope().includes(&account) {
        return Err(ApiError::NotFound(format!("no account {account:?} is visible to this token")));
    }
    query::parse::<NoParameters>(query.as_deref())?;
    let published = state.live().latest();
    let snapshot = &published.current;
    let from = tally_monitor::start_of_day(snapshot.day(), snapshot.zone());
    let to = Utc::now();
    let events = {
        let (view, tracking) = (view.clone(), Arc::clone(&published.tracking));
        let (account, user, module) = (account.clone(), user.clone(), module.clone());
        state
            .with_store(move |store| {
                let item = ItemQuery { account: &account, user: &user, module: &module, from, to };
                Ok(store.monitor_item_events(&view, &tracking, &item)?)
            })
            .await?
    };
    let events = events
        .into_iter()
        .map(|event| ItemEventRow {
            // Kept as JSON; an event sent without properties has none.
            properties: event
                .properties
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new())),
            id: event.id,
            at: event.at,
            action: event.action,
            time_spent_secs: event.time_spent_secs,
        })
        .collect();
    Ok(Json(ItemEvents {
        clock: Clock::of(snapshot, state.live().refresh()),
        item: snapshot.item(&view, &account, &user, &module).map(LiveItem::of),
        events,
    }))
}

/// The top 10 lists of today.
///
/// Accounts by users seen today, users by time spent, modules by users with
/// a tracked activity in them, activities by actions; ties go to the smaller
/// account slug, then user, module and action (docs/monitor.md).
#[utoipa::path(
    get,
    path = "/v1/monitor/top",
    tag = "monitor",
    responses(
        (status = 200, description = "The four top 10 lists.", body = TopAnswer),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn top(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<TopAnswer>, ApiError> {
    let view = principal.read_monitor()?;
    query::parse::<NoParameters>(query.as_deref())?;
    Ok(Json(top_answer(state.live(), &view)))
}

/// The four top 10 lists for `view` from the latest snapshot: what
/// `/v1/monitor/top` and the Today page show.
pub(crate) fn top_answer(live: &LiveFeed, view: &MonitorView) -> TopAnswer {
    TopAnswer { top: live.latest().current.top(view), refresh_secs: live.refresh().as_secs() }
}

/// `every`: whole seconds from the refresh interval to [`MAX_REFRESH_SECS`].
fn every_of(text: &str, refresh: Duration) -> Result<Duration, ApiError> {
    let least = refresh.as_secs();
    let bad = || {
        ApiError::bad_parameter(
            "every",
            format!(
                "{text:?}: give whole seconds from {least} (the refresh interval) to {MAX_REFRESH_SECS}"
            ),
        )
    };
    let secs = text.parse::<u64>().map_err(|_| bad())?;
    if (least..=u64::from(MAX_REFRESH_SECS)).contains(&secs) {
        Ok(Duration::from_secs(secs))
    } else {
        Err(bad())
    }
}

/// The activity stream's cursors for `view`'s scope.
fn stream_cursors(state: &AppState, view: &MonitorView) -> OrderedCursor {
    OrderedCursor::new(
        state.cursor_key(),
        "monitor/stream",
        CursorScope::Staff(view.scope()),
        "-last_at,account,user,module",
        4,
    )
}

fn stream_key(cursor: StreamCursor) -> Vec<Key> {
    vec![
        Key::Integer(cursor.last_at.timestamp_micros()),
        Key::Text(cursor.account),
        Key::Text(cursor.user),
        Key::Text(cursor.module),
    ]
}

fn stream_cursor_of(key: &[Key]) -> Result<StreamCursor, ApiError> {
    match key {
        [Key::Integer(micros), Key::Text(account), Key::Text(user), Key::Text(module)] => {
            let last_at = DateTime::<Utc>::from_timestamp_micros(*micros).ok_or_else(bad_cursor)?;
            Ok(StreamCursor {
                last_at,
                account: account.clone(),
                user: user.clone(),
                module: module.clone(),
            })
        }
        _ => Err(bad_cursor()),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::bad("bad_cursor", "cursor", "not a cursor of this listing; start again without one")
}

/// An item's id: its account, user and module as a JSON array, in base64url,
/// so that any user id or module name makes one path segment.
fn item_id(account: &str, user: &str, module: &str) -> String {
    let parts = serde_json::to_vec(&[account, user, module]).expect("text always serialises");
    URL_SAFE_NO_PAD.encode(parts)
}

/// The account, user and module an item id names.
fn item_of(id: &str) -> Result<(String, String, String), ApiError> {
    let parts = URL_SAFE_NO_PAD
        .decode(id)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<(String, String, String)>(&bytes).ok());
    parts.ok_or_else(|| {
        ApiError::BadPath(format!(
            "{id:?} is not an item id: use the `id` of an item of /v1/monitor/stream"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(account: &str, user: &str, module: &str) {
        let id = item_id(account, user, module);
        assert!(id.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(&byte)));
        assert_eq!(item_of(&id).unwrap(), (account.into(), user.into(), module.into()));
    }

    #[test]
    fn item_ids_read_back_and_stay_one_path_segment() {
        check("acme", "u-1", "Dashboard");
        check("acme", "lisa/admin?x=1#a", "Módulo, \"quoted\"");
        assert!(matches!(item_of("not-an-id"), Err(ApiError::BadPath(_))));
        // Valid base64url of JSON, but not three texts.
        let two = URL_SAFE_NO_PAD.encode(br#"["acme","u-1"]"#);
        assert!(matches!(item_of(&two), Err(ApiError::BadPath(_))));
    }
}
