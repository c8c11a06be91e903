//! Where a daemon listens: a host name or an IP address, and a port.

use std::fmt;
use std::str::FromStr;

/// `HOST:PORT` as given to `--listen`: `127.0.0.1:7411`, `[::1]:7411` or
/// `localhost:7411`. A host name is resolved when the daemon binds, and the
/// first of its addresses that can be bound is used. Port 0 picks a free port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddress {
    host: String,
    port: u16,
}

impl ListenAddress {
    /// Binds a listener to the first address `host` resolves to that accepts.
    pub async fn bind(&self) -> std::io::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind((self.host.as_str(), self.port)).await
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A `--listen` value that is not `HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{value:?} is not HOST:PORT: give a host name or an IP address and a port, \
     such as 127.0.0.1:7411, [::1]:7411 or localhost:7411"
)]
pub struct BadListenAddress {
    /// The text given.
    pub value: String,
}

impl FromStr for ListenAddress {
    type Err = BadListenAddress;

    fn from_str(text: &str) -> Result<ListenAddress, BadListenAddress> {
        let bad = || BadListenAddress { value: text.to_owned() };
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse::<u16>().map_err(|_| bad())?;
        // An IPv6 address carries colons of its own, so it comes in brackets.
        let host = match host.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
            None if host.contains(':') => return Err(bad()),
            None => host,
        };
        if host.is_empty() || host.contains(['[', ']', '/', ' ']) {
            return Err(bad());
        }
        Ok(ListenAddress { host: host.to_owned(), port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, u16, &str)>) {
        let parsed = text.parse::<ListenAddress>();
        match expected {
            Some((host, port, shown)) => {
                let address = parsed.unwrap();
                assert_eq!((address.host.as_str(), address.port), (host, port), "{text}");
                assert_eq!(address.to_string(), shown);
            }
            None => assert_eq!(parsed, Err(BadListenAddress { value: text.to_owned() })),
        }
    }

    #[test]
    fn host_names_and_addresses_with_a_port_are_listen_addresses() {
        check("127.0.0.1:7411", Some(("127.0.0.1", 7411, "127.0.0.1:7411")));
        check("localhost:7999", Some(("localhost", 7999, "localhost:7999")));
        check("[::1]:0", Some(("::1", 0, "[::1]:0")));
        check("ingest.internal:80", Some(("ingest.internal", 80, "ingest.internal:80")));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "localhost",
            "localhost:",
            ":7411",
            "localhost:65536",
            "localhost:port",
            "::1:7411",
            "[::1:7411",
            "a b:7411",
        ] {
            check(text, None);
        }
    }
}
