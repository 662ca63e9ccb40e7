//! result.md's `invoice` as a projection of the EN 16931 semantic model: the
//! output reads every term from the same model the rules judge, so the
//! extracted value and the verdict can never disagree about what a document
//! says. Only the presentation is decided here: empty terms are absent and
//! dates are ISO 8601.

use super::{Invoice, Kind, Line, Party, Totals, VatBreakdown};
use crate::model::{self, Binding, Num};

/// UNTDID 1001 document types that EN 16931 treats as credit notes.
const CREDIT_NOTE_TYPES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// What the document is: the UBL root says it, CII has one root for both
/// and the type code (BT-3) tells.
pub(crate) fn kind(m: &model::Invoice) -> Kind {
    match m.binding {
        Binding::Ubl { credit_note: true } => Kind::CreditNote,
        Binding::Ubl { credit_note: false } => Kind::Invoice,
        Binding::Cii | Binding::Zugferd1 if CREDIT_NOTE_TYPES.contains(&m.type_code.as_str()) => {
            Kind::CreditNote
        }
        Binding::Cii | Binding::Zugferd1 => Kind::Invoice,
    }
}

/// BT-24.
pub(crate) fn customization_id(m: &model::Invoice) -> Option<String> {
    text(&m.customization_id)
}

pub(crate) fn invoice(m: &model::Invoice) -> Invoice {
    let date = |s: &str| date(m.binding, s);
    Invoice {
        number: text(&m.number),
        issue_date: date(&m.issue_date),
        type_code: text(&m.type_code),
        currency: text(&m.currency),
        due_date: date(&m.due_date),
        buyer_reference: text(&m.buyer_reference),
        seller: m.seller.as_ref().map(party).unwrap_or_default(),
        buyer: m.buyer.as_ref().map(party).unwrap_or_default(),
        lines: m.lines.iter().map(line).collect(),
        vat_breakdown: m
            .subtotals()
            .map(|s| VatBreakdown {
                category: s
                    .category
                    .as_ref()
                    .and_then(|c| c.code_text())
                    .and_then(text),
                rate: s.category.as_ref().and_then(|c| amount(&c.rate)),
                taxable_amount: amount(&s.taxable),
                tax_amount: amount(&s.tax),
            })
            .collect(),
        totals: m.totals.as_ref().map_or_else(Totals::default, |t| Totals {
            line_net_total: amount(&t.line_net),
            allowance_total: amount(&t.allowances),
            charge_total: amount(&t.charges),
            tax_exclusive: amount(&t.tax_exclusive),
            tax_total: tax_total(m),
            tax_inclusive: amount(&t.tax_inclusive),
            prepaid: amount(&t.prepaid),
            rounding: amount(&t.rounding),
            payable: amount(&t.payable),
        }),
    }
}

/// BT-110 is the tax total in the invoice currency; another one, in the tax
/// accounting currency, is BT-111 and must not be taken for it. Without a
/// currency match: the one without a currency, else the first.
fn tax_total(m: &model::Invoice) -> Option<String> {
    let with_amount = || m.tax_totals.iter().filter(|t| t.amount.is_some());
    with_amount()
        .find(|t| !m.currency.is_empty() && t.amount_currency.as_deref() == Some(&m.currency))
        .or_else(|| with_amount().find(|t| t.amount_currency.is_none()))
        .or_else(|| with_amount().next())
        .and_then(|t| amount(&t.amount))
}

fn party(p: &model::Party) -> Party {
    Party {
        name: p.name.as_deref().and_then(text),
        vat_id: p.vat_ids.first().and_then(|v| text(&v.value)),
        country_code: p.address().and_then(|a| text(&a.country)),
    }
}

fn line(l: &model::Line) -> Line {
    let cat = l.cats.first();
    Line {
        id: text(&l.id),
        quantity: l.quantity.as_ref().and_then(|q| text(&q.value)),
        unit_code: l.quantity.as_ref().and_then(|q| q.unit_code.clone()),
        net_amount: amount(&l.net),
        item_name: text(&l.item_name),
        vat_category: cat.and_then(|c| c.code_text()).and_then(text),
        vat_rate: cat.and_then(|c| amount(&c.rate)),
    }
}

/// A term as written, absent when empty.
fn text(s: &str) -> Option<String> {
    Some(s).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn amount(n: &Option<Num>) -> Option<String> {
    n.as_ref().and_then(|n| text(n.raw.trim()))
}

/// A date term as the binding reads it → `YYYY-MM-DD`: UBL writes xs:date
/// (optionally with a zone suffix), CII format 102 (`CCYYMMDD`). Anything
/// else is not a day and is dropped rather than invented.
fn date(binding: Binding, s: &str) -> Option<String> {
    let b = s.as_bytes();
    match binding {
        Binding::Ubl { .. } => {
            let iso = b.len() >= 10
                && b[..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'-'
                && b[5..7].iter().all(u8::is_ascii_digit)
                && b[7] == b'-'
                && b[8..10].iter().all(u8::is_ascii_digit);
            iso.then(|| s[..10].to_owned())
        }
        Binding::Cii | Binding::Zugferd1 => (b.len() == 8 && b.iter().all(u8::is_ascii_digit))
            .then(|| format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..8])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubl_dates_keep_iso_days_and_drop_garbage() {
        // Arrange
        let ubl = Binding::Ubl { credit_note: false };
        let inputs = [
            "2017-11-13",
            "2017-11-13+01:00",
            "13.11.2017",
            "2017-1-13",
            "",
        ];
        // Act
        let got: Vec<_> = inputs.iter().map(|d| date(ubl, d)).collect();
        // Assert
        assert_eq!(
            got,
            vec![
                Some("2017-11-13".into()),
                Some("2017-11-13".into()),
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn cii_dates_read_format_102() {
        // Arrange
        let inputs = ["20171113", "2017111", "2017-11-13", "2017111a"];
        // Act
        let got: Vec<_> = inputs.iter().map(|d| date(Binding::Cii, d)).collect();
        // Assert
        assert_eq!(got, vec![Some("2017-11-13".into()), None, None, None]);
    }
}
