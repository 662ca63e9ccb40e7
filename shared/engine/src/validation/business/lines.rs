//! BG-25 (invoice lines, their periods and allowances/charges) and the
//! document-level allowances and charges (BG-20, BG-21).

use super::{dec_ok, end_not_before_start, is_blank, xs_double};
use crate::input::xml::Loc;
use crate::model::{AllowanceCharge, Invoice, Line};
use crate::validation::rule::{rule, Out, Rule};

pub(super) fn check(inv: &Invoice, out: &mut Out, cii: bool) {
    for l in &inv.lines {
        line(inv, l, out, cii);
    }
    for ac in &inv.allowance_charges {
        let [amount, vat, reason, reason_co, dec_amount, dec_base]: [&'static Rule; 6] =
            match ac.charge {
                Some(false) => [
                    rule!("BR-31"),
                    rule!("BR-32"),
                    rule!("BR-33"),
                    rule!("BR-CO-21"),
                    rule!("BR-DEC-01"),
                    rule!("BR-DEC-02"),
                ],
                Some(true) => [
                    rule!("BR-36"),
                    rule!("BR-37"),
                    rule!("BR-38"),
                    rule!("BR-CO-22"),
                    rule!("BR-DEC-05"),
                    rule!("BR-DEC-06"),
                ],
                None => continue,
            };
        let Some(at) = context(ac, cii) else { continue };
        let has_reason = ac.reason || ac.reason_code;
        out.check(ac.amount.is_some(), amount, at);
        out.check(ac.cats.iter().any(|c| c.vat && c.code().is_some()), vat, at);
        out.check(has_reason, reason, at);
        out.check(has_reason, reason_co, at);
        out.check(dec_ok(&ac.amount), dec_amount, at);
        out.check(dec_ok(&ac.base), dec_base, at);
    }
}

/// The context of the allowance/charge rules: UBL the `cac:AllowanceCharge`;
/// CII its `ram:ChargeIndicator`.
fn context(ac: &AllowanceCharge, cii: bool) -> Option<Loc> {
    if cii {
        ac.indicator_at
    } else {
        Some(ac.at)
    }
}

/// Context: UBL `cac:InvoiceLine | cac:CreditNoteLine`, CII
/// `ram:IncludedSupplyChainTradeLineItem`.
fn line(inv: &Invoice, l: &Line, out: &mut Out, cii: bool) {
    let at = l.at;
    out.check(!l.id.is_empty(), rule!("BR-21"), at);
    out.check(l.quantity.is_some(), rule!("BR-22"), at);
    out.check(
        l.quantity.as_ref().is_some_and(|q| q.unit_code.is_some()),
        rule!("BR-23"),
        at,
    );
    out.check(l.net.is_some(), rule!("BR-24"), at);
    out.check(!l.item_name.is_empty(), rule!("BR-25"), at);
    out.check(l.net_price.is_some(), rule!("BR-26"), at);
    // `(…/ChargeAmount) >= 0` compares the untyped price as an xs:double.
    out.check(
        l.net_price
            .as_ref()
            .and_then(|price| xs_double(&price.raw))
            .is_some_and(saxon_ge_zero),
        rule!("BR-27"),
        at,
    );
    out.check(
        l.gross_prices.is_empty()
            || l.gross_prices
                .iter()
                .any(|g| xs_double(&g.raw).is_some_and(saxon_ge_zero)),
        rule!("BR-28"),
        at,
    );
    out.check(
        l.cats.iter().any(|c| c.vat && c.code().is_some()),
        rule!("BR-CO-04"),
        at,
    );
    if cii {
        // The CII binding checks "a VAT breakdown exists" on each line (UBL:
        // from the root, `document`).
        out.check(inv.subtotals().next().is_some(), rule!("BR-CO-18"), at);
    }
    out.check(dec_ok(&l.net), rule!("BR-DEC-23"), at);
    for per in &l.periods {
        if let (Some(s), Some(e)) = (&per.start, &per.end) {
            out.check(
                !per.without_102 && end_not_before_start(s, e, cii),
                rule!("BR-30"),
                per.at,
            );
        }
        out.check(
            per.start.is_some() || per.end.is_some(),
            rule!("BR-CO-20"),
            per.at,
        );
    }
    for ac in &l.allowance_charges {
        let [amount, reason, reason_co, dec_amount, dec_base]: [&'static Rule; 5] = match ac.charge
        {
            Some(false) => [
                rule!("BR-41"),
                rule!("BR-42"),
                rule!("BR-CO-23"),
                rule!("BR-DEC-24"),
                rule!("BR-DEC-25"),
            ],
            Some(true) => [
                rule!("BR-43"),
                rule!("BR-44"),
                rule!("BR-CO-24"),
                rule!("BR-DEC-27"),
                rule!("BR-DEC-28"),
            ],
            None => continue,
        };
        let Some(at) = context(ac, cii) else { continue };
        let has_reason = ac.reason || ac.reason_code;
        out.check(ac.amount.is_some(), amount, at);
        out.check(has_reason, reason, at);
        out.check(has_reason, reason_co, at);
        out.check(dec_ok(&ac.amount), dec_amount, at);
        out.check(dec_ok(&ac.base), dec_base, at);
    }
    for a in &l.attributes {
        out.check(a.name && a.value, rule!("BR-54"), a.at);
    }
    let non_blank = |s: &Option<String>| s.as_deref().is_some_and(|s| !is_blank(s));
    if cii {
        // `normalize-space(ram:SpecifiedTradeProduct/ram:GlobalID/@schemeID)
        // != '' or not(…/ram:GlobalID)`, once per line.
        if let Some(id) = l.standard_ids.first() {
            out.check(non_blank(&id.scheme), rule!("BR-64"), at);
        }
    } else {
        for id in &l.standard_ids {
            out.check(id.scheme.is_some(), rule!("BR-64"), id.at);
        }
    }
    for c in &l.classifications {
        // UBL `exists(@listID)` on the code; CII on the classification,
        // `normalize-space(ram:ClassCode/@listID) != '' or not(ram:ClassCode)`.
        let ok = if cii {
            !c.code || non_blank(&c.list_id)
        } else {
            c.list_id.is_some()
        };
        out.check(ok, rule!("BR-65"), c.at);
    }
}

/// `x >= 0` on an untyped amount cast to xs:double as Saxon evaluates it: a
/// negative zero (`-0.00`) is ordered below 0 (the official verdict fires
/// BR-28 on a `cbc:BaseAmount` of `-0.00`), NaN is not >= anything.
fn saxon_ge_zero(x: f64) -> bool {
    x > 0.0 || (x == 0.0 && x.is_sign_positive())
}
