//! The integration tests of `vigil-server`, one test binary (`cargo test -p vigil-server --test it`):
//! every file here is a module of it, run alone with a filter
//! (`cargo test -p vigil-server --test it console::`). Each test binary links SQLCipher and
//! OpenSSL (about 50 MB); one per crate instead of one per file keeps `target/` and the
//! link time small (README.md, "One test binary per crate"). A new file needs a `mod` line
//! below: `every_test_file_is_compiled_in` fails until it has one.

mod common;

mod anchoring;
mod attachments;
mod binary;
mod blob_after_record;
mod blob_client;
mod clocks;
mod compat;
mod console;
mod converge;
mod crash_recovery;
mod domain_sync;
mod engine;
mod enroll_throttle;
mod error_answers;
mod evidence_package;
mod nonblocking;
mod protocol;
mod resilience;
mod schema_agreement;
mod slow_clients;
mod slow_link;
mod tls;

#[test]
fn every_test_file_is_compiled_in() {
    vigil_testkit::layout::assert_every_test_file_compiled(
        env!("CARGO_MANIFEST_DIR"),
        &["tests/it.rs"],
    );
}
