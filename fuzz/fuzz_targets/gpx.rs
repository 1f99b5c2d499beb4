//! GPX route import (`vigil route import`, the apps' import): any bytes give routes or a
//! typed error, in time linear in the input, within the allocation bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::advance::interchange::gpx::parse_gpx;

fuzz_target!(|data: &[u8]| {
    let _ = parse_gpx(data);
});
