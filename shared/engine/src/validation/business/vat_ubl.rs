//! The UBL binding of the VAT category rules (EN16931-UBL-model): rules
//! 01…04 of each family on the invoice root as document-wide existence
//! tests, 05…07 on each category of a line or allowance/charge, 08…10 on
//! each `cac:TaxCategory` of the VAT breakdown.
//!
//! The artefact reads the categories in several ways: `//cac:TaxCategory`
//! is every category but the lines' (breakdowns, line breakdowns,
//! allowances and charges of any level), `//cac:AllowanceCharge` is every
//! allowance or charge, document or line, while `cac:AllowanceCharge`
//! from the root and `../../../cac:AllowanceCharge` from a breakdown are the
//! document's only; most tests filter on the VAT scheme, some do not.

use super::{
    eq, ids_ok, picks, ubl_within_one, v, within_one, xs_double, Family, FAMILIES, ZERO_RATED,
};
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

/// Sum of the lines of one kind (`cac:InvoiceLine` or `cac:CreditNoteLine`),
/// charges and allowances with a category `code` and, when given, at `rate`
/// (`sum(…) + sum(…) - sum(…)`, unrounded).
fn category_total(
    inv: &Invoice,
    allowances: &[&AllowanceCharge],
    charges: &[&AllowanceCharge],
    credit_note_lines: bool,
    code: &str,
    rate: Option<Dec>,
) -> Option<Dec> {
    let picked = |cats: &[Cat]| picks(cats, code, rate);
    let lines = sum(inv
        .lines
        .iter()
        .filter(|l| l.credit_note_line == credit_note_lines && picked(&l.cats))
        .filter_map(|l| l.net_val()))?;
    let ch = sum(charges
        .iter()
        .filter(|a| picked(&a.cats))
        .filter_map(|a| a.amount_val()))?;
    let al = sum(allowances
        .iter()
        .filter(|a| picked(&a.cats))
        .filter_map(|a| a.amount_val()))?;
    lines.add(ch)?.sub(al)
}

pub(super) fn check(inv: &Invoice, out: &mut Out) {
    let root = inv.at;
    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    let subtotals: Vec<&Subtotal> = inv.subtotals().collect();
    // `//cac:AllowanceCharge`: the document's and the lines'.
    let every_ac = || {
        inv.allowance_charges
            .iter()
            .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
    };
    let line_cats = || inv.lines.iter().flat_map(|l| l.cats.iter());
    // `//cac:TaxCategory`: every category but the lines'.
    let tax_categories = || {
        every_ac()
            .flat_map(|a| a.cats.iter())
            .chain(subtotals.iter().flat_map(|s| s.vat_cats.iter()))
            .chain(inv.line_subtotals.iter().flat_map(|s| s.vat_cats.iter()))
    };

    for f in &FAMILIES {
        let code = f.code;
        let vat = |c: &Cat| c.is_vat(code);
        // VAT categories `code` in the root breakdowns.
        let bd = subtotals
            .iter()
            .flat_map(|s| s.vat_cats.iter())
            .filter(|c| c.is(code))
            .count();
        let ok = match code {
            // BR-S-01 does not look at the tax scheme.
            "S" => {
                let used = line_cats().any(|c| c.is(code))
                    || every_ac().any(|a| a.cats.iter().any(|c| c.is(code)));
                let bd_any = subtotals
                    .iter()
                    .map(|s| s.codes.iter().filter(|c| *c == code).count())
                    .sum::<usize>();
                used == (bd_any > 0)
            }
            // BR-AF-01 counts the breakdowns with `cbc:ID = 'L'` whatever
            // their scheme when the category is used, VAT ones when not;
            // BR-AG-01 VAT ones both times.
            "L" | "M" => {
                let used = line_cats().any(vat) || every_ac().any(|a| a.cats.iter().any(vat));
                if used && code == "L" {
                    subtotals.iter().any(|s| s.has_code(code))
                } else {
                    used == (bd > 0)
                }
            }
            // Zero-rated, exempt and the like: exactly one breakdown when
            // the category is anywhere (its breakdown included).
            _ => bd == 1 || !(line_cats().any(vat) || tax_categories().any(vat)),
        };
        out.check(ok, f.ids[0], root);
        // 02-04: identifiers, when a line (BR-S-02: of any scheme) or an
        // allowance or charge (BR-O-03/04: of the document) uses the
        // category.
        let ids = ids_ok(inv, code);
        let in_lines = line_cats().any(vat);
        let line_rule_applies = if code == "S" {
            line_cats().any(|c| c.is(code))
        } else {
            in_lines
        };
        out.check(!line_rule_applies || (in_lines && ids), f.ids[1], root);
        let acs: Vec<&AllowanceCharge> = if code == "O" {
            inv.allowance_charges.iter().collect()
        } else {
            every_ac().collect()
        };
        let used_by = |charge: bool| {
            acs.iter()
                .any(|a| a.charge == Some(charge) && a.cats.iter().any(vat))
        };
        out.check(!used_by(false) || ids, f.ids[2], root);
        out.check(!used_by(true) || ids, f.ids[3], root);
        // 05-07: rates, on each category element.
        for c in line_cats().filter(|c| vat(c)) {
            out.check(rate_ok(code, c), f.ids[4], c.at);
        }
        for a in every_ac() {
            let id = match a.charge {
                Some(false) => f.ids[5],
                Some(true) => f.ids[6],
                None => continue,
            };
            for c in a.cats.iter().filter(|c| vat(c)) {
                out.check(rate_ok(code, c), id, c.at);
            }
        }
        breakdowns(inv, &subtotals, &allowances, &charges, f, out);
    }
    not_subject_to_vat(inv, &subtotals, out);
    intra_community(inv, &subtotals, out);
    split_payment(inv, &subtotals, out);
}

/// One kind-of-line branch of rule 08 for a category (at a rate).
#[derive(Clone, Copy)]
struct Branch {
    /// Lines of the kind exist.
    lines: bool,
    /// Lines of the kind, or any allowance or charge, of the category (at
    /// the rate) exist.
    used: bool,
    /// The lines of the kind plus charges minus allowances of the category.
    total: Option<Dec>,
}

/// Rules 08…10 of one family on each VAT `cac:TaxCategory` of the category
/// in the breakdown. Rule 08 has a branch per kind of line (`exists(//cac:
/// InvoiceLine) and … sum(../../../cac:InvoiceLine[…]) …) or (… CreditNoteLine
/// …)`), either of which may hold. The sums are memoised per rate and kind:
/// many breakdowns must not make this quadratic.
fn breakdowns(
    inv: &Invoice,
    subtotals: &[&Subtotal],
    allowances: &[&AllowanceCharge],
    charges: &[&AllowanceCharge],
    f: &Family,
    out: &mut Out,
) {
    let code = f.code;
    let every_ac = || {
        inv.allowance_charges
            .iter()
            .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
    };
    let mut memo: BTreeMap<(Option<Dec>, bool), Branch> = BTreeMap::new();
    let mut branch = |rate: Option<Dec>, credit_note_lines: bool| {
        *memo.entry((rate, credit_note_lines)).or_insert_with(|| {
            let lines = || {
                inv.lines
                    .iter()
                    .filter(|l| l.credit_note_line == credit_note_lines)
            };
            let used = lines().any(|l| picks(&l.cats, code, rate))
                || every_ac().any(|a| picks(&a.cats, code, rate));
            let total = category_total(inv, allowances, charges, credit_note_lines, code, rate);
            Branch {
                lines: lines().next().is_some(),
                used,
                total,
            }
        })
    };
    for s in subtotals {
        let taxable = v(&s.taxable);
        for c in s.vat_cats.iter().filter(|c| c.is(code)) {
            if ZERO_RATED.contains(&code) {
                let ok = [false, true].into_iter().any(|kind| {
                    let b = branch(None, kind);
                    b.lines && eq(taxable, b.total)
                });
                out.check(ok, f.ids[7], c.at);
                out.check(v(&s.tax).is_some_and(|t| t.is_zero()), f.ids[8], c.at);
                let has_reason = c.exemption_reason || c.exemption_code;
                // Zero rated carries no exemption reason; the others need one.
                out.check(
                    if code == "Z" { !has_reason } else { has_reason },
                    f.ids[9],
                    c.at,
                );
                continue;
            }
            // S, L, M: per rate (`every $rate in xs:decimal(cbc:Percent)`,
            // so nothing to check without one), within ±1. BR-S-08 wants a
            // line of the kind or any allowance or charge
            // (`//cac:AllowanceCharge`) of the category at the rate, BR-AF-08
            // and BR-AG-08 lines of the kind.
            if let Some(rate) = c.rate_val() {
                let ok = [false, true].into_iter().any(|kind| {
                    let b = branch(Some(rate), kind);
                    let needed = if code == "S" { b.used } else { b.lines };
                    needed && ubl_within_one(&s.taxable, b.total)
                });
                out.check(ok, f.ids[7], c.at);
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

/// BR-O-11…14: "Not subject to VAT" in the breakdown excludes every other
/// VAT category (a category without code counts as another): in the
/// breakdown, the lines, and allowances (13) and charges (14) of any level.
fn not_subject_to_vat(inv: &Invoice, subtotals: &[&Subtotal], out: &mut Out) {
    let breakdown = || subtotals.iter().flat_map(|s| s.vat_cats.iter());
    if !breakdown().any(|c| c.is("O")) {
        return;
    }
    let root = inv.at;
    let other = |c: &Cat| c.vat && !c.is("O");
    out.check(!breakdown().any(other), rule!("BR-O-11"), root);
    out.check(
        !inv.lines.iter().any(|l| l.cats.iter().any(other)),
        rule!("BR-O-12"),
        root,
    );
    let other_in = |charge: bool| {
        inv.allowance_charges
            .iter()
            .chain(inv.lines.iter().flat_map(|l| l.allowance_charges.iter()))
            .any(|a| a.charge == Some(charge) && a.cats.iter().any(other))
    };
    out.check(!other_in(false), rule!("BR-O-13"), root);
    out.check(!other_in(true), rule!("BR-O-14"), root);
}

/// BR-IC-11/12: an intra-community supply in the breakdown needs a
/// delivery date (`string-length(…) > 1`) or an invoice period with any
/// child, and a deliver-to country code of more than one character.
fn intra_community(inv: &Invoice, subtotals: &[&Subtotal], out: &mut Out) {
    if !subtotals
        .iter()
        .flat_map(|s| s.vat_cats.iter())
        .any(|c| c.is("K"))
    {
        return;
    }
    let root = inv.at;
    let delivery = inv.delivery.as_ref();
    let date = delivery
        .and_then(|d| d.date.as_ref())
        .is_some_and(|d| d.chars().count() > 1);
    let period = inv.periods.iter().any(|p| p.any_child);
    out.check(date || period, rule!("BR-IC-11"), root);
    let country = delivery
        .and_then(|d| d.address.as_ref())
        .is_some_and(|a| a.country.chars().count() > 1);
    out.check(country, rule!("BR-IC-12"), root);
}

/// BR-B-01/02 (split payment). BR-B-01: with a category "B" anywhere
/// (`//cac:TaxCategory/cbc:ID = 'B' or //cac:ClassifiedTaxCategory/…`),
/// every country code is IT. BR-B-02: with "B" in the breakdown, the
/// document's allowances and charges or the lines, no "S" there; neither
/// looks at the tax scheme.
fn split_payment(inv: &Invoice, subtotals: &[&Subtotal], out: &mut Out) {
    let root = inv.at;
    let has = |cats: &[Cat], code: &str| cats.iter().any(|c| c.is(code));
    let in_lines = |code: &str| inv.lines.iter().any(|l| has(&l.cats, code));
    let in_document = |code: &str| {
        subtotals.iter().any(|s| s.has_code(code))
            || inv.allowance_charges.iter().any(|a| has(&a.cats, code))
            || in_lines(code)
    };
    let anywhere = in_document("B")
        || inv.line_subtotals.iter().any(|s| s.has_code("B"))
        || inv
            .lines
            .iter()
            .flat_map(|l| l.allowance_charges.iter())
            .any(|a| has(&a.cats, "B"));
    if anywhere {
        out.check(
            inv.country_codes.iter().all(|c| c == "IT"),
            rule!("BR-B-01"),
            root,
        );
    }
    out.check(
        !(in_document("B") && in_document("S")),
        rule!("BR-B-02"),
        root,
    );
}
