//! The rustls client configuration of [`super::HttpTransport::with_tls`]: web PKI roots
//! (plus extra roots), or a verifier that requires a pinned key in the presented chain.
//! Crypto is ring's (rustls' ring provider); never aws-lc-rs.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{SpkiPin, TlsFailure, TlsOptions, TransportError};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(extra_pem: Option<&[u8]>) -> Result<RootCertStore, TransportError> {
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_pem {
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|_| TransportError::InvalidRoots)?;
            store.add(cert).map_err(|_| TransportError::InvalidRoots)?;
            n += 1;
        }
        if n == 0 {
            return Err(TransportError::InvalidRoots);
        }
    }
    Ok(store)
}

pub(super) fn client_config(tls: &TlsOptions) -> Result<Arc<rustls::ClientConfig>, TransportError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|_| TransportError::Tls(TlsFailure::Handshake))?;
    let config = if tls.pins.is_empty() {
        builder
            .with_root_certificates(roots(tls.extra_roots_pem.as_deref())?)
            .with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinningVerifier {
                pins: tls.pins.clone(),
                provider,
            }))
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// Accepts a server only if a certificate of its chain has a pinned key (see
/// `HttpTransport::with_tls` for the exact rules).
#[derive(Debug)]
struct PinningVerifier {
    pins: Vec<SpkiPin>,
    provider: Arc<CryptoProvider>,
}

impl PinningVerifier {
    fn pinned(&self, cert: &CertificateDer<'_>) -> bool {
        ParsedCertificate::try_from(cert)
            .map(|p| {
                let pin = SpkiPin::of_spki_der(p.subject_public_key_info().as_ref());
                self.pins.contains(&pin)
            })
            .unwrap_or(false)
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let leaf = ParsedCertificate::try_from(end_entity)?;
        let leaf_pinned = self.pinned(end_entity);
        // The pinned certificates of the chain become its only trust anchors.
        let mut anchors = RootCertStore::empty();
        for cert in std::iter::once(end_entity).chain(intermediates) {
            if self.pinned(cert) {
                // A pinned certificate that cannot serve as an anchor is simply not one.
                let _ = anchors.add(cert.clone().into_owned());
            }
        }
        if anchors.is_empty() && !leaf_pinned {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        rustls::client::verify_server_name(&leaf, server_name)?;
        if anchors.is_empty() {
            // The leaf is pinned but could not be made an anchor: its key and name decide.
            return Ok(ServerCertVerified::assertion());
        }
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(anchors), self.provider.clone())
                .build()
                .map_err(|_| {
                    rustls::Error::General("cannot build the certificate verifier".into())
                })?;
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(v) => Ok(v),
            // A pinned leaf issued by a CA this device does not know: the pin is the trust.
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
                if leaf_pinned =>
            {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS failure inside a ureq transport error's source, if it is one.
pub(super) fn tls_failure(
    source: Option<&(dyn std::error::Error + 'static)>,
) -> Option<TlsFailure> {
    let mut cur = source;
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(classify(r));
        }
        // `io::Error::source` skips the wrapped error itself: look at it directly.
        if let Some(r) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(classify(r));
        }
        cur = e.source();
    }
    None
}

fn classify(e: &rustls::Error) -> TlsFailure {
    use CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::ApplicationVerificationFailure => TlsFailure::PinMismatch,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::WrongName,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsFailure::Expired,
            _ => TlsFailure::Untrusted,
        },
        _ => TlsFailure::Handshake,
    }
}
