//! invoice-intake document engine: detects an e-invoice (UBL 2.1, CII D16B,
//! ZUGFeRD 1.0; bare XML or embedded in a PDF) and extracts the EN 16931 fields
//! of contract/result.md. Pure: no I/O, no AWS.
//!
//! Detection is by content only (root element + namespace, `%PDF-` magic),
//! never by file name.

// Bytes → XML tree (input) → one EN 16931 semantic model per document
// (model, filled by the syntax's binding) → the `invoice` output and the
// verdict (validation).
mod binding;
mod dec;
mod hash;
mod input;
mod model;
mod output;
mod validation;

use input::detect::{detect_root, RootKind};
use input::{encoding, pdf, xml};
use output::projection;
pub use output::{
    Container, Document, Invoice, Kind, Line, Party, Syntax, Totals, Validation, VatBreakdown,
    Violation,
};
pub use validation::ENGINE as VALIDATION_ENGINE;

use serde::Serialize;

/// Inputs larger than this are refused before any parsing (`too_large`).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// The result of [`extract`]: result.md's `document`, `invoice` and `validation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extraction {
    pub document: Document,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
}

/// Why a document could not be extracted. [`EngineError::code`] is the stable
/// API error code; `Display` is a human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Neither an XML invoice (UBL/CII/ZUGFeRD 1.0) nor a PDF.
    #[error("unsupported document: {0}")]
    UnsupportedDocument(String),
    /// A PDF without an embedded XML invoice.
    #[error("the PDF carries no embedded XML invoice{0}")]
    NoInvoiceAttachment(String),
    #[error("malformed XML: {0}")]
    MalformedXml(String),
    #[error("malformed PDF: {0}")]
    MalformedPdf(String),
    #[error("the PDF is encrypted")]
    EncryptedPdf,
    /// Input, or data inflated from it, exceeds a safety cap.
    #[error("too large: {0}")]
    TooLarge(String),
}

impl EngineError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::UnsupportedDocument(_) => "unsupported_document",
            EngineError::NoInvoiceAttachment(_) => "no_invoice_attachment",
            EngineError::MalformedXml(_) => "malformed_xml",
            EngineError::MalformedPdf(_) => "malformed_pdf",
            EngineError::EncryptedPdf => "encrypted_pdf",
            EngineError::TooLarge(_) => "too_large",
        }
    }
}

/// Detects and extracts one document (bare XML invoice or PDF with an
/// embedded XML invoice).
pub fn extract(bytes: &[u8]) -> Result<Extraction, EngineError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(EngineError::TooLarge(format!(
            "input is {} bytes, the limit is {MAX_INPUT_BYTES}",
            bytes.len()
        )));
    }
    if bytes.is_empty() {
        return Err(EngineError::UnsupportedDocument("empty input".into()));
    }
    // XML first: a document whose first character is `<` is XML even if the
    // text `%PDF-` appears early in it (a note, a reference).
    if looks_like_xml(bytes) {
        return extract_xml(bytes);
    }
    if !pdf::looks_like_pdf(bytes) {
        return Err(EngineError::UnsupportedDocument(
            "neither XML nor PDF".into(),
        ));
    }
    let att = pdf::find_invoice_attachment(bytes)?;
    let mut ex = extract_xml(&att.bytes).map_err(|e| match e {
        // An attachment that is not an invoice after all means the PDF has
        // none; other errors (malformed_xml) are about the invoice itself.
        EngineError::UnsupportedDocument(m) => {
            EngineError::NoInvoiceAttachment(format!(" ({}: {m})", att.name))
        }
        other => other,
    })?;
    ex.document.container = Container::Pdf;
    ex.document.attachment = Some(att.name);
    Ok(ex)
}

/// True when the first non-whitespace byte (after an optional UTF-8 BOM) is
/// `<`, or the input starts like UTF-16 text (a byte order mark or `<`).
fn looks_like_xml(bytes: &[u8]) -> bool {
    if matches!(
        bytes,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [b'<', 0, ..] | [0, b'<', ..]
    ) {
        return true;
    }
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

fn extract_xml(bytes: &[u8]) -> Result<Extraction, EngineError> {
    let utf8 = encoding::to_utf8(bytes)?;
    let tree = xml::Tree::parse(&utf8)?;
    let root = tree.root();
    // One model per document: the output is its projection, the verdict
    // judges it (ZUGFeRD 1.0 predates EN 16931: no verdict).
    let (syntax, model, validation) = match detect_root(root.ns(), root.local_name()) {
        Some(ubl @ (RootKind::UblInvoice | RootKind::UblCreditNote)) => {
            let credit_note = ubl == RootKind::UblCreditNote;
            let model = binding::ubl::build(root, credit_note);
            let verdict = validation::ubl(root, &model, credit_note);
            (Syntax::Ubl, model, Some(verdict))
        }
        Some(RootKind::Cii) => {
            let model = binding::cii::build(root);
            let verdict = validation::cii(root, &model);
            (Syntax::Cii, model, Some(verdict))
        }
        Some(RootKind::Zugferd1) => (Syntax::CiiZugferd1, binding::zugferd1::build(root), None),
        None => {
            return Err(EngineError::UnsupportedDocument(format!(
                "root element {{{}}}{} is not a UBL Invoice/CreditNote, CII CrossIndustryInvoice or ZUGFeRD 1.0 CrossIndustryDocument",
                root.namespace(),
                root.local_name()
            )))
        }
    };
    let (kind, customization_id, invoice) = (
        projection::kind(&model),
        projection::customization_id(&model),
        projection::invoice(&model),
    );
    Ok(Extraction {
        document: Document {
            syntax,
            kind,
            container: Container::Xml,
            attachment: None,
            customization_id,
        },
        invoice: Some(invoice),
        validation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBL_MIN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ID>INV-1</cbc:ID></Invoice>"#;

    #[test]
    fn documents_in_latin1_or_utf16_read_like_their_utf8_original() {
        // Arrange: the same invoice, its number with a non-ASCII letter.
        let utf8 = UBL_MIN.replace("INV-1", "FÄ-1");
        let latin1: Vec<u8> = utf8
            .replace("UTF-8", "ISO-8859-1")
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
            .collect();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(utf8.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        // Act
        let numbers: Vec<Option<String>> = [utf8.as_bytes(), &latin1, &utf16]
            .into_iter()
            .map(|b| extract(b).expect("extract").invoice.and_then(|i| i.number))
            .collect();
        // Assert
        assert_eq!(numbers, vec![Some("FÄ-1".to_owned()); 3]);
    }

    #[test]
    fn detects_ubl_invoice() {
        // Arrange
        let bytes = UBL_MIN.as_bytes();
        // Act
        let ex = extract(bytes).expect("extract");
        // Assert
        assert_eq!(ex.document.syntax, Syntax::Ubl);
        assert_eq!(ex.document.kind, Kind::Invoice);
        assert_eq!(ex.document.container, Container::Xml);
        assert_eq!(
            ex.document.customization_id.as_deref(),
            Some("urn:cen.eu:en16931:2017")
        );
        assert_eq!(ex.invoice.and_then(|i| i.number).as_deref(), Some("INV-1"));
    }

    #[test]
    fn detects_ubl_credit_note_cii_and_zugferd1() {
        // Arrange
        let cases = [
            (
                r#"<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>"#,
                Syntax::Ubl,
                Kind::CreditNote,
            ),
            (
                r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>"#,
                Syntax::Cii,
                Kind::Invoice,
            ),
            (
                r#"<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>"#,
                Syntax::CiiZugferd1,
                Kind::Invoice,
            ),
        ];
        for (doc, syntax, kind) in cases {
            // Act
            let ex = extract(doc.as_bytes()).expect(doc);
            // Assert
            assert_eq!(
                (ex.document.syntax, ex.document.kind),
                (syntax, kind),
                "{doc}"
            );
        }
    }

    #[test]
    fn serialisation_omits_absent_keys() {
        // Arrange
        let ex = extract(UBL_MIN.as_bytes()).expect("extract");
        // Act
        let json = serde_json::to_string(&ex).expect("json");
        // Assert
        assert!(!json.contains("null"), "{json}");
        assert!(!json.contains("\"attachment\""), "{json}");
        assert!(!json.contains("\"seller\""), "{json}");
    }

    #[test]
    fn ubl_and_cii_get_a_verdict_zugferd1_does_not() {
        // Arrange
        let zf1 = r#"<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>"#;
        let cii = r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>"#;
        // Act
        let ubl = extract(UBL_MIN.as_bytes())
            .expect("ubl")
            .validation
            .expect("verdict");
        let cii = extract(cii.as_bytes())
            .expect("cii")
            .validation
            .expect("verdict");
        let zf1 = extract(zf1.as_bytes()).expect("zf1").validation;
        // Assert
        assert_eq!(ubl.engine, VALIDATION_ENGINE);
        assert!(!ubl.valid);
        assert!(ubl.fatal.contains(&"BR-03".to_owned()), "{:?}", ubl.fatal);
        assert!(!ubl.fatal.contains(&"BR-01".to_owned()), "{:?}", ubl.fatal);
        assert!(ubl.fatal.windows(2).all(|w| w[0] < w[1]), "sorted unique");
        assert!(cii.fatal.contains(&"BR-01".to_owned()), "{:?}", cii.fatal);
        assert_eq!(zf1, None);
    }

    #[test]
    fn rejects_empty_random_and_foreign_xml_as_unsupported() {
        // Arrange
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let order_x = r#"<rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"/>"#;
        let wrong_ns = r#"<Invoice xmlns="urn:example:not-ubl"/>"#;
        for input in [
            &b""[..],
            &random[..],
            order_x.as_bytes(),
            wrong_ns.as_bytes(),
            b"   hello",
        ] {
            // Act
            let err = extract(input).expect_err("must fail");
            // Assert
            assert_eq!(err.code(), "unsupported_document", "{err}");
        }
    }

    #[test]
    fn detection_ignores_leading_bom_and_whitespace() {
        // Arrange
        let mut bytes = b"\xEF\xBB\xBF\n  ".to_vec();
        bytes.extend_from_slice(UBL_MIN.as_bytes());
        // Act
        let ex = extract(&bytes);
        // Assert
        assert_eq!(ex.map(|e| e.document.syntax), Ok(Syntax::Ubl));
    }

    #[test]
    fn xml_mentioning_pdf_magic_is_still_xml() {
        // Arrange
        let doc = UBL_MIN.replace("INV-1", "%PDF-1.7 scanned copy");
        // Act
        let ex = extract(doc.as_bytes());
        // Assert
        assert_eq!(ex.map(|e| e.document.container), Ok(Container::Xml));
    }

    #[test]
    fn truncated_xml_invoice_is_malformed() {
        // Arrange
        let truncated = &UBL_MIN.as_bytes()[..UBL_MIN.len() - 12];
        // Act
        let err = extract(truncated).expect_err("must fail");
        // Assert
        assert_eq!(err.code(), "malformed_xml");
    }

    #[test]
    fn oversized_input_is_too_large() {
        // Arrange
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        // Act
        let err = extract(&big).expect_err("must fail");
        // Assert
        assert_eq!(err.code(), "too_large");
    }
}
