//! BG-22, the VAT total and the breakdown amounts.

use super::*;

#[test]
fn cii_br_dec_13_tests_the_value_as_a_double_not_its_decimals() {
    // Arrange: 1.900 has three decimals but no more than cents; 1.905 has
    // more; in another currency it is not looked at.
    let zeros = edit(CII, TAX_TOTAL, &TAX_TOTAL.replace("1.90", "1.900"));
    let more = edit(CII, TAX_TOTAL, &TAX_TOTAL.replace("1.90", "1.905"));
    let other = edit(
        CII,
        TAX_TOTAL,
        &TAX_TOTAL.replace("1.90", "1.905").replace("EUR", "USD"),
    );
    // Act
    let (zeros, more, other) = (
        at(&zeros, "BR-DEC-13"),
        at(&more, "BR-DEC-13"),
        at(&other, "BR-DEC-13"),
    );
    // Assert
    assert_eq!(zeros, Vec::<String>::new());
    assert_eq!(more, vec![SUMMATION.to_owned()]);
    assert_eq!(other, Vec::<String>::new());
}

#[test]
fn ubl_br_dec_13_and_15_never_fire() {
    // Arrange: five decimals on BT-110, three on a BT-111 in the tax
    // currency; the artefact's predicate reads cbc:DocumentCurrencyCode /
    // cbc:TaxCurrencyCode below the TaxAmount and so selects nothing.
    let bt110 = edit(
        UBL,
        r#"<cbc:TaxAmount currencyID="EUR">1.90</cbc:TaxAmount><cac:TaxSubtotal>"#,
        r#"<cbc:TaxAmount currencyID="EUR">1.90000</cbc:TaxAmount><cac:TaxSubtotal>"#,
    );
    let bt111 = edit(
        &edit(
            UBL,
            "<cac:LegalMonetaryTotal>",
            r#"<cac:TaxTotal><cbc:TaxAmount currencyID="USD">2.005</cbc:TaxAmount></cac:TaxTotal><cac:LegalMonetaryTotal>"#,
        ),
        "</cbc:DocumentCurrencyCode>",
        "</cbc:DocumentCurrencyCode><cbc:TaxCurrencyCode>USD</cbc:TaxCurrencyCode>",
    );
    // Act
    let (a, b) = (fired(&bt110), fired(&bt111));
    // Assert
    assert!(!a.iter().any(|(r, _)| r == "BR-DEC-13"), "{a:?}");
    assert!(!b.iter().any(|(r, _)| r == "BR-DEC-15"), "{b:?}");
}

#[test]
fn cii_br_dec_15_needs_an_amount_in_the_tax_currency() {
    // Arrange: BT-6 USD without, then with, a TaxTotalAmount in USD.
    let with_bt6 = edit(
        CII,
        "</ram:InvoiceCurrencyCode>",
        "</ram:InvoiceCurrencyCode><ram:TaxCurrencyCode>USD</ram:TaxCurrencyCode>",
    );
    let with_amount = edit(
        &with_bt6,
        TAX_TOTAL,
        &format!(r#"{TAX_TOTAL}<ram:TaxTotalAmount currencyID="USD">2.00</ram:TaxTotalAmount>"#),
    );
    // Act
    let (without, with) = (at(&with_bt6, "BR-DEC-15"), at(&with_amount, "BR-DEC-15"));
    // Assert
    assert_eq!(without, vec![SUMMATION.to_owned()]);
    assert_eq!(with, Vec::<String>::new());
}

#[test]
fn cii_br_co_14_checks_each_amount_in_the_invoice_currency_against_every_breakdown() {
    // Arrange: a second equal amount passes; a second wrong one fails on
    // itself; a wrong one without currencyID is no context.
    let duplicate = edit(CII, TAX_TOTAL, &TAX_TOTAL.repeat(2));
    let wrong = edit(
        CII,
        TAX_TOTAL,
        &format!("{TAX_TOTAL}{}", TAX_TOTAL.replace("1.90", "2.00")),
    );
    let no_currency = edit(
        CII,
        TAX_TOTAL,
        &format!("{TAX_TOTAL}<ram:TaxTotalAmount>2.00</ram:TaxTotalAmount>"),
    );
    // Act
    let (duplicate, wrong, no_currency) = (
        at(&duplicate, "BR-CO-14"),
        at(&wrong, "BR-CO-14"),
        at(&no_currency, "BR-CO-14"),
    );
    // Assert
    assert_eq!(duplicate, Vec::<String>::new());
    assert_eq!(wrong, vec![format!("{SUMMATION}/TaxTotalAmount[2]")]);
    assert_eq!(no_currency, Vec::<String>::new());
}

#[test]
fn cii_br_co_03_fires_on_each_breakdown() {
    // Arrange: BT-7 and BT-8 both present.
    let both = edit(
        CII,
        "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>\n      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        r#"<ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>5</ram:DueDateTypeCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent><ram:TaxPointDate><udt:DateString format="102">20240131</udt:DateString></ram:TaxPointDate></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>"#,
    );
    // Act
    let found = at(&both, "BR-CO-03");
    // Assert
    assert_eq!(found, vec![format!("{HEADER_TAX}[1]")]);
}

#[test]
fn ubl_totals_rules_fire_on_the_legal_monetary_total() {
    // Arrange: BT-106 removed.
    let no_bt106 = edit(
        UBL,
        r#"<cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount"#,
        "<cbc:TaxExclusiveAmount",
    );
    // Act
    let found = fired(&no_bt106);
    // Assert
    let total = "/Invoice[1]/LegalMonetaryTotal[1]".to_owned();
    assert_eq!(
        found,
        vec![
            ("BR-12".to_owned(), total.clone()),
            ("BR-CO-10".to_owned(), total.clone()),
            ("BR-CO-13".to_owned(), total)
        ]
    );
}

#[test]
fn br_co_15_is_checked_for_a_blank_currency_code() {
    // Arrange: BT-5 blanked; it equals no `@currencyID`.
    let ubl = edit(
        UBL,
        "<cbc:DocumentCurrencyCode>EUR<",
        "<cbc:DocumentCurrencyCode> <",
    );
    let cii = edit(
        CII,
        "<ram:InvoiceCurrencyCode>EUR<",
        "<ram:InvoiceCurrencyCode><",
    );
    // Act
    let (ubl, cii) = (at(&ubl, "BR-CO-15"), at(&cii, "BR-CO-15"));
    // Assert
    assert_eq!(ubl, ["/Invoice[1]"]);
    assert_eq!(cii, ["/CrossIndustryInvoice[1]"]);
}

#[test]
fn cii_br_co_15_counts_the_amounts_of_every_summation() {
    // Arrange: the monetary summation twice, so two BT-110 in EUR.
    let open = "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>";
    let close = "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>";
    let start = CII.find(open).expect("a summation");
    let end = CII.find(close).expect("a summation") + close.len();
    let summation = &CII[start..end];
    let twice = edit(CII, summation, &summation.repeat(2));
    // Act
    let found = at(&twice, "BR-CO-15");
    // Assert
    assert_eq!(found, ["/CrossIndustryInvoice[1]"]);
}

#[test]
fn cii_br_co_10_sums_the_line_amounts_as_doubles() {
    // Arrange: the line's net amount in exponent form (its category made
    // one whose breakdown sums no line, so no rule casts it to a decimal).
    let exponent = edit(
        &edit(
            CII,
            CII_HEADER_TAX,
            &CII_HEADER_TAX.replace(
                "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent>",
                "<ram:CategoryCode>O</ram:CategoryCode>",
            ),
        ),
        "<ram:LineTotalAmount>10.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>",
        "<ram:LineTotalAmount>1.0E1</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>",
    );
    // Act
    let (co10, dec23) = (at(&exponent, "BR-CO-10"), at(&exponent, "BR-DEC-23"));
    // Assert: 1.0E1 is 10; as written it has three "decimals".
    assert_eq!(co10, Vec::<String>::new());
    assert_eq!(dec23, [CII_LINE]);
}

#[test]
fn cii_br_co_10_rounds_the_exact_value_of_the_double_sum() {
    // Arrange: `round(xs:decimal(sum(…/ram:LineTotalAmount)) * 100) div 100`
    // of the untyped line amount 1.005 (the double 1.00499999999999989…)
    // is 1.00: the sum of line net amounts 1.00 agrees.
    let doc = CII.replace(
        "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>10.00</ram:LineTotalAmount>",
        "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>1.005</ram:LineTotalAmount>",
    )
    .replace(
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>10.00</ram:LineTotalAmount>",
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>1.00</ram:LineTotalAmount>",
    );
    // Act
    let found = at(&doc, "BR-CO-10");
    // Assert
    assert_eq!(found, Vec::<String>::new());
}
