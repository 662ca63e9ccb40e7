//! Parties and payment instructions.

use super::*;

#[test]
fn cii_br_20_fires_on_a_tax_representative_without_address() {
    // Arrange
    let rep = edit(
        CII,
        "</ram:BuyerTradeParty>",
        r#"</ram:BuyerTradeParty><ram:SellerTaxRepresentativeTradeParty><ram:Name>Rep</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE999999999</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTaxRepresentativeTradeParty>"#,
    );
    // Act
    let found = fired(&rep);
    // Assert
    let party = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeAgreement[1]/SellerTaxRepresentativeTradeParty[1]";
    assert_eq!(
        found,
        vec![
            ("BR-19".to_owned(), party.to_owned()),
            ("BR-20".to_owned(), party.to_owned())
        ]
    );
}

#[test]
fn cii_br_61_needs_the_account_element_as_context() {
    // Arrange: a credit transfer (58) without PayeePartyCreditorFinancialAccount.
    let transfer = edit(
        CII,
        "<ram:ApplicableTradeTax><ram:CalculatedAmount>",
        "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode></ram:SpecifiedTradeSettlementPaymentMeans><ram:ApplicableTradeTax><ram:CalculatedAmount>",
    );
    // Act
    let found = fired(&transfer);
    // Assert
    assert_eq!(found, vec![]);
}

#[test]
fn cii_br_62_fires_for_an_electronic_address_without_uriid() {
    // Arrange: the seller's URIUniversalCommunication without URIID, then
    // with one of scheme EM.
    let seller = "<ram:SellerTradeParty><ram:Name>Seller</ram:Name>";
    let without = edit(
        CII,
        seller,
        &format!("{seller}<ram:URIUniversalCommunication/>"),
    );
    let with = edit(
        CII,
        seller,
        &format!(
            r#"{seller}<ram:URIUniversalCommunication><ram:URIID schemeID="EM">a@b.de</ram:URIID></ram:URIUniversalCommunication>"#
        ),
    );
    // Act
    let (without, with) = (at(&without, "BR-62"), at(&with, "BR-62"));
    // Assert
    assert_eq!(without, ["/CrossIndustryInvoice[1]"]);
    assert_eq!(with, Vec::<String>::new());
}

#[test]
fn ubl_br_62_and_63_fire_on_the_endpoint() {
    // Arrange: the seller's endpoint without scheme, the buyer's with one.
    let doc = edit(
        &edit(
            UBL,
            "<cac:AccountingSupplierParty><cac:Party>",
            "<cac:AccountingSupplierParty><cac:Party><cbc:EndpointID>a@b.de</cbc:EndpointID>",
        ),
        "<cac:AccountingCustomerParty><cac:Party>",
        r#"<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="EM">c@d.de</cbc:EndpointID>"#,
    );
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        [(
            "BR-62".to_owned(),
            "/Invoice[1]/AccountingSupplierParty[1]/Party[1]/EndpointID[1]".to_owned()
        )]
    );
}

#[test]
fn ubl_br_co_26_fires_on_the_supplier_and_ignores_sepa_identifiers() {
    // Arrange: the seller's VAT identifier replaced by a SEPA creditor id.
    let doc = edit(
        UBL,
        "<cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
        r#"<cac:PartyIdentification><cbc:ID schemeID="SEPA">DE98ZZZ09999999999</cbc:ID></cac:PartyIdentification>"#,
    );
    // Act
    let found = at(&doc, "BR-CO-26");
    // Assert
    assert_eq!(found, ["/Invoice[1]/AccountingSupplierParty[1]"]);
}

#[test]
fn ubl_account_rules_br_50_on_the_account_and_br_61_on_the_payment_means() {
    // Arrange: a credit transfer whose account ID is blank, and one without
    // account.
    let means = "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cac:PayeeFinancialAccount><cbc:ID> </cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans><cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode></cac:PaymentMeans>";
    let doc = edit(UBL, UBL_TAX_TOTAL, &format!("{means}{UBL_TAX_TOTAL}"));
    // Act
    let found = fired(&doc);
    // Assert: a blank BT-84 is there for BR-61, not for BR-50.
    assert_eq!(
        found,
        [
            (
                "BR-50".to_owned(),
                "/Invoice[1]/PaymentMeans[1]/PayeeFinancialAccount[1]".to_owned()
            ),
            ("BR-61".to_owned(), "/Invoice[1]/PaymentMeans[2]".to_owned()),
        ]
    );
}

#[test]
fn cii_account_rules_fire_on_the_account() {
    // Arrange: a credit transfer whose IBAN is blank, one whose account has
    // no identifier.
    let means = "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID> </ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans><ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:AccountName>Seller</ram:AccountName></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>";
    let doc = edit(CII, CII_HEADER_TAX, &format!("{means}{CII_HEADER_TAX}"));
    // Act
    let found = fired(&doc);
    // Assert
    let account = |n: u32| {
        format!("{SETTLEMENT}/SpecifiedTradeSettlementPaymentMeans[{n}]/PayeePartyCreditorFinancialAccount[1]")
    };
    assert_eq!(
        found,
        [
            ("BR-50".to_owned(), account(1)),
            ("BR-50".to_owned(), account(2)),
            ("BR-61".to_owned(), account(2)),
        ]
    );
}

#[test]
fn br_co_09_fires_on_the_vat_identifier() {
    // Arrange: the seller's VAT identifier without country prefix.
    let ubl = edit(UBL, ">DE123456789<", ">XX123456789<");
    let cii = edit(CII, ">DE123456789<", ">XX123456789<");
    // Act
    let (ubl, cii) = (at(&ubl, "BR-CO-09"), at(&cii, "BR-CO-09"));
    // Assert
    assert_eq!(
        ubl,
        ["/Invoice[1]/AccountingSupplierParty[1]/Party[1]/PartyTaxScheme[1]"]
    );
    assert_eq!(
        cii,
        ["/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeAgreement[1]/SellerTradeParty[1]/SpecifiedTaxRegistration[1]/ID[1]"]
    );
}

#[test]
fn cii_br_17_needs_the_payee_name_element_not_a_non_blank_name() {
    // Arrange: a payee with a blank name, and one without name.
    let currency = "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>";
    let payee = |name: &str| {
        edit(
            CII,
            currency,
            &format!(
                "{currency}<ram:PayeeTradeParty><ram:ID>P1</ram:ID>{name}</ram:PayeeTradeParty>"
            ),
        )
    };
    let (blank, none) = (payee("<ram:Name> </ram:Name>"), payee(""));
    // Act
    let (blank, none) = (at(&blank, "BR-17"), at(&none, "BR-17"));
    // Assert
    assert_eq!(blank, Vec::<String>::new());
    assert_eq!(none, [format!("{SETTLEMENT}/PayeeTradeParty[1]")]);
}

#[test]
fn ubl_br_51_fires_on_the_card_number() {
    // Arrange: a card payment with a 12-digit primary account number.
    let means = "<cac:PaymentMeans><cbc:PaymentMeansCode>48</cbc:PaymentMeansCode><cac:CardAccount><cbc:PrimaryAccountNumberID>123456789012</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount></cac:PaymentMeans>";
    let doc = edit(UBL, UBL_TAX_TOTAL, &format!("{means}{UBL_TAX_TOTAL}"));
    // Act
    let found = at(&doc, "BR-51");
    // Assert
    assert_eq!(
        found,
        ["/Invoice[1]/PaymentMeans[1]/CardAccount[1]/PrimaryAccountNumberID[1]"]
    );
}

#[test]
fn ubl_br_20_needs_a_non_blank_country_on_each_representative_address() {
    // Arrange: a tax representative whose address has a blank country.
    let rep = r#"<cac:TaxRepresentativeParty><cac:PartyName><cbc:Name>Rep</cbc:Name></cac:PartyName><cac:PostalAddress><cac:Country><cbc:IdentificationCode> </cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>DE999999999</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:TaxRepresentativeParty>"#;
    let doc = edit(UBL, UBL_TAX_TOTAL, &format!("{rep}{UBL_TAX_TOTAL}"));
    // Act
    let found = fired(&doc);
    // Assert
    assert_eq!(
        found,
        [(
            "BR-20".to_owned(),
            "/Invoice[1]/TaxRepresentativeParty[1]/PostalAddress[1]".to_owned()
        )]
    );
}

#[test]
fn ubl_br_09_fires_on_each_seller_address() {
    // Arrange: the seller's address twice, its country blank.
    let address = "<cac:PostalAddress><cac:Country><cbc:IdentificationCode> </cbc:IdentificationCode></cac:Country></cac:PostalAddress>";
    let doc = edit(
        UBL,
        "<cac:AccountingSupplierParty><cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>",
        &format!("<cac:AccountingSupplierParty><cac:Party>{address}{address}"),
    );
    // Act
    let found = at(&doc, "BR-09");
    // Assert
    let at_address =
        |n: u32| format!("/Invoice[1]/AccountingSupplierParty[1]/Party[1]/PostalAddress[{n}]");
    assert_eq!(found, [at_address(1), at_address(2)]);
}
