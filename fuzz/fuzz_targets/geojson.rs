//! GeoJSON route import: any text gives routes or a typed error, within the bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::advance::interchange::geojson::parse_geojson;

fuzz_target!(|data: &[u8]| {
    // The CLI and the apps hand the parser text; bytes that are not UTF-8 are refused
    // before it.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_geojson(text);
    }
});
