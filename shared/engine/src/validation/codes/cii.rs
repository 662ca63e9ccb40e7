//! The CII binding of the code list rules (BR-CL-*): one walk over the tree.

use super::code_ok;
use crate::binding::cii::indicator;
use crate::input::xml::{Node, Ns};
use crate::validation::codes;
use crate::validation::rule::{rule, Out};

const RAM: Ns = Ns::CII_RAM;

/// UNTDID 2475 restriction for CII BT-8 (BR-CL-06).
const VAT_POINT_CII: &[&str] = &["5", "29", "72"];

/// BR-CL-* on a CII document: one walk over the tree.
pub(crate) fn cii(root: Node<'_>, out: &mut Out) {
    fn go(n: Node<'_>, grandparent: &str, out: &mut Out) {
        for c in n.children() {
            if c.ns() != RAM {
                go(c, n.local_name(), out);
                continue;
            }
            let parent = n.local_name();
            let text = c.text();
            match c.local_name() {
                "TypeCode" if parent == "ExchangedDocument" => {
                    out.check(
                        code_ok(&codes::L_INVOICE_TYPES, text)
                            || code_ok(&codes::L_CREDIT_NOTE_TYPES, text),
                        rule!("BR-CL-01"),
                        "BT-3",
                    );
                }
                "TypeCode" if parent == "SpecifiedTradeSettlementPaymentMeans" => {
                    out.check(
                        code_ok(&codes::L_PAYMENT_MEANS, text),
                        rule!("BR-CL-16"),
                        "BT-81",
                    );
                }
                "InvoiceCurrencyCode" => {
                    out.check(
                        code_ok(&codes::L_CURRENCIES, text),
                        rule!("BR-CL-04"),
                        "BT-5",
                    );
                }
                "TaxCurrencyCode" => {
                    out.check(
                        code_ok(&codes::L_CURRENCIES, text),
                        rule!("BR-CL-05"),
                        "BT-6",
                    );
                }
                "DueDateTypeCode" => {
                    out.check(VAT_POINT_CII.contains(&text), rule!("BR-CL-06"), "BT-8");
                }
                "TaxTotalAmount" => {
                    if let Some(cur) = c.attr("currencyID") {
                        out.check(
                            code_ok(&codes::L_CURRENCIES, cur),
                            rule!("BR-CL-03"),
                            "BT-110",
                        );
                    }
                }
                "ID" | "GlobalID"
                    if matches!(
                        parent,
                        "SellerTradeParty" | "BuyerTradeParty" | "PayeeTradeParty"
                    ) =>
                {
                    if let Some(s) = c.attr("schemeID") {
                        let sepa = s.trim() == "SEPA" && parent != "BuyerTradeParty";
                        if !code_ok(&codes::L_ICD, s) && !sepa {
                            out.fire(rule!("BR-CL-10"), "BT-29");
                        }
                    }
                }
                "ID" if parent == "SpecifiedLegalOrganization" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&codes::L_ICD, s), rule!("BR-CL-11"), "BT-30");
                    }
                }
                "GlobalID" if parent == "SpecifiedTradeProduct" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&codes::L_ICD, s), rule!("BR-CL-21"), "BT-157");
                    }
                }
                "GlobalID" | "ID" if parent == "ShipToTradeParty" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&codes::L_ICD, s), rule!("BR-CL-26"), "BT-71");
                    }
                }
                "ClassCode" => {
                    if let Some(s) = c.attr("listID") {
                        out.check(code_ok(&codes::L_7143, s), rule!("BR-CL-13"), "BT-158");
                    }
                }
                "CountryID" if parent == "PostalTradeAddress" => {
                    out.check(
                        code_ok(&codes::L_COUNTRIES, text),
                        rule!("BR-CL-14"),
                        "BT-40",
                    );
                }
                "ID" if parent == "OriginTradeCountry" => {
                    out.check(
                        code_ok(&codes::L_COUNTRIES, text),
                        rule!("BR-CL-15"),
                        "BT-159",
                    );
                }
                // The artefact names the rule by the code's parent: a
                // breakdown's or a line's ApplicableTradeTax (BR-CL-18), an
                // allowance's or charge's CategoryTradeTax (BR-CL-17).
                "CategoryCode" if !code_ok(&codes::L_VAT_CATEGORIES, text) => match parent {
                    "ApplicableTradeTax" => out.fire(
                        rule!("BR-CL-18"),
                        if grandparent == "SpecifiedLineTradeSettlement" {
                            "BT-151"
                        } else {
                            "BT-118"
                        },
                    ),
                    "CategoryTradeTax" => out.fire(rule!("BR-CL-17"), "BT-95"),
                    _ => {}
                },
                "ReasonCode" if parent == "SpecifiedTradeAllowanceCharge" => match indicator(n) {
                    Some(false) if !code_ok(&codes::L_ALLOWANCE_REASONS, text) => {
                        out.fire(rule!("BR-CL-19"), "BT-98");
                    }
                    Some(true) if !code_ok(&codes::L_CHARGE_REASONS, text) => {
                        out.fire(rule!("BR-CL-20"), "BT-105");
                    }
                    _ => {}
                },
                "ExemptionReasonCode" => {
                    out.check(
                        code_ok(&codes::L_VATEX, &text.to_ascii_uppercase()),
                        rule!("BR-CL-22"),
                        "BT-121",
                    );
                }
                "BilledQuantity" | "BasisQuantity" => {
                    if let Some(u) = c.attr("unitCode") {
                        out.check(code_ok(&codes::L_UNITS, u), rule!("BR-CL-23"), "BT-130");
                    }
                }
                "AttachmentBinaryObject" => {
                    if let Some(m) = c.attr("mimeCode") {
                        if !codes::L_MIME.has(m) || m != m.trim() {
                            out.fire(rule!("BR-CL-24"), "BT-125");
                        }
                    }
                }
                "URIID" => {
                    if let Some(s) = c.attr("schemeID") {
                        out.check(code_ok(&codes::L_EAS, s), rule!("BR-CL-25"), "BT-34");
                    }
                }
                _ => {}
            }
            go(c, n.local_name(), out);
        }
    }
    go(root, "", out);
}
