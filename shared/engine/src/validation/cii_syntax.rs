//! CII syntax binding rules of the EN 16931 artefacts: CII-SR-* (elements of
//! CII D16B that the binding does not use, mostly warnings, plus a few
//! cardinality restrictions) and CII-DT-* (data type restrictions, many of
//! them fatal).
//!
//! Rules are grouped by their schematron context. Each context has a table
//! of rules whose test is a plain relative path (absent, at most once,
//! exactly once); the tables are indexed by the first path step, so a
//! context node is scanned once, child by child, whatever the number of
//! rules. Tests that do not fit are written by hand below.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::hash::FastHash;
use crate::input::xml::{Node, Ns};
use crate::validation::rule::{rule, Out, Rule};

const RAM: Ns = Ns::CII_RAM;
const RSM: Ns = Ns::CII_RSM;
const UDT: Ns = Ns::CII_UDT;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `not(path)`.
    Absent,
    /// `not(path) or <exception>`.
    AbsentUnless(Except),
    /// `count(path) <= 1`.
    AtMostOne,
    /// `count(path) = 1`.
    One,
}

/// Context-dependent exceptions of some CII-DT rules.
#[derive(Clone, Copy, PartialEq)]
enum Except {
    /// The context is a `ram:AdditionalReferencedDocument` with one of
    /// these type codes.
    Additional(&'static [&'static str]),
    /// The context element has this local name.
    SelfIs(&'static str),
    /// The context lies inside `ram:ApplicableHeaderTradeSettlement`.
    InHeaderSettlement,
}

/// One assert. `path` is relative to the context: steps separated by `/`,
/// `ram:` by default, `udt:` when prefixed, a final `@name` for an attribute.
struct Assert {
    rule: &'static Rule,
    kind: Kind,
    path: &'static str,
}

/// `not(pre+last)`.
macro_rules! no {
    ($id:literal, $pre:literal, $last:literal) => {
        Assert {
            rule: rule!($id),
            kind: Kind::Absent,
            path: concat!($pre, $last),
        }
    };
}

/// `not(pre+last)` of the data type rules ("… shall not be used.").
macro_rules! unused {
    ($id:literal, $pre:literal, $last:literal) => {
        no!($id, $pre, $last)
    };
}

/// Any kind.
macro_rules! r {
    ($kind:expr, $id:literal, $path:literal) => {
        Assert {
            rule: rule!($id),
            kind: $kind,
            path: $path,
        }
    };
}

use Kind::{AtMostOne, One};

#[rustfmt::skip]
static DOC_CONTEXT: Table = Table::new(&[
    no!("CII-SR-001", "", "SpecifiedTransactionID"),
    no!("CII-SR-002", "", "TestIndicator"),
    r!(AtMostOne, "CII-SR-003", "BusinessProcessSpecifiedDocumentContextParameter"),
    no!("CII-SR-006", "", "BIMSpecifiedDocumentContextParameter"),
    no!("CII-SR-007", "", "ScenarioSpecifiedDocumentContextParameter"),
    no!("CII-SR-008", "", "ApplicationSpecifiedDocumentContextParameter"),
    r!(One, "CII-SR-009", "GuidelineSpecifiedDocumentContextParameter"),
    r!(One, "CII-SR-010", "GuidelineSpecifiedDocumentContextParameter/ID"),
    no!("CII-SR-011", "", "SubsetSpecifiedDocumentContextParameter"),
    no!("CII-SR-012", "", "MessageStandardSpecifiedDocumentContextParameter"),
]);

#[rustfmt::skip]
static DOCUMENT: Table = Table::new(&[
    no!("CII-SR-013", "", "Name"),
    r!(One, "CII-SR-014", "TypeCode"),
    no!("CII-SR-015", "IssueDateTime/udt:", "DateTime"),
    no!("CII-SR-016", "", "CopyIndicator"),
    no!("CII-SR-017", "", "Purpose"),
    no!("CII-SR-018", "", "ControlRequirementIndicator"),
    no!("CII-SR-019", "", "LanguageID"),
    no!("CII-SR-020", "", "PurposeCode"),
    no!("CII-SR-021", "", "RevisionDateTime"),
    no!("CII-SR-022", "", "VersionID"),
    no!("CII-SR-023", "", "GlobalID"),
    no!("CII-SR-024", "", "RevisionID"),
    no!("CII-SR-025", "", "PreviousRevisionID"),
    no!("CII-SR-026", "", "CategoryCode"),
    no!("CII-SR-027", "IncludedNote/", "Subject"),
    no!("CII-SR-028", "IncludedNote/", "ContentCode"),
    no!("CII-SR-032", "IncludedNote/", "ID"),
    no!("CII-SR-033", "", "EffectiveSpecifiedPeriod"),
    no!("CII-SR-034", "", "IssuerTradeParty"),
]);

#[rustfmt::skip]
static DOCUMENT_NOTE: Table = Table::new(&[r!(AtMostOne, "CII-SR-030", "Content")]);

#[rustfmt::skip]
static LINE: Table = Table::new(&[
    no!("CII-SR-035", "", "DescriptionCode"),
    no!("CII-SR-036", "", "ParentLineID"),
    no!("CII-SR-037", "", "LineStatusCode"),
    no!("CII-SR-038", "", "LineStatusReasonCode"),
    no!("CII-SR-221", "", "IncludedSubordinateTradeLineItem"),
]);

#[rustfmt::skip]
static LINE_DOCUMENT: Table = Table::new(&[
    r!(AtMostOne, "CII-SR-039", "IncludedNote"),
    r!(AtMostOne, "CII-SR-040", "IncludedNote/Content"),
    no!("CII-SR-041", "IncludedNote/", "SubjectCode"),
    no!("CII-SR-042", "IncludedNote/", "ID"),
    r!(Kind::Absent, "CII-SR-043", "IncludedNote/Subject"),
    r!(Kind::Absent, "CII-SR-044", "IncludedNote/ContentCode"),
]);

#[rustfmt::skip]
static PRODUCT: Table = Table::new(&[
    no!("CII-SR-045", "", "ID"),
    no!("CII-SR-048", "", "ManufacturerAssignedID"),
    no!("CII-SR-049", "", "TradeName"),
    no!("CII-SR-050", "", "TypeCode"),
    no!("CII-SR-051", "", "NetWeightMeasure"),
    no!("CII-SR-052", "", "GrossWeightMeasure"),
    no!("CII-SR-053", "", "ProductGroupID"),
    no!("CII-SR-054", "", "EndItemTypeCode"),
    no!("CII-SR-055", "", "EndItemName"),
    no!("CII-SR-056", "", "AreaDensityMeasure"),
    no!("CII-SR-057", "", "UseDescription"),
    no!("CII-SR-058", "", "BrandName"),
    no!("CII-SR-059", "", "SubBrandName"),
    no!("CII-SR-060", "", "DrainedNetWeightMeasure"),
    no!("CII-SR-061", "", "VariableMeasureIndicator"),
    no!("CII-SR-062", "", "ColourCode"),
    no!("CII-SR-063", "", "ColourDescription"),
    no!("CII-SR-064", "", "Designation"),
    no!("CII-SR-065", "", "FormattedCancellationAnnouncedLaunchDateTime"),
    no!("CII-SR-066", "", "FormattedLatestProductDataChangeDateTime"),
    no!("CII-SR-067", "ApplicableProductCharacteristic/", "ID"),
    no!("CII-SR-068", "ApplicableProductCharacteristic/", "TypeCode"),
    no!("CII-SR-070", "ApplicableProductCharacteristic/", "ValueMeasure"),
    no!("CII-SR-071", "ApplicableProductCharacteristic/", "MeasurementMethodCode"),
    no!("CII-SR-073", "ApplicableProductCharacteristic/", "ValueCode"),
    no!("CII-SR-074", "ApplicableProductCharacteristic/", "ValueDateTime"),
    no!("CII-SR-075", "ApplicableProductCharacteristic/", "ValueIndicator"),
    no!("CII-SR-076", "ApplicableProductCharacteristic/", "ContentTypeCode"),
    no!("CII-SR-077", "ApplicableProductCharacteristic/", "ValueSpecifiedBinaryFile"),
    no!("CII-SR-078", "ApplicableProductCharacteristic/", "ApplicableProductCharacteristicCondition"),
    no!("CII-SR-079", "ApplicableProductCharacteristic/", "ApplicableReferencedStandard"),
    no!("CII-SR-080", "", "ApplicableMaterialGoodsCharacteristic"),
    no!("CII-SR-081", "DesignatedProductClassification/", "SystemID"),
    no!("CII-SR-082", "DesignatedProductClassification/", "SystemName"),
    no!("CII-SR-083", "DesignatedProductClassification/", "ClassName"),
    no!("CII-SR-084", "DesignatedProductClassification/", "SubClassCode"),
    no!("CII-SR-085", "DesignatedProductClassification/", "ClassProductCharacteristic"),
    no!("CII-SR-086", "DesignatedProductClassification/", "ApplicableReferencedStandard"),
    no!("CII-SR-087", "", "IndividualTradeProductInstance"),
    no!("CII-SR-088", "", "CertificationEvidenceReferenceReferencedDocument"),
    no!("CII-SR-089", "", "InspectionReferenceReferencedDocument"),
    no!("CII-SR-091", "OriginTradeCountry/", "Name"),
    no!("CII-SR-092", "OriginTradeCountry/", "SubordinateTradeCountrySubDivision"),
    no!("CII-SR-093", "", "LinearSpatialDimension"),
    no!("CII-SR-094", "", "MinimumLinearSpatialDimension"),
    no!("CII-SR-095", "", "MaximumLinearSpatialDimension"),
    no!("CII-SR-096", "", "ManufacturerTradeParty"),
    no!("CII-SR-097", "", "PresentationSpecifiedBinaryFile"),
    no!("CII-SR-098", "", "MSDSReferenceReferencedDocument"),
    no!("CII-SR-099", "", "AdditionalReferenceReferencedDocument"),
    no!("CII-SR-100", "", "LegalRightsOwnerTradeParty"),
    r!(Kind::Absent, "CII-SR-101", "BrandOwnerTradeParty"),
    r!(Kind::Absent, "CII-SR-102", "IncludedReferencedProduct"),
    r!(Kind::Absent, "CII-SR-103", "InformationNote"),
]);

#[rustfmt::skip]
static CHARACTERISTIC: Table = Table::new(&[
    r!(One, "CII-SR-069", "Description"),
    r!(One, "CII-SR-072", "Value"),
]);

#[rustfmt::skip]
static LINE_AGREEMENT: Table = Table::new(&[
    no!("CII-SR-104", "", "BuyerReference"),
    no!("CII-SR-105", "", "BuyerRequisitionerTradeParty"),
    no!("CII-SR-106", "", "ApplicableTradeDeliveryTerms"),
    no!("CII-SR-107", "", "SellerOrderReferencedDocument"),
    no!("CII-SR-108", "BuyerOrderReferencedDocument/", "IssuerAssignedID"),
    no!("CII-SR-109", "", "QuotationReferencedDocument"),
    no!("CII-SR-110", "", "ContractReferencedDocument"),
    no!("CII-SR-111", "", "DemandForecastReferencedDocument"),
    no!("CII-SR-112", "", "PromotionalDealReferencedDocument"),
    no!("CII-SR-113", "", "AdditionalReferencedDocument"),
    no!("CII-SR-114", "GrossPriceProductTradePrice/", "TypeCode"),
    no!("CII-SR-115", "GrossPriceProductTradePrice/", "MinimumQuantity"),
    no!("CII-SR-116", "GrossPriceProductTradePrice/", "MaximumQuantity"),
    no!("CII-SR-117", "GrossPriceProductTradePrice/", "ChangeReason"),
    no!("CII-SR-118", "GrossPriceProductTradePrice/", "OrderUnitConversionFactorNumeric"),
    r!(One, "CII-SR-439", "NetPriceProductTradePrice/ChargeAmount"),
    no!("CII-SR-120", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ID"),
    no!("CII-SR-121", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "SequenceNumeric"),
    no!("CII-SR-122", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "CalculationPercent"),
    no!("CII-SR-123", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "BasisAmount"),
    no!("CII-SR-124", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "BasisQuantity"),
    no!("CII-SR-125", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!("CII-SR-126", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!("CII-SR-127", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ReasonCode"),
    no!("CII-SR-128", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "Reason"),
    no!("CII-SR-129", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "TypeCode"),
    no!("CII-SR-130", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "CategoryTradeTax"),
    no!("CII-SR-131", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!("CII-SR-445", "GrossPriceProductTradePrice/", "IncludedTradeTax"),
    no!("CII-SR-132", "GrossPriceProductTradePrice/", "ValiditySpecifiedPeriod"),
    no!("CII-SR-133", "GrossPriceProductTradePrice/", "DeliveryTradeLocation"),
    no!("CII-SR-134", "GrossPriceProductTradePrice/", "TradeComparisonReferencePrice"),
    no!("CII-SR-135", "GrossPriceProductTradePrice/", "AssociatedReferencedDocument"),
    no!("CII-SR-136", "NetPriceProductTradePrice/", "TypeCode"),
    no!("CII-SR-138", "NetPriceProductTradePrice/", "MinimumQuantity"),
    no!("CII-SR-139", "NetPriceProductTradePrice/", "MaximumQuantity"),
    no!("CII-SR-140", "NetPriceProductTradePrice/", "ChangeReason"),
    no!("CII-SR-141", "NetPriceProductTradePrice/", "OrderUnitConversionFactorNumeric"),
    no!("CII-SR-142", "NetPriceProductTradePrice/", "AppliedTradeAllowanceCharge"),
    no!("CII-SR-446", "NetPriceProductTradePrice/", "IncludedTradeTax"),
    no!("CII-SR-143", "NetPriceProductTradePrice/", "ValiditySpecifiedPeriod"),
    no!("CII-SR-144", "NetPriceProductTradePrice/", "DeliveryTradeLocation"),
    no!("CII-SR-145", "NetPriceProductTradePrice/", "TradeComparisonReferencePrice"),
    no!("CII-SR-146", "NetPriceProductTradePrice/", "AssociatedReferencedDocument"),
    r!(AtMostOne, "CII-SR-441", "NetPriceProductTradePrice/ChargeAmount"),
    no!("CII-SR-147", "", "RequisitionerReferencedDocument"),
    no!("CII-SR-148", "", "ItemSellerTradeParty"),
    no!("CII-SR-149", "", "ItemBuyerTradeParty"),
    no!("CII-SR-150", "", "IncludedSpecifiedMarketplace"),
    no!("CII-SR-447", "", "UltimateCustomerOrderReferencedDocument"),
]);

#[rustfmt::skip]
static PRICE_ALLOWANCE: Table = Table::new(&[r!(AtMostOne, "CII-SR-440", "ActualAmount")]);

#[rustfmt::skip]
static LINE_DELIVERY: Table = Table::new(&[
    no!("CII-SR-151", "", "RequestedQuantity"),
    no!("CII-SR-152", "", "ReceivedQuantity"),
    no!("CII-SR-153", "", "ChargeFreeQuantity"),
    no!("CII-SR-154", "", "PackageQuantity"),
    no!("CII-SR-155", "", "ProductUnitQuantity"),
    no!("CII-SR-156", "", "PerPackageUnitQuantity"),
    no!("CII-SR-157", "", "NetWeightMeasure"),
    no!("CII-SR-158", "", "GrossWeightMeasure"),
    no!("CII-SR-159", "", "TheoreticalWeightMeasure"),
    no!("CII-SR-160", "", "DespatchedQuantity"),
    no!("CII-SR-161", "", "SpecifiedDeliveryAdjustment"),
    no!("CII-SR-162", "", "IncludedSupplyChainPackaging"),
    no!("CII-SR-163", "", "RelatedSupplyChainConsignment"),
    no!("CII-SR-164", "", "ShipToTradeParty"),
    no!("CII-SR-165", "", "UltimateShipToTradeParty"),
    no!("CII-SR-166", "", "ShipFromTradeParty"),
    no!("CII-SR-167", "", "ActualDespatchSupplyChainEvent"),
    no!("CII-SR-168", "", "ActualPickUpSupplyChainEvent"),
    no!("CII-SR-169", "", "RequestedDeliverySupplyChainEvent"),
    no!("CII-SR-170", "", "ActualDeliverySupplyChainEvent"),
    no!("CII-SR-171", "", "ActualReceiptSupplyChainEvent"),
    no!("CII-SR-172", "", "AdditionalReferencedDocument"),
    no!("CII-SR-173", "", "DespatchAdviceReferencedDocument"),
    no!("CII-SR-174", "", "ReceivingAdviceReferencedDocument"),
    no!("CII-SR-175", "", "DeliveryNoteReferencedDocument"),
    no!("CII-SR-176", "", "ConsumptionReportReferencedDocument"),
    r!(Kind::Absent, "CII-SR-177", "PackingListReferencedDocument"),
]);

#[rustfmt::skip]
static LINE_SETTLEMENT: Table = Table::new(&[
    no!("CII-SR-178", "", "PaymentReference"),
    no!("CII-SR-179", "", "InvoiceIssuerReference"),
    no!("CII-SR-180", "", "TotalAdjustmentAmount"),
    no!("CII-SR-181", "", "DiscountIndicator"),
    no!("CII-SR-182", "ApplicableTradeTax/", "CalculatedAmount"),
    no!("CII-SR-183", "SpecifiedTradeAllowanceCharge/ChargeIndicator/udt:", "IndicatorString"),
    no!("CII-SR-184", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!("CII-SR-185", "SpecifiedTradeAllowanceCharge/", "SequenceNumeric"),
    no!("CII-SR-186", "SpecifiedTradeAllowanceCharge/CalculationPercent/", "@format"),
    no!("CII-SR-187", "SpecifiedTradeAllowanceCharge/", "BasisQuantity"),
    no!("CII-SR-188", "SpecifiedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!("CII-SR-189", "SpecifiedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!("CII-SR-190", "SpecifiedTradeAllowanceCharge/", "TypeCode"),
    no!("CII-SR-191", "SpecifiedTradeAllowanceCharge/", "CategoryTradeTax"),
    no!("CII-SR-192", "SpecifiedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!("CII-SR-193", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!("CII-SR-194", "", "SubtotalCalculatedTradeTax"),
    no!("CII-SR-195", "", "SpecifiedLogisticsServiceCharge"),
    no!("CII-SR-196", "", "SpecifiedTradePaymentTerms"),
    no!("CII-SR-197", "SpecifiedTradeSettlementLineMonetarySummation/", "ChargeTotalAmount"),
    no!("CII-SR-198", "SpecifiedTradeSettlementLineMonetarySummation/", "AllowanceTotalAmount"),
    no!("CII-SR-199", "SpecifiedTradeSettlementLineMonetarySummation/", "TaxBasisTotalAmount"),
    no!("CII-SR-200", "SpecifiedTradeSettlementLineMonetarySummation/", "TaxTotalAmount"),
    no!("CII-SR-201", "SpecifiedTradeSettlementLineMonetarySummation/", "GrandTotalAmount"),
    no!("CII-SR-202", "SpecifiedTradeSettlementLineMonetarySummation/", "InformationAmount"),
    no!("CII-SR-203", "SpecifiedTradeSettlementLineMonetarySummation/", "TotalAllowanceChargeAmount"),
    no!("CII-SR-204", "SpecifiedTradeSettlementLineMonetarySummation/", "TotalRetailValueInformationAmount"),
    no!("CII-SR-205", "SpecifiedTradeSettlementLineMonetarySummation/", "GrossLineTotalAmount"),
    no!("CII-SR-206", "SpecifiedTradeSettlementLineMonetarySummation/", "NetLineTotalAmount"),
    no!("CII-SR-207", "SpecifiedTradeSettlementLineMonetarySummation/", "NetIncludingTaxesLineTotalAmount"),
    no!("CII-SR-208", "SpecifiedTradeSettlementLineMonetarySummation/", "ProductWeightLossInformationAmount"),
    no!("CII-SR-209", "", "SpecifiedFinancialAdjustment"),
    no!("CII-SR-210", "", "InvoiceReferencedDocument"),
    no!("CII-SR-212", "", "PayableSpecifiedTradeAccountingAccount"),
    no!("CII-SR-213", "ReceivableSpecifiedTradeAccountingAccount/", "SetTriggerCode"),
    no!("CII-SR-214", "ReceivableSpecifiedTradeAccountingAccount/", "TypeCode"),
    no!("CII-SR-215", "ReceivableSpecifiedTradeAccountingAccount/", "AmountTypeCode"),
    no!("CII-SR-216", "ReceivableSpecifiedTradeAccountingAccount/", "Name"),
    no!("CII-SR-217", "ReceivableSpecifiedTradeAccountingAccount/", "CostReferenceDimensionPattern"),
    no!("CII-SR-218", "", "PurchaseSpecifiedTradeAccountingAccount"),
    no!("CII-SR-219", "", "SalesSpecifiedTradeAccountingAccount"),
    no!("CII-SR-220", "", "SpecifiedTradeSettlementFinancialCard"),
    r!(One, "CII-SR-454", "ApplicableTradeTax"),
]);

#[rustfmt::skip]
static HEADER_AGREEMENT: Table = Table::new(&[
    no!("CII-SR-442", "", "Reference"),
    no!("CII-SR-222", "SellerTradeParty/", "RoleCode"),
    no!("CII-SR-223", "SellerTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!("CII-SR-224", "SellerTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!("CII-SR-225", "SellerTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    r!(Kind::Absent, "CII-SR-226", "SellerTradeParty/SpecifiedLegalOrganization/AuthorizedLegalRegistration"),
    no!("CII-SR-227", "SellerTradeParty/DefinedTradeContact/", "ID"),
    no!("CII-SR-228", "SellerTradeParty/DefinedTradeContact/", "TypeCode"),
    no!("CII-SR-229", "SellerTradeParty/DefinedTradeContact/", "JobTitle"),
    no!("CII-SR-230", "SellerTradeParty/DefinedTradeContact/", "Responsibility"),
    no!("CII-SR-231", "SellerTradeParty/DefinedTradeContact/", "PersonID"),
    no!("CII-SR-232", "SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "URIID"),
    no!("CII-SR-233", "SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-234", "SellerTradeParty/DefinedTradeContact/", "DirectTelephoneUniversalCommunication"),
    no!("CII-SR-235", "SellerTradeParty/DefinedTradeContact/", "MobileTelephoneUniversalCommunication"),
    no!("CII-SR-236", "SellerTradeParty/DefinedTradeContact/", "FaxUniversalCommunication"),
    no!("CII-SR-237", "SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-238", "SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "CompleteNumber"),
    no!("CII-SR-239", "SellerTradeParty/DefinedTradeContact/", "TelexUniversalCommunication"),
    no!("CII-SR-240", "SellerTradeParty/DefinedTradeContact/", "VOIPUniversalCommunication"),
    no!("CII-SR-241", "SellerTradeParty/DefinedTradeContact/", "InstantMessagingUniversalCommunication"),
    no!("CII-SR-242", "SellerTradeParty/DefinedTradeContact/", "SpecifiedNote"),
    no!("CII-SR-243", "SellerTradeParty/DefinedTradeContact/", "SpecifiedContactPerson"),
    no!("CII-SR-244", "SellerTradeParty/URIUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-245", "SellerTradeParty/URIUniversalCommunication/", "CompleteNumber"),
    no!("CII-SR-246", "SellerTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!("CII-SR-247", "SellerTradeParty/", "EndPointURIUniversalCommunication"),
    no!("CII-SR-248", "SellerTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!("CII-SR-249", "BuyerTradeParty/", "RoleCode"),
    no!("CII-SR-250", "BuyerTradeParty/", "Description"),
    no!("CII-SR-251", "BuyerTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!("CII-SR-252", "BuyerTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!("CII-SR-254", "BuyerTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    no!("CII-SR-255", "BuyerTradeParty/SpecifiedLegalOrganization/", "AuthorizedLegalRegistration"),
    no!("CII-SR-256", "BuyerTradeParty/DefinedTradeContact/", "ID"),
    no!("CII-SR-257", "BuyerTradeParty/DefinedTradeContact/", "TypeCode"),
    no!("CII-SR-258", "BuyerTradeParty/DefinedTradeContact/", "JobTitle"),
    no!("CII-SR-259", "BuyerTradeParty/DefinedTradeContact/", "Responsibility"),
    no!("CII-SR-260", "BuyerTradeParty/DefinedTradeContact/", "PersonID"),
    no!("CII-SR-261", "BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "URIID"),
    no!("CII-SR-262", "BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-263", "BuyerTradeParty/DefinedTradeContact/", "DirectTelephoneUniversalCommunication"),
    no!("CII-SR-264", "BuyerTradeParty/DefinedTradeContact/", "MobileTelephoneUniversalCommunication"),
    no!("CII-SR-265", "BuyerTradeParty/DefinedTradeContact/", "FaxUniversalCommunication"),
    no!("CII-SR-266", "BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-267", "BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "CompleteNumber"),
    no!("CII-SR-268", "BuyerTradeParty/DefinedTradeContact/", "TelexUniversalCommunication"),
    no!("CII-SR-269", "BuyerTradeParty/DefinedTradeContact/", "VOIPUniversalCommunication"),
    no!("CII-SR-270", "BuyerTradeParty/DefinedTradeContact/", "InstantMessagingUniversalCommunication"),
    no!("CII-SR-271", "BuyerTradeParty/DefinedTradeContact/", "SpecifiedNote"),
    no!("CII-SR-272", "BuyerTradeParty/DefinedTradeContact/", "SpecifiedContactPerson"),
    no!("CII-SR-273", "BuyerTradeParty/URIUniversalCommunication/", "ChannelCode"),
    no!("CII-SR-274", "BuyerTradeParty/URIUniversalCommunication/", "CompleteNumber"),
    no!("CII-SR-275", "BuyerTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!("CII-SR-276", "BuyerTradeParty/", "EndPointURIUniversalCommunication"),
    no!("CII-SR-277", "BuyerTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!("CII-SR-278", "", "SalesAgentTradeParty"),
    no!("CII-SR-279", "", "BuyerRequisitionerTradeParty"),
    no!("CII-SR-280", "", "BuyerAssignedAccountantTradeParty"),
    no!("CII-SR-281", "", "SellerAssignedAccountantTradeParty"),
    r!(Kind::Absent, "CII-SR-282", "SellerTaxRepresentativeTradeParty/ID"),
    no!("CII-SR-283", "SellerTaxRepresentativeTradeParty/", "GlobalID"),
    no!("CII-SR-284", "SellerTaxRepresentativeTradeParty/", "RoleCode"),
    no!("CII-SR-285", "SellerTaxRepresentativeTradeParty/", "Description"),
    no!("CII-SR-286", "SellerTaxRepresentativeTradeParty/", "SpecifiedLegalOrganization"),
    no!("CII-SR-287", "SellerTaxRepresentativeTradeParty/", "DefinedTradeContact"),
    no!("CII-SR-288", "SellerTaxRepresentativeTradeParty/", "URIUniversalCommunication"),
    no!("CII-SR-289", "SellerTaxRepresentativeTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!("CII-SR-290", "SellerTaxRepresentativeTradeParty/", "EndPointURIUniversalCommunication"),
    no!("CII-SR-291", "SellerTaxRepresentativeTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!("CII-SR-292", "", "ProductEndUserTradeParty"),
    no!("CII-SR-293", "", "ApplicableTradeDeliveryTerms"),
    no!("CII-SR-294", "SellerOrderReferencedDocument/", "LineID"),
    no!("CII-SR-295", "BuyerOrderReferencedDocument/", "LineID"),
    no!("CII-SR-296", "", "QuotationReferencedDocument"),
    no!("CII-SR-297", "", "OrderResponseReferencedDocument"),
    no!("CII-SR-298", "ContractReferencedDocument/", "LineID"),
    no!("CII-SR-299", "", "DemandForecastReferencedDocument"),
    no!("CII-SR-300", "", "SupplyInstructionReferencedDocument"),
    no!("CII-SR-301", "", "PromotionalDealReferencedDocument"),
    no!("CII-SR-302", "", "PriceListReferencedDocument"),
    no!("CII-SR-303", "AdditionalReferencedDocument/", "LineID"),
    no!("CII-SR-304", "", "RequisitionerReferencedDocument"),
    no!("CII-SR-305", "", "BuyerAgentTradeParty"),
    no!("CII-SR-306", "", "PurchaseConditionsReferencedDocument"),
    no!("CII-SR-307", "SpecifiedProcuringProject/", "Description"),
    no!("CII-SR-448", "", "UltimateCustomerOrderReferencedDocument"),
    r!(AtMostOne, "CII-SR-455", "SellerTradeParty/DefinedTradeContact"),
    r!(AtMostOne, "CII-SR-456", "BuyerTradeParty/DefinedTradeContact"),
    r!(AtMostOne, "CII-SR-459", "SellerTradeParty/URIUniversalCommunication"),
    r!(AtMostOne, "CII-SR-460", "BuyerTradeParty/URIUniversalCommunication"),
]);

#[rustfmt::skip]
static HEADER_DELIVERY: Table = Table::new(&[
    no!("CII-SR-308", "", "RelatedSupplyChainConsignment"),
    no!("CII-SR-309", "ShipToTradeParty/", "RoleCode"),
    no!("CII-SR-310", "ShipToTradeParty/", "Description"),
    no!("CII-SR-311", "ShipToTradeParty/", "SpecifiedLegalOrganization"),
    no!("CII-SR-312", "ShipToTradeParty/", "DefinedTradeContact"),
    no!("CII-SR-313", "ShipToTradeParty/", "URIUniversalCommunication"),
    no!("CII-SR-314", "ShipToTradeParty/", "SpecifiedTaxRegistration"),
    no!("CII-SR-315", "ShipToTradeParty/", "EndPointURIUniversalCommunication"),
    no!("CII-SR-316", "ShipToTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!("CII-SR-317", "", "UltimateShipToTradeParty"),
    no!("CII-SR-318", "", "ShipFromTradeParty"),
    no!("CII-SR-319", "", "ActualDespatchSupplyChainEvent"),
    no!("CII-SR-320", "", "ActualPickUpSupplyChainEvent"),
    no!("CII-SR-321", "ActualDeliverySupplyChainEvent/", "ID"),
    no!("CII-SR-322", "ActualDeliverySupplyChainEvent/OccurrenceDateTime/udt:", "DateTime"),
    no!("CII-SR-323", "ActualDeliverySupplyChainEvent/", "TypeCode"),
    no!("CII-SR-324", "ActualDeliverySupplyChainEvent/", "Description"),
    no!("CII-SR-325", "ActualDeliverySupplyChainEvent/", "DescriptionBinaryObject"),
    no!("CII-SR-326", "ActualDeliverySupplyChainEvent/", "UnitQuantity"),
    no!("CII-SR-327", "ActualDeliverySupplyChainEvent/", "LatestOccurrenceDateTime"),
    no!("CII-SR-328", "ActualDeliverySupplyChainEvent/", "EarliestOccurrenceDateTime"),
    no!("CII-SR-329", "ActualDeliverySupplyChainEvent/", "OccurrenceSpecifiedPeriod"),
    no!("CII-SR-330", "ActualDeliverySupplyChainEvent/", "OccurrenceLogisticsLocation"),
    no!("CII-SR-331", "", "ActualReceiptSupplyChainEvent"),
    no!("CII-SR-332", "", "AdditionalReferencedDocument"),
    no!("CII-SR-333", "DespatchAdviceReferencedDocument/", "LineID"),
    no!("CII-SR-334", "DespatchAdviceReferencedDocument/", "LineID"),
    no!("CII-SR-335", "", "DeliveryNoteReferencedDocument"),
    no!("CII-SR-336", "", "ConsumptionReportReferencedDocument"),
    no!("CII-SR-337", "", "PreviousDeliverySupplyChainEvent"),
    no!("CII-SR-338", "", "PackingListReferencedDocument"),
]);

#[rustfmt::skip]
static HEADER_SETTLEMENT: Table = Table::new(&[
    no!("CII-SR-339", "", "DuePayableAmount"),
    no!("CII-SR-340", "", "CreditorReferenceTypeCode"),
    no!("CII-SR-341", "", "CreditorReferenceType"),
    no!("CII-SR-342", "", "CreditorReferenceIssuerID"),
    no!("CII-SR-344", "", "PaymentCurrencyCode"),
    no!("CII-SR-345", "", "InvoiceIssuerReference"),
    no!("CII-SR-346", "", "InvoiceDateTime"),
    no!("CII-SR-347", "", "NextInvoiceDateTime"),
    no!("CII-SR-348", "", "CreditReasonCode"),
    no!("CII-SR-349", "", "CreditReason"),
    no!("CII-SR-350", "", "InvoicerTradeParty"),
    no!("CII-SR-351", "", "InvoiceeTradeParty"),
    no!("CII-SR-352", "PayeeTradeParty/", "RoleCode"),
    no!("CII-SR-353", "PayeeTradeParty/", "Description"),
    no!("CII-SR-354", "PayeeTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!("CII-SR-355", "PayeeTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!("CII-SR-356", "PayeeTradeParty/SpecifiedLegalOrganization/", "TradingBusinessName"),
    no!("CII-SR-357", "PayeeTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    no!("CII-SR-358", "PayeeTradeParty/SpecifiedLegalOrganization/", "AuthorizedLegalRegistration"),
    no!("CII-SR-359", "PayeeTradeParty/", "DefinedTradeContact"),
    no!("CII-SR-360", "PayeeTradeParty/", "PostalTradeAddress"),
    no!("CII-SR-361", "PayeeTradeParty/", "URIUniversalCommunication"),
    no!("CII-SR-362", "PayeeTradeParty/", "SpecifiedTaxRegistration"),
    no!("CII-SR-363", "PayeeTradeParty/", "EndPointURIUniversalCommunication"),
    no!("CII-SR-364", "PayeeTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!("CII-SR-365", "", "PayerTradeParty"),
    no!("CII-SR-366", "", "TaxApplicableTradeCurrencyExchange"),
    no!("CII-SR-367", "", "InvoiceApplicableTradeCurrencyExchange"),
    no!("CII-SR-368", "", "PaymentApplicableTradeCurrencyExchange"),
    no!("CII-SR-369", "SpecifiedTradeSettlementPaymentMeans/", "PaymentChannelCode"),
    no!("CII-SR-370", "SpecifiedTradeSettlementPaymentMeans/", "GuaranteeMethodCode"),
    no!("CII-SR-371", "SpecifiedTradeSettlementPaymentMeans/", "PaymentMethodCode"),
    no!("CII-SR-443", "SpecifiedTradeSettlementPaymentMeans/", "ID"),
    no!("CII-SR-372", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "MicrochipIndicator"),
    no!("CII-SR-373", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "TypeCode"),
    no!("CII-SR-375", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "ExpiryDate"),
    no!("CII-SR-376", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "VerificationNumeric"),
    no!("CII-SR-377", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "ValidFromDateTime"),
    r!(Kind::Absent, "CII-SR-378", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/CreditLimitAmount"),
    no!("CII-SR-379", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "CreditAvailableAmount"),
    no!("CII-SR-380", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "InterestRatePercent"),
    no!("CII-SR-381", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "Description"),
    no!("CII-SR-382", "SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount/", "AccountName"),
    no!("CII-SR-444", "SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount/", "ProprietaryID"),
    no!("CII-SR-384", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "ClearingSystemName"),
    no!("CII-SR-385", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "Name"),
    no!("CII-SR-386", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "LocationFinancialInstitutionAddress"),
    no!("CII-SR-388", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!("CII-SR-389", "SpecifiedTradeAllowanceCharge/", "SequenceNumeric"),
    no!("CII-SR-390", "SpecifiedTradeAllowanceCharge/", "BasisQuantity"),
    no!("CII-SR-391", "SpecifiedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!("CII-SR-392", "SpecifiedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!("CII-SR-393", "SpecifiedTradeAllowanceCharge/", "TypeCode"),
    no!("CII-SR-394", "SpecifiedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!("CII-SR-395", "", "SubtotalCalculatedTradeTax"),
    no!("CII-SR-396", "", "SpecifiedLogisticsServiceCharge"),
    no!("CII-SR-397", "SpecifiedTradePaymentTerms/", "ID"),
    no!("CII-SR-398", "SpecifiedTradePaymentTerms/", "FromEventCode"),
    no!("CII-SR-399", "SpecifiedTradePaymentTerms/", "SettlementPeriodMeasure"),
    no!("CII-SR-400", "SpecifiedTradePaymentTerms/DueDateDateTime/udt:", "DateTime"),
    no!("CII-SR-401", "SpecifiedTradePaymentTerms/", "TypeCode"),
    no!("CII-SR-402", "SpecifiedTradePaymentTerms/", "InstructionTypeCode"),
    no!("CII-SR-404", "SpecifiedTradePaymentTerms/", "PartialPaymentPercent"),
    no!("CII-SR-405", "SpecifiedTradePaymentTerms/", "PaymentMeansID"),
    no!("CII-SR-406", "SpecifiedTradePaymentTerms/", "PartialPaymentAmount"),
    no!("CII-SR-407", "SpecifiedTradePaymentTerms/", "ApplicableTradePaymentPenaltyTerms"),
    no!("CII-SR-408", "SpecifiedTradePaymentTerms/", "ApplicableTradePaymentDiscountTerms"),
    no!("CII-SR-409", "SpecifiedTradePaymentTerms/", "PayeeTradeParty"),
    no!("CII-SR-421", "", "SpecifiedFinancialAdjustment"),
    no!("CII-SR-422", "InvoiceReferencedDocument/", "LineID"),
    no!("CII-SR-423", "", "ProFormaInvoiceReferencedDocument"),
    no!("CII-SR-424", "", "LetterOfCreditReferencedDocument"),
    no!("CII-SR-425", "", "FactoringAgreementReferencedDocument"),
    no!("CII-SR-426", "", "FactoringListReferencedDocument"),
    no!("CII-SR-427", "", "PayableSpecifiedTradeAccountingAccount"),
    no!("CII-SR-428", "ReceivableSpecifiedTradeAccountingAccount/", "SetTriggerCode"),
    no!("CII-SR-429", "ReceivableSpecifiedTradeAccountingAccount/", "TypeCode"),
    no!("CII-SR-430", "ReceivableSpecifiedTradeAccountingAccount/", "AmountTypeCode"),
    no!("CII-SR-431", "ReceivableSpecifiedTradeAccountingAccount/", "Name"),
    no!("CII-SR-432", "ReceivableSpecifiedTradeAccountingAccount/", "CostReferenceDimensionPattern"),
    no!("CII-SR-433", "", "PurchaseSpecifiedTradeAccountingAccount"),
    no!("CII-SR-434", "", "SalesSpecifiedTradeAccountingAccount"),
    no!("CII-SR-435", "", "SpecifiedTradeSettlementFinancialCard"),
    no!("CII-SR-436", "", "SpecifiedAdvancePayment"),
    no!("CII-SR-437", "", "UltimatePayeeTradeParty"),
    r!(AtMostOne, "CII-SR-452", "SpecifiedTradePaymentTerms"),
    r!(AtMostOne, "CII-SR-453", "SpecifiedTradePaymentTerms/Description"),
    r!(AtMostOne, "CII-SR-461", "ApplicableTradeTax/TaxPointDate"),
]);

#[rustfmt::skip]
static HEADER_TOTALS: Table = Table::new(&[
    no!("CII-SR-411", "", "InformationAmount"),
    no!("CII-SR-412", "", "TotalDiscountAmount"),
    no!("CII-SR-413", "", "TotalAllowanceChargeAmount"),
    no!("CII-SR-414", "", "RetailValueExcludingTaxInformationAmount"),
    no!("CII-SR-415", "", "TotalDepositFeeInformationAmount"),
    no!("CII-SR-416", "", "ProductValueExcludingTobaccoTaxInformationAmount"),
    no!("CII-SR-417", "", "TotalRetailValueInformationAmount"),
    no!("CII-SR-418", "", "GrossLineTotalAmount"),
    no!("CII-SR-419", "", "NetLineTotalAmount"),
    no!("CII-SR-420", "", "NetIncludingTaxesLineTotalAmount"),
]);

#[rustfmt::skip]
static ROOT: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-013", "@languageID"),
    r!(Kind::Absent, "CII-DT-014", "@languageLocaleID"),
    no!("CII-SR-438", "", "ValuationBreakdownStatement"),
]);

// ---- contexts matched anywhere (`//...`) ----

#[rustfmt::skip]
static CONTEXT_PARAMETER: Table = Table::new(&[
    r!(Kind::Absent, "CII-SR-04", "Value"),
    r!(Kind::Absent, "CII-SR-05", "SpecifiedDocumentVersion"),
]);

/// Identifiers that take no attributes at all.
#[rustfmt::skip]
static ID_NO_ATTRIBUTES: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-001", "@schemeName"),
    r!(Kind::Absent, "CII-DT-002", "@schemeAgencyName"),
    r!(Kind::Absent, "CII-DT-003", "@schemeDataURI"),
    r!(Kind::Absent, "CII-DT-004", "@schemeURI"),
    r!(Kind::Absent, "CII-DT-005", "@schemeID"),
    r!(Kind::Absent, "CII-DT-006", "@schemeAgencyID"),
    r!(Kind::Absent, "CII-DT-007", "@schemeVersionID"),
]);

/// `//ram:*[ends-with(name(), 'ID')]`.
#[rustfmt::skip]
static ID: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-101", "@schemeName"),
    r!(Kind::Absent, "CII-DT-102", "@schemeAgencyName"),
    r!(Kind::Absent, "CII-DT-103", "@schemeDataURI"),
    r!(Kind::Absent, "CII-DT-104", "@schemeURI"),
]);

#[rustfmt::skip]
static TYPE_CODE: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-008", "@name"),
    r!(Kind::Absent, "CII-DT-009", "@listURI"),
]);

#[rustfmt::skip]
static DOCUMENT_TYPE_CODE: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-010", "@listID"),
    r!(Kind::Absent, "CII-DT-011", "@listAgencyID"),
    r!(Kind::Absent, "CII-DT-012", "@listVersionID"),
]);

#[rustfmt::skip]
static LINE_CATEGORY_CODE: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-045", "@listID"),
    r!(Kind::Absent, "CII-DT-046", "@listAgencyID"),
    r!(Kind::Absent, "CII-DT-047", "@listVersionID"),
    r!(Kind::Absent, "CII-DT-048", "@listURI"),
]);

const ADDITIONAL_916: Kind = Kind::AbsentUnless(Except::Additional(&["916"]));

#[rustfmt::skip]
static REFERENCED_DOCUMENT: Table = Table::new(&[
    r!(ADDITIONAL_916, "CII-DT-015", "URIID"),
    no!("CII-DT-016", "", "StatusCode"),
    no!("CII-DT-017", "", "CopyIndicator"),
    r!(Kind::AbsentUnless(Except::Additional(&["50", "130", "916"])), "CII-DT-018", "TypeCode"),
    no!("CII-DT-019", "", "GlobalID"),
    no!("CII-DT-020", "", "RevisionID"),
    r!(ADDITIONAL_916, "CII-DT-021", "Name"),
    r!(ADDITIONAL_916, "CII-DT-022", "AttachmentBinaryObject"),
    no!("CII-DT-023", "", "Information"),
    r!(Kind::AbsentUnless(Except::Additional(&["130"])), "CII-DT-024", "ReferenceTypeCode"),
    no!("CII-DT-025", "", "SectionName"),
    no!("CII-DT-026", "", "PreviousRevisionID"),
    r!(Kind::AbsentUnless(Except::SelfIs("InvoiceReferencedDocument")), "CII-DT-027", "FormattedIssueDateTime"),
    no!("CII-DT-028", "", "EffectiveSpecifiedPeriod"),
    no!("CII-DT-029", "", "IssuerTradeParty"),
    no!("CII-DT-030", "", "AttachedSpecifiedBinaryFile"),
]);

#[rustfmt::skip]
static AMOUNT: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-031", "@currencyID"),
    r!(Kind::Absent, "CII-DT-032", "@currencyCodeListVersionID"),
]);

#[rustfmt::skip]
static QUANTITY: Table = Table::new(&[
    r!(Kind::Absent, "CII-DT-034", "@unitCodeListID"),
    r!(Kind::Absent, "CII-DT-035", "@unitCodeListAgencyID"),
    r!(Kind::Absent, "CII-DT-036", "@unitCodeListAgencyName"),
]);

const IN_HEADER: Kind = Kind::AbsentUnless(Except::InHeaderSettlement);
const SELF_TAX: Kind = Kind::AbsentUnless(Except::SelfIs("ApplicableTradeTax"));

#[rustfmt::skip]
static TRADE_TAX: Table = Table::new(&[
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
    r!(Kind::Absent, "CII-DT-059", "RateApplicablePercent/@format"),
    no!("CII-DT-060", "", "SpecifiedTradeAccountingAccount"),
    no!("CII-DT-061", "", "ServiceSupplyTradeCountry"),
    no!("CII-DT-062", "", "BuyerRepayableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-063", "", "SellerPayableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-064", "", "SellerRefundableTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-065", "", "BuyerDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-066", "", "BuyerNonDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!("CII-DT-067", "", "PlaceApplicableTradeLocation"),
]);

#[rustfmt::skip]
static BILLING_PERIOD: Table = Table::new(&[
    unused!("CII-DT-068", "StartDateTime/udt:", "DateTime"),
    unused!("CII-DT-069", "", "DurationMeasure"),
    unused!("CII-DT-070", "", "InclusiveIndicator"),
    unused!("CII-DT-071", "", "Description"),
    unused!("CII-DT-072", "EndDateTime/udt:", "DateTime"),
    unused!("CII-DT-073", "", "CompleteDateTime"),
    unused!("CII-DT-074", "", "OpenIndicator"),
    unused!("CII-DT-075", "", "SeasonCode"),
    unused!("CII-DT-076", "", "ID"),
    unused!("CII-DT-077", "", "Name"),
    unused!("CII-DT-078", "", "SequenceNumeric"),
    unused!("CII-DT-079", "", "StartDateFlexibilityCode"),
    unused!("CII-DT-080", "", "ContinuousIndicator"),
    unused!("CII-DT-081", "", "PurposeCode"),
]);

#[rustfmt::skip]
static POSTAL_ADDRESS: Table = Table::new(&[
    unused!("CII-DT-082", "", "ID"),
    unused!("CII-DT-083", "", "PostOfficeBox"),
    unused!("CII-DT-084", "", "BuildingName"),
    unused!("CII-DT-086", "", "LineFour"),
    unused!("CII-DT-087", "", "LineFive"),
    unused!("CII-DT-088", "", "StreetName"),
    unused!("CII-DT-089", "", "CitySubDivisionName"),
    unused!("CII-DT-090", "", "CountryName"),
    unused!("CII-DT-091", "", "CountrySubDivisionID"),
    unused!("CII-DT-092", "", "AttentionOf"),
    unused!("CII-DT-093", "", "CareOf"),
    unused!("CII-DT-094", "", "BuildingNumber"),
    unused!("CII-DT-095", "", "DepartmentName"),
    unused!("CII-DT-096", "", "AdditionalStreetName"),
]);

// ---- evaluation ----

struct Index {
    /// Rule positions by the local name of their first step.
    by_first: HashMap<&'static str, Vec<u8>, FastHash>,
    /// Rules testing an attribute of the context itself.
    on_self: Vec<u8>,
    /// Count rules, in table order; `count_slot[i]` is rule i's counter.
    counted: Vec<u8>,
    count_slot: Vec<u8>,
}

struct Table {
    rules: &'static [Assert],
    index: OnceLock<Index>,
}

const MAX_RULES: usize = 128;
const MAX_COUNTED: usize = 16;

impl Table {
    const fn new(rules: &'static [Assert]) -> Table {
        Table {
            rules,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            assert!(self.rules.len() <= MAX_RULES);
            let mut ix = Index {
                by_first: HashMap::default(),
                on_self: Vec::new(),
                counted: Vec::new(),
                count_slot: vec![u8::MAX; self.rules.len()],
            };
            for (i, r) in self.rules.iter().enumerate() {
                let i = u8::try_from(i).unwrap_or(u8::MAX);
                if matches!(r.kind, Kind::AtMostOne | Kind::One) {
                    ix.count_slot[usize::from(i)] = u8::try_from(ix.counted.len()).unwrap_or(0);
                    ix.counted.push(i);
                }
                let first = r.path.split('/').next().unwrap_or("");
                if first.starts_with('@') {
                    ix.on_self.push(i);
                } else {
                    ix.by_first.entry(first).or_default().push(i);
                }
            }
            assert!(ix.counted.len() <= MAX_COUNTED);
            ix
        })
    }

    /// Runs every rule of the table on one context node.
    fn run(&self, ctx: Node<'_>, in_header: bool, out: &mut Out) {
        let ix = self.index();
        let mut fired = [false; MAX_RULES];
        let mut counts = [0usize; MAX_COUNTED];
        for &i in &ix.on_self {
            let r = &self.rules[usize::from(i)];
            if ctx.attr(&r.path[1..]).is_some() && !excepted(r.kind, ctx, in_header) {
                fire(r, out);
            }
        }
        for child in ctx.children() {
            if child.ns() != RAM {
                continue;
            }
            let Some(list) = ix.by_first.get(child.local_name()) else {
                continue;
            };
            for &i in list {
                let i = usize::from(i);
                let r = &self.rules[i];
                let rest = r.path.split_once('/').map_or("", |(_, rest)| rest);
                match r.kind {
                    Kind::Absent | Kind::AbsentUnless(_) => {
                        if !fired[i] && count(child, rest, 1) > 0 {
                            fired[i] = true;
                            if !excepted(r.kind, ctx, in_header) {
                                fire(r, out);
                            }
                        }
                    }
                    Kind::AtMostOne | Kind::One => {
                        counts[usize::from(ix.count_slot[i])] += count(child, rest, usize::MAX);
                    }
                }
            }
        }
        for (slot, &i) in ix.counted.iter().enumerate() {
            let r = &self.rules[usize::from(i)];
            let n = counts[slot];
            if (r.kind == Kind::AtMostOne && n > 1) || (r.kind == Kind::One && n != 1) {
                fire(r, out);
            }
        }
    }
}

fn fire(r: &Assert, out: &mut Out) {
    out.fire(r.rule, "");
}

fn excepted(kind: Kind, ctx: Node<'_>, in_header: bool) -> bool {
    match kind {
        Kind::AbsentUnless(Except::Additional(codes)) => {
            ctx.is(RAM, "AdditionalReferencedDocument")
                && ctx
                    .children_named(RAM, "TypeCode")
                    .any(|t| codes.contains(&t.text()))
        }
        Kind::AbsentUnless(Except::SelfIs(name)) => ctx.is(RAM, name),
        Kind::AbsentUnless(Except::InHeaderSettlement) => in_header,
        _ => false,
    }
}

/// Number of nodes (up to `limit`) matched by the relative path `rest`
/// below `n`; the empty path matches `n` itself.
fn count(n: Node<'_>, rest: &str, limit: usize) -> usize {
    if rest.is_empty() {
        return 1;
    }
    let (step, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if let Some(attr) = step.strip_prefix('@') {
        return usize::from(n.attr(attr).is_some());
    }
    let (ns, local) = match step.strip_prefix("udt:") {
        Some(l) => (UDT, l),
        None => (RAM, step),
    };
    let mut total = 0;
    for c in n.children_named(ns, local) {
        total += count(c, tail, limit - total);
        if total >= limit {
            break;
        }
    }
    total
}

fn has(n: Node<'_>, local: &str) -> bool {
    n.children_named(RAM, local).next().is_some()
}

/// `not(P/ID and P/GlobalID)` for the party `P` below `ctx`.
fn one_party_identifier(ctx: Node<'_>, party: &str, rule: &'static Rule, out: &mut Out) {
    let both = ctx.children_named(RAM, party).any(|p| has(p, "ID"))
        && ctx.children_named(RAM, party).any(|p| has(p, "GlobalID"));
    out.check(!both, rule, "");
}

/// Additional documents below `ctx` whose type code satisfies `code`.
fn additional_documents(ctx: Node<'_>, code: impl Fn(&str) -> bool) -> usize {
    ctx.children_named(RAM, "AdditionalReferencedDocument")
        .filter(|d| d.children_named(RAM, "TypeCode").any(|t| code(t.text())))
        .count()
}

/// Runs CII-SR-* and CII-DT-* on a CII D16B document.
pub(crate) fn check(root: Node<'_>, out: &mut Out) {
    if !root.is(RSM, "CrossIndustryInvoice") {
        return;
    }
    ROOT.run(root, false, out);
    let billed_unit = root
        .children_named(RSM, "SupplyChainTradeTransaction")
        .flat_map(|t| t.children_named(RAM, "IncludedSupplyChainTradeLineItem"))
        .flat_map(|l| l.children_named(RAM, "SpecifiedLineTradeDelivery"))
        .flat_map(|d| d.children_named(RAM, "BilledQuantity"))
        .any(|q| q.attr("unitCode").is_some());
    let mut walk = Walk {
        billed_unit,
        due_date_codes: Vec::new(),
        out,
    };
    walk.node(root, false, false);
    let Walk {
        due_date_codes,
        out,
        ..
    } = walk;
    let mixed = due_date_codes.iter().any(|c| *c != due_date_codes[0]);

    for c in root.children_named(RSM, "ExchangedDocumentContext") {
        DOC_CONTEXT.run(c, false, out);
        for g in c.children_named(RAM, "GuidelineSpecifiedDocumentContextParameter") {
            for id in g.children_named(RAM, "ID") {
                ID_NO_ATTRIBUTES.run(id, false, out);
            }
        }
    }
    for d in root.children_named(RSM, "ExchangedDocument") {
        DOCUMENT.run(d, false, out);
        for n in d.children_named(RAM, "IncludedNote") {
            DOCUMENT_NOTE.run(n, false, out);
        }
        for id in d.children_named(RAM, "ID") {
            ID_NO_ATTRIBUTES.run(id, false, out);
        }
        for t in d.children_named(RAM, "TypeCode") {
            DOCUMENT_TYPE_CODE.run(t, false, out);
        }
    }
    for t in root.children_named(RSM, "SupplyChainTradeTransaction") {
        for line in t.children_named(RAM, "IncludedSupplyChainTradeLineItem") {
            check_line(line, out);
        }
        for a in t.children_named(RAM, "ApplicableHeaderTradeAgreement") {
            HEADER_AGREEMENT.run(a, false, out);
            one_party_identifier(a, "BuyerTradeParty", rule!("CII-SR-450"), out);
            out.check(
                additional_documents(a, |c| c == "50") <= 1,
                rule!("CII-SR-457"),
                "",
            );
            out.check(
                additional_documents(a, |c| c == "130") <= 1,
                rule!("CII-SR-458"),
                "",
            );
        }
        for d in t.children_named(RAM, "ApplicableHeaderTradeDelivery") {
            HEADER_DELIVERY.run(d, false, out);
            one_party_identifier(d, "ShipToTradeParty", rule!("CII-SR-449"), out);
        }
        for s in t.children_named(RAM, "ApplicableHeaderTradeSettlement") {
            HEADER_SETTLEMENT.run(s, true, out);
            one_party_identifier(s, "PayeeTradeParty", rule!("CII-SR-451"), out);
            out.check(!mixed, rule!("CII-SR-462"), "");
            for m in s.children_named(RAM, "SpecifiedTradeSettlementHeaderMonetarySummation") {
                HEADER_TOTALS.run(m, true, out);
            }
        }
    }
}

fn check_line(line: Node<'_>, out: &mut Out) {
    LINE.run(line, false, out);
    for c in line.children() {
        if c.ns() != RAM {
            continue;
        }
        match c.local_name() {
            "AssociatedDocumentLineDocument" => {
                LINE_DOCUMENT.run(c, false, out);
                for id in c.children_named(RAM, "LineID") {
                    ID_NO_ATTRIBUTES.run(id, false, out);
                }
            }
            "SpecifiedTradeProduct" => {
                PRODUCT.run(c, false, out);
                check_product(c, out);
            }
            "SpecifiedLineTradeAgreement" => {
                LINE_AGREEMENT.run(c, false, out);
                check_price_allowances(c, out);
            }
            "SpecifiedLineTradeDelivery" => LINE_DELIVERY.run(c, false, out),
            "SpecifiedLineTradeSettlement" => {
                LINE_SETTLEMENT.run(c, false, out);
                for tax in c.children_named(RAM, "ApplicableTradeTax") {
                    for code in tax.children_named(RAM, "CategoryCode") {
                        LINE_CATEGORY_CODE.run(code, false, out);
                    }
                }
                // Added in v1.3.16 (invoice line object identifier, BT-128).
                let n130 = additional_documents(c, |t| t.trim() == "130");
                out.check(n130 <= 1, rule!("CII-SR-474"), "");
            }
            _ => {}
        }
    }
}

fn check_product(p: Node<'_>, out: &mut Out) {
    for c in p.children_named(RAM, "ApplicableProductCharacteristic") {
        CHARACTERISTIC.run(c, false, out);
    }
    for id in p.children_named(RAM, "SellerAssignedID") {
        ID_NO_ATTRIBUTES.run(id, false, out);
    }
    let (mut global, mut scheme) = (false, false);
    for g in p.children_named(RAM, "GlobalID") {
        global = true;
        scheme |= g.attr("schemeID").is_some();
    }
    out.check(!global || scheme, rule!("CII-SR-046"), "");
    let origin = p.children_named(RAM, "OriginTradeCountry").count();
    let origin_ids = count(p, "OriginTradeCountry/ID", usize::MAX);
    out.check(origin == 0 || origin_ids == 1, rule!("CII-SR-090"), "");
}

/// CII-SR-119: a gross price may only carry allowances (indicator false,
/// with an amount).
fn check_price_allowances(agreement: Node<'_>, out: &mut Out) {
    let charges = || {
        agreement
            .children_named(RAM, "GrossPriceProductTradePrice")
            .flat_map(|g| g.children_named(RAM, "AppliedTradeAllowanceCharge"))
    };
    let mut any_indicator = false;
    let mut allowance = false;
    for i in charges().flat_map(|c| c.children_named(RAM, "ChargeIndicator")) {
        any_indicator = true;
        allowance |= i
            .children_named(UDT, "Indicator")
            .any(|v| matches!(v.text(), "false" | "0"));
    }
    let amount = charges().any(|c| has(c, "ActualAmount"));
    let ok = (allowance && amount) || (!any_indicator && !amount);
    out.check(ok, rule!("CII-SR-119"), "");
}

/// The descendant-or-self contexts (`//ram:*[...]`), in one pass.
struct Walk<'o, 't> {
    billed_unit: bool,
    due_date_codes: Vec<&'t str>,
    out: &'o mut Out,
}

impl<'t> Walk<'_, 't> {
    fn node(&mut self, n: Node<'t>, in_header: bool, in_gross_price: bool) {
        for c in n.children() {
            let ram = c.ns() == RAM;
            let name = c.local_name();
            let mut header = in_header;
            if ram {
                self.element(c, name, in_header, in_gross_price);
                header |= name == "ApplicableHeaderTradeSettlement";
            } else if c.ns() == UDT && name == "DateTimeString" && c.attr("format") == Some("102") {
                let ok = is_yyyymmdd(c.text());
                self.out.check(ok, rule!("CII-DT-097"), "");
            }
            if name.as_bytes().last() == Some(&b'r') && name.ends_with("DocumentContextParameter") {
                CONTEXT_PARAMETER.run(c, header, self.out);
            }
            self.node(c, header, ram && name == "GrossPriceProductTradePrice");
        }
    }

    /// A `ram:` element: dispatch on the last byte of its name first, the
    /// common case (no context) costs one comparison.
    fn element(&mut self, c: Node<'t>, name: &str, in_header: bool, in_gross_price: bool) {
        match name.as_bytes().last() {
            Some(b'D') if name.ends_with("ID") => ID.run(c, in_header, self.out),
            Some(b'e') if name == "TypeCode" => TYPE_CODE.run(c, in_header, self.out),
            Some(b't') if name.ends_with("ReferencedDocument") => {
                REFERENCED_DOCUMENT.run(c, in_header, self.out);
            }
            Some(b't') if name.ends_with("Amount") && name != "TaxTotalAmount" => {
                AMOUNT.run(c, in_header, self.out);
            }
            Some(b'y') if name.ends_with("Quantity") => {
                self.out.check(
                    c.attr("unitCode").is_none() || self.billed_unit,
                    rule!("CII-DT-033"),
                    "",
                );
                QUANTITY.run(c, in_header, self.out);
            }
            Some(b'x') if name.ends_with("TradeTax") => {
                let (mut any, mut vat) = (false, false);
                for t in c.children_named(RAM, "TypeCode") {
                    any = true;
                    vat |= t.text() == "VAT";
                }
                self.out.check(!any || vat, rule!("CII-DT-037"), "");
                TRADE_TAX.run(c, in_header, self.out);
                if name == "ApplicableTradeTax" {
                    self.due_date_codes
                        .extend(c.children_named(RAM, "DueDateTypeCode").map(|d| d.text()));
                }
            }
            Some(b'd') if name == "BillingSpecifiedPeriod" => {
                BILLING_PERIOD.run(c, in_header, self.out)
            }
            Some(b's') if name == "PostalTradeAddress" => {
                POSTAL_ADDRESS.run(c, in_header, self.out)
            }
            Some(b'e') if in_gross_price && name == "AppliedTradeAllowanceCharge" => {
                PRICE_ALLOWANCE.run(c, in_header, self.out);
            }
            _ => {}
        }
    }
}

/// `^\s*(\d{4})(1[0-2]|0[1-9])(3[01]|[12][0-9]|0[1-9])\s*$` on trimmed text.
fn is_yyyymmdd(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month = (b[4] - b'0') * 10 + (b[5] - b'0');
    let day = (b[6] - b'0') * 10 + (b[7] - b'0');
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
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
      </rsm:ExchangedDocument>"#;

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
        </ram:SpecifiedLineTradeSettlement>
      </ram:IncludedSupplyChainTradeLineItem>"#;

    /// A minimal invoice; `agreement` goes into the header agreement,
    /// `note` into the line's document, `total` is the line total element.
    fn invoice(agreement: &str, note: &str, total: &str) -> String {
        let line = LINE
            .replace("NOTE", note)
            .replace("<ram:LineTotalAmount>10</ram:LineTotalAmount>", total);
        format!(
            "{HEAD}<rsm:SupplyChainTradeTransaction>{line}\
             <ram:ApplicableHeaderTradeAgreement>{agreement}</ram:ApplicableHeaderTradeAgreement>\
             <ram:ApplicableHeaderTradeDelivery/>\
             <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>\
             </ram:ApplicableHeaderTradeSettlement>\
             </rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>"
        )
    }

    fn fired(xml: &str) -> Vec<(&'static str, bool)> {
        let tree = Tree::parse(xml.as_bytes()).expect("well-formed test document");
        let mut out = Out::default();
        check(tree.root(), &mut out);
        let mut ids: Vec<(&'static str, bool)> = out
            .fired
            .iter()
            .map(|f| (f.rule.id, f.rule.cii.is_some_and(|b| b.0)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    const TOTAL: &str = "<ram:LineTotalAmount>10</ram:LineTotalAmount>";

    #[test]
    fn a_plain_invoice_fires_nothing() {
        // Arrange
        let xml = invoice("", "", TOTAL);

        // Act
        let ids = fired(&xml);

        // Assert
        assert_eq!(ids, Vec::<(&str, bool)>::new());
    }

    #[test]
    fn header_context_warns_on_unused_elements() {
        // Arrange: a seller contact with a job title, a buyer with ID and GlobalID.
        let agreement = "<ram:SellerTradeParty><ram:DefinedTradeContact>\
            <ram:JobTitle>CEO</ram:JobTitle></ram:DefinedTradeContact></ram:SellerTradeParty>\
            <ram:BuyerTradeParty><ram:ID>1</ram:ID><ram:GlobalID schemeID=\"0088\">2</ram:GlobalID>\
            </ram:BuyerTradeParty>";
        let xml = invoice(agreement, "", TOTAL);

        // Act
        let ids = fired(&xml);

        // Assert
        assert_eq!(ids, vec![("CII-SR-229", false), ("CII-SR-450", false)]);
    }

    #[test]
    fn line_context_counts_and_absences() {
        // Arrange: two notes on the line, one with a subject code.
        let note = "<ram:IncludedNote><ram:Content>a</ram:Content></ram:IncludedNote>\
            <ram:IncludedNote><ram:SubjectCode>AAI</ram:SubjectCode><ram:Content>b</ram:Content></ram:IncludedNote>";
        let xml = invoice("", note, TOTAL);

        // Act
        let ids = fired(&xml);

        // Assert
        assert_eq!(
            ids,
            vec![
                ("CII-SR-039", false),
                ("CII-SR-040", false),
                ("CII-SR-041", false)
            ]
        );
    }

    #[test]
    fn currency_on_a_line_amount_is_fatal() {
        // Arrange
        let xml = invoice(
            "",
            "",
            "<ram:LineTotalAmount currencyID=\"EUR\">10</ram:LineTotalAmount>",
        );

        // Act
        let ids = fired(&xml);

        // Assert
        assert_eq!(ids, vec![("CII-DT-031", true)]);
    }

    #[test]
    fn tax_exemption_elements_only_on_applicable_trade_tax() {
        // Arrange: an exemption reason on a line allowance's CategoryTradeTax.
        let xml = invoice("", "", TOTAL).replace(
            "<ram:SpecifiedTradeSettlementLineMonetarySummation>",
            "<ram:SpecifiedTradeAllowanceCharge><ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode>\
             <ram:ExemptionReason>x</ram:ExemptionReason></ram:CategoryTradeTax>\
             </ram:SpecifiedTradeAllowanceCharge><ram:SpecifiedTradeSettlementLineMonetarySummation>",
        );

        // Act
        let ids = fired(&xml);

        // Assert
        assert_eq!(ids, vec![("CII-DT-098", false), ("CII-SR-191", false)]);
    }

    #[test]
    fn dates_with_format_102_are_checked() {
        // Arrange / Act / Assert
        assert!(is_yyyymmdd("20240229"));
        assert!(!is_yyyymmdd("20241301"));
        assert!(!is_yyyymmdd("2024-01-01"));
    }
}
