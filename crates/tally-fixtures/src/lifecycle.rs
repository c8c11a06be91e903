//! User lifecycle events (added, disabled, enabled, removed, re-added, role and team
//! changes) and the account-access audit entries that go with them.

use chrono::TimeDelta;
use serde_json::json;
use tally_events::{
    EventBody, Operation, OriginType, ResourceKind, UserAdded, UserRef, UserRoleChanged,
    UserTeamsChanged,
};

use crate::audit::{self, Source};
use crate::calendar::LocalClock;
use crate::people::{Change, Habit, Person};
use crate::recorder::Recorder;

/// Records every person's lifecycle. `people[0]` is the account's first admin, who
/// makes the changes by hand; the first morning's users arrive through SCIM.
pub(crate) fn record(people: &[Person], clock: &LocalClock, recorder: &mut Recorder) {
    let admin = &people[0];
    let scim = Source::Integration("okta-scim".to_owned());
    let first_day_end = clock.at(clock.first_day, 12, 0, 0);
    for person in people {
        let by_scim = person.habit != Habit::Service && person.added_at < first_day_end;
        let (source, origin) =
            if by_scim { (&scim, OriginType::Api) } else { (&Source::User(admin), OriginType::Ui) };
        let added = added_body(person, person.teams.clone());
        recorder.push(person.added_at, added);
        let grant = audit::entry(
            ResourceKind::AccountAccess,
            &person.id,
            Operation::Create,
            source,
            origin.clone(),
        );
        let after = json!({"user": person.id, "role": person.role.as_str(), "state": "active"});
        recorder.push(
            person.added_at + TimeDelta::seconds(1),
            audit::body(audit::with_snapshots(grant, None, Some(after))),
        );

        for (at, change) in &person.changes {
            let at = *at;
            let by_admin = Source::User(admin);
            let (body, operation, snapshots) = match change {
                Change::Disable => (
                    EventBody::UserDisabled(UserRef { user: person.id.clone() }),
                    Operation::Update,
                    Some((json!({"state": "active"}), json!({"state": "disabled"}))),
                ),
                Change::Enable => (
                    EventBody::UserEnabled(UserRef { user: person.id.clone() }),
                    Operation::Update,
                    Some((json!({"state": "disabled"}), json!({"state": "active"}))),
                ),
                Change::Remove => (
                    EventBody::UserRemoved(UserRef { user: person.id.clone() }),
                    Operation::Delete,
                    None,
                ),
                Change::ReAdd { teams } => {
                    (added_body(person, teams.clone()), Operation::Create, None)
                }
                Change::Role { organization, role } => (
                    EventBody::UserRoleChanged(UserRoleChanged {
                        user: person.id.clone(),
                        organization: organization.clone(),
                        role: *role,
                    }),
                    Operation::Update,
                    Some((
                        json!({"organization": organization}),
                        json!({"organization": organization, "role": role.as_str()}),
                    )),
                ),
                Change::Teams(teams) => (
                    EventBody::UserTeamsChanged(UserTeamsChanged {
                        user: person.id.clone(),
                        teams: teams.clone(),
                    }),
                    Operation::Update,
                    None,
                ),
            };
            recorder.push(at, body);
            let entry = audit::entry(
                ResourceKind::AccountAccess,
                &person.id,
                operation,
                &by_admin,
                OriginType::Ui,
            );
            let entry = match snapshots {
                Some((before, after)) => audit::with_snapshots(entry, Some(before), Some(after)),
                None => entry,
            };
            recorder.push(at + TimeDelta::seconds(1), audit::body(entry));
        }
    }
}

fn added_body(person: &Person, teams: Vec<String>) -> EventBody {
    EventBody::UserAdded(UserAdded {
        user: person.id.clone(),
        email: Some(person.email.clone()),
        username: Some(person.username.clone()),
        display_name: Some(person.display_name.clone()),
        organization: Some(person.organization.clone()),
        role: person.role,
        teams,
        service_account: person.habit == Habit::Service,
    })
}
