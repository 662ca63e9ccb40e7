//! The data type rules (CII-DT-*), whose contexts are mostly matched
//! anywhere (`//…`; priorities of the CII XSLT).

use super::table::Kind::*;
use super::table::{no, r, Except, Kind, Table};

/// `//*[ends-with(name(), 'DocumentContextParameter')]` (1012).
#[rustfmt::skip]
pub(super) static CONTEXT_PARAMETER: Table = Table::new(&[
    r!(Absent, "CII-SR-04", "Value"),
    r!(Absent, "CII-SR-05", "SpecifiedDocumentVersion"),
]);

/// The guideline, document and line identifiers and the seller item
/// identifier (1011): identifiers that take no attributes at all.
#[rustfmt::skip]
pub(super) static ID_NO_ATTRIBUTES: Table = Table::new(&[
    r!(Absent, "CII-DT-001", "@schemeName"),
    r!(Absent, "CII-DT-002", "@schemeAgencyName"),
    r!(Absent, "CII-DT-003", "@schemeDataURI"),
    r!(Absent, "CII-DT-004", "@schemeURI"),
    r!(Absent, "CII-DT-005", "@schemeID"),
    r!(Absent, "CII-DT-006", "@schemeAgencyID"),
    r!(Absent, "CII-DT-007", "@schemeVersionID"),
]);

/// `//ram:*[ends-with(name(), 'ID')]` (1010), the other identifiers.
#[rustfmt::skip]
pub(super) static ID: Table = Table::new(&[
    r!(Absent, "CII-DT-101", "@schemeName"),
    r!(Absent, "CII-DT-102", "@schemeAgencyName"),
    r!(Absent, "CII-DT-103", "@schemeDataURI"),
    r!(Absent, "CII-DT-104", "@schemeURI"),
]);

/// `//ram:TypeCode` (1009).
#[rustfmt::skip]
pub(super) static TYPE_CODE: Table = Table::new(&[
    r!(Absent, "CII-DT-008", "@name"),
    r!(Absent, "CII-DT-009", "@listURI"),
]);

/// `…/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode` (1007).
#[rustfmt::skip]
pub(super) static LINE_CATEGORY_CODE: Table = Table::new(&[
    r!(Absent, "CII-DT-045", "@listID"),
    r!(Absent, "CII-DT-046", "@listAgencyID"),
    r!(Absent, "CII-DT-047", "@listVersionID"),
    r!(Absent, "CII-DT-048", "@listURI"),
]);

const ADDITIONAL_916: Kind = AbsentUnless(Except::Additional(&["916"]));

/// `//ram:*[ends-with(name(), 'ReferencedDocument')]` (1006).
#[rustfmt::skip]
pub(super) static REFERENCED_DOCUMENT: Table = Table::new(&[
    r!(ADDITIONAL_916, "CII-DT-015", "URIID"),
    no!("CII-DT-016", "", "StatusCode"),
    no!("CII-DT-017", "", "CopyIndicator"),
    r!(AbsentUnless(Except::Additional(&["50", "130", "916"])), "CII-DT-018", "TypeCode"),
    no!("CII-DT-019", "", "GlobalID"),
    no!("CII-DT-020", "", "RevisionID"),
    r!(ADDITIONAL_916, "CII-DT-021", "Name"),
    r!(ADDITIONAL_916, "CII-DT-022", "AttachmentBinaryObject"),
    no!("CII-DT-023", "", "Information"),
    r!(AbsentUnless(Except::Additional(&["130"])), "CII-DT-024", "ReferenceTypeCode"),
    no!("CII-DT-025", "", "SectionName"),
    no!("CII-DT-026", "", "PreviousRevisionID"),
    r!(AbsentUnless(Except::SelfIs("InvoiceReferencedDocument")), "CII-DT-027", "FormattedIssueDateTime"),
    no!("CII-DT-028", "", "EffectiveSpecifiedPeriod"),
    no!("CII-DT-029", "", "IssuerTradeParty"),
    no!("CII-DT-030", "", "AttachedSpecifiedBinaryFile"),
]);

/// `//ram:*[ends-with(name(), 'Amount') and not (self::ram:TaxTotalAmount)]` (1005).
#[rustfmt::skip]
pub(super) static AMOUNT: Table = Table::new(&[
    r!(Absent, "CII-DT-031", "@currencyID"),
    r!(Absent, "CII-DT-032", "@currencyCodeListVersionID"),
]);

/// `//ram:*[ends-with(name(), 'Quantity')]` (1004), but CII-DT-033.
#[rustfmt::skip]
pub(super) static QUANTITY: Table = Table::new(&[
    r!(Absent, "CII-DT-034", "@unitCodeListID"),
    r!(Absent, "CII-DT-035", "@unitCodeListAgencyID"),
    r!(Absent, "CII-DT-036", "@unitCodeListAgencyName"),
]);

const IN_HEADER: Kind = AbsentUnless(Except::InHeaderSettlement);
const SELF_TAX: Kind = AbsentUnless(Except::SelfIs("ApplicableTradeTax"));

/// `//ram:*[ends-with(name(), 'TradeTax')]` (1003), but CII-DT-037.
#[rustfmt::skip]
pub(super) static TRADE_TAX: Table = Table::new(&[
    no!("CII-DT-038", "", "CalculatedRate"),
    no!("CII-DT-039", "", "CalculationSequenceNumeric"),
    no!("CII-DT-040", "", "BasisQuantity"),
    r!(IN_HEADER, "CII-DT-041", "BasisAmount"),
    no!("CII-DT-042", "", "UnitBasisAmount"),
    no!("CII-DT-043", "", "LineTotalBasisAmount"),
    no!("CII-DT-044", "", "AllowanceChargeBasisAmount"),
    no!("CII-DT-049", "", "CurrencyCode"),
    no!("CII-DT-050", "", "Jurisdiction"),
    no!("CII-DT-051", "", "CustomsDutyIndicator"),
    r!(SELF_TAX, "CII-DT-052", "ExemptionReasonCode"),
    r!(SELF_TAX, "CII-DT-098", "ExemptionReason"),
    no!("CII-DT-053", "", "TaxBasisAllowanceRate"),
    r!(IN_HEADER, "CII-DT-054", "TaxPointDate"),
    no!("CII-DT-055", "", "Type"),
    no!("CII-DT-056", "", "InformationAmount"),
    no!("CII-DT-057", "", "CategoryName"),
    r!(IN_HEADER, "CII-DT-058", "DueDateTypeCode"),
    r!(Absent, "CII-DT-059", "RateApplicablePercent/@format"),
    no!("CII-DT-060", "", "SpecifiedTradeAccountingAccount"),
    no!("CII-DT-061", "", "ServiceSupplyTradeCountry"),
    no!("CII-DT-062", "", "BuyerRepayableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-063", "", "SellerPayableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-064", "", "SellerRefundableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-065", "", "BuyerDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-066", "", "BuyerNonDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-067", "", "PlaceApplicableTradeLocation"),
]);

/// `//ram:BillingSpecifiedPeriod` (1002).
#[rustfmt::skip]
pub(super) static BILLING_PERIOD: Table = Table::new(&[
    no!("CII-DT-068", "StartDateTime/udt:", "DateTime"),
    no!("CII-DT-069", "", "DurationMeasure"),
    no!("CII-DT-070", "", "InclusiveIndicator"),
    no!("CII-DT-071", "", "Description"),
    no!("CII-DT-072", "EndDateTime/udt:", "DateTime"),
    no!("CII-DT-073", "", "CompleteDateTime"),
    no!("CII-DT-074", "", "OpenIndicator"),
    no!("CII-DT-075", "", "SeasonCode"),
    no!("CII-DT-076", "", "ID"),
    no!("CII-DT-077", "", "Name"),
    no!("CII-DT-078", "", "SequenceNumeric"),
    no!("CII-DT-079", "", "StartDateFlexibilityCode"),
    no!("CII-DT-080", "", "ContinuousIndicator"),
    no!("CII-DT-081", "", "PurposeCode"),
]);

/// `//ram:PostalTradeAddress` (1001).
#[rustfmt::skip]
pub(super) static POSTAL_ADDRESS: Table = Table::new(&[
    no!("CII-DT-082", "", "ID"),
    no!("CII-DT-083", "", "PostOfficeBox"),
    no!("CII-DT-084", "", "BuildingName"),
    no!("CII-DT-086", "", "LineFour"),
    no!("CII-DT-087", "", "LineFive"),
    no!("CII-DT-088", "", "StreetName"),
    no!("CII-DT-089", "", "CitySubDivisionName"),
    no!("CII-DT-090", "", "CountryName"),
    no!("CII-DT-091", "", "CountrySubDivisionID"),
    no!("CII-DT-092", "", "AttentionOf"),
    no!("CII-DT-093", "", "CareOf"),
    no!("CII-DT-094", "", "BuildingNumber"),
    no!("CII-DT-095", "", "DepartmentName"),
    no!("CII-DT-096", "", "AdditionalStreetName"),
]);
