//! Users seen in integrated systems arrive with messy identities; entity syncs name
//! their projects.

use tally_events::{EntitySync, EventBody, IntegrationStatus, InteractionType, SyncObservation};

use crate::common::small;

fn observations(events: &[tally_events::Event]) -> Vec<&SyncObservation> {
    events
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::SyncObservation(observation) => Some(observation),
            _ => None,
        })
        .collect()
}

fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap()
}

#[test]
fn observations_include_the_identities_matching_must_see_through() {
    for account in small() {
        let seen = observations(&account.events);
        let emails: Vec<&str> =
            seen.iter().filter_map(|observation| observation.email.as_deref()).collect();
        let slug = &account.slug;
        // The same email in other letter case.
        assert!(
            emails.iter().any(|email| *email != email.to_lowercase()
                && emails.contains(&email.to_lowercase().as_str())),
            "{slug}: no email in two letter cases"
        );
        // The same local part at another domain.
        assert!(
            emails.iter().any(|email| emails.iter().any(|other| {
                local_part(email) == local_part(other)
                    && email.to_lowercase() != other.to_lowercase()
            })),
            "{slug}: no local part at two domains"
        );
        let only = |email: bool, username: bool, display_name: bool| {
            seen.iter().any(|observation| {
                (
                    observation.email.is_some(),
                    observation.username.is_some(),
                    observation.display_name.is_some(),
                ) == (email, username, display_name)
                    && !observation.service_account
            })
        };
        assert!(only(false, false, true), "{slug}: no display-name-only identity");
        assert!(only(false, true, false), "{slug}: no username-only identity");
        let service = |predicate: &dyn Fn(&SyncObservation) -> bool| {
            seen.iter().any(|observation| observation.service_account && predicate(observation))
        };
        assert!(
            service(&|observation| observation.username.as_deref() == Some("jira-bot")),
            "{slug}"
        );
        assert!(
            service(&|observation| observation.email.as_deref() == Some("noreply@github.com")),
            "{slug}"
        );
        assert!(seen.iter().any(|observation| !observation.interaction.is_known()), "{slug}");
        for known in InteractionType::KNOWN {
            assert!(
                seen.iter().any(|observation| observation.interaction.as_str() == *known),
                "{slug}: no {known}"
            );
        }
    }
}

#[test]
fn entity_syncs_name_both_projects_and_one_pair_goes_inactive() {
    for account in small() {
        let syncs: Vec<&EntitySync> = account
            .events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::EntitySync(sync) => Some(sync),
                _ => None,
            })
            .collect();
        assert!(
            syncs.iter().all(|sync| sync.source_project.is_some() && sync.target_project.is_some())
        );
        assert!(syncs.iter().all(|sync| sync.source_system != sync.target_system));
        let inactive: Vec<_> =
            syncs.iter().filter(|sync| sync.status == IntegrationStatus::Inactive).collect();
        assert_eq!(inactive.len(), 1, "{}", account.slug);
        let last_of_pair = syncs
            .iter()
            .rfind(|sync| {
                sync.source_system == inactive[0].source_system
                    && sync.target_system == inactive[0].target_system
            })
            .unwrap();
        assert_eq!(
            last_of_pair.status,
            IntegrationStatus::Inactive,
            "{}: syncs after pausing",
            account.slug
        );
    }
}
