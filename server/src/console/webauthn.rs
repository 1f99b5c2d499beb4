//! WebAuthn (passkeys) for the console: the relying party's checks of a registration and
//! of an assertion, written against the W3C WebAuthn Level 3 specification (§7.1, §7.2)
//! with no WebAuthn library. Signatures and hashes go through `ring` only (ES256 = ECDSA
//! P-256 with SHA-256, and Ed25519); CBOR is read with `minicbor` straight from the
//! request's bytes. Everything here is pure: the caller brings the expected challenge,
//! origin and relying party, and the stored credential; every failure is a typed
//! [`WebauthnError`], never a panic, whatever the input (sizes are bounded first).

use minicbor::data::Type;
use minicbor::Decoder;
use ring::digest;
use ring::signature::{self, UnparsedPublicKey};
use serde::Deserialize;

/// The largest `clientDataJSON` accepted (browsers send about 200 bytes).
pub const MAX_CLIENT_DATA: usize = 4096;
/// The largest `attestationObject` accepted ("none" attestation: the authenticator data
/// with a credential id of at most [`MAX_CREDENTIAL_ID`] bytes and a public key).
pub const MAX_ATTESTATION: usize = 8192;
/// The largest `authenticatorData` of an assertion.
pub const MAX_AUTH_DATA: usize = 4096;
/// The longest credential id (WebAuthn §6.1: at most 1023 bytes).
pub const MAX_CREDENTIAL_ID: usize = 1023;
/// The longest signature (an ASN.1 P-256 signature is at most 72 bytes).
pub const MAX_SIGNATURE: usize = 512;
/// The most entries a CBOR map here may have (a COSE key has 4 or 5).
const MAX_MAP_ENTRIES: u64 = 16;

/// COSE algorithm ids (IANA "COSE Algorithms").
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;

/// Why a registration or an assertion was refused. The message names what was wrong,
/// never what the request held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    #[error("{0} is larger than the console accepts")]
    TooLarge(&'static str),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("the passkey's data is not valid CBOR ({0})")]
    Cbor(&'static str),
    #[error(
        "the passkey uses COSE algorithm {0}: the console accepts ES256 (-7) and Ed25519 (-8) only"
    )]
    UnsupportedAlgorithm(i64),
    #[error("attestation format {0:?}: the console asks for and accepts \"none\" only")]
    UnsupportedAttestation(String),
    #[error("the browser answered a {0} ceremony, not this one")]
    WrongType(&'static str),
    #[error("the challenge is not the one the console issued")]
    WrongChallenge,
    #[error("the page's origin is not the console's configured origin")]
    WrongOrigin,
    #[error("the passkey is for another relying party (RP ID)")]
    WrongRelyingParty,
    #[error("the authenticator did not report the user present")]
    UserNotPresent,
    #[error("the authenticator did not verify the user (PIN or biometrics): required")]
    UserNotVerified,
    #[error("the registration carries no credential")]
    NoCredential,
    #[error("the signature does not verify with the registered passkey")]
    BadSignature,
    #[error("the passkey's signature counter went back (a cloned authenticator?)")]
    CounterRegression,
}

/// The relying party: the console's origin as configured, and its RP ID (the origin's
/// host). WebAuthn refuses IP addresses as RP IDs, and needs a secure context: `https`,
/// or `http` on `localhost`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelyingParty {
    origin: String,
    id: String,
}

impl RelyingParty {
    /// Parses `scheme://host[:port]` (no path, no user info).
    pub fn from_origin(origin: &str) -> Result<RelyingParty, String> {
        let origin = origin.trim().trim_end_matches('/');
        let (scheme, rest) = origin
            .split_once("://")
            .ok_or_else(|| format!("{origin:?} is not an origin like https://console.example"))?;
        if rest.is_empty() || rest.contains(['/', '@', '?', '#']) {
            return Err(format!(
                "{origin:?} is not an origin: give scheme://host[:port] only"
            ));
        }
        let host = match rest.rsplit_once(':') {
            Some((h, port)) if !h.ends_with(']') || rest.starts_with('[') => {
                if port.is_empty() || port.parse::<u16>().is_err() {
                    return Err(format!("{origin:?} has a bad port"));
                }
                h
            }
            _ => rest,
        };
        let host = host.to_ascii_lowercase();
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return Err(format!(
                "{origin:?}: WebAuthn refuses IP addresses as relying party ids; use a host name \
                 (localhost on this machine)"
            ));
        }
        let valid = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err(format!("{origin:?} has no valid host name"));
        }
        match scheme {
            "https" => {}
            "http" if host == "localhost" || host.ends_with(".localhost") => {}
            _ => {
                return Err(format!(
                    "{origin:?}: passkeys need https (http only on localhost)"
                ))
            }
        }
        Ok(RelyingParty {
            origin: format!("{scheme}://{}", rest.to_ascii_lowercase()),
            id: host,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The RP ID: the origin's host.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Which ceremony a `clientDataJSON` must be of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ceremony {
    Create,
    Get,
}

impl Ceremony {
    fn client_type(self) -> &'static str {
        match self {
            Ceremony::Create => "webauthn.create",
            Ceremony::Get => "webauthn.get",
        }
    }
}

#[derive(Deserialize)]
struct ClientData<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    challenge: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    origin: std::borrow::Cow<'a, str>,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
}

/// The challenge a `clientDataJSON` answers (base64url, as the console issued it), read
/// before anything is checked: the console finds the pending ceremony by it.
pub fn client_challenge(client_data_json: &[u8]) -> Result<String, WebauthnError> {
    if client_data_json.len() > MAX_CLIENT_DATA {
        return Err(WebauthnError::TooLarge("clientDataJSON"));
    }
    let cd: ClientData<'_> = serde_json::from_slice(client_data_json)
        .map_err(|_| WebauthnError::Malformed("clientDataJSON"))?;
    Ok(cd.challenge.into_owned())
}

/// §7.1 steps 7-12 / §7.2 steps 10-14: type, challenge, origin, not cross-origin.
fn check_client_data(
    rp: &RelyingParty,
    ceremony: Ceremony,
    challenge: &str,
    client_data_json: &[u8],
) -> Result<(), WebauthnError> {
    if client_data_json.len() > MAX_CLIENT_DATA {
        return Err(WebauthnError::TooLarge("clientDataJSON"));
    }
    let cd: ClientData<'_> = serde_json::from_slice(client_data_json)
        .map_err(|_| WebauthnError::Malformed("clientDataJSON"))?;
    if cd.kind != ceremony.client_type() {
        return Err(WebauthnError::WrongType(ceremony.client_type()));
    }
    if !super::session::same(cd.challenge.as_bytes(), challenge.as_bytes()) {
        return Err(WebauthnError::WrongChallenge);
    }
    if cd.origin != rp.origin || cd.cross_origin == Some(true) {
        return Err(WebauthnError::WrongOrigin);
    }
    Ok(())
}

/// The authenticator data's flags (§6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const BE: u8 = 0x08;
    pub const BS: u8 = 0x10;
    pub const AT: u8 = 0x40;
    pub const ED: u8 = 0x80;

    pub fn user_present(self) -> bool {
        self.0 & Self::UP != 0
    }
    pub fn user_verified(self) -> bool {
        self.0 & Self::UV != 0
    }
    /// Backup eligible: a synced (multi-device) passkey.
    pub fn backup_eligible(self) -> bool {
        self.0 & Self::BE != 0
    }
    /// Backed up now.
    pub fn backed_up(self) -> bool {
        self.0 & Self::BS != 0
    }
    fn attested(self) -> bool {
        self.0 & Self::AT != 0
    }
    fn extensions(self) -> bool {
        self.0 & Self::ED != 0
    }
}

/// A public key as the console stores it: the COSE algorithm and the raw key (an
/// uncompressed SEC1 point for ES256, 32 bytes for Ed25519).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub alg: i64,
    pub key: Vec<u8>,
}

impl PublicKey {
    fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
        let alg: &dyn signature::VerificationAlgorithm = match self.alg {
            ES256 => &signature::ECDSA_P256_SHA256_ASN1,
            EDDSA => &signature::ED25519,
            other => return Err(WebauthnError::UnsupportedAlgorithm(other)),
        };
        UnparsedPublicKey::new(alg, &self.key)
            .verify(message, sig)
            .map_err(|_| WebauthnError::BadSignature)
    }
}

/// The attested credential data of a registration (§6.5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
}

/// Parsed authenticator data (§6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: Flags,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
}

fn cbor(what: &'static str) -> impl Fn(minicbor::decode::Error) -> WebauthnError {
    move |_| WebauthnError::Cbor(what)
}

/// A definite-length map of at most [`MAX_MAP_ENTRIES`] entries.
fn map_len(d: &mut Decoder<'_>, what: &'static str) -> Result<u64, WebauthnError> {
    match d.map().map_err(cbor(what))? {
        Some(n) if n <= MAX_MAP_ENTRIES => Ok(n),
        Some(_) => Err(WebauthnError::TooLarge(what)),
        None => Err(WebauthnError::Cbor(what)),
    }
}

/// Reads a COSE_Key (RFC 9052 §7, RFC 9053) of ES256 or Ed25519 at the decoder's position.
/// The key-type parameters (labels -1, -2, -3) mean different things per key type: their
/// items are kept as slices and read once `kty` and `alg` are known.
fn cose_key(d: &mut Decoder<'_>) -> Result<PublicKey, WebauthnError> {
    const WHAT: &str = "COSE key";
    let n = map_len(d, WHAT)?;
    let input = d.input();
    let (mut kty, mut alg) = (None, None);
    let mut params: [Option<&[u8]>; 3] = [None, None, None];
    let mut seen: Vec<i64> = Vec::new();
    for _ in 0..n {
        let label = match d.datatype().map_err(cbor(WHAT))? {
            Type::U8 | Type::U16 | Type::U32 | Type::U64 => d.i64().map_err(cbor(WHAT))?,
            Type::I8 | Type::I16 | Type::I32 | Type::I64 => d.i64().map_err(cbor(WHAT))?,
            Type::String => {
                // A text label (private use): not one the console reads.
                d.str().map_err(cbor(WHAT))?;
                d.skip().map_err(cbor(WHAT))?;
                continue;
            }
            _ => return Err(WebauthnError::Malformed(WHAT)),
        };
        if seen.contains(&label) {
            return Err(WebauthnError::Malformed(WHAT));
        }
        seen.push(label);
        match label {
            1 => kty = Some(d.i64().map_err(cbor(WHAT))?),
            3 => alg = Some(d.i64().map_err(cbor(WHAT))?),
            -3..=-1 => {
                let start = d.position();
                d.skip().map_err(cbor(WHAT))?;
                let item = input
                    .get(start..d.position())
                    .ok_or(WebauthnError::Cbor(WHAT))?;
                params[(-1 - label) as usize] = Some(item);
            }
            _ => d.skip().map_err(cbor(WHAT))?,
        }
    }
    let alg = alg.ok_or(WebauthnError::Malformed(WHAT))?;
    let int = |p: Option<&[u8]>| p.and_then(|b| Decoder::new(b).i64().ok());
    let bytes = |p: Option<&[u8]>| -> Option<Vec<u8>> {
        p.and_then(|b| Decoder::new(b).bytes().ok().map(<[u8]>::to_vec))
    };
    let (crv, x, y) = (int(params[0]), bytes(params[1]), bytes(params[2]));
    match (alg, kty) {
        // EC2, P-256, x and y of 32 bytes (a compressed point, y as a boolean, is refused).
        (ES256, Some(2)) => match (crv, x, y) {
            (Some(1), Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                let mut key = Vec::with_capacity(65);
                key.push(0x04);
                key.extend_from_slice(&x);
                key.extend_from_slice(&y);
                Ok(PublicKey { alg, key })
            }
            _ => Err(WebauthnError::Malformed(WHAT)),
        },
        // OKP, Ed25519, x of 32 bytes.
        (EDDSA, Some(1)) => match (crv, x, params[2]) {
            (Some(6), Some(x), None) if x.len() == 32 => Ok(PublicKey { alg, key: x }),
            _ => Err(WebauthnError::Malformed(WHAT)),
        },
        (ES256 | EDDSA, _) => Err(WebauthnError::Malformed(WHAT)),
        (other, _) => Err(WebauthnError::UnsupportedAlgorithm(other)),
    }
}

/// Parses authenticator data: 32 bytes rpIdHash, 1 byte flags, 4 bytes signCount (big
/// endian), then the attested credential data when AT is set (16 bytes AAGUID, 2 bytes
/// length L, L bytes credential id, a COSE_Key), then a CBOR map of extensions when ED is
/// set, and nothing after.
pub fn parse_authenticator_data(data: &[u8]) -> Result<AuthenticatorData, WebauthnError> {
    const WHAT: &str = "authenticator data";
    if data.len() > MAX_ATTESTATION {
        return Err(WebauthnError::TooLarge(WHAT));
    }
    let (head, rest) = data
        .split_at_checked(37)
        .ok_or(WebauthnError::Malformed(WHAT))?;
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(&head[..32]);
    let flags = Flags(head[32]);
    let sign_count = u32::from_be_bytes([head[33], head[34], head[35], head[36]]);
    if flags.backed_up() && !flags.backup_eligible() {
        // §6.3.3: BS without BE is invalid.
        return Err(WebauthnError::Malformed(WHAT));
    }
    let mut d = Decoder::new(rest);
    let attested = if flags.attested() {
        let (aaguid, after) = rest
            .split_at_checked(16)
            .ok_or(WebauthnError::Malformed(WHAT))?;
        let (len, after) = after
            .split_at_checked(2)
            .ok_or(WebauthnError::Malformed(WHAT))?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len == 0 || len > MAX_CREDENTIAL_ID {
            return Err(WebauthnError::Malformed("credential id"));
        }
        let (credential_id, key) = after
            .split_at_checked(len)
            .ok_or(WebauthnError::Malformed(WHAT))?;
        d = Decoder::new(key);
        let public_key = cose_key(&mut d)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(aaguid);
        Some(AttestedCredential {
            aaguid: a,
            credential_id: credential_id.to_vec(),
            public_key,
        })
    } else {
        None
    };
    if flags.extensions() {
        let n = map_len(&mut d, "authenticator extensions")?;
        for _ in 0..n.saturating_mul(2) {
            d.skip().map_err(cbor("authenticator extensions"))?;
        }
    }
    if d.position() != d.input().len() {
        return Err(WebauthnError::Malformed(WHAT));
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}

/// Reads an attestation object (§6.5.4): a CBOR map of `fmt`, `attStmt` and `authData`.
/// Only the "none" format (an empty statement) is accepted: the console trusts no
/// attestation (a team console needs to know the key, not the authenticator's maker).
fn attestation_auth_data(attestation_object: &[u8]) -> Result<&[u8], WebauthnError> {
    const WHAT: &str = "attestation object";
    if attestation_object.len() > MAX_ATTESTATION {
        return Err(WebauthnError::TooLarge(WHAT));
    }
    let mut d = Decoder::new(attestation_object);
    let n = map_len(&mut d, WHAT)?;
    let (mut fmt, mut statement_empty, mut auth) = (None, None, None);
    for _ in 0..n {
        let key = d.str().map_err(cbor(WHAT))?;
        match key {
            "fmt" if fmt.is_none() => fmt = Some(d.str().map_err(cbor(WHAT))?),
            "attStmt" if statement_empty.is_none() => {
                let entries = map_len(&mut d, WHAT)?;
                for _ in 0..entries.saturating_mul(2) {
                    d.skip().map_err(cbor(WHAT))?;
                }
                statement_empty = Some(entries == 0);
            }
            "authData" if auth.is_none() => auth = Some(d.bytes().map_err(cbor(WHAT))?),
            _ => return Err(WebauthnError::Malformed(WHAT)),
        }
    }
    if d.position() != attestation_object.len() {
        return Err(WebauthnError::Malformed(WHAT));
    }
    let (Some(fmt), Some(statement_empty), Some(auth)) = (fmt, statement_empty, auth) else {
        return Err(WebauthnError::Malformed(WHAT));
    };
    if fmt != "none" {
        return Err(WebauthnError::UnsupportedAttestation(
            fmt.chars().take(32).collect(),
        ));
    }
    if !statement_empty {
        return Err(WebauthnError::Malformed(WHAT));
    }
    Ok(auth)
}

fn check_rp_and_user(rp: &RelyingParty, data: &AuthenticatorData) -> Result<(), WebauthnError> {
    let expected = digest::digest(&digest::SHA256, rp.id.as_bytes());
    if data.rp_id_hash[..] != *expected.as_ref() {
        return Err(WebauthnError::WrongRelyingParty);
    }
    if !data.flags.user_present() {
        return Err(WebauthnError::UserNotPresent);
    }
    if !data.flags.user_verified() {
        return Err(WebauthnError::UserNotVerified);
    }
    Ok(())
}

/// A registration the console accepted: what it stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
}

/// Checks a registration (§7.1) answering `challenge`: client data, attestation "none",
/// RP ID hash, user present and verified, a credential with an ES256 or Ed25519 key.
pub fn verify_registration(
    rp: &RelyingParty,
    challenge: &str,
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<Registered, WebauthnError> {
    check_client_data(rp, Ceremony::Create, challenge, client_data_json)?;
    let auth = attestation_auth_data(attestation_object)?;
    let data = parse_authenticator_data(auth)?;
    check_rp_and_user(rp, &data)?;
    let cred = data.attested.ok_or(WebauthnError::NoCredential)?;
    Ok(Registered {
        credential_id: cred.credential_id,
        public_key: cred.public_key,
        sign_count: data.sign_count,
        backup_eligible: data.flags.backup_eligible(),
        backed_up: data.flags.backed_up(),
    })
}

/// Checks an assertion (§7.2) answering `challenge` with the stored key and counter:
/// client data, RP ID hash, user present and verified, the signature over
/// `authenticatorData || SHA-256(clientDataJSON)`, and the counter (when either count is
/// non-zero the new one must be greater). Returns the new count and backup state.
pub fn verify_assertion(
    rp: &RelyingParty,
    challenge: &str,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
    key: &PublicKey,
    stored_count: u32,
) -> Result<AuthenticatorData, WebauthnError> {
    check_client_data(rp, Ceremony::Get, challenge, client_data_json)?;
    if authenticator_data.len() > MAX_AUTH_DATA {
        return Err(WebauthnError::TooLarge("authenticator data"));
    }
    if signature.len() > MAX_SIGNATURE {
        return Err(WebauthnError::TooLarge("signature"));
    }
    let data = parse_authenticator_data(authenticator_data)?;
    check_rp_and_user(rp, &data)?;
    let client_hash = digest::digest(&digest::SHA256, client_data_json);
    let mut signed = Vec::with_capacity(authenticator_data.len() + 32);
    signed.extend_from_slice(authenticator_data);
    signed.extend_from_slice(client_hash.as_ref());
    key.verify(&signed, signature)?;
    if (data.sign_count != 0 || stored_count != 0) && data.sign_count <= stored_count {
        return Err(WebauthnError::CounterRegression);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// A well-formed registration's authenticator data (ES256 key, no extensions).
    fn valid_auth_data() -> Vec<u8> {
        let mut d = digest::digest(&digest::SHA256, b"localhost")
            .as_ref()
            .to_vec();
        d.push(Flags::UP | Flags::UV | Flags::AT);
        d.extend_from_slice(&7u32.to_be_bytes());
        d.extend_from_slice(&[0u8; 16]);
        d.extend_from_slice(&4u16.to_be_bytes());
        d.extend_from_slice(b"cred");
        // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
        d.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
        d.extend_from_slice(&[1u8; 32]);
        d.extend_from_slice(&[0x22, 0x58, 0x20]);
        d.extend_from_slice(&[2u8; 32]);
        d
    }

    #[test]
    fn a_registration_authenticator_data_parses_to_its_fields() {
        let data = parse_authenticator_data(&valid_auth_data()).expect("valid");
        assert_eq!(data.sign_count, 7);
        assert!(data.flags.user_present() && data.flags.user_verified());
        let cred = data.attested.expect("attested");
        assert_eq!(cred.credential_id, b"cred");
        assert_eq!(cred.public_key.alg, ES256);
        assert_eq!(cred.public_key.key.len(), 65);
        assert_eq!(cred.public_key.key[0], 0x04);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            rng_seed: RngSeed::Fixed(0x7061_7373_6b65_7973),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Any bytes: a typed answer, never a panic; what parses is at least the fixed part.
        #[test]
        fn any_bytes_get_a_typed_answer(data in proptest::collection::vec(any::<u8>(), 0..700)) {
            if parse_authenticator_data(&data).is_ok() {
                prop_assert!(data.len() >= 37);
            }
            let _ = attestation_auth_data(&data);
            let _ = client_challenge(&data);
            let _ = cose_key(&mut Decoder::new(&data));
        }

        /// A valid authenticator data with bytes changed or cut: typed errors, and what
        /// still parses keeps the first 32 bytes as its RP ID hash.
        #[test]
        fn damaged_authenticator_data_gets_a_typed_answer(
            cut in 0usize..200,
            flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..6),
        ) {
            let mut d = valid_auth_data();
            for (at, b) in flips {
                let n = d.len();
                d[at % n] = b;
            }
            d.truncate(d.len().saturating_sub(cut % 8 * (cut / 8 % 2)));
            if let Ok(p) = parse_authenticator_data(&d) {
                prop_assert_eq!(&p.rp_id_hash[..], &d[..32]);
            }
        }
    }

    #[test]
    fn origins_and_rp_ids() {
        let rp = RelyingParty::from_origin("http://localhost:8443/").expect("localhost");
        assert_eq!(
            (rp.origin(), rp.id()),
            ("http://localhost:8443", "localhost")
        );
        let rp = RelyingParty::from_origin("https://Ops.Example.org").expect("https");
        assert_eq!(
            (rp.origin(), rp.id()),
            ("https://ops.example.org", "ops.example.org")
        );
        for bad in [
            "http://127.0.0.1:8080",
            "https://[::1]:8443",
            "http://ops.example.org",
            "ftp://localhost",
            "localhost:8080",
            "https://ops.example.org/console",
            "https://user@ops.example.org",
            "https://ops.example.org:x",
            "https://",
        ] {
            assert!(RelyingParty::from_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_or_trailing_authenticator_data_is_refused() {
        assert_eq!(
            parse_authenticator_data(&[0u8; 36]),
            Err(WebauthnError::Malformed("authenticator data"))
        );
        let mut ok = vec![0u8; 37];
        ok[32] = Flags::UP | Flags::UV;
        assert!(parse_authenticator_data(&ok).is_ok());
        ok.push(0);
        assert_eq!(
            parse_authenticator_data(&ok),
            Err(WebauthnError::Malformed("authenticator data"))
        );
        // BS without BE.
        let mut bs = vec![0u8; 37];
        bs[32] = Flags::UP | Flags::BS;
        assert!(parse_authenticator_data(&bs).is_err());
    }
}
