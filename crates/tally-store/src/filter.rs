//! A blocked Bloom filter over one run of idempotency keys, so that a new event
//! (the common case) is known to be new without reading the run from disk.
//!
//! Each key sets bits in a single 512-bit block: a lookup touches one cache line
//! per run instead of one per probe, which matters when every event checks
//! several runs. Filters are saved with their run (`event_id_runs.filter`), so the
//! layout below is part of the file format: change it only with a migration.

/// Bits per key: with 7 probes in a 512-bit block this gives about 1% false
/// positives, and a false positive only costs one index lookup.
const BITS_PER_KEY: usize = 10;
const PROBES: u32 = 7;
const WORDS_PER_BLOCK: usize = 8;
const BLOCK_BYTES: usize = WORDS_PER_BLOCK * 8;

pub(crate) struct KeyFilter {
    blocks: Vec<[u64; WORDS_PER_BLOCK]>,
}

impl KeyFilter {
    /// An empty filter sized for `keys` keys.
    pub(crate) fn for_keys(keys: usize) -> KeyFilter {
        let blocks = (keys * BITS_PER_KEY).div_ceil(WORDS_PER_BLOCK * 64).max(1);
        KeyFilter { blocks: vec![[0; WORDS_PER_BLOCK]; blocks] }
    }

    pub(crate) fn insert(&mut self, hash: i64) {
        let (block, bits) = self.locate(hash);
        let block = &mut self.blocks[block];
        for bit in bits {
            block[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// False means the key was never inserted; true means it may have been.
    pub(crate) fn may_contain(&self, hash: i64) -> bool {
        let (block, mut bits) = self.locate(hash);
        let block = &self.blocks[block];
        bits.all(|bit| block[bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// The block from the hash's high bits, the probes from a remix of all of it:
    /// the key is already a 64-bit xxh3 hash, so no further hashing is needed.
    fn locate(&self, hash: i64) -> (usize, impl Iterator<Item = usize> + use<>) {
        let hash = hash as u64;
        let block = ((u128::from(hash) * self.blocks.len() as u128) >> 64) as usize;
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        (block, (0..PROBES).map(move |probe| ((mixed >> (9 * probe)) & 511) as usize))
    }

    /// The filter as stored: its blocks' words, little-endian.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.blocks.iter().flatten().flat_map(|word| word.to_le_bytes()).collect()
    }

    /// A stored filter, or `None` if `bytes` is not a whole number of blocks.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<KeyFilter> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(BLOCK_BYTES) {
            return None;
        }
        let blocks = bytes
            .chunks_exact(BLOCK_BYTES)
            .map(|block| {
                std::array::from_fn(|word| {
                    u64::from_le_bytes(block[word * 8..word * 8 + 8].try_into().expect("8 bytes"))
                })
            })
            .collect();
        Some(KeyFilter { blocks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: i64) -> i64 {
        xxhash_rust::xxh3::xxh3_64(&n.to_le_bytes()) as i64
    }

    #[test]
    fn inserted_keys_are_always_found_and_few_others_are() {
        let mut filter = KeyFilter::for_keys(100_000);
        for n in 0..100_000 {
            filter.insert(key(n));
        }
        assert!((0..100_000).all(|n| filter.may_contain(key(n))));
        let false_positives = (100_000..1_100_000).filter(|n| filter.may_contain(key(*n))).count();
        // 100,000 keys in 1,954 blocks is 51 per block; 7 probes each fill
        // 1 - e^(-51.2 * 7 / 512) = 50% of a block's bits, so a stranger passes with
        // 0.5^7 = 0.8%, a little more as blocks are unevenly loaded. One probe per key
        // instead of seven would give about 9.5%.
        assert!(false_positives < 20_000, "{false_positives} false positives in 1,000,000");
    }

    #[test]
    fn a_filter_survives_being_stored() {
        let mut filter = KeyFilter::for_keys(1_000);
        for n in 0..1_000 {
            filter.insert(key(n));
        }
        let stored = KeyFilter::from_bytes(&filter.to_bytes()).expect("whole blocks");
        assert_eq!(stored.blocks.len(), filter.blocks.len());
        assert!((0..1_000).all(|n| stored.may_contain(key(n))));
        assert_eq!(
            (1_000..101_000).filter(|n| stored.may_contain(key(*n))).count(),
            (1_000..101_000).filter(|n| filter.may_contain(key(*n))).count()
        );
        assert!(KeyFilter::from_bytes(&[0; 63]).is_none());
        assert!(KeyFilter::from_bytes(&[]).is_none());
    }
}
