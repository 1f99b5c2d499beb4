//! The key file (`vigil.keys`), read at every unlock from a file anyone with the phone's
//! storage may have altered. Two ways in: the bytes as they are, and (so the fuzzer gets
//! past the SHA-256 checksum) the input as a body and attempts region framed with correct
//! checksums. A key file that decodes encodes back to one that decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::testing::keyfile::{decode, encode};
use vigil_fuzz::keyfile_framed;

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&keyfile_framed(data));
});

fn check(bytes: &[u8]) {
    if let Ok(kf) = decode(bytes) {
        let again = encode(&kf).expect("a decoded key file encodes");
        let back = decode(&again).expect("an encoded key file decodes");
        assert_eq!(back, kf, "key file changed through encode and decode");
    }
}
