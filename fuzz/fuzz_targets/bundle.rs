//! Evidence bundle verification (`vigil incident verify-bundle`, the reference examiner's
//! Rust twin): whatever bytes an examiner is handed give a verdict, never a panic. Two
//! ways in: the bytes as they are, and a bundle that parses re-signed under the fuzzer's
//! key (so the checks after the bundle signature are reached too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::incident::verify_bundle;
use vigil_fuzz::resign_bundle;

fuzz_target!(|data: &[u8]| {
    let report = verify_bundle(data);
    assert!(!report.ok || report.problem.is_none());
    if let Some(resigned) = resign_bundle(data) {
        let report = verify_bundle(&resigned);
        assert!(!report.ok || report.problem.is_none());
    }
});
