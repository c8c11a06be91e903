//! API tokens: what a person or program presents as `Authorization: Bearer ...`.
//!
//! A token reads `tally_at_<id>_<secret>`: a public id of 12 hex digits, by which
//! it is listed and revoked, and a secret of 48 hex digits (192 random bits).
//! Only a SHA-256 hash of the whole token is stored. A slow password hash would
//! add nothing: the secret is random, not chosen by a person, so it cannot be
//! guessed from its hash faster than by trying 2^192 values.

use std::fmt;

use rand::{RngCore, SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};

const PREFIX: &str = "tally_at_";
const ID_DIGITS: usize = 12;
const SECRET_DIGITS: usize = 48;

/// A token's public id, such as `3f9a2c1b7d04`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(String);

impl TokenId {
    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id as typed on a command line: 12 lower-case hex digits.
    pub fn parse(text: &str) -> Result<TokenId, TokenError> {
        if text.len() == ID_DIGITS && is_lower_hex(text) {
            Ok(TokenId(text.to_owned()))
        } else {
            Err(TokenError::BadId { given: text.to_owned() })
        }
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token in clear. It is shown once, when made; only its hash is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    text: String,
}

/// Text that is not a Tally API token or token id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `tally_at_<12 hex digits>_<48 hex digits>`. The text is not
    /// repeated, since it may be someone's secret with a typo.
    #[error("not a Tally API token: expected tally_at_ followed by 12 and 48 hex digits")]
    Malformed,
    /// Not a token id.
    #[error("{given:?} is not a token id: expected 12 lower-case hex digits")]
    BadId {
        /// The text given.
        given: String,
    },
}

impl ApiToken {
    /// A new token with a random id and secret.
    pub fn generate() -> ApiToken {
        let mut random = [0u8; (ID_DIGITS + SECRET_DIGITS) / 2];
        StdRng::from_os_rng().fill_bytes(&mut random);
        let (id, secret) = random.split_at(ID_DIGITS / 2);
        ApiToken { text: format!("{PREFIX}{}_{}", hex::encode(id), hex::encode(secret)) }
    }

    /// Reads a presented token, checking only its form.
    pub fn parse(text: &str) -> Result<ApiToken, TokenError> {
        let rest = text.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
        let (id, secret) = rest.split_once('_').ok_or(TokenError::Malformed)?;
        if id.len() == ID_DIGITS
            && secret.len() == SECRET_DIGITS
            && is_lower_hex(id)
            && is_lower_hex(secret)
        {
            Ok(ApiToken { text: text.to_owned() })
        } else {
            Err(TokenError::Malformed)
        }
    }

    /// The token's public id.
    pub fn id(&self) -> TokenId {
        TokenId(self.text[PREFIX.len()..PREFIX.len() + ID_DIGITS].to_owned())
    }

    /// The token's text, to hand to its holder once.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The hash under which the token is stored.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.text.as_bytes()).into()
    }

    /// Whether `stored` is this token's hash, compared in constant time so that
    /// response times say nothing about how much of a guess was right.
    pub fn matches(&self, stored: &[u8]) -> bool {
        let hash = self.hash();
        stored.len() == hash.len()
            && stored.iter().zip(hash).fold(0u8, |differ, (a, b)| differ | (a ^ b)) == 0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiToken({}, ..)", self.id())
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_and_matches_only_its_own_hash() {
        let token = ApiToken::generate();
        assert_eq!(token.expose().len(), "tally_at_".len() + 12 + 1 + 48);
        let parsed = ApiToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.id(), token.id());
        assert!(parsed.matches(&token.hash()));
        assert!(!ApiToken::generate().matches(&token.hash()));
        assert!(!token.matches(&token.hash()[..31]));
        assert_ne!(ApiToken::generate().id(), token.id());
    }

    #[test]
    fn the_hash_is_sha256_of_the_text() {
        // sha256("tally_at_000000000000_" + 48 zeros), computed with `sha256sum`.
        let token =
            ApiToken::parse(&format!("tally_at_{}_{}", "0".repeat(12), "0".repeat(48))).unwrap();
        assert_eq!(
            hex::encode(token.hash()),
            "9517d676ad57405cfcb63af0231157a235805d4f9bab8b1690488841b7d1c9e3"
        );
    }

    #[test]
    fn malformed_tokens_are_refused_without_echoing_them() {
        for text in [
            "",
            "tally_wk_abc",
            "tally_at_000000000000",
            "tally_at_00000000000_000000000000000000000000000000000000000000000000",
            "tally_at_000000000000_00000000000000000000000000000000000000000000000G",
            "tally_at_ABCDEF000000_000000000000000000000000000000000000000000000000",
            "Bearer tally_at_000000000000_000000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(ApiToken::parse(text).unwrap_err(), TokenError::Malformed, "{text:?}");
        }
        assert!(!TokenError::Malformed.to_string().contains("0000"));
    }

    #[test]
    fn token_ids_are_twelve_hex_digits() {
        assert_eq!(TokenId::parse("3f9a2c1b7d04").unwrap().as_str(), "3f9a2c1b7d04");
        assert!(TokenId::parse("3f9a2c1b7d0").is_err());
        assert!(TokenId::parse("3F9A2C1B7D04").is_err());
    }
}
