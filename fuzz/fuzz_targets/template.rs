//! Checklist template import: any text gives a template or a typed error; a template
//! accepted survives its own export unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::advance::template::ChecklistTemplate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = ChecklistTemplate::from_json(text) {
        let json = t.to_json().expect("an accepted template exports");
        let again = ChecklistTemplate::from_json(&json).expect("an exported template imports");
        assert_eq!(again, t, "template changed through export and import");
    }
});
