//! Shared by the benchmark and `examples/throughput.rs`: corpus loading and
//! generated N-line invoices (a corpus document with its line element repeated).

use std::path::{Path, PathBuf};

use intake_engine::{extract, Container, Syntax};

pub const UBL_BASE: &str = "peppol-bis-billing-3/rules/examples/vat-category-Z.xml";
pub const CII_BASE: &str = "en16931-cen-tc434/cii/examples/CII_example3.xml";

pub fn corpus_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .to_path_buf()
}

/// Every XML and PDF file of the corpus, sorted by path.
pub fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![corpus_dir()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("corpus dir").flatten() {
            let p = e.path();
            let ext = p
                .extension()
                .map(|x| x.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if p.is_dir() {
                stack.push(p);
            } else if ext == "xml" || ext == "pdf" {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// `base` with its first `<{tag}>…</{tag}>` element repeated `n` times.
fn repeat_line(base: &[u8], tag: &str, n: usize) -> Vec<u8> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let find = |needle: &[u8], from: usize| {
        base[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
            .unwrap_or_else(|| panic!("{tag} not found"))
    };
    let start = find(open.as_bytes(), 0);
    let end = find(close.as_bytes(), start) + close.len();
    let mut out = base[..start].to_vec();
    for _ in 0..n {
        out.extend_from_slice(&base[start..end]);
        out.push(b'\n');
    }
    out.extend_from_slice(&base[end..]);
    out
}

pub fn ubl_lines(n: usize) -> Vec<u8> {
    let base = std::fs::read(corpus_dir().join(UBL_BASE)).expect("UBL base");
    repeat_line(&base, "cac:InvoiceLine", n)
}

pub fn cii_lines(n: usize) -> Vec<u8> {
    let base = std::fs::read(corpus_dir().join(CII_BASE)).expect("CII base");
    repeat_line(&base, "ram:IncludedSupplyChainTradeLineItem", n)
}

/// "UBL", "CII" or "PDF" (an invoice in a PDF), by what the engine detects.
pub fn format_of(bytes: &[u8]) -> Option<&'static str> {
    let ex = extract(bytes).ok()?;
    Some(match (ex.document.container, ex.document.syntax) {
        (Container::Pdf, _) => "PDF",
        (_, Syntax::Ubl) => "UBL",
        (_, Syntax::Cii | Syntax::CiiZugferd1) => "CII",
        _ => return None,
    })
}
