//! The UBL binding of the VAT category rules (EN16931-UBL-model): rules
//! 01…04 of each family on the invoice root as document-wide existence
//! tests, 05…07 on each category of a line or allowance/charge, 08…10 on
//! each `cac:TaxCategory` of the VAT breakdown.

use super::{eq, ids_ok, v, within_one, within_one_of, xs_double, FAMILIES, ZERO_RATED};
use crate::dec::{sum, Dec};
use crate::model::{AllowanceCharge, Cat, Invoice, Subtotal};
use crate::validation::rule::{rule, Out};
use std::collections::BTreeMap;

/// Whether a category's rate satisfies rule 05/06/07 of its family:
/// `(cbc:Percent) > 0` and `>= 0` compare the untyped rate as an
/// xs:double, `xs:decimal(cbc:Percent) = 0` as a decimal.
fn rate_ok(code: &str, c: &Cat) -> bool {
    let double = || c.rate.as_ref().and_then(|r| xs_double(&r.raw));
    match code {
        "S" => double().is_some_and(|r| r > 0.0),
        "L" | "M" => double().is_some_and(|r| r >= 0.0),
        "O" => c.rate.is_none(),
        _ => c.rate_val().is_some_and(|r| r.is_zero()),
    }
}

/// Sum of the lines, charges and allowances whose category `pick` selects
/// (`sum(…) + sum(…) - sum(…)`, unrounded).
fn category_total(
    inv: &Invoice,
    allowances: &[&AllowanceCharge],
    charges: &[&AllowanceCharge],
    pick: &dyn Fn(&Cat) -> bool,
) -> Option<Dec> {
    let lines = sum(inv
        .lines
        .iter()
        .filter(|l| l.cats.iter().any(pick))
        .filter_map(|l| l.net_val()))?;
    let ch = sum(charges
        .iter()
        .filter(|a| a.cats.iter().any(pick))
        .filter_map(|a| a.amount_val()))?;
    let al = sum(allowances
        .iter()
        .filter(|a| a.cats.iter().any(pick))
        .filter_map(|a| a.amount_val()))?;
    lines.add(ch)?.sub(al)
}

pub(super) fn check(inv: &Invoice, out: &mut Out) {
    let root = inv.at;
    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    let subtotals: Vec<&Subtotal> = inv.subtotals().collect();
    // Rules 06/07 match `cac:AllowanceCharge[…]/cac:TaxCategory` wherever
    // the allowance or charge is, on a line too.
    let every_ac = || {
        inv.allowance_charges
            .iter()
            .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
    };

    for f in &FAMILIES {
        let code = f.code;
        // The UBL binding of BR-S-* counts "S" categories whatever their
        // tax scheme; the other families only VAT ones.
        let any_scheme = code == "S";
        let has = |cats: &[Cat]| cats.iter().any(|c| c.is(code) && (c.vat || any_scheme));
        let in_lines = inv.lines.iter().any(|l| has(&l.cats));
        let in_allow = allowances.iter().any(|a| has(&a.cats));
        let in_charge = charges.iter().any(|a| has(&a.cats));
        let in_ac = inv.allowance_charges.iter().any(|a| has(&a.cats));
        let bd = subtotals
            .iter()
            .filter(|s| s.is(code) || (any_scheme && s.any_scheme_s))
            .count();
        // 01: breakdown presence.
        let exactly_one = ZERO_RATED.contains(&code);
        let ok = if exactly_one {
            !(in_lines || in_ac || bd > 0) || bd == 1
        } else {
            (in_lines || in_ac) != (bd == 0)
        };
        out.check(ok, f.ids[0], root);
        // 02-04: identifiers.
        let ids = ids_ok(inv, code);
        if in_lines {
            out.check(ids, f.ids[1], root);
        }
        if in_allow {
            out.check(ids, f.ids[2], root);
        }
        if in_charge {
            out.check(ids, f.ids[3], root);
        }
        // 05-07: rates, on each category element.
        for l in &inv.lines {
            for c in l.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(rate_ok(code, c), f.ids[4], c.at);
            }
        }
        for a in every_ac() {
            let id = match a.charge {
                Some(false) => f.ids[5],
                Some(true) => f.ids[6],
                None => continue,
            };
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(rate_ok(code, c), id, c.at);
            }
        }
        // 08-10: each VAT `cac:TaxCategory` of the category in the
        // breakdown. The sums are memoised per family (and rate): many
        // breakdowns must not make this quadratic.
        let mut memo: BTreeMap<Option<Dec>, (bool, Option<Dec>)> = BTreeMap::new();
        for s in &subtotals {
            let Some(c) = s.cat.as_ref().filter(|c| c.is_vat(code)) else {
                continue;
            };
            let taxable = v(&s.taxable);
            if exactly_one {
                let total = memo
                    .entry(None)
                    .or_insert_with(|| {
                        let t = category_total(inv, &allowances, &charges, &|x: &Cat| x.is(code));
                        (true, t)
                    })
                    .1;
                out.check(!inv.lines.is_empty() && eq(taxable, total), f.ids[7], c.at);
                out.check(v(&s.tax).is_some_and(|t| t.is_zero()), f.ids[8], c.at);
                let has_reason = c.exemption_reason || c.exemption_code;
                // Zero rated carries no exemption reason; the others need one.
                out.check(
                    if code == "Z" { !has_reason } else { has_reason },
                    f.ids[9],
                    c.at,
                );
            } else {
                // S, L, M: per rate, within ±1.
                if let Some(rate) = c.rate_val() {
                    let at_rate = |x: &Cat| x.is(code) && x.rate_val() == Some(rate);
                    let (used, total) = *memo.entry(Some(rate)).or_insert_with(|| {
                        let used = inv.lines.iter().any(|l| l.cats.iter().any(at_rate))
                            || inv
                                .allowance_charges
                                .iter()
                                .any(|a| a.cats.iter().any(at_rate));
                        (used, category_total(inv, &allowances, &charges, &at_rate))
                    });
                    let lines_needed = !inv.lines.is_empty() || code == "S";
                    out.check(
                        used && within_one_of(taxable, total) && lines_needed,
                        f.ids[7],
                        c.at,
                    );
                }
                let ok = match (v(&s.tax), taxable, c.rate_val()) {
                    (Some(t), Some(b), Some(r)) => within_one(t, b, r, false),
                    _ => false,
                };
                out.check(ok, f.ids[8], c.at);
                out.check(!c.exemption_reason && !c.exemption_code, f.ids[9], c.at);
            }
        }
    }

    // BR-O-11..14: "Not subject to VAT" excludes every other category.
    if subtotals
        .iter()
        .any(|s| s.cat.as_ref().is_some_and(|c| c.is_vat("O")))
    {
        let other = |c: &Cat| c.vat && !c.is("O");
        out.check(
            !subtotals.iter().any(|s| s.cat.as_ref().is_some_and(other)),
            rule!("BR-O-11"),
            root,
        );
        out.check(
            !inv.lines.iter().any(|l| l.cats.iter().any(other)),
            rule!("BR-O-12"),
            root,
        );
        out.check(
            !allowances.iter().any(|a| a.cats.iter().any(other)),
            rule!("BR-O-13"),
            root,
        );
        out.check(
            !charges.iter().any(|a| a.cats.iter().any(other)),
            rule!("BR-O-14"),
            root,
        );
    }
    // BR-IC-11/12: intra-community supply needs a delivery date or period and a deliver-to country.
    if subtotals
        .iter()
        .any(|s| s.cat.as_ref().is_some_and(|c| c.is_vat("K")))
    {
        let period = inv.period.as_ref().is_some_and(|p| p.any_child);
        out.check(
            inv.delivery_date.chars().count() > 1 || period,
            rule!("BR-IC-11"),
            root,
        );
        let country = inv
            .deliver_to
            .as_ref()
            .map_or(0, |d| d.country.chars().count());
        out.check(country > 1, rule!("BR-IC-12"), root);
    }
    // BR-B-01/02: split payment.
    let b_line = inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("B")));
    let b_ac = inv
        .allowance_charges
        .iter()
        .any(|a| a.cats.iter().any(|c| c.is("B")));
    let b_bd = subtotals.iter().any(|s| s.is("B"));
    if b_line || b_ac || b_bd {
        out.check(
            inv.country_codes.iter().all(|c| c == "IT"),
            rule!("BR-B-01"),
            root,
        );
        let s = inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("S")))
            || inv
                .allowance_charges
                .iter()
                .any(|a| a.cats.iter().any(|c| c.is("S")));
        out.check(!s, rule!("BR-B-02"), root);
    }
}
