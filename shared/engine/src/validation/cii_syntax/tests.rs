//! Unit tests of the CII syntax binding rules. Unless a test says otherwise,
//! its document was run through the official CII XSLT, which reported the
//! same CII-* rules at the same locations.

use super::*;
use crate::input::xml::Tree;

const HEAD: &str = r#"<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240131</udt:DateTimeString></ram:IssueDateTime>
    DOCUMENT</rsm:ExchangedDocument>"#;

const LINE: &str = r#"<ram:IncludedSupplyChainTradeLineItem>
    <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID>NOTE</ram:AssociatedDocumentLineDocument>
    <ram:SpecifiedTradeProduct><ram:Name>Item</ram:Name></ram:SpecifiedTradeProduct>
    <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>
      <ram:ChargeAmount>10</ram:ChargeAmount>
    </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
    <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
    <ram:SpecifiedLineTradeSettlement>
      <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementLineMonetarySummation>
        <ram:LineTotalAmount>10</ram:LineTotalAmount>
      </ram:SpecifiedTradeSettlementLineMonetarySummation>
      LINE_SETTLEMENT</ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>"#;

/// Additions to the minimal invoice, each at the end of the element it
/// names; `totals` makes a header monetary summation.
#[derive(Default, Clone, Copy)]
struct Parts<'a> {
    document: &'a str,
    line_note: &'a str,
    line_settlement: &'a str,
    agreement: &'a str,
    settlement: &'a str,
    totals: &'a str,
}

fn invoice(p: Parts<'_>) -> String {
    let head = HEAD.replace("DOCUMENT", p.document);
    let line = LINE
        .replace("NOTE", p.line_note)
        .replace("LINE_SETTLEMENT", p.line_settlement);
    let totals = if p.totals.is_empty() {
        String::new()
    } else {
        format!(
            "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>{}\
             </ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
            p.totals
        )
    };
    format!(
        "{head}<rsm:SupplyChainTradeTransaction>{line}\
         <ram:ApplicableHeaderTradeAgreement>{}</ram:ApplicableHeaderTradeAgreement>\
         <ram:ApplicableHeaderTradeDelivery/>\
         <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>\
         {}{totals}</ram:ApplicableHeaderTradeSettlement>\
         </rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>",
        p.agreement, p.settlement
    )
}

/// (rule, fatal) of every rule that fired, sorted, without repeats.
fn fired(xml: &str) -> Vec<(&'static str, bool)> {
    let mut ids: Vec<(&'static str, bool)> = fired_at(xml)
        .into_iter()
        .map(|(id, _)| (id, rule::find(id).and_then(|r| r.cii).is_some_and(|b| b.0)))
        .collect();
    ids.dedup();
    ids
}

/// (rule, location) of every failed assert, sorted; the location as the
/// SVRL gives it, without its `[namespace-uri()=…]` tests and `*:`.
fn fired_at(xml: &str) -> Vec<(&'static str, String)> {
    let tree = Tree::parse(xml.as_bytes()).expect("well-formed test document");
    let root = tree.root();
    let mut out = Out::default();
    check(root, &mut out);
    let mut fired: Vec<(&'static str, String)> = out
        .fired
        .iter()
        .map(|f| (f.rule.id, rule::short_location(root, f.at)))
        .collect();
    fired.sort();
    fired
}

use crate::validation::rule;

const ROOT: &str = "/CrossIndustryInvoice[1]";
const TRANSACTION: &str = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]";

fn at(path: &str) -> String {
    format!("{TRANSACTION}{path}")
}

#[test]
fn a_plain_invoice_fires_nothing() {
    // Arrange
    let xml = invoice(Parts::default());

    // Act
    let ids = fired(&xml);

    // Assert
    assert_eq!(ids, Vec::<(&str, bool)>::new());
}

#[test]
fn header_context_warns_on_unused_elements_at_the_agreement() {
    // Arrange: a seller contact with a job title, a buyer with ID and GlobalID.
    let agreement = "<ram:SellerTradeParty><ram:DefinedTradeContact>\
        <ram:JobTitle>CEO</ram:JobTitle></ram:DefinedTradeContact></ram:SellerTradeParty>\
        <ram:BuyerTradeParty><ram:ID>1</ram:ID><ram:GlobalID schemeID=\"0088\">2</ram:GlobalID>\
        </ram:BuyerTradeParty>";
    let xml = invoice(Parts {
        agreement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let agreement = at("/ApplicableHeaderTradeAgreement[1]");
    assert_eq!(
        got,
        vec![("CII-SR-229", agreement.clone()), ("CII-SR-450", agreement)]
    );
}

#[test]
fn line_document_counts_and_absences_at_the_line_document() {
    // Arrange: two notes on the line, one with a subject code.
    let line_note = "<ram:IncludedNote><ram:Content>a</ram:Content></ram:IncludedNote>\
        <ram:IncludedNote><ram:SubjectCode>AAI</ram:SubjectCode><ram:Content>b</ram:Content></ram:IncludedNote>";
    let xml = invoice(Parts {
        line_note,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let doc = at("/IncludedSupplyChainTradeLineItem[1]/AssociatedDocumentLineDocument[1]");
    let want = ["CII-SR-039", "CII-SR-040", "CII-SR-041"].map(|id| (id, doc.clone()));
    assert_eq!(got, want);
}

#[test]
fn currency_on_a_line_amount_is_fatal_at_the_amount() {
    // Arrange
    let xml = invoice(Parts::default()).replace(
        "<ram:LineTotalAmount>10",
        "<ram:LineTotalAmount currencyID=\"EUR\">10",
    );

    // Act
    let (ids, got) = (fired(&xml), fired_at(&xml));

    // Assert
    assert_eq!(ids, vec![("CII-DT-031", true)]);
    let amount = at(
        "/IncludedSupplyChainTradeLineItem[1]/SpecifiedLineTradeSettlement[1]\
         /SpecifiedTradeSettlementLineMonetarySummation[1]/LineTotalAmount[1]",
    );
    assert_eq!(got, vec![("CII-DT-031", amount)]);
}

#[test]
fn tax_exemption_elements_only_on_applicable_trade_tax() {
    // Arrange: an exemption reason on a line allowance's CategoryTradeTax.
    let line_settlement = "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator>\
        <udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>\
        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode>\
        <ram:ExemptionReason>x</ram:ExemptionReason></ram:CategoryTradeTax>\
        </ram:SpecifiedTradeAllowanceCharge>";
    let xml = invoice(Parts {
        line_settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let settlement = at("/IncludedSupplyChainTradeLineItem[1]/SpecifiedLineTradeSettlement[1]");
    let tax = format!("{settlement}/SpecifiedTradeAllowanceCharge[1]/CategoryTradeTax[1]");
    assert_eq!(got, vec![("CII-DT-098", tax), ("CII-SR-191", settlement)]);
}

#[test]
fn dates_with_format_102_are_checked() {
    // Arrange / Act / Assert
    assert!(is_yyyymmdd("20240229"));
    assert!(!is_yyyymmdd("20241301"));
    assert!(!is_yyyymmdd("2024-01-01"));
}

#[test]
fn each_element_is_checked_by_its_highest_priority_template() {
    // Arrange
    let xml = invoice(Parts {
        agreement: "<ram:SellerTradeParty><ram:ID>1</ram:ID></ram:SellerTradeParty>",
        ..Parts::default()
    });
    let tree = Tree::parse(xml.as_bytes()).expect("well-formed test document");
    let root = tree.root();
    let mut chosen = Vec::new();
    fn collect(n: Node<'_>, pos: Pos, chosen: &mut Vec<(String, Option<Template>)>) {
        chosen.push((n.local_name().to_owned(), template(n, pos, false)));
        for c in n.children() {
            collect(c, pos.child(c), chosen);
        }
    }

    // Act
    collect(root, Pos::of_root(root), &mut chosen);

    // Assert
    let of = |name: &str| -> Vec<Option<Template>> {
        chosen
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| *t)
            .collect()
    };
    // The guideline and document identifiers (1011), not //ram:*ID (1010).
    assert_eq!(
        of("ID"),
        vec![
            Some(Template::FixedId),
            Some(Template::FixedId),
            Some(Template::Id)
        ]
    );
    assert_eq!(of("LineID"), vec![Some(Template::FixedId)]);
    // //ram:TypeCode (1009) wins over …/rsm:ExchangedDocument/ram:TypeCode (1008).
    assert_eq!(of("TypeCode"), vec![Some(Template::TypeCode); 2]);
    assert_eq!(of("CategoryCode"), vec![Some(Template::LineCategoryCode)]);
    assert_eq!(
        of("GuidelineSpecifiedDocumentContextParameter"),
        vec![Some(Template::ContextParameter)]
    );
    assert_eq!(of("CrossIndustryInvoice"), vec![Some(Template::Root)]);
    assert_eq!(of("SpecifiedTradeProduct"), vec![Some(Template::Product)]);
    assert_eq!(of("Name"), vec![None]);
}

#[test]
fn fixed_identifiers_take_dt_001_to_007_and_other_identifiers_dt_101_to_104() {
    // Arrange: scheme names on the document identifier and a seller identifier.
    let xml = invoice(Parts {
        agreement:
            "<ram:SellerTradeParty><ram:ID schemeName=\"x\">1</ram:ID></ram:SellerTradeParty>",
        ..Parts::default()
    })
    .replace(
        "<ram:ID>1</ram:ID><ram:TypeCode>",
        "<ram:ID schemeName=\"x\" schemeID=\"y\">1</ram:ID><ram:TypeCode>",
    );

    // Act
    let got = fired_at(&xml);

    // Assert
    let document_id = format!("{ROOT}/ExchangedDocument[1]/ID[1]");
    let seller_id = at("/ApplicableHeaderTradeAgreement[1]/SellerTradeParty[1]/ID[1]");
    assert_eq!(
        got,
        vec![
            ("CII-DT-001", document_id.clone()),
            ("CII-DT-005", document_id),
            ("CII-DT-101", seller_id),
        ]
    );
}

#[test]
fn the_document_type_code_takes_the_rules_of_every_type_code() {
    // Arrange: listID (CII-DT-010 of template 1008, which never applies)
    // and name (CII-DT-008 of //ram:TypeCode).
    let xml = invoice(Parts::default()).replace(
        "<ram:TypeCode>380</ram:TypeCode>",
        "<ram:TypeCode listID=\"UNCL1001\" name=\"x\">380</ram:TypeCode>",
    );

    // Act
    let got = fired_at(&xml);

    // Assert
    let code = format!("{ROOT}/ExchangedDocument[1]/TypeCode[1]");
    assert_eq!(got, vec![("CII-DT-008", code)]);
}

#[test]
fn an_allowance_or_charge_anywhere_needs_its_indicator_and_single_values() {
    // Arrange: a header allowance without indicator and with two amounts,
    // two tax categories and two rates.
    let settlement = "<ram:SpecifiedTradeAllowanceCharge>\
        <ram:CalculationPercent>1</ram:CalculationPercent>\
        <ram:ActualAmount>1</ram:ActualAmount><ram:ActualAmount>1</ram:ActualAmount>\
        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode></ram:CategoryTradeTax>\
        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode></ram:CategoryTradeTax>\
        <ram:RateApplicablePercent>1</ram:RateApplicablePercent><ram:RateApplicablePercent>2</ram:RateApplicablePercent>\
        </ram:SpecifiedTradeAllowanceCharge>";
    let xml = invoice(Parts {
        settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let charge = at("/ApplicableHeaderTradeSettlement[1]/SpecifiedTradeAllowanceCharge[1]");
    let want =
        ["CII-SR-463", "CII-SR-471", "CII-SR-472", "CII-SR-473"].map(|id| (id, charge.clone()));
    assert_eq!(got, want);
}

const MEANS_58: &str = "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>\
    <ram:Information>SEPA</ram:Information>\
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE02</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>\
    </ram:SpecifiedTradeSettlementPaymentMeans>";

#[test]
fn payment_means_agree_across_the_document_after_normalize_space() {
    // Arrange: the same code and information up to white space; a payer
    // institution.
    let second = MEANS_58.replace(">58<", "> 58\n<").replace(
        "</ram:TypeCode>",
        "</ram:TypeCode><ram:PayerSpecifiedDebtorFinancialInstitution/>",
    );
    let settlement = format!("{MEANS_58}{second}");
    let xml = invoice(Parts {
        settlement: &settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let means = at("/ApplicableHeaderTradeSettlement[1]/SpecifiedTradeSettlementPaymentMeans[2]");
    assert_eq!(got, vec![("CII-SR-464", means)]);
}

#[test]
fn payment_means_that_differ_fire_at_the_root() {
    // Arrange: a second means with another code and information, and an
    // account without identifier.
    let second = MEANS_58
        .replace(">58<", ">30<")
        .replace("SEPA", "Transfer")
        .replace(
            "<ram:IBANID>DE02</ram:IBANID>",
            "<ram:AccountName>x</ram:AccountName>",
        );
    let settlement = format!("{MEANS_58}{second}");
    let xml = invoice(Parts {
        settlement: &settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    assert_eq!(
        got,
        vec![
            ("CII-SR-467", ROOT.to_owned()),
            ("CII-SR-468", ROOT.to_owned()),
            ("CII-SR-470", at("/ApplicableHeaderTradeSettlement[1]")),
        ]
    );
}

#[test]
fn a_proprietary_account_identifier_is_enough_for_a_transfer() {
    // Arrange
    let means = MEANS_58.replace("IBANID>", "ProprietaryID>");
    let xml = invoice(Parts {
        settlement: &means,
        ..Parts::default()
    });

    // Act
    let ids = fired(&xml);

    // Assert
    assert_eq!(ids, Vec::<(&str, bool)>::new());
}

#[test]
fn payment_reference_and_due_date_codes_are_counted_over_the_document() {
    // Arrange: two payment references; due date codes 5 (line) and 29
    // (header).
    let settlement = "<ram:PaymentReference>a</ram:PaymentReference><ram:PaymentReference>b</ram:PaymentReference>\
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>\
        <ram:DueDateTypeCode>29</ram:DueDateTypeCode></ram:ApplicableTradeTax>";
    let xml = invoice(Parts {
        settlement,
        ..Parts::default()
    })
    .replace(
        "<ram:CategoryCode>S</ram:CategoryCode>\n",
        "<ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>5</ram:DueDateTypeCode>\n",
    );

    // Act
    let got = fired_at(&xml);

    // Assert
    let line_tax = at("/IncludedSupplyChainTradeLineItem[1]/SpecifiedLineTradeSettlement[1]/ApplicableTradeTax[1]");
    assert_eq!(
        got,
        vec![
            ("CII-DT-058", line_tax),
            ("CII-SR-462", at("/ApplicableHeaderTradeSettlement[1]")),
            ("CII-SR-469", ROOT.to_owned()),
        ]
    );
}

#[test]
fn a_contact_person_and_department_together_warn_at_the_agreement() {
    // Arrange: the seller's name and department in two contacts, the
    // buyer's in one.
    let agreement = "<ram:SellerTradeParty>\
        <ram:DefinedTradeContact><ram:PersonName>a</ram:PersonName></ram:DefinedTradeContact>\
        <ram:DefinedTradeContact><ram:DepartmentName>b</ram:DepartmentName></ram:DefinedTradeContact>\
        </ram:SellerTradeParty><ram:BuyerTradeParty><ram:DefinedTradeContact>\
        <ram:PersonName>a</ram:PersonName><ram:DepartmentName>b</ram:DepartmentName>\
        </ram:DefinedTradeContact></ram:BuyerTradeParty>";
    let xml = invoice(Parts {
        agreement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let agreement = at("/ApplicableHeaderTradeAgreement[1]");
    let want = ["CII-SR-455", "CII-SR-465", "CII-SR-466"].map(|id| (id, agreement.clone()));
    assert_eq!(got, want);
}

fn additional(code: &str, extra: &str) -> String {
    format!(
        "<ram:AdditionalReferencedDocument><ram:IssuerAssignedID>1</ram:IssuerAssignedID>\
         <ram:TypeCode>{code}</ram:TypeCode>{extra}</ram:AdditionalReferencedDocument>"
    )
}

#[test]
fn additional_documents_are_counted_by_type_code() {
    // Arrange: two of type 50, two of 130, two 916 with two names and two
    // attachments in all; two of 130 on the line.
    let attachment = "<ram:AttachmentBinaryObject mimeCode=\"application/pdf\" filename=\"a\">AA==</ram:AttachmentBinaryObject>";
    let agreement = [
        additional("50", ""),
        additional("50", ""),
        additional("130", ""),
        additional("130", ""),
        additional(
            "916",
            &format!("<ram:Name>a</ram:Name><ram:Name>b</ram:Name>{attachment}"),
        ),
        additional("916", attachment),
    ]
    .concat();
    let line_settlement = [additional("130", ""), additional("130", "")].concat();
    let xml = invoice(Parts {
        agreement: &agreement,
        line_settlement: &line_settlement,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert
    let agreement = at("/ApplicableHeaderTradeAgreement[1]");
    let line = at("/IncludedSupplyChainTradeLineItem[1]/SpecifiedLineTradeSettlement[1]");
    let mut want: Vec<(&str, String)> = ["CII-SR-457", "CII-SR-458", "CII-SR-475", "CII-SR-476"]
        .map(|id| (id, agreement.clone()))
        .into();
    want.push(("CII-SR-474", line));
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn header_totals_are_at_most_once() {
    // Arrange: every total twice. The XSLT has no verdict on such a
    // document (its BR-* arithmetic fails on repeated totals, XPTY0004);
    // the check was run on the totals it does judge (the information
    // amounts, gross and net line totals), the others follow the asserts'
    // text, `count(ram:X) <= 1`.
    let names = [
        "LineTotalAmount",
        "ChargeTotalAmount",
        "AllowanceTotalAmount",
        "TaxBasisTotalAmount",
        "RoundingAmount",
        "GrandTotalAmount",
        "InformationAmount",
        "TotalPrepaidAmount",
        "TotalDiscountAmount",
        "TotalAllowanceChargeAmount",
        "DuePayableAmount",
        "RetailValueExcludingTaxInformationAmount",
        "TotalDepositFeeInformationAmount",
        "ProductValueExcludingTobaccoTaxInformationAmount",
        "TotalRetailValueInformationAmount",
        "GrossLineTotalAmount",
        "NetLineTotalAmount",
        "NetIncludingTaxesLineTotalAmount",
    ];
    let totals: String = names
        .iter()
        .map(|n| format!("<ram:{n}>1</ram:{n}><ram:{n}>1</ram:{n}>"))
        .collect();
    let xml = invoice(Parts {
        totals: &totals,
        ..Parts::default()
    });

    // Act
    let got = fired_at(&xml);

    // Assert: CII-SR-477..494, and 411..420 for the totals the binding
    // does not use.
    let summation = at(
        "/ApplicableHeaderTradeSettlement[1]/SpecifiedTradeSettlementHeaderMonetarySummation[1]",
    );
    let ids: Vec<String> = (411..=420)
        .chain(477..=494)
        .map(|n| format!("CII-SR-{n}"))
        .collect();
    let want: Vec<(String, String)> = ids.into_iter().map(|id| (id, summation.clone())).collect();
    let got: Vec<(String, String)> = got
        .into_iter()
        .map(|(id, at)| (id.to_owned(), at))
        .collect();
    assert_eq!(got, want);
}

/// The table of the template of `priority`; `None` for 1008, which never
/// applies (see [`Template`]), and for templates without plain path tests.
fn table_of(priority: u32) -> Option<&'static table::Table> {
    use data_types::*;
    use header::*;
    use line::*;
    let t = match priority {
        1030 => &PAYMENT_MEANS,
        1029 => &DOC_CONTEXT,
        1028 => &DOCUMENT,
        1027 => &DOCUMENT_NOTE,
        1026 => &LINE,
        1025 => &LINE_DOCUMENT,
        1024 => &PRODUCT,
        1023 => &CHARACTERISTIC,
        1022 => &LINE_AGREEMENT,
        1021 => &ALLOWANCE_CHARGE,
        1020 => &PRICE_ALLOWANCE,
        1019 => &LINE_DELIVERY,
        1018 => &LINE_SETTLEMENT,
        1017 => &HEADER_AGREEMENT,
        1016 => &HEADER_DELIVERY,
        1015 => &HEADER_SETTLEMENT,
        1014 => &HEADER_TOTALS,
        1013 => &ROOT,
        1012 => &CONTEXT_PARAMETER,
        1011 => &ID_NO_ATTRIBUTES,
        1010 => &ID,
        1009 => &TYPE_CODE,
        1007 => &LINE_CATEGORY_CODE,
        1006 => &REFERENCED_DOCUMENT,
        1005 => &AMOUNT,
        1004 => &QUANTITY,
        1003 => &TRADE_TAX,
        1002 => &BILLING_PERIOD,
        1001 => &POSTAL_ADDRESS,
        _ => return None,
    };
    Some(t)
}

/// The asserts written by hand in mod.rs, by template priority.
const BY_HAND: &[(u32, &str)] = &[
    (1024, "CII-SR-046"),
    (1024, "CII-SR-090"),
    (1022, "CII-SR-119"),
    (1021, "CII-SR-463"),
    (1018, "CII-SR-474"),
    (1017, "CII-SR-450"),
    (1017, "CII-SR-457"),
    (1017, "CII-SR-458"),
    (1017, "CII-SR-465"),
    (1017, "CII-SR-466"),
    (1017, "CII-SR-475"),
    (1017, "CII-SR-476"),
    (1016, "CII-SR-449"),
    (1015, "CII-SR-451"),
    (1015, "CII-SR-462"),
    (1015, "CII-SR-470"),
    (1013, "CII-SR-467"),
    (1013, "CII-SR-468"),
    (1013, "CII-SR-469"),
    (1004, "CII-DT-033"),
    (1003, "CII-DT-037"),
    (1000, "CII-DT-097"),
];

/// An assert's test as a table entry: (kind, path without `ram:`), with
/// `not(P) or <test of the context>` as "Unless"; `None` for any other test.
fn as_entry(test: &str) -> Option<(&'static str, String)> {
    // Operators kept as one character, then white space dropped.
    let t = test.replace(" and ", "&").replace(" or ", "|");
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let t = match t.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) if inner.starts_with("count(") => inner.to_owned(),
        _ => t,
    };
    let plain = |p: &str| {
        !p.starts_with('/')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || ":/@".contains(c))
    };
    let path = |p: &str| p.replace("ram:", "");
    if let Some(p) = t
        .strip_prefix("count(")
        .and_then(|s| s.strip_suffix(")<=1"))
    {
        return plain(p).then(|| ("AtMostOne", path(p)));
    }
    if let Some(p) = t.strip_prefix("count(").and_then(|s| s.strip_suffix(")=1")) {
        return plain(p).then(|| ("One", path(p)));
    }
    let p = t.strip_prefix("not(")?;
    let (p, rest) = p.split_once(')')?;
    if !plain(p) {
        return None;
    }
    match rest {
        "" => Some(("Absent", path(p))),
        // The exceptions of the data type rules look at the context itself.
        r if r.starts_with('|') && (r.contains("self::") || r.contains("ancestor::")) => {
            Some(("Unless", path(p)))
        }
        _ => None,
    }
}

fn kind_name(kind: table::Kind) -> &'static str {
    match kind {
        table::Kind::Absent => "Absent",
        table::Kind::AbsentUnless(_) => "Unless",
        table::Kind::AtMostOne => "AtMostOne",
        table::Kind::One => "One",
    }
}

#[test]
fn every_assert_of_the_syntax_pattern_is_implemented_in_its_template() {
    // Arrange: (priority, id, test) of every assert of mode M11 in the
    // official XSLT.
    let path = format!(
        "{}/../../../shared/artefacts/en16931-1.3.16/EN16931-CII-validation.xslt",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let tree = Tree::parse(&bytes).expect("the stylesheet is well-formed XML");
    let mut asserts = Vec::new();
    for t in tree.root().children() {
        let (Some("M11"), Some(priority)) = (t.attr("mode"), t.attr("priority")) else {
            continue;
        };
        // The built-in templates (priority -1, -2) hold no asserts.
        let Ok(priority) = priority.parse::<u32>() else {
            continue;
        };
        for a in t
            .descendants()
            .filter(|n| n.local_name() == "failed-assert")
        {
            let id = a
                .children()
                .find(|c| c.local_name() == "attribute" && c.attr("name") == Some("id"))
                .map(|c| c.text().to_owned())
                .unwrap_or_default();
            asserts.push((priority, id, a.attr("test").unwrap_or_default().to_owned()));
        }
    }

    // Act: the entries the XSLT asks for, and ours.
    let mut want = Vec::new();
    let mut by_hand = Vec::new();
    for (priority, id, test) in &asserts {
        match as_entry(test) {
            Some((kind, path)) => want.push((*priority, id.clone(), kind, path)),
            None => by_hand.push((*priority, id.as_str())),
        }
    }
    let mut ours = Vec::new();
    for priority in 1000..=1030 {
        for a in table_of(priority).map_or(&[][..], |t| t.rules()) {
            ours.push((
                priority,
                a.rule.id.to_owned(),
                kind_name(a.kind),
                a.path.to_owned(),
            ));
        }
    }
    // Template 1008 never applies: its asserts are not ours.
    want.retain(|w| w.0 != 1008);
    want.sort();
    ours.sort();
    by_hand.sort();
    let mut hand = BY_HAND.to_vec();
    hand.sort();

    // Assert
    let missing: Vec<_> = want.iter().filter(|w| !ours.contains(w)).collect();
    let extra: Vec<_> = ours.iter().filter(|o| !want.contains(o)).collect();
    assert_eq!(asserts.len(), 583);
    assert_eq!((missing, extra), (vec![], vec![]));
    assert_eq!(ours.len(), want.len());
    assert_eq!(by_hand, hand);
}

mod as_written;
