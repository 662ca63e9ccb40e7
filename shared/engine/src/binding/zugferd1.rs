//! ZUGFeRD 1.0 (the CII D13B dialect that predates EN 16931) → EN 16931
//! semantic model. Only the terms of the `invoice` output are mapped: the
//! artefacts have no rules for this syntax, so nothing else is read.

use crate::binding::{code, num, txt};
use crate::input::xml::{Node, Ns};
use crate::model::{
    Address, Binding, Cat, Invoice, Line, Party, Quantity, Subtotal, TaxTotal, Totals, VatId,
};

const RSM: Ns = Ns::ZUGFERD1_RSM;
const RAM: Ns = Ns::ZUGFERD1_RAM;
const UDT: Ns = Ns::ZUGFERD1_UDT;

fn ram(l: &str) -> (Ns, &str) {
    (RAM, l)
}

/// `udt:DateTimeString[@format='102']` text of a date element, as the CII
/// binding reads dates.
fn date102(n: Node<'_>) -> Option<String> {
    crate::binding::date102(n, UDT)
}

/// The first `ram:ApplicableTradeTax` below `n` as a category.
fn cat(t: Node<'_>) -> Cat {
    Cat {
        at: t.loc(),
        codes: t
            .all(&[ram("CategoryCode")])
            .into_iter()
            .map(code)
            .collect(),
        vat: t
            .first(&[ram("TypeCode")])
            .is_some_and(|c| c.text().eq_ignore_ascii_case("VAT")),
        rate: num(t, &[ram("ApplicablePercent")]),
        exemption_reason: false,
        exemption_code: false,
    }
}

fn party(p: Node<'_>) -> Party {
    Party {
        at: p.loc(),
        name: p.first(&[ram("Name")]).map(|e| e.text().to_owned()),
        // BT-31/BT-48: the tax registration with scheme "VA" ("FC" is BT-32).
        vat_ids: p
            .all(&[ram("SpecifiedTaxRegistration"), ram("ID")])
            .into_iter()
            .filter(|id| id.attr("schemeID") == Some("VA"))
            .map(|id| VatId {
                at: id.loc(),
                value: id.text().to_owned(),
            })
            .collect(),
        addresses: p
            .all(&[ram("PostalTradeAddress")])
            .into_iter()
            .map(|a| {
                let country = a.first(&[ram("CountryID")]);
                Address {
                    at: a.loc(),
                    country: country.map(|c| c.text().to_owned()).unwrap_or_default(),
                    country_present: country.is_some(),
                }
            })
            .collect(),
        ..Party::default()
    }
}

fn line(l: Node<'_>) -> Line {
    let qty = l.first(&[
        ram("SpecifiedSupplyChainTradeDelivery"),
        ram("BilledQuantity"),
    ]);
    let settlement = l.first(&[ram("SpecifiedSupplyChainTradeSettlement")]);
    Line {
        at: l.loc(),
        id: txt(l, &[ram("AssociatedDocumentLineDocument"), ram("LineID")]),
        quantity: qty.map(|q| Quantity {
            value: q.text().to_owned(),
            unit_code: q.attr("unitCode").map(str::to_owned),
        }),
        net: settlement.and_then(|s| {
            num(
                s,
                &[
                    ram("SpecifiedTradeSettlementMonetarySummation"),
                    ram("LineTotalAmount"),
                ],
            )
        }),
        item_name: txt(l, &[ram("SpecifiedTradeProduct"), ram("Name")]),
        cats: settlement
            .and_then(|s| s.first(&[ram("ApplicableTradeTax")]))
            .map(cat)
            .into_iter()
            .collect(),
        ..Line::default()
    }
}

pub(crate) fn build(root: Node<'_>) -> Invoice {
    let header = root.first(&[(RSM, "HeaderExchangedDocument")]);
    let tx = root.first(&[(RSM, "SpecifiedSupplyChainTradeTransaction")]);
    let agreement = tx.and_then(|t| t.first(&[ram("ApplicableSupplyChainTradeAgreement")]));
    let settlement = tx.and_then(|t| t.first(&[ram("ApplicableSupplyChainTradeSettlement")]));
    let summation =
        settlement.and_then(|s| s.first(&[ram("SpecifiedTradeSettlementMonetarySummation")]));
    let currency = settlement
        .map(|s| txt(s, &[ram("InvoiceCurrencyCode")]))
        .unwrap_or_default();
    let subtotals: Vec<Subtotal> = settlement
        .map(|s| s.all(&[ram("ApplicableTradeTax")]))
        .unwrap_or_default()
        .into_iter()
        .map(|t| Subtotal {
            at: t.loc(),
            taxable: num(t, &[ram("BasisAmount")]),
            tax: num(t, &[ram("CalculatedAmount")]),
            // No rules run on ZUGFeRD 1.0: only the category as written.
            vat_cats: Vec::new(),
            category: Some(cat(t)),
            codes: Vec::new(),
            vat_rate: None,
        })
        .collect();
    // One TaxTotal per TaxTotalAmount, the breakdown on the first, as the
    // CII binding does.
    let mut tax_totals: Vec<TaxTotal> = summation
        .map(|s| s.all(&[ram("TaxTotalAmount")]))
        .unwrap_or_default()
        .into_iter()
        .map(|a| TaxTotal {
            at: a.loc(),
            amount: Some(crate::model::Num::new(a.raw_text())),
            amount_currency: a.attr("currencyID").map(str::to_owned),
            subtotals: Vec::new(),
        })
        .collect();
    match tax_totals.first_mut() {
        Some(first) => first.subtotals = subtotals,
        None if !subtotals.is_empty() => tax_totals.push(TaxTotal {
            at: settlement.map_or(root.loc(), |s| s.loc()),
            amount: None,
            amount_currency: None,
            subtotals,
        }),
        None => {}
    }
    let trade_party = |name: &str| agreement.and_then(|a| a.first(&[ram(name)])).map(party);
    Invoice {
        at: root.loc(),
        binding: Binding::Zugferd1,
        customization_id: txt(
            root,
            &[
                (RSM, "SpecifiedExchangedDocumentContext"),
                ram("GuidelineSpecifiedDocumentContextParameter"),
                ram("ID"),
            ],
        ),
        number: header.map(|h| txt(h, &[ram("ID")])).unwrap_or_default(),
        issue_date: header
            .and_then(|h| h.first(&[ram("IssueDateTime")]))
            .and_then(date102)
            .unwrap_or_default(),
        type_code: header
            .map(|h| txt(h, &[ram("TypeCode")]))
            .unwrap_or_default(),
        currency,
        currency_codes: Vec::new(),
        tax_currency_codes: Vec::new(),
        tax_currency: None,
        due_date: settlement
            .map(|s| s.all(&[ram("SpecifiedTradePaymentTerms"), ram("DueDateDateTime")]))
            .unwrap_or_default()
            .into_iter()
            .find_map(date102)
            .unwrap_or_default(),
        buyer_reference: agreement
            .map(|a| txt(a, &[ram("BuyerReference")]))
            .unwrap_or_default(),
        tax_point_date: false,
        tax_point_code: false,
        periods: Vec::new(),
        preceding: Vec::new(),
        supporting_docs: Vec::new(),
        seller_at: None,
        seller: trade_party("SellerTradeParty"),
        buyer: trade_party("BuyerTradeParty"),
        payee: None,
        tax_rep: None,
        delivery: None,
        payment_means: Vec::new(),
        allowance_charges: Vec::new(),
        lines: tx
            .map(|t| t.all(&[ram("IncludedSupplyChainTradeLineItem")]))
            .unwrap_or_default()
            .into_iter()
            .map(line)
            .collect(),
        tax_totals,
        line_subtotals: Vec::new(),
        more_totals: Vec::new(),
        totals: summation.map(|m| Totals {
            at: m.loc(),
            line_net: num(m, &[ram("LineTotalAmount")]),
            allowances: num(m, &[ram("AllowanceTotalAmount")]),
            charges: num(m, &[ram("ChargeTotalAmount")]),
            tax_exclusive: num(m, &[ram("TaxBasisTotalAmount")]),
            tax_inclusive: num(m, &[ram("GrandTotalAmount")]),
            prepaid: num(m, &[ram("TotalPrepaidAmount")]),
            rounding: num(m, &[ram("RoundingAmount")]),
            payable: num(m, &[ram("DuePayableAmount")]),
        }),
        country_codes: Vec::new(),
    }
}
