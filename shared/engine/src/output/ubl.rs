//! UBL 2.1 Invoice / CreditNote → EN 16931 (mapping of EN 16931-3-2).

use crate::binding::ubl::{cac, cbc, CAC};
use crate::input::xml::Node;
use crate::output::{Invoice, Line, Party, Totals, VatBreakdown};

/// Returns (BT-24 customization id, invoice).
pub(crate) fn extract(root: Node<'_>, credit_note: bool) -> (Option<String>, Invoice) {
    let customization = root.text_at(&[cbc("CustomizationID")]);
    let currency = root.text_at(&[cbc("DocumentCurrencyCode")]);
    let type_code = if credit_note {
        root.text_at(&[cbc("CreditNoteTypeCode")])
    } else {
        root.text_at(&[cbc("InvoiceTypeCode")])
    };
    // BT-9: an Invoice has cbc:DueDate (EN 16931-3-2 maps only that; a
    // PaymentMeans/PaymentDueDate there is not BT-9). A UBL 2.1 CreditNote has
    // no document-level DueDate, so there the payment means' due date is BT-9.
    let due_date = if credit_note {
        root.text_at(&[cbc("DueDate")])
            .or_else(|| root.text_at(&[cac("PaymentMeans"), cbc("PaymentDueDate")]))
    } else {
        root.text_at(&[cbc("DueDate")])
    }
    .and_then(|d| date(&d));

    let (line_el, qty_el) = if credit_note {
        ("CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceLine", "InvoicedQuantity")
    };
    let lines = root
        .children_named(CAC, line_el)
        .map(|l| {
            let qty = l.first(&[cbc(qty_el)]);
            let tax = l.first(&[cac("Item"), cac("ClassifiedTaxCategory")]);
            Line {
                id: l.text_at(&[cbc("ID")]),
                quantity: qty.map(|q| q.text().to_owned()).filter(|s| !s.is_empty()),
                unit_code: qty.and_then(|q| q.attr("unitCode")).map(str::to_owned),
                net_amount: l.text_at(&[cbc("LineExtensionAmount")]),
                item_name: l.text_at(&[cac("Item"), cbc("Name")]),
                vat_category: tax.and_then(|t| t.text_at(&[cbc("ID")])),
                vat_rate: tax.and_then(|t| t.text_at(&[cbc("Percent")])),
            }
        })
        .collect();

    let tax_totals = root.all(&[cac("TaxTotal")]);
    let vat_breakdown = tax_totals
        .iter()
        .flat_map(|t| t.all(&[cac("TaxSubtotal")]))
        .map(|s| VatBreakdown {
            category: s.text_at(&[cac("TaxCategory"), cbc("ID")]),
            rate: s.text_at(&[cac("TaxCategory"), cbc("Percent")]),
            taxable_amount: s.text_at(&[cbc("TaxableAmount")]),
            tax_amount: s.text_at(&[cbc("TaxAmount")]),
        })
        .collect();

    // BT-110 is the TaxTotal in the document currency; a second TaxTotal in
    // the tax accounting currency (BT-111) must not be taken for it.
    let tax_amounts: Vec<Node<'_>> = tax_totals
        .iter()
        .filter_map(|t| t.first(&[cbc("TaxAmount")]))
        .collect();
    let tax_total = tax_amounts
        .iter()
        .find(|a| currency.is_some() && a.attr("currencyID") == currency.as_deref())
        .or_else(|| tax_amounts.first())
        .map(|a| a.text().to_owned())
        .filter(|s| !s.is_empty());

    let mt = root.first(&[cac("LegalMonetaryTotal")]);
    let m = |name: &str| mt.and_then(|m| m.text_at(&[cbc(name)]));
    let totals = Totals {
        line_net_total: m("LineExtensionAmount"),
        allowance_total: m("AllowanceTotalAmount"),
        charge_total: m("ChargeTotalAmount"),
        tax_exclusive: m("TaxExclusiveAmount"),
        tax_total,
        tax_inclusive: m("TaxInclusiveAmount"),
        prepaid: m("PrepaidAmount"),
        rounding: m("PayableRoundingAmount"),
        payable: m("PayableAmount"),
    };

    let invoice = Invoice {
        number: root.text_at(&[cbc("ID")]),
        issue_date: root.text_at(&[cbc("IssueDate")]).and_then(|d| date(&d)),
        type_code,
        currency,
        due_date,
        buyer_reference: root.text_at(&[cbc("BuyerReference")]),
        seller: party(root.first(&[cac("AccountingSupplierParty"), cac("Party")])),
        buyer: party(root.first(&[cac("AccountingCustomerParty"), cac("Party")])),
        lines,
        vat_breakdown,
        totals,
    };
    (customization, invoice)
}

fn party(p: Option<Node<'_>>) -> Party {
    let Some(p) = p else {
        return Party::default();
    };
    // BT-31/BT-48 is the PartyTaxScheme whose scheme is VAT (another scheme
    // there is BT-32, the seller's tax registration, not a VAT id).
    let vat_id = p
        .all(&[cac("PartyTaxScheme")])
        .into_iter()
        .find(|s| s.text_at(&[cac("TaxScheme"), cbc("ID")]).as_deref() == Some("VAT"))
        .and_then(|s| s.text_at(&[cbc("CompanyID")]));
    Party {
        name: p.text_at(&[cac("PartyLegalEntity"), cbc("RegistrationName")]),
        vat_id,
        country_code: p.text_at(&[
            cac("PostalAddress"),
            cac("Country"),
            cbc("IdentificationCode"),
        ]),
    }
}

/// xs:date (optionally with a zone suffix) → `YYYY-MM-DD`; anything else is dropped.
pub(crate) fn date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let ok = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    ok.then(|| s[..10].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_keeps_iso_dates_and_drops_garbage() {
        // Arrange
        let inputs = ["2017-11-13", "2017-11-13+01:00", "13.11.2017", "2017-1-13"];
        // Act
        let got: Vec<_> = inputs.iter().map(|d| date(d)).collect();
        // Assert
        assert_eq!(
            got,
            vec![
                Some("2017-11-13".into()),
                Some("2017-11-13".into()),
                None,
                None
            ]
        );
    }
}
