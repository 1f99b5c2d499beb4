//! Enrollment is rate-limited per client address: wrong codes were answered as fast as
//! they came (7,600 a second), never 429. Real server, real sockets on loopback.

use crate::common;

use common::*;
use vigil_core::sync::protocol::{EnrollRequest, SCHEMA_VERSION};
use vigil_core::sync::Transport;
use vigil_server::throttle::EnrollLimits;

fn attempt(server: &TestServer, code: &str) -> vigil_core::sync::transport::Response {
    let req = EnrollRequest {
        schema_version: SCHEMA_VERSION,
        code: code.into(),
        device_id: uuid::Uuid::new_v4().to_string(),
        public_key: hex::encode([7u8; 32]),
        officer: "Officer A".into(),
    };
    server
        .transport()
        .post("/v1/enroll", serde_json::to_vec(&req).unwrap())
        .expect("an HTTP answer")
}

#[test]
fn wrong_codes_from_one_address_are_answered_429_with_retry_after() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let burst = EnrollLimits::default().per_address.burst;
    for _ in 0..burst {
        assert_eq!(attempt(&server, "WRONG-CODE").status, 401);
    }
    let r = attempt(&server, "WRONG-CODE");
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    let retry = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| v.parse::<u64>().unwrap())
        .expect("Retry-After");
    assert!((1..=6).contains(&retry), "{retry}");
    let body = error_body(&r.body);
    assert_eq!(body.error, "rate_limited");
    assert!(body.server_time_ms.is_some());
    // Even the right code waits its turn from this address: nothing is tried meanwhile.
    let code = server.code(&team);
    assert_eq!(attempt(&server, &code).status, 429);
}
