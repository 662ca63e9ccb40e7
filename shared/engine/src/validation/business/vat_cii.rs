//! The CII binding of the VAT category rules (EN16931-CII-model): rule 01
//! of each family counts category codes across the document, 02…07 are
//! checked on each VAT category of a line or allowance/charge, 08…10 on
//! each VAT breakdown of the category with rounded per-kind sums.

use super::{eq, ids_ok, r2, v, within_one, within_one_of, xs_double, Family, FAMILIES};
use crate::dec::{sum, Dec};
use crate::input::xml::Loc;
use crate::model::{AllowanceCharge, Cat, Invoice, Subtotal};
use crate::validation::rule::{rule, At, Out};
use std::collections::BTreeMap;

/// Whether a header breakdown counts as `ApplicableTradeTax[ram:CategoryCode
/// = code]` for the rules 01 and BR-O-11/12, which do not look at its
/// `ram:TypeCode`. The model keeps the code of a breakdown of another tax
/// scheme only for "S".
fn header_has(s: &Subtotal, code: &str) -> bool {
    s.is(code) || (code == "S" && s.any_scheme_s)
}

/// Rule 05/06/07 of a family: `ram:RateApplicablePercent > 0` (S, L),
/// `>= 0` (M), `= 0` (the zero-rated ones), on the untyped rate, so as an
/// xs:double; O: no rate.
fn rate_ok(code: &str, c: &Cat) -> bool {
    let rate = c.rate.as_ref().and_then(|r| xs_double(&r.raw));
    match code {
        "S" | "L" => rate.is_some_and(|r| r > 0.0),
        "M" => rate.is_some_and(|r| r >= 0.0),
        "O" => c.rate.is_none(),
        _ => rate.is_some_and(|r| r == 0.0),
    }
}

/// The context of rules 08…10: the breakdown itself for L, M and O, whose
/// templates match `ram:ApplicableTradeTax`; its `ram:CategoryCode` for the
/// others, an element the model does not keep yet (described).
fn breakdown_context(code: &str, s: &Subtotal) -> At {
    if matches!(code, "L" | "M" | "O") {
        s.at.into()
    } else {
        "BG-23".into()
    }
}

pub(super) fn check(inv: &Invoice, out: &mut Out) {
    let root = inv.at;
    let subtotals: Vec<&Subtotal> = inv.subtotals().collect();
    // `//ram:SpecifiedTradeAllowanceCharge`: document and line level.
    let every_ac = || {
        inv.allowance_charges
            .iter()
            .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
    };
    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    for f in &FAMILIES {
        let code = f.code;
        let nl = inv
            .lines
            .iter()
            .flat_map(|l| l.cats.iter())
            .filter(|c| c.is(code))
            .count();
        let nh = subtotals.iter().filter(|s| header_has(s, code)).count();
        let nac = every_ac()
            .flat_map(|a| a.cats.iter())
            .filter(|c| c.is(code))
            .count();
        let ok = match code {
            "S" | "L" | "M" => (nl + nh >= 2 || nl == 0) && (nac + nh >= 2 || nac == 0),
            "O" => nh == 0 || (nh == 1 && (nl > 0 || nac > 0)),
            _ => (nh == 0 && nl == 0 && nac == 0) || (nh == 1 && (nl > 0 || nac > 0)),
        };
        out.check(ok, f.ids[0], root);
        let ids = ids_ok(inv, code);
        for l in &inv.lines {
            for c in l.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(ids, f.ids[1], c.at);
                out.check(rate_ok(code, c), f.ids[4], c.at);
            }
        }
        for a in every_ac() {
            let (ids_rule, rate_rule) = match a.charge {
                Some(false) => (f.ids[2], f.ids[5]),
                Some(true) => (f.ids[3], f.ids[6]),
                None => continue,
            };
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(ids, ids_rule, c.at);
                out.check(rate_ok(code, c), rate_rule, c.at);
            }
        }
        breakdowns(inv, &subtotals, &allowances, &charges, f, out);
    }
    // BR-B-01/02 (CII: any CategoryCode B anywhere).
    if !inv.country_codes.is_empty() || has_b(inv) {
        out.check(
            inv.country_codes.iter().all(|c| c == "IT"),
            rule!("BR-B-01"),
            root,
        );
        let s = subtotals.iter().any(|s| header_has(s, "S"))
            || inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("S")))
            || every_ac().any(|a| a.cats.iter().any(|c| c.is("S")));
        out.check(!s, rule!("BR-B-02"), root);
    }
}

/// Rules 08…10 of one family, BR-IC-11/12 and BR-O-11…14 on each header
/// breakdown of the category.
fn breakdowns(
    inv: &Invoice,
    subtotals: &[&Subtotal],
    allowances: &[&AllowanceCharge],
    charges: &[&AllowanceCharge],
    f: &Family,
    out: &mut Out,
) {
    let code = f.code;
    // Memoised per (family, rate): many breakdowns must not make this quadratic.
    let mut memo: BTreeMap<Option<Dec>, Option<Dec>> = BTreeMap::new();
    let mut sums = |key: Option<Dec>, pick: &dyn Fn(&Cat) -> bool| -> Option<Dec> {
        *memo.entry(key).or_insert_with(|| {
            // round2(Σ lines) + round2(Σ charges) - round2(Σ allowances).
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
            r2(lines).add(r2(ch))?.sub(r2(al))
        })
    };
    let vat_only = !matches!(code, "S" | "O");
    for s in subtotals.iter().filter(|s| s.is(code)) {
        let Some(c) = s.cat.as_ref() else {
            continue;
        };
        if vat_only && !c.vat {
            continue;
        }
        let at = breakdown_context(code, s);
        let basis = v(&s.taxable);
        match code {
            "S" | "L" | "M" => {
                // BR-AF-08 and BR-AG-08 never fire in the CII artefact: their
                // rules match the `ram:ApplicableTradeTax` itself, and their
                // `every $rate in ../ram:RateApplicablePercent` reads its parent,
                // an empty sequence (BR-S-08's rule matches the category code,
                // whose parent is the breakdown).
                if let Some(rate) = c.rate_val().filter(|_| code == "S") {
                    let total = sums(Some(rate), &|x: &Cat| {
                        x.is(code) && x.rate_val() == Some(rate)
                    });
                    out.check(eq(basis, total), f.ids[7], at.clone());
                }
                if code == "S" {
                    let ok = match (v(&s.tax), basis, c.rate_val()) {
                        (Some(t), Some(b), Some(r)) => within_one(t, b, r, false),
                        _ => false,
                    };
                    out.check(ok, f.ids[8], at.clone());
                }
                out.check(
                    !c.exemption_reason && !c.exemption_code,
                    f.ids[9],
                    at.clone(),
                );
            }
            _ => {
                let total = sums(None, &|x: &Cat| x.is(code));
                let ok = if code == "O" {
                    eq(basis, total)
                } else {
                    within_one_of(basis, total)
                };
                out.check(ok, f.ids[7], at.clone());
                out.check(v(&s.tax).is_some_and(|t| t.is_zero()), f.ids[8], at.clone());
                let has_reason = c.exemption_reason || c.exemption_code;
                out.check(
                    if code == "Z" { !has_reason } else { has_reason },
                    f.ids[9],
                    at.clone(),
                );
            }
        }
        if code == "K" {
            let period = inv
                .period
                .as_ref()
                .is_some_and(|p| p.start.is_some() || p.end.is_some());
            out.check(
                !inv.delivery_date.is_empty() || period,
                rule!("BR-IC-11"),
                at.clone(),
            );
            out.check(
                inv.deliver_to.as_ref().is_some_and(|d| d.country_present),
                rule!("BR-IC-12"),
                at.clone(),
            );
        }
        if code == "O" {
            not_subject_to_vat(inv, subtotals, s.at, out);
        }
    }
}

/// BR-O-11…14 on an "O" breakdown: `not(//ram:ApplicableTradeTax[ram:CategoryCode
/// != 'O'])` (header and lines, whatever the tax scheme; one without a code
/// is no match) and the same on `//ram:CategoryTradeTax`.
fn not_subject_to_vat(inv: &Invoice, subtotals: &[&Subtotal], at: Loc, out: &mut Out) {
    let other = |c: &Cat| c.code.as_deref().is_some_and(|x| x != "O");
    let non_o_tax = subtotals
        .iter()
        .any(|s| header_has(s, "S") || s.cat.as_ref().is_some_and(other))
        || inv.lines.iter().any(|l| l.cats.iter().any(other));
    let non_o_ac = inv
        .allowance_charges
        .iter()
        .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
        .any(|a| a.cats.iter().any(other));
    out.check(!non_o_tax, rule!("BR-O-11"), at);
    out.check(!non_o_tax, rule!("BR-O-12"), at);
    out.check(!non_o_ac, rule!("BR-O-13"), at);
    out.check(!non_o_ac, rule!("BR-O-14"), at);
}

fn has_b(inv: &Invoice) -> bool {
    inv.subtotals().any(|s| s.is("B"))
        || inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("B")))
        || inv
            .allowance_charges
            .iter()
            .any(|a| a.cats.iter().any(|c| c.is("B")))
}
