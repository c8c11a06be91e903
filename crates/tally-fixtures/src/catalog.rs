//! The software catalog and everything that changes it: entity changes here, action
//! and automation runs in `runs`, definitions and data sources in `definitions`,
//! each with its audit entries.
//!
//! The first day sets the account up (definitions, data sources, an initial catalog
//! from every kind of exporter); scripted changes during the year make sure each
//! operation, including a timer expiry, and each failure appears at every scale; the
//! rest is a weekly background whose volume the scale sets.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::json;
use tally_events::{AuditEntry, EntityChange, EventBody, Operation, OriginType, ResourceKind};

use crate::audit::{self, Source};
use crate::people::Person;
use crate::plan::Plan;
use crate::recorder::Recorder;

mod definitions;
mod runs;

/// A blueprint and the origins its entities usually come from, spelled as senders do.
struct Blueprint {
    id: &'static str,
    title: &'static str,
    suffix: &'static str,
    origins: &'static [&'static str],
}

const BLUEPRINTS: &[Blueprint] = &[
    Blueprint {
        id: "service",
        title: "Service",
        suffix: "service",
        origins: &["GITHUB GITOPS", "BITBUCKET GITOPS", "UI", "API", "TERRAFORM"],
    },
    Blueprint {
        id: "repository",
        title: "Repository",
        suffix: "repo",
        // The last spelling is an exporter this version of Tally does not know.
        origins: &[
            "GITHUB EXPORTER",
            "GITLAB EXPORTER",
            "BITBUCKET EXPORTER",
            "Azure DevOps exporter",
        ],
    },
    Blueprint {
        id: "deployment",
        title: "Deployment",
        suffix: "deploy",
        origins: &["GH ACTION", "CODEFRESH", "API"],
    },
    Blueprint { id: "workload", title: "Workload", suffix: "workload", origins: &["K8S EXPORTER"] },
    Blueprint {
        id: "cloud_resource",
        title: "Cloud resource",
        suffix: "bucket",
        origins: &["AWS EXPORTER", "PULUMI", "TERRAFORM"],
    },
    Blueprint {
        id: "incident",
        title: "Incident",
        suffix: "incident",
        origins: &["WEBHOOK", "API", "UI"],
    },
    Blueprint { id: "team", title: "Team", suffix: "team", origins: &["PORT INTERNAL", "UI"] },
];

/// Short-lived environments, created by an action and expired by a timer property.
const ENVIRONMENT: Blueprint =
    Blueprint { id: "environment", title: "Environment", suffix: "env", origins: &["UI"] };

const WORDS: &[&str] = &[
    "checkout",
    "payments",
    "search",
    "inventory",
    "billing",
    "auth",
    "notifications",
    "pricing",
    "ledger",
    "gateway",
    "profile",
    "reports",
    "scheduler",
    "telemetry",
    "firmware",
    "tracking",
    "routing",
    "sensors",
];

const ENTITY_ERRORS: &[&str] = &[
    "Entity does not match the blueprint schema: property `tier` must be one of 1, 2, 3",
    "Relation target `payments-db` does not exist",
    "Identifier is already used by another entity of this blueprint",
];

pub(crate) fn record(plan: &Plan, recorder: &mut Recorder) {
    let mut catalog = Catalog {
        plan,
        live: Vec::new(),
        taken: BTreeSet::new(),
        serial: 0,
        data_sources: Vec::new(),
    };
    catalog.setup(recorder);
    catalog.scripted(recorder);
    for week in plan.clock.week_starts() {
        catalog.background_week(week, recorder);
    }
}

#[derive(Clone)]
struct LiveEntity {
    organization: String,
    blueprint: &'static Blueprint,
    entity: String,
}

/// Who changes an entity, through what, and whether the audit log hears of it.
struct Edit<'a> {
    at: DateTime<Utc>,
    origin: OriginType,
    user: Option<&'a Person>,
    /// The action run that made the change.
    run_id: Option<String>,
    audit_percent: u32,
}

/// A background activity: records one occurrence at the instant given.
type BackgroundActivity<'p> = fn(&mut Catalog<'p>, &mut Recorder, DateTime<Utc>);

struct Catalog<'p> {
    plan: &'p Plan,
    live: Vec<LiveEntity>,
    /// `organization/entity` names ever used, so an identifier is never reused.
    taken: BTreeSet<String>,
    serial: u32,
    data_sources: Vec<definitions::LiveDataSource>,
}

impl<'p> Catalog<'p> {
    /// The first day: definitions from 10:00, data sources from 11:00, the initial
    /// catalog from 12:00, and an aggregation recalculation that night.
    fn setup(&mut self, recorder: &mut Recorder) {
        let plan = self.plan;
        let day = plan.clock.first_day;
        self.create_definitions(recorder, plan.clock.at(day, 10, 0, 0));
        self.connect_first_data_sources(recorder, plan.clock.at(day, 11, 0, 0));

        let mut at = plan.clock.at(day, 12, 0, 0);
        for (index, organization) in plan.spec.organizations.iter().enumerate() {
            for blueprint in BLUEPRINTS {
                // The first organization gets an entity from every origin, so every
                // origin type is in the data (and its audit log) at every scale.
                let (origins, audit_percent) = if index == 0 {
                    (blueprint.origins, 100)
                } else {
                    (&blueprint.origins[..1], 0)
                };
                for origin in origins {
                    at += TimeDelta::seconds(13);
                    let origin = OriginType::parse(origin);
                    let user = self.hand_user(&origin, at, recorder);
                    let edit = Edit { at, origin, user, run_id: None, audit_percent };
                    self.create_entity(recorder, organization, blueprint, edit);
                }
            }
        }

        let recalculated_at = plan.clock.at(day + chrono::Days::new(1), 3, 0, 0);
        if let Some(index) = self.live.iter().position(|live| live.blueprint.id == "service") {
            let edit = Edit {
                at: recalculated_at,
                origin: OriginType::AggregationProperty,
                user: None,
                run_id: None,
                audit_percent: 100,
            };
            self.change_entity(recorder, index, Operation::Update, edit);
        }
    }

    /// One of each rare change, at fixed points of the year.
    fn scripted(&mut self, recorder: &mut Recorder) {
        let plan = self.plan;
        let admin = plan.admin();
        let rejected = entity_entry(
            "ledger-service",
            "service",
            Operation::Create,
            &Source::User(admin),
            OriginType::Ui,
        );
        let at = plan.at_fraction(0.15, 10, 5);
        recorder.push(at, audit::body(audit::failed(rejected, ENTITY_ERRORS[0])));

        self.environment(recorder, plan.at_fraction(0.20, 10, 0), admin);
        self.scripted_runs(recorder);
        self.scripted_definitions(recorder);
    }

    fn background_week(&mut self, week: NaiveDate, recorder: &mut Recorder) {
        let plan = self.plan;
        let shape = &plan.shape;
        // Each activity draws from the dice in turn: this order is part of what
        // a seed generates.
        let activities: [(u32, BackgroundActivity<'p>); 6] = [
            (shape.entity_changes, Self::background_entity_change),
            (shape.action_runs, Self::background_action_run),
            (shape.automation_runs, Self::background_automation_run),
            (shape.environments, Self::background_environment),
            (shape.data_source_updates, Self::update_data_source),
            (shape.definition_updates, Self::update_definition),
        ];
        for (rate_per_year, activity) in activities {
            for _ in 0..Plan::weekly_count(rate_per_year, &mut recorder.dice) {
                if let Some(at) = plan.working_time(week, &mut recorder.dice) {
                    activity(self, recorder, at);
                }
            }
        }
    }

    /// An environment made by whoever is at work at `at`, if anyone is.
    fn background_environment(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        if let Some(person) = self.plan.actor_at(at, &mut recorder.dice) {
            self.environment(recorder, at, person);
        }
    }

    fn background_entity_change(&mut self, recorder: &mut Recorder, at: DateTime<Utc>) {
        let plan = self.plan;
        let dice = &mut recorder.dice;
        let organization = *dice.pick(plan.spec.organizations);
        let in_organization: Vec<usize> = (0..self.live.len())
            .filter(|&index| self.live[index].organization == organization)
            .collect();
        let roll = dice.below(100);
        if roll < 4 {
            let blueprint = dice.pick(BLUEPRINTS);
            let name = format!("{}-{}", dice.pick(WORDS), blueprint.suffix);
            let user = plan.actor_at(at, dice).unwrap_or(plan.admin());
            let mut entry = audit::entry(
                ResourceKind::Entity,
                &name,
                Operation::Update,
                &Source::User(user),
                OriginType::Ui,
            );
            entry.blueprint = Some(blueprint.id.to_owned());
            entry.entity = Some(name);
            let error = *dice.pick(ENTITY_ERRORS);
            recorder.push(at, audit::body(audit::failed(entry, error)));
        } else if roll < 40 || in_organization.len() < 6 {
            let blueprint = dice.pick(BLUEPRINTS);
            let spelling = *dice.pick(blueprint.origins);
            let origin = OriginType::parse(spelling);
            let user = self.hand_user(&origin, at, recorder);
            self.create_entity(
                recorder,
                organization,
                blueprint,
                Edit { at, origin, user, run_id: None, audit_percent: 50 },
            );
        } else {
            let index = in_organization[dice.index(in_organization.len())];
            let blueprint = self.live[index].blueprint;
            let usual_origin = *dice.pick(blueprint.origins);
            let (operation, origin) = match dice.below(100) {
                0..15 => (Operation::Update, OriginType::AggregationProperty),
                15..30 => (Operation::Update, OriginType::Ui),
                30..90 => (Operation::Update, OriginType::parse(usual_origin)),
                _ => (Operation::Delete, OriginType::parse(usual_origin)),
            };
            let user = self.hand_user(&origin, at, recorder);
            self.change_entity(
                recorder,
                index,
                operation,
                Edit { at, origin, user, run_id: None, audit_percent: 50 },
            );
        }
    }

    /// Creates an entity and records the change.
    fn create_entity(
        &mut self,
        recorder: &mut Recorder,
        organization: &str,
        blueprint: &'static Blueprint,
        edit: Edit<'_>,
    ) {
        let entity = self.new_name(organization, blueprint, recorder);
        self.live.push(LiveEntity { organization: organization.to_owned(), blueprint, entity });
        let index = self.live.len() - 1;
        self.change_entity(recorder, index, Operation::Create, edit);
    }

    /// Records a change to the live entity at `index` (which it has just created, or
    /// now updates or deletes), with an audit entry at `audit_percent`. Snapshots are
    /// captured for most audited changes, not all.
    fn change_entity(
        &mut self,
        recorder: &mut Recorder,
        index: usize,
        operation: Operation,
        edit: Edit<'_>,
    ) {
        let Edit { at, origin, user, run_id, audit_percent } = edit;
        let live = if operation == Operation::Delete {
            self.live.remove(index)
        } else {
            self.live[index].clone()
        };
        recorder.push(
            at,
            EventBody::EntityChange(EntityChange {
                organization: live.organization.clone(),
                blueprint: live.blueprint.id.to_owned(),
                entity: live.entity.clone(),
                operation,
                origin: Some(origin.clone()),
                user: user.map(|person| person.id.clone()),
            }),
        );
        let dice = &mut recorder.dice;
        if !dice.percent(audit_percent) {
            return;
        }
        let source = Source::for_origin(&origin, user);
        let mut entry = entity_entry(&live.entity, live.blueprint.id, operation, &source, origin);
        entry.run_id = run_id;
        let tier = dice.between(1, 3);
        let snapshot = |tier: u32| {
            json!({
                "identifier": live.entity,
                "blueprint": live.blueprint.id,
                "properties": {"tier": tier},
            })
        };
        let (before, after) = match operation {
            Operation::Create if dice.percent(80) => (None, Some(snapshot(tier))),
            Operation::Update if dice.percent(60) => {
                (Some(snapshot(tier)), Some(snapshot(tier % 3 + 1)))
            }
            Operation::Delete if dice.percent(70) => (Some(snapshot(tier)), None),
            _ => (None, None),
        };
        recorder.push(
            at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(entry, before, after)),
        );
    }

    /// Who made a change by hand: someone present for the UI (the admin if nobody
    /// else is), a person or the service account for the API, nobody for exporters.
    fn hand_user(
        &self,
        origin: &OriginType,
        at: DateTime<Utc>,
        recorder: &mut Recorder,
    ) -> Option<&'p Person> {
        let plan = self.plan;
        match origin {
            OriginType::Ui => Some(plan.actor_at(at, &mut recorder.dice).unwrap_or(plan.admin())),
            OriginType::Api if recorder.dice.percent(50) => {
                plan.actor_at(at, &mut recorder.dice).or(Some(plan.service_account()))
            }
            OriginType::Api => Some(plan.service_account()),
            _ => None,
        }
    }

    fn organization_index(&self, person: &Person) -> usize {
        let organizations = self.plan.spec.organizations;
        organizations
            .iter()
            .position(|organization| *organization == person.organization)
            .unwrap_or(0)
    }

    /// A fresh identifier: `checkout-service`, or with a number once that is taken;
    /// incidents and deployments are numbered.
    fn new_name(
        &mut self,
        organization: &str,
        blueprint: &Blueprint,
        recorder: &mut Recorder,
    ) -> String {
        self.serial += 1;
        let serial = self.serial;
        let word = recorder.dice.pick(WORDS);
        let base = match blueprint.suffix {
            "incident" => format!("INC-{serial:04}"),
            "deploy" => format!("{word}-deploy-{serial}"),
            "env" => format!("env-{word}-{serial}"),
            suffix => format!("{word}-{suffix}"),
        };
        let name = if self.taken.contains(&format!("{organization}/{base}")) {
            format!("{base}-{serial}")
        } else {
            base
        };
        self.taken.insert(format!("{organization}/{name}"));
        name
    }
}

fn entity_entry(
    entity: &str,
    blueprint: &str,
    operation: Operation,
    source: &Source<'_>,
    origin: OriginType,
) -> AuditEntry {
    let mut entry = audit::entry(ResourceKind::Entity, entity, operation, source, origin);
    entry.blueprint = Some(blueprint.to_owned());
    entry.entity = Some(entity.to_owned());
    entry
}
