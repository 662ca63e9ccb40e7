//! PDF container behaviour through the public API, on small PDFs built here
//! (so each case isolates one feature) and on mutations of the corpus PDF.

use intake_engine::{extract, Container, EngineError};

mod support;
use support::{classic_pdf, corpus, stream_obj, ubl, zlib};

struct Att<'a> {
    name: &'a str,
    content: Vec<u8>,
    compress: bool,
}

fn att<'a>(name: &'a str, content: Vec<u8>) -> Att<'a> {
    Att {
        name,
        content,
        compress: true,
    }
}

/// Objects of a Factur-X-like PDF: catalog 1, pages 2, name tree 3, /AF 4,
/// XMP 5, encryption dict 6 (referenced only if asked), filespecs 10, 12, …
/// with their embedded streams 11, 13, …
fn objects(atts: &[Att<'_>], xmp_name: Option<&str>) -> Vec<(u32, Vec<u8>)> {
    let mut objs = Vec::new();
    let meta = if xmp_name.is_some() {
        "/Metadata 5 0 R"
    } else {
        ""
    };
    objs.push((
        1,
        format!(
            "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 3 0 R >> /AF 4 0 R {meta} >>"
        )
        .into_bytes(),
    ));
    objs.push((2, b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()));
    let mut names = String::new();
    let mut af = String::new();
    for (i, a) in atts.iter().enumerate() {
        let spec = 10 + 2 * i as u32;
        names.push_str(&format!("({}) {spec} 0 R ", a.name));
        af.push_str(&format!("{spec} 0 R "));
        objs.push((spec, format!("<< /Type /Filespec /F ({0}) /UF ({0}) /EF << /F {1} 0 R >> /AFRelationship /Data >>", a.name, spec + 1).into_bytes()));
        let (filter, data) = if a.compress {
            ("/Filter /FlateDecode", zlib(&a.content))
        } else {
            ("", a.content.clone())
        };
        objs.push((
            spec + 1,
            stream_obj(&format!("/Type /EmbeddedFile {filter}"), &data),
        ));
    }
    objs.push((3, format!("<< /Names [{names}] >>").into_bytes()));
    objs.push((4, format!("[{af}]").into_bytes()));
    if let Some(x) = xmp_name {
        let xmp = format!(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
             <rdf:Description xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"><pdfaProperty:name>DocumentFileName</pdfaProperty:name></rdf:Description>\
             <rdf:Description xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\"><fx:DocumentFileName>{x}</fx:DocumentFileName></rdf:Description></rdf:RDF></x:xmpmeta>"
        );
        objs.push((
            5,
            stream_obj("/Type /Metadata /Subtype /XML", xmp.as_bytes()),
        ));
    }
    objs.push((6, b"<< /Filter /Standard /V 2 /R 3 >>".to_vec()));
    objs
}

/// A PDF 1.5 file: every non-stream object inside one object stream (50),
/// and a cross-reference stream (51) with a PNG Up predictor.
fn compressed_pdf(objs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let (in_stm, direct): (Vec<_>, Vec<_>) =
        objs.iter().partition(|(_, b)| !b.ends_with(b"endstream"));
    let mut entries: Vec<(u32, u8, u32, u16)> = Vec::new(); // (num, type, field2, field3)
    for (n, body) in &direct {
        entries.push((*n, 1, out.len() as u32, 0));
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let mut header = String::new();
    let mut bodies = Vec::new();
    for (i, (n, body)) in in_stm.iter().enumerate() {
        header.push_str(&format!("{n} {} ", bodies.len()));
        bodies.extend_from_slice(body);
        bodies.push(b' ');
        entries.push((*n, 2, 50, i as u16));
    }
    let mut stm = header.clone().into_bytes();
    stm.extend_from_slice(&bodies);
    entries.push((50, 1, out.len() as u32, 0));
    out.extend_from_slice(b"50 0 obj\n");
    out.extend_from_slice(&stream_obj(
        &format!(
            "/Type /ObjStm /N {} /First {} /Filter /FlateDecode",
            in_stm.len(),
            header.len()
        ),
        &zlib(&stm),
    ));
    out.extend_from_slice(b"\nendobj\n");
    let xref_at = out.len();
    entries.push((51, 1, xref_at as u32, 0));
    entries.sort();
    let size = 52u32;
    let mut rows = Vec::new();
    let mut prev = [0u8; 7];
    for n in 0..size {
        let row: [u8; 7] = match entries.iter().find(|e| e.0 == n) {
            Some(&(_, t, f2, f3)) => {
                let [a, b, c, d] = f2.to_be_bytes();
                let [e, f] = f3.to_be_bytes();
                [t, a, b, c, d, e, f]
            }
            None => [0, 0, 0, 0, 0, 0xff, 0xff],
        };
        rows.push(2); // PNG "Up"
        rows.extend(row.iter().zip(prev.iter()).map(|(x, p)| x.wrapping_sub(*p)));
        prev = row;
    }
    out.extend_from_slice(b"51 0 obj\n");
    out.extend_from_slice(&stream_obj(
        &format!("/Type /XRef /Size {size} /Root 1 0 R /W [1 4 2] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>"),
        &zlib(&rows),
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// Byte offset of the last `needle` (binary-safe; the header comment is not UTF-8).
fn rfind(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .rposition(|w| w == needle)
        .expect("needle present")
}

fn number_and_attachment(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let ex = extract(bytes).expect("extract");
    assert_eq!(ex.document.container, Container::Pdf);
    (ex.invoice.and_then(|i| i.number), ex.document.attachment)
}

#[test]
fn xmp_named_attachment_wins_over_well_known_name() {
    // Arrange
    let pdf = classic_pdf(
        &objects(
            &[att("factur-x.xml", ubl("A")), att("other.xml", ubl("B"))],
            Some("other.xml"),
        ),
        "",
    );
    // Act
    let got = number_and_attachment(&pdf);
    // Assert
    assert_eq!(got, (Some("B".into()), Some("other.xml".into())));
}

#[test]
fn well_known_name_in_any_case_wins_over_other_xml() {
    // Arrange
    let pdf = classic_pdf(
        &objects(
            &[
                att("notes.xml", ubl("A")),
                att("ZUGFeRD-invoice.xml", ubl("B")),
            ],
            None,
        ),
        "",
    );
    // Act
    let got = number_and_attachment(&pdf);
    // Assert
    assert_eq!(got, (Some("B".into()), Some("ZUGFeRD-invoice.xml".into())));
}

#[test]
fn any_xml_attachment_with_an_invoice_root_is_found() {
    // Arrange
    let order = br#"<o:SCRDMCCBDACIOMessageStructure xmlns:o="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"/>"#.to_vec();
    let atts = [
        att("readme.txt", b"hello".to_vec()),
        att("order.xml", order),
        Att {
            name: "inv.xml",
            content: ubl("C"),
            compress: false,
        },
    ];
    let pdf = classic_pdf(&objects(&atts, None), "");
    // Act
    let got = number_and_attachment(&pdf);
    // Assert
    assert_eq!(got, (Some("C".into()), Some("inv.xml".into())));
}

#[test]
fn pdf_without_invoice_attachment_is_reported_as_such() {
    // Arrange
    let only_text = classic_pdf(&objects(&[att("readme.txt", b"hello".to_vec())], None), "");
    let no_names = classic_pdf(&[(1, b"<< /Type /Catalog >>".to_vec())], "");
    for pdf in [only_text, no_names] {
        // Act
        let err = extract(&pdf).expect_err("no invoice");
        // Assert
        assert_eq!(err.code(), "no_invoice_attachment", "{err}");
    }
}

#[test]
fn encrypted_pdf_is_refused() {
    // Arrange
    let pdf = classic_pdf(
        &objects(&[att("factur-x.xml", ubl("A"))], None),
        "/Encrypt 6 0 R",
    );
    // Act
    let err = extract(&pdf).expect_err("encrypted");
    // Assert
    assert_eq!(err, EngineError::EncryptedPdf);
    assert_eq!(err.code(), "encrypted_pdf");
}

#[test]
fn object_streams_and_xref_streams_are_read() {
    // Arrange
    let pdf = compressed_pdf(&objects(
        &[att("factur-x.xml", ubl("D"))],
        Some("factur-x.xml"),
    ));
    // Act
    let got = number_and_attachment(&pdf);
    // Assert
    assert_eq!(got, (Some("D".into()), Some("factur-x.xml".into())));
}

#[test]
fn damaged_xref_is_tolerated_by_scanning_for_objects() {
    // Arrange: a wrong startxref offset, and separately a garbled xref table.
    let good = classic_pdf(&objects(&[att("factur-x.xml", ubl("E"))], None), "");
    let at = rfind(&good, b"startxref\n") + "startxref\n".len();
    let mut wrong_offset = good[..at].to_vec();
    wrong_offset.extend_from_slice(b"7\n%%EOF\n");
    let xref = rfind(&good, b"xref\n0 ");
    let mut garbled = good.clone();
    for b in &mut garbled[xref + 8..xref + 60] {
        *b = b'9';
    }
    for pdf in [wrong_offset, garbled] {
        // Act
        let got = number_and_attachment(&pdf);
        // Assert
        assert_eq!(got.0.as_deref(), Some("E"));
    }
}

#[test]
fn objstm_in_damaged_file_is_found_by_scanning() {
    // Arrange: the xref stream is gone entirely.
    let good = compressed_pdf(&objects(&[att("factur-x.xml", ubl("F"))], None));
    let cut = rfind(&good, b"51 0 obj");
    let damaged = good[..cut].to_vec();
    // Act
    let got = extract(&damaged);
    // Assert: no trailer survives, the catalog is found by its /Type.
    assert_eq!(
        got.ok()
            .and_then(|e| e.invoice)
            .and_then(|i| i.number)
            .as_deref(),
        Some("F")
    );
}

#[test]
fn inflation_bomb_is_too_large() {
    // Arrange: 40 MiB of zeros compress to ~40 KiB.
    let bomb = vec![b' '; 40 * 1024 * 1024];
    let pdf = classic_pdf(&objects(&[att("factur-x.xml", bomb)], None), "");
    // Act
    let err = extract(&pdf).expect_err("bomb");
    // Assert
    assert_eq!(err.code(), "too_large");
}

#[test]
fn malformed_xml_attachment_is_malformed_xml() {
    // Arrange
    let mut broken = ubl("G");
    broken.truncate(broken.len() - 10);
    let pdf = classic_pdf(&objects(&[att("factur-x.xml", broken)], None), "");
    // Act
    let err = extract(&pdf).expect_err("broken");
    // Assert
    assert_eq!(err.code(), "malformed_xml");
}

#[test]
fn garbage_after_pdf_magic_is_an_error_not_a_panic() {
    // Arrange
    let inputs: Vec<Vec<u8>> = vec![
        b"%PDF-1.7".to_vec(),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Names << /EmbeddedFiles 1 0 R >> >> endobj".to_vec(),
        b"%PDF-1.7\n1 0 obj [[[[[[[[[[ endobj trailer << /Root 1 0 R >>".to_vec(),
        b"%PDF-1.7\nstartxref\n99999999999999999999\n%%EOF".to_vec(),
        // Damaged file whose stream length refers to itself: must not recurse.
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Length 1 0 R >>\nstream\nabc\nendstream\nendobj\n".to_vec(),
        b"%PDF-1.5\n5 0 obj << /Type /ObjStm /N 1 /First 4 /Filter 2 0 R /Length 3 0 R >>\nstream\n2 0 << /Type /Catalog >>\nendstream\nendobj\n".to_vec(),
    ];
    for input in inputs {
        // Act
        let err = extract(&input).expect_err("garbage");
        // Assert
        assert!(
            matches!(err.code(), "malformed_pdf" | "no_invoice_attachment"),
            "{}: {err}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn mutated_corpus_pdf_never_panics() {
    // Arrange
    let good = corpus("akretion-factur-x/tests/fixtures/pdf/invoice_EN16931.pdf");
    let n = good.len();
    let allowed = [
        "malformed_pdf",
        "no_invoice_attachment",
        "malformed_xml",
        "unsupported_document",
        "too_large",
    ];
    for k in 1..60usize {
        // Act: truncate, and overwrite a window with junk, at spread-out points.
        let cut = n * k / 60;
        let mut flipped = good.clone();
        for b in flipped.iter_mut().skip(cut).take(64) {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        for input in [&good[..cut], &flipped[..]] {
            // Assert
            if let Err(e) = extract(input) {
                assert!(allowed.contains(&e.code()), "cut {cut}: {e}");
            }
        }
    }
}
