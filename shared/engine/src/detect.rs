//! Root-element detection: the only thing that decides the syntax.

pub(crate) const NS_UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub(crate) const NS_UBL_CREDIT_NOTE: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
pub(crate) const NS_CII_RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
pub(crate) const NS_ZF1_RSM: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    UblInvoice,
    UblCreditNote,
    Cii,
    Zugferd1,
}

/// Maps a root element (namespace URI, local name) to an invoice syntax.
pub(crate) fn detect_root(ns: &str, local: &str) -> Option<RootKind> {
    match (ns, local) {
        (NS_UBL_INVOICE, "Invoice") => Some(RootKind::UblInvoice),
        (NS_UBL_CREDIT_NOTE, "CreditNote") => Some(RootKind::UblCreditNote),
        (NS_CII_RSM, "CrossIndustryInvoice") => Some(RootKind::Cii),
        (NS_ZF1_RSM, "CrossIndustryDocument") => Some(RootKind::Zugferd1),
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
            ("", "Invoice"),
            (NS_UBL_INVOICE, "CreditNote"),
            (NS_CII_RSM, "Invoice"),
        ];
        // Act
        let got: Vec<_> = cases.iter().map(|(n, l)| detect_root(n, l)).collect();
        // Assert
        assert_eq!(got, vec![None, None, None]);
    }
}
