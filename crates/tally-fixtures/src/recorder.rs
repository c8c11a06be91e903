//! Collecting one account's events as the generators produce them.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tally_events::{Event, EventBody};

use crate::dice::Dice;

/// One account's events under construction, with the account's random stream.
pub(crate) struct Recorder {
    pub(crate) dice: Dice,
    end: DateTime<Utc>,
    events: Vec<Event>,
}

impl Recorder {
    pub(crate) fn new(dice: Dice, end: DateTime<Utc>) -> Recorder {
        Recorder { dice, end, events: Vec::new() }
    }

    /// Records an event; one after the fixed clock's instant has not happened yet and
    /// is dropped (a run started just before `end` stays in progress).
    pub(crate) fn push(&mut self, at: DateTime<Utc>, body: EventBody) {
        self.push_with_properties(at, body, None);
    }

    /// Records an event with sender-defined properties.
    pub(crate) fn push_with_properties(
        &mut self,
        at: DateTime<Utc>,
        body: EventBody,
        properties: Option<Map<String, Value>>,
    ) {
        if at > self.end {
            return;
        }
        let id = self.dice.uuid();
        self.events.push(Event { id, at, body, properties: properties.map(Into::into) });
    }

    /// The events sorted by instant, then id.
    pub(crate) fn into_sorted_events(self) -> Vec<Event> {
        let mut events = self.events;
        events.sort_by(|left, right| (left.at, &left.id).cmp(&(right.at, &right.id)));
        events
    }
}
