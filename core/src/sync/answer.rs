//! A server's answer to one request, classified: success with its body, a transient
//! failure (retry later, perhaps when the server says), or a refusal with its error code.
//! Shared by the engine's requests and the attachment transfers.

use crate::sync::backoff::parse_retry_after;
use crate::sync::protocol::ErrorBody;
use crate::sync::transport::{Response, TransportError};

/// A server's answer.
pub(crate) enum Answer {
    Ok(Vec<u8>),
    Failed(Failure),
}

/// A non-success, classified.
pub(crate) enum Failure {
    Transient {
        reason: String,
        retry_after_ms: Option<u64>,
    },
    /// A 4xx with its error code and (for gaps) the expected seq.
    Refused {
        status: u16,
        body: Option<ErrorBody>,
    },
}

/// `wall_ms` (this device's clock) is only used to read an HTTP-date `Retry-After`.
pub(crate) fn classify(result: Result<Response, TransportError>, wall_ms: u64) -> Answer {
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            return Answer::Failed(Failure::Transient {
                reason: e.to_string(),
                retry_after_ms: None,
            })
        }
    };
    match resp.status {
        200..=299 => Answer::Ok(resp.body),
        429 | 500..=599 => Answer::Failed(Failure::Transient {
            reason: format!("server answered {}", resp.status),
            retry_after_ms: resp
                .header("retry-after")
                .and_then(|v| parse_retry_after(v, wall_ms)),
        }),
        status => Answer::Failed(Failure::Refused {
            status,
            body: serde_json::from_slice(&resp.body).ok(),
        }),
    }
}
