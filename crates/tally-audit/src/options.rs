//! How to open the store: the secret key, the sensitive field names and the lock
//! timeout.

use std::time::Duration;

/// Field names whose values are redacted in every resource's snapshots. Matched
/// at any depth, ignoring case and `_`, `-` and whitespace, so `api_key` also
/// covers `apiKey` and `API-KEY`.
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "private_key",
    "authorization",
    "credentials",
    "cookie",
    "session_id",
    "webhook_secret",
    "signing_secret",
];

/// How to open an [`AuditStore`](crate::AuditStore).
///
/// There is no `Default`: the key must come from the operator's configuration,
/// and a made-up key would let anyone forge seals.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// The key of the keyed hash that replaces redacted values and of the seals
    /// on entries, tombstones, checkpoints and the chain head (HMAC-SHA256). Keep
    /// it out of the database file: whoever holds both can forge a consistent
    /// history (only an anchor kept elsewhere still shows it). Changing it makes
    /// every stored seal fail verification.
    pub secret_key: [u8; 32],
    /// Field names whose values are redacted in snapshots of every resource kind
    /// (a secret's values are always redacted, whatever their names).
    pub sensitive_fields: Vec<String>,
    /// How long a statement waits for another connection's lock before failing.
    pub busy_timeout: Duration,
}

impl AuditOptions {
    /// Options with this key, [`DEFAULT_SENSITIVE_FIELDS`] and a 5 second busy timeout.
    pub fn new(secret_key: [u8; 32]) -> AuditOptions {
        AuditOptions {
            secret_key,
            sensitive_fields: DEFAULT_SENSITIVE_FIELDS
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for AuditOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOptions")
            .field("secret_key", &"[hidden]")
            .field("sensitive_fields", &self.sensitive_fields)
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}
