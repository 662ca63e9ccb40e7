//! The CII binding of the VAT category rules (EN16931-CII-model): rule 01
//! of each family counts category codes across the document, 02…07 are
//! checked on each VAT category of a line or allowance/charge, 08…10 on
//! each VAT breakdown of the category with rounded per-kind sums.

use super::{
    cii_equals, cii_within_one, ids_ok, picks, r2, saxon_double_eq, v, xpath_round, xs_double,
    Family, FAMILIES,
};
use crate::dec::{sum, Dec};
use crate::input::xml::Loc;
use crate::model::{AllowanceCharge, Cat, Invoice, Subtotal};
use crate::validation::rule::{rule, Out};
use std::collections::BTreeMap;

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

/// The families whose templates match a VAT category of a line or an
/// allowance/charge (`…/ram:ApplicableTradeTax[ram:CategoryCode = 'S']
/// [upper-case(ram:TypeCode) = 'VAT']`, true when any of its code elements
/// is "S"), in the order of their priorities: a node is processed by the
/// first template that matches it only.
const TEMPLATE_ORDER: [&str; 9] = ["AE", "L", "M", "E", "G", "K", "O", "S", "Z"];

/// The family whose rules 02…07 check this line or allowance/charge
/// category, if any.
fn family_of(c: &Cat) -> Option<&'static str> {
    if !c.vat {
        return None;
    }
    TEMPLATE_ORDER.into_iter().find(|code| c.has_code(code))
}

/// Where the rules 08…10 of a family fire on a breakdown (none: they do not
/// apply). L, M and O match the VAT `ram:ApplicableTradeTax` itself (the
/// first of them it has a code of wins, as above); the others match each
/// `ram:CategoryCode` element of their code, E, AE, G and K in a VAT
/// breakdown only, S and Z whatever its `ram:TypeCode`.
fn breakdown_contexts(code: &str, s: &Subtotal) -> Vec<Loc> {
    let Some(c) = s.category.as_ref() else {
        return Vec::new();
    };
    match code {
        "L" | "M" | "O" => {
            let first = ["L", "M", "O"].into_iter().find(|x| c.has_code(x));
            if c.vat && first == Some(code) {
                vec![s.at]
            } else {
                Vec::new()
            }
        }
        _ if code == "S" || code == "Z" || c.vat => c
            .codes
            .iter()
            .filter(|x| x.value == code)
            .map(|x| x.at)
            .collect(),
        _ => Vec::new(),
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
        // `count(…/ram:ApplicableTradeTax[ram:CategoryCode='S'])`: any code
        // element, any tax scheme.
        let nl = inv
            .lines
            .iter()
            .flat_map(|l| l.cats.iter())
            .filter(|c| c.has_code(code))
            .count();
        let nh = subtotals.iter().filter(|s| s.has_code(code)).count();
        let nac = every_ac()
            .flat_map(|a| a.cats.iter())
            .filter(|c| c.has_code(code))
            .count();
        let ok = match code {
            "S" | "L" | "M" => (nl + nh >= 2 || nl == 0) && (nac + nh >= 2 || nac == 0),
            "O" => nh == 0 || (nh == 1 && (nl > 0 || nac > 0)),
            _ => (nh == 0 && nl == 0 && nac == 0) || (nh == 1 && (nl > 0 || nac > 0)),
        };
        out.check(ok, f.ids[0], root);
        let ids = ids_ok(inv, code);
        let of_family = |c: &&Cat| family_of(c) == Some(code);
        for l in &inv.lines {
            for c in l.cats.iter().filter(of_family) {
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
            for c in a.cats.iter().filter(of_family) {
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
        let s = subtotals.iter().any(|s| s.has_code("S"))
            || inv
                .lines
                .iter()
                .any(|l| l.cats.iter().any(|c| c.has_code("S")))
            || every_ac().any(|a| a.cats.iter().any(|c| c.has_code("S")));
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
    let mut sums = |rate: Option<Dec>| -> Option<Dec> {
        *memo.entry(rate).or_insert_with(|| {
            // round2(Σ lines) + round2(Σ charges) - round2(Σ allowances).
            let picked = |cats: &[Cat]| picks(cats, code, rate);
            let lines = sum(inv
                .lines
                .iter()
                .filter(|l| picked(&l.cats))
                .filter_map(|l| l.net_val()))?;
            let ch = sum(charges
                .iter()
                .filter(|a| picked(&a.cats))
                .filter_map(|a| a.amount_val()))?;
            let al = sum(allowances
                .iter()
                .filter(|a| picked(&a.cats))
                .filter_map(|a| a.amount_val()))?;
            r2(lines).add(r2(ch))?.sub(r2(al))
        })
    };
    for s in subtotals {
        let Some(c) = s.category.as_ref() else {
            continue;
        };
        for at in breakdown_contexts(code, s) {
            breakdown(inv, s, c, at, f, &mut sums, out);
            if code == "O" {
                not_subject_to_vat(inv, subtotals, at, out);
            }
        }
    }
}

/// Rules 08…10 (and BR-IC-11/12) of family `f` on breakdown `s` of
/// category `c`, fired at `at`; `sums` gives the category's total (at a
/// rate).
fn breakdown(
    inv: &Invoice,
    s: &Subtotal,
    c: &Cat,
    at: Loc,
    f: &Family,
    sums: &mut dyn FnMut(Option<Dec>) -> Option<Dec>,
    out: &mut Out,
) {
    let code = f.code;
    // The untyped `../ram:BasisAmount`, compared as an xs:double.
    let basis = s.taxable.as_ref().and_then(|n| xs_double(&n.raw));
    match code {
        "S" | "L" | "M" => {
            // BR-AF-08 and BR-AG-08 never fire in the CII artefact: their
            // rules match the `ram:ApplicableTradeTax` itself, and their
            // `every $rate in ../ram:RateApplicablePercent` reads its parent,
            // an empty sequence (BR-S-08's rule matches the category code,
            // whose parent is the breakdown).
            if let Some(rate) = c.rate_val().filter(|_| code == "S") {
                let total = sums(Some(rate));
                out.check(cii_equals(basis, total), f.ids[7], at);
            }
            if code == "S" {
                let rate = c.rate.as_ref().and_then(|r| xs_double(&r.raw));
                let ok = tax_within_one(v(&s.tax), v(&s.taxable), rate);
                out.check(ok, f.ids[8], at);
            }
            out.check(!c.exemption_reason && !c.exemption_code, f.ids[9], at);
        }
        _ => {
            let total = sums(None);
            let ok = if code == "O" {
                cii_equals(basis, total)
            } else {
                cii_within_one(basis, total)
            };
            out.check(ok, f.ids[7], at);
            // `../ram:CalculatedAmount = 0` on the untyped amount.
            let zero = s
                .tax
                .as_ref()
                .and_then(|t| xs_double(&t.raw))
                .is_some_and(|t| saxon_double_eq(t, 0.0));
            out.check(zero, f.ids[8], at);
            let has_reason = c.exemption_reason || c.exemption_code;
            out.check(
                if code == "Z" { !has_reason } else { has_reason },
                f.ids[9],
                at,
            );
        }
    }
    if code == "K" {
        let period = inv
            .periods
            .iter()
            .any(|p| p.start.is_some() || p.end.is_some());
        let delivery = inv.delivery.as_ref();
        out.check(
            delivery.is_some_and(|d| d.date.is_some()) || period,
            rule!("BR-IC-11"),
            at,
        );
        out.check(
            delivery
                .and_then(|d| d.address.as_ref())
                .is_some_and(|a| a.country_present),
            rule!("BR-IC-12"),
            at,
        );
    }
}

/// BR-O-11…14 on an "O" breakdown: `not(//ram:ApplicableTradeTax[ram:CategoryCode
/// != 'O'])` (header and lines, whatever the tax scheme; one without a code
/// is no match) and the same on `//ram:CategoryTradeTax`.
fn not_subject_to_vat(inv: &Invoice, subtotals: &[&Subtotal], at: Loc, out: &mut Out) {
    let other = |c: &Cat| c.codes.iter().any(|x| x.value != "O");
    let non_o_tax = subtotals.iter().any(|s| s.codes.iter().any(|c| c != "O"))
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

/// `//ram:CategoryCode = 'B'`.
fn has_b(inv: &Invoice) -> bool {
    let b = |c: &Cat| c.has_code("B");
    inv.subtotals().any(|s| s.has_code("B"))
        || inv.lines.iter().any(|l| {
            l.cats.iter().any(b) || l.allowance_charges.iter().any(|a| a.cats.iter().any(b))
        })
        || inv.allowance_charges.iter().any(|a| a.cats.iter().any(b))
}

/// BR-S-09: `abs(xs:decimal(../ram:CalculatedAmount)) ∓ 1` against
/// `round(abs(xs:decimal(../ram:BasisAmount)) * ../ram:RateApplicablePercent)
/// div 100`, strictly. The rate is untyped, so the product is an xs:double
/// (the decimal basis promoted), rounded to an integer, not to cents; the
/// decimal bounds are promoted to compare with it.
fn tax_within_one(tax: Option<Dec>, basis: Option<Dec>, rate: Option<f64>) -> bool {
    let (Some(tax), Some(basis), Some(rate)) = (tax, basis, rate) else {
        return false;
    };
    let expect = xpath_round(basis.abs().to_f64() * rate) / 100.0;
    let one = Dec::from_int(1);
    let tax = tax.abs();
    tax.sub(one).is_some_and(|lo| lo.to_f64() < expect)
        && tax.add(one).is_some_and(|hi| hi.to_f64() > expect)
}
