//! How the engine reaches the server: a blocking `post` of bytes to a path. The built-in
//! [`HttpTransport`] (feature `http`, TLS with feature `tls`) uses ureq; a platform may
//! supply its own (through a foreign trait in the bindings).
//!
//! Certificate pinning ([`TlsOptions`], [`SpkiPin`]): with pins, a server is accepted only
//! if a certificate of the chain it presents has a pinned SubjectPublicKeyInfo; see
//! [`HttpTransport::with_tls`].

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
    #[error("TLS failure: {0}")]
    Tls(TlsFailure),
    #[error("invalid server address")]
    InvalidUrl,
    /// Extra trusted certificates given to [`HttpTransport::with_tls`] that do not parse.
    #[error("invalid trusted certificates")]
    InvalidRoots,
}

/// Why a TLS connection was refused. The messages are meant for the UI as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlsFailure {
    /// Pins were set and no certificate the server presented has a pinned key: the server
    /// changed its key, or someone is in the middle.
    #[error("server certificate does not match the pinned key")]
    PinMismatch,
    /// No pins and the certificate does not chain to a trusted root.
    #[error("server certificate is not trusted")]
    Untrusted,
    #[error("server certificate is not valid for this server name")]
    WrongName,
    #[error("server certificate has expired or is not yet valid")]
    Expired,
    /// Anything else: no common protocol version or cipher suite, an alert, a broken
    /// record.
    #[error("handshake failed")]
    Handshake,
}

/// A pin on a certificate's public key: the SHA-256 of its DER SubjectPublicKeyInfo
/// (outer SEQUENCE included, as HPKP and `openssl pkey -pubin -outform der | sha256`).
/// Written `sha256/<standard base64 of the 32 bytes>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpkiPin([u8; 32]);

/// A pin that does not parse. Carries nothing of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("a pin must start with `sha256/`")]
    UnknownAlgorithm,
    #[error("a pin's hash must be standard base64")]
    NotBase64,
    #[error("a pin's hash must be 32 bytes (44 base64 characters)")]
    WrongLength,
}

impl SpkiPin {
    const PREFIX: &'static str = "sha256/";

    /// Parses `sha256/<base64>`; surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<SpkiPin, PinError> {
        use base64::Engine;
        let b64 = s
            .trim()
            .strip_prefix(Self::PREFIX)
            .ok_or(PinError::UnknownAlgorithm)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| PinError::NotBase64)?;
        let hash: [u8; 32] = bytes.try_into().map_err(|_| PinError::WrongLength)?;
        Ok(SpkiPin(hash))
    }

    /// The pin of a DER SubjectPublicKeyInfo.
    pub fn of_spki_der(spki: &[u8]) -> SpkiPin {
        let d = ring::digest::digest(&ring::digest::SHA256, spki);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        SpkiPin(out)
    }

    /// The pin of a DER X.509 certificate's public key; `None` if it does not parse.
    #[cfg(feature = "tls")]
    pub fn of_certificate_der(der: &[u8]) -> Option<SpkiPin> {
        let der = rustls::pki_types::CertificateDer::from(der);
        let parsed = rustls::server::ParsedCertificate::try_from(&der).ok()?;
        Some(Self::of_spki_der(parsed.subject_public_key_info().as_ref()))
    }

    pub fn hash(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use base64::Engine;
        write!(
            f,
            "{}{}",
            Self::PREFIX,
            base64::engine::general_purpose::STANDARD.encode(self.0)
        )
    }
}

impl std::fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpkiPin({self})")
    }
}

impl std::str::FromStr for SpkiPin {
    type Err = PinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpkiPin::parse(s)
    }
}

/// TLS settings of the built-in transport.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Empty: the usual web PKI check (webpki roots plus `extra_roots_pem`). Otherwise the
    /// server must present a certificate whose key is one of these.
    pub pins: Vec<SpkiPin>,
    /// PEM certificates trusted as roots in addition to the webpki set (a team's own CA).
    /// Used only without pins.
    pub extra_roots_pem: Option<Vec<u8>>,
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

#[cfg(feature = "tls")]
mod pinning;

#[cfg(feature = "http")]
mod http {
    use super::*;
    use std::io::Read;
    use std::time::Duration;

    #[cfg(feature = "tls")]
    type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
    #[cfg(not(feature = "tls"))]
    type TlsConfig = ();

    /// Blocking HTTP(S) client on ureq. `https://` needs the `tls` feature (rustls, ring,
    /// the webpki root set).
    pub struct HttpTransport {
        base: String,
        agent: ureq::Agent,
    }

    impl HttpTransport {
        /// `base_url` like `https://sync.example.org`. `timeout` bounds a *stall*, not a
        /// transfer: connecting, and each read or write of the socket (a request fails when
        /// no byte has moved for that long). A large body on a slow link that keeps moving
        /// is never cut, however long it takes.
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

        /// Like [`Self::new`] (keep-alive pool) with TLS settings for `https://`.
        ///
        /// - No pins: the server's chain must lead to a webpki root or one of
        ///   `tls.extra_roots_pem`, and the leaf be valid now and for the host name.
        /// - Pins: the handshake signature is always verified, the leaf must be valid for
        ///   the host name, and some certificate of the chain the server presents must have
        ///   a pinned key; otherwise the request fails with
        ///   `TransportError::Tls(TlsFailure::PinMismatch)`. The pinned certificate takes
        ///   the place of a root: a pinned self-signed leaf needs no CA; with a pinned CA
        ///   (an intermediate or root sent in the chain) the leaf must chain to it and be
        ///   valid now. A pinned leaf that is neither self-signed nor chains to a trusted
        ///   root is accepted on its key and name alone (its dates are not checked).
        ///   Web roots alone never suffice when pins are set.
        #[cfg(feature = "tls")]
        pub fn with_tls(
            base_url: &str,
            timeout: Duration,
            tls: &TlsOptions,
        ) -> Result<HttpTransport, TransportError> {
            let config = super::pinning::client_config(tls)?;
            Self::build_with(base_url, timeout, true, Some(config))
        }

        fn build(
            base_url: &str,
            timeout: Duration,
            reuse: bool,
        ) -> Result<HttpTransport, TransportError> {
            Self::build_with(base_url, timeout, reuse, None)
        }

        fn build_with(
            base_url: &str,
            timeout: Duration,
            reuse: bool,
            config: Option<TlsConfig>,
        ) -> Result<HttpTransport, TransportError> {
            let base = base_url.trim_end_matches('/').to_string();
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(TransportError::InvalidUrl);
            }
            let mut builder = ureq::AgentBuilder::new()
                .timeout_connect(timeout)
                .timeout_read(timeout)
                .timeout_write(timeout)
                .redirects(0);
            if !reuse {
                builder = builder.max_idle_connections(0);
            }
            #[cfg(feature = "tls")]
            if let Some(c) = config {
                builder = builder.tls_config(c);
            }
            #[cfg(not(feature = "tls"))]
            let _: Option<TlsConfig> = config;
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
        #[cfg(feature = "tls")]
        if let Some(f) = super::pinning::tls_failure(t.source()) {
            return TransportError::Tls(f);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_round_trips_and_matches_a_known_hash() {
        // SHA-256 of the empty string, as a pin.
        let text = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let pin = SpkiPin::parse(text).unwrap();
        assert_eq!(pin, SpkiPin::of_spki_der(b""));
        assert_eq!(pin.to_string(), text);
        assert_eq!(format!("{pin:?}"), format!("SpkiPin({text})"));
        assert_eq!(text.parse::<SpkiPin>(), Ok(pin));
        assert_eq!(SpkiPin::parse(&format!("  {text}\n")), Ok(pin));
        assert_eq!(pin.hash()[0], 0xe3);
    }

    #[test]
    fn pin_parse_errors_are_typed() {
        let b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(SpkiPin::parse(b64), Err(PinError::UnknownAlgorithm));
        assert_eq!(
            SpkiPin::parse(&format!("sha1/{b64}")),
            Err(PinError::UnknownAlgorithm)
        );
        assert_eq!(
            SpkiPin::parse(&format!("SHA256/{b64}")),
            Err(PinError::UnknownAlgorithm)
        );
        assert_eq!(SpkiPin::parse(""), Err(PinError::UnknownAlgorithm));
        assert_eq!(SpkiPin::parse("sha256/"), Err(PinError::WrongLength));
        assert_eq!(
            SpkiPin::parse("sha256/not base64!"),
            Err(PinError::NotBase64)
        );
        // URL-safe alphabet is not standard base64.
        assert_eq!(
            SpkiPin::parse("sha256/47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU="),
            Err(PinError::NotBase64)
        );
        // 31 and 33 bytes.
        assert_eq!(
            SpkiPin::parse(&format!("sha256/{}", base64_of(&[1u8; 31]))),
            Err(PinError::WrongLength)
        );
        assert_eq!(
            SpkiPin::parse(&format!("sha256/{}", base64_of(&[1u8; 33]))),
            Err(PinError::WrongLength)
        );
        // Messages carry nothing of the input.
        let e = SpkiPin::parse("sha256/secret-ish").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    fn base64_of(b: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    #[test]
    fn pin_mismatch_message_is_for_the_ui() {
        let e = TransportError::Tls(TlsFailure::PinMismatch).to_string();
        assert_eq!(
            e,
            "TLS failure: server certificate does not match the pinned key"
        );
    }

    #[cfg(feature = "tls")]
    #[test]
    fn extra_roots_must_be_certificates() {
        let opts = TlsOptions {
            pins: vec![],
            extra_roots_pem: Some(b"not a pem".to_vec()),
        };
        assert!(matches!(
            HttpTransport::with_tls(
                "https://localhost",
                std::time::Duration::from_secs(1),
                &opts
            ),
            Err(TransportError::InvalidRoots)
        ));
        let ok = HttpTransport::with_tls(
            "https://localhost",
            std::time::Duration::from_secs(1),
            &TlsOptions::default(),
        );
        assert!(ok.is_ok());
        assert!(SpkiPin::of_certificate_der(b"garbage").is_none());
    }
}
