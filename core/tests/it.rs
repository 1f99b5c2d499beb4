//! The integration tests of `vigil-core`, one test binary (`cargo test -p vigil-core --test it`):
//! every file here is a module of it, run alone with a filter
//! (`cargo test -p vigil-core --test it vault::`). Each test binary links SQLCipher and
//! OpenSSL (about 50 MB); one per crate instead of one per file keeps `target/` and the
//! link time small (README.md, "One test binary per crate"). A new file needs a `mod` line
//! below: `every_test_file_is_compiled_in` fails until it has one.

mod advance_support;
mod common;
mod support;

mod advance_geometry;
mod advance_interchange;
mod advance_merge;
mod advance_raise;
mod advance_records;
mod advance_templates;
mod advance_walk;
mod attachment_out;
mod evidence_package;
mod incident_attachment;
mod incident_bundle;
mod incident_log;
mod incident_query;
mod incident_tamper;
mod incident_time_window;
mod interchange_limits;
mod interchange_memory;
mod module_graph;
mod proptest_setup;
mod template_limits;
mod vault;
mod vault_policy;

#[test]
fn every_test_file_is_compiled_in() {
    vigil_testkit::layout::assert_every_test_file_compiled(
        env!("CARGO_MANIFEST_DIR"),
        &["tests/it.rs"],
    );
}
