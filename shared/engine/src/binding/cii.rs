//! UN/CEFACT CII D16B → EN 16931 semantic model (EN 16931-3-3).

use crate::binding::{exact_code, has, num, texts, txt};
use crate::input::xml::{Node, Ns};
use crate::model::{
    Account, Address, AllowanceCharge, Binding, Card, Cat, Classification, Delivery, DocumentRef,
    Endpoint, Invoice, ItemAttribute, Line, Num, Party, PartyId, PaymentMeans, Period, Quantity,
    StandardId, Subtotal, TaxTotal, Totals, VatId,
};

const RSM: Ns = Ns::CII_RSM;
const RAM: Ns = Ns::CII_RAM;
const UDT: Ns = Ns::CII_UDT;

fn ram(l: &str) -> (Ns, &str) {
    (RAM, l)
}

/// `udt:DateTimeString[@format='102']` text of a date element.
fn date102(n: Node<'_>) -> Option<String> {
    crate::binding::date102(n, UDT)
}

/// `upper-case(ram:TypeCode) = 'VAT'`: the text as written, any case, no
/// whitespace normalisation (a padded " VAT " is not VAT for the artefact).
/// `udt:DateTimeString[@format='102']` text of a date element as written:
/// BR-29/30 compare the untyped strings (`End/… >= Start/…`), so padding
/// counts.
fn raw_date102(n: Node<'_>) -> Option<String> {
    n.children_named(UDT, "DateTimeString")
        .find(|d| d.attr("format") == Some("102"))
        .map(|d| d.raw_text().to_owned())
}

fn is_vat(n: Node<'_>) -> bool {
    n.first(&[ram("TypeCode")])
        .is_some_and(|t| t.raw_text().eq_ignore_ascii_case("VAT"))
}

fn cat(n: Node<'_>) -> Cat {
    Cat {
        at: n.loc(),
        codes: n
            .all(&[ram("CategoryCode")])
            .into_iter()
            .map(exact_code)
            .collect(),
        vat: is_vat(n),
        rate: num(n, &[ram("RateApplicablePercent")]),
        exemption_reason: has(n, &[ram("ExemptionReason")]),
        exemption_code: has(n, &[ram("ExemptionReasonCode")]),
    }
}

pub(crate) fn indicator(n: Node<'_>) -> Option<bool> {
    crate::binding::xs_boolean(
        n.first(&[ram("ChargeIndicator"), (UDT, "Indicator")])?
            .text(),
    )
}

fn allowance_charge(n: Node<'_>) -> AllowanceCharge {
    AllowanceCharge {
        at: n.loc(),
        indicator_at: n.first(&[ram("ChargeIndicator")]).map(|e| e.loc()),
        charge: indicator(n),
        amount: num(n, &[ram("ActualAmount")]),
        base: num(n, &[ram("BasisAmount")]),
        reason: has(n, &[ram("Reason")]),
        reason_code: has(n, &[ram("ReasonCode")]),
        cats: n
            .all(&[ram("CategoryTradeTax")])
            .into_iter()
            .map(cat)
            .collect(),
    }
}

fn period(n: Node<'_>) -> Period {
    Period {
        at: n.loc(),
        start: n
            .first(&[ram("StartDateTime")])
            .map(|d| raw_date102(d).unwrap_or_default()),
        end: n
            .first(&[ram("EndDateTime")])
            .map(|d| raw_date102(d).unwrap_or_default()),
        without_102: [ram("StartDateTime"), ram("EndDateTime")]
            .iter()
            .any(|name| n.first(&[*name]).is_some_and(|d| date102(d).is_none())),
        description_code: false,
        any_child: n.children().next().is_some(),
    }
}

fn address(n: Node<'_>) -> Address {
    let c = n.first(&[ram("CountryID")]);
    Address {
        at: n.loc(),
        country: c.map(|e| e.text().to_owned()).unwrap_or_default(),
        country_present: c.is_some(),
    }
}

fn party(p: Node<'_>) -> Party {
    let regs = p.all(&[ram("SpecifiedTaxRegistration"), ram("ID")]);
    let ids = p
        .all(&[ram("ID")])
        .into_iter()
        .map(|e| PartyId {
            value: e.text().to_owned(),
            scheme: e.attr("schemeID").map(str::to_owned),
        })
        .collect();
    Party {
        at: p.loc(),
        name: p.first(&[ram("Name")]).map(|e| e.text().to_owned()),
        trading_names: texts(
            p,
            &[
                ram("SpecifiedLegalOrganization"),
                ram("TradingBusinessName"),
            ],
        ),
        ids,
        global_ids: texts(p, &[ram("GlobalID")]),
        legal_ids: texts(p, &[ram("SpecifiedLegalOrganization"), ram("ID")]),
        vat_ids: regs
            .iter()
            .filter(|r| r.attr("schemeID") == Some("VA"))
            .map(|r| VatId {
                at: r.loc(),
                value: r.text().to_owned(),
            })
            .collect(),
        // The artefact's "seller VAT or tax identifier" of the category
        // rules (BR-S-02, BR-AE-02, …) is a registration of scheme VA or FC.
        tax_ids: regs
            .iter()
            .filter(|r| matches!(r.attr("schemeID"), Some("VA" | "FC")))
            .map(|r| r.text().to_owned())
            .collect(),
        endpoints: p
            .children_named(RAM, "URIUniversalCommunication")
            .map(|u| Endpoint {
                at: u.loc(),
                scheme: u
                    .first(&[ram("URIID")])
                    .and_then(|i| i.attr("schemeID"))
                    .map(str::to_owned),
            })
            .collect(),
        addresses: p
            .all(&[ram("PostalTradeAddress")])
            .into_iter()
            .map(address)
            .collect(),
    }
}

fn line(l: Node<'_>) -> Line {
    let product = l.first(&[ram("SpecifiedTradeProduct")]);
    let agreement = l.first(&[ram("SpecifiedLineTradeAgreement")]);
    let qty = l.first(&[ram("SpecifiedLineTradeDelivery"), ram("BilledQuantity")]);
    let settlement = l.first(&[ram("SpecifiedLineTradeSettlement")]);
    Line {
        at: l.loc(),
        credit_note_line: false,
        id: txt(l, &[ram("AssociatedDocumentLineDocument"), ram("LineID")]),
        quantity: qty.map(|q| Quantity {
            value: q.text().to_owned(),
            unit_code: q.attr("unitCode").map(str::to_owned),
        }),
        net: settlement.and_then(|s| {
            num(
                s,
                &[
                    ram("SpecifiedTradeSettlementLineMonetarySummation"),
                    ram("LineTotalAmount"),
                ],
            )
        }),
        item_name: product.map(|p| txt(p, &[ram("Name")])).unwrap_or_default(),
        net_price: agreement
            .and_then(|a| num(a, &[ram("NetPriceProductTradePrice"), ram("ChargeAmount")])),
        gross_prices: agreement
            .map(|a| a.all(&[ram("GrossPriceProductTradePrice"), ram("ChargeAmount")]))
            .unwrap_or_default()
            .into_iter()
            .map(|e| Num::new(e.raw_text()))
            .collect(),
        cats: settlement
            .map(|s| s.all(&[ram("ApplicableTradeTax")]))
            .unwrap_or_default()
            .into_iter()
            .map(cat)
            .collect(),
        periods: settlement
            .map(|s| s.all(&[ram("BillingSpecifiedPeriod")]))
            .unwrap_or_default()
            .into_iter()
            .map(period)
            .collect(),
        allowance_charges: settlement
            .map(|s| s.all(&[ram("SpecifiedTradeAllowanceCharge")]))
            .unwrap_or_default()
            .into_iter()
            .map(allowance_charge)
            .collect(),
        attributes: product
            .map(|p| p.all(&[ram("ApplicableProductCharacteristic")]))
            .unwrap_or_default()
            .into_iter()
            .map(|a| ItemAttribute {
                at: a.loc(),
                name: has(a, &[ram("Description")]),
                value: has(a, &[ram("Value")]),
            })
            .collect(),
        standard_ids: product
            .map(|p| p.all(&[ram("GlobalID")]))
            .unwrap_or_default()
            .into_iter()
            .map(|e| StandardId {
                at: e.loc(),
                scheme: e.attr("schemeID").map(str::to_owned),
            })
            .collect(),
        classifications: product
            .map(|p| p.all(&[ram("DesignatedProductClassification")]))
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let code = c.first(&[ram("ClassCode")]);
                Classification {
                    at: c.loc(),
                    code: code.is_some(),
                    list_id: code.and_then(|e| e.attr("listID")).map(str::to_owned),
                }
            })
            .collect(),
    }
}

pub(crate) fn build(root: Node<'_>) -> Invoice {
    let rsm = |l: &'static str| (RSM, l);
    let header = root.first(&[rsm("ExchangedDocument")]);
    let tx = root.first(&[rsm("SupplyChainTradeTransaction")]);
    let agreement = tx.and_then(|t| t.first(&[ram("ApplicableHeaderTradeAgreement")]));
    let delivery = tx.and_then(|t| t.first(&[ram("ApplicableHeaderTradeDelivery")]));
    let settlement = tx.and_then(|t| t.first(&[ram("ApplicableHeaderTradeSettlement")]));
    let s_all = |path: &[(Ns, &str)]| settlement.map(|s| s.all(path)).unwrap_or_default();
    let currency = settlement
        .map(|s| txt(s, &[ram("InvoiceCurrencyCode")]))
        .unwrap_or_default();
    let summation =
        settlement.and_then(|s| s.first(&[ram("SpecifiedTradeSettlementHeaderMonetarySummation")]));

    // One TaxTotal per TaxTotalAmount; the VAT breakdown belongs to the one in
    // the invoice currency (or the first, or a TaxTotal without amount).
    let subtotals: Vec<Subtotal> = s_all(&[ram("ApplicableTradeTax")])
        .into_iter()
        .map(|t| Subtotal {
            at: t.loc(),
            taxable: num(t, &[ram("BasisAmount")]),
            tax: num(t, &[ram("CalculatedAmount")]),
            vat_cats: is_vat(t).then(|| cat(t)).into_iter().collect(),
            category: Some(cat(t)),
            codes: t
                .all(&[ram("CategoryCode")])
                .iter()
                .map(|e| e.raw_text().to_owned())
                .collect(),
            vat_rate: t
                .first(&[ram("TypeCode")])
                .is_some_and(|c| c.text().eq_ignore_ascii_case("VAT"))
                .then(|| num(t, &[ram("RateApplicablePercent")]))
                .flatten(),
        })
        .collect();
    // Every summation's amounts: the artefact's BR-CO-14 and BR-CO-15 read
    // them all (a duplicated summation makes two amounts in the currency).
    let mut tax_totals: Vec<TaxTotal> = s_all(&[
        ram("SpecifiedTradeSettlementHeaderMonetarySummation"),
        ram("TaxTotalAmount"),
    ])
    .into_iter()
    .map(|a| TaxTotal {
        at: a.loc(),
        amount: Some(Num::new(a.raw_text())),
        amount_currency: a.attr("currencyID").map(str::to_owned),
        subtotals: Vec::new(),
    })
    .collect();
    let home = tax_totals
        .iter()
        .position(|t| t.amount_currency.as_deref() == Some(currency.as_str()))
        .or_else(|| tax_totals.iter().position(|t| t.amount_currency.is_none()))
        .or(if tax_totals.is_empty() { None } else { Some(0) });
    match home {
        Some(i) => tax_totals[i].subtotals = subtotals,
        None if !subtotals.is_empty() => tax_totals.push(TaxTotal {
            // Breakdowns without a TaxTotalAmount: the settlement holds them.
            at: settlement.map_or(root.loc(), |s| s.loc()),
            amount: None,
            amount_currency: None,
            subtotals,
        }),
        None => {}
    }

    let lines: Vec<Line> = tx
        .map(|t| t.all(&[ram("IncludedSupplyChainTradeLineItem")]))
        .unwrap_or_default()
        .into_iter()
        .map(line)
        .collect();
    let payment_means = s_all(&[ram("SpecifiedTradeSettlementPaymentMeans")]);

    let mut country_codes = Vec::new();
    let split = subtotals_or_lines_have_b(root);
    if split {
        country_codes = root
            .descendants()
            .filter(|d| d.is(RAM, "CountryID"))
            .map(|n| n.text().to_owned())
            .collect();
    }

    Invoice {
        at: root.loc(),
        binding: Binding::Cii,
        customization_id: txt(
            root,
            &[
                rsm("ExchangedDocumentContext"),
                ram("GuidelineSpecifiedDocumentContextParameter"),
                ram("ID"),
            ],
        ),
        number: header.map(|h| txt(h, &[ram("ID")])).unwrap_or_default(),
        issue_date: header
            .and_then(|h| h.first(&[ram("IssueDateTime")]))
            .and_then(date102)
            .unwrap_or_default(),
        type_code: header
            .map(|h| txt(h, &[ram("TypeCode")]))
            .unwrap_or_default(),
        currency,
        currency_codes: s_all(&[ram("InvoiceCurrencyCode")])
            .into_iter()
            .map(|e| e.raw_text().to_owned())
            .collect(),
        tax_currency_codes: Vec::new(),
        tax_currency: settlement
            .and_then(|s| s.first(&[ram("TaxCurrencyCode")]))
            .map(|e| e.text().to_owned()),
        // BT-9: the first payment terms that carry a date.
        due_date: s_all(&[ram("SpecifiedTradePaymentTerms"), ram("DueDateDateTime")])
            .into_iter()
            .find_map(date102)
            .unwrap_or_default(),
        buyer_reference: agreement
            .map(|a| txt(a, &[ram("BuyerReference")]))
            .unwrap_or_default(),
        tax_point_date: root.descendants().any(|d| d.is(RAM, "TaxPointDate")),
        tax_point_code: root.descendants().any(|d| d.is(RAM, "DueDateTypeCode")),
        periods: s_all(&[ram("BillingSpecifiedPeriod")])
            .into_iter()
            .map(period)
            .collect(),
        preceding: s_all(&[ram("InvoiceReferencedDocument")])
            .into_iter()
            .map(document_ref)
            .collect(),
        // The artefact's BR-52 matches `//ram:AdditionalReferencedDocument`:
        // the line ones too.
        supporting_docs: root
            .descendants()
            .filter(|d| d.is(RAM, "AdditionalReferencedDocument"))
            .map(document_ref)
            .collect(),
        seller_at: agreement
            .and_then(|a| a.first(&[ram("SellerTradeParty")]))
            .map(|s| s.loc()),
        seller: agreement
            .and_then(|a| a.first(&[ram("SellerTradeParty")]))
            .map(party),
        buyer: agreement
            .and_then(|a| a.first(&[ram("BuyerTradeParty")]))
            .map(party),
        payee: settlement
            .and_then(|s| s.first(&[ram("PayeeTradeParty")]))
            .map(party),
        tax_rep: agreement
            .and_then(|a| a.first(&[ram("SellerTaxRepresentativeTradeParty")]))
            .map(party),
        delivery: delivery.map(|d| Delivery {
            at: d.loc(),
            date: d
                .first(&[
                    ram("ActualDeliverySupplyChainEvent"),
                    ram("OccurrenceDateTime"),
                    (UDT, "DateTimeString"),
                ])
                .map(|e| e.text().to_owned()),
            address: d
                .first(&[ram("ShipToTradeParty"), ram("PostalTradeAddress")])
                .map(address),
        }),
        payment_means: payment_means
            .iter()
            .map(|pm| PaymentMeans {
                at: pm.loc(),
                code: pm.first(&[ram("TypeCode")]).map(|e| e.text().to_owned()),
                accounts: pm
                    .children_named(RAM, "PayeePartyCreditorFinancialAccount")
                    .map(|a| Account {
                        at: a.loc(),
                        ids: a
                            .children()
                            .filter(|c| c.is(RAM, "IBANID") || c.is(RAM, "ProprietaryID"))
                            .map(|c| c.text().to_owned())
                            .collect(),
                    })
                    .collect(),
                cards: pm
                    .children_named(RAM, "ApplicableTradeSettlementFinancialCard")
                    .map(|c| Card {
                        at: c.loc(),
                        number: txt(c, &[ram("ID")]),
                    })
                    .collect(),
            })
            .collect(),
        allowance_charges: s_all(&[ram("SpecifiedTradeAllowanceCharge")])
            .into_iter()
            .map(allowance_charge)
            .collect(),
        lines,
        tax_totals,
        line_subtotals: Vec::new(),
        totals: summation.map(totals),
        // The artefact checks its summation rules on every copy.
        more_totals: s_all(&[ram("SpecifiedTradeSettlementHeaderMonetarySummation")])
            .into_iter()
            .skip(1)
            .map(totals)
            .collect(),
        country_codes,
    }
}

/// BG-22 from a `ram:SpecifiedTradeSettlementHeaderMonetarySummation`.
fn totals(m: Node<'_>) -> Totals {
    Totals {
        at: m.loc(),
        line_net: num(m, &[ram("LineTotalAmount")]),
        allowances: num(m, &[ram("AllowanceTotalAmount")]),
        charges: num(m, &[ram("ChargeTotalAmount")]),
        tax_exclusive: num(m, &[ram("TaxBasisTotalAmount")]),
        tax_inclusive: num(m, &[ram("GrandTotalAmount")]),
        prepaid: num(m, &[ram("TotalPrepaidAmount")]),
        rounding: num(m, &[ram("RoundingAmount")]),
        payable: num(m, &[ram("DuePayableAmount")]),
    }
}

/// A referenced document and its `ram:IssuerAssignedID`.
fn document_ref(n: Node<'_>) -> DocumentRef {
    DocumentRef {
        at: n.loc(),
        id: n
            .first(&[ram("IssuerAssignedID")])
            .map(|e| e.text().to_owned()),
    }
}

/// `//ram:CategoryCode = 'B'`, on the text as written.
fn subtotals_or_lines_have_b(root: Node<'_>) -> bool {
    root.descendants()
        .any(|c| c.is(RAM, "CategoryCode") && c.raw_text() == "B")
}
