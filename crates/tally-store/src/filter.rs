//! A Bloom filter over the merged idempotency keys, so that a new event (the
//! common case) is known to be new without reading `event_ids` from disk.

/// Bits per key: with the best number of probes this gives about 1% false
/// positives, and a false positive only costs one index lookup.
const BITS_PER_KEY: usize = 10;
const PROBES: u32 = 7;

pub(crate) struct KeyFilter {
    bits: Vec<u64>,
    /// Keys it was sized for; past that the false-positive rate climbs.
    capacity: usize,
}

impl KeyFilter {
    pub(crate) fn with_capacity(capacity: usize) -> KeyFilter {
        let words = (capacity * BITS_PER_KEY).div_ceil(64).next_power_of_two();
        KeyFilter { bits: vec![0; words], capacity }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn insert(&mut self, hash: i64) {
        let mask = self.bits.len() * 64 - 1;
        for bit in probes(hash, mask) {
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// False means the key was never inserted; true means it may have been.
    pub(crate) fn may_contain(&self, hash: i64) -> bool {
        let mask = self.bits.len() * 64 - 1;
        probes(hash, mask).all(|bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Bit positions by double hashing; the key is already a 64-bit xxh3 hash.
fn probes(hash: i64, mask: usize) -> impl Iterator<Item = usize> {
    let hash = hash as u64;
    let first = hash as usize;
    let step = ((hash >> 32) | 1) as usize;
    (0..PROBES as usize).map(move |probe| first.wrapping_add(probe.wrapping_mul(step)) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_keys_are_always_found_and_few_others_are() {
        let mut filter = KeyFilter::with_capacity(10_000);
        let key = |n: i64| xxhash_rust::xxh3::xxh3_64(&n.to_le_bytes()) as i64;
        for n in 0..10_000 {
            filter.insert(key(n));
        }
        assert!((0..10_000).all(|n| filter.may_contain(key(n))));
        let false_positives = (10_000..110_000).filter(|n| filter.may_contain(key(*n))).count();
        // 10 bits per key and 7 probes give about 0.8%; the table is rounded up to
        // a power of two (131,072 bits for 100,000 asked), which only lowers it.
        assert!(false_positives < 1_500, "{false_positives} false positives in 100,000");
    }
}
