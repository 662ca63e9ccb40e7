//! The asserts that compare or match a text as written (no
//! normalize-space), and attributes in a namespace, which no `@name` of
//! the artefacts selects. Each document was run through the official CII
//! XSLT, which reported the same CII-* rules at the same locations.

use super::*;

#[test]
fn type_codes_and_due_date_codes_are_compared_as_written() {
    // Arrange: "130 " and "916 " are neither 130 nor 916 (CII-DT-015, 018,
    // 021, 024; one 130 for CII-SR-458), "5" and "5 " are two due date
    // codes (CII-SR-462), "VAT " is not VAT (CII-DT-037); a year in
    // Arabic-Indic digits is a `\d{4}`, one in Adlam digits not for the
    // artefacts' processor (CII-DT-097); `x:schemeName` is not
    // `@schemeName` (CII-DT-101).
    let agreement = [
        "<ram:SellerTradeParty xmlns:x=\"urn:x\"><ram:ID x:schemeName=\"n\">1</ram:ID>\
         <ram:Name>S</ram:Name></ram:SellerTradeParty>"
            .to_owned(),
        additional("130", ""),
        additional("130 ", "<ram:ReferenceTypeCode>AAA</ram:ReferenceTypeCode>"),
        additional("916 ", "<ram:URIID>u</ram:URIID><ram:Name>n</ram:Name>"),
    ]
    .concat();
    let settlement = "<ram:ApplicableTradeTax><ram:TypeCode>VAT </ram:TypeCode>\
        <ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>5</ram:DueDateTypeCode>\
        </ram:ApplicableTradeTax>\
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>\
        <ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>5 </ram:DueDateTypeCode>\
        </ram:ApplicableTradeTax>\
        <ram:BillingSpecifiedPeriod>\
        <ram:StartDateTime><udt:DateTimeString format=\"102\">\u{662}\u{660}\u{662}\u{664}0101</udt:DateTimeString></ram:StartDateTime>\
        <ram:EndDateTime><udt:DateTimeString format=\"102\">\u{1E952}\u{1E950}\u{1E952}\u{1E954}0131</udt:DateTimeString></ram:EndDateTime>\
        </ram:BillingSpecifiedPeriod>";
    let xml = invoice(Parts {
        agreement: &agreement,
        settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let document = |n: usize| {
        at(&format!(
            "/ApplicableHeaderTradeAgreement[1]/AdditionalReferencedDocument[{n}]"
        ))
    };
    let settlement = at("/ApplicableHeaderTradeSettlement[1]");
    let mut want = vec![
        ("CII-DT-018", document(2)),
        ("CII-DT-024", document(2)),
        ("CII-DT-015", document(3)),
        ("CII-DT-018", document(3)),
        ("CII-DT-021", document(3)),
        ("CII-SR-462", settlement.clone()),
        ("CII-DT-037", format!("{settlement}/ApplicableTradeTax[1]")),
        (
            "CII-DT-097",
            format!("{settlement}/BillingSpecifiedPeriod[1]/EndDateTime[1]/DateTimeString[1]"),
        ),
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_year_may_have_the_decimal_digits_of_unicode_6() {
    // Arrange: years 1905 in fullwidth, mathematical bold, Sinhala Lith and
    // Adlam digits (the last two came with Unicode 7 and 9); the official
    // XSLT refused the last two, and a fullwidth month.
    let year = |zero: u32| -> String {
        [1, 9, 0, 5]
            .iter()
            .filter_map(|d| char::from_u32(zero + d))
            .collect()
    };
    let cases = [
        format!("{}0131", year(0xFF10)),
        format!("{}0131", year(0x1D7CE)),
        format!("{}0131", year(0xDE6)),
        format!("{}0131", year(0x1E950)),
        "2024\u{FF10}131".to_owned(),
    ];

    // Act
    let got: Vec<bool> = cases.iter().map(|c| is_yyyymmdd(c)).collect();

    // Assert
    assert_eq!(got, [true, true, false, false, false]);
}
