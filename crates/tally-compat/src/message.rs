//! One message of a compatible format, read into what the mapping needs, and
//! what mapping it gives.

use std::borrow::Cow;

use serde::Serialize;
use tally_events::EventKind;

use crate::raw::{Members, Raw};

/// The wire formats Tally reads besides its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Segment's HTTP tracking API.
    Segment,
    /// PostHog's capture API.
    #[serde(rename = "posthog")]
    PostHog,
    /// CloudEvents over HTTP.
    #[serde(rename = "cloudevents")]
    CloudEvents,
}

impl Format {
    /// The name an `activity` kept from this format is filed under when the
    /// message names no module.
    pub fn label(self) -> &'static str {
        match self {
            Format::Segment => "Segment",
            Format::PostHog => "PostHog",
            Format::CloudEvents => "CloudEvents",
        }
    }
}

/// What a message does, in the terms the mapping decides on.
#[derive(Debug, Clone)]
pub enum Call<'a> {
    /// A page or screen was viewed (`page_visit`); the page as the format gives it.
    Page {
        /// The page's path, URL or name, the first the message has.
        page: Option<Raw<'a>>,
        /// Where `page` was read, for naming it in a rejection.
        page_source: &'static str,
    },
    /// The user's profile (`user_added`), from these traits.
    Identify {
        /// The traits or `$set` properties.
        traits: Members<'a>,
        /// Where they were read.
        traits_source: &'static str,
    },
    /// The user belongs to an organization (`user_role_changed`).
    Group {
        /// The organization's id.
        organization: Raw<'a>,
        /// Where it was read.
        organization_source: &'static str,
        /// The group's traits; `role` among them is the user's role in it.
        traits: Members<'a>,
        /// Where they were read.
        traits_source: &'static str,
    },
    /// Two ids of one user were joined (Segment `alias`): kept as an `activity`.
    Alias,
    /// An event known by its [`Message::name`] only.
    Named,
}

/// One message, read: the parts every format has, named as Tally names them.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// 0-based position in the body.
    pub index: usize,
    /// The format it came in.
    pub format: Format,
    /// The idempotency key, which becomes the event's `id`: a JSON string.
    pub id: Raw<'a>,
    /// The event's name, which an account's rules match: a Segment `track`
    /// event, a PostHog event (`$pageview` too), a CloudEvents `type`. Segment's
    /// other calls have none.
    pub name: Option<Cow<'a, str>>,
    /// The instant as sent (checked as an event's `at`), and where it was read.
    pub at: (Raw<'a>, &'static str),
    /// The user, when the message names one, and where it was read.
    pub user: Option<(Raw<'a>, &'static str)>,
    /// The organization, when the message names one, and where it was read.
    pub organization: Option<(Raw<'a>, &'static str)>,
    /// What it does.
    pub call: Call<'a>,
    /// Its free-form properties, and the path they sit at (`properties`, `data`).
    pub properties: Members<'a>,
    /// Where `properties` was read.
    pub properties_source: &'static str,
}

/// How a message was mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MappedBy {
    /// By one of the account's own rules.
    AccountRule,
    /// By the default mapping (docs/ingest-compat.md).
    Default,
    /// No rule covers its name: kept as an `activity`.
    KeptAsActivity,
}

/// Where in a message a field of its event was read: a path such as
/// `properties.runId`, or `mapping rule` and `default` for values no message
/// part gave. Most are fixed paths, kept without allocating.
pub type Source = Cow<'static, str>;

/// A message mapped to one of Tally's events, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// 0-based position in the body.
    pub index: usize,
    /// The event, as a line of Tally's own format (a JSON object).
    pub event: String,
    /// Its kind.
    pub kind: EventKind,
    /// Which mapping made it.
    pub by: MappedBy,
    /// For each of the event's fields, where in the message it was read.
    pub sources: Vec<(&'static str, Source)>,
}

impl Translated {
    /// Where in the message the event's `field` was read, for naming it in a
    /// rejection; the field itself when it was not read from the message.
    pub fn source_of(&self, field: &str) -> String {
        Translated::source_in(&self.sources, field)
    }

    /// [`Translated::source_of`], from the sources of an event already taken apart.
    pub fn source_in(sources: &[(&'static str, Source)], field: &str) -> String {
        // A path inside a field (`teams[1]`) keeps its tail.
        let (head, tail) = match field.find(['[', '.']) {
            Some(split) => field.split_at(split),
            None => (field, ""),
        };
        sources
            .iter()
            .find(|(name, _)| *name == head)
            .map_or_else(|| field.to_string(), |(_, source)| format!("{source}{tail}"))
    }
}

/// A message that could not be read or mapped; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message {index}{}: {reason}", field.as_ref().map(|field| format!(", field `{field}`")).unwrap_or_default())]
pub struct Untranslatable {
    /// 0-based position in the body.
    pub index: usize,
    /// The message's field at fault, as the format names it.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl Untranslatable {
    /// A problem with one field.
    pub fn field(index: usize, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Untranslatable { index, field: Some(field.into()), reason: reason.into() }
    }

    /// A problem with the message as a whole.
    pub fn whole(index: usize, reason: impl Into<String>) -> Self {
        Untranslatable { index, field: None, reason: reason.into() }
    }
}
