//! The UBL binding of the code list rules (BR-CL-*): one walk over every
//! element. Each check runs on the element the artefact's rule has as
//! context (the `match` of its template, which is also where it reports),
//! BR-CL-08 from the business rule pattern, the others from the code list
//! pattern, where every element is matched by at most one template.

use super::{
    some_indicator_is, L_1153, L_7143, L_ALLOWANCE_REASONS, L_CHARGE_REASONS, L_CURRENCIES, L_EAS,
    L_ICD, L_MIME, L_PAYMENT_MEANS, L_UBL_COUNTRIES, L_UBL_CREDIT_NOTE_TYPES, L_UBL_INVOICE_TYPES,
    L_UBL_SUBJECTS, L_UBL_VAT_POINT, L_UNITS, L_VATEX, L_VAT_CATEGORIES, XML_SPACE,
};
use crate::binding::ubl::{CAC, CBC};
use crate::input::xml::Node;
use crate::validation::rule::{rule, Out};

/// The amounts whose `@currencyID` BR-CL-03 checks.
const CURRENCY_AMOUNTS: &[&str] = &[
    "Amount",
    "BaseAmount",
    "PriceAmount",
    "TaxAmount",
    "TaxableAmount",
    "LineExtensionAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
];

/// BR-CL-* on a UBL document (`root` is the Invoice or CreditNote).
pub(crate) fn ubl(root: Node<'_>, out: &mut Out) {
    walk(root, true, false, out);
}

/// Checks the children of `n` and their subtrees. `seller_or_payee`: `n`
/// is or is below a cac:AccountingSupplierParty or cac:PayeeParty.
fn walk(n: Node<'_>, is_root: bool, seller_or_payee: bool, out: &mut Out) {
    for c in n.children() {
        if c.ns() == CBC {
            element(c, n, is_root, seller_or_payee, out);
        }
        let below =
            seller_or_payee || c.is(CAC, "AccountingSupplierParty") || c.is(CAC, "PayeeParty");
        walk(c, false, below, out);
    }
}

/// The checks whose context is the cbc element `c`, child of `parent`.
fn element(
    c: Node<'_>,
    parent: Node<'_>,
    parent_is_root: bool,
    seller_or_payee: bool,
    out: &mut Out,
) {
    let text = c.text();
    let under = |local: &str| parent.is(CAC, local);
    let name = c.local_name();
    match name {
        "InvoiceTypeCode" => out.check(L_UBL_INVOICE_TYPES.admits(text), rule!("BR-CL-01"), c),
        "CreditNoteTypeCode" => {
            out.check(L_UBL_CREDIT_NOTE_TYPES.admits(text), rule!("BR-CL-01"), c);
        }
        _ if CURRENCY_AMOUNTS.contains(&name) => {
            // An amount without currencyID is tested as the empty string.
            let currency = c.attr("currencyID").unwrap_or("");
            out.check(L_CURRENCIES.admits(currency), rule!("BR-CL-03"), c);
        }
        "DocumentCurrencyCode" => out.check(L_CURRENCIES.admits(text), rule!("BR-CL-04"), c),
        "TaxCurrencyCode" => out.check(L_CURRENCIES.admits(text), rule!("BR-CL-05"), c),
        "DescriptionCode" if under("InvoicePeriod") => {
            out.check(L_UBL_VAT_POINT.admits(text), rule!("BR-CL-06"), c);
        }
        // BR-CL-08 is in the business rule pattern, on the notes of the
        // document: a `#code#` of three characters must be a substring of
        // the list literal (the note as written: no normalize-space).
        "Note" if parent_is_root => out.check(subject_ok(c.raw_text()), rule!("BR-CL-08"), c),
        // `…[cbc:DocumentTypeCode = '130']/cbc:ID[@schemeID]`: the type
        // code as written.
        "ID" => match c.attr("schemeID") {
            Some(s)
                if (under("AdditionalDocumentReference") || under("DocumentReference"))
                    && parent
                        .children_named(CBC, "DocumentTypeCode")
                        .any(|t| t.raw_text() == "130") =>
            {
                out.check(L_1153.admits(s), rule!("BR-CL-07"), c);
            }
            Some(s) if under("PartyIdentification") => {
                // SEPA (the creditor identifier) only in the seller's and
                // the payee's identifiers.
                let ok =
                    L_ICD.admits(s) || (seller_or_payee && s.trim_matches(XML_SPACE) == "SEPA");
                out.check(ok, rule!("BR-CL-10"), c);
            }
            Some(s) if under("StandardItemIdentification") => {
                out.check(L_ICD.admits(s), rule!("BR-CL-21"), c);
            }
            Some(s) if under("DeliveryLocation") => {
                out.check(L_ICD.admits(s), rule!("BR-CL-26"), c)
            }
            _ if under("TaxCategory") => {
                out.check(L_VAT_CATEGORIES.admits(text), rule!("BR-CL-17"), c)
            }
            _ if under("ClassifiedTaxCategory") => {
                out.check(L_VAT_CATEGORIES.admits(text), rule!("BR-CL-18"), c);
            }
            _ => {}
        },
        "CompanyID" if under("PartyLegalEntity") => {
            if let Some(s) = c.attr("schemeID") {
                out.check(L_ICD.admits(s), rule!("BR-CL-11"), c);
            }
        }
        "ItemClassificationCode" if under("CommodityClassification") => {
            if let Some(s) = c.attr("listID") {
                out.check(L_7143.admits(s), rule!("BR-CL-13"), c);
            }
        }
        "IdentificationCode" if under("Country") => {
            out.check(L_UBL_COUNTRIES.admits(text), rule!("BR-CL-14"), c);
        }
        "IdentificationCode" if under("OriginCountry") => {
            out.check(L_UBL_COUNTRIES.admits(text), rule!("BR-CL-15"), c);
        }
        "PaymentMeansCode" if under("PaymentMeans") => {
            out.check(L_PAYMENT_MEANS.admits(text), rule!("BR-CL-16"), c);
        }
        "AllowanceChargeReasonCode" if under("AllowanceCharge") => {
            // The allowance template ranks above the charge one, so an
            // element carrying both indicators is an allowance.
            let indicators = || parent.children_named(CBC, "ChargeIndicator");
            if some_indicator_is(indicators(), false) {
                out.check(L_ALLOWANCE_REASONS.admits(text), rule!("BR-CL-19"), c);
            } else if some_indicator_is(indicators(), true) {
                out.check(L_CHARGE_REASONS.admits(text), rule!("BR-CL-20"), c);
            }
        }
        "TaxExemptionReasonCode" => {
            out.check(L_VATEX.admits(&text.to_uppercase()), rule!("BR-CL-22"), c);
        }
        "InvoicedQuantity" | "BaseQuantity" | "CreditedQuantity" => {
            if let Some(u) = c.attr("unitCode") {
                out.check(L_UNITS.admits(u), rule!("BR-CL-23"), c);
            }
        }
        "EmbeddedDocumentBinaryObject" => {
            if let Some(m) = c.attr("mimeCode") {
                out.check(L_MIME.holds_exactly(m), rule!("BR-CL-24"), c);
            }
        }
        "EndpointID" => {
            if let Some(s) = c.attr("schemeID") {
                out.check(L_EAS.admits(s), rule!("BR-CL-25"), c);
            }
        }
        _ => {}
    }
}

/// BR-CL-08 of UBL: `(contains(.,'#') and string-length(code)=3 and
/// contains(list, code)) or not(contains(.,'#')) or not(string-length(code)=3)`
/// with `code = substring-before(substring-after(.,'#'),'#')`.
fn subject_ok(note: &str) -> bool {
    let code = note
        .split_once('#')
        .and_then(|(_, after)| after.split_once('#'))
        .map_or("", |(code, _)| code);
    code.chars().count() != 3 || L_UBL_SUBJECTS.literal_contains(code)
}
