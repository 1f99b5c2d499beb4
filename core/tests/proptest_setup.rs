//! Every property test of the workspace runs with a fixed seed (`.cargo/config.toml` sets
//! `PROPTEST_RNG_SEED` for every `cargo test`) and keeps a failure in the crate's
//! committed `proptest-regressions/`, replayed first on later runs.

use proptest::test_runner::{Config, RngSeed};

#[test]
fn property_tests_draw_fixed_cases_and_keep_their_failures() {
    let config = Config::default();
    assert!(
        matches!(config.rng_seed, RngSeed::Fixed(_)),
        "PROPTEST_RNG_SEED is not set: run through cargo (it reads .cargo/config.toml)"
    );
    let persistence = config
        .failure_persistence
        .as_ref()
        .expect("failures are persisted");
    // The default persistence writes beside the sources, under `proptest-regressions/`.
    assert!(format!("{persistence:?}").contains("proptest-regressions"));
    assert!(
        !std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.gitignore"))
            .unwrap()
            .lines()
            .any(|l| l.contains("proptest-regressions"))
    );
}
