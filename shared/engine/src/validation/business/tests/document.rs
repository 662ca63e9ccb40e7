//! Rules on the document root, the period and the document references.

use super::*;

#[test]
fn ubl_document_references_fire_on_their_elements() {
    // Arrange: a preceding invoice reference without number, a supporting
    // document with a blank one.
    let refs = "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:IssueDate>2024-01-01</cbc:IssueDate></cac:InvoiceDocumentReference></cac:BillingReference><cac:AdditionalDocumentReference><cbc:ID> </cbc:ID></cac:AdditionalDocumentReference>";
    let supplier = "<cac:AccountingSupplierParty>";
    let doc = edit(UBL, supplier, &format!("{refs}{supplier}"));
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        [
            (
                "BR-55".to_owned(),
                "/Invoice[1]/BillingReference[1]".to_owned()
            ),
            (
                "BR-52".to_owned(),
                "/Invoice[1]/AdditionalDocumentReference[1]".to_owned()
            ),
        ]
    );
}

#[test]
fn cii_document_references_fire_on_their_elements_the_line_ones_too() {
    // Arrange: a preceding invoice reference without number; a line's
    // referenced document (BT-128) with a blank one, which BR-52 matches.
    let doc = edit(
        &edit(
            CII,
            "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
            "</ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:InvoiceReferencedDocument><ram:FormattedIssueDateTime/></ram:InvoiceReferencedDocument>",
        ),
        "<ram:SpecifiedLineTradeAgreement>",
        "<ram:SpecifiedLineTradeAgreement><ram:AdditionalReferencedDocument><ram:IssuerAssignedID> </ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode></ram:AdditionalReferencedDocument>",
    );
    // Act
    let mut found = fired(&doc);
    found.sort();
    // Assert
    assert_eq!(
        found,
        [
            (
                "BR-52".to_owned(),
                format!(
                    "{CII_LINE}/SpecifiedLineTradeAgreement[1]/AdditionalReferencedDocument[1]"
                )
            ),
            (
                "BR-55".to_owned(),
                format!("{SETTLEMENT}/InvoiceReferencedDocument[1]")
            ),
        ]
    );
}

#[test]
fn cii_br_57_fires_on_the_delivery() {
    // Arrange: a deliver-to address without country.
    let doc = edit(
        CII,
        "<ram:ApplicableHeaderTradeDelivery/>",
        "<ram:ApplicableHeaderTradeDelivery><ram:ShipToTradeParty><ram:PostalTradeAddress><ram:CityName>Bonn</ram:CityName></ram:PostalTradeAddress></ram:ShipToTradeParty></ram:ApplicableHeaderTradeDelivery>",
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        [(
            "BR-57".to_owned(),
            "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeDelivery[1]"
                .to_owned()
        )]
    );
}

#[test]
fn cii_br_29_fires_on_each_invoice_period() {
    // Arrange: the invoice period twice, ending before it starts.
    let period = r#"<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format="102">20240131</udt:DateTimeString></ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format="102">20240101</udt:DateTimeString></ram:EndDateTime></ram:BillingSpecifiedPeriod>"#;
    let summation = "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>";
    let doc = edit(CII, summation, &format!("{period}{period}{summation}"));
    // Act
    let found = at(&doc, "BR-29");
    // Assert
    let at_period = |n: u32| format!("{SETTLEMENT}/BillingSpecifiedPeriod[{n}]");
    assert_eq!(found, [at_period(1), at_period(2)]);
}
