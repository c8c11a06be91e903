//! Blueprint, action, automation, scorecard and secret definitions, and the data
//! sources (integrations) of each organization, with their audit entries.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use tally_events::{DataSourceChange, EventBody, Operation, OriginType, ResourceKind};

use super::runs::{ACTIONS, AUTOMATIONS, EVERYDAY_ACTIONS};
use super::{BLUEPRINTS, Catalog, ENVIRONMENT};
use crate::audit::{self, Source};
use crate::recorder::Recorder;

const SCORECARDS: &[&str] = &["production-readiness", "security-baseline", "dora-metrics"];
const SECRETS: &[&str] = &["GITHUB_TOKEN", "PAGERDUTY_API_KEY", "SLACK_WEBHOOK_URL"];

/// Definitions created on the first day only to be deleted later in the year.
const RETIRED_BLUEPRINT: &str = "legacy_app";
const RETIRED_ACTION: &str = "legacy-jenkins-job";
const RETIRED_AUTOMATION: &str = "old-slack-digest";

/// A connected data source.
pub(super) struct LiveDataSource {
    organization: String,
    data_source: String,
    data_source_type: String,
    name: String,
}

impl Catalog<'_> {
    /// Every definition the account starts with, 20 seconds apart from `at`.
    pub(super) fn create_definitions(&mut self, recorder: &mut Recorder, mut at: DateTime<Utc>) {
        let plan = self.plan;
        let admin = Source::User(plan.admin());
        let service = Source::User(plan.service_account());
        let mut next = |seconds: i64| {
            at += TimeDelta::seconds(seconds);
            at
        };

        let blueprints = BLUEPRINTS
            .iter()
            .chain([&ENVIRONMENT])
            .map(|blueprint| (blueprint.id, blueprint.title));
        for (id, title) in blueprints.chain([(RETIRED_BLUEPRINT, "Legacy application")]) {
            let entry = audit::entry(
                ResourceKind::Blueprint,
                id,
                Operation::Create,
                &service,
                OriginType::Terraform,
            );
            let after = json!({"identifier": id, "title": title});
            recorder.push(next(20), audit::body(audit::with_snapshots(entry, None, Some(after))));
        }
        for id in ACTIONS.iter().chain(&[RETIRED_ACTION]) {
            let entry =
                audit::entry(ResourceKind::Action, id, Operation::Create, &admin, OriginType::Ui);
            let after = json!({"identifier": id, "trigger": "self-service"});
            recorder.push(next(20), audit::body(audit::with_snapshots(entry, None, Some(after))));
        }
        for id in AUTOMATIONS.iter().chain(&[RETIRED_AUTOMATION]) {
            let entry = audit::entry(
                ResourceKind::Automation,
                id,
                Operation::Create,
                &admin,
                OriginType::Api,
            );
            recorder.push(next(20), audit::body(entry));
        }
        for id in SCORECARDS {
            let entry = audit::entry(
                ResourceKind::Scorecard,
                id,
                Operation::Create,
                &admin,
                OriginType::Ui,
            );
            let after = json!({"identifier": id, "blueprint": "service", "rules": 3});
            recorder.push(next(20), audit::body(audit::with_snapshots(entry, None, Some(after))));
        }
        // Secret values never reach the audit log, so secrets have no snapshots.
        for id in SECRETS {
            let entry =
                audit::entry(ResourceKind::Secret, id, Operation::Create, &admin, OriginType::Ui);
            recorder.push(next(20), audit::body(entry));
        }
    }

    /// The data sources of each organization: all kinds in the first, one elsewhere.
    pub(super) fn connect_first_data_sources(
        &mut self,
        recorder: &mut Recorder,
        mut at: DateTime<Utc>,
    ) {
        let plan = self.plan;
        for (index, organization) in plan.spec.organizations.iter().enumerate() {
            let sources =
                if index == 0 { plan.spec.data_sources } else { &plan.spec.data_sources[..1] };
            for &(data_source_type, label) in sources {
                at += TimeDelta::minutes(3);
                self.connect_data_source(recorder, at, organization, data_source_type, label);
            }
        }
    }

    /// Retirements, a failed deletion, a secret rotation, a failed scorecard edit and
    /// a trial integration, at fixed points of the year.
    pub(super) fn scripted_definitions(&mut self, recorder: &mut Recorder) {
        let plan = self.plan;
        let by_admin = Source::User(plan.admin());
        let organization = plan.spec.organizations[0];

        let entry = audit::entry(
            ResourceKind::Automation,
            RETIRED_AUTOMATION,
            Operation::Delete,
            &by_admin,
            OriginType::Api,
        );
        let before = json!({"identifier": RETIRED_AUTOMATION, "trigger": "schedule"});
        recorder.push(
            plan.at_fraction(0.25, 15, 0),
            audit::body(audit::with_snapshots(entry, Some(before), None)),
        );

        let entry = audit::entry(
            ResourceKind::Blueprint,
            RETIRED_BLUEPRINT,
            Operation::Delete,
            &by_admin,
            OriginType::Ui,
        );
        let error = "Cannot delete blueprint `legacy_app` while a migration is running";
        recorder
            .push(plan.at_fraction(0.34, 10, 0), audit::body(audit::failed(entry.clone(), error)));
        let before = json!({"identifier": RETIRED_BLUEPRINT, "title": "Legacy application"});
        recorder.push(
            plan.at_fraction(0.35, 10, 0),
            audit::body(audit::with_snapshots(entry, Some(before), None)),
        );

        let entry = audit::entry(
            ResourceKind::Action,
            RETIRED_ACTION,
            Operation::Delete,
            &by_admin,
            OriginType::Ui,
        );
        recorder.push(plan.at_fraction(0.45, 10, 0), audit::body(entry));

        // A trial integration: one failed installation, a working one, removal later.
        let trial = format!("sonarqube-{organization}");
        let mut failed_install = audit::entry(
            ResourceKind::Integration,
            &trial,
            Operation::Create,
            &by_admin,
            OriginType::Ui,
        );
        failed_install.integration = Some(trial.clone());
        let error = "Installation failed: the access token was rejected (401 Unauthorized)";
        recorder
            .push(plan.at_fraction(0.45, 14, 0), audit::body(audit::failed(failed_install, error)));
        self.connect_data_source(
            recorder,
            plan.at_fraction(0.50, 14, 30),
            organization,
            "sonarqube",
            "SonarQube",
        );

        let rotated = audit::entry(
            ResourceKind::Secret,
            SECRETS[0],
            Operation::Update,
            &by_admin,
            OriginType::Ui,
        );
        recorder.push(plan.at_fraction(0.50, 9, 0), audit::body(rotated));

        let entry = audit::entry(
            ResourceKind::Scorecard,
            SCORECARDS[1],
            Operation::Update,
            &by_admin,
            OriginType::Ui,
        );
        let before = json!({"identifier": SCORECARDS[1], "rules": 3});
        let entry = audit::with_snapshots(entry, Some(before), None);
        let error = "Rule `has_on_call` references the unknown property `on_call`";
        recorder.push(plan.at_fraction(0.60, 11, 0), audit::body(audit::failed(entry, error)));

        if let Some(index) = self.data_sources.iter().position(|source| source.data_source == trial)
        {
            self.disconnect_data_source(recorder, plan.at_fraction(0.70, 16, 0), index);
        }

        let entry = audit::entry(
            ResourceKind::Scorecard,
            SCORECARDS[2],
            Operation::Delete,
            &by_admin,
            OriginType::Ui,
        );
        let before = json!({"identifier": SCORECARDS[2], "blueprint": "service", "rules": 3});
        recorder.push(
            plan.at_fraction(0.80, 10, 0),
            audit::body(audit::with_snapshots(entry, Some(before), None)),
        );
        let entry = audit::entry(
            ResourceKind::Secret,
            SECRETS[2],
            Operation::Delete,
            &by_admin,
            OriginType::Ui,
        );
        recorder.push(plan.at_fraction(0.80, 10, 5), audit::body(entry));
    }

    fn connect_data_source(
        &mut self,
        recorder: &mut Recorder,
        at: DateTime<Utc>,
        organization: &str,
        data_source_type: &str,
        label: &str,
    ) {
        let source = LiveDataSource {
            organization: organization.to_owned(),
            data_source: format!("{data_source_type}-{organization}"),
            data_source_type: data_source_type.to_owned(),
            name: format!("{label} ({organization})"),
        };
        recorder.push(at, data_source_change(&source, Operation::Create));
        let by_admin = Source::User(self.plan.admin());
        let mut entry = audit::entry(
            ResourceKind::Integration,
            &source.data_source,
            Operation::Create,
            &by_admin,
            OriginType::Ui,
        );
        entry.integration = Some(source.data_source.clone());
        let after =
            json!({"type": data_source_type, "name": source.name, "resync_interval_minutes": 60});
        recorder.push(
            at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(entry, None, Some(after))),
        );
        self.data_sources.push(source);
    }

    fn disconnect_data_source(&mut self, recorder: &mut Recorder, at: DateTime<Utc>, index: usize) {
        let source = self.data_sources.remove(index);
        recorder.push(at, data_source_change(&source, Operation::Delete));
        let by_admin = Source::User(self.plan.admin());
        let mut entry = audit::entry(
            ResourceKind::Integration,
            &source.data_source,
            Operation::Delete,
            &by_admin,
            OriginType::Ui,
        );
        entry.integration = Some(source.data_source.clone());
        let before = json!({"type": source.data_source_type, "name": source.name});
        recorder.push(
            at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(entry, Some(before), None)),
        );
    }

    /// A configuration change pushed by the integration itself.
    pub(super) fn update_data_source(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        if self.data_sources.is_empty() {
            return;
        }
        let dice = &mut recorder.dice;
        let source = &self.data_sources[dice.index(self.data_sources.len())];
        let integration = Source::Integration(format!("{}-integration", source.data_source_type));
        let mut entry = audit::entry(
            ResourceKind::Integration,
            &source.data_source,
            Operation::Update,
            &integration,
            OriginType::Api,
        );
        entry.integration = Some(source.data_source.clone());
        let entry = if dice.percent(50) {
            let interval = *dice.pick(&[15, 30, 60, 240]);
            audit::with_snapshots(
                entry,
                Some(json!({"resync_interval_minutes": 60})),
                Some(json!({"resync_interval_minutes": interval})),
            )
        } else {
            entry
        };
        recorder.push(at, data_source_change(source, Operation::Update));
        recorder.push(at + TimeDelta::seconds(1), audit::body(entry));
    }

    /// An edit to a blueprint, action, automation, scorecard or secret definition.
    pub(super) fn update_definition(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        let plan = self.plan;
        let dice = &mut recorder.dice;
        let (resource, ids): (ResourceKind, &[&str]) = match dice.below(5) {
            0 => (
                ResourceKind::Blueprint,
                &["service", "repository", "deployment", "workload", "incident"],
            ),
            1 => (ResourceKind::Action, EVERYDAY_ACTIONS),
            2 => (ResourceKind::Automation, AUTOMATIONS),
            3 => (ResourceKind::Scorecard, &SCORECARDS[..2]),
            _ => (ResourceKind::Secret, &SECRETS[..2]),
        };
        let id = *dice.pick(ids);
        let terraform =
            matches!(resource, ResourceKind::Blueprint | ResourceKind::Action) && dice.percent(50);
        let (source, origin) = if terraform {
            (Source::User(plan.service_account()), OriginType::Terraform)
        } else {
            (Source::User(plan.admin()), OriginType::Ui)
        };
        let entry = audit::entry(resource, id, Operation::Update, &source, origin);
        let version = dice.between(1, 40);
        let entry = if resource != ResourceKind::Secret && dice.percent(50) {
            audit::with_snapshots(
                entry,
                Some(json!({"identifier": id, "version": version})),
                Some(json!({"identifier": id, "version": version + 1})),
            )
        } else {
            entry
        };
        let entry = if dice.percent(5) {
            audit::failed(entry, "Validation failed: the definition does not match its JSON schema")
        } else {
            entry
        };
        recorder.push(at, audit::body(entry));
    }
}

fn data_source_change(source: &LiveDataSource, operation: Operation) -> EventBody {
    EventBody::DataSourceChange(DataSourceChange {
        organization: source.organization.clone(),
        data_source: source.data_source.clone(),
        data_source_type: source.data_source_type.clone(),
        name: source.name.clone(),
        operation,
    })
}
