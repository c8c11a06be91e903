//! Sending one batch to a running daemon.

/// Why a batch was not accepted as a whole.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// No HTTP answer.
    #[error("POST {url}: {source}")]
    Transport {
        /// The batch endpoint.
        url: String,
        /// ureq's error.
        source: ureq::Error,
    },
    /// An answer other than 200, or one that does not count `accepted`.
    #[error("POST {url}: status {status}, answer {answer:?}")]
    Answer {
        /// The batch endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        answer: String,
    },
}

/// An HTTP agent for [`post_batch`]: keeps connections alive between batches and
/// hands refusals back as answers, so their problem document can be shown.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Posts an NDJSON `body` to `url` (`.../v1/batch`) with `write_key` and returns
/// the answer's `accepted` count.
pub fn post_batch(
    agent: &ureq::Agent,
    url: &str,
    write_key: &str,
    body: &[u8],
) -> Result<u64, PostError> {
    let transport = |source| PostError::Transport { url: url.to_owned(), source };
    let mut response = agent
        .post(url)
        .header("Authorization", &format!("Bearer {write_key}"))
        .header("Content-Type", "application/x-ndjson")
        .send(body)
        .map_err(transport)?;
    let status = response.status().as_u16();
    let answer = response.body_mut().read_to_string().map_err(transport)?;
    let accepted = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|value| value.get("accepted")?.as_u64());
    match accepted {
        Some(accepted) if status == 200 => Ok(accepted),
        _ => Err(PostError::Answer { url: url.to_owned(), status, answer }),
    }
}
