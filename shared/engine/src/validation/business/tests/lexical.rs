//! Codes, dates and amounts as the artefact reads them: CII compares
//! `ram:TypeCode`, `ram:CategoryCode`, the period dates and the currency as
//! written (no `normalize-space`), Saxon orders a negative zero below 0.
//! Every expectation is the official XSLT's verdict on the same document.

use super::*;

const PERIOD: &str = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeSettlement[1]/BillingSpecifiedPeriod[1]";

fn pairs(found: &[(&str, &str)]) -> Vec<(String, String)> {
    found
        .iter()
        .map(|(r, a)| ((*r).to_owned(), (*a).to_owned()))
        .collect()
}

#[test]
fn cii_padded_line_type_code_is_not_vat() {
    // Arrange: `upper-case(ram:TypeCode) = 'VAT'` on " VAT " is false, so
    // the line has no VAT category.
    let doc = edit(
        CII,
        "<ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>",
        "<ram:TypeCode> VAT </ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>",
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(found, pairs(&[("BR-CO-04", CII_LINE)]));
}

#[test]
fn cii_padded_breakdown_category_code_is_no_s_breakdown() {
    // Arrange: `ram:CategoryCode[. = 'S']` on a tab-prefixed "S" is false:
    // the S line has no S breakdown.
    let doc = edit(
        CII,
        "<ram:BasisAmount>10.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>",
        "<ram:BasisAmount>10.00</ram:BasisAmount><ram:CategoryCode>\tS</ram:CategoryCode>",
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(found, pairs(&[("BR-S-01", "/CrossIndustryInvoice[1]")]));
}

#[test]
fn cii_breakdown_type_code_with_a_newline_is_no_vat_breakdown_for_br_47_48_only() {
    // Arrange: BR-47/48 read `.[upper-case(ram:TypeCode) = 'VAT']` as
    // written; BR-CO-17 reads `normalize-space(upper-case(ram:TypeCode))`,
    // so it still finds the rate and holds.
    let doc = edit(
        CII,
        "<ram:CalculatedAmount>1.90</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
        "<ram:CalculatedAmount>1.90</ram:CalculatedAmount><ram:TypeCode>VAT\n</ram:TypeCode>",
    );
    let breakdown = format!("{HEADER_TAX}[1]");
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        pairs(&[("BR-47", &breakdown), ("BR-48", &breakdown)])
    );
}

#[test]
fn cii_period_dates_compare_as_written() {
    // Arrange: `End/…DateTimeString >= Start/…DateTimeString` compares the
    // untyped strings: "\n\t20240131\n" sorts before "20240101".
    let doc = edit(
        CII,
        "<ram:InvoiceCurrencyCode>",
        "<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format=\"102\">20240101</udt:DateTimeString></ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format=\"102\">\n\t20240131\n</udt:DateTimeString></ram:EndDateTime></ram:BillingSpecifiedPeriod><ram:InvoiceCurrencyCode>",
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(found, pairs(&[("BR-29", PERIOD)]));
}

#[test]
fn padded_document_currency_matches_no_tax_total() {
    // Arrange: BR-CO-15's `@currencyID = $Currency` compares two untyped
    // values as strings, in both syntaxes.
    let ubl = edit(
        UBL,
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
        "<cbc:DocumentCurrencyCode>\nEUR\n</cbc:DocumentCurrencyCode>",
    );
    let cii = edit(
        CII,
        "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        "<ram:InvoiceCurrencyCode>EUR\t</ram:InvoiceCurrencyCode>",
    );
    // Act
    let (ubl_found, cii_found) = (fired(&ubl), fired(&cii));
    // Assert
    assert_eq!(ubl_found, pairs(&[("BR-CO-15", "/Invoice[1]")]));
    assert_eq!(
        cii_found,
        pairs(&[("BR-CO-15", "/CrossIndustryInvoice[1]")])
    );
}

#[test]
fn negative_zero_prices_are_below_zero() {
    // Arrange: a gross price (UBL base amount) and a net price of -0.00.
    let ubl = edit(
        UBL,
        "<cbc:PriceAmount currencyID=\"EUR\">10</cbc:PriceAmount></cac:Price>",
        "<cbc:PriceAmount currencyID=\"EUR\">10</cbc:PriceAmount><cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID=\"EUR\">0</cbc:Amount><cbc:BaseAmount currencyID=\"EUR\">-0.00</cbc:BaseAmount></cac:AllowanceCharge></cac:Price>",
    );
    let cii = edit(
        CII,
        "<ram:ChargeAmount>10</ram:ChargeAmount>",
        "<ram:ChargeAmount>-0.00</ram:ChargeAmount>",
    );
    // Act
    let (ubl_found, cii_found) = (fired(&ubl), fired(&cii));
    // Assert
    assert_eq!(ubl_found, pairs(&[("BR-28", "/Invoice[1]/InvoiceLine[1]")]));
    assert_eq!(cii_found, pairs(&[("BR-27", CII_LINE)]));
}

#[test]
fn ubl_period_dates_compare_as_xs_dates_with_their_timezones() {
    // Arrange: (start, end, whether BR-29 fires); a date without a timezone
    // is in UTC for the official verdict.
    let cases = [
        ("2024-01-31+01:00", "2024-01-31", false),
        ("2024-01-31", "2024-01-31+01:00", true),
        ("2024-01-31", "2024-01-30Z", true),
        ("2024-01-31-13:00", "2024-02-01+12:00", true),
    ];
    let currency = "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>";
    for (start, end, fires) in cases {
        let doc = edit(
            UBL,
            currency,
            &format!("{currency}<cac:InvoicePeriod><cbc:StartDate>{start}</cbc:StartDate><cbc:EndDate>{end}</cbc:EndDate></cac:InvoicePeriod>"),
        );
        // Act
        let found = at(&doc, "BR-29");
        // Assert
        let expected: &[&str] = if fires {
            &["/Invoice[1]/InvoicePeriod[1]"]
        } else {
            &[]
        };
        assert_eq!(found, expected, "{start} .. {end}");
    }
}

#[test]
fn cii_negative_zero_tax_is_not_zero() {
    // Arrange: a Z invoice whose breakdown's CalculatedAmount is -0.00:
    // `../ram:CalculatedAmount = 0` is false in Saxon, and BR-CO-14's sum of
    // that one amount is -0, not the TaxTotalAmount 0.00.
    let z = |doc: &str| {
        doc.replace(
            "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent>",
            "<ram:CategoryCode>Z</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent>",
        )
    };
    let doc = edit(
        &edit(
            &z(CII),
            "<ram:CalculatedAmount>1.90</ram:CalculatedAmount>",
            "<ram:CalculatedAmount>-0.00</ram:CalculatedAmount>",
        ),
        r#"<ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount><ram:GrandTotalAmount>11.90</ram:GrandTotalAmount><ram:DuePayableAmount>11.90</ram:DuePayableAmount>"#,
        r#"<ram:TaxTotalAmount currencyID="EUR">0.00</ram:TaxTotalAmount><ram:GrandTotalAmount>10.00</ram:GrandTotalAmount><ram:DuePayableAmount>10.00</ram:DuePayableAmount>"#,
    );
    let code = format!("{HEADER_TAX}[1]/CategoryCode[1]");
    let total = format!("{SUMMATION}/TaxTotalAmount[1]");
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(found, pairs(&[("BR-CO-14", &total), ("BR-Z-09", &code)]));
}

#[test]
fn ubl_every_tax_currency_code_needs_its_tax_total_as_written() {
    // Arrange: a tax total in USD; a second code GBP without one, and a
    // padded " USD" that matches no `@currencyID`.
    let currency = "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>";
    let total = "<cac:LegalMonetaryTotal>";
    let with = |codes: &str| {
        edit(
            &edit(UBL, currency, &format!("{currency}{codes}")),
            total,
            &format!(
                r#"<cac:TaxTotal><cbc:TaxAmount currencyID="USD">2.00</cbc:TaxAmount></cac:TaxTotal>{total}"#
            ),
        )
    };
    let docs = [
        with("<cbc:TaxCurrencyCode>USD</cbc:TaxCurrencyCode>"),
        with("<cbc:TaxCurrencyCode>USD</cbc:TaxCurrencyCode><cbc:TaxCurrencyCode>GBP</cbc:TaxCurrencyCode>"),
        with("<cbc:TaxCurrencyCode> USD</cbc:TaxCurrencyCode>"),
    ];
    // Act
    let found: Vec<Vec<String>> = docs.iter().map(|d| at(d, "BR-53")).collect();
    // Assert
    assert_eq!(found[0], Vec::<String>::new());
    assert_eq!(found[1], ["/Invoice[1]"]);
    assert_eq!(found[2], ["/Invoice[1]"]);
}

#[test]
fn cii_tax_total_in_a_padded_invoice_currency_is_not_checked_by_br_co_14() {
    // Arrange: a TaxTotalAmount of 1.80 against breakdowns of 1.90; BR-CO-14
    // matches `ram:TaxTotalAmount[@currencyID = …/ram:InvoiceCurrencyCode]`,
    // which "EUR" against "EUR\t" is not.
    let wrong = edit(
        CII,
        r#"<ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount>"#,
        r#"<ram:TaxTotalAmount currencyID="EUR">1.80</ram:TaxTotalAmount>"#,
    );
    let padded = edit(
        &wrong,
        "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        "<ram:InvoiceCurrencyCode>EUR\t</ram:InvoiceCurrencyCode>",
    );
    // Act
    let (plain, padded) = (at(&wrong, "BR-CO-14"), fired(&padded));
    // Assert
    assert_eq!(plain, [format!("{SUMMATION}/TaxTotalAmount[1]")]);
    assert_eq!(padded, pairs(&[("BR-CO-15", "/CrossIndustryInvoice[1]")]));
}

#[test]
fn cii_repeated_summation_is_checked_on_each_copy() {
    // Arrange: a second monetary summation whose line total is wrong.
    let doc = edit(
        CII,
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        r#"</ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>9.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>10.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount><ram:GrandTotalAmount>11.90</ram:GrandTotalAmount><ram:DuePayableAmount>11.90</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>"#,
    );
    let second = format!("{SETTLEMENT}/SpecifiedTradeSettlementHeaderMonetarySummation[2]");
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        pairs(&[
            ("BR-CO-15", "/CrossIndustryInvoice[1]"),
            ("BR-CO-10", &second),
            ("BR-CO-13", &second),
        ])
    );
}
