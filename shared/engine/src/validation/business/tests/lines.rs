//! Lines and allowances/charges.

use super::*;

#[test]
fn cii_br_27_reads_the_price_as_a_double() {
    // Arrange: 1E1 is no xs:decimal but a valid xs:double (10).
    let exponent = edit(
        CII,
        "<ram:ChargeAmount>10</ram:ChargeAmount>",
        "<ram:ChargeAmount>1E1</ram:ChargeAmount>",
    );
    // Act
    let found = fired(&exponent);
    // Assert
    assert_eq!(found, vec![]);
}

#[test]
fn cii_allowance_rules_fire_on_the_charge_indicator() {
    // Arrange: a document allowance without reason.
    let allowance = "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>0.00</ram:ActualAmount><ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:CategoryTradeTax></ram:SpecifiedTradeAllowanceCharge>";
    let summation = "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>";
    let doc = edit(CII, summation, &format!("{allowance}{summation}"));
    // Act
    let found = fired(&doc);
    // Assert: the summation has no allowance total either (BR-CO-11).
    let indicator = format!("{SETTLEMENT}/SpecifiedTradeAllowanceCharge[1]/ChargeIndicator[1]");
    assert_eq!(
        found,
        [
            ("BR-CO-11".to_owned(), SUMMATION.to_owned()),
            ("BR-33".to_owned(), indicator.clone()),
            ("BR-CO-21".to_owned(), indicator),
        ]
    );
}

#[test]
fn ubl_item_rules_fire_on_their_elements() {
    // Arrange: a standard identifier without scheme, a classification
    // without list, an attribute without value.
    let doc = edit(
        &edit(
            UBL,
            "<cac:Item><cbc:Name>Item</cbc:Name>",
            "<cac:Item><cbc:Name>Item</cbc:Name><cac:StandardItemIdentification><cbc:ID>4000001123452</cbc:ID></cac:StandardItemIdentification><cac:CommodityClassification><cbc:ItemClassificationCode>12345</cbc:ItemClassificationCode></cac:CommodityClassification>",
        ),
        "</cac:ClassifiedTaxCategory></cac:Item>",
        "</cac:ClassifiedTaxCategory><cac:AdditionalItemProperty><cbc:Name>Colour</cbc:Name></cac:AdditionalItemProperty></cac:Item>",
    );
    // Act
    let mut found = fired(&doc);
    found.sort();
    // Assert
    let item = "/Invoice[1]/InvoiceLine[1]/Item[1]";
    assert_eq!(
        found,
        [
            (
                "BR-54".to_owned(),
                format!("{item}/AdditionalItemProperty[1]")
            ),
            (
                "BR-64".to_owned(),
                format!("{item}/StandardItemIdentification[1]/ID[1]")
            ),
            (
                "BR-65".to_owned(),
                format!("{item}/CommodityClassification[1]/ItemClassificationCode[1]")
            ),
        ]
    );
}

#[test]
fn cii_item_rules_fire_on_their_elements() {
    // Arrange: the same in CII; BR-64 is checked on the line.
    let doc = edit(
        CII,
        "<ram:SpecifiedTradeProduct><ram:Name>Item</ram:Name></ram:SpecifiedTradeProduct>",
        "<ram:SpecifiedTradeProduct><ram:GlobalID>4000001123452</ram:GlobalID><ram:Name>Item</ram:Name><ram:ApplicableProductCharacteristic><ram:Description>Colour</ram:Description></ram:ApplicableProductCharacteristic><ram:DesignatedProductClassification><ram:ClassCode>12345</ram:ClassCode></ram:DesignatedProductClassification></ram:SpecifiedTradeProduct>",
    );
    // Act
    let mut found = fired(&doc);
    found.sort();
    // Assert
    let product = format!("{CII_LINE}/SpecifiedTradeProduct[1]");
    assert_eq!(
        found,
        [
            (
                "BR-54".to_owned(),
                format!("{product}/ApplicableProductCharacteristic[1]")
            ),
            ("BR-64".to_owned(), CII_LINE.to_owned()),
            (
                "BR-65".to_owned(),
                format!("{product}/DesignatedProductClassification[1]")
            ),
        ]
    );
}
