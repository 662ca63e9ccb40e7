//! UBL 2.1 Invoice / CreditNote → EN 16931 semantic model (EN 16931-3-2).

use crate::binding::{code, has, num, texts, txt};
use crate::input::xml::{Node, Ns};
use crate::model::{
    Account, Address, AllowanceCharge, Binding, Card, Cat, Classification, Delivery, DocumentRef,
    Endpoint, Invoice, ItemAttribute, Line, Num, Party, PartyId, PaymentMeans, Period, Quantity,
    StandardId, Subtotal, TaxTotal, Totals, VatId,
};

pub(crate) const CBC: Ns = Ns::UBL_CBC;
pub(crate) const CAC: Ns = Ns::UBL_CAC;

/// A `cbc:` / `cac:` step of a path.
pub(crate) fn cbc(l: &str) -> (Ns, &str) {
    (CBC, l)
}
pub(crate) fn cac(l: &str) -> (Ns, &str) {
    (CAC, l)
}

fn is_vat_scheme(n: Node<'_>) -> bool {
    n.first(&[cac("TaxScheme"), cbc("ID")])
        .is_some_and(|i| i.text().eq_ignore_ascii_case("VAT"))
}

fn cat(n: Node<'_>) -> Cat {
    Cat {
        at: n.loc(),
        codes: n.all(&[cbc("ID")]).into_iter().map(code).collect(),
        vat: is_vat_scheme(n),
        rate: num(n, &[cbc("Percent")]),
        exemption_reason: has(n, &[cbc("TaxExemptionReason")]),
        exemption_code: has(n, &[cbc("TaxExemptionReasonCode")]),
    }
}

/// `cbc:ChargeIndicator` as an xs:boolean.
fn indicator(n: Node<'_>) -> Option<bool> {
    crate::binding::xs_boolean(n.first(&[cbc("ChargeIndicator")])?.text())
}

fn allowance_charge(n: Node<'_>) -> AllowanceCharge {
    AllowanceCharge {
        at: n.loc(),
        indicator_at: n.first(&[cbc("ChargeIndicator")]).map(|e| e.loc()),
        charge: indicator(n),
        amount: num(n, &[cbc("Amount")]),
        base: num(n, &[cbc("BaseAmount")]),
        reason: has(n, &[cbc("AllowanceChargeReason")]),
        reason_code: has(n, &[cbc("AllowanceChargeReasonCode")]),
        cats: n.all(&[cac("TaxCategory")]).into_iter().map(cat).collect(),
    }
}

fn period(n: Node<'_>) -> Period {
    Period {
        at: n.loc(),
        start: n.first(&[cbc("StartDate")]).map(|e| e.text().to_owned()),
        end: n.first(&[cbc("EndDate")]).map(|e| e.text().to_owned()),
        without_102: false,
        description_code: has(n, &[cbc("DescriptionCode")]),
        any_child: n.children().next().is_some(),
    }
}

fn address(n: Node<'_>) -> Address {
    let c = n.first(&[cac("Country"), cbc("IdentificationCode")]);
    Address {
        at: n.loc(),
        country: c.map(|e| e.text().to_owned()).unwrap_or_default(),
        country_present: c.is_some(),
    }
}

fn party(p: Node<'_>) -> Party {
    let schemes = p.all(&[cac("PartyTaxScheme")]);
    Party {
        at: p.loc(),
        name: p
            .first(&[cac("PartyLegalEntity"), cbc("RegistrationName")])
            .map(|e| e.text().to_owned()),
        trading_names: texts(p, &[cac("PartyName"), cbc("Name")]),
        ids: p
            .all(&[cac("PartyIdentification"), cbc("ID")])
            .into_iter()
            .map(|e| PartyId {
                value: e.text().to_owned(),
                scheme: e.attr("schemeID").map(str::to_owned),
            })
            .collect(),
        // UBL writes every party identifier as PartyIdentification/ID.
        global_ids: Vec::new(),
        legal_ids: texts(p, &[cac("PartyLegalEntity"), cbc("CompanyID")]),
        vat_ids: schemes
            .iter()
            .filter(|s| is_vat_scheme(**s))
            .filter_map(|s| {
                Some(VatId {
                    at: s.loc(),
                    value: s.first(&[cbc("CompanyID")])?.text().to_owned(),
                })
            })
            .collect(),
        tax_ids: schemes
            .iter()
            .filter_map(|s| s.first(&[cbc("CompanyID")]))
            .map(|e| e.text().to_owned())
            .collect(),
        endpoints: p
            .children_named(CBC, "EndpointID")
            .map(|e| Endpoint {
                at: e.loc(),
                scheme: e.attr("schemeID").map(str::to_owned),
            })
            .collect(),
        addresses: p
            .all(&[cac("PostalAddress")])
            .into_iter()
            .map(address)
            .collect(),
    }
}

fn subtotal(s: Node<'_>) -> Subtotal {
    Subtotal {
        at: s.loc(),
        taxable: num(s, &[cbc("TaxableAmount")]),
        tax: num(s, &[cbc("TaxAmount")]),
        vat_cats: s
            .children_named(CAC, "TaxCategory")
            .filter(|c| is_vat_scheme(*c))
            .map(cat)
            .collect(),
        category: s.children_named(CAC, "TaxCategory").next().map(cat),
        codes: texts(s, &[cac("TaxCategory"), cbc("ID")]),
        vat_rate: s
            .children_named(CAC, "TaxCategory")
            .find(|c| is_vat_scheme(*c))
            .and_then(|c| num(c, &[cbc("Percent")])),
    }
}

fn line(l: Node<'_>) -> Line {
    let qty = l
        .first(&[cbc("InvoicedQuantity")])
        .or_else(|| l.first(&[cbc("CreditedQuantity")]));
    let item = l.first(&[cac("Item")]);
    let price = l.first(&[cac("Price")]);
    Line {
        at: l.loc(),
        credit_note_line: l.local_name() == "CreditNoteLine",
        id: txt(l, &[cbc("ID")]),
        quantity: qty.map(|q| Quantity {
            value: q.text().to_owned(),
            unit_code: q.attr("unitCode").map(str::to_owned),
        }),
        net: num(l, &[cbc("LineExtensionAmount")]),
        item_name: txt(l, &[cac("Item"), cbc("Name")]),
        net_price: price.and_then(|p| num(p, &[cbc("PriceAmount")])),
        gross_prices: price
            .map(|p| p.all(&[cac("AllowanceCharge"), cbc("BaseAmount")]))
            .unwrap_or_default()
            .into_iter()
            .map(|e| Num::new(e.raw_text()))
            .collect(),
        cats: item
            .map(|i| i.all(&[cac("ClassifiedTaxCategory")]))
            .unwrap_or_default()
            .into_iter()
            .map(cat)
            .collect(),
        periods: l
            .all(&[cac("InvoicePeriod")])
            .into_iter()
            .map(period)
            .collect(),
        allowance_charges: l
            .children_named(CAC, "AllowanceCharge")
            .map(allowance_charge)
            .collect(),
        attributes: item
            .map(|i| i.all(&[cac("AdditionalItemProperty")]))
            .unwrap_or_default()
            .into_iter()
            .map(|a| ItemAttribute {
                at: a.loc(),
                name: has(a, &[cbc("Name")]),
                value: has(a, &[cbc("Value")]),
            })
            .collect(),
        standard_ids: item
            .map(|i| i.all(&[cac("StandardItemIdentification"), cbc("ID")]))
            .unwrap_or_default()
            .into_iter()
            .map(|e| StandardId {
                at: e.loc(),
                scheme: e.attr("schemeID").map(str::to_owned),
            })
            .collect(),
        classifications: item
            .map(|i| {
                i.all(&[
                    cac("CommodityClassification"),
                    cbc("ItemClassificationCode"),
                ])
            })
            .unwrap_or_default()
            .into_iter()
            .map(|e| Classification {
                at: e.loc(),
                code: true,
                list_id: e.attr("listID").map(str::to_owned),
            })
            .collect(),
    }
}

/// A document reference and its identifier at `id`.
fn document_ref(n: Node<'_>, id: &[(Ns, &str)]) -> DocumentRef {
    DocumentRef {
        at: n.loc(),
        id: n.first(id).map(|e| e.text().to_owned()),
    }
}

fn collect_country_codes(n: Node<'_>, out: &mut Vec<String>) {
    for c in n.children() {
        if c.local_name() == "IdentificationCode" && c.ns() == CBC {
            out.push(c.text().to_owned());
        }
        collect_country_codes(c, out);
    }
}

pub(crate) fn build(root: Node<'_>, credit_note: bool) -> Invoice {
    // The artefacts' line rules match `cac:InvoiceLine | cac:CreditNoteLine`
    // in either document (and either quantity element).
    let lines = || {
        root.children()
            .filter(|c| c.ns() == CAC && matches!(c.local_name(), "InvoiceLine" | "CreditNoteLine"))
    };
    let type_el = if credit_note {
        "CreditNoteTypeCode"
    } else {
        "InvoiceTypeCode"
    };
    let delivery = root.first(&[cac("Delivery")]);
    let payment_means = root.all(&[cac("PaymentMeans")]);
    let mut country_codes = Vec::new();
    let needs_countries = has_split_payment(root);
    if needs_countries {
        collect_country_codes(root, &mut country_codes);
    }

    Invoice {
        at: root.loc(),
        binding: Binding::Ubl { credit_note },
        customization_id: txt(root, &[cbc("CustomizationID")]),
        number: txt(root, &[cbc("ID")]),
        issue_date: txt(root, &[cbc("IssueDate")]),
        // BR-04 accepts either type code element on either root.
        type_code: {
            let t = txt(root, &[cbc(type_el)]);
            if t.is_empty() {
                txt(root, &[cbc("InvoiceTypeCode")]) + &txt(root, &[cbc("CreditNoteTypeCode")])
            } else {
                t
            }
        },
        currency: txt(root, &[cbc("DocumentCurrencyCode")]),
        currency_codes: root
            .all(&[cbc("DocumentCurrencyCode")])
            .iter()
            .map(|e| e.raw_text().to_owned())
            .collect(),
        // BT-9: an Invoice has cbc:DueDate (EN 16931-3-2 maps only that; a
        // PaymentMeans/PaymentDueDate there is not BT-9). A UBL 2.1 CreditNote
        // has no document-level DueDate, so there the payment means' due date
        // is BT-9.
        due_date: match txt(root, &[cbc("DueDate")]) {
            d if d.is_empty() && credit_note => {
                txt(root, &[cac("PaymentMeans"), cbc("PaymentDueDate")])
            }
            d => d,
        },
        buyer_reference: txt(root, &[cbc("BuyerReference")]),
        tax_currency_codes: root
            .all(&[cbc("TaxCurrencyCode")])
            .iter()
            .map(|e| e.raw_text().to_owned())
            .collect(),
        tax_currency: root
            .first(&[cbc("TaxCurrencyCode")])
            .map(|e| e.text().to_owned()),
        tax_point_date: has(root, &[cbc("TaxPointDate")]),
        tax_point_code: has(root, &[cac("InvoicePeriod"), cbc("DescriptionCode")]),
        periods: root
            .all(&[cac("InvoicePeriod")])
            .into_iter()
            .map(period)
            .collect(),
        preceding: root
            .all(&[cac("BillingReference")])
            .into_iter()
            .map(|b| document_ref(b, &[cac("InvoiceDocumentReference"), cbc("ID")]))
            .collect(),
        supporting_docs: root
            .all(&[cac("AdditionalDocumentReference")])
            .into_iter()
            .map(|d| document_ref(d, &[cbc("ID")]))
            .collect(),
        seller_at: root
            .first(&[cac("AccountingSupplierParty")])
            .map(|s| s.loc()),
        seller: root
            .first(&[cac("AccountingSupplierParty"), cac("Party")])
            .map(party),
        buyer: root
            .first(&[cac("AccountingCustomerParty"), cac("Party")])
            .map(party),
        payee: root.first(&[cac("PayeeParty")]).map(party),
        tax_rep: root.first(&[cac("TaxRepresentativeParty")]).map(party),
        delivery: delivery.map(|d| Delivery {
            at: d.loc(),
            date: d
                .first(&[cbc("ActualDeliveryDate")])
                .map(|e| e.text().to_owned()),
            address: d
                .first(&[cac("DeliveryLocation"), cac("Address")])
                .map(address),
        }),
        payment_means: payment_means
            .iter()
            .map(|pm| PaymentMeans {
                at: pm.loc(),
                code: pm
                    .first(&[cbc("PaymentMeansCode")])
                    .map(|e| e.text().to_owned()),
                accounts: pm
                    .children_named(CAC, "PayeeFinancialAccount")
                    .map(|a| Account {
                        at: a.loc(),
                        ids: texts(a, &[cbc("ID")]),
                    })
                    .collect(),
                cards: pm
                    .all(&[cac("CardAccount"), cbc("PrimaryAccountNumberID")])
                    .into_iter()
                    .map(|n| Card {
                        at: n.loc(),
                        number: n.text().to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        allowance_charges: root
            .children_named(CAC, "AllowanceCharge")
            .map(allowance_charge)
            .collect(),
        lines: lines().map(line).collect(),
        tax_totals: root
            .children_named(CAC, "TaxTotal")
            .map(|t| {
                let amount = t.first(&[cbc("TaxAmount")]);
                TaxTotal {
                    at: t.loc(),
                    amount: amount.map(|a| Num::new(a.raw_text())),
                    amount_currency: amount.and_then(|a| a.attr("currencyID")).map(str::to_owned),
                    subtotals: t.children_named(CAC, "TaxSubtotal").map(subtotal).collect(),
                }
            })
            .collect(),
        line_subtotals: lines()
            .flat_map(|l| l.all(&[cac("TaxTotal"), cac("TaxSubtotal")]))
            .map(subtotal)
            .collect(),
        more_totals: Vec::new(),
        totals: root.first(&[cac("LegalMonetaryTotal")]).map(|m| Totals {
            at: m.loc(),
            line_net: num(m, &[cbc("LineExtensionAmount")]),
            allowances: num(m, &[cbc("AllowanceTotalAmount")]),
            charges: num(m, &[cbc("ChargeTotalAmount")]),
            tax_exclusive: num(m, &[cbc("TaxExclusiveAmount")]),
            tax_inclusive: num(m, &[cbc("TaxInclusiveAmount")]),
            prepaid: num(m, &[cbc("PrepaidAmount")]),
            rounding: num(m, &[cbc("PayableRoundingAmount")]),
            payable: num(m, &[cbc("PayableAmount")]),
        }),
        country_codes,
    }
}

/// Whether any (Classified)TaxCategory says "B" (split payment): only then
/// are all country codes needed.
fn has_split_payment(root: Node<'_>) -> bool {
    root.descendants().any(|c| {
        c.ns() == CAC
            && matches!(c.local_name(), "TaxCategory" | "ClassifiedTaxCategory")
            && c.first(&[cbc("ID")]).is_some_and(|i| i.text() == "B")
    })
}
