//! Each case is a small document and the verdict of the official XSLT on
//! it (run through tools/differential's oracle when the case was written):
//! the rules the business checks fire and where, as the SVRL location
//! without its namespace tests.

use super::{cents_as_double, evaluate, xpath_round, xs_double};
use crate::input::xml::Tree;
use crate::model::Num;
use crate::validation::rule::{At, Out};

/// A CII invoice the artefact accepts: one line and one breakdown, S 19 %.
const CII: &str = r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20240131</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Item</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>10</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>10.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Seller</ram:Name><ram:PostalTradeAddress><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer</ram:Name><ram:PostalTradeAddress><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>1.90</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>10.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>10.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>10.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount><ram:GrandTotalAmount>11.90</ram:GrandTotalAmount><ram:DuePayableAmount>11.90</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"#;

/// The same invoice in UBL.
const UBL: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>1</cbc:ID>
  <cbc:IssueDate>2024-01-31</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>Seller</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>Buyer</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">1.90</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">10.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">1.90</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">10.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">11.90</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">11.90</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Item</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">10</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>"#;

const TAX_TOTAL: &str = r#"<ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount>"#;
const SUMMATION: &str = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeSettlement[1]/SpecifiedTradeSettlementHeaderMonetarySummation[1]";
const HEADER_TAX: &str = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]/ApplicableHeaderTradeSettlement[1]/ApplicableTradeTax";

/// `base` with `from` replaced (which must occur) by `to`.
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from} not in the document");
    base.replacen(from, to, 1)
}

/// An SVRL location without its `[namespace-uri()='…']` tests.
fn short(location: &str) -> String {
    let mut out = String::new();
    let mut rest = location;
    while let Some(i) = rest.find("[namespace-uri()='") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("']").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.replace("*:", "")
}

/// (rule, location) of every business rule that fires on `xml`.
fn fired(xml: &str) -> Vec<(String, String)> {
    let tree = Tree::parse(xml.as_bytes()).expect("well-formed test document");
    let root = tree.root();
    let inv = if root.local_name() == "CrossIndustryInvoice" {
        crate::binding::cii::build(root)
    } else {
        crate::binding::ubl::build(root, false)
    };
    let mut out = Out::default();
    evaluate(&inv, &mut out);
    out.fired
        .into_iter()
        .map(|f| {
            let at = match f.at {
                At::Element(loc) => short(&root.location(loc)),
                At::Described(s) => s,
            };
            (f.rule.id.to_owned(), at)
        })
        .collect()
}

/// Where `rule` fires on `xml`, in order.
fn at(xml: &str, rule: &str) -> Vec<String> {
    fired(xml)
        .into_iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, a)| a)
        .collect()
}

#[test]
fn the_base_documents_pass_every_business_rule() {
    // Arrange / Act
    let (cii, ubl) = (fired(CII), fired(UBL));
    // Assert
    assert_eq!(cii, vec![]);
    assert_eq!(ubl, vec![]);
}

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
fn xs_double_takes_the_xml_schema_forms_only() {
    // Arrange
    let forms = [" 1.5 ", "1E1", ".5", "5.", "-INF", "inf", "1,5", "", "NaN"];
    // Act
    let read: Vec<Option<f64>> = forms.iter().map(|f| xs_double(f)).collect();
    // Assert
    assert_eq!(
        read[..5],
        [
            Some(1.5),
            Some(10.0),
            Some(0.5),
            Some(5.0),
            Some(f64::NEG_INFINITY)
        ]
    );
    assert_eq!(read[5..8], [None, None, None]);
    assert!(read[8].is_some_and(f64::is_nan));
}

#[test]
fn xpath_round_takes_halves_towards_positive_infinity() {
    // Arrange
    let xs = [2.5, -2.5, 0.49999999999999994, 490.49999999999994, -0.6];
    // Act
    let rounded: Vec<f64> = xs.iter().map(|x| xpath_round(*x)).collect();
    // Assert
    assert_eq!(rounded, [3.0, -2.0, 0.0, 490.0, -1.0]);
}

#[test]
fn cents_as_double_accepts_trailing_zeros_and_refuses_more_cents() {
    // Arrange
    let n = |s: &str| Num::new(s);
    // Act / Assert
    assert!(cents_as_double(&n("4.900")));
    assert!(cents_as_double(&n("0.00000")));
    assert!(!cents_as_double(&n("4.905")));
    assert!(!cents_as_double(&n("abc")));
}
