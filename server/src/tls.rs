//! HTTPS: the server's certificate and key from PEM files, and serving any
//! `axum::Router` over rustls (ring provider only). Handshakes run in their own tasks,
//! so a slow or silent client does not hold up the others; a failed handshake just
//! closes that connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use vigil_core::sync::transport::SpkiPin;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate or key that cannot be used. Names the file, never prints its content.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("{}: no PEM certificate (`BEGIN CERTIFICATE`) found", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: not a valid X.509 certificate", path.display())]
    BadCertificate { path: PathBuf },
    #[error(
        "{}: no usable PEM private key (PKCS#8 `BEGIN PRIVATE KEY`, `BEGIN EC PRIVATE KEY` \
         or `BEGIN RSA PRIVATE KEY`) found",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("the key in {} does not fit the certificate in {} ({reason})", key.display(), cert.display())]
    Unusable {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.to_path_buf(),
        reason: e.kind().to_string(),
    })
}

/// The certificate chain in a PEM file, leaf first.
pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, pem::Error>>()
        .map_err(|_| TlsError::NoCertificate {
            path: path.to_path_buf(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| TlsError::NoKey {
        path: path.to_path_buf(),
    })
}

/// The SPKI pin (`sha256/<base64>`) of the leaf certificate in a PEM file: what officers
/// give `vigil enroll --pin`.
pub fn certificate_pin(cert_path: &Path) -> Result<SpkiPin, TlsError> {
    let certs = load_certificates(cert_path)?;
    leaf_pin(cert_path, &certs)
}

fn leaf_pin(path: &Path, certs: &[CertificateDer<'_>]) -> Result<SpkiPin, TlsError> {
    certs
        .first()
        .and_then(|c| SpkiPin::of_certificate_der(c.as_ref()))
        .ok_or_else(|| TlsError::BadCertificate {
            path: path.to_path_buf(),
        })
}

/// What [`serve`] needs: the rustls configuration, and the pin of its certificate.
#[derive(Clone)]
pub struct TlsIdentity {
    pub config: Arc<ServerConfig>,
    pub pin: SpkiPin,
}

impl TlsIdentity {
    /// Loads a PEM certificate chain (leaf first) and its PEM private key. TLS 1.2 and
    /// 1.3, ring's cipher suites, HTTP/1.1.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<TlsIdentity, TlsError> {
        let certs = load_certificates(cert_path)?;
        let pin = leaf_pin(cert_path, &certs)?;
        let key = load_key(key_path)?;
        let unusable = |e: rustls::Error| TlsError::Unusable {
            cert: cert_path.to_path_buf(),
            key: key_path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(unusable)?
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .map_err(unusable)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            config: Arc::new(config),
            pin,
        })
    }
}

/// Serves `router` over TLS on `listener` within `limits` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    ctx: Arc<crate::Ctx>,
    limits: crate::Limits,
    config: Arc<ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, TlsAcceptor::from(config))?;
    crate::conn::serve(listener, router, ctx, limits, shutdown).await
}

/// An `axum::serve::Listener` yielding connections whose handshake succeeded.
struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let accept_task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, as axum does.
                        tracing::debug!(error = %e, "accept");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            local,
            ready,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task ended (aborted at shutdown): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
