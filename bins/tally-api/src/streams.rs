//! The usage monitor's server-sent event streams: what each sends, and how
//! it ends. A stream sends from the snapshots the monitor thread publishes
//! (never reading the database), keeps its own last event to count changes
//! from, ends after `limit` events, when the client leaves, or as soon as the
//! daemon starts stopping, and sends a comment line when it has been quiet
//! for [`KEEP_ALIVE`] so that proxies keep the connection open.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tally_access::MonitorView;
use tally_monitor::{Snapshot, TodayCounts, TodayFigures};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::live::{LiveFeed, Published};
use crate::routes::live::{ChangedItems, Clock, LiveItem, TodayAnswer};

/// A quiet stream sends a comment line this often.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Items in the first event of the activity stream's events.
pub const FIRST_ITEMS: usize = 100;
/// The largest `limit` of a stream.
pub const MAX_EVENTS: u64 = 1_000_000;

/// How many events a stream sends before it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamLimit {
    /// Until the client leaves or the daemon stops.
    Unbounded,
    /// This many, then the stream ends.
    Events(u64),
}

impl StreamLimit {
    /// Reads the `limit` parameter of a stream.
    pub fn read(limit: Option<&str>) -> Result<StreamLimit, ApiError> {
        let Some(text) = limit else { return Ok(StreamLimit::Unbounded) };
        match text.parse::<u64>() {
            Ok(events) if (1..=MAX_EVENTS).contains(&events) => Ok(StreamLimit::Events(events)),
            _ => Err(ApiError::bad(
                "bad_limit",
                "limit",
                format!("{text:?}: give the number of events to send, 1 to {MAX_EVENTS}"),
            )),
        }
    }

    fn reached(self, sent: u64) -> bool {
        match self {
            StreamLimit::Unbounded => false,
            StreamLimit::Events(events) => sent >= events,
        }
    }
}

/// What a stream sends.
pub enum Feed {
    /// Today's figures.
    Today(TodayFeed),
    /// The activity stream's changed items.
    Items(ItemsFeed),
}

/// The Today stream: the figures every `every`, each with its change since
/// the stream's previous event.
pub struct TodayFeed {
    snapshots: watch::Receiver<Arc<Published>>,
    view: MonitorView,
    every: Duration,
    refresh: Duration,
    /// The instant and figures of the previous event: not its snapshot, which
    /// a stream with a long `every` would keep alive long after the others'.
    sent: Option<(DateTime<Utc>, TodayCounts)>,
}

/// The activity stream's events: the newest items, then those changed since
/// the previous event.
pub struct ItemsFeed {
    snapshots: watch::Receiver<Arc<Published>>,
    view: MonitorView,
    refresh: Duration,
    /// The snapshot changes are counted from: the one the previous event was
    /// cut from, or a later one that changed nothing since.
    sent: Option<Arc<Snapshot>>,
}

impl Feed {
    /// Today's figures for `view`, every `every`.
    pub fn today(live: &LiveFeed, view: MonitorView, every: Duration) -> Feed {
        Feed::Today(TodayFeed {
            snapshots: live.subscribe(),
            view,
            every,
            refresh: live.refresh(),
            sent: None,
        })
    }

    /// The activity stream for `view`.
    pub fn items(live: &LiveFeed, view: MonitorView) -> Feed {
        Feed::Items(ItemsFeed {
            snapshots: live.subscribe(),
            view,
            refresh: live.refresh(),
            sent: None,
        })
    }

    /// The next event; `None` once the monitor has stopped publishing.
    async fn next(&mut self) -> Option<Event> {
        match self {
            Feed::Today(feed) => feed.next().await,
            Feed::Items(feed) => feed.next().await,
        }
    }
}

impl TodayFeed {
    async fn next(&mut self) -> Option<Event> {
        let snapshot = match &self.sent {
            None => Arc::clone(&self.snapshots.borrow_and_update().current),
            // Rounded to whole refreshes: the first snapshot computed at least
            // `every` less half a refresh after the last one sent, so that
            // with `every` a multiple of the refresh interval no snapshot is
            // missed for coming a little early, and every stream with the same
            // `every` sends the same snapshots at the same moment.
            Some((last_at, _)) => {
                let due = *last_at + (self.every - self.refresh / 2);
                loop {
                    self.snapshots.changed().await.ok()?;
                    let current = Arc::clone(&self.snapshots.borrow_and_update().current);
                    if current.at() >= due {
                        break current;
                    }
                }
            }
        };
        let counts = snapshot.today(&self.view);
        let figures = TodayFigures::new(counts.clone(), self.sent.as_ref().map(|(_, sent)| sent));
        let answer = TodayAnswer { figures, refresh_secs: self.refresh.as_secs() };
        self.sent = Some((snapshot.at(), counts));
        Some(json_event("today", &answer))
    }
}

impl ItemsFeed {
    async fn next(&mut self) -> Option<Event> {
        let (snapshot, items) = match self.sent.take() {
            None => {
                let snapshot = Arc::clone(&self.snapshots.borrow_and_update().current);
                let items = snapshot.stream_page(&self.view, None, FIRST_ITEMS).items;
                (snapshot, items)
            }
            Some(mut last) => loop {
                self.snapshots.changed().await.ok()?;
                let current = Arc::clone(&self.snapshots.borrow_and_update().current);
                let changed = current.changed_items(&last, &self.view);
                if !changed.is_empty() {
                    break (current, changed);
                }
                // Nothing changed, so changes from here are changes from the
                // last event; holding the latest snapshot rather than the one
                // sent keeps every stream on the two the monitor holds anyway.
                last = current;
            },
        };
        let answer = ChangedItems {
            clock: Clock::of(&snapshot, self.refresh),
            items: items.into_iter().map(LiveItem::of).collect(),
        };
        self.sent = Some(snapshot);
        Some(json_event("items", &answer))
    }
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Event {
    Event::default().event(name).json_data(data).expect("the monitor's answers always serialise")
}

/// The `text/event-stream` answer sending `feed`'s events until `limit`, the
/// client leaving (the body is then dropped), or the daemon stopping.
pub fn respond(feed: Feed, limit: StreamLimit, live: &LiveFeed) -> Response {
    struct Sending {
        feed: Feed,
        sent: u64,
        limit: StreamLimit,
        stopping: CancellationToken,
    }
    let sending = Sending { feed, sent: 0, limit, stopping: live.stopping().clone() };
    let events = futures_util::stream::unfold(sending, |mut sending| async move {
        if sending.limit.reached(sending.sent) {
            return None;
        }
        let event = tokio::select! {
            () = sending.stopping.cancelled() => None,
            event = sending.feed.next() => event,
        }?;
        sending.sent += 1;
        Some((Ok::<Event, Infallible>(event), sending))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}
