//! The kinds of event, each declared once with its wire name and its fields.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// Declares [`EventKind`] from one table: each kind's variant, wire name and
/// fields. Everything else about kinds (the list of them, parsing a name, the
/// fields an event may have) is derived from it.
macro_rules! event_kinds {
    ($(
        $(#[$meta:meta])*
        $variant:ident => $wire:literal { $($field:literal),* $(,)? }
    ),+ $(,)?) => {
        /// What kind of thing an event says happened: the `kind` field of its JSON.
        ///
        /// Each kind is declared once, with its wire name and its fields, and the
        /// rest is derived: [`EventKind::ALL`], [`EventKind::WIRE_NAMES`],
        /// [`EventKind::parse`] and [`EventKind::fields`]. Every `match` over
        /// kinds (and over [`crate::EventBody`]) names each one, with no
        /// wildcard, so adding a kind is one line here plus what the compiler
        /// then flags. A throwaway kind, added and built with `cargo check
        /// --workspace --all-targets`, was flagged at exactly these places, in
        /// the order the compiler reached them:
        ///
        /// 1. `crates/tally-events/src/check.rs`, `check_body`: how its fields
        ///    are checked into its [`crate::EventBody`] variant, which is added
        ///    next (its struct, or `UserRef`, in `event.rs`);
        /// 2. `crates/tally-events/src/event.rs`, `EventBody::kind`;
        /// 3. `crates/tally-store/src/seats.rs`, `seat_reading`: whether the
        ///    seat state reads it (a login, a lifecycle change, an organization
        ///    or teams only) or not;
        /// 4. `crates/tally-fixtures/tests/common.rs`, `user_of`: the user an
        ///    event is about, for the fixtures' tests.
        ///
        /// Two tests then fail until the kind is documented and generated:
        /// `docs/events.md` needs one example per kind, in this order
        /// (`tests/docs_examples.rs`), and the fixtures must produce every kind
        /// (`tally-fixtures`' `every_kind_appears_in_every_small_account`).
        ///
        /// Kinds order by wire name, as the store's text column does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($(#[$meta])* $variant),+
        }

        impl EventKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// Every kind's wire name, in declaration order.
            pub const WIRE_NAMES: &'static [&'static str] = &[$($wire),+];

            /// The kind's name in JSON, in the store and in the API.
            pub fn wire_name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $wire),+
                }
            }

            /// The fields of this kind, besides those every event has (`id`,
            /// `kind`, `at`, `properties`), in canonical order.
            pub fn fields(self) -> &'static [&'static str] {
                match self {
                    $(EventKind::$variant => &[$($field),*]),+
                }
            }

            /// The kind with this wire name, spelled exactly.
            pub fn parse(text: &str) -> Option<EventKind> {
                match text {
                    $($wire => Some(EventKind::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

event_kinds! {
    /// A user signed in.
    Login => "login" { "user", "organization" },
    /// A user opened a page.
    PageVisit => "page_visit" { "user", "organization", "page" },
    /// A catalog entity was created, updated or deleted.
    EntityChange => "entity_change" {
        "organization", "blueprint", "entity", "operation", "origin", "user",
    },
    /// A self-service action ran (or changed state).
    ActionRun => "action_run" {
        "organization", "action", "run_id", "trigger", "status", "user",
    },
    /// An automation ran (or changed state).
    AutomationRun => "automation_run" { "organization", "automation", "run_id", "status" },
    /// A data source (integration) was connected, changed or removed.
    DataSourceChange => "data_source_change" {
        "organization", "data_source", "data_source_type", "name", "operation",
    },
    /// An AI feature was invoked.
    AiInvocation => "ai_invocation" { "user", "organization", "source" },
    /// An MCP tool was called.
    McpCall => "mcp_call" {
        "user", "organization", "tool", "status", "error", "duration_ms",
    },
    /// Time spent doing an action in a module of the vendor's product.
    Activity => "activity" { "user", "module", "action", "time_spent_secs" },
    /// A user was seen in an integrated system.
    SyncObservation => "sync_observation" {
        "system", "project", "email", "username", "display_name", "interaction",
        "service_account",
    },
    /// Entities were synchronised between two integrated systems.
    EntitySync => "entity_sync" {
        "source_system", "target_system", "source_project", "target_project", "entity_type",
        "entities", "status",
    },
    /// A user joined the account.
    UserAdded => "user_added" {
        "user", "email", "username", "display_name", "organization", "role", "teams",
        "service_account",
    },
    /// A user left the account.
    UserRemoved => "user_removed" { "user" },
    /// A user was disabled.
    UserDisabled => "user_disabled" { "user" },
    /// A disabled user was enabled again.
    UserEnabled => "user_enabled" { "user" },
    /// A user's role in an organization was set (joining it if needed).
    UserRoleChanged => "user_role_changed" { "user", "organization", "role" },
    /// A user's teams were replaced by a new set.
    UserTeamsChanged => "user_teams_changed" { "user", "teams" },
    /// A change to a resource, for the audit log.
    AuditEntry => "audit_entry" {
        "resource", "resource_id", "operation", "source_type", "source", "origin", "status",
        "error", "user", "blueprint", "entity", "run_id", "integration", "before", "after",
    },
}

impl Ord for EventKind {
    fn cmp(&self, other: &EventKind) -> Ordering {
        self.wire_name().cmp(other.wire_name())
    }
}

impl PartialOrd for EventKind {
    fn partial_cmp(&self, other: &EventKind) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.wire_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<EventKind>) {
        assert_eq!(EventKind::parse(text), expected, "{text:?}");
        if let Some(kind) = expected {
            assert_eq!(kind.wire_name(), text);
            assert_eq!(kind.to_string(), text);
        }
    }

    #[test]
    fn kinds_are_read_by_their_exact_wire_name() {
        check("login", Some(EventKind::Login));
        check("user_teams_changed", Some(EventKind::UserTeamsChanged));
        check("audit_entry", Some(EventKind::AuditEntry));
        // Unlike closed field values, a kind is not forgiven case or separators.
        check("Login", None);
        check("page-visit", None);
        check(" login", None);
        check("", None);
    }

    #[test]
    fn the_lists_follow_the_declaration() {
        assert_eq!(EventKind::ALL.len(), 18);
        assert_eq!(EventKind::WIRE_NAMES.len(), 18);
        for (kind, name) in EventKind::ALL.iter().zip(EventKind::WIRE_NAMES) {
            assert_eq!(kind.wire_name(), *name);
        }
        assert_eq!(EventKind::ALL[1], EventKind::PageVisit);
        assert_eq!(EventKind::UserDisabled.fields(), ["user"]);
    }

    #[test]
    fn kinds_order_by_wire_name() {
        // "action_run" < "login" < "page_visit", though declared login first.
        let mut kinds = vec![EventKind::PageVisit, EventKind::Login, EventKind::ActionRun];
        kinds.sort();
        assert_eq!(kinds, [EventKind::ActionRun, EventKind::Login, EventKind::PageVisit]);
    }
}
