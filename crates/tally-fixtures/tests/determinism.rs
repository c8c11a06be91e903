//! Same configuration, same bytes; and the data set's size per scale.

use tally_fixtures::{Scale, generate};

use crate::common::{config, ndjson, small};

fn all_ndjson(accounts: &[tally_fixtures::AccountFixture]) -> Vec<Vec<u8>> {
    accounts.iter().map(|account| ndjson(&account.events)).collect()
}

#[test]
fn the_same_seed_gives_byte_identical_ndjson() {
    let again = generate(&config(7, Scale::Small));
    assert_eq!(all_ndjson(small()), all_ndjson(&again));
    assert_eq!(small(), again.as_slice());
}

#[test]
fn another_seed_gives_other_events_in_the_same_accounts() {
    let other = generate(&config(8, Scale::Small));
    let slugs = |accounts: &[tally_fixtures::AccountFixture]| -> Vec<String> {
        accounts.iter().map(|account| account.slug.clone()).collect()
    };
    assert_eq!(slugs(small()), slugs(&other));
    for (seven, eight) in small().iter().zip(&other) {
        assert_eq!(seven.terms, eight.terms, "terms follow the clock, not the seed");
        assert_ne!(ndjson(&seven.events), ndjson(&eight.events), "{}", seven.slug);
    }
}

#[test]
fn small_fits_in_a_repository_and_demo_is_a_few_megabytes() {
    let small_bytes: usize = all_ndjson(small()).iter().map(Vec::len).sum();
    assert!(small_bytes < 640 * 1024, "Scale::Small is {small_bytes} bytes");

    let demo = generate(&config(7, Scale::Demo));
    let demo_bytes: usize = all_ndjson(&demo).iter().map(Vec::len).sum();
    assert!((2 << 20..8 << 20).contains(&demo_bytes), "Scale::Demo is {demo_bytes} bytes");
}

#[test]
fn large_grows_with_its_parameters() {
    let count = |scale: Scale| -> usize {
        generate(&config(7, scale)).iter().map(|account| account.events.len()).sum()
    };
    let light = count(Scale::Large { logins_per_user_per_week: 1, users_per_account: 10 });
    let heavy = count(Scale::Large { logins_per_user_per_week: 7, users_per_account: 40 });
    assert!(heavy > 3 * light, "light {light}, heavy {heavy}");
}
