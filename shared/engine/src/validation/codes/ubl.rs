//! The UBL binding of the code list rules (BR-CL-*): one walk over the tree.

use super::*;
use crate::input::xml::Node;
use crate::validation::rule::{rule, Out};

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

/// BR-CL-* on a UBL document: one walk over the tree.
pub(crate) fn ubl(root: Node<'_>, out: &mut Out) {
    let mut stack: Vec<&str> = Vec::with_capacity(16);
    ubl_walk(root, &mut stack, out);
}

fn ubl_walk<'t>(n: Node<'t>, stack: &mut Vec<&'t str>, out: &mut Out) {
    use crate::binding::ubl::{CAC, CBC};
    for c in n.children() {
        let name = c.local_name();
        let parent = n.local_name();
        if c.ns() == CBC {
            let text = c.text();
            match name {
                "InvoiceTypeCode" => {
                    out.check(code_ok(&L_INVOICE_TYPES, text), rule!("BR-CL-01"), "BT-3");
                }
                "CreditNoteTypeCode" => {
                    out.check(
                        code_ok(&L_CREDIT_NOTE_TYPES, text),
                        rule!("BR-CL-01"),
                        "BT-3",
                    );
                }
                "DocumentCurrencyCode" => {
                    out.check(code_ok(&L_CURRENCIES, text), rule!("BR-CL-04"), "BT-5");
                }
                "TaxCurrencyCode" => {
                    out.check(code_ok(&L_CURRENCIES, text), rule!("BR-CL-05"), "BT-6");
                }
                "DescriptionCode" if parent == "InvoicePeriod" => {
                    out.check(code_ok(&L_VAT_POINT, text), rule!("BR-CL-06"), "BT-8");
                }
                "ID" => {
                    let scheme = c.attr("schemeID");
                    match (parent, scheme) {
                        ("AdditionalDocumentReference" | "DocumentReference", Some(s)) => {
                            let is_130 = n
                                .first(&[(CBC, "DocumentTypeCode")])
                                .is_some_and(|t| t.text() == "130");
                            if is_130 && !code_ok(&L_1153, s) {
                                out.fire(rule!("BR-CL-07"), "BT-18");
                            }
                        }
                        ("PartyIdentification", Some(s)) => {
                            let sepa_ok = s.trim() == "SEPA"
                                && stack.iter().any(|a| {
                                    matches!(*a, "AccountingSupplierParty" | "PayeeParty")
                                });
                            if !code_ok(&L_ICD, s) && !sepa_ok {
                                out.fire(rule!("BR-CL-10"), "BT-29");
                            }
                        }
                        ("StandardItemIdentification", Some(s)) => {
                            out.check(code_ok(&L_ICD, s), rule!("BR-CL-21"), "BT-157");
                        }
                        ("DeliveryLocation", Some(s)) => {
                            out.check(code_ok(&L_ICD, s), rule!("BR-CL-26"), "BT-71");
                        }
                        ("TaxCategory", _) => {
                            out.check(
                                code_ok(&L_VAT_CATEGORIES, text),
                                rule!("BR-CL-17"),
                                "BT-118",
                            );
                        }
                        ("ClassifiedTaxCategory", _) => {
                            out.check(
                                code_ok(&L_VAT_CATEGORIES, text),
                                rule!("BR-CL-18"),
                                "BT-151",
                            );
                        }
                        _ => {}
                    }
                }
                "CompanyID" if parent == "PartyLegalEntity" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&L_ICD, s), rule!("BR-CL-11"), "BT-30");
                    }
                }
                "ItemClassificationCode" if parent == "CommodityClassification" => {
                    if let Some(s) = c.attr("listID") {
                        out.check(code_ok(&L_7143, s), rule!("BR-CL-13"), "BT-158");
                    }
                }
                "IdentificationCode" if parent == "Country" => {
                    out.check(code_ok(&L_COUNTRIES, text), rule!("BR-CL-14"), "BT-40");
                }
                "IdentificationCode" if parent == "OriginCountry" => {
                    out.check(code_ok(&L_COUNTRIES, text), rule!("BR-CL-15"), "BT-159");
                }
                "PaymentMeansCode" if parent == "PaymentMeans" => {
                    out.check(code_ok(&L_PAYMENT_MEANS, text), rule!("BR-CL-16"), "BT-81");
                }
                "AllowanceChargeReasonCode" if parent == "AllowanceCharge" => {
                    let charge = n.first(&[(CBC, "ChargeIndicator")]).map(|i| i.text());
                    match charge {
                        Some("false" | "0") if !code_ok(&L_ALLOWANCE_REASONS, text) => {
                            out.fire(rule!("BR-CL-19"), "BT-98");
                        }
                        Some("true" | "1") if !code_ok(&L_CHARGE_REASONS, text) => {
                            out.fire(rule!("BR-CL-20"), "BT-105");
                        }
                        _ => {}
                    }
                }
                "TaxExemptionReasonCode" => {
                    out.check(
                        code_ok(&L_VATEX, &text.to_ascii_uppercase()),
                        rule!("BR-CL-22"),
                        "BT-121",
                    );
                }
                "InvoicedQuantity" | "BaseQuantity" | "CreditedQuantity" => {
                    if let Some(u) = c.attr("unitCode") {
                        out.check(code_ok(&L_UNITS, u), rule!("BR-CL-23"), "BT-130");
                    }
                }
                "EmbeddedDocumentBinaryObject" => {
                    if let Some(m) = c.attr("mimeCode") {
                        if !L_MIME.has(m) || m != m.trim() {
                            out.fire(rule!("BR-CL-24"), "BT-125");
                        }
                    }
                }
                "EndpointID" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&L_EAS, s), rule!("BR-CL-25"), "BT-34");
                    }
                }
                _ => {}
            }
            if CURRENCY_AMOUNTS.contains(&name) {
                let cur = c.attr("currencyID").unwrap_or("");
                out.check(
                    code_ok(&L_CURRENCIES, cur),
                    rule!("BR-CL-03"),
                    name.to_owned(),
                );
            }
        } else if c.ns() == CAC {
            stack.push(name);
            ubl_walk(c, stack, out);
            stack.pop();
        }
    }
}
