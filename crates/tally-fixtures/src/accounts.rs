//! The demo customers: who they are, where they live and what they integrate.
//!
//! Each account exists to exercise a calendar rule: a Monday week in Berlin, a Sunday
//! week in Los Angeles, UTC itself, and a Saturday week fourteen hours ahead of UTC
//! (Kiritimati, where the local date is a day ahead of UTC's for most of the day).

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use tally_calendar::SubscriptionTerm;

use crate::calendar::month_offset;

/// One demo customer.
pub(crate) struct AccountSpec {
    pub(crate) slug: &'static str,
    pub(crate) name: &'static str,
    pub(crate) time_zone: Tz,
    pub(crate) week_start: Weekday,
    pub(crate) email_domain: &'static str,
    pub(crate) organizations: &'static [&'static str],
    pub(crate) teams: &'static [&'static str],
    /// Size relative to the scale's users per account, in percent; it scales the
    /// people beyond the scenarios' ten.
    pub(crate) size_percent: u32,
    /// Subscription terms as (months after the month of the last day, day of month, length in months).
    pub(crate) terms: &'static [(i32, u32, i32)],
    /// Data sources connected in every organization, as (type, display name).
    pub(crate) data_sources: &'static [(&'static str, &'static str)],
    /// Pairs of integrated systems whose entities Tally's reports count.
    pub(crate) sync_pairs: &'static [SyncPair],
}

/// Two integrated systems that synchronise entities, with their projects side by side
/// (the n-th source project syncs with the n-th target project).
pub(crate) struct SyncPair {
    pub(crate) source_system: &'static str,
    pub(crate) target_system: &'static str,
    pub(crate) source_projects: &'static [&'static str],
    pub(crate) target_projects: &'static [&'static str],
    pub(crate) entity_types: &'static [&'static str],
}

impl AccountSpec {
    /// The terms, placed relative to the last generated day so every start falls
    /// mid-month and inside the year, after its first weeks.
    pub(crate) fn terms(&self, last_day: NaiveDate) -> Vec<SubscriptionTerm> {
        self.terms
            .iter()
            .map(|&(months, day, length)| SubscriptionTerm {
                start: month_offset(last_day, months, day),
                end: month_offset(last_day, months + length, day),
            })
            .collect()
    }
}

pub(crate) const ACCOUNTS: &[AccountSpec] = &[
    AccountSpec {
        slug: "acme-robotics",
        name: "Acme Robotics GmbH",
        time_zone: chrono_tz::Europe::Berlin,
        week_start: Weekday::Mon,
        email_domain: "acme-robotics.de",
        organizations: &["acme-production", "acme-research"],
        teams: &["Data", "Firmware", "Platform", "Support"],
        size_percent: 100,
        terms: &[(-9, 15, 12)],
        data_sources: &[
            ("github", "GitHub"),
            ("kubernetes", "Kubernetes"),
            ("pagerduty", "PagerDuty"),
        ],
        sync_pairs: &[
            SyncPair {
                source_system: "Jira",
                target_system: "GitHub",
                source_projects: &["FW", "PLAT"],
                target_projects: &["acme-robotics/firmware", "acme-robotics/platform"],
                entity_types: &["Bug", "Story"],
            },
            SyncPair {
                source_system: "ServiceNow",
                target_system: "Jira",
                source_projects: &["INC"],
                target_projects: &["SUP"],
                entity_types: &["Incident"],
            },
        ],
    },
    AccountSpec {
        slug: "globex",
        name: "Globex Corporation",
        time_zone: chrono_tz::America::Los_Angeles,
        week_start: Weekday::Sun,
        email_domain: "globex.com",
        organizations: &["globex-main", "globex-labs", "globex-eu"],
        teams: &["Growth", "Mobile", "Payments", "SRE", "Security"],
        size_percent: 150,
        // A six-month pilot, then a renewal for a year from the day the pilot ended.
        terms: &[(-10, 15, 6), (-4, 15, 12)],
        data_sources: &[
            ("github", "GitHub"),
            ("jira", "Jira"),
            ("aws", "AWS"),
            ("pagerduty", "PagerDuty"),
        ],
        sync_pairs: &[
            SyncPair {
                source_system: "Jira",
                target_system: "Azure DevOps",
                source_projects: &["PAY", "MOB", "SEC"],
                target_projects: &["Payments", "Mobile", "Security"],
                entity_types: &["Bug", "Story", "Task"],
            },
            SyncPair {
                source_system: "Zendesk",
                target_system: "Jira",
                source_projects: &["Support"],
                target_projects: &["PAY"],
                entity_types: &["Ticket"],
            },
            SyncPair {
                source_system: "GitHub",
                target_system: "Jira",
                source_projects: &["globex/mobile-app"],
                target_projects: &["MOB"],
                entity_types: &["Pull Request", "Issue"],
            },
        ],
    },
    AccountSpec {
        slug: "initech",
        name: "Initech",
        time_zone: chrono_tz::UTC,
        week_start: Weekday::Mon,
        email_domain: "initech.io",
        organizations: &["initech", "initech-sandbox"],
        teams: &["Core", "Ops", "QA"],
        size_percent: 80,
        // Months of trial use before the first term.
        terms: &[(-4, 15, 12)],
        data_sources: &[("github", "GitHub"), ("jira", "Jira"), ("datadog", "Datadog")],
        sync_pairs: &[
            SyncPair {
                source_system: "Jira",
                target_system: "GitHub",
                source_projects: &["CORE"],
                target_projects: &["initech/tps-reports"],
                entity_types: &["Bug", "Epic"],
            },
            SyncPair {
                source_system: "Zendesk",
                target_system: "ServiceNow",
                source_projects: &["Customers"],
                target_projects: &["INC"],
                entity_types: &["Ticket"],
            },
        ],
    },
    AccountSpec {
        slug: "equator-labs",
        name: "Equator Labs",
        time_zone: chrono_tz::Pacific::Kiritimati,
        week_start: Weekday::Sat,
        email_domain: "equatorlabs.ki",
        organizations: &["equator-labs"],
        teams: &["Field", "Research"],
        size_percent: 40,
        terms: &[(-7, 10, 12)],
        data_sources: &[("github", "GitHub")],
        sync_pairs: &[SyncPair {
            source_system: "GitHub",
            target_system: "Jira",
            source_projects: &["equator/sensors"],
            target_projects: &["SENS"],
            entity_types: &["Issue"],
        }],
    },
];
