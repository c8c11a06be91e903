//! A year of logins for the seat benchmarks.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Users in [`year_of_logins`].
pub const LOGIN_USERS: u32 = 100_000;
/// 2026-01-01T00:00:00Z, in seconds since the Unix epoch.
const YEAR_START: i64 = 1_767_225_600;
const DAYS: i64 = 365;

/// A year (2026) of logins of [`LOGIN_USERS`] users, in arrival order, as (user
/// number, instant in microseconds since the Unix epoch).
///
/// A fifth of the users log in on 1% of days, three tenths on 30% and half on 80%;
/// one login in ten comes with a second that day. That is 0.2 × 0.01 + 0.3 × 0.3 +
/// 0.5 × 0.8 = 0.492 login days per user and day, × 1.1 logins, × 100,000 users ×
/// 365 days: about 19.8 million logins (19,755,407 with seed 2026).
pub fn year_of_logins(seed: u64) -> Vec<(u32, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rates: Vec<f64> = (0..LOGIN_USERS)
        .map(|user| match user % 10 {
            0 | 1 => 0.01,
            2..=4 => 0.3,
            _ => 0.8,
        })
        .collect();
    let mut logins = Vec::with_capacity(20_000_000);
    for day in 0..DAYS {
        let day_start = logins.len();
        for (user, rate) in rates.iter().enumerate() {
            if rng.random_bool(*rate) {
                let times = if rng.random_bool(0.1) { 2 } else { 1 };
                for _ in 0..times {
                    let second = rng.random_range(0..86_400);
                    logins.push((user as u32, (YEAR_START + day * 86_400 + second) * 1_000_000));
                }
            }
        }
        logins[day_start..].sort_unstable_by_key(|(_, at)| *at);
    }
    logins
}

/// The name of user number `user`, as the benchmarks send it.
pub fn user_name(user: u32) -> String {
    format!("user-{user:06}")
}
