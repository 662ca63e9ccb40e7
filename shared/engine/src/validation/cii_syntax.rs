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
use crate::validation::business::Out;

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
struct Rule {
    id: &'static str,
    fatal: bool,
    kind: Kind,
    path: &'static str,
    msg: &'static str,
}

macro_rules! sev {
    (W) => {
        false
    };
    (F) => {
        true
    };
}

/// `not(pre+last)`, message "<last> should not be present".
macro_rules! no {
    ($s:ident $id:literal, $pre:literal, $last:literal) => {
        Rule {
            id: $id,
            fatal: sev!($s),
            kind: Kind::Absent,
            path: concat!($pre, $last),
            msg: concat!($last, " should not be present"),
        }
    };
}

/// `not(pre+last)`, message "<last> shall not be used.".
macro_rules! unused {
    ($id:literal, $pre:literal, $last:literal) => {
        Rule {
            id: $id,
            fatal: true,
            kind: Kind::Absent,
            path: concat!($pre, $last),
            msg: concat!($last, " shall not be used."),
        }
    };
}

/// Any kind with an explicit message.
macro_rules! r {
    ($s:ident $kind:expr, $id:literal, $path:literal, $msg:literal) => {
        Rule {
            id: $id,
            fatal: sev!($s),
            kind: $kind,
            path: $path,
            msg: $msg,
        }
    };
}

use Kind::{AtMostOne, One};

static DOC_CONTEXT: Table = Table::new(&[
    no!(W "CII-SR-001", "", "SpecifiedTransactionID"),
    no!(W "CII-SR-002", "", "TestIndicator"),
    r!(W AtMostOne, "CII-SR-003", "BusinessProcessSpecifiedDocumentContextParameter",
        "BusinessProcessSpecifiedDocumentContextParameter should exist maximum once"),
    no!(W "CII-SR-006", "", "BIMSpecifiedDocumentContextParameter"),
    no!(W "CII-SR-007", "", "ScenarioSpecifiedDocumentContextParameter"),
    no!(W "CII-SR-008", "", "ApplicationSpecifiedDocumentContextParameter"),
    r!(F One, "CII-SR-009", "GuidelineSpecifiedDocumentContextParameter",
        "GuidelineSpecifiedDocumentContextParameter must exist exactly once"),
    r!(F One, "CII-SR-010", "GuidelineSpecifiedDocumentContextParameter/ID",
        "ID must exist exactly once"),
    no!(W "CII-SR-011", "", "SubsetSpecifiedDocumentContextParameter"),
    no!(W "CII-SR-012", "", "MessageStandardSpecifiedDocumentContextParameter"),
]);

static DOCUMENT: Table = Table::new(&[
    no!(W "CII-SR-013", "", "Name"),
    r!(F One, "CII-SR-014", "TypeCode", "TypeCode must exist exactly once"),
    no!(W "CII-SR-015", "IssueDateTime/udt:", "DateTime"),
    no!(W "CII-SR-016", "", "CopyIndicator"),
    no!(W "CII-SR-017", "", "Purpose"),
    no!(W "CII-SR-018", "", "ControlRequirementIndicator"),
    no!(W "CII-SR-019", "", "LanguageID"),
    no!(W "CII-SR-020", "", "PurposeCode"),
    no!(W "CII-SR-021", "", "RevisionDateTime"),
    no!(W "CII-SR-022", "", "VersionID"),
    no!(W "CII-SR-023", "", "GlobalID"),
    no!(W "CII-SR-024", "", "RevisionID"),
    no!(W "CII-SR-025", "", "PreviousRevisionID"),
    no!(W "CII-SR-026", "", "CategoryCode"),
    no!(W "CII-SR-027", "IncludedNote/", "Subject"),
    no!(W "CII-SR-028", "IncludedNote/", "ContentCode"),
    no!(W "CII-SR-032", "IncludedNote/", "ID"),
    no!(W "CII-SR-033", "", "EffectiveSpecifiedPeriod"),
    no!(W "CII-SR-034", "", "IssuerTradeParty"),
]);

static DOCUMENT_NOTE: Table = Table::new(&[r!(W AtMostOne, "CII-SR-030", "Content",
    "Content should exist maximum once")]);

static LINE: Table = Table::new(&[
    no!(W "CII-SR-035", "", "DescriptionCode"),
    no!(W "CII-SR-036", "", "ParentLineID"),
    no!(W "CII-SR-037", "", "LineStatusCode"),
    no!(W "CII-SR-038", "", "LineStatusReasonCode"),
    no!(W "CII-SR-221", "", "IncludedSubordinateTradeLineItem"),
]);

static LINE_DOCUMENT: Table = Table::new(&[
    r!(W AtMostOne, "CII-SR-039", "IncludedNote", "IncludedNote should exist maximum once"),
    r!(W AtMostOne, "CII-SR-040", "IncludedNote/Content", "Content should exist maximum once"),
    no!(W "CII-SR-041", "IncludedNote/", "SubjectCode"),
    no!(W "CII-SR-042", "IncludedNote/", "ID"),
    r!(W Kind::Absent, "CII-SR-043", "IncludedNote/Subject", "CategoryCode should not be present"),
    r!(W Kind::Absent, "CII-SR-044", "IncludedNote/ContentCode", "Subject should not be present"),
]);

static PRODUCT: Table = Table::new(&[
    no!(W "CII-SR-045", "", "ID"),
    no!(W "CII-SR-048", "", "ManufacturerAssignedID"),
    no!(W "CII-SR-049", "", "TradeName"),
    no!(W "CII-SR-050", "", "TypeCode"),
    no!(W "CII-SR-051", "", "NetWeightMeasure"),
    no!(W "CII-SR-052", "", "GrossWeightMeasure"),
    no!(W "CII-SR-053", "", "ProductGroupID"),
    no!(W "CII-SR-054", "", "EndItemTypeCode"),
    no!(W "CII-SR-055", "", "EndItemName"),
    no!(W "CII-SR-056", "", "AreaDensityMeasure"),
    no!(W "CII-SR-057", "", "UseDescription"),
    no!(W "CII-SR-058", "", "BrandName"),
    no!(W "CII-SR-059", "", "SubBrandName"),
    no!(W "CII-SR-060", "", "DrainedNetWeightMeasure"),
    no!(W "CII-SR-061", "", "VariableMeasureIndicator"),
    no!(W "CII-SR-062", "", "ColourCode"),
    no!(W "CII-SR-063", "", "ColourDescription"),
    no!(W "CII-SR-064", "", "Designation"),
    no!(W "CII-SR-065", "", "FormattedCancellationAnnouncedLaunchDateTime"),
    no!(W "CII-SR-066", "", "FormattedLatestProductDataChangeDateTime"),
    no!(W "CII-SR-067", "ApplicableProductCharacteristic/", "ID"),
    no!(W "CII-SR-068", "ApplicableProductCharacteristic/", "TypeCode"),
    no!(W "CII-SR-070", "ApplicableProductCharacteristic/", "ValueMeasure"),
    no!(W "CII-SR-071", "ApplicableProductCharacteristic/", "MeasurementMethodCode"),
    no!(W "CII-SR-073", "ApplicableProductCharacteristic/", "ValueCode"),
    no!(W "CII-SR-074", "ApplicableProductCharacteristic/", "ValueDateTime"),
    no!(W "CII-SR-075", "ApplicableProductCharacteristic/", "ValueIndicator"),
    no!(W "CII-SR-076", "ApplicableProductCharacteristic/", "ContentTypeCode"),
    no!(W "CII-SR-077", "ApplicableProductCharacteristic/", "ValueSpecifiedBinaryFile"),
    no!(W "CII-SR-078", "ApplicableProductCharacteristic/", "ApplicableProductCharacteristicCondition"),
    no!(W "CII-SR-079", "ApplicableProductCharacteristic/", "ApplicableReferencedStandard"),
    no!(W "CII-SR-080", "", "ApplicableMaterialGoodsCharacteristic"),
    no!(W "CII-SR-081", "DesignatedProductClassification/", "SystemID"),
    no!(W "CII-SR-082", "DesignatedProductClassification/", "SystemName"),
    no!(W "CII-SR-083", "DesignatedProductClassification/", "ClassName"),
    no!(W "CII-SR-084", "DesignatedProductClassification/", "SubClassCode"),
    no!(W "CII-SR-085", "DesignatedProductClassification/", "ClassProductCharacteristic"),
    no!(W "CII-SR-086", "DesignatedProductClassification/", "ApplicableReferencedStandard"),
    no!(W "CII-SR-087", "", "IndividualTradeProductInstance"),
    no!(W "CII-SR-088", "", "CertificationEvidenceReferenceReferencedDocument"),
    no!(W "CII-SR-089", "", "InspectionReferenceReferencedDocument"),
    no!(W "CII-SR-091", "OriginTradeCountry/", "Name"),
    no!(W "CII-SR-092", "OriginTradeCountry/", "SubordinateTradeCountrySubDivision"),
    no!(W "CII-SR-093", "", "LinearSpatialDimension"),
    no!(W "CII-SR-094", "", "MinimumLinearSpatialDimension"),
    no!(W "CII-SR-095", "", "MaximumLinearSpatialDimension"),
    no!(W "CII-SR-096", "", "ManufacturerTradeParty"),
    no!(W "CII-SR-097", "", "PresentationSpecifiedBinaryFile"),
    no!(W "CII-SR-098", "", "MSDSReferenceReferencedDocument"),
    no!(W "CII-SR-099", "", "AdditionalReferenceReferencedDocument"),
    no!(W "CII-SR-100", "", "LegalRightsOwnerTradeParty"),
    r!(W Kind::Absent, "CII-SR-101", "BrandOwnerTradeParty", "BrandOwnerTradeParty should not be present"),
    r!(W Kind::Absent, "CII-SR-102", "IncludedReferencedProduct", "IncludedReferencedProduct should not be present"),
    r!(W Kind::Absent, "CII-SR-103", "InformationNote", "InformationNoteshould not be present"),
]);

static CHARACTERISTIC: Table = Table::new(&[
    r!(F One, "CII-SR-069", "Description", "Description should exist maximum once."),
    r!(F One, "CII-SR-072", "Value", "Value should exist maximum once."),
]);

static LINE_AGREEMENT: Table = Table::new(&[
    no!(W "CII-SR-104", "", "BuyerReference"),
    no!(W "CII-SR-105", "", "BuyerRequisitionerTradeParty"),
    no!(W "CII-SR-106", "", "ApplicableTradeDeliveryTerms"),
    no!(W "CII-SR-107", "", "SellerOrderReferencedDocument"),
    no!(W "CII-SR-108", "BuyerOrderReferencedDocument/", "IssuerAssignedID"),
    no!(W "CII-SR-109", "", "QuotationReferencedDocument"),
    no!(W "CII-SR-110", "", "ContractReferencedDocument"),
    no!(W "CII-SR-111", "", "DemandForecastReferencedDocument"),
    no!(W "CII-SR-112", "", "PromotionalDealReferencedDocument"),
    no!(W "CII-SR-113", "", "AdditionalReferencedDocument"),
    no!(W "CII-SR-114", "GrossPriceProductTradePrice/", "TypeCode"),
    no!(W "CII-SR-115", "GrossPriceProductTradePrice/", "MinimumQuantity"),
    no!(W "CII-SR-116", "GrossPriceProductTradePrice/", "MaximumQuantity"),
    no!(W "CII-SR-117", "GrossPriceProductTradePrice/", "ChangeReason"),
    no!(W "CII-SR-118", "GrossPriceProductTradePrice/", "OrderUnitConversionFactorNumeric"),
    r!(F One, "CII-SR-439", "NetPriceProductTradePrice/ChargeAmount", "ChargeAmount should exist maximum once"),
    no!(W "CII-SR-120", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ID"),
    no!(W "CII-SR-121", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "SequenceNumeric"),
    no!(W "CII-SR-122", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "CalculationPercent"),
    no!(W "CII-SR-123", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "BasisAmount"),
    no!(W "CII-SR-124", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "BasisQuantity"),
    no!(W "CII-SR-125", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!(W "CII-SR-126", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!(W "CII-SR-127", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ReasonCode"),
    no!(W "CII-SR-128", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "Reason"),
    no!(W "CII-SR-129", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "TypeCode"),
    no!(W "CII-SR-130", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "CategoryTradeTax"),
    no!(W "CII-SR-131", "GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!(W "CII-SR-445", "GrossPriceProductTradePrice/", "IncludedTradeTax"),
    no!(W "CII-SR-132", "GrossPriceProductTradePrice/", "ValiditySpecifiedPeriod"),
    no!(W "CII-SR-133", "GrossPriceProductTradePrice/", "DeliveryTradeLocation"),
    no!(W "CII-SR-134", "GrossPriceProductTradePrice/", "TradeComparisonReferencePrice"),
    no!(W "CII-SR-135", "GrossPriceProductTradePrice/", "AssociatedReferencedDocument"),
    no!(W "CII-SR-136", "NetPriceProductTradePrice/", "TypeCode"),
    no!(W "CII-SR-138", "NetPriceProductTradePrice/", "MinimumQuantity"),
    no!(W "CII-SR-139", "NetPriceProductTradePrice/", "MaximumQuantity"),
    no!(W "CII-SR-140", "NetPriceProductTradePrice/", "ChangeReason"),
    no!(W "CII-SR-141", "NetPriceProductTradePrice/", "OrderUnitConversionFactorNumeric"),
    no!(W "CII-SR-142", "NetPriceProductTradePrice/", "AppliedTradeAllowanceCharge"),
    no!(W "CII-SR-446", "NetPriceProductTradePrice/", "IncludedTradeTax"),
    no!(W "CII-SR-143", "NetPriceProductTradePrice/", "ValiditySpecifiedPeriod"),
    no!(W "CII-SR-144", "NetPriceProductTradePrice/", "DeliveryTradeLocation"),
    no!(W "CII-SR-145", "NetPriceProductTradePrice/", "TradeComparisonReferencePrice"),
    no!(W "CII-SR-146", "NetPriceProductTradePrice/", "AssociatedReferencedDocument"),
    r!(F AtMostOne, "CII-SR-441", "NetPriceProductTradePrice/ChargeAmount", "ChargeAmount should exist maximum once"),
    no!(W "CII-SR-147", "", "RequisitionerReferencedDocument"),
    no!(W "CII-SR-148", "", "ItemSellerTradeParty"),
    no!(W "CII-SR-149", "", "ItemBuyerTradeParty"),
    no!(W "CII-SR-150", "", "IncludedSpecifiedMarketplace"),
    no!(W "CII-SR-447", "", "UltimateCustomerOrderReferencedDocument"),
]);

static PRICE_ALLOWANCE: Table = Table::new(&[r!(F AtMostOne, "CII-SR-440", "ActualAmount",
    "ActualAmount should exist maximum once")]);

static LINE_DELIVERY: Table = Table::new(&[
    no!(W "CII-SR-151", "", "RequestedQuantity"),
    no!(W "CII-SR-152", "", "ReceivedQuantity"),
    no!(W "CII-SR-153", "", "ChargeFreeQuantity"),
    no!(W "CII-SR-154", "", "PackageQuantity"),
    no!(W "CII-SR-155", "", "ProductUnitQuantity"),
    no!(W "CII-SR-156", "", "PerPackageUnitQuantity"),
    no!(W "CII-SR-157", "", "NetWeightMeasure"),
    no!(W "CII-SR-158", "", "GrossWeightMeasure"),
    no!(W "CII-SR-159", "", "TheoreticalWeightMeasure"),
    no!(W "CII-SR-160", "", "DespatchedQuantity"),
    no!(W "CII-SR-161", "", "SpecifiedDeliveryAdjustment"),
    no!(W "CII-SR-162", "", "IncludedSupplyChainPackaging"),
    no!(W "CII-SR-163", "", "RelatedSupplyChainConsignment"),
    no!(W "CII-SR-164", "", "ShipToTradeParty"),
    no!(W "CII-SR-165", "", "UltimateShipToTradeParty"),
    no!(W "CII-SR-166", "", "ShipFromTradeParty"),
    no!(W "CII-SR-167", "", "ActualDespatchSupplyChainEvent"),
    no!(W "CII-SR-168", "", "ActualPickUpSupplyChainEvent"),
    no!(W "CII-SR-169", "", "RequestedDeliverySupplyChainEvent"),
    no!(W "CII-SR-170", "", "ActualDeliverySupplyChainEvent"),
    no!(W "CII-SR-171", "", "ActualReceiptSupplyChainEvent"),
    no!(W "CII-SR-172", "", "AdditionalReferencedDocument"),
    no!(W "CII-SR-173", "", "DespatchAdviceReferencedDocument"),
    no!(W "CII-SR-174", "", "ReceivingAdviceReferencedDocument"),
    no!(W "CII-SR-175", "", "DeliveryNoteReferencedDocument"),
    no!(W "CII-SR-176", "", "ConsumptionReportReferencedDocument"),
    r!(W Kind::Absent, "CII-SR-177", "PackingListReferencedDocument", "RequestedQuantity should not be present"),
]);

static LINE_SETTLEMENT: Table = Table::new(&[
    no!(W "CII-SR-178", "", "PaymentReference"),
    no!(W "CII-SR-179", "", "InvoiceIssuerReference"),
    no!(W "CII-SR-180", "", "TotalAdjustmentAmount"),
    no!(W "CII-SR-181", "", "DiscountIndicator"),
    no!(W "CII-SR-182", "ApplicableTradeTax/", "CalculatedAmount"),
    no!(W "CII-SR-183", "SpecifiedTradeAllowanceCharge/ChargeIndicator/udt:", "IndicatorString"),
    no!(W "CII-SR-184", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!(W "CII-SR-185", "SpecifiedTradeAllowanceCharge/", "SequenceNumeric"),
    no!(W "CII-SR-186", "SpecifiedTradeAllowanceCharge/CalculationPercent/", "@format"),
    no!(W "CII-SR-187", "SpecifiedTradeAllowanceCharge/", "BasisQuantity"),
    no!(W "CII-SR-188", "SpecifiedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!(W "CII-SR-189", "SpecifiedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!(W "CII-SR-190", "SpecifiedTradeAllowanceCharge/", "TypeCode"),
    no!(W "CII-SR-191", "SpecifiedTradeAllowanceCharge/", "CategoryTradeTax"),
    no!(W "CII-SR-192", "SpecifiedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!(W "CII-SR-193", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!(W "CII-SR-194", "", "SubtotalCalculatedTradeTax"),
    no!(W "CII-SR-195", "", "SpecifiedLogisticsServiceCharge"),
    no!(W "CII-SR-196", "", "SpecifiedTradePaymentTerms"),
    no!(W "CII-SR-197", "SpecifiedTradeSettlementLineMonetarySummation/", "ChargeTotalAmount"),
    no!(W "CII-SR-198", "SpecifiedTradeSettlementLineMonetarySummation/", "AllowanceTotalAmount"),
    no!(W "CII-SR-199", "SpecifiedTradeSettlementLineMonetarySummation/", "TaxBasisTotalAmount"),
    no!(W "CII-SR-200", "SpecifiedTradeSettlementLineMonetarySummation/", "TaxTotalAmount"),
    no!(W "CII-SR-201", "SpecifiedTradeSettlementLineMonetarySummation/", "GrandTotalAmount"),
    no!(W "CII-SR-202", "SpecifiedTradeSettlementLineMonetarySummation/", "InformationAmount"),
    no!(W "CII-SR-203", "SpecifiedTradeSettlementLineMonetarySummation/", "TotalAllowanceChargeAmount"),
    no!(W "CII-SR-204", "SpecifiedTradeSettlementLineMonetarySummation/", "TotalRetailValueInformationAmount"),
    no!(W "CII-SR-205", "SpecifiedTradeSettlementLineMonetarySummation/", "GrossLineTotalAmount"),
    no!(W "CII-SR-206", "SpecifiedTradeSettlementLineMonetarySummation/", "NetLineTotalAmount"),
    no!(W "CII-SR-207", "SpecifiedTradeSettlementLineMonetarySummation/", "NetIncludingTaxesLineTotalAmount"),
    no!(W "CII-SR-208", "SpecifiedTradeSettlementLineMonetarySummation/", "ProductWeightLossInformationAmount"),
    no!(W "CII-SR-209", "", "SpecifiedFinancialAdjustment"),
    no!(W "CII-SR-210", "", "InvoiceReferencedDocument"),
    no!(W "CII-SR-212", "", "PayableSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-213", "ReceivableSpecifiedTradeAccountingAccount/", "SetTriggerCode"),
    no!(W "CII-SR-214", "ReceivableSpecifiedTradeAccountingAccount/", "TypeCode"),
    no!(W "CII-SR-215", "ReceivableSpecifiedTradeAccountingAccount/", "AmountTypeCode"),
    no!(W "CII-SR-216", "ReceivableSpecifiedTradeAccountingAccount/", "Name"),
    no!(W "CII-SR-217", "ReceivableSpecifiedTradeAccountingAccount/", "CostReferenceDimensionPattern"),
    no!(W "CII-SR-218", "", "PurchaseSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-219", "", "SalesSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-220", "", "SpecifiedTradeSettlementFinancialCard"),
    r!(W One, "CII-SR-454", "ApplicableTradeTax", "Only one ApplicableTradeTax should be present"),
]);

static HEADER_AGREEMENT: Table = Table::new(&[
    no!(W "CII-SR-442", "", "Reference"),
    no!(W "CII-SR-222", "SellerTradeParty/", "RoleCode"),
    no!(W "CII-SR-223", "SellerTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!(W "CII-SR-224", "SellerTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!(W "CII-SR-225", "SellerTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    r!(W Kind::Absent, "CII-SR-226", "SellerTradeParty/SpecifiedLegalOrganization/AuthorizedLegalRegistration",
        "RoleCode should not be present"),
    no!(W "CII-SR-227", "SellerTradeParty/DefinedTradeContact/", "ID"),
    no!(W "CII-SR-228", "SellerTradeParty/DefinedTradeContact/", "TypeCode"),
    no!(W "CII-SR-229", "SellerTradeParty/DefinedTradeContact/", "JobTitle"),
    no!(W "CII-SR-230", "SellerTradeParty/DefinedTradeContact/", "Responsibility"),
    no!(W "CII-SR-231", "SellerTradeParty/DefinedTradeContact/", "PersonID"),
    no!(W "CII-SR-232", "SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "URIID"),
    no!(W "CII-SR-233", "SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-234", "SellerTradeParty/DefinedTradeContact/", "DirectTelephoneUniversalCommunication"),
    no!(W "CII-SR-235", "SellerTradeParty/DefinedTradeContact/", "MobileTelephoneUniversalCommunication"),
    no!(W "CII-SR-236", "SellerTradeParty/DefinedTradeContact/", "FaxUniversalCommunication"),
    no!(W "CII-SR-237", "SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-238", "SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "CompleteNumber"),
    no!(W "CII-SR-239", "SellerTradeParty/DefinedTradeContact/", "TelexUniversalCommunication"),
    no!(W "CII-SR-240", "SellerTradeParty/DefinedTradeContact/", "VOIPUniversalCommunication"),
    no!(W "CII-SR-241", "SellerTradeParty/DefinedTradeContact/", "InstantMessagingUniversalCommunication"),
    no!(W "CII-SR-242", "SellerTradeParty/DefinedTradeContact/", "SpecifiedNote"),
    no!(W "CII-SR-243", "SellerTradeParty/DefinedTradeContact/", "SpecifiedContactPerson"),
    no!(W "CII-SR-244", "SellerTradeParty/URIUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-245", "SellerTradeParty/URIUniversalCommunication/", "CompleteNumber"),
    no!(W "CII-SR-246", "SellerTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!(W "CII-SR-247", "SellerTradeParty/", "EndPointURIUniversalCommunication"),
    no!(W "CII-SR-248", "SellerTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!(W "CII-SR-249", "BuyerTradeParty/", "RoleCode"),
    no!(W "CII-SR-250", "BuyerTradeParty/", "Description"),
    no!(W "CII-SR-251", "BuyerTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!(W "CII-SR-252", "BuyerTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!(W "CII-SR-254", "BuyerTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    no!(W "CII-SR-255", "BuyerTradeParty/SpecifiedLegalOrganization/", "AuthorizedLegalRegistration"),
    no!(W "CII-SR-256", "BuyerTradeParty/DefinedTradeContact/", "ID"),
    no!(W "CII-SR-257", "BuyerTradeParty/DefinedTradeContact/", "TypeCode"),
    no!(W "CII-SR-258", "BuyerTradeParty/DefinedTradeContact/", "JobTitle"),
    no!(W "CII-SR-259", "BuyerTradeParty/DefinedTradeContact/", "Responsibility"),
    no!(W "CII-SR-260", "BuyerTradeParty/DefinedTradeContact/", "PersonID"),
    no!(W "CII-SR-261", "BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "URIID"),
    no!(W "CII-SR-262", "BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-263", "BuyerTradeParty/DefinedTradeContact/", "DirectTelephoneUniversalCommunication"),
    no!(W "CII-SR-264", "BuyerTradeParty/DefinedTradeContact/", "MobileTelephoneUniversalCommunication"),
    no!(W "CII-SR-265", "BuyerTradeParty/DefinedTradeContact/", "FaxUniversalCommunication"),
    no!(W "CII-SR-266", "BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-267", "BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/", "CompleteNumber"),
    no!(W "CII-SR-268", "BuyerTradeParty/DefinedTradeContact/", "TelexUniversalCommunication"),
    no!(W "CII-SR-269", "BuyerTradeParty/DefinedTradeContact/", "VOIPUniversalCommunication"),
    no!(W "CII-SR-270", "BuyerTradeParty/DefinedTradeContact/", "InstantMessagingUniversalCommunication"),
    no!(W "CII-SR-271", "BuyerTradeParty/DefinedTradeContact/", "SpecifiedNote"),
    no!(W "CII-SR-272", "BuyerTradeParty/DefinedTradeContact/", "SpecifiedContactPerson"),
    no!(W "CII-SR-273", "BuyerTradeParty/URIUniversalCommunication/", "ChannelCode"),
    no!(W "CII-SR-274", "BuyerTradeParty/URIUniversalCommunication/", "CompleteNumber"),
    no!(W "CII-SR-275", "BuyerTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!(W "CII-SR-276", "BuyerTradeParty/", "EndPointURIUniversalCommunication"),
    no!(W "CII-SR-277", "BuyerTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!(W "CII-SR-278", "", "SalesAgentTradeParty"),
    no!(W "CII-SR-279", "", "BuyerRequisitionerTradeParty"),
    no!(W "CII-SR-280", "", "BuyerAssignedAccountantTradeParty"),
    no!(W "CII-SR-281", "", "SellerAssignedAccountantTradeParty"),
    r!(W Kind::Absent, "CII-SR-282", "SellerTaxRepresentativeTradeParty/ID",
        "BuyerTaxRepresentativeTradeParty should not be present"),
    no!(W "CII-SR-283", "SellerTaxRepresentativeTradeParty/", "GlobalID"),
    no!(W "CII-SR-284", "SellerTaxRepresentativeTradeParty/", "RoleCode"),
    no!(W "CII-SR-285", "SellerTaxRepresentativeTradeParty/", "Description"),
    no!(W "CII-SR-286", "SellerTaxRepresentativeTradeParty/", "SpecifiedLegalOrganization"),
    no!(W "CII-SR-287", "SellerTaxRepresentativeTradeParty/", "DefinedTradeContact"),
    no!(W "CII-SR-288", "SellerTaxRepresentativeTradeParty/", "URIUniversalCommunication"),
    no!(W "CII-SR-289", "SellerTaxRepresentativeTradeParty/SpecifiedTaxRegistration/", "AssociatedRegisteredTax"),
    no!(W "CII-SR-290", "SellerTaxRepresentativeTradeParty/", "EndPointURIUniversalCommunication"),
    no!(W "CII-SR-291", "SellerTaxRepresentativeTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!(W "CII-SR-292", "", "ProductEndUserTradeParty"),
    no!(W "CII-SR-293", "", "ApplicableTradeDeliveryTerms"),
    no!(W "CII-SR-294", "SellerOrderReferencedDocument/", "LineID"),
    no!(W "CII-SR-295", "BuyerOrderReferencedDocument/", "LineID"),
    no!(W "CII-SR-296", "", "QuotationReferencedDocument"),
    no!(W "CII-SR-297", "", "OrderResponseReferencedDocument"),
    no!(W "CII-SR-298", "ContractReferencedDocument/", "LineID"),
    no!(W "CII-SR-299", "", "DemandForecastReferencedDocument"),
    no!(W "CII-SR-300", "", "SupplyInstructionReferencedDocument"),
    no!(W "CII-SR-301", "", "PromotionalDealReferencedDocument"),
    no!(W "CII-SR-302", "", "PriceListReferencedDocument"),
    no!(W "CII-SR-303", "AdditionalReferencedDocument/", "LineID"),
    no!(W "CII-SR-304", "", "RequisitionerReferencedDocument"),
    no!(W "CII-SR-305", "", "BuyerAgentTradeParty"),
    no!(W "CII-SR-306", "", "PurchaseConditionsReferencedDocument"),
    no!(W "CII-SR-307", "SpecifiedProcuringProject/", "Description"),
    no!(W "CII-SR-448", "", "UltimateCustomerOrderReferencedDocument"),
    r!(F AtMostOne, "CII-SR-455", "SellerTradeParty/DefinedTradeContact",
        "DefinedTradeContact of SellerTradeParty shall exist maximum once"),
    r!(F AtMostOne, "CII-SR-456", "BuyerTradeParty/DefinedTradeContact",
        "DefinedTradeContact of BuyerTradeParty shall exist maximum once"),
    r!(F AtMostOne, "CII-SR-459", "SellerTradeParty/URIUniversalCommunication",
        "SellerTradeParty URIUniversalCommunication should exist maximum once"),
    r!(F AtMostOne, "CII-SR-460", "BuyerTradeParty/URIUniversalCommunication",
        "BuyerTradeParty URIUniversalCommunication should exist maximum once"),
]);

static HEADER_DELIVERY: Table = Table::new(&[
    no!(W "CII-SR-308", "", "RelatedSupplyChainConsignment"),
    no!(W "CII-SR-309", "ShipToTradeParty/", "RoleCode"),
    no!(W "CII-SR-310", "ShipToTradeParty/", "Description"),
    no!(W "CII-SR-311", "ShipToTradeParty/", "SpecifiedLegalOrganization"),
    no!(W "CII-SR-312", "ShipToTradeParty/", "DefinedTradeContact"),
    no!(W "CII-SR-313", "ShipToTradeParty/", "URIUniversalCommunication"),
    no!(W "CII-SR-314", "ShipToTradeParty/", "SpecifiedTaxRegistration"),
    no!(W "CII-SR-315", "ShipToTradeParty/", "EndPointURIUniversalCommunication"),
    no!(W "CII-SR-316", "ShipToTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!(W "CII-SR-317", "", "UltimateShipToTradeParty"),
    no!(W "CII-SR-318", "", "ShipFromTradeParty"),
    no!(W "CII-SR-319", "", "ActualDespatchSupplyChainEvent"),
    no!(W "CII-SR-320", "", "ActualPickUpSupplyChainEvent"),
    no!(W "CII-SR-321", "ActualDeliverySupplyChainEvent/", "ID"),
    no!(W "CII-SR-322", "ActualDeliverySupplyChainEvent/OccurrenceDateTime/udt:", "DateTime"),
    no!(W "CII-SR-323", "ActualDeliverySupplyChainEvent/", "TypeCode"),
    no!(W "CII-SR-324", "ActualDeliverySupplyChainEvent/", "Description"),
    no!(W "CII-SR-325", "ActualDeliverySupplyChainEvent/", "DescriptionBinaryObject"),
    no!(W "CII-SR-326", "ActualDeliverySupplyChainEvent/", "UnitQuantity"),
    no!(W "CII-SR-327", "ActualDeliverySupplyChainEvent/", "LatestOccurrenceDateTime"),
    no!(W "CII-SR-328", "ActualDeliverySupplyChainEvent/", "EarliestOccurrenceDateTime"),
    no!(W "CII-SR-329", "ActualDeliverySupplyChainEvent/", "OccurrenceSpecifiedPeriod"),
    no!(W "CII-SR-330", "ActualDeliverySupplyChainEvent/", "OccurrenceLogisticsLocation"),
    no!(W "CII-SR-331", "", "ActualReceiptSupplyChainEvent"),
    no!(W "CII-SR-332", "", "AdditionalReferencedDocument"),
    no!(W "CII-SR-333", "DespatchAdviceReferencedDocument/", "LineID"),
    no!(W "CII-SR-334", "DespatchAdviceReferencedDocument/", "LineID"),
    no!(W "CII-SR-335", "", "DeliveryNoteReferencedDocument"),
    no!(W "CII-SR-336", "", "ConsumptionReportReferencedDocument"),
    no!(W "CII-SR-337", "", "PreviousDeliverySupplyChainEvent"),
    no!(W "CII-SR-338", "", "PackingListReferencedDocument"),
]);

static HEADER_SETTLEMENT: Table = Table::new(&[
    no!(W "CII-SR-339", "", "DuePayableAmount"),
    no!(W "CII-SR-340", "", "CreditorReferenceTypeCode"),
    no!(W "CII-SR-341", "", "CreditorReferenceType"),
    no!(W "CII-SR-342", "", "CreditorReferenceIssuerID"),
    no!(W "CII-SR-344", "", "PaymentCurrencyCode"),
    no!(W "CII-SR-345", "", "InvoiceIssuerReference"),
    no!(W "CII-SR-346", "", "InvoiceDateTime"),
    no!(W "CII-SR-347", "", "NextInvoiceDateTime"),
    no!(W "CII-SR-348", "", "CreditReasonCode"),
    no!(W "CII-SR-349", "", "CreditReason"),
    no!(W "CII-SR-350", "", "InvoicerTradeParty"),
    no!(W "CII-SR-351", "", "InvoiceeTradeParty"),
    no!(W "CII-SR-352", "PayeeTradeParty/", "RoleCode"),
    no!(W "CII-SR-353", "PayeeTradeParty/", "Description"),
    no!(W "CII-SR-354", "PayeeTradeParty/SpecifiedLegalOrganization/", "LegalClassificationCode"),
    no!(W "CII-SR-355", "PayeeTradeParty/SpecifiedLegalOrganization/", "Name"),
    no!(W "CII-SR-356", "PayeeTradeParty/SpecifiedLegalOrganization/", "TradingBusinessName"),
    no!(W "CII-SR-357", "PayeeTradeParty/SpecifiedLegalOrganization/", "PostalTradeAddress"),
    no!(W "CII-SR-358", "PayeeTradeParty/SpecifiedLegalOrganization/", "AuthorizedLegalRegistration"),
    no!(W "CII-SR-359", "PayeeTradeParty/", "DefinedTradeContact"),
    no!(W "CII-SR-360", "PayeeTradeParty/", "PostalTradeAddress"),
    no!(W "CII-SR-361", "PayeeTradeParty/", "URIUniversalCommunication"),
    no!(W "CII-SR-362", "PayeeTradeParty/", "SpecifiedTaxRegistration"),
    no!(W "CII-SR-363", "PayeeTradeParty/", "EndPointURIUniversalCommunication"),
    no!(W "CII-SR-364", "PayeeTradeParty/", "LogoAssociatedSpecifiedBinaryFile"),
    no!(W "CII-SR-365", "", "PayerTradeParty"),
    no!(W "CII-SR-366", "", "TaxApplicableTradeCurrencyExchange"),
    no!(W "CII-SR-367", "", "InvoiceApplicableTradeCurrencyExchange"),
    no!(W "CII-SR-368", "", "PaymentApplicableTradeCurrencyExchange"),
    no!(W "CII-SR-369", "SpecifiedTradeSettlementPaymentMeans/", "PaymentChannelCode"),
    no!(W "CII-SR-370", "SpecifiedTradeSettlementPaymentMeans/", "GuaranteeMethodCode"),
    no!(W "CII-SR-371", "SpecifiedTradeSettlementPaymentMeans/", "PaymentMethodCode"),
    no!(W "CII-SR-443", "SpecifiedTradeSettlementPaymentMeans/", "ID"),
    no!(W "CII-SR-372", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "MicrochipIndicator"),
    no!(W "CII-SR-373", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "TypeCode"),
    no!(W "CII-SR-375", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "ExpiryDate"),
    no!(W "CII-SR-376", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "VerificationNumeric"),
    no!(W "CII-SR-377", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "ValidFromDateTime"),
    r!(W Kind::Absent, "CII-SR-378",
        "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/CreditLimitAmount",
        "CreditLimitAmountshould not be present"),
    no!(W "CII-SR-379", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "CreditAvailableAmount"),
    no!(W "CII-SR-380", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "InterestRatePercent"),
    no!(W "CII-SR-381", "SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/", "Description"),
    no!(W "CII-SR-382", "SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount/", "AccountName"),
    no!(W "CII-SR-444", "SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount/", "ProprietaryID"),
    no!(W "CII-SR-384", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "ClearingSystemName"),
    no!(W "CII-SR-385", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "Name"),
    no!(W "CII-SR-386", "SpecifiedTradeSettlementPaymentMeans/PayerSpecifiedDebtorFinancialInstitution/", "LocationFinancialInstitutionAddress"),
    no!(W "CII-SR-388", "SpecifiedTradeAllowanceCharge/", "ID"),
    no!(W "CII-SR-389", "SpecifiedTradeAllowanceCharge/", "SequenceNumeric"),
    no!(W "CII-SR-390", "SpecifiedTradeAllowanceCharge/", "BasisQuantity"),
    no!(W "CII-SR-391", "SpecifiedTradeAllowanceCharge/", "PrepaidIndicator"),
    no!(W "CII-SR-392", "SpecifiedTradeAllowanceCharge/", "UnitBasisAmount"),
    no!(W "CII-SR-393", "SpecifiedTradeAllowanceCharge/", "TypeCode"),
    no!(W "CII-SR-394", "SpecifiedTradeAllowanceCharge/", "ActualTradeCurrencyExchange"),
    no!(W "CII-SR-395", "", "SubtotalCalculatedTradeTax"),
    no!(W "CII-SR-396", "", "SpecifiedLogisticsServiceCharge"),
    no!(W "CII-SR-397", "SpecifiedTradePaymentTerms/", "ID"),
    no!(W "CII-SR-398", "SpecifiedTradePaymentTerms/", "FromEventCode"),
    no!(W "CII-SR-399", "SpecifiedTradePaymentTerms/", "SettlementPeriodMeasure"),
    no!(W "CII-SR-400", "SpecifiedTradePaymentTerms/DueDateDateTime/udt:", "DateTime"),
    no!(W "CII-SR-401", "SpecifiedTradePaymentTerms/", "TypeCode"),
    no!(W "CII-SR-402", "SpecifiedTradePaymentTerms/", "InstructionTypeCode"),
    no!(W "CII-SR-404", "SpecifiedTradePaymentTerms/", "PartialPaymentPercent"),
    no!(W "CII-SR-405", "SpecifiedTradePaymentTerms/", "PaymentMeansID"),
    no!(W "CII-SR-406", "SpecifiedTradePaymentTerms/", "PartialPaymentAmount"),
    no!(W "CII-SR-407", "SpecifiedTradePaymentTerms/", "ApplicableTradePaymentPenaltyTerms"),
    no!(W "CII-SR-408", "SpecifiedTradePaymentTerms/", "ApplicableTradePaymentDiscountTerms"),
    no!(W "CII-SR-409", "SpecifiedTradePaymentTerms/", "PayeeTradeParty"),
    no!(W "CII-SR-421", "", "SpecifiedFinancialAdjustment"),
    no!(W "CII-SR-422", "InvoiceReferencedDocument/", "LineID"),
    no!(W "CII-SR-423", "", "ProFormaInvoiceReferencedDocument"),
    no!(W "CII-SR-424", "", "LetterOfCreditReferencedDocument"),
    no!(W "CII-SR-425", "", "FactoringAgreementReferencedDocument"),
    no!(W "CII-SR-426", "", "FactoringListReferencedDocument"),
    no!(W "CII-SR-427", "", "PayableSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-428", "ReceivableSpecifiedTradeAccountingAccount/", "SetTriggerCode"),
    no!(W "CII-SR-429", "ReceivableSpecifiedTradeAccountingAccount/", "TypeCode"),
    no!(W "CII-SR-430", "ReceivableSpecifiedTradeAccountingAccount/", "AmountTypeCode"),
    no!(W "CII-SR-431", "ReceivableSpecifiedTradeAccountingAccount/", "Name"),
    no!(W "CII-SR-432", "ReceivableSpecifiedTradeAccountingAccount/", "CostReferenceDimensionPattern"),
    no!(W "CII-SR-433", "", "PurchaseSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-434", "", "SalesSpecifiedTradeAccountingAccount"),
    no!(W "CII-SR-435", "", "SpecifiedTradeSettlementFinancialCard"),
    no!(W "CII-SR-436", "", "SpecifiedAdvancePayment"),
    no!(W "CII-SR-437", "", "UltimatePayeeTradeParty"),
    r!(W AtMostOne, "CII-SR-452", "SpecifiedTradePaymentTerms",
        "Only one SpecifiedTradePaymentTerms should be present"),
    r!(W AtMostOne, "CII-SR-453", "SpecifiedTradePaymentTerms/Description",
        "Only one SpecifiedTradePaymentTerms Description should be present"),
    r!(F AtMostOne, "CII-SR-461", "ApplicableTradeTax/TaxPointDate", "Only one TaxPointDate shall be present"),
]);

static HEADER_TOTALS: Table = Table::new(&[
    no!(W "CII-SR-411", "", "InformationAmount"),
    no!(W "CII-SR-412", "", "TotalDiscountAmount"),
    no!(W "CII-SR-413", "", "TotalAllowanceChargeAmount"),
    no!(W "CII-SR-414", "", "RetailValueExcludingTaxInformationAmount"),
    no!(W "CII-SR-415", "", "TotalDepositFeeInformationAmount"),
    no!(W "CII-SR-416", "", "ProductValueExcludingTobaccoTaxInformationAmount"),
    no!(W "CII-SR-417", "", "TotalRetailValueInformationAmount"),
    no!(W "CII-SR-418", "", "GrossLineTotalAmount"),
    no!(W "CII-SR-419", "", "NetLineTotalAmount"),
    no!(W "CII-SR-420", "", "NetIncludingTaxesLineTotalAmount"),
]);

static ROOT: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-013", "@languageID", "languageID should not be present"),
    r!(F Kind::Absent, "CII-DT-014", "@languageLocaleID", "languageLocaleID should not be present"),
    no!(W "CII-SR-438", "", "ValuationBreakdownStatement"),
]);

// ---- contexts matched anywhere (`//...`) ----

static CONTEXT_PARAMETER: Table = Table::new(&[
    r!(W Kind::Absent, "CII-SR-04", "Value", "Value should not be present"),
    r!(W Kind::Absent, "CII-SR-05", "SpecifiedDocumentVersion", "SpecifiedDocumentVersion should not be present"),
]);

/// Identifiers that take no attributes at all.
static ID_NO_ATTRIBUTES: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-001", "@schemeName", "schemeName should not be present"),
    r!(F Kind::Absent, "CII-DT-002", "@schemeAgencyName", "schemeAgencyName should not be present"),
    r!(F Kind::Absent, "CII-DT-003", "@schemeDataURI", "schemeDataURI should not be present"),
    r!(F Kind::Absent, "CII-DT-004", "@schemeURI", "schemeURI should not be present"),
    r!(F Kind::Absent, "CII-DT-005", "@schemeID", "schemeID should not be present"),
    r!(F Kind::Absent, "CII-DT-006", "@schemeAgencyID", "schemeAgencyID should not be present"),
    r!(F Kind::Absent, "CII-DT-007", "@schemeVersionID", "schemeVersionID should not be present"),
]);

/// `//ram:*[ends-with(name(), 'ID')]`; the artefacts give these asserts the
/// ids CII-DT-0010 to -0040.
static ID: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-0010", "@schemeName", "schemeName should not be present"),
    r!(F Kind::Absent, "CII-DT-0020", "@schemeAgencyName", "schemeAgencyName should not be present"),
    r!(F Kind::Absent, "CII-DT-0030", "@schemeDataURI", "schemeDataURI should not be present"),
    r!(F Kind::Absent, "CII-DT-0040", "@schemeURI", "schemeURI should not be present"),
]);

static TYPE_CODE: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-008", "@name", "name should not be present"),
    r!(F Kind::Absent, "CII-DT-009", "@listURI", "listURI should not be present"),
]);

static DOCUMENT_TYPE_CODE: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-010", "@listID", "listID should not be present"),
    r!(F Kind::Absent, "CII-DT-011", "@listAgencyID", "listAgencyID should not be present"),
    r!(F Kind::Absent, "CII-DT-012", "@listVersionID", "listVersionID should not be present"),
]);

static LINE_CATEGORY_CODE: Table = Table::new(&[
    r!(W Kind::Absent, "CII-DT-045", "@listID", "@listID should not be present"),
    r!(W Kind::Absent, "CII-DT-046", "@listAgencyID", "@listAgencyID should not be present"),
    r!(W Kind::Absent, "CII-DT-047", "@listVersionID", "@listVersionID should not be present"),
    r!(W Kind::Absent, "CII-DT-048", "@listURI", "@listURI should not be present"),
]);

const ADDITIONAL_916: Kind = Kind::AbsentUnless(Except::Additional(&["916"]));

static REFERENCED_DOCUMENT: Table = Table::new(&[
    r!(F ADDITIONAL_916, "CII-DT-015", "URIID", "URIID should not be present"),
    no!(F "CII-DT-016", "", "StatusCode"),
    no!(F "CII-DT-017", "", "CopyIndicator"),
    r!(F Kind::AbsentUnless(Except::Additional(&["50", "130", "916"])), "CII-DT-018", "TypeCode",
        "TypeCode should not be present"),
    no!(F "CII-DT-019", "", "GlobalID"),
    no!(F "CII-DT-020", "", "RevisionID"),
    r!(F ADDITIONAL_916, "CII-DT-021", "Name", "Name should not be present"),
    r!(F ADDITIONAL_916, "CII-DT-022", "AttachmentBinaryObject", "AttachmentBinaryObject should not be present"),
    no!(F "CII-DT-023", "", "Information"),
    r!(F Kind::AbsentUnless(Except::Additional(&["130"])), "CII-DT-024", "ReferenceTypeCode",
        "ReferenceTypeCode should not be present"),
    no!(F "CII-DT-025", "", "SectionName"),
    no!(F "CII-DT-026", "", "PreviousRevisionID"),
    r!(F Kind::AbsentUnless(Except::SelfIs("InvoiceReferencedDocument")), "CII-DT-027", "FormattedIssueDateTime",
        "FormattedIssueDateTime should not be present"),
    no!(F "CII-DT-028", "", "EffectiveSpecifiedPeriod"),
    no!(F "CII-DT-029", "", "IssuerTradeParty"),
    no!(F "CII-DT-030", "", "AttachedSpecifiedBinaryFile"),
]);

static AMOUNT: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-031", "@currencyID", "currencyID should not be present"),
    r!(F Kind::Absent, "CII-DT-032", "@currencyCodeListVersionID", "currencyCodeListVersionID should not be present"),
]);

static QUANTITY: Table = Table::new(&[
    r!(F Kind::Absent, "CII-DT-034", "@unitCodeListID", "unitCodeListID should not be present"),
    r!(F Kind::Absent, "CII-DT-035", "@unitCodeListAgencyID", "unitCodeListAgencyID should not be present"),
    r!(F Kind::Absent, "CII-DT-036", "@unitCodeListAgencyName", "unitCodeListAgencyName should not be present"),
]);

const IN_HEADER: Kind = Kind::AbsentUnless(Except::InHeaderSettlement);
const SELF_TAX: Kind = Kind::AbsentUnless(Except::SelfIs("ApplicableTradeTax"));

static TRADE_TAX: Table = Table::new(&[
    no!(W "CII-DT-038", "", "CalculatedRate"),
    no!(W "CII-DT-039", "", "CalculationSequenceNumeric"),
    no!(W "CII-DT-040", "", "BasisQuantity"),
    r!(W IN_HEADER, "CII-DT-041", "BasisAmount", "BasisAmount should not be present"),
    no!(W "CII-DT-042", "", "UnitBasisAmount"),
    no!(W "CII-DT-043", "", "LineTotalBasisAmount"),
    no!(W "CII-DT-044", "", "AllowanceChargeBasisAmount"),
    no!(W "CII-DT-049", "", "CurrencyCode"),
    no!(W "CII-DT-050", "", "Jurisdiction"),
    no!(W "CII-DT-051", "", "CustomsDutyIndicator"),
    r!(W SELF_TAX, "CII-DT-052", "ExemptionReasonCode", "ExemptionReasonCode should not be present"),
    r!(W SELF_TAX, "CII-DT-098", "ExemptionReason", "ExemptionReason should not be present"),
    no!(W "CII-DT-053", "", "TaxBasisAllowanceRate"),
    r!(W IN_HEADER, "CII-DT-054", "TaxPointDate", "TaxPointDate should not be present"),
    no!(W "CII-DT-055", "", "Type"),
    no!(W "CII-DT-056", "", "InformationAmount"),
    no!(W "CII-DT-057", "", "CategoryName"),
    r!(W IN_HEADER, "CII-DT-058", "DueDateTypeCode", "DueDateTypeCode should not be present"),
    r!(W Kind::Absent, "CII-DT-059", "RateApplicablePercent/@format", "@format should not be present"),
    no!(W "CII-DT-060", "", "SpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-061", "", "ServiceSupplyTradeCountry"),
    no!(W "CII-DT-062", "", "BuyerRepayableTaxSpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-063", "", "SellerPayableTaxSpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-064", "", "SellerRefundableTaxSpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-065", "", "BuyerDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-066", "", "BuyerNonDeductibleTaxSpecifiedTradeAccountingAccount"),
    no!(W "CII-DT-067", "", "PlaceApplicableTradeLocation"),
]);

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
    rules: &'static [Rule],
    index: OnceLock<Index>,
}

const MAX_RULES: usize = 128;
const MAX_COUNTED: usize = 16;

impl Table {
    const fn new(rules: &'static [Rule]) -> Table {
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

fn fire(r: &Rule, out: &mut Out) {
    out.push(r.fatal, r.id, r.msg, "");
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
fn one_party_identifier(
    ctx: Node<'_>,
    party: &str,
    id: &'static str,
    msg: &'static str,
    out: &mut Out,
) {
    let both = ctx.children_named(RAM, party).any(|p| has(p, "ID"))
        && ctx.children_named(RAM, party).any(|p| has(p, "GlobalID"));
    out.check_warning(!both, id, msg, "");
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
            one_party_identifier(
                a,
                "BuyerTradeParty",
                "CII-SR-450",
                "Only one  buyer identifier should be present (either the ID or the Global ID)",
                out,
            );
            out.check_warning(
                additional_documents(a, |c| c == "50") <= 1,
                "CII-SR-457",
                "IssuerAssignedID with TypeCode 50 should exist maximum once",
                "",
            );
            out.check_warning(
                additional_documents(a, |c| c == "130") <= 1,
                "CII-SR-458",
                "IssuerAssignedID with TypeCode 130 should exist maximum once",
                "",
            );
        }
        for d in t.children_named(RAM, "ApplicableHeaderTradeDelivery") {
            HEADER_DELIVERY.run(d, false, out);
            one_party_identifier(d, "ShipToTradeParty", "CII-SR-449",
                "Only one delivery to location identifier should be present (either the ID or the Global ID)", out);
        }
        for s in t.children_named(RAM, "ApplicableHeaderTradeSettlement") {
            HEADER_SETTLEMENT.run(s, true, out);
            one_party_identifier(
                s,
                "PayeeTradeParty",
                "CII-SR-451",
                "Only one payee identifier should be present (either the ID or the Global ID)",
                out,
            );
            out.check(
                !mixed,
                "CII-SR-462",
                "Only one DueDateTypeCode shall be present",
                "",
            );
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
                out.check_warning(
                    n130 <= 1,
                    "CII-SR-474",
                    "An invoice line shall not contain more than one AdditionalReferencedDocument with TypeCode 130.",
                    "",
                );
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
    out.check(
        !global || scheme,
        "CII-SR-046",
        "schemeID must be present if GlobalID is present",
        "",
    );
    let origin = p.children_named(RAM, "OriginTradeCountry").count();
    let origin_ids = count(p, "OriginTradeCountry/ID", usize::MAX);
    out.check(
        origin == 0 || origin_ids == 1,
        "CII-SR-090",
        "ID should exist maximum once.",
        "",
    );
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
    out.check_warning(
        ok,
        "CII-SR-119",
        "Only allowances on price a price should be present",
        "",
    );
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
                self.out.check(
                    ok,
                    "CII-DT-097",
                    "Date time string with format attribute 102 shall be YYYYMMDD.",
                    "",
                );
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
                    "CII-DT-033",
                    "unitCode should not be present",
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
                self.out
                    .check(!any || vat, "CII-DT-037", "TypeCode shall be 'VAT'", "");
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
        let mut ids: Vec<(&'static str, bool)> =
            out.fired.iter().map(|f| (f.rule, f.fatal)).collect();
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
