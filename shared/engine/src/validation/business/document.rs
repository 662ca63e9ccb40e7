//! Rules whose context is the invoice root (in either syntax or in one of
//! them), the invoice period and the document references.

use super::{end_not_before_start, named, r2, v};
use crate::model::{DocumentRef, Invoice, Num, Party};
use crate::validation::rule::{rule, Out};

pub(super) fn check(inv: &Invoice, out: &mut Out, cii: bool) {
    let root = inv.at;
    out.check(!inv.customization_id.is_empty(), rule!("BR-01"), root);
    out.check(!inv.number.is_empty(), rule!("BR-02"), root);
    out.check(!inv.issue_date.is_empty(), rule!("BR-03"), root);
    out.check(!inv.type_code.is_empty(), rule!("BR-04"), root);
    out.check(!inv.currency.is_empty(), rule!("BR-05"), root);
    out.check(inv.seller.as_ref().is_some_and(named), rule!("BR-06"), root);
    out.check(inv.buyer.as_ref().is_some_and(named), rule!("BR-07"), root);
    out.check(
        inv.seller.as_ref().is_some_and(|s| s.address().is_some()),
        rule!("BR-08"),
        root,
    );
    out.check(
        inv.buyer.as_ref().is_some_and(|s| s.address().is_some()),
        rule!("BR-10"),
        root,
    );
    if cii {
        // The CII binding checks the country codes from the root (UBL: from
        // the address, `parties`).
        let country = |pt: &Option<Party>| {
            pt.as_ref()
                .and_then(|s| s.address())
                .is_some_and(|a| !a.country.is_empty())
        };
        out.check(country(&inv.seller), rule!("BR-09"), root);
        out.check(country(&inv.buyer), rule!("BR-11"), root);
    }
    out.check(!inv.lines.is_empty(), rule!("BR-16"), root);
    if !cii {
        // `every $taxcurrency in cbc:TaxCurrencyCode satisfies
        // exists(//cac:TaxTotal/cbc:TaxAmount[@currencyID=$taxcurrency])`
        // (CII: on the monetary summation, `totals`).
        let ok = inv.tax_currency_codes.iter().all(|tc| {
            inv.tax_totals
                .iter()
                .any(|t| t.amount_currency.as_deref() == Some(tc.as_str()))
        });
        out.check(ok, rule!("BR-53"), root);
        // CII checks BR-CO-03 on each VAT breakdown and BR-CO-18 on each
        // line (`totals`, `lines`).
        out.check(
            !(inv.tax_point_date && inv.tax_point_code),
            rule!("BR-CO-03"),
            root,
        );
        out.check(inv.subtotals().next().is_some(), rule!("BR-CO-18"), root);
    }
    out.check(total_with_vat_ok(inv, cii), rule!("BR-CO-15"), root);
    // BR-DEC-13 and BR-DEC-15 never fire in UBL: their
    // `//cac:TaxTotal/cbc:TaxAmount[@currencyID = cbc:DocumentCurrencyCode]`
    // reads `cbc:DocumentCurrencyCode` as a child of the TaxAmount (the
    // predicate's context), an empty sequence, so the filter selects nothing
    // and the `or not(…)` branch holds. CII checks them on the monetary
    // summation (`totals`).

    for per in &inv.periods {
        if let (Some(s), Some(e)) = (&per.start, &per.end) {
            out.check(
                !per.without_102 && end_not_before_start(s, e, cii),
                rule!("BR-29"),
                per.at,
            );
        }
        out.check(
            per.start.is_some() || per.end.is_some() || (!cii && per.description_code),
            rule!("BR-CO-19"),
            per.at,
        );
    }
    let non_blank = |d: &DocumentRef| d.id.as_ref().is_some_and(|i| !i.is_empty());
    for d in &inv.preceding {
        // UBL: `exists(cac:InvoiceDocumentReference/cbc:ID)`, a blank one
        // included; CII: `normalize-space(ram:IssuerAssignedID) != ''`.
        let ok = if cii { non_blank(d) } else { d.id.is_some() };
        out.check(ok, rule!("BR-55"), d.at);
    }
    for d in &inv.supporting_docs {
        out.check(non_blank(d), rule!("BR-52"), d.at);
    }
    if let Some(d) = &inv.delivery {
        if cii {
            // Context: ram:ApplicableHeaderTradeDelivery; a ship-to address
            // needs a non-blank country.
            let ok = d.address.as_ref().is_none_or(|a| !a.country.is_empty());
            out.check(ok, rule!("BR-57"), d.at);
        } else if let Some(a) = &d.address {
            // Context: the `cac:DeliveryLocation/cac:Address`.
            out.check(a.country_present, rule!("BR-57"), a.at);
        }
    }
}

/// BR-CO-15, for every BT-5 element `$Currency`: exactly one BT-110 in
/// `$Currency` and BT-112 = round2(BT-109 + BT-110); CII also accepts
/// BT-112 = BT-109. Without a BT-5 element the rule holds (`every` over an
/// empty sequence); a blank one matches no `@currencyID`, so the first
/// condition fails.
fn total_with_vat_ok(inv: &Invoice, cii: bool) -> bool {
    let t = inv.totals.as_ref();
    let incl = t.and_then(|t| v(&t.tax_inclusive));
    let excl = t.and_then(|t| v(&t.tax_exclusive));
    inv.currency_codes.iter().all(|cur| {
        let in_cur: Vec<&Num> = inv
            .tax_totals
            .iter()
            .filter(|t| t.amount_currency.as_deref() == Some(cur.as_str()))
            .filter_map(|t| t.amount.as_ref())
            .collect();
        let sum_ok = match (incl, excl, in_cur.as_slice()) {
            (Some(i), Some(e), [tax]) => tax.val.and_then(|x| e.add(x)).is_some_and(|s| r2(s) == i),
            _ => false,
        };
        sum_ok || (cii && super::eq(incl, excl))
    })
}
