//! The CII binding of the code list rules (BR-CL-*): one walk over every
//! element. Each check runs on the element the artefact's template matches
//! (its context, where it reports). In the code list pattern an element is
//! checked by its highest-priority matching template only, so the order of
//! the tests below is the artefact's: a `ram:ID` with a scheme is BR-CL-11's
//! even under ram:OriginTradeCountry, a product's `ram:GlobalID` is
//! BR-CL-21's and not BR-CL-10's.

use super::{
    some_indicator_is, L_1153, L_7143, L_ALLOWANCE_REASONS, L_CHARGE_REASONS, L_CII_COUNTRIES,
    L_CII_DOCUMENT_TYPES, L_CII_SUBJECTS, L_CII_VAT_POINT, L_CURRENCIES, L_EAS, L_ICD, L_MIME,
    L_PAYMENT_MEANS, L_UNITS, L_VATEX, L_VAT_CATEGORIES,
};
use crate::input::xml::{Node, Ns};
use crate::validation::rule::{rule, Out};

const RSM: Ns = Ns::CII_RSM;
const RAM: Ns = Ns::CII_RAM;
const UDT: Ns = Ns::CII_UDT;

/// Which of the ancestors some templates exclude or require an element has.
#[derive(Clone, Copy, Default)]
struct Below {
    product: bool,
    ship_to: bool,
    tax_registration: bool,
}

impl Below {
    /// The flags of the children of `n`, whose own flags are `self`.
    fn enter(self, n: Node<'_>) -> Below {
        Below {
            product: self.product || n.is(RAM, "SpecifiedTradeProduct"),
            ship_to: self.ship_to || n.is(RAM, "ShipToTradeParty"),
            tax_registration: self.tax_registration || n.is(RAM, "SpecifiedTaxRegistration"),
        }
    }
}

/// BR-CL-* on a CII document.
pub(crate) fn cii(root: Node<'_>, out: &mut Out) {
    walk(root, None, Below::default().enter(root), out);
}

/// Checks the children of `n` (child of `up`; `below`: the flags of the
/// children) and their subtrees.
fn walk(n: Node<'_>, up: Option<Node<'_>>, below: Below, out: &mut Out) {
    for c in n.children() {
        if c.ns() == RAM {
            element(c, n, up, below, out);
        }
        walk(c, Some(n), below.enter(c), out);
    }
}

/// The checks whose context is the ram element `c`, child of `parent`,
/// grandchild of `grandparent`.
fn element(
    c: Node<'_>,
    parent: Node<'_>,
    grandparent: Option<Node<'_>>,
    below: Below,
    out: &mut Out,
) {
    let text = c.text();
    let under = |local: &str| parent.is(RAM, local);
    match c.local_name() {
        "TypeCode" if parent.is(RSM, "ExchangedDocument") => {
            out.check(L_CII_DOCUMENT_TYPES.admits(text), rule!("BR-CL-01"), c);
        }
        "TypeCode" if under("SpecifiedTradeSettlementPaymentMeans") => {
            out.check(L_PAYMENT_MEANS.admits(text), rule!("BR-CL-16"), c);
        }
        "TaxTotalAmount" => {
            if let Some(currency) = c.attr("currencyID") {
                out.check(L_CURRENCIES.admits(currency), rule!("BR-CL-03"), c);
            }
        }
        "InvoiceCurrencyCode" => out.check(L_CURRENCIES.admits(text), rule!("BR-CL-04"), c),
        "TaxCurrencyCode" => out.check(L_CURRENCIES.admits(text), rule!("BR-CL-05"), c),
        "DueDateTypeCode" => out.check(L_CII_VAT_POINT.admits(text), rule!("BR-CL-06"), c),
        "ReferenceTypeCode" => out.check(L_1153.admits(text), rule!("BR-CL-07"), c),
        "SubjectCode" => out.check(L_CII_SUBJECTS.admits(text), rule!("BR-CL-08"), c),
        "GlobalID" => {
            let Some(s) = c.attr("schemeID") else {
                return;
            };
            if !below.product && !below.ship_to {
                out.check(L_ICD.admits(s), rule!("BR-CL-10"), c);
            } else if under("SpecifiedTradeProduct") {
                out.check(L_ICD.admits(s), rule!("BR-CL-21"), c);
            } else if under("ShipToTradeParty")
                && grandparent.is_some_and(|g| g.is(RAM, "ApplicableHeaderTradeDelivery"))
            {
                out.check(L_ICD.admits(s), rule!("BR-CL-26"), c);
            }
        }
        "ID" => match c.attr("schemeID") {
            Some(s) if !below.tax_registration => {
                out.check(L_ICD.admits(s), rule!("BR-CL-11"), c);
            }
            _ if under("OriginTradeCountry") => {
                out.check(L_CII_COUNTRIES.admits(text), rule!("BR-CL-15"), c);
            }
            _ => {}
        },
        "ClassCode" => {
            if let Some(s) = c.attr("listID") {
                out.check(L_7143.admits(s), rule!("BR-CL-13"), c);
            }
        }
        "CountryID" => out.check(L_CII_COUNTRIES.admits(text), rule!("BR-CL-14"), c),
        "CategoryCode" if under("CategoryTradeTax") => {
            out.check(L_VAT_CATEGORIES.admits(text), rule!("BR-CL-17"), c);
        }
        "CategoryCode" if under("ApplicableTradeTax") => {
            out.check(L_VAT_CATEGORIES.admits(text), rule!("BR-CL-18"), c);
        }
        "ReasonCode" if under("SpecifiedTradeAllowanceCharge") => {
            // The allowance template ranks above the charge one.
            let indicators = || {
                parent
                    .children_named(RAM, "ChargeIndicator")
                    .flat_map(|i| i.children_named(UDT, "Indicator"))
            };
            if some_indicator_is(indicators(), false) {
                out.check(L_ALLOWANCE_REASONS.admits(text), rule!("BR-CL-19"), c);
            } else if some_indicator_is(indicators(), true) {
                out.check(L_CHARGE_REASONS.admits(text), rule!("BR-CL-20"), c);
            }
        }
        "ExemptionReasonCode" => {
            out.check(L_VATEX.admits(&text.to_uppercase()), rule!("BR-CL-22"), c);
        }
        "BasisQuantity" | "BilledQuantity" => {
            if let Some(u) = c.attr("unitCode") {
                out.check(L_UNITS.admits(u), rule!("BR-CL-23"), c);
            }
        }
        "AttachmentBinaryObject" => {
            if let Some(m) = c.attr("mimeCode") {
                out.check(L_MIME.holds_exactly(m), rule!("BR-CL-24"), c);
            }
        }
        "URIID" if under("URIUniversalCommunication") => {
            if let Some(s) = c.attr("schemeID") {
                out.check(L_EAS.admits(s), rule!("BR-CL-25"), c);
            }
        }
        _ => {}
    }
}
