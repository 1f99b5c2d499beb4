//! How the engine reaches the server: a blocking `post` of bytes to a path. The built-in
//! [`HttpTransport`] (feature `http`, TLS with feature `tls`) uses ureq; a platform may
//! supply its own (through a foreign trait in the bindings).

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request that got no HTTP answer. All of these are transient for the engine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect to the server")]
    Connect,
    #[error("the server did not answer in time")]
    Timeout,
    #[error("the connection failed ({0})")]
    Io(String),
    #[error("TLS failure")]
    Tls,
    #[error("invalid server address")]
    InvalidUrl,
}

pub trait Transport: Send + Sync {
    /// POSTs `body` (JSON) to `path` (e.g. `/v1/push`) and returns whatever HTTP answer came,
    /// whatever its status.
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError>;

    /// POSTs a binary body (`application/octet-stream`: blob chunks). The default sends it
    /// through [`Transport::post`]; the server does not rely on the content type.
    fn post_octets(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.post(path, body)
    }
}

/// Largest response body read (a full pull page is far smaller).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

#[cfg(feature = "http")]
pub use http::HttpTransport;

#[cfg(feature = "http")]
mod http {
    use super::*;
    use std::io::Read;
    use std::time::Duration;

    /// Blocking HTTP(S) client on ureq. `https://` needs the `tls` feature (rustls, ring,
    /// the webpki root set).
    pub struct HttpTransport {
        base: String,
        agent: ureq::Agent,
    }

    impl HttpTransport {
        /// `base_url` like `https://sync.example.org`; `timeout` bounds each whole request.
        pub fn new(base_url: &str, timeout: Duration) -> Result<HttpTransport, TransportError> {
            Self::build(base_url, timeout, true)
        }

        /// Like [`Self::new`] but opening a fresh connection for every request (no
        /// keep-alive pool).
        pub fn without_reuse(
            base_url: &str,
            timeout: Duration,
        ) -> Result<HttpTransport, TransportError> {
            Self::build(base_url, timeout, false)
        }

        fn build(
            base_url: &str,
            timeout: Duration,
            reuse: bool,
        ) -> Result<HttpTransport, TransportError> {
            let base = base_url.trim_end_matches('/').to_string();
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(TransportError::InvalidUrl);
            }
            let mut builder = ureq::AgentBuilder::new()
                .timeout_connect(timeout)
                .timeout(timeout)
                .redirects(0);
            if !reuse {
                builder = builder.max_idle_connections(0);
            }
            Ok(HttpTransport {
                base,
                agent: builder.build(),
            })
        }

        pub fn base_url(&self) -> &str {
            &self.base
        }
    }

    fn read(resp: ureq::Response) -> Result<Response, TransportError> {
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| {
                let v = resp.header(&n)?.to_string();
                Some((n.to_ascii_lowercase(), v))
            })
            .collect();
        let mut body = Vec::new();
        resp.into_reader()
            .take(MAX_RESPONSE_BYTES)
            .read_to_end(&mut body)
            .map_err(io_error)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn io_error(e: std::io::Error) -> TransportError {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportError::Timeout
            }
            k => TransportError::Io(format!("{k:?}")),
        }
    }

    fn transport_error(t: &ureq::Transport) -> TransportError {
        use std::error::Error;
        match t.kind() {
            ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                TransportError::InvalidUrl
            }
            ureq::ErrorKind::Dns | ureq::ErrorKind::ConnectionFailed => TransportError::Connect,
            _ => {
                let io = t
                    .source()
                    .and_then(|s| s.downcast_ref::<std::io::Error>())
                    .map(|e| e.kind());
                match io {
                    Some(std::io::ErrorKind::TimedOut) | Some(std::io::ErrorKind::WouldBlock) => {
                        TransportError::Timeout
                    }
                    Some(k) => TransportError::Io(format!("{k:?}")),
                    None => TransportError::Io(format!("{:?}", t.kind())),
                }
            }
        }
    }

    impl HttpTransport {
        fn send(
            &self,
            path: &str,
            content_type: &str,
            body: &[u8],
        ) -> Result<Response, TransportError> {
            let url = format!("{}{}", self.base, path);
            match self
                .agent
                .post(&url)
                .set("content-type", content_type)
                .send_bytes(body)
            {
                Ok(resp) | Err(ureq::Error::Status(_, resp)) => read(resp),
                Err(ureq::Error::Transport(t)) => Err(transport_error(&t)),
            }
        }
    }

    impl Transport for HttpTransport {
        fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
            self.send(path, "application/json", &body)
        }

        fn post_octets(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
            self.send(path, "application/octet-stream", &body)
        }
    }
}
