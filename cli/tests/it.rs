//! The integration tests of `vigil`, one test binary (`cargo test -p vigil --test it`):
//! every file here is a module of it, run alone with a filter
//! (`cargo test -p vigil --test it evidence::`). Each test binary links SQLCipher and
//! OpenSSL (about 50 MB); one per crate instead of one per file keeps `target/` and the
//! link time small (README.md, "One test binary per crate"). A new file needs a `mod` line
//! below: `every_test_file_is_compiled_in` fails until it has one.
//! `soak.rs` stays a binary of its own (`cargo test -p vigil --test soak`, long runs with
//! `VIGIL_SOAK_SECS`).

mod advance;
mod bundle_vectors;
mod cli;
mod evidence;
mod exit_codes;
mod full_disk;
mod incident;
mod output_escaping;
mod store;
mod sync;

#[test]
fn every_test_file_is_compiled_in() {
    vigil_testkit::layout::assert_every_test_file_compiled(
        env!("CARGO_MANIFEST_DIR"),
        &["tests/it.rs", "tests/soak.rs"],
    );
}
