//! The VAT category families.

use super::*;

#[test]
fn cii_br_s_01_counts_a_breakdown_whatever_its_tax_type() {
    // Arrange: the header breakdown's TypeCode blanked; it still counts as
    // `ApplicableTradeTax[ram:CategoryCode='S']`.
    let blank = edit(
        CII,
        "<ram:CalculatedAmount>1.90</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
        "<ram:CalculatedAmount>1.90</ram:CalculatedAmount><ram:TypeCode> </ram:TypeCode>",
    );
    // Act
    let rules: Vec<String> = fired(&blank).into_iter().map(|(r, _)| r).collect();
    // Assert: what the artefact reports, BR-S-01 not among it.
    assert_eq!(rules, ["BR-47", "BR-48", "BR-CO-17"]);
}

#[test]
fn cii_br_o_11_and_12_fire_on_each_not_subject_to_vat_breakdown() {
    // Arrange: two "O" breakdowns beside the "S" one.
    let o = "<ram:ApplicableTradeTax><ram:CalculatedAmount>0</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:ExemptionReason>x</ram:ExemptionReason><ram:BasisAmount>0</ram:BasisAmount><ram:CategoryCode>O</ram:CategoryCode></ram:ApplicableTradeTax>";
    let two = edit(
        CII,
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        &format!("{o}{o}<ram:SpecifiedTradeSettlementHeaderMonetarySummation>"),
    );
    // Act
    let found = fired(&two);
    // Assert
    let breakdown = |n: u32| format!("{HEADER_TAX}[{n}]");
    let expected = [
        ("BR-O-01", "/CrossIndustryInvoice[1]".to_owned()),
        ("BR-O-11", breakdown(2)),
        ("BR-O-12", breakdown(2)),
        ("BR-O-11", breakdown(3)),
        ("BR-O-12", breakdown(3)),
    ];
    let mut found = found;
    found.sort();
    let mut expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(r, a)| (r.to_owned(), a))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn ubl_category_rules_fire_on_the_category_elements() {
    // Arrange: the line's S rate set to 0.
    let zero = edit(
        UBL,
        "<cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>",
        "<cbc:ID>S</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>",
    );
    // Act
    let mut found = fired(&zero);
    found.sort();
    // Assert
    assert_eq!(
        found,
        vec![
            (
                "BR-S-05".to_owned(),
                "/Invoice[1]/InvoiceLine[1]/Item[1]/ClassifiedTaxCategory[1]".to_owned()
            ),
            (
                "BR-S-08".to_owned(),
                "/Invoice[1]/TaxTotal[1]/TaxSubtotal[1]/TaxCategory[1]".to_owned()
            ),
        ]
    );
}

#[test]
fn cii_breakdown_rules_fire_on_the_category_code() {
    // Arrange: the S breakdown's basis off by one and an exemption reason.
    let off = edit(
        CII,
        CII_HEADER_TAX,
        &CII_HEADER_TAX.replace("10.00", "11.00").replace(
            "<ram:BasisAmount>",
            "<ram:ExemptionReason>None</ram:ExemptionReason><ram:BasisAmount>",
        ),
    );
    // Act
    let found = fired(&off);
    // Assert
    let code = format!("{HEADER_TAX}[1]/CategoryCode[1]");
    assert_eq!(
        found,
        [
            ("BR-S-08".to_owned(), code.clone()),
            ("BR-S-10".to_owned(), code)
        ]
    );
}

#[test]
fn cii_br_e_01_counts_a_breakdown_of_another_tax_type() {
    // Arrange: an E breakdown of type GST, no line or allowance with E.
    let gst = CII_HEADER_TAX
        .replace("1.90", "0.00")
        .replace("10.00", "0.00")
        .replace("VAT", "GST")
        .replace(
            "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent>",
            "<ram:CategoryCode>E</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent>",
        );
    let with_gst = edit(CII, CII_HEADER_TAX, &format!("{CII_HEADER_TAX}{gst}"));
    // Act
    let found = at(&with_gst, "BR-E-01");
    // Assert
    assert_eq!(found, ["/CrossIndustryInvoice[1]"]);
}

#[test]
fn cii_a_line_category_is_checked_by_the_family_of_highest_priority() {
    // Arrange: the line's category has the codes S and O; the O template
    // has the higher priority, so the S rules do not look at it.
    let both = edit(
        CII,
        CII_LINE_TAX,
        &CII_LINE_TAX.replace(
            "<ram:CategoryCode>S</ram:CategoryCode>",
            "<ram:CategoryCode>S</ram:CategoryCode><ram:CategoryCode>O</ram:CategoryCode>",
        ),
    );
    // Act
    let found = at(&both, "BR-O-05");
    // Assert: an O category has no rate.
    assert_eq!(
        found,
        [format!(
            "{CII_LINE}/SpecifiedLineTradeSettlement[1]/ApplicableTradeTax[1]"
        )]
    );
}

#[test]
fn cii_intra_community_rules_fire_on_the_category_code() {
    // Arrange: the invoice made an intra-community supply (K, 0 %) without
    // delivery date, period or deliver-to address.
    let k = edit(
        &edit(
            &edit(
                CII,
                CII_LINE_TAX,
                &CII_LINE_TAX
                    .replace(">S<", ">K<")
                    .replace(">19<", ">0<"),
            ),
            CII_HEADER_TAX,
            &CII_HEADER_TAX
                .replace(">S<", ">K<")
                .replace(">19<", ">0<")
                .replace("1.90", "0.00")
                .replace(
                    "<ram:BasisAmount>",
                    "<ram:ExemptionReason>Intra-community supply</ram:ExemptionReason><ram:BasisAmount>",
                ),
        ),
        "1.90</ram:TaxTotalAmount><ram:GrandTotalAmount>11.90</ram:GrandTotalAmount><ram:DuePayableAmount>11.90",
        "0.00</ram:TaxTotalAmount><ram:GrandTotalAmount>10.00</ram:GrandTotalAmount><ram:DuePayableAmount>10.00",
    );
    // Act
    let found = fired(&k);
    // Assert: the buyer has no VAT identifier either (BR-IC-02, on the
    // line's category).
    let code = format!("{HEADER_TAX}[1]/CategoryCode[1]");
    assert_eq!(
        found,
        [
            (
                "BR-IC-02".to_owned(),
                format!("{CII_LINE}/SpecifiedLineTradeSettlement[1]/ApplicableTradeTax[1]")
            ),
            ("BR-IC-11".to_owned(), code.clone()),
            ("BR-IC-12".to_owned(), code),
        ]
    );
}

#[test]
fn ubl_br_s_02_counts_a_line_category_s_of_any_scheme() {
    // Arrange: the line's S category of scheme GST, so no VAT S line.
    let gst = edit(
        UBL,
        UBL_LINE_CATEGORY,
        &UBL_LINE_CATEGORY.replace(">VAT<", ">GST<"),
    );
    // Act
    let found = fired(&gst);
    // Assert
    assert_eq!(
        found,
        [
            (
                "BR-CO-04".to_owned(),
                "/Invoice[1]/InvoiceLine[1]".to_owned()
            ),
            ("BR-S-02".to_owned(), "/Invoice[1]".to_owned()),
        ]
    );
}

#[test]
fn ubl_br_b_02_sees_standard_rate_in_the_breakdown() {
    // Arrange: the line in split payment (B), the breakdown still S.
    let split = edit(
        UBL,
        UBL_LINE_CATEGORY,
        &UBL_LINE_CATEGORY.replace(">S<", ">B<"),
    );
    // Act
    let found = at(&split, "BR-B-02");
    // Assert
    assert_eq!(found, ["/Invoice[1]"]);
}

#[test]
fn ubl_rule_08_holds_when_either_kind_of_line_matches() {
    // Arrange: a second S 19 % breakdown of 0.00 beside a charge of 0.00 at
    // S 19 %. Against the invoice lines it is off by 10; the credit note
    // line branch (no such lines, the charge at the rate) gives 0.00.
    let charge = r#"<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReason>Freight</cbc:AllowanceChargeReason><cbc:Amount currencyID="EUR">0.00</cbc:Amount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>"#;
    let open = "<cac:TaxSubtotal>";
    let first = &UBL_TAX_TOTAL[UBL_TAX_TOTAL.find(open).expect("a subtotal")..]
        .replace("</cac:TaxTotal>", "");
    let zero = first.replace("10.00", "0.00").replace("1.90", "0.00");
    let doc = edit(
        &edit(
            UBL,
            UBL_TAX_TOTAL,
            &format!(
                "{charge}{}",
                UBL_TAX_TOTAL.replace("</cac:TaxTotal>", &format!("{zero}</cac:TaxTotal>"))
            ),
        ),
        "<cbc:PayableAmount",
        r#"<cbc:ChargeTotalAmount currencyID="EUR">0.00</cbc:ChargeTotalAmount><cbc:PayableAmount"#,
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(found, vec![]);
}

#[test]
fn ubl_br_o_01_counts_every_vat_category_of_a_breakdown() {
    // Arrange: an invoice not subject to VAT whose breakdown has its O
    // category twice.
    let o = "<cac:TaxCategory><cbc:ID>O</cbc:ID><cbc:TaxExemptionReason>Not subject to VAT</cbc:TaxExemptionReason><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>";
    let tax_total = format!(
        r#"<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">10.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>{o}{o}</cac:TaxSubtotal></cac:TaxTotal>"#
    );
    let doc = edit(
        &edit(
            &edit(UBL, UBL_TAX_TOTAL, &tax_total),
            UBL_LINE_CATEGORY,
            "<cac:ClassifiedTaxCategory><cbc:ID>O</cbc:ID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>",
        ),
        r#"<cbc:TaxInclusiveAmount currencyID="EUR">11.90</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">11.90"#,
        r#"<cbc:TaxInclusiveAmount currencyID="EUR">10.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">10.00"#,
    );
    // Act
    let found = at(&doc, "BR-O-01");
    // Assert
    assert_eq!(found, ["/Invoice[1]"]);
}

/// The UBL S 19 % invoice with its one line, breakdown and totals at
/// `line` (net) and `taxable` (the breakdown's taxable amount).
fn ubl_s_amounts(line: &str, taxable: &str) -> String {
    let doc = edit(
        UBL,
        r#"<cbc:TaxableAmount currencyID="EUR">10.00</cbc:TaxableAmount>"#,
        &format!(r#"<cbc:TaxableAmount currencyID="EUR">{taxable}</cbc:TaxableAmount>"#),
    );
    doc.replace(
        r#"<cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount>"#,
        &format!(r#"<cbc:LineExtensionAmount currencyID="EUR">{line}</cbc:LineExtensionAmount>"#),
    )
}

#[test]
fn ubl_br_s_08_bounds_are_the_doubles_exact_values() {
    // Arrange: `xs:decimal(cbc:TaxableAmount - 1)` is computed in xs:double
    // and cast exactly: 1234.56 - 1 is 1233.5599999999999454…, below a
    // line sum of 1233.56 (inside the tolerance), 100.03 - 1 is
    // 99.030000000000001136…, above 99.03 (outside).
    let inside = ubl_s_amounts("1233.56", "1234.56");
    let outside = ubl_s_amounts("99.03", "100.03");
    // Act
    let (inside, outside) = (at(&inside, "BR-S-08"), at(&outside, "BR-S-08"));
    // Assert
    assert_eq!(inside, Vec::<String>::new());
    assert_eq!(
        outside,
        vec!["/Invoice[1]/TaxTotal[1]/TaxSubtotal[1]/TaxCategory[1]"]
    );
}

#[test]
fn cii_br_s_08_basis_is_a_double_and_negative_zero_is_not_zero() {
    // Arrange: a line of 0.00 and a basis of -0.00: `../ram:BasisAmount =
    // (…)` compares xs:double -0 with the decimal sum 0, which Saxon finds
    // unequal.
    let doc = CII
        .replace(
            "<ram:LineTotalAmount>10.00</ram:LineTotalAmount>",
            "<ram:LineTotalAmount>0.00</ram:LineTotalAmount>",
        )
        .replacen(
            "<ram:BasisAmount>10.00</ram:BasisAmount>",
            "<ram:BasisAmount>-0.00</ram:BasisAmount>",
            1,
        );
    // Act
    let found = at(&doc, "BR-S-08");
    // Assert
    assert_eq!(found, vec![format!("{HEADER_TAX}[1]/CategoryCode[1]")]);
}

#[test]
fn cii_br_s_09_rounds_the_double_product_of_an_untyped_rate() {
    // Arrange: `round(abs(xs:decimal(BasisAmount)) * RateApplicablePercent)
    // div 100` with the untyped rate 12.5 is computed in xs:double:
    // 4.52 × 12.5 = 56.499999999999993 rounds to 56, so 0.56 (0.57 in
    // decimals), and a tax of 1.56 is just outside the ±1 tolerance.
    let doc = CII.replacen(
        CII_HEADER_TAX,
        &CII_HEADER_TAX
            .replace("<ram:CalculatedAmount>1.90", "<ram:CalculatedAmount>1.56")
            .replace("<ram:BasisAmount>10.00", "<ram:BasisAmount>4.52")
            .replace(">19<", ">12.5<"),
        1,
    );
    // Act
    let found = at(&doc, "BR-S-09");
    // Assert
    assert_eq!(found, vec![format!("{HEADER_TAX}[1]/CategoryCode[1]")]);
}
