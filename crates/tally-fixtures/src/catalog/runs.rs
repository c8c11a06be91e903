//! Action runs (by hand, through the API, by automations) and automation runs,
//! including the short-lived environments that a timer expires.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::json;
use tally_events::{
    ActionRun, AutomationRun, EntityChange, EventBody, Operation, OriginType, ResourceKind,
    RunStatus, RunTrigger,
};

use super::{BLUEPRINTS, Catalog, ENVIRONMENT, Edit, entity_entry};
use crate::audit::{self, Source};
use crate::people::Person;
use crate::recorder::Recorder;

pub(super) const ACTIONS: &[&str] = &[
    "scaffold-service",
    "deploy-service",
    "create-environment",
    "delete-environment",
    "rollback-deployment",
    "request-db-access",
    "restart-workload",
    "assign-owner",
];

/// Actions people run by hand, deployments most often.
pub(super) const EVERYDAY_ACTIONS: &[&str] = &[
    "deploy-service",
    "deploy-service",
    "deploy-service",
    "scaffold-service",
    "rollback-deployment",
    "request-db-access",
    "restart-workload",
];

pub(super) const AUTOMATIONS: &[&str] =
    &["notify-on-incident", "auto-assign-owner", "ttl-cleanup", "nightly-scorecard-refresh"];

/// How an action run ends.
enum Outcome {
    /// Mostly success, sometimes failure or cancellation, rarely never finished.
    Random,
    /// With this status after this many seconds.
    Ends(RunStatus, i64),
}

/// An action run to start.
struct RunRequest<'a> {
    at: DateTime<Utc>,
    organization: &'a str,
    action: &'a str,
    trigger: RunTrigger,
    user: Option<&'a Person>,
    outcome: Outcome,
    audit_percent: u32,
}

struct Run {
    run_id: String,
    /// When it finished and how, if it finished before the end of the year.
    finished: Option<(DateTime<Utc>, RunStatus)>,
}

impl Catalog<'_> {
    /// A deployment through the API, a failed rollback and a failed automation.
    pub(super) fn scripted_runs(&mut self, recorder: &mut Recorder) {
        let plan = self.plan;
        let organization = plan.spec.organizations[0];
        let service = plan.service_account();
        let at = plan.at_fraction(0.12, 11, 0);
        let request = RunRequest {
            at,
            organization,
            action: "deploy-service",
            trigger: RunTrigger::Api,
            user: Some(service),
            outcome: Outcome::Ends(RunStatus::Success, 300),
            audit_percent: 100,
        };
        let run = self.run_action(recorder, request);
        let edit = Edit {
            at: at + TimeDelta::seconds(297),
            origin: OriginType::Api,
            user: Some(service),
            run_id: Some(run.run_id),
            audit_percent: 100,
        };
        self.create_entity(recorder, organization, &BLUEPRINTS[2], edit);

        let request = RunRequest {
            at: plan.at_fraction(0.40, 15, 0),
            organization,
            action: "rollback-deployment",
            trigger: RunTrigger::Ui,
            user: Some(plan.admin()),
            outcome: Outcome::Ends(RunStatus::Failure, 95),
            audit_percent: 100,
        };
        self.run_action(recorder, request);

        let at = plan.at_fraction(0.55, 2, 0);
        let run_id = self.run_id(recorder);
        recorder.push(
            at,
            automation_run(
                organization,
                "nightly-scorecard-refresh",
                &run_id,
                RunStatus::InProgress,
            ),
        );
        let done = at + TimeDelta::seconds(30);
        recorder.push(
            done,
            automation_run(organization, "nightly-scorecard-refresh", &run_id, RunStatus::Failure),
        );
    }

    pub(super) fn background_action_run(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        let plan = self.plan;
        let dice = &mut recorder.dice;
        let action = *dice.pick(EVERYDAY_ACTIONS);
        let (trigger, user) = match dice.below(100) {
            0..60 => (RunTrigger::Ui, plan.actor_at(at, dice)),
            _ => {
                let person = if dice.percent(50) { plan.actor_at(at, dice) } else { None };
                (RunTrigger::Api, Some(person.unwrap_or(plan.service_account())))
            }
        };
        let Some(user) = user else { return };
        let organization = plan.spec.organizations[self.organization_index(user)];
        let request = RunRequest {
            at,
            organization,
            action,
            trigger,
            user: Some(user),
            outcome: Outcome::Random,
            audit_percent: 30,
        };
        let run = self.run_action(recorder, request);
        let Some((finished_at, RunStatus::Success)) = run.finished else { return };
        let blueprint = match action {
            "scaffold-service" => &BLUEPRINTS[0],
            "deploy-service" => &BLUEPRINTS[2],
            _ => return,
        };
        let origin = if trigger == RunTrigger::Ui { OriginType::Ui } else { OriginType::Api };
        let created_at = finished_at - TimeDelta::seconds(3);
        let edit = Edit {
            at: created_at,
            origin,
            user: Some(user),
            run_id: Some(run.run_id),
            audit_percent: 100,
        };
        self.create_entity(recorder, organization, blueprint, edit);
    }

    pub(super) fn background_automation_run(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        let plan = self.plan;
        let automation = *recorder.dice.pick(&[
            "notify-on-incident",
            "auto-assign-owner",
            "nightly-scorecard-refresh",
        ]);
        let organization = *recorder.dice.pick(plan.spec.organizations);
        let run_id = self.run_id(recorder);
        let duration = TimeDelta::seconds(i64::from(recorder.dice.between(2, 120)));
        let status =
            if recorder.dice.percent(85) { RunStatus::Success } else { RunStatus::Failure };
        recorder.push(at, automation_run(organization, automation, &run_id, RunStatus::InProgress));
        if automation == "auto-assign-owner" {
            let started = at + TimeDelta::seconds(1);
            let request = RunRequest {
                at: started,
                organization,
                action: "assign-owner",
                trigger: RunTrigger::Automation,
                user: None,
                outcome: Outcome::Random,
                audit_percent: 30,
            };
            self.run_action(recorder, request);
        }
        recorder.push(at + duration, automation_run(organization, automation, &run_id, status));
    }

    /// A short-lived environment: created by `person` through an action, expired by
    /// its timer property one to three days later, then deleted by the cleanup
    /// automation through another action.
    pub(super) fn environment(
        &mut self,
        recorder: &mut Recorder,
        at: DateTime<Utc>,
        person: &Person,
    ) {
        let plan = self.plan;
        let organization = plan.spec.organizations[self.organization_index(person)];
        let request = RunRequest {
            at,
            organization,
            action: "create-environment",
            trigger: RunTrigger::Ui,
            user: Some(person),
            outcome: Outcome::Ends(RunStatus::Success, 40),
            audit_percent: 100,
        };
        let run = self.run_action(recorder, request);
        let name = self.new_name(organization, &ENVIRONMENT, recorder);
        let expires_at = at + TimeDelta::days(i64::from(recorder.dice.between(1, 3)));
        let ttl = expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let created_at = at + TimeDelta::seconds(30);
        recorder.push(
            created_at,
            EventBody::EntityChange(EntityChange {
                organization: organization.to_owned(),
                blueprint: ENVIRONMENT.id.to_owned(),
                entity: name.clone(),
                operation: Operation::Create,
                origin: Some(OriginType::Ui),
                user: Some(person.id.clone()),
            }),
        );
        let mut created = entity_entry(
            &name,
            ENVIRONMENT.id,
            Operation::Create,
            &Source::User(person),
            OriginType::Ui,
        );
        created.run_id = Some(run.run_id);
        let snapshot = json!({"identifier": name, "properties": {"ttl": ttl}});
        recorder.push(
            created_at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(created, None, Some(snapshot.clone()))),
        );

        let timer = Source::Integration("timer-property-ttl".to_owned());
        let expired = entity_entry(
            &name,
            ENVIRONMENT.id,
            Operation::TimerExpired,
            &timer,
            OriginType::PortInternal,
        );
        let after = json!({"identifier": name, "properties": {"ttl": null, "expired": true}});
        recorder.push(
            expires_at,
            audit::body(audit::with_snapshots(expired, Some(snapshot), Some(after.clone()))),
        );

        let cleanup_id = self.run_id(recorder);
        let started = expires_at + TimeDelta::seconds(5);
        recorder.push(
            started,
            automation_run(organization, "ttl-cleanup", &cleanup_id, RunStatus::InProgress),
        );
        let request = RunRequest {
            at: started + TimeDelta::seconds(3),
            organization,
            action: "delete-environment",
            trigger: RunTrigger::Automation,
            user: None,
            outcome: Outcome::Ends(RunStatus::Success, 40),
            audit_percent: 100,
        };
        let run = self.run_action(recorder, request);
        let deleted_at = started + TimeDelta::seconds(33);
        recorder.push(
            deleted_at,
            EventBody::EntityChange(EntityChange {
                organization: organization.to_owned(),
                blueprint: ENVIRONMENT.id.to_owned(),
                entity: name.clone(),
                operation: Operation::Delete,
                origin: Some(OriginType::PortAutomation),
                user: None,
            }),
        );
        let engine = Source::Integration("port-automation-engine".to_owned());
        let mut deleted = entity_entry(
            &name,
            ENVIRONMENT.id,
            Operation::Delete,
            &engine,
            OriginType::PortAutomation,
        );
        deleted.run_id = Some(run.run_id);
        recorder.push(
            deleted_at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(deleted, Some(after), None)),
        );
        recorder.push(
            started + TimeDelta::seconds(50),
            automation_run(organization, "ttl-cleanup", &cleanup_id, RunStatus::Success),
        );
    }

    /// Starts an action run and records its progress; audits it at `audit_percent`.
    fn run_action(&mut self, recorder: &mut Recorder, request: RunRequest<'_>) -> Run {
        let RunRequest { at, organization, action, trigger, user, outcome, audit_percent } =
            request;
        let run_id = self.run_id(recorder);
        let dice = &mut recorder.dice;
        let finished = match outcome {
            Outcome::Ends(status, seconds) => Some((at + TimeDelta::seconds(seconds), status)),
            Outcome::Random => {
                let duration = TimeDelta::seconds(i64::from(dice.between(15, 900)));
                match dice.below(100) {
                    0..78 => Some((at + duration, RunStatus::Success)),
                    78..93 => Some((at + duration, RunStatus::Failure)),
                    93..98 => Some((at + duration, RunStatus::Cancelled)),
                    _ => None,
                }
            }
        };
        let audited = dice.percent(audit_percent);
        let progress = |status: RunStatus| {
            EventBody::ActionRun(ActionRun {
                organization: organization.to_owned(),
                action: action.to_owned(),
                run_id: run_id.clone(),
                trigger,
                status,
                user: user.map(|person| person.id.clone()),
            })
        };
        recorder.push(at, progress(RunStatus::InProgress));
        if let Some((finished_at, status)) = finished {
            recorder.push(finished_at, progress(status));
        }
        if audited {
            let (source, origin) = match (trigger, user) {
                (RunTrigger::Ui, Some(person)) => (Source::User(person), OriginType::Ui),
                (RunTrigger::Api, Some(person)) => (Source::User(person), OriginType::Api),
                _ => (
                    Source::Integration("port-automation-engine".to_owned()),
                    OriginType::PortAutomation,
                ),
            };
            let mut started = audit::entry(
                ResourceKind::Run,
                &run_id,
                Operation::Create,
                &source,
                origin.clone(),
            );
            started.run_id = Some(run_id.clone());
            let after = json!({"action": action, "status": RunStatus::InProgress.as_str()});
            recorder.push(
                at + TimeDelta::seconds(1),
                audit::body(audit::with_snapshots(started, None, Some(after))),
            );
            if let Some((finished_at, status)) = finished {
                let mut ended =
                    audit::entry(ResourceKind::Run, &run_id, Operation::Update, &source, origin);
                ended.run_id = Some(run_id.clone());
                let after = json!({"action": action, "status": status.as_str()});
                recorder.push(
                    finished_at + TimeDelta::seconds(1),
                    audit::body(audit::with_snapshots(ended, None, Some(after))),
                );
            }
        }
        Run { run_id, finished }
    }

    /// `r_` and 16 hex digits, the shape of a run id.
    fn run_id(&self, recorder: &mut Recorder) -> String {
        format!("r_{}", recorder.dice.hex(16))
    }
}

fn automation_run(
    organization: &str,
    automation: &str,
    run_id: &str,
    status: RunStatus,
) -> EventBody {
    EventBody::AutomationRun(AutomationRun {
        organization: organization.to_owned(),
        automation: automation.to_owned(),
        run_id: run_id.to_owned(),
        status,
    })
}
