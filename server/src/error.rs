//! The server's error type, mapped to HTTP statuses and a JSON [`ErrorBody`]. Messages
//! name what failed, never what a request held.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigil_core::sync::protocol::{codes, ErrorBody, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("unsupported schema version {0}")]
    UnsupportedVersion(u32),
    #[error("request body too large")]
    TooLarge,
    #[error("unknown device")]
    UnknownDevice,
    #[error("bad signature")]
    BadSignature,
    #[error("device revoked")]
    Revoked,
    #[error("request too old or too far in the future")]
    StaleRequest,
    #[error("invalid, expired or used enrollment code")]
    InvalidCode,
    #[error("device already enrolled")]
    DeviceExists,
    #[error("sequence gap: expected {expected}")]
    SequenceGap { expected: u64 },
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A route asked with a method it does not take.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// A chunk not at the end of what the server holds.
    #[error("blob chunk out of place: the server holds {held} bytes")]
    BlobOffset { held: u64 },
    /// The whole blob arrived but its SHA-256 is not its name: discarded.
    #[error("blob does not match its digest")]
    BlobMismatch,
    /// A batch names a blob the server does not hold whole yet.
    #[error("a referenced blob has not been uploaded")]
    BlobMissing,
    /// Protocol 3: a blob a record announced, not uploaded whole yet ("coming").
    #[error("the blob is announced but not uploaded yet")]
    BlobPending,
    /// Too many attempts (enrollment): try again after `retry_after_s` seconds.
    #[error("too many attempts: retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("storage error ({0})")]
    Storage(String),
}

/// The error code of [`ServerError::RateLimited`].
pub const RATE_LIMITED: &str = "rate_limited";
/// The error code of [`ServerError::MethodNotAllowed`].
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";

impl ServerError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Malformed(_) | ServerError::UnsupportedVersion(_) => {
                StatusCode::BAD_REQUEST
            }
            ServerError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::UnknownDevice
            | ServerError::BadSignature
            | ServerError::StaleRequest
            | ServerError::InvalidCode => StatusCode::UNAUTHORIZED,
            ServerError::Revoked => StatusCode::FORBIDDEN,
            ServerError::DeviceExists | ServerError::SequenceGap { .. } => StatusCode::CONFLICT,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::BlobOffset { .. }
            | ServerError::BlobMissing
            | ServerError::BlobPending => StatusCode::CONFLICT,
            ServerError::BlobMismatch => StatusCode::BAD_REQUEST,
            ServerError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServerError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ServerError::Malformed(_) => codes::MALFORMED,
            ServerError::UnsupportedVersion(_) => codes::UNSUPPORTED_VERSION,
            ServerError::TooLarge => codes::TOO_LARGE,
            ServerError::UnknownDevice => codes::UNKNOWN_DEVICE,
            ServerError::BadSignature => codes::BAD_SIGNATURE,
            ServerError::Revoked => codes::REVOKED,
            ServerError::StaleRequest => codes::STALE_REQUEST,
            ServerError::InvalidCode => codes::INVALID_CODE,
            ServerError::DeviceExists => codes::DEVICE_EXISTS,
            ServerError::SequenceGap { .. } => codes::SEQUENCE_GAP,
            ServerError::NotFound(_) => codes::NOT_FOUND,
            ServerError::MethodNotAllowed => METHOD_NOT_ALLOWED,
            ServerError::BlobOffset { .. } => codes::BLOB_OFFSET,
            ServerError::BlobMismatch => codes::BLOB_MISMATCH,
            ServerError::BlobMissing => codes::BLOB_MISSING,
            ServerError::BlobPending => codes::BLOB_PENDING,
            ServerError::RateLimited { .. } => RATE_LIMITED,
            ServerError::Storage(_) => codes::INTERNAL,
        }
    }

    /// The JSON body, telling the server's time (`server_time_ms`) when given.
    pub fn body_at(&self, server_time_ms: Option<u64>) -> ErrorBody {
        ErrorBody {
            server_time_ms,
            ..self.body()
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            // Storage details stay in the server's log.
            ServerError::Storage(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        ErrorBody {
            schema_version: SCHEMA_VERSION,
            error: self.code().to_string(),
            message,
            expected_seq: match self {
                ServerError::SequenceGap { expected } => Some(*expected),
                _ => None,
            },
            server_time_ms: None,
        }
    }
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(code) => ServerError::Storage(format!("{code:?}")),
            None => ServerError::Storage("sqlite".into()),
        }
    }
}

/// What an error answer was, attached to the response so the router's refusal log can
/// name it (`api::log_refusal`): the error code and the fixed reason text, never content.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        self.respond(None)
    }
}

impl ServerError {
    /// As `into_response`, with the server's time in the body (so a device refused as
    /// stale can correct its clock offset and retry).
    pub fn into_response_at(self, server_time_ms: u64) -> Response {
        self.respond(Some(server_time_ms))
    }

    fn respond(self, server_time_ms: Option<u64>) -> Response {
        if let ServerError::Storage(detail) = &self {
            tracing::error!(%detail, "storage failure");
        }
        let refusal = Refusal {
            code: self.code(),
            reason: self.to_string(),
        };
        let mut response =
            (self.status(), axum::Json(self.body_at(server_time_ms))).into_response();
        if let ServerError::RateLimited { retry_after_s } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_s.max(1)),
            );
        }
        response.extensions_mut().insert(refusal);
        response
    }
}
