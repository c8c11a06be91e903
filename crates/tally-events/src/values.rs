//! Enumerated field values.
//!
//! Two policies, decided per field and documented in `docs/events.md`:
//! - **Closed** values drive Tally's own rules (operation, status, role, resource kind):
//!   an unknown value is rejected, because guessing would change a figure.
//! - **Open** values describe the vendor's world (origin type, interaction type):
//!   known spellings are normalised, an unknown value is kept, normalised to upper case with single
//!   spaces, as [`OriginType::Other`], because vendors add exporters faster than Tally releases.

use std::fmt;

use serde::{Serialize, Serializer};

/// Shows and serialises a value as its wire spelling (`as_str`), for closed and
/// open enums alike.
macro_rules! wire_text {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

/// Declares a closed enum with its wire spellings; parsing is case-insensitive and
/// treats `_`, `-` and space alike, so `Timer Expired`, `timer_expired` and
/// `TIMER-EXPIRED` are one value.
macro_rules! closed_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value's wire spelling, in declaration order.
            pub const WIRE_NAMES: &'static [&'static str] = &[$($wire),+];

            /// The spelling written in stored and exported JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// Parses a wire spelling, forgiving case and `_`/`-`/space differences.
            pub fn parse(text: &str) -> Option<Self> {
                // Senders mostly write the wire spelling itself: comparing bytes
                // first spares most values the normalising comparison.
                match text {
                    $($wire => return Some(Self::$variant),)+
                    _ => {}
                }
                $(if same_normalised($wire, text) { return Some(Self::$variant); })+
                None
            }
        }

        wire_text!($name);
    };
}

/// Upper-cases and turns every run of `_`, `-` and whitespace into one space.
pub(crate) fn normalise(text: &str) -> String {
    Normalised::new(text).collect()
}

/// Whether `one` and `other` normalise alike, without making either: parsing
/// compares a value with every spelling of its enum, on every event.
fn same_normalised(one: &str, other: &str) -> bool {
    Normalised::new(one).eq(Normalised::new(other))
}

/// The characters of [`normalise`]'s result, one at a time.
struct Normalised<'a> {
    chars: std::str::Chars<'a>,
    /// Characters of the last upper-cased one still to come (ß is SS).
    upper: Option<std::char::ToUppercase>,
    /// A separator came after something was written: a space is due before the
    /// next character, if one comes.
    pending_space: bool,
    started: bool,
}

impl<'a> Normalised<'a> {
    fn new(text: &'a str) -> Normalised<'a> {
        Normalised { chars: text.trim().chars(), upper: None, pending_space: false, started: false }
    }
}

impl Iterator for Normalised<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(next) = self.upper.as_mut().and_then(Iterator::next) {
            return Some(next);
        }
        loop {
            let ch = self.chars.next()?;
            if ch == '_' || ch == '-' || ch.is_whitespace() {
                self.pending_space = self.started;
                continue;
            }
            let mut upper = ch.to_uppercase();
            let next = if self.pending_space {
                self.pending_space = false;
                Some(' ')
            } else {
                upper.next()
            };
            self.started = true;
            self.upper = Some(upper);
            return next;
        }
    }
}

closed_enum! {
    /// What happened to a resource, in an entity change, data-source change or audit entry.
    Operation {
        /// The resource was created.
        Create => "create",
        /// The resource was changed.
        Update => "update",
        /// The resource was deleted.
        Delete => "delete",
        /// A timer property expired and changed the resource (audit entries only).
        TimerExpired => "timer_expired",
    }
}

closed_enum! {
    /// The state of an action or automation run.
    RunStatus {
        /// Started and not finished.
        InProgress => "in_progress",
        /// Finished successfully.
        Success => "success",
        /// Finished with an error.
        Failure => "failure",
        /// Stopped before finishing.
        Cancelled => "cancelled",
    }
}

closed_enum! {
    /// How an action run was started; the dashboard counts API triggers apart.
    RunTrigger {
        /// From the product's user interface.
        Ui => "ui",
        /// Through the product's API.
        Api => "api",
        /// By the automation engine.
        Automation => "automation",
    }
}

closed_enum! {
    /// Whether an audited operation succeeded.
    AuditStatus {
        /// The operation took effect.
        Success => "success",
        /// The operation failed; the entry's `error` says why.
        Failure => "failure",
    }
}

closed_enum! {
    /// A user's role in one organization.
    Role {
        /// Administers the organization; sees its dashboard and audit log.
        Admin => "admin",
        /// An ordinary user.
        Member => "member",
    }
}

closed_enum! {
    /// The kind of resource an audit entry is about.
    ResourceKind {
        /// A catalog entity.
        Entity => "entity",
        /// A blueprint definition or its permissions.
        Blueprint => "blueprint",
        /// A self-service action definition or its permissions.
        Action => "action",
        /// An automation definition.
        Automation => "automation",
        /// A scorecard definition.
        Scorecard => "scorecard",
        /// An action or automation run record.
        Run => "run",
        /// An integration's lifecycle: install, configuration change, removal.
        Integration => "integration",
        /// A secret; its values never reach the store in clear.
        Secret => "secret",
        /// A user signing in (kept 30 days by default).
        SignIn => "sign_in",
        /// An access grant or revocation on the account (kept 30 days by default).
        AccountAccess => "account_access",
        /// The modules and activities the usage monitor tracks: Tally records
        /// each change in the deployment's own chain.
        MonitorTracking => "monitor_tracking",
    }
}

impl ResourceKind {
    /// The kinds a sender's `audit_entry` may name: every one but
    /// `monitor_tracking` (declared last for this), which Tally writes itself,
    /// in the deployment's own chain, so that a sender cannot pass an entry of
    /// its own for one of the vendor's changes.
    pub const SENT_NAMES: &'static [&'static str] =
        ResourceKind::WIRE_NAMES.split_at(ResourceKind::WIRE_NAMES.len() - 1).0;
}

closed_enum! {
    /// Who or what triggered an audited change.
    SourceType {
        /// A person, named by `source`.
        User => "user",
        /// An integration, named by `source`.
        Integration => "integration",
        /// An incoming webhook, named by `source`.
        Webhook => "webhook",
    }
}

closed_enum! {
    /// Whether an integration between two systems is still syncing.
    IntegrationStatus {
        /// The integration is configured and running.
        Active => "active",
        /// The integration is paused or removed.
        Inactive => "inactive",
    }
}

/// Declares an open enum: known spellings normalise to a variant, anything else is
/// kept as [`Self::Other`] with its normalised spelling.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of Tally does not know, kept as sent (normalised).
            Other(String),
        }

        impl $name {
            /// The known values' wire spellings.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(text) => text,
                }
            }

            /// Parses any non-empty text; unknown spellings become [`Self::Other`].
            pub fn parse(text: &str) -> Self {
                $(if same_normalised($wire, text) { return Self::$variant; })+
                Self::Other(normalise(text))
            }

            /// Whether this is a value Tally knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        wire_text!($name);
    };
}

open_enum! {
    /// The system that performed a change (the audit log's "Type" column), spelled
    /// as in seeds/audit-log.txt.
    OriginType {
        /// Through the product's user interface.
        Ui => "UI",
        /// Through the product's REST API.
        Api => "API",
        /// From an incoming webhook.
        Webhook => "WEBHOOK",
        /// Synced from the Kubernetes exporter.
        K8sExporter => "K8S EXPORTER",
        /// Synced from the GitHub exporter.
        GithubExporter => "GITHUB EXPORTER",
        /// Synced from the Bitbucket exporter.
        BitbucketExporter => "BITBUCKET EXPORTER",
        /// Synced from the GitLab exporter.
        GitlabExporter => "GITLAB EXPORTER",
        /// Synced via GitHub GitOps.
        GithubGitops => "GITHUB GITOPS",
        /// Synced via Bitbucket GitOps.
        BitbucketGitops => "BITBUCKET GITOPS",
        /// From a GitHub Actions workflow.
        GhAction => "GH ACTION",
        /// Synced from the AWS exporter.
        AwsExporter => "AWS EXPORTER",
        /// Applied by the Terraform provider.
        Terraform => "TERRAFORM",
        /// Applied by the Pulumi provider.
        Pulumi => "PULUMI",
        /// From a Codefresh pipeline.
        Codefresh => "CODEFRESH",
        /// Computed by an aggregation property recalculation.
        AggregationProperty => "AGGREGATION PROPERTY",
        /// Triggered by the automation engine.
        PortAutomation => "PORT AUTOMATION",
        /// Performed by the product's internal systems.
        PortInternal => "PORT INTERNAL",
    }
}

open_enum! {
    /// Where in an integrated system a user was seen (the usage reports' "Interaction Types").
    InteractionType {
        /// Named in a field that maps to a user.
        MappedUserField => "MAPPED USER FIELD",
        /// Wrote a comment.
        CommentAuthor => "COMMENT AUTHOR",
        /// Attached a file.
        AttachmentAuthor => "ATTACHMENT AUTHOR",
        /// Mentioned in a rich-text field.
        Mention => "MENTION",
        /// Made an update.
        Updater => "UPDATER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_closed(input: &str, expected: Option<Operation>) {
        assert_eq!(Operation::parse(input), expected, "input {input:?}");
    }

    #[test]
    fn closed_values_forgive_case_and_separators_only() {
        check_closed("create", Some(Operation::Create));
        check_closed("Timer Expired", Some(Operation::TimerExpired));
        check_closed("  TIMER-expired ", Some(Operation::TimerExpired));
        check_closed("timer__expired", Some(Operation::TimerExpired));
        check_closed("timerexpired", None);
        check_closed("", None);
    }

    #[test]
    fn open_values_keep_unknown_spellings() {
        assert_eq!(OriginType::parse("k8s_exporter"), OriginType::K8sExporter);
        assert_eq!(OriginType::parse("Port Automation"), OriginType::PortAutomation);
        let unknown = OriginType::parse("azure  devops-exporter");
        assert_eq!(unknown, OriginType::Other("AZURE DEVOPS EXPORTER".to_owned()));
        assert!(!unknown.is_known());
        assert_eq!(unknown.as_str(), "AZURE DEVOPS EXPORTER");
    }

    /// What `normalise` did before it was made of `Normalised`.
    fn normalise_by_pushing(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut pending_space = false;
        for ch in text.trim().chars() {
            if ch == '_' || ch == '-' || ch.is_whitespace() {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.extend(ch.to_uppercase());
            }
        }
        out
    }

    #[test]
    fn normalising_one_character_at_a_time_gives_the_same_text() {
        let texts = [
            "",
            " ",
            "_",
            "-_ -",
            "a",
            "timer_expired",
            "  TIMER-expired ",
            "__a__b__",
            "straße",
            "ŉ-x",
            "ǆ dž",
            "a\u{3000}b",
            "k8s exporter",
            "-a",
            "a-",
            "a - - b",
        ];
        for text in texts {
            assert_eq!(normalise(text), normalise_by_pushing(text), "{text:?}");
            for other in texts {
                assert_eq!(
                    same_normalised(text, other),
                    normalise_by_pushing(text) == normalise_by_pushing(other),
                    "{text:?} and {other:?}"
                );
            }
        }
    }

    #[test]
    fn every_wire_name_round_trips() {
        for name in ResourceKind::WIRE_NAMES {
            assert_eq!(ResourceKind::parse(name).map(|kind| kind.as_str()), Some(*name));
        }
        for name in OriginType::KNOWN {
            assert_eq!(OriginType::parse(name).as_str(), *name);
        }
    }
}
