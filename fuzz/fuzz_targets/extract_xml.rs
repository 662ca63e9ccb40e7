//! Fuzzes the XML entry point: any bytes starting with `<` go down the XML
//! path of `intake_engine::extract`. Seed with the corpus XML files.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Force the XML path so the fuzzer does not waste time on non-XML prefixes.
    let mut doc = Vec::with_capacity(data.len() + 1);
    if data.first() != Some(&b'<') {
        doc.push(b'<');
    }
    doc.extend_from_slice(data);
    if let Err(e) = intake_engine::extract(&doc) {
        // Every error must carry a stable code and a message.
        assert!(!e.code().is_empty());
        let _ = e.to_string();
    }
});
