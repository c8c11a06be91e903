//! Users join before they do anything, and act only while present.

use std::collections::BTreeMap;

use tally_events::{EventBody, Role};

use crate::common::{small, user_of};

#[test]
fn user_added_comes_before_each_users_other_events() {
    for account in small() {
        let mut added: BTreeMap<&str, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
        for event in &account.events {
            let Some(user) = user_of(event) else { continue };
            match &event.body {
                EventBody::UserAdded(_) => {
                    added.entry(user).or_insert(event.at);
                }
                _ => match added.get(user) {
                    Some(added_at) => assert!(*added_at < event.at, "{}: {event:?}", account.slug),
                    None => panic!("{}: {user} acts before being added: {event:?}", account.slug),
                },
            }
        }
    }
}

#[test]
fn users_act_only_while_added_and_enabled() {
    for account in small() {
        let mut present: BTreeMap<&str, bool> = BTreeMap::new();
        for event in &account.events {
            let Some(user) = user_of(event) else { continue };
            match &event.body {
                EventBody::UserAdded(_) | EventBody::UserEnabled(_) => {
                    let was_present = present.insert(user, true);
                    assert_ne!(was_present, Some(true), "{}: {user} joined twice", account.slug);
                }
                EventBody::UserRemoved(_) | EventBody::UserDisabled(_) => {
                    assert_eq!(
                        present.insert(user, false),
                        Some(true),
                        "{}: {event:?}",
                        account.slug
                    );
                }
                _ => assert_eq!(present.get(user), Some(&true), "{}: {event:?}", account.slug),
            }
        }
    }
}

#[test]
fn the_lifecycle_includes_every_change_and_a_re_added_user() {
    for account in small() {
        let mut history: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for event in &account.events {
            if let Some(user) = user_of(event)
                && event.body.kind().wire_name().starts_with("user_")
            {
                history.entry(user).or_default().push(event.body.kind().wire_name());
            }
        }
        let histories: Vec<&Vec<&str>> = history.values().collect();
        for expected in [
            ["user_added", "user_removed", "user_added"],
            ["user_added", "user_disabled", "user_enabled"],
            ["user_added", "user_role_changed", "user_teams_changed"],
            ["user_added", "user_role_changed", "user_removed"],
        ] {
            assert!(
                histories.iter().any(|history| history.as_slice() == expected),
                "{}: {history:?}",
                account.slug
            );
        }
    }
}

#[test]
fn added_users_carry_their_identifiers_role_and_teams() {
    for account in small() {
        let added: Vec<_> = account
            .events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::UserAdded(added) => Some(added),
                _ => None,
            })
            .collect();
        for user in &added {
            let number = user.user.strip_prefix("u-").unwrap();
            assert!(
                number.len() == 4 && number.bytes().all(|byte| byte.is_ascii_digit()),
                "{}",
                user.user
            );
            let email = user.email.as_deref().unwrap();
            assert!(email.contains('@') && email == email.to_lowercase(), "{email}");
            assert!(user.username.is_some() && user.display_name.is_some(), "{user:?}");
            let organization = user.organization.as_deref().unwrap();
            assert!(account.organizations.iter().any(|name| name == organization), "{user:?}");
            assert!(user.teams.iter().all(|team| account.teams.contains(team)), "{user:?}");
            assert!(user.service_account || !user.teams.is_empty(), "{user:?}");
        }
        assert!(added.iter().any(|user| user.role == Role::Admin), "{}", account.slug);
        assert!(added.iter().any(|user| user.role == Role::Member), "{}", account.slug);
        assert_eq!(added.iter().filter(|user| user.service_account).count(), 1, "{}", account.slug);
        assert_eq!(added[0].user, "u-0001", "{}: the first admin joins first", account.slug);
    }
}
