//! Size limits on batches and fields, so one sender cannot exhaust the store.

/// Size limits applied while checking a batch. The defaults are documented in
/// `docs/events.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Events in one batch.
    pub max_events_per_batch: usize,
    /// Bytes of an event id.
    pub max_id_bytes: usize,
    /// Bytes of a name or identifier field (user, organization, blueprint, ...).
    pub max_name_bytes: usize,
    /// Bytes of a long text field (page, error).
    pub max_text_bytes: usize,
    /// Bytes of one before/after snapshot, as compact JSON.
    pub max_snapshot_bytes: usize,
    /// Bytes of the `properties` object, as compact JSON.
    pub max_properties_bytes: usize,
    /// Items in a list field (teams).
    pub max_list_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events_per_batch: 10_000,
            max_id_bytes: 128,
            max_name_bytes: 512,
            max_text_bytes: 4096,
            max_snapshot_bytes: 64 * 1024,
            max_properties_bytes: 16 * 1024,
            max_list_items: 100,
        }
    }
}
