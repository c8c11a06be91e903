//! What the usage reports read: users seen in integrated systems, with the messy
//! identities real systems produce, and entities synchronised between system pairs.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, TimeDelta, Utc};
use tally_events::{EntitySync, EventBody, IntegrationStatus, InteractionType, SyncObservation};

use crate::accounts::SyncPair;
use crate::people::{Habit, Person};
use crate::plan::Plan;
use crate::recorder::Recorder;

/// How a user appears in one integrated system.
#[derive(Debug, Clone, Default)]
struct Identity {
    email: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    service_account: bool,
}

const INTERACTIONS: &[&str] =
    &["MAPPED USER FIELD", "COMMENT AUTHOR", "ATTACHMENT AUTHOR", "MENTION", "UPDATER"];

/// Records the observations and entity syncs of one account.
pub(crate) fn record(plan: &Plan, recorder: &mut Recorder) {
    let systems = systems(plan.spec.sync_pairs);
    let people: Vec<&Person> =
        plan.people.iter().filter(|person| person.habit != Habit::Service).collect();
    let identities = identities(plan, &people);

    // Every identity is seen at least once, spread evenly over the year.
    for (index, identity) in identities.iter().enumerate() {
        let fraction = (index + 1) as f64 / (identities.len() + 1) as f64;
        let at = plan.at_fraction(fraction, 9 + (index % 9) as u32, 10)
            + TimeDelta::seconds(i64::from(recorder.dice.below(3600)));
        let interaction = InteractionType::parse(INTERACTIONS[index % INTERACTIONS.len()]);
        observe(recorder, &systems, identity, interaction, at);
    }
    // One interaction type this version of Tally does not know.
    let watcher = InteractionType::parse("Watcher");
    observe(recorder, &systems, &identities[0], watcher, plan.at_fraction(0.5, 15, 45));

    // Every pair syncs on the second day; the last pair is paused late in the year.
    let second_day = plan.clock.first_day + Days::new(1);
    for (index, pair) in plan.spec.sync_pairs.iter().enumerate() {
        let at = plan.clock.at(second_day, 8, 30 + index as u32, 0);
        sync(recorder, pair, IntegrationStatus::Active, at);
    }
    let paused = plan.spec.sync_pairs.last().expect("every account integrates at least one pair");
    let paused_at = plan.at_fraction(0.85, 12, 0);
    sync(recorder, paused, IntegrationStatus::Inactive, paused_at);

    let shape = &plan.shape;
    for week in plan.clock.week_starts() {
        for _ in 0..Plan::weekly_count(shape.sync_observations, &mut recorder.dice) {
            let Some(at) = plan.working_time(week, &mut recorder.dice) else { continue };
            // Mostly the account's own people, as their systems know them.
            let identity = if recorder.dice.percent(70) {
                let person = recorder.dice.pick(&people);
                full_identity(person)
            } else {
                recorder.dice.pick(&identities).clone()
            };
            let spelling = *recorder.dice.pick(INTERACTIONS);
            let interaction = InteractionType::parse(spelling);
            observe(recorder, &systems, &identity, interaction, at);
        }
        for _ in 0..Plan::weekly_count(shape.entity_syncs, &mut recorder.dice) {
            let Some(at) = plan.working_time(week, &mut recorder.dice) else { continue };
            let pair = recorder.dice.pick(plan.spec.sync_pairs);
            if std::ptr::eq(pair, paused) && at >= paused_at {
                continue;
            }
            sync(recorder, pair, IntegrationStatus::Active, at);
        }
    }
}

/// Each system of the account's pairs with every project it has.
fn systems(pairs: &[SyncPair]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut systems: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for pair in pairs {
        systems.entry(pair.source_system).or_default().extend(pair.source_projects);
        systems.entry(pair.target_system).or_default().extend(pair.target_projects);
    }
    systems
        .into_iter()
        .map(|(system, mut projects)| {
            projects.sort_unstable();
            projects.dedup();
            (system, projects)
        })
        .collect()
}

fn full_identity(person: &Person) -> Identity {
    Identity {
        email: Some(person.email.clone()),
        username: Some(person.username.clone()),
        display_name: Some(person.display_name.clone()),
        service_account: false,
    }
}

/// Every way the account's users show up: each person in full, then the variants
/// identity matching must see through, outsiders, and service accounts.
fn identities(plan: &Plan, people: &[&Person]) -> Vec<Identity> {
    let mut identities: Vec<Identity> = people.iter().map(|person| full_identity(person)).collect();
    let local_part =
        |person: &Person| person.email.split('@').next().unwrap_or_default().to_owned();

    // The same email in other letter case: `Anna.Schmidt@ACME-ROBOTICS.DE`.
    let shouting = people[1];
    let (local, domain) = shouting.email.split_once('@').expect("fixture emails have a domain");
    let local = local.split('.').map(capitalise).collect::<Vec<_>>().join(".");
    identities.push(Identity {
        email: Some(format!("{local}@{}", domain.to_uppercase())),
        ..Identity::default()
    });
    // The same local part at a private address.
    let private = people[2];
    identities.push(Identity {
        email: Some(format!("{}@gmail.com", local_part(private))),
        display_name: Some(private.display_name.clone()),
        ..Identity::default()
    });
    // A display name only, and a username only.
    identities.push(Identity {
        display_name: Some(people[3].display_name.clone()),
        ..Identity::default()
    });
    identities.push(Identity { username: Some(people[4].username.clone()), ..Identity::default() });
    // The same email under another username (a duplicate in the reports).
    let renamed = people[5];
    identities.push(Identity {
        email: Some(renamed.email.clone()),
        username: Some(format!("{}-gh", local_part(renamed).replace('.', "-"))),
        ..Identity::default()
    });
    // Outsiders: a partner with a local part the account also uses, and a customer.
    identities.push(Identity {
        email: Some(format!("{}@partner-agency.example", local_part(people[0]))),
        display_name: Some(format!("{} (Partner Agency)", people[0].display_name)),
        ..Identity::default()
    });
    identities.push(Identity {
        email: Some("m.jones@customer-corp.example".to_owned()),
        display_name: Some("M. Jones".to_owned()),
        ..Identity::default()
    });
    // Service accounts, by every identifier they come with.
    let service = |identity: Identity| Identity { service_account: true, ..identity };
    identities
        .push(service(Identity { username: Some("jira-bot".to_owned()), ..Identity::default() }));
    identities.push(service(Identity {
        email: Some("noreply@github.com".to_owned()),
        display_name: Some("GitHub".to_owned()),
        ..Identity::default()
    }));
    identities.push(service(Identity {
        display_name: Some("Automation for Jira".to_owned()),
        ..Identity::default()
    }));
    identities.push(service(Identity {
        email: Some(format!("svc-deploy@{}", plan.spec.email_domain)),
        username: Some("svc-deploy".to_owned()),
        ..Identity::default()
    }));
    identities
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn observe(
    recorder: &mut Recorder,
    systems: &[(&'static str, Vec<&'static str>)],
    identity: &Identity,
    interaction: InteractionType,
    at: DateTime<Utc>,
) {
    let (system, projects) = recorder.dice.pick(systems);
    // Some systems (or some of their events) carry no project.
    let project = (!recorder.dice.percent(10)).then(|| recorder.dice.pick(projects).to_string());
    recorder.push(
        at,
        EventBody::SyncObservation(SyncObservation {
            system: system.to_string(),
            project,
            email: identity.email.clone(),
            username: identity.username.clone(),
            display_name: identity.display_name.clone(),
            interaction,
            service_account: identity.service_account,
        }),
    );
}

fn sync(recorder: &mut Recorder, pair: &SyncPair, status: IntegrationStatus, at: DateTime<Utc>) {
    let project = recorder.dice.index(pair.source_projects.len());
    let entity_type = recorder.dice.pick(pair.entity_types).to_string();
    let entities = recorder.dice.between(1, 40);
    recorder.push(
        at,
        EventBody::EntitySync(EntitySync {
            source_system: pair.source_system.to_owned(),
            target_system: pair.target_system.to_owned(),
            source_project: Some(pair.source_projects[project].to_owned()),
            target_project: Some(
                pair.target_projects[project % pair.target_projects.len()].to_owned(),
            ),
            entity_type,
            entities,
            status,
        }),
    );
}
