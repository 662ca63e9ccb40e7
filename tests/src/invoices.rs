//! Variants of the sample invoice: other invoices, and larger ones.

use crate::sample_invoice;

fn sample_text() -> String {
    String::from_utf8(sample_invoice()).expect("the sample invoice is UTF-8")
}

/// The sample invoice with another number (BT-1): other bytes, another
/// invoice.
pub fn renumbered_invoice(number: &str) -> Vec<u8> {
    sample_text()
        .replacen(
            "<cbc:ID>12115118</cbc:ID>",
            &format!("<cbc:ID>{number}</cbc:ID>"),
            1,
        )
        .into_bytes()
}

/// The sample invoice with its first line repeated `lines` times, as the
/// engine's benchmark makes its N-line invoices.
pub fn invoice_with_lines(lines: usize) -> Vec<u8> {
    let text = sample_text();
    let close = "</cac:InvoiceLine>";
    let start = text.find("<cac:InvoiceLine>").expect("a line");
    let end = text[start..].find(close).expect("its end") + start + close.len();
    let mut out = text[..start].to_owned();
    for _ in 0..lines {
        out.push_str(&text[start..end]);
        out.push('\n');
    }
    out.push_str(&text[end..]);
    out.into_bytes()
}
