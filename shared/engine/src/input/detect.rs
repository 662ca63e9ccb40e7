//! Root-element detection: the only thing that decides the syntax.

use crate::input::xml::Ns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    UblInvoice,
    UblCreditNote,
    Cii,
    Zugferd1,
}

/// Maps a root element (namespace URI, local name) to an invoice syntax.
pub(crate) fn detect_root(ns: Ns, local: &str) -> Option<RootKind> {
    match (ns, local) {
        (Ns::UBL_INVOICE, "Invoice") => Some(RootKind::UblInvoice),
        (Ns::UBL_CREDIT_NOTE, "CreditNote") => Some(RootKind::UblCreditNote),
        (Ns::CII_RSM, "CrossIndustryInvoice") => Some(RootKind::Cii),
        (Ns::ZUGFERD1_RSM, "CrossIndustryDocument") => Some(RootKind::Zugferd1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_without_matching_namespace_is_not_detected() {
        // Arrange
        let cases = [
            (Ns::NONE, "Invoice"),
            (Ns::UBL_INVOICE, "CreditNote"),
            (Ns::CII_RSM, "Invoice"),
        ];
        // Act
        let got: Vec<_> = cases.iter().map(|&(n, l)| detect_root(n, l)).collect();
        // Assert
        assert_eq!(got, vec![None, None, None]);
    }
}
