//! The active-seat rule's parameters.

/// What a user must do within a subscription term to become an active seat: log
/// in at least `logins_needed` times, in at least `weeks_needed` calendar weeks
/// that each hold at least `logins_per_week` of those logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatRule {
    /// Distinct calendar weeks needed.
    pub weeks_needed: u32,
    /// Logins needed in all.
    pub logins_needed: u32,
    /// Logins a week needs to count as one of the `weeks_needed`.
    pub logins_per_week: u32,
}

impl Default for SeatRule {
    /// The seed's rule: 3 or more logins in 3 different calendar weeks.
    fn default() -> Self {
        SeatRule { weeks_needed: 3, logins_needed: 3, logins_per_week: 1 }
    }
}

/// A rule that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatRuleError {
    /// A parameter is zero: every user would be a seat before logging in.
    #[error("the seat rule's {parameter} is 0; it must be at least 1")]
    Zero {
        /// The parameter's name.
        parameter: &'static str,
    },
}

impl SeatRule {
    /// Checks that every parameter is at least 1.
    pub fn validate(&self) -> Result<(), SeatRuleError> {
        for (parameter, value) in [
            ("weeks_needed", self.weeks_needed),
            ("logins_needed", self.logins_needed),
            ("logins_per_week", self.logins_per_week),
        ] {
            if value == 0 {
                return Err(SeatRuleError::Zero { parameter });
            }
        }
        Ok(())
    }
}
