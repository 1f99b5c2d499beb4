//! The console's WebAuthn parsers (`vigil_server::console::webauthn`), fed by anyone who
//! reaches the login page: `clientDataJSON`, the attestation object (CBOR) with its
//! authenticator data and COSE key, an assertion's authenticator data and signature. Every
//! input gets a typed answer, never a panic, within the size bounds.
//!
//! Input: parts (`vigil_fuzz::parts`): client data, attestation object, authenticator
//! data, signature, stored counter (4 bytes). Each part goes through its parser alone and
//! through a ceremony whose other fields are valid, so the checks after the first are
//! reached; the assertion is also signed again by the fuzzer's passkey, so the counter
//! check is reached with any authenticator data.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ring::digest::{digest, SHA256};
use ring::signature::{Ed25519KeyPair, KeyPair};
use vigil_fuzz::parts;
use vigil_server::console::webauthn::{
    client_challenge, parse_authenticator_data, verify_assertion, verify_registration, PublicKey,
    RelyingParty, EDDSA, ES256, MAX_CREDENTIAL_ID,
};

const ORIGIN: &str = "http://localhost:8443";
const CHALLENGE: &str = "Zm9vLWNoYWxsZW5nZS1mb3ItZnV6emluZy0wMDAwMDA";

struct Fixture {
    rp: RelyingParty,
    passkey: Ed25519KeyPair,
    create: Vec<u8>,
    get: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let client_data = |kind: &str| {
            serde_json::to_vec(&serde_json::json!({
                "type": kind, "challenge": CHALLENGE, "origin": ORIGIN, "crossOrigin": false,
            }))
            .expect("client data")
        };
        Fixture {
            rp: RelyingParty::from_origin(ORIGIN).expect("origin"),
            passkey: Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).expect("passkey"),
            create: client_data("webauthn.create"),
            get: client_data("webauthn.get"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let p = parts(data);
    let part = |i: usize| p.get(i).copied().unwrap_or(&[]);
    let (client_data, attestation, auth_data, signature) = (part(0), part(1), part(2), part(3));
    let stored = part(4)
        .get(..4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let f = fixture();

    // Each parser alone.
    if let Ok(d) = parse_authenticator_data(auth_data) {
        assert!(
            auth_data.len() >= 37,
            "authenticator data shorter than its fixed part"
        );
        assert_eq!(&d.rp_id_hash[..], &auth_data[..32]);
        if let Some(a) = &d.attested {
            assert!(!a.credential_id.is_empty() && a.credential_id.len() <= MAX_CREDENTIAL_ID);
            check_key(&a.public_key);
        }
    }
    let challenge = client_challenge(client_data);

    // A registration: the fuzzed attestation object with valid client data, and the
    // fuzzed client data (answering its own challenge) with the fuzzed attestation.
    if let Ok(reg) = verify_registration(&f.rp, CHALLENGE, &f.create, attestation) {
        assert!(!reg.credential_id.is_empty() && reg.credential_id.len() <= MAX_CREDENTIAL_ID);
        check_key(&reg.public_key);
        assert!(
            !reg.backed_up || reg.backup_eligible,
            "BS without BE accepted"
        );
    }
    if let Ok(c) = &challenge {
        let _ = verify_registration(&f.rp, c, client_data, attestation);
    }

    // An assertion with the fuzzer's passkey: the fuzzed signature as it is, and a right
    // one over the fuzzed authenticator data (so the flags, RP and counter checks run).
    let key = PublicKey {
        alg: EDDSA,
        key: f.passkey.public_key().as_ref().to_vec(),
    };
    let _ = verify_assertion(&f.rp, CHALLENGE, &f.get, auth_data, signature, &key, stored);
    let mut signed = auth_data.to_vec();
    signed.extend_from_slice(digest(&SHA256, &f.get).as_ref());
    let right = f.passkey.sign(&signed);
    if let Ok(d) = verify_assertion(
        &f.rp,
        CHALLENGE,
        &f.get,
        auth_data,
        right.as_ref(),
        &key,
        stored,
    ) {
        assert!(d.flags.user_present() && d.flags.user_verified());
        assert!(
            (d.sign_count == 0 && stored == 0) || d.sign_count > stored,
            "a counter going back was accepted"
        );
    }
    if let Ok(c) = &challenge {
        let _ = verify_assertion(&f.rp, c, client_data, auth_data, signature, &key, stored);
    }
});

/// A key the parser accepts is one `ring` can take: an uncompressed P-256 point or 32
/// bytes of Ed25519.
fn check_key(k: &PublicKey) {
    match k.alg {
        ES256 => assert!(k.key.len() == 65 && k.key[0] == 0x04),
        EDDSA => assert_eq!(k.key.len(), 32),
        other => panic!("algorithm {other} accepted"),
    }
}
