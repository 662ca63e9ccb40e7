//! UN/CEFACT CII → EN 16931 (mapping of EN 16931-3-3), for CII D16B and for
//! its predecessor ZUGFeRD 1.0 (CII D13B-based), which has the same shape
//! under different element names and namespaces.

use crate::input::xml::{Node, Ns};
use crate::output::{Invoice, Kind, Line, Party, Totals, VatBreakdown};

/// Element names and namespaces of one CII dialect.
pub(crate) struct Vocab {
    rsm: Ns,
    ram: Ns,
    udt: Ns,
    context: &'static str,
    header: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    settlement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    header_summation: &'static str,
    line_summation: &'static str,
    rate: &'static str,
}

pub(crate) const D16B: Vocab = Vocab {
    rsm: Ns::CII_RSM,
    ram: Ns::CII_RAM,
    udt: Ns::CII_UDT,
    context: "ExchangedDocumentContext",
    header: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    settlement: "ApplicableHeaderTradeSettlement",
    line_delivery: "SpecifiedLineTradeDelivery",
    line_settlement: "SpecifiedLineTradeSettlement",
    header_summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
    line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
    rate: "RateApplicablePercent",
};

pub(crate) const ZUGFERD1: Vocab = Vocab {
    rsm: Ns::ZUGFERD1_RSM,
    ram: Ns::ZUGFERD1_RAM,
    udt: Ns::ZUGFERD1_UDT,
    context: "SpecifiedExchangedDocumentContext",
    header: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    settlement: "ApplicableSupplyChainTradeSettlement",
    line_delivery: "SpecifiedSupplyChainTradeDelivery",
    line_settlement: "SpecifiedSupplyChainTradeSettlement",
    header_summation: "SpecifiedTradeSettlementMonetarySummation",
    line_summation: "SpecifiedTradeSettlementMonetarySummation",
    rate: "ApplicablePercent",
};

/// UNTDID 1001 document types that EN 16931 treats as credit notes.
const CREDIT_NOTE_TYPES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// CII has one root for invoices and credit notes; the type code (BT-3) tells.
pub(crate) fn kind_of(inv: &Invoice) -> Kind {
    match inv.type_code.as_deref() {
        Some(t) if CREDIT_NOTE_TYPES.contains(&t) => Kind::CreditNote,
        _ => Kind::Invoice,
    }
}

/// Returns (BT-24 customization id, invoice).
pub(crate) fn extract(root: Node<'_>, v: &Vocab) -> (Option<String>, Invoice) {
    let rsm = |l: &'static str| (v.rsm, l);
    let ram = |l: &'static str| (v.ram, l);
    let customization = root.text_at(&[
        rsm(v.context),
        ram("GuidelineSpecifiedDocumentContextParameter"),
        ram("ID"),
    ]);
    let header = root.first(&[rsm(v.header)]);
    let h = |path: &[(Ns, &str)]| header.and_then(|n| n.text_at(path));
    let tx = root.first(&[rsm(v.transaction)]);
    let agreement = tx.and_then(|t| t.first(&[ram(v.agreement)]));
    let settlement = tx.and_then(|t| t.first(&[ram(v.settlement)]));
    let s_text = |path: &[(Ns, &str)]| settlement.and_then(|n| n.text_at(path));

    let currency = s_text(&[ram("InvoiceCurrencyCode")]);
    // BT-9: the first payment terms that carry a due date.
    let due_date = settlement.and_then(|s| {
        s.all(&[ram("SpecifiedTradePaymentTerms"), ram("DueDateDateTime")])
            .into_iter()
            .find_map(|d| cii_date(d, v))
    });

    let lines = tx
        .map(|t| t.all(&[ram("IncludedSupplyChainTradeLineItem")]))
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let qty = l.first(&[ram(v.line_delivery), ram("BilledQuantity")]);
            let line_settlement = l.first(&[ram(v.line_settlement)]);
            let tax = line_settlement.and_then(|s| s.first(&[ram("ApplicableTradeTax")]));
            Line {
                id: l.text_at(&[ram("AssociatedDocumentLineDocument"), ram("LineID")]),
                quantity: qty.map(|q| q.text().to_owned()).filter(|s| !s.is_empty()),
                unit_code: qty.and_then(|q| q.attr("unitCode")).map(str::to_owned),
                net_amount: line_settlement
                    .and_then(|s| s.text_at(&[ram(v.line_summation), ram("LineTotalAmount")])),
                item_name: l.text_at(&[ram("SpecifiedTradeProduct"), ram("Name")]),
                vat_category: tax.and_then(|t| t.text_at(&[ram("CategoryCode")])),
                vat_rate: tax.and_then(|t| t.text_at(&[ram(v.rate)])),
            }
        })
        .collect();

    let vat_breakdown = settlement
        .map(|s| s.all(&[ram("ApplicableTradeTax")]))
        .unwrap_or_default()
        .into_iter()
        .map(|t| VatBreakdown {
            category: t.text_at(&[ram("CategoryCode")]),
            rate: t.text_at(&[ram(v.rate)]),
            taxable_amount: t.text_at(&[ram("BasisAmount")]),
            tax_amount: t.text_at(&[ram("CalculatedAmount")]),
        })
        .collect();

    let sum = settlement.and_then(|s| s.first(&[ram(v.header_summation)]));
    let m = |name: &'static str| sum.and_then(|s| s.text_at(&[ram(name)]));
    // BT-110 is the TaxTotalAmount in the invoice currency; another one in
    // the tax currency is BT-111.
    let tax_total = sum.and_then(|s| {
        let all = s.all(&[ram("TaxTotalAmount")]);
        all.iter()
            .find(|a| currency.is_some() && a.attr("currencyID") == currency.as_deref())
            .or_else(|| all.iter().find(|a| a.attr("currencyID").is_none()))
            .or_else(|| all.first())
            .map(|a| a.text().to_owned())
            .filter(|t| !t.is_empty())
    });
    let totals = Totals {
        line_net_total: m("LineTotalAmount"),
        allowance_total: m("AllowanceTotalAmount"),
        charge_total: m("ChargeTotalAmount"),
        tax_exclusive: m("TaxBasisTotalAmount"),
        tax_total,
        tax_inclusive: m("GrandTotalAmount"),
        prepaid: m("TotalPrepaidAmount"),
        rounding: m("RoundingAmount"),
        payable: m("DuePayableAmount"),
    };

    let party = |name: &'static str| party(agreement.and_then(|a| a.first(&[ram(name)])), v);
    let invoice = Invoice {
        number: h(&[ram("ID")]),
        issue_date: header
            .and_then(|n| n.first(&[ram("IssueDateTime")]))
            .and_then(|d| cii_date(d, v)),
        type_code: h(&[ram("TypeCode")]),
        currency,
        due_date,
        buyer_reference: agreement.and_then(|a| a.text_at(&[ram("BuyerReference")])),
        seller: party("SellerTradeParty"),
        buyer: party("BuyerTradeParty"),
        lines,
        vat_breakdown,
        totals,
    };
    (customization, invoice)
}

fn party(p: Option<Node<'_>>, v: &Vocab) -> Party {
    let Some(p) = p else {
        return Party::default();
    };
    let ram = |l: &'static str| (v.ram, l);
    // BT-31/BT-48: the tax registration with scheme "VA" ("FC" is BT-32).
    let vat_id = p
        .all(&[ram("SpecifiedTaxRegistration"), ram("ID")])
        .into_iter()
        .find(|id| id.attr("schemeID") == Some("VA"))
        .map(|id| id.text().to_owned())
        .filter(|t| !t.is_empty());
    Party {
        name: p.text_at(&[ram("Name")]),
        vat_id,
        country_code: p.text_at(&[ram("PostalTradeAddress"), ram("CountryID")]),
    }
}

/// `udt:DateTimeString` → `YYYY-MM-DD`. Format 102 is `CCYYMMDD`; an ISO date
/// is passed through; other formats (610 month, 616 week) are not a day and
/// are dropped rather than invented.
fn cii_date(el: Node<'_>, v: &Vocab) -> Option<String> {
    let s = el.first(&[(v.udt, "DateTimeString")])?;
    let text = s.text();
    match s.attr("format") {
        Some("102") | None => {
            let b = text.as_bytes();
            if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
                Some(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..8]))
            } else {
                super::ubl::date(text)
            }
        }
        Some(_) => None,
    }
}
