//! EN 16931-1 business rules (BR-*, BR-CO-*, BR-DEC-*, VAT category rules)
//! evaluated once on the semantic model, as the CEN/TC 434 validation
//! artefacts v1.3.16 bind them. Each rule fires per context occurrence (the
//! verdict only keeps the set of rule ids, the violations list keeps every
//! occurrence).

use crate::dec::{fraction_digits, sum, Dec};
use crate::model::{AllowanceCharge, Binding, Cat, Invoice, Num, Party, Subtotal};

/// One fired assertion.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub rule: &'static str,
    pub fatal: bool,
    pub message: &'static str,
    pub path: String,
}

#[derive(Default)]
pub(crate) struct Out {
    pub fired: Vec<Fired>,
}

impl Out {
    /// Fires `rule` with the flag the artefacts give it.
    pub(crate) fn push(
        &mut self,
        fatal: bool,
        rule: &'static str,
        message: &'static str,
        path: impl Into<String>,
    ) {
        self.fired.push(Fired {
            rule,
            fatal,
            message,
            path: path.into(),
        });
    }
    pub(crate) fn fatal(
        &mut self,
        rule: &'static str,
        message: &'static str,
        path: impl Into<String>,
    ) {
        self.push(true, rule, message, path);
    }
    pub(crate) fn warning(
        &mut self,
        rule: &'static str,
        message: &'static str,
        path: impl Into<String>,
    ) {
        self.push(false, rule, message, path);
    }
    /// Fires fatal `rule` unless `ok`.
    pub(crate) fn check(
        &mut self,
        ok: bool,
        rule: &'static str,
        message: &'static str,
        path: impl Into<String>,
    ) {
        if !ok {
            self.fatal(rule, message, path);
        }
    }
    /// Fires warning `rule` unless `ok`.
    pub(crate) fn check_warning(
        &mut self,
        ok: bool,
        rule: &'static str,
        message: &'static str,
        path: impl Into<String>,
    ) {
        if !ok {
            self.warning(rule, message, path);
        }
    }
}

fn v(n: &Option<Num>) -> Option<Dec> {
    n.as_ref().and_then(|x| x.val)
}

fn dec_ok(n: &Option<Num>) -> bool {
    n.as_ref().is_none_or(|x| fraction_digits(&x.raw) <= 2)
}

fn r2(d: Dec) -> Dec {
    d.round_to(2)
}

/// `a op b` where an absent operand makes the comparison false (XPath
/// general comparison with an empty sequence).
fn eq(a: Option<Dec>, b: Option<Dec>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a == b)
}

/// |tax| within ±1 of round2(|base| × rate / 100), strictly (UBL) or
/// inclusively (CII).
fn within_one(tax: Dec, base: Dec, rate: Dec, inclusive: bool) -> bool {
    let Some(expect) = base.abs().mul(rate.percent()).map(r2) else {
        return false;
    };
    let one = Dec::from_int(1);
    let (Some(lo), Some(hi)) = (tax.abs().sub(one), tax.abs().add(one)) else {
        return false;
    };
    if inclusive {
        lo <= expect && hi >= expect
    } else {
        lo < expect && hi > expect
    }
}

/// A value as the artefacts compare an element with a number (`(…) >= 0`):
/// the untyped text cast to `xs:double`, which also reads exponents
/// (`5E+0`) that the `xs:decimal` casts of other rules refuse.
fn untyped_number(raw: &str) -> Option<f64> {
    raw.trim().parse().ok()
}

const ZERO_RATED: [(&str, &str); 6] = [
    ("Z", "BR-Z"),
    ("E", "BR-E"),
    ("AE", "BR-AE"),
    ("K", "BR-IC"),
    ("G", "BR-G"),
    ("O", "BR-O"),
];

/// Rule ids of one VAT category family, indexed 1..=10.
struct Family {
    code: &'static str,
    ids: [&'static str; 10],
    msgs: [&'static str; 10],
}

macro_rules! family {
    ($code:expr, $p:literal, $name:literal) => {
        Family {
            code: $code,
            ids: [
                concat!($p, "-01"),
                concat!($p, "-02"),
                concat!($p, "-03"),
                concat!($p, "-04"),
                concat!($p, "-05"),
                concat!($p, "-06"),
                concat!($p, "-07"),
                concat!($p, "-08"),
                concat!($p, "-09"),
                concat!($p, "-10"),
            ],
            msgs: [
                concat!("An Invoice with an invoice line, allowance or charge of VAT category \"", $name, "\" shall contain the matching VAT breakdown (BG-23)."),
                concat!("An Invoice line of VAT category \"", $name, "\" requires the seller/buyer VAT identifiers of the category."),
                concat!("A document level allowance of VAT category \"", $name, "\" requires the seller/buyer VAT identifiers of the category."),
                concat!("A document level charge of VAT category \"", $name, "\" requires the seller/buyer VAT identifiers of the category."),
                concat!("The Invoiced item VAT rate (BT-152) of VAT category \"", $name, "\" is not allowed."),
                concat!("The Document level allowance VAT rate (BT-96) of VAT category \"", $name, "\" is not allowed."),
                concat!("The Document level charge VAT rate (BT-103) of VAT category \"", $name, "\" is not allowed."),
                concat!("The VAT category taxable amount (BT-116) of VAT category \"", $name, "\" shall equal the sum of line net amounts plus charges minus allowances of that category."),
                concat!("The VAT category tax amount (BT-117) of VAT category \"", $name, "\" is wrong."),
                concat!("The VAT exemption reason (BT-120/BT-121) of VAT category \"", $name, "\" is wrong."),
            ],
        }
    };
}

const FAMILIES: [Family; 9] = [
    family!("S", "BR-S", "Standard rated"),
    family!("Z", "BR-Z", "Zero rated"),
    family!("E", "BR-E", "Exempt from VAT"),
    family!("AE", "BR-AE", "Reverse charge"),
    family!("K", "BR-IC", "Intra-community supply"),
    family!("G", "BR-G", "Export outside the EU"),
    family!("O", "BR-O", "Not subject to VAT"),
    family!("L", "BR-AF", "IGIC"),
    family!("M", "BR-AG", "IPSI"),
];

const COUNTRY_PREFIXES: &str = " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW ";

fn first2(s: &str) -> &str {
    let end = s.char_indices().nth(2).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

pub(crate) fn evaluate(inv: &Invoice, out: &mut Out) {
    let cii = inv.binding == Binding::Cii;
    document(inv, out, cii);
    totals(inv, out, cii);
    tax_totals(inv, out, cii);
    lines(inv, out);
    allowances_charges(inv, out);
    parties(inv, out, cii);
    payment(inv, out, cii);
    if cii {
        vat_categories_cii(inv, out);
    } else {
        vat_categories(inv, out, cii);
    }
}

fn document(inv: &Invoice, out: &mut Out, cii: bool) {
    let p = "/";
    out.check(
        !inv.customization_id.is_empty(),
        "BR-01",
        "An Invoice shall have a Specification identifier (BT-24).",
        p,
    );
    out.check(
        !inv.number.is_empty(),
        "BR-02",
        "An Invoice shall have an Invoice number (BT-1).",
        p,
    );
    out.check(
        !inv.issue_date.is_empty(),
        "BR-03",
        "An Invoice shall have an Invoice issue date (BT-2).",
        p,
    );
    out.check(
        !inv.type_code.is_empty(),
        "BR-04",
        "An Invoice shall have an Invoice type code (BT-3).",
        p,
    );
    out.check(
        !inv.currency.is_empty(),
        "BR-05",
        "An Invoice shall have an Invoice currency code (BT-5).",
        p,
    );
    out.check(
        inv.seller.as_ref().is_some_and(|s| !s.name.is_empty()),
        "BR-06",
        "An Invoice shall contain the Seller name (BT-27).",
        p,
    );
    out.check(
        inv.buyer.as_ref().is_some_and(|s| !s.name.is_empty()),
        "BR-07",
        "An Invoice shall contain the Buyer name (BT-44).",
        p,
    );
    out.check(
        inv.seller.as_ref().is_some_and(|s| s.address.is_some()),
        "BR-08",
        "An Invoice shall contain the Seller postal address (BG-5).",
        p,
    );
    out.check(
        inv.buyer.as_ref().is_some_and(|s| s.address.is_some()),
        "BR-10",
        "An Invoice shall contain the Buyer postal address (BG-8).",
        p,
    );
    if cii {
        // The CII binding checks the country codes from the root.
        let country = |pt: &Option<Party>| {
            pt.as_ref()
                .and_then(|s| s.address.as_ref())
                .is_some_and(|a| !a.country.is_empty())
        };
        out.check(
            country(&inv.seller),
            "BR-09",
            "The Seller postal address (BG-5) shall contain a Seller country code (BT-40).",
            p,
        );
        out.check(
            country(&inv.buyer),
            "BR-11",
            "The Buyer postal address shall contain a Buyer country code (BT-55).",
            p,
        );
    }
    out.check(
        !inv.lines.is_empty(),
        "BR-16",
        "An Invoice shall have at least one Invoice line (BG-25).",
        p,
    );
    if let Some(tc) = &inv.tax_currency {
        let ok = if cii {
            inv.tax_totals
                .iter()
                .any(|t| t.amount_currency.as_deref() == Some(tc.as_str()))
                && *tc != inv.currency
        } else {
            inv.tax_totals
                .iter()
                .any(|t| t.amount_currency.as_deref() == Some(tc.as_str()))
        };
        out.check(ok, "BR-53", "If the VAT accounting currency code (BT-6) is present, then the Invoice total VAT amount in accounting currency (BT-111) shall be provided.", p);
    }
    out.check(
        inv.card_accounts <= 1,
        "BR-66",
        "An Invoice shall contain maximum one Payment Card account (BG-18).",
        p,
    );
    out.check(
        inv.mandates <= 1,
        "BR-67",
        "An Invoice shall contain maximum one Payment Mandate (BG-19).",
        p,
    );
    out.check(
        !(inv.tax_point_date && inv.tax_point_code),
        "BR-CO-03",
        "Value added tax point date (BT-7) and Value added tax point date code (BT-8) are mutually exclusive.",
        p,
    );
    // CII binds BR-CO-18 to each invoice line, UBL to the invoice.
    if !cii || !inv.lines.is_empty() {
        out.check(
            inv.subtotals().next().is_some(),
            "BR-CO-18",
            "An Invoice shall at least have one VAT breakdown group (BG-23).",
            p,
        );
    }
    // BR-CO-15: exactly one BT-110 in the invoice currency and BT-112 = BT-109 + BT-110.
    if !inv.currency.is_empty() || cii {
        let cur = inv.currency.as_str();
        let in_cur: Vec<&Num> = inv
            .tax_totals
            .iter()
            .filter(|t| t.amount_currency.as_deref() == Some(cur))
            .filter_map(|t| t.amount.as_ref())
            .collect();
        let t = inv.totals.as_ref();
        let incl = t.and_then(|t| v(&t.tax_inclusive));
        let excl = t.and_then(|t| v(&t.tax_exclusive));
        let mut ok = in_cur.len() == 1
            && match (incl, excl, in_cur.first().and_then(|n| n.val)) {
                (Some(i), Some(e), Some(tax)) => e.add(tax).is_some_and(|s| r2(s) == i),
                _ => false,
            };
        if cii && !ok {
            ok = eq(incl, excl);
        }
        if !inv.currency.is_empty() || (cii && !inv.currency.is_empty()) {
            out.check(ok, "BR-CO-15", "Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).", p);
        }
    }
    let decimals_ok = inv
        .tax_totals
        .iter()
        .filter(|t| t.amount_currency.as_deref() == Some(inv.currency.as_str()))
        .all(|t| dec_ok(&t.amount));
    out.check(
        decimals_ok,
        "BR-DEC-13",
        "The allowed maximum number of decimals for the Invoice total VAT amount (BT-110) is 2.",
        p,
    );
    if let Some(tc) = &inv.tax_currency {
        let ok = inv
            .tax_totals
            .iter()
            .filter(|t| t.amount_currency.as_deref() == Some(tc.as_str()))
            .all(|t| dec_ok(&t.amount));
        out.check(ok, "BR-DEC-15", "The allowed maximum number of decimals for the Invoice total VAT amount in accounting currency (BT-111) is 2.", p);
    }
    if let Some(per) = &inv.period {
        let path = "BG-14";
        if let (Some(s), Some(e)) = (&per.start, &per.end) {
            out.check(!per.without_102 && e.as_str() >= s.as_str(), "BR-29", "If both Invoicing period start date (BT-73) and Invoicing period end date (BT-74) are given then the Invoicing period end date (BT-74) shall be later or equal to the Invoicing period start date (BT-73).", path);
        }
        out.check(
            per.start.is_some() || per.end.is_some() || (!cii && per.description_code),
            "BR-CO-19",
            "If Invoicing period (BG-14) is used, the Invoicing period start date (BT-73) or the Invoicing period end date (BT-74) shall be filled, or both.",
            path,
        );
    }
    for (i, ok) in inv.preceding.iter().enumerate() {
        out.check(*ok, "BR-55", "Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25).", format!("BG-3[{}]", i + 1));
    }
    for (i, ok) in inv.supporting_docs.iter().enumerate() {
        out.check(*ok, "BR-52", "Each Additional supporting document (BG-24) shall contain a Supporting document reference (BT-122).", format!("BG-24[{}]", i + 1));
    }
    if let Some(d) = &inv.deliver_to {
        out.check(
            if cii {
                !d.country.is_empty()
            } else {
                d.country_present
            },
            "BR-57",
            "Each Deliver to address (BG-15) shall contain a Deliver to country code (BT-80).",
            "BG-15",
        );
    }
}

fn totals(inv: &Invoice, out: &mut Out, cii: bool) {
    let Some(t) = &inv.totals else {
        return;
    };
    let p = "BG-22";
    out.check(
        t.line_net.is_some(),
        "BR-12",
        "An Invoice shall have the Sum of Invoice line net amount (BT-106).",
        p,
    );
    out.check(
        t.tax_exclusive.is_some(),
        "BR-13",
        "An Invoice shall have the Invoice total amount without VAT (BT-109).",
        p,
    );
    out.check(
        t.tax_inclusive.is_some(),
        "BR-14",
        "An Invoice shall have the Invoice total amount with VAT (BT-112).",
        p,
    );
    out.check(
        t.payable.is_some(),
        "BR-15",
        "An Invoice shall have the Amount due for payment (BT-115).",
        p,
    );

    let line_sum = sum(inv.lines.iter().filter_map(|l| l.net_val())).map(r2);
    out.check(
        eq(v(&t.line_net), line_sum),
        "BR-CO-10",
        "Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131).",
        p,
    );

    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    let ok = (t.allowances.is_none() && allowances.is_empty())
        || eq(
            v(&t.allowances),
            sum(allowances.iter().filter_map(|a| a.amount_val())).map(r2),
        );
    out.check(
        ok,
        "BR-CO-11",
        "Sum of allowances on document level (BT-107) = Σ Document level allowance amount (BT-92).",
        p,
    );
    let ok = (t.charges.is_none() && charges.is_empty())
        || eq(
            v(&t.charges),
            sum(charges.iter().filter_map(|a| a.amount_val())).map(r2),
        );
    out.check(
        ok,
        "BR-CO-12",
        "Sum of charges on document level (BT-108) = Σ Document level charge amount (BT-99).",
        p,
    );

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
    out.check(ok, "BR-CO-13", "Invoice total amount without VAT (BT-109) = Σ Invoice line net amount (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document level (BT-108).", p);

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
    out.check(ok, "BR-CO-16", "Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) -Paid amount (BT-113) +Rounding amount (BT-114).", p);

    // No BR-CO-25 (due date or payment terms when an amount is due): the
    // v1.3.16 artefacts do not have it; they fire it on none of the 1140
    // per-rule test documents, its own test set included.

    let decs: [(&Option<Num>, &'static str, &'static str); 8] = [
        (&t.line_net, "BR-DEC-09", "The allowed maximum number of decimals for the Sum of Invoice line net amount (BT-106) is 2."),
        (&t.allowances, "BR-DEC-10", "The allowed maximum number of decimals for the Sum of allowances on document level (BT-107) is 2."),
        (&t.charges, "BR-DEC-11", "The allowed maximum number of decimals for the Sum of charges on document level (BT-108) is 2."),
        (&t.tax_exclusive, "BR-DEC-12", "The allowed maximum number of decimals for the Invoice total amount without VAT (BT-109) is 2."),
        (&t.tax_inclusive, "BR-DEC-14", "The allowed maximum number of decimals for the Invoice total amount with VAT (BT-112) is 2."),
        (&t.prepaid, "BR-DEC-16", "The allowed maximum number of decimals for the Paid amount (BT-113) is 2."),
        (&t.rounding, "BR-DEC-17", "The allowed maximum number of decimals for the Rounding amount (BT-114) is 2."),
        (&t.payable, "BR-DEC-18", "The allowed maximum number of decimals for the Amount due for payment (BT-115) is 2."),
    ];
    for (n, id, msg) in decs {
        out.check(dec_ok(n), id, msg, p);
    }
}

fn tax_totals(inv: &Invoice, out: &mut Out, cii: bool) {
    for (ti, tt) in inv.tax_totals.iter().enumerate() {
        let path = format!("TaxTotal[{}]", ti + 1);
        if cii {
            // CII: the header TaxTotalAmount in the invoice currency equals
            // the rounded sum of all header VAT amounts.
            if tt.amount.is_some()
                && (tt.amount_currency.is_none()
                    || tt.amount_currency.as_deref() == Some(inv.currency.as_str()))
            {
                let s = sum(tt.subtotals.iter().filter_map(|s| v(&s.tax))).map(r2);
                out.check(
                    eq(v(&tt.amount), s),
                    "BR-CO-14",
                    "Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).",
                    &path,
                );
            }
        } else if !tt.subtotals.is_empty() {
            let s = sum(tt.subtotals.iter().filter_map(|s| v(&s.tax))).map(r2);
            out.check(
                eq(v(&tt.amount), s),
                "BR-CO-14",
                "Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).",
                &path,
            );
        }
        for (si, s) in tt.subtotals.iter().enumerate() {
            if cii && matched_by_its_category_rule(s) {
                continue;
            }
            let path = format!("BG-23[{}]", si + 1);
            subtotal(s, out, cii, &path);
        }
    }
    for s in &inv.line_subtotals {
        subtotal(s, out, cii, "BG-25/TaxTotal");
    }
}

/// Whether the CII artefact checks this VAT breakdown with its category's
/// own rule instead of the generic BG-23 one. Its templates for categories
/// L, M and O match the `ram:ApplicableTradeTax` element itself (those of
/// the other categories match its `ram:CategoryCode`), at a higher priority
/// than the generic rule in the same mode, and a node fires one template per
/// mode: so BR-45…48, BR-CO-17 and BR-DEC-19/20 are never evaluated on such
/// a breakdown (`ApplicableTradeTax[ram:CategoryCode = 'L'][upper-case(ram:TypeCode) = 'VAT']`).
fn matched_by_its_category_rule(s: &Subtotal) -> bool {
    s.cat
        .as_ref()
        .is_some_and(|c| c.vat && ["L", "M", "O"].into_iter().any(|code| c.is(code)))
}

fn subtotal(s: &Subtotal, out: &mut Out, cii: bool, path: &str) {
    out.check(
        s.taxable.is_some(),
        "BR-45",
        "Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116).",
        path,
    );
    out.check(
        s.tax.is_some(),
        "BR-46",
        "Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117).",
        path,
    );
    let cat = s.cat.as_ref();
    out.check(
        cat.is_some_and(|c| c.code.is_some()),
        "BR-47",
        "Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118).",
        path,
    );
    out.check(
        cat.is_some_and(|c| c.rate.is_some() || c.is("O")),
        "BR-48",
        "Each VAT breakdown (BG-23) shall have a VAT category rate (BT-119), except if the Invoice is not subject to VAT.",
        path,
    );
    // BR-CO-17
    let rate = cat.and_then(|c| c.rate.as_ref());
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
    out.check(ok, "BR-CO-17", "VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals.", path);
    out.check(
        dec_ok(&s.taxable),
        "BR-DEC-19",
        "The allowed maximum number of decimals for the VAT category taxable amount (BT-116) is 2.",
        path,
    );
    out.check(
        dec_ok(&s.tax),
        "BR-DEC-20",
        "The allowed maximum number of decimals for the VAT category tax amount (BT-117) is 2.",
        path,
    );
}

fn lines(inv: &Invoice, out: &mut Out) {
    for (i, l) in inv.lines.iter().enumerate() {
        let p = format!("BG-25[{}]", i + 1);
        out.check(
            !l.id.is_empty(),
            "BR-21",
            "Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).",
            &p,
        );
        out.check(
            l.quantity,
            "BR-22",
            "Each Invoice line (BG-25) shall have an Invoiced quantity (BT-129).",
            &p,
        );
        out.check(l.unit_code, "BR-23", "An Invoice line (BG-25) shall have an Invoiced quantity unit of measure code (BT-130).", &p);
        out.check(
            l.net.is_some(),
            "BR-24",
            "Each Invoice line (BG-25) shall have an Invoice line net amount (BT-131).",
            &p,
        );
        out.check(
            !l.item_name.is_empty(),
            "BR-25",
            "Each Invoice line (BG-25) shall contain the Item name (BT-153).",
            &p,
        );
        out.check(
            l.net_price.is_some(),
            "BR-26",
            "Each Invoice line (BG-25) shall contain the Item net price (BT-146).",
            &p,
        );
        out.check(
            l.net_price
                .as_ref()
                .and_then(|price| untyped_number(&price.raw))
                .is_some_and(|x| x >= 0.0),
            "BR-27",
            "The Item net price (BT-146) shall NOT be negative.",
            &p,
        );
        out.check(
            l.gross_prices.is_empty()
                || l.gross_prices
                    .iter()
                    .any(|g| g.val.is_some_and(|x| x.signum() >= 0)),
            "BR-28",
            "The Item gross price (BT-148) shall NOT be negative.",
            &p,
        );
        out.check(
            l.cats.iter().any(|c| c.vat && c.code.is_some()),
            "BR-CO-04",
            "Each Invoice line (BG-25) shall be categorized with an Invoiced item VAT category code (BT-151).",
            &p,
        );
        out.check(
            dec_ok(&l.net),
            "BR-DEC-23",
            "The allowed maximum number of decimals for the Invoice line net amount (BT-131) is 2.",
            &p,
        );
        if let Some(per) = &l.period {
            if let (Some(s), Some(e)) = (&per.start, &per.end) {
                out.check(!per.without_102 && e.as_str() >= s.as_str(), "BR-30", "If both Invoice line period start date (BT-134) and Invoice line period end date (BT-135) are given then the Invoice line period end date (BT-135) shall be later or equal to the Invoice line period start date (BT-134).", &p);
            }
            out.check(per.start.is_some() || per.end.is_some(), "BR-CO-20", "If Invoice line period (BG-26) is used, the Invoice line period start date (BT-134) or the Invoice line period end date (BT-135) shall be filled, or both.", &p);
        }
        for ac in &l.allowance_charges {
            let reason = ac.reason || ac.reason_code;
            match ac.charge {
                Some(false) => {
                    out.check(ac.amount.is_some(), "BR-41", "Each Invoice line allowance (BG-27) shall have an Invoice line allowance amount (BT-136).", &p);
                    out.check(reason, "BR-42", "Each Invoice line allowance (BG-27) shall have an Invoice line allowance reason (BT-139) or an Invoice line allowance reason code (BT-140).", &p);
                    out.check(reason, "BR-CO-23", "Each Invoice line allowance (BG-27) shall contain an Invoice line allowance reason (BT-139) or an Invoice line allowance reason code (BT-140), or both.", &p);
                    out.check(dec_ok(&ac.amount), "BR-DEC-24", "The allowed maximum number of decimals for the Invoice line allowance amount (BT-136) is 2.", &p);
                    out.check(dec_ok(&ac.base), "BR-DEC-25", "The allowed maximum number of decimals for the Invoice line allowance base amount (BT-137) is 2.", &p);
                }
                Some(true) => {
                    out.check(ac.amount.is_some(), "BR-43", "Each Invoice line charge (BG-28) shall have an Invoice line charge amount (BT-141).", &p);
                    out.check(reason, "BR-44", "Each Invoice line charge shall have an Invoice line charge reason or an invoice line allowance reason code.", &p);
                    out.check(reason, "BR-CO-24", "Each Invoice line charge (BG-28) shall contain an Invoice line charge reason (BT-144) or an Invoice line charge reason code (BT-145), or both.", &p);
                    out.check(dec_ok(&ac.amount), "BR-DEC-27", "The allowed maximum number of decimals for the Invoice line charge amount (BT-141) is 2.", &p);
                    out.check(dec_ok(&ac.base), "BR-DEC-28", "The allowed maximum number of decimals for the Invoice line charge base amount (BT-142) is 2.", &p);
                }
                None => {}
            }
        }
        for (name, value) in &l.attributes {
            out.check(*name && *value, "BR-54", "Each Item attribute (BG-32) shall contain an Item attribute name (BT-160) and an Item attribute value (BT-161).", &p);
        }
        for ok in &l.standard_ids {
            out.check(
                *ok,
                "BR-64",
                "The Item standard identifier (BT-157) shall have a Scheme identifier.",
                &p,
            );
        }
        for ok in &l.classifications {
            out.check(
                *ok,
                "BR-65",
                "The Item classification identifier (BT-158) shall have a Scheme identifier.",
                &p,
            );
        }
    }
}

fn allowances_charges(inv: &Invoice, out: &mut Out) {
    for (i, ac) in inv.allowance_charges.iter().enumerate() {
        let p = format!("AllowanceCharge[{}]", i + 1);
        let reason = ac.reason || ac.reason_code;
        let vat_code = ac.cats.iter().any(|c| c.vat && c.code.is_some());
        match ac.charge {
            Some(false) => {
                out.check(ac.amount.is_some(), "BR-31", "Each Document level allowance (BG-20) shall have a Document level allowance amount (BT-92).", &p);
                out.check(vat_code, "BR-32", "Each Document level allowance (BG-20) shall have a Document level allowance VAT category code (BT-95).", &p);
                out.check(reason, "BR-33", "Each Document level allowance (BG-20) shall have a Document level allowance reason (BT-97) or a Document level allowance reason code (BT-98).", &p);
                out.check(reason, "BR-CO-21", "Each Document level allowance (BG-20) shall contain a Document level allowance reason (BT-97) or a Document level allowance reason code (BT-98), or both.", &p);
                out.check(dec_ok(&ac.amount), "BR-DEC-01", "The allowed maximum number of decimals for the Document level allowance amount (BT-92) is 2.", &p);
                out.check(dec_ok(&ac.base), "BR-DEC-02", "The allowed maximum number of decimals for the Document level allowance base amount (BT-93) is 2.", &p);
            }
            Some(true) => {
                out.check(ac.amount.is_some(), "BR-36", "Each Document level charge (BG-21) shall have a Document level charge amount (BT-99).", &p);
                out.check(vat_code, "BR-37", "Each Document level charge (BG-21) shall have a Document level charge VAT category code (BT-102).", &p);
                out.check(reason, "BR-38", "Each Document level charge (BG-21) shall have a Document level charge reason (BT-104) or a Document level charge reason code (BT-105).", &p);
                out.check(reason, "BR-CO-22", "Each Document level charge (BG-21) shall contain a Document level charge reason (BT-104) or a Document level charge reason code (BT-105), or both.", &p);
                out.check(dec_ok(&ac.amount), "BR-DEC-05", "The allowed maximum number of decimals for the Document level charge amount (BT-99) is 2.", &p);
                out.check(dec_ok(&ac.base), "BR-DEC-06", "The allowed maximum number of decimals for the Document level charge base amount (BT-100) is 2.", &p);
            }
            None => {}
        }
    }
}

fn parties(inv: &Invoice, out: &mut Out, cii: bool) {
    if !cii {
        if let Some(a) = inv.seller.as_ref().and_then(|s| s.address.as_ref()) {
            out.check(
                !a.country.is_empty(),
                "BR-09",
                "The Seller postal address (BG-5) shall contain a Seller country code (BT-40).",
                "BG-5",
            );
        }
        if let Some(a) = inv.buyer.as_ref().and_then(|s| s.address.as_ref()) {
            out.check(
                !a.country.is_empty(),
                "BR-11",
                "The Buyer postal address shall contain a Buyer country code (BT-55).",
                "BG-8",
            );
        }
    }
    if let Some(s) = &inv.seller {
        out.check(
            !s.vat_ids.is_empty() || !s.ids.is_empty() || !s.legal_ids.is_empty(),
            "BR-CO-26",
            "In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present.",
            "BG-4",
        );
        if let Some(sch) = s.endpoint_scheme {
            out.check(
                sch,
                "BR-62",
                "The Seller electronic address (BT-34) shall have a Scheme identifier.",
                "BT-34",
            );
        }
    }
    if let Some(b) = &inv.buyer {
        if let Some(sch) = b.endpoint_scheme {
            out.check(
                sch,
                "BR-63",
                "The Buyer electronic address (BT-49) shall have a Scheme identifier.",
                "BT-49",
            );
        }
    }
    if let Some(pe) = &inv.payee {
        let seller = inv.seller.as_ref();
        let name = if cii {
            Some(pe.name.as_str()).filter(|n| !n.is_empty())
        } else {
            pe.trading_names.first().map(String::as_str)
        };
        let same_name = seller.is_some_and(|s| {
            if cii {
                pe.name == s.name
            } else {
                pe.trading_names.iter().any(|n| s.trading_names.contains(n))
            }
        });
        let same_id = seller.is_some_and(|s| pe.ids.iter().any(|i| s.ids.contains(i)))
            || (cii
                && seller.is_some_and(|s| pe.legal_ids.iter().any(|i| s.legal_ids.contains(i))));
        out.check(name.is_some() && !same_name && !same_id, "BR-17", "The Payee name (BT-59) shall be provided in the Invoice, if the Payee (BG-10) is different from the Seller (BG-4).", "BG-10");
    }
    if let Some(tr) = &inv.tax_rep {
        let p = "BG-11";
        let name = if cii {
            !tr.name.is_empty()
        } else {
            tr.trading_names.iter().any(|n| !n.is_empty())
        };
        out.check(name, "BR-18", "The Seller tax representative name (BT-62) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11).", p);
        out.check(tr.address.is_some(), "BR-19", "The Seller tax representative postal address (BG-12) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11).", p);
        out.check(
            if cii { tr.vat_ids.iter().any(|i| !i.is_empty()) } else { !tr.vat_ids.is_empty() },
            "BR-56",
            "Each Seller tax representative party (BG-11) shall have a Seller tax representative VAT identifier (BT-63).",
            p,
        );
        if let Some(a) = &tr.address {
            out.check(a.country_present, "BR-20", "The Seller tax representative postal address (BG-12) shall contain a Tax representative country code (BT-69), if the Seller (BG-4) has a Seller tax representative party (BG-11).", "BG-12");
        }
    }
    // BR-CO-09 on every VAT identifier.
    let all_vat = [&inv.seller, &inv.buyer, &inv.tax_rep, &inv.payee]
        .into_iter()
        .flatten()
        .flat_map(|p| p.vat_ids.iter());
    for id in all_vat {
        let prefix = first2(id);
        let ok = if cii {
            COUNTRY_PREFIXES.contains(&format!(" {prefix} "))
        } else {
            COUNTRY_PREFIXES.contains(prefix)
        };
        out.check(ok, "BR-CO-09", "The Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) shall have a prefix in accordance with ISO code ISO 3166-1 alpha-2 by which the country of issue may be identified. Nevertheless, Greece may use the prefix 'EL'.", "VAT identifier");
    }
}

fn payment(inv: &Invoice, out: &mut Out, cii: bool) {
    for (i, pm) in inv.payment_means.iter().enumerate() {
        let p = format!("BG-16[{}]", i + 1);
        out.check(
            pm.code.is_some(),
            "BR-49",
            "A Payment instruction (BG-16) shall specify the Payment means type code (BT-81).",
            &p,
        );
        let transfer = matches!(pm.code.as_deref(), Some("30" | "58"));
        if transfer {
            if let Some(ok) = pm.account {
                out.check(ok, "BR-50", "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) information is provided in the Invoice.", &p);
            }
            out.check(pm.account == Some(true), "BR-61", "If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer or Non-SEPA international credit transfer, the Payment account identifier (BT-84) shall be present.", &p);
        }
        for pan in &pm.card_numbers {
            if pan.chars().count() > 10 {
                // A warning in the UBL binding, fatal in the CII binding.
                let fire = if cii { Out::fatal } else { Out::warning };
                fire(out, "BR-51", "In accordance with card payments security standards an invoice should never include a full card primary account number (BT-87). At the moment PCI Security Standards Council has defined that the first 6 digits and last 4 digits are the maximum number of digits to be shown.", p.clone());
            }
        }
    }
}

fn seller_vat(inv: &Invoice) -> bool {
    inv.seller.as_ref().is_some_and(|s| !s.vat_ids.is_empty())
}
fn seller_tax_any(inv: &Invoice) -> bool {
    inv.seller.as_ref().is_some_and(|s| !s.tax_ids.is_empty())
}
fn rep_vat(inv: &Invoice) -> bool {
    inv.tax_rep.as_ref().is_some_and(|s| !s.vat_ids.is_empty())
}
fn buyer_vat(inv: &Invoice) -> bool {
    inv.buyer.as_ref().is_some_and(|s| !s.vat_ids.is_empty())
}
fn buyer_legal(inv: &Invoice) -> bool {
    inv.buyer.as_ref().is_some_and(|s| !s.legal_ids.is_empty())
}

/// Whether the identifiers rule 02/03/04 of a family demands are present.
fn ids_ok(inv: &Invoice, code: &str) -> bool {
    match code {
        "AE" => (seller_tax_any(inv) || rep_vat(inv)) && (buyer_vat(inv) || buyer_legal(inv)),
        "K" => (seller_vat(inv) || rep_vat(inv)) && buyer_vat(inv),
        "G" => seller_vat(inv) || rep_vat(inv),
        "O" => !seller_vat(inv) && !rep_vat(inv) && !buyer_vat(inv),
        _ => seller_tax_any(inv) || rep_vat(inv),
    }
}

/// Whether a category's rate satisfies rule 05/06/07 of its family.
fn rate_ok(code: &str, c: &Cat) -> bool {
    match code {
        "S" => c.rate_val().is_some_and(|r| r.signum() > 0),
        "O" => c.rate.is_none(),
        "L" | "M" => c.rate_val().is_some_and(|r| r.signum() >= 0),
        _ => c.rate_val().is_some_and(|r| r.is_zero()),
    }
}

fn vat_categories(inv: &Invoice, out: &mut Out, cii: bool) {
    let allowances: Vec<&AllowanceCharge> = inv.allowances().collect();
    let charges: Vec<&AllowanceCharge> = inv.charges().collect();
    let subtotals: Vec<&Subtotal> = inv.subtotals().collect();

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
        let bd: Vec<&&Subtotal> = subtotals
            .iter()
            .filter(|s| s.is(code) || (any_scheme && s.any_scheme_s))
            .collect();
        let p = "/";
        // 01: breakdown presence.
        let exactly_one = ZERO_RATED.iter().any(|(c, _)| *c == code);
        let ok = if exactly_one {
            !(in_lines || in_ac || !bd.is_empty()) || bd.len() == 1
        } else if cii && code == "S" {
            // CII: lines or allowances/charges of S need an S breakdown.
            (!in_lines && !in_ac) || !bd.is_empty()
        } else {
            (in_lines || in_ac) != bd.is_empty()
        };
        out.check(ok, f.ids[0], f.msgs[0], p);
        // 02-04: identifiers.
        let ids = ids_ok(inv, code);
        if in_lines {
            out.check(ids, f.ids[1], f.msgs[1], p);
        }
        if in_allow {
            out.check(ids, f.ids[2], f.msgs[2], p);
        }
        if in_charge {
            out.check(ids, f.ids[3], f.msgs[3], p);
        }
        // 05-07: rates.
        for (i, l) in inv.lines.iter().enumerate() {
            for c in l.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(
                    rate_ok(code, c),
                    f.ids[4],
                    f.msgs[4],
                    format!("BG-25[{}]", i + 1),
                );
            }
        }
        for a in &allowances {
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(rate_ok(code, c), f.ids[5], f.msgs[5], "BG-20");
            }
        }
        for a in &charges {
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(rate_ok(code, c), f.ids[6], f.msgs[6], "BG-21");
            }
        }
        // 08-10: each breakdown of the category.
        let mut memo: std::collections::BTreeMap<Option<Dec>, (bool, Option<Dec>)> =
            std::collections::BTreeMap::new();
        for s in bd.iter().filter(|s| s.cat.as_ref().is_some_and(|c| c.vat)) {
            let c = s.cat.as_ref().expect("filtered");
            let path = "BG-23";
            let taxable = v(&s.taxable);
            if exactly_one {
                // Memoised per family: many breakdowns must not make this quadratic.
                let computed = memo.get(&None).copied();
                let total = computed.map(|m| m.1).unwrap_or_else(|| {
                    let t = (|| {
                        let lines = sum(inv
                            .lines
                            .iter()
                            .filter(|l| l.cats.iter().any(|c| c.is(code)))
                            .filter_map(|l| l.net_val()))?;
                        let ch = sum(charges
                            .iter()
                            .filter(|a| a.cats.iter().any(|c| c.is(code)))
                            .filter_map(|a| a.amount_val()))?;
                        let al = sum(allowances
                            .iter()
                            .filter(|a| a.cats.iter().any(|c| c.is(code)))
                            .filter_map(|a| a.amount_val()))?;
                        lines.add(ch)?.sub(al)
                    })();
                    memo.insert(None, (true, t));
                    t
                });
                out.check(
                    !inv.lines.is_empty() && eq(taxable, total),
                    f.ids[7],
                    f.msgs[7],
                    path,
                );
                out.check(
                    v(&s.tax).is_some_and(|t| t.is_zero()),
                    f.ids[8],
                    f.msgs[8],
                    path,
                );
                let has_reason = c.exemption_reason || c.exemption_code;
                // Zero rated carries no exemption reason; the others need one.
                out.check(
                    if code == "Z" { !has_reason } else { has_reason },
                    f.ids[9],
                    f.msgs[9],
                    path,
                );
            } else {
                // S, L, M: per rate, within ±1.
                if let Some(rate) = c.rate_val() {
                    let at_rate = |x: &Cat| x.is(code) && x.rate_val() == Some(rate);
                    let (used, total) = match memo.get(&Some(rate)) {
                        Some(m) => *m,
                        None => {
                            let used = inv.lines.iter().any(|l| l.cats.iter().any(at_rate))
                                || inv
                                    .allowance_charges
                                    .iter()
                                    .any(|a| a.cats.iter().any(at_rate));
                            let total = (|| {
                                let lines = sum(inv
                                    .lines
                                    .iter()
                                    .filter(|l| l.cats.iter().any(at_rate))
                                    .filter_map(|l| l.net_val()))?;
                                let ch = sum(charges
                                    .iter()
                                    .filter(|a| a.cats.iter().any(at_rate))
                                    .filter_map(|a| a.amount_val()))?;
                                let al = sum(allowances
                                    .iter()
                                    .filter(|a| a.cats.iter().any(at_rate))
                                    .filter_map(|a| a.amount_val()))?;
                                lines.add(ch)?.sub(al)
                            })();
                            memo.insert(Some(rate), (used, total));
                            (used, total)
                        }
                    };
                    let close = match (taxable, total) {
                        (Some(t), Some(sum)) => {
                            let one = Dec::from_int(1);
                            t.sub(one).is_some_and(|lo| lo < sum)
                                && t.add(one).is_some_and(|hi| hi > sum)
                        }
                        _ => false,
                    };
                    let lines_needed = !inv.lines.is_empty() || code == "S";
                    out.check(used && close && lines_needed, f.ids[7], f.msgs[7], path);
                }
                let ok = match (v(&s.tax), taxable, c.rate_val()) {
                    (Some(t), Some(b), Some(r)) => within_one(t, b, r, false),
                    _ => false,
                };
                out.check(ok, f.ids[8], f.msgs[8], path);
                out.check(
                    !c.exemption_reason && !c.exemption_code,
                    f.ids[9],
                    f.msgs[9],
                    path,
                );
            }
        }
    }

    // BR-O-11..14: "Not subject to VAT" excludes every other category.
    if subtotals
        .iter()
        .any(|s| s.cat.as_ref().is_some_and(|c| c.is_vat("O")))
    {
        let other = |c: &Cat| c.vat && !c.is("O");
        out.check(!subtotals.iter().any(|s| s.cat.as_ref().is_some_and(other)), "BR-O-11", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain other VAT breakdown groups (BG-23).", "/");
        out.check(!inv.lines.iter().any(|l| l.cats.iter().any(other)), "BR-O-12", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not \"Not subject to VAT\".", "/");
        out.check(!allowances.iter().any(|a| a.cats.iter().any(other)), "BR-O-13", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain Document level allowances (BG-20) where Document level allowance VAT category code (BT-95) is not \"Not subject to VAT\".", "/");
        out.check(!charges.iter().any(|a| a.cats.iter().any(other)), "BR-O-14", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain Document level charges (BG-21) where Document level charge VAT category code (BT-102) is not \"Not subject to VAT\".", "/");
    }
    // BR-IC-11/12: intra-community supply needs a delivery date or period and a deliver-to country.
    if subtotals
        .iter()
        .any(|s| s.cat.as_ref().is_some_and(|c| c.is_vat("K")))
    {
        let period = inv.period.as_ref().is_some_and(|p| p.any_child);
        out.check(inv.delivery_date.chars().count() > 1 || period, "BR-IC-11", "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is \"Intra-community supply\" the Actual delivery date (BT-72) or the Invoicing period (BG-14) shall not be blank.", "/");
        let country = inv
            .deliver_to
            .as_ref()
            .map_or(0, |d| d.country.chars().count());
        out.check(country > 1, "BR-IC-12", "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is \"Intra-community supply\" the Deliver to country code (BT-80) shall not be blank.", "/");
    }
    // BR-B-01/02: split payment.
    let b_line = inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("B")));
    let b_ac = inv
        .allowance_charges
        .iter()
        .any(|a| a.cats.iter().any(|c| c.is("B")));
    let b_bd = subtotals.iter().any(|s| s.is("B"));
    if b_line || b_ac || b_bd {
        out.check(inv.country_codes.iter().all(|c| c == "IT"), "BR-B-01", "An Invoice where the VAT category code (BT-151, BT-95 or BT-102) is \"Split payment\" shall be a domestic Italian invoice.", "/");
        let s = inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("S")))
            || inv
                .allowance_charges
                .iter()
                .any(|a| a.cats.iter().any(|c| c.is("S")));
        out.check(!s, "BR-B-02", "An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is \"Split payment\" shall not contain an invoice line (BG-25), a Document level allowance (BG-20) or  a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is \"Standard rated\".", "/");
    }
}

/// The CII binding of the VAT category rules (EN16931-CII-model): counts of
/// category codes across the document rather than per-group predicates, and
/// rounded per-kind sums.
fn vat_categories_cii(inv: &Invoice, out: &mut Out) {
    let subtotals: Vec<&Subtotal> = inv.subtotals().collect();
    let all_ac = || {
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
        let nh = subtotals.iter().filter(|s| s.is(code)).count();
        let nac = all_ac()
            .flat_map(|a| a.cats.iter())
            .filter(|c| c.is(code))
            .count();
        let p = "/";
        let ok = match code {
            "S" | "L" | "M" => (nl + nh >= 2 || nl == 0) && (nac + nh >= 2 || nac == 0),
            "O" => nh == 0 || (nh == 1 && (nl > 0 || nac > 0)),
            _ => (nh == 0 && nl == 0 && nac == 0) || (nh == 1 && (nl > 0 || nac > 0)),
        };
        out.check(ok, f.ids[0], f.msgs[0], p);
        let ids = ids_ok(inv, code);
        let rate_ok = |c: &Cat| match code {
            "S" | "L" => c.rate_val().is_some_and(|r| r.signum() > 0),
            "M" => c.rate_val().is_some_and(|r| r.signum() >= 0),
            "O" => c.rate.is_none(),
            _ => c.rate_val().is_some_and(|r| r.is_zero()),
        };
        for (i, l) in inv.lines.iter().enumerate() {
            for c in l.cats.iter().filter(|c| c.is_vat(code)) {
                let path = format!("BG-25[{}]", i + 1);
                out.check(ids, f.ids[1], f.msgs[1], &path);
                out.check(rate_ok(c), f.ids[4], f.msgs[4], &path);
            }
        }
        for a in &allowances {
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(ids, f.ids[2], f.msgs[2], "BG-20");
                out.check(rate_ok(c), f.ids[5], f.msgs[5], "BG-20");
            }
        }
        for a in &charges {
            for c in a.cats.iter().filter(|c| c.is_vat(code)) {
                out.check(ids, f.ids[3], f.msgs[3], "BG-21");
                out.check(rate_ok(c), f.ids[6], f.msgs[6], "BG-21");
            }
        }
        // 08-10 on each header breakdown of the category.
        let mut memo: std::collections::BTreeMap<Option<Dec>, (bool, Option<Dec>)> =
            std::collections::BTreeMap::new();
        let mut o_checked = false;
        let vat_only = !matches!(code, "S" | "O");
        for s in subtotals.iter().filter(|s| s.is(code)) {
            let c = s.cat.as_ref().expect("is(code) implies a category");
            if vat_only && !c.vat {
                continue;
            }
            let path = "BG-23";
            let basis = v(&s.taxable);
            let sums_raw = |pick: &dyn Fn(&Cat) -> bool| -> Option<Dec> {
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
            };
            // Memoised per (family, rate): many breakdowns must not make this quadratic.
            let mut sums = |key: Option<Dec>, pick: &dyn Fn(&Cat) -> bool| -> Option<Dec> {
                if let Some(m) = memo.get(&key) {
                    return m.1;
                }
                let t = sums_raw(pick);
                memo.insert(key, (true, t));
                t
            };
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
                        out.check(eq(basis, total), f.ids[7], f.msgs[7], path);
                    }
                    if code == "S" {
                        let ok = match (v(&s.tax), basis, c.rate_val()) {
                            (Some(t), Some(b), Some(r)) => within_one(t, b, r, false),
                            _ => false,
                        };
                        out.check(ok, f.ids[8], f.msgs[8], path);
                    }
                    out.check(
                        !c.exemption_reason && !c.exemption_code,
                        f.ids[9],
                        f.msgs[9],
                        path,
                    );
                }
                _ => {
                    let total = sums(None, &|x: &Cat| x.is(code));
                    let ok = if code == "O" {
                        eq(basis, total)
                    } else {
                        match (basis, total) {
                            (Some(b), Some(t)) => {
                                let one = Dec::from_int(1);
                                b.sub(one).is_some_and(|lo| lo < t)
                                    && b.add(one).is_some_and(|hi| hi > t)
                            }
                            _ => false,
                        }
                    };
                    out.check(ok, f.ids[7], f.msgs[7], path);
                    out.check(
                        v(&s.tax).is_some_and(|t| t.is_zero()),
                        f.ids[8],
                        f.msgs[8],
                        path,
                    );
                    let has_reason = c.exemption_reason || c.exemption_code;
                    out.check(
                        if code == "Z" { !has_reason } else { has_reason },
                        f.ids[9],
                        f.msgs[9],
                        path,
                    );
                }
            }
            if code == "K" {
                let period = inv
                    .period
                    .as_ref()
                    .is_some_and(|p| p.start.is_some() || p.end.is_some());
                out.check(!inv.delivery_date.is_empty() || period, "BR-IC-11", "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is \"Intra-community supply\" the Actual delivery date (BT-72) or the Invoicing period (BG-14) shall not be blank.", path);
                out.check(inv.deliver_to.as_ref().is_some_and(|d| d.country_present), "BR-IC-12", "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is \"Intra-community supply\" the Deliver to country code (BT-80) shall not be blank.", path);
            }
            // Document-wide: checked once, not per breakdown.
            if code == "O" && !o_checked {
                o_checked = true;
                let non_o_tax = subtotals
                    .iter()
                    .any(|s| s.cat.as_ref().is_some_and(|c| !c.is("O")))
                    || inv.lines.iter().any(|l| l.cats.iter().any(|c| !c.is("O")));
                let non_o_ac = all_ac().any(|a| a.cats.iter().any(|c| !c.is("O")));
                out.check(!non_o_tax, "BR-O-11", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain other VAT breakdown groups (BG-23).", path);
                out.check(!non_o_tax, "BR-O-12", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not \"Not subject to VAT\".", path);
                out.check(!non_o_ac, "BR-O-13", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain Document level allowances (BG-20) where Document level allowance VAT category code (BT-95) is not \"Not subject to VAT\".", path);
                out.check(!non_o_ac, "BR-O-14", "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain Document level charges (BG-21) where Document level charge VAT category code (BT-102) is not \"Not subject to VAT\".", path);
            }
        }
    }
    // BR-B-01/02 (CII: any CategoryCode B anywhere).
    if !inv.country_codes.is_empty() || has_b(inv) {
        out.check(inv.country_codes.iter().all(|c| c == "IT"), "BR-B-01", "An Invoice where the VAT category code (BT-151, BT-95 or BT-102) is \"Split payment\" shall be a domestic Italian invoice.", "/");
        let s = subtotals.iter().any(|s| s.is("S"))
            || inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("S")))
            || all_ac().any(|a| a.cats.iter().any(|c| c.is("S")));
        out.check(!s, "BR-B-02", "An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is \"Split payment\" shall not contain an invoice line (BG-25), a Document level allowance (BG-20) or  a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is \"Standard rated\".", "/");
    }
}

fn has_b(inv: &Invoice) -> bool {
    inv.subtotals().any(|s| s.is("B"))
        || inv.lines.iter().any(|l| l.cats.iter().any(|c| c.is("B")))
        || inv
            .allowance_charges
            .iter()
            .any(|a| a.cats.iter().any(|c| c.is("B")))
}
