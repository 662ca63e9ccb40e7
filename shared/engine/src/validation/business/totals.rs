//! BG-22 (document totals, the context of most rules on amounts), the VAT
//! total (BR-CO-14) and each VAT breakdown (BG-23).

use super::{
    cents_as_double, dec_ok, eq, r2, saxon_double_eq, sum_doubles, v, within_one, xpath_round,
    xs_double,
};
use crate::dec::{sum, Dec};
use crate::model::{AllowanceCharge, Invoice, Num, Subtotal, TaxTotal, Totals};
use crate::validation::rule::{rule, Out, Rule};

pub(super) fn check(inv: &Invoice, out: &mut Out, cii: bool) {
    for t in inv.totals.iter().chain(&inv.more_totals) {
        document_totals(inv, t, out, cii);
        if cii {
            summation_vat(inv, t, out);
        }
    }
    for tt in &inv.tax_totals {
        if cii {
            vat_total_cii(inv, tt, out);
        } else if !tt.subtotals.is_empty() {
            // `xs:decimal(cbc:TaxAmount) = round(sum(cac:TaxSubtotal/
            // xs:decimal(cbc:TaxAmount)) * 10 * 10) div 100 or
            // not(cac:TaxSubtotal)`.
            let s = sum(tt.subtotals.iter().filter_map(|s| v(&s.tax))).map(r2);
            out.check(eq(v(&tt.amount), s), rule!("BR-CO-14"), tt.at);
        }
        for s in &tt.subtotals {
            if cii && matched_by_its_category_rule(s) {
                continue;
            }
            subtotal(inv, s, out, cii);
        }
    }
    for s in &inv.line_subtotals {
        subtotal(inv, s, out, cii);
    }
}

/// Context: UBL `cac:LegalMonetaryTotal`, CII
/// `ram:SpecifiedTradeSettlementHeaderMonetarySummation`.
fn document_totals(inv: &Invoice, t: &Totals, out: &mut Out, cii: bool) {
    let at = t.at;
    out.check(t.line_net.is_some(), rule!("BR-12"), at);
    out.check(t.tax_exclusive.is_some(), rule!("BR-13"), at);
    out.check(t.tax_inclusive.is_some(), rule!("BR-14"), at);
    out.check(t.payable.is_some(), rule!("BR-15"), at);

    // UBL sums `xs:decimal(cbc:LineExtensionAmount)`; CII
    // `xs:decimal(sum(…/ram:LineTotalAmount))`, a sum of the untyped
    // amounts, so of doubles (exponent forms included; one that is no
    // number makes the sum an error), cast with its exact binary value.
    let line_sum = if cii {
        inv.lines
            .iter()
            .filter_map(|l| l.net.as_ref())
            .try_fold(0.0_f64, |acc, n| xs_double(&n.raw).map(|x| acc + x))
            .and_then(|s| Dec::round_f64(s, 2))
    } else {
        sum(inv.lines.iter().filter_map(|l| l.net_val())).map(r2)
    };
    out.check(eq(v(&t.line_net), line_sum), rule!("BR-CO-10"), at);

    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    let ok = (t.allowances.is_none() && allowances.is_empty())
        || eq(
            v(&t.allowances),
            sum(allowances.iter().filter_map(|a| a.amount_val())).map(r2),
        );
    out.check(ok, rule!("BR-CO-11"), at);
    let ok = (t.charges.is_none() && charges.is_empty())
        || eq(
            v(&t.charges),
            sum(charges.iter().filter_map(|a| a.amount_val())).map(r2),
        );
    out.check(ok, rule!("BR-CO-12"), at);

    // BR-CO-13: BT-109 = BT-106 - BT-107 + BT-108 (absent terms are 0; an
    // absent or unreadable present term fails).
    let ok = (|| {
        let mut x = v(&t.line_net)?;
        if let Some(a) = &t.allowances {
            x = x.sub(a.val?)?;
        }
        if let Some(c) = &t.charges {
            x = x.add(c.val?)?;
        }
        let want = if t.allowances.is_none() && t.charges.is_none() && !cii {
            x
        } else {
            r2(x)
        };
        Some(v(&t.tax_exclusive)? == want)
    })()
    .unwrap_or(false);
    out.check(ok, rule!("BR-CO-13"), at);

    // BR-CO-16: BT-115 = BT-112 - BT-113 + BT-114.
    let ok = (|| {
        let payable = v(&t.payable)?;
        let incl = v(&t.tax_inclusive)?;
        if cii {
            let prepaid = match &t.prepaid {
                Some(n) => n.val?,
                None => Dec::ZERO,
            };
            let rounding = match &t.rounding {
                Some(n) => n.val?,
                None => Dec::ZERO,
            };
            return Some(payable == incl.sub(prepaid)?.add(rounding)?);
        }
        let lhs = match &t.rounding {
            Some(r) => r2(payable.sub(r.val?)?),
            None => payable,
        };
        let rhs = match &t.prepaid {
            Some(pp) => r2(incl.sub(pp.val?)?),
            None => incl,
        };
        Some(lhs == rhs)
    })()
    .unwrap_or(false);
    out.check(ok, rule!("BR-CO-16"), at);

    // No BR-CO-25 (due date or payment terms when an amount is due): the
    // v1.3.16 artefacts do not have it; they fire it on none of the 1140
    // per-rule test documents, its own test set included.

    let decs: [(&Option<Num>, &'static Rule); 8] = [
        (&t.line_net, rule!("BR-DEC-09")),
        (&t.allowances, rule!("BR-DEC-10")),
        (&t.charges, rule!("BR-DEC-11")),
        (&t.tax_exclusive, rule!("BR-DEC-12")),
        (&t.tax_inclusive, rule!("BR-DEC-14")),
        (&t.prepaid, rule!("BR-DEC-16")),
        (&t.rounding, rule!("BR-DEC-17")),
        (&t.payable, rule!("BR-DEC-18")),
    ];
    for (n, id) in decs {
        out.check(dec_ok(n), id, at);
    }
}

/// The CII rules on the summation's `ram:TaxTotalAmount`s (BT-110, BT-111):
/// BR-53, BR-DEC-13 and BR-DEC-15 (UBL checks BR-53 from the root and never
/// fires the other two, `document`).
fn summation_vat(inv: &Invoice, t: &Totals, out: &mut Out) {
    let amounts: Vec<(&Num, Option<&str>)> = inv
        .tax_totals
        .iter()
        .filter_map(|tt| Some((tt.amount.as_ref()?, tt.amount_currency.as_deref())))
        .collect();
    let invoice_currency = Some(inv.currency.as_str()).filter(|c| !c.is_empty());
    let tax_currency = inv.tax_currency.as_deref();
    if let Some(tc) = tax_currency {
        // `(ram:TaxTotalAmount/@currencyID = TaxCurrencyCode) and
        // not(TaxCurrencyCode = InvoiceCurrencyCode)`.
        let ok = amounts.iter().any(|(_, c)| *c == Some(tc)) && invoice_currency != Some(tc);
        out.check(ok, rule!("BR-53"), t.at);
    }
    // BR-DEC-13: `not(ram:TaxTotalAmount) or ram:TaxTotalAmount[(@currencyID
    // = InvoiceCurrencyCode and . = round(. * 100) div 100) or not(@currencyID
    // = InvoiceCurrencyCode)]`: one amount that is in another currency or
    // has no more than cents as an xs:double is enough.
    let ok = amounts.is_empty()
        || amounts.iter().any(|(n, c)| {
            let in_invoice_currency = invoice_currency.is_some() && *c == invoice_currency;
            !in_invoice_currency || cents_as_double(n)
        });
    out.check(ok, rule!("BR-DEC-13"), t.at);
    // BR-DEC-15: `not(ram:TaxTotalAmount) or ram:TaxTotalAmount[(@currencyID
    // = TaxCurrencyCode and . = round(. * 100) div 100) or
    // not(TaxCurrencyCode)]`: with a BT-6, some amount must be in it (with
    // no more than cents), not merely none in it with more.
    let ok = amounts.is_empty()
        || tax_currency.is_none()
        || amounts
            .iter()
            .any(|(n, c)| *c == tax_currency && cents_as_double(n));
    out.check(ok, rule!("BR-DEC-15"), t.at);
}

/// CII BR-CO-14. Context: each `ram:TaxTotalAmount` whose `@currencyID`
/// equals a BT-5 as written (one without the attribute, or in another currency, is not
/// checked). Test: `. = round(sum(…/ram:CalculatedAmount)*10*10) div 100`
/// on untyped values, so in `xs:double`, over every VAT breakdown of the
/// document whichever amount it belongs to.
fn vat_total_cii(inv: &Invoice, tt: &TaxTotal, out: &mut Out) {
    let Some(amount) = &tt.amount else {
        return;
    };
    // `[@currencyID = …/ram:InvoiceCurrencyCode]`: untyped values compared
    // as strings, with any BT-5 element as written (a padded code matches
    // no amount).
    let in_invoice_currency = tt
        .amount_currency
        .as_deref()
        .is_some_and(|c| inv.currency_codes.iter().any(|code| code == c));
    if !in_invoice_currency {
        return;
    }
    // A CalculatedAmount that is no number makes the artefact's sum raise
    // an error; the rule then fails here.
    let total = sum_doubles(inv.subtotals().filter_map(|s| s.tax.as_ref()));
    let ok = match (xs_double(&amount.raw), total) {
        (Some(a), Some(s)) => saxon_double_eq(a, xpath_round(s * 10.0 * 10.0) / 100.0),
        _ => false,
    };
    out.check(ok, rule!("BR-CO-14"), tt.at);
}

/// Whether the CII artefact checks this VAT breakdown with its category's
/// own rule instead of the generic BG-23 one. Its templates for categories
/// L, M and O match the `ram:ApplicableTradeTax` element itself (those of
/// the other categories match its `ram:CategoryCode`), at a higher priority
/// than the generic rule in the same mode, and a node fires one template per
/// mode: so BR-45…48, BR-CO-03, BR-CO-17 and BR-DEC-19/20 are never
/// evaluated on such a breakdown
/// (`ApplicableTradeTax[ram:CategoryCode = 'L'][upper-case(ram:TypeCode) = 'VAT']`).
fn matched_by_its_category_rule(s: &Subtotal) -> bool {
    s.cat()
        .is_some_and(|c| ["L", "M", "O"].into_iter().any(|code| c.has_code(code)))
}

/// Context: UBL `cac:TaxTotal/cac:TaxSubtotal` (line-level ones included),
/// CII `//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax`.
fn subtotal(inv: &Invoice, s: &Subtotal, out: &mut Out, cii: bool) {
    let at = s.at;
    out.check(s.taxable.is_some(), rule!("BR-45"), at);
    out.check(s.tax.is_some(), rule!("BR-46"), at);
    out.check(
        s.vat_cats.iter().any(|c| c.code().is_some()),
        rule!("BR-47"),
        at,
    );
    out.check(
        s.vat_cats.iter().any(|c| c.rate.is_some() || c.is("O")),
        rule!("BR-48"),
        at,
    );
    if cii {
        // The CII binding puts BR-CO-03 (BT-7 and BT-8 exclusive) on each
        // breakdown.
        out.check(
            !(inv.tax_point_date && inv.tax_point_code),
            rule!("BR-CO-03"),
            at,
        );
    }
    // BR-CO-17
    let rate = s.vat_rate.as_ref();
    let tax = v(&s.tax);
    let ok = match rate {
        None => tax.is_some_and(|t| t.round_to(0).is_zero()),
        Some(r) => match r.val {
            None => false,
            Some(rv) if rv.round_to(0).is_zero() => tax.is_some_and(|t| t.round_to(0).is_zero()),
            Some(rv) => match (tax, v(&s.taxable)) {
                (Some(t), Some(b)) => within_one(t, b, rv, cii),
                _ => false,
            },
        },
    };
    out.check(ok, rule!("BR-CO-17"), at);
    out.check(dec_ok(&s.taxable), rule!("BR-DEC-19"), at);
    out.check(dec_ok(&s.tax), rule!("BR-DEC-20"), at);
}
