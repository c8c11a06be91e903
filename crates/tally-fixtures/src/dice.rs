//! The generator's only source of randomness.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded ChaCha8 stream, one per account.
///
/// Numbers are drawn with `next_u32`/`next_u64` and reduced here rather than through
/// rand's distributions: ChaCha8's output is fixed for a seed on every platform, while
/// rand's sampling algorithms may change in a minor release and reshuffle every fixture.
pub(crate) struct Dice {
    rng: ChaCha8Rng,
}

impl Dice {
    /// The stream for one account: the seed picks the key, the account's position the
    /// ChaCha stream, so the accounts' data sets are independent of one another.
    pub(crate) fn for_account(seed: u64, account_index: u64) -> Dice {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(account_index);
        Dice { rng }
    }

    /// A number in `0..bound`, `bound` > 0.
    ///
    /// Multiply-and-shift (Lemire) without the rejection step: its bias, below
    /// `bound / 2^32`, does not matter for demo data and it always reads one word.
    pub(crate) fn below(&mut self, bound: u32) -> u32 {
        debug_assert!(bound > 0, "Dice::below needs a positive bound");
        let wide = u64::from(self.rng.next_u32()) * u64::from(bound);
        u32::try_from(wide >> 32).expect("the high half of a u32 x u32 product fits in u32")
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below(high - low + 1)
    }

    /// True with the given chance in percent.
    pub(crate) fn percent(&mut self, chance: u32) -> bool {
        self.below(100) < chance
    }

    /// An index into a non-empty slice of `len` items.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let bound = u32::try_from(len).expect("fixture lists are far shorter than 2^32");
        self.below(bound) as usize
    }

    /// One item of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// 128 random bits formatted as a version 4, variant 1 UUID (RFC 9562 section 5.4).
    pub(crate) fn uuid(&mut self) -> String {
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&self.rng.next_u64().to_be_bytes());
        bytes[8..].copy_from_slice(&self.rng.next_u64().to_be_bytes());
        format_uuid(bytes)
    }

    /// `digits` lower-case hexadecimal digits, for run ids.
    pub(crate) fn hex(&mut self, digits: usize) -> String {
        let mut text = String::with_capacity(digits);
        while text.len() < digits {
            let word = self.rng.next_u64();
            text.push_str(&format!("{word:016x}"));
        }
        text.truncate(digits);
        text
    }
}

/// Sets the version nibble to 4 and the variant bits to `10`, then writes 8-4-4-4-12.
fn format_uuid(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: [u8; 16], expected: &str) {
        assert_eq!(format_uuid(bytes), expected);
    }

    #[test]
    fn uuids_carry_version_4_and_variant_1() {
        // 0xff & 0x0f | 0x40 = 0x4f; 0xff & 0x3f | 0x80 = 0xbf.
        check([0xff; 16], "ffffffff-ffff-4fff-bfff-ffffffffffff");
        // 0x00 | 0x40 = 0x40; 0x00 | 0x80 = 0x80.
        check([0; 16], "00000000-0000-4000-8000-000000000000");
        check(
            [
                0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
                0xde, 0xf0,
            ],
            // byte 6: 0xde -> 0x4e; byte 8: 0x12 -> 0x92.
            "12345678-9abc-4ef0-9234-56789abcdef0",
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut dice = Dice::for_account(1, 0);
        for bound in [1, 2, 3, 7, 100, 1000] {
            for _ in 0..200 {
                assert!(dice.below(bound) < bound);
            }
        }
    }
}
