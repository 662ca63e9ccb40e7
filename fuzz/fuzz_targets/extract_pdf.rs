//! Fuzzes the PDF entry point: input is prefixed with `%PDF-` (unless it
//! already starts with it) so `intake_engine::extract` takes the PDF path.
//! Seed with the corpus PDFs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut doc = Vec::with_capacity(data.len() + 9);
    if !data.starts_with(b"%PDF-") {
        doc.extend_from_slice(b"%PDF-1.7\n");
    }
    doc.extend_from_slice(data);
    if let Err(e) = intake_engine::extract(&doc) {
        assert!(!e.code().is_empty());
        let _ = e.to_string();
    }
});
