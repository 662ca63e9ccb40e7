//! The invoice line contexts of the CII syntax binding rules (their
//! `xsl:template` match and priority in the CII XSLT).

use super::table::Kind::*;
use super::table::{no, r, Table};

/// `/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem` (1026).
#[rustfmt::skip]
pub(super) static LINE: Table = Table::new(&[
    no!("CII-SR-035", "", "DescriptionCode"),
    no!("CII-SR-036", "", "ParentLineID"),
    no!("CII-SR-037", "", "LineStatusCode"),
    no!("CII-SR-038", "", "LineStatusReasonCode"),
    no!("CII-SR-221", "", "IncludedSubordinateTradeLineItem"),
]);

/// `…/ram:IncludedSupplyChainTradeLineItem/ram:AssociatedDocumentLineDocument` (1025).
#[rustfmt::skip]
pub(super) static LINE_DOCUMENT: Table = Table::new(&[
    r!(AtMostOne, "CII-SR-039", "IncludedNote"),
    r!(AtMostOne, "CII-SR-040", "IncludedNote/Content"),
    no!("CII-SR-041", "IncludedNote/", "SubjectCode"),
    no!("CII-SR-042", "IncludedNote/", "ID"),
    r!(Absent, "CII-SR-043", "IncludedNote/Subject"),
    r!(Absent, "CII-SR-044", "IncludedNote/ContentCode"),
]);

/// `…/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct` (1024).
#[rustfmt::skip]
pub(super) static PRODUCT: Table = Table::new(&[
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
    r!(Absent, "CII-SR-101", "BrandOwnerTradeParty"),
    r!(Absent, "CII-SR-102", "IncludedReferencedProduct"),
    r!(Absent, "CII-SR-103", "InformationNote"),
]);

/// `…/ram:SpecifiedTradeProduct/ram:ApplicableProductCharacteristic` (1023).
#[rustfmt::skip]
pub(super) static CHARACTERISTIC: Table = Table::new(&[
    r!(One, "CII-SR-069", "Description"),
    r!(One, "CII-SR-072", "Value"),
]);

/// `…/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeAgreement` (1022).
#[rustfmt::skip]
pub(super) static LINE_AGREEMENT: Table = Table::new(&[
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

/// `//ram:SpecifiedTradeAllowanceCharge` (1021), wherever it is, but
/// CII-SR-463.
#[rustfmt::skip]
pub(super) static ALLOWANCE_CHARGE: Table = Table::new(&[
    r!(AtMostOne, "CII-SR-471", "RateApplicablePercent"),
    r!(AtMostOne, "CII-SR-472", "CategoryTradeTax"),
    r!(AtMostOne, "CII-SR-473", "ActualAmount"),
]);

/// `//ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge` (1020).
#[rustfmt::skip]
pub(super) static PRICE_ALLOWANCE: Table = Table::new(&[r!(AtMostOne, "CII-SR-440", "ActualAmount")]);

/// `…/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeDelivery` (1019).
#[rustfmt::skip]
pub(super) static LINE_DELIVERY: Table = Table::new(&[
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
    r!(Absent, "CII-SR-177", "PackingListReferencedDocument"),
]);

/// `…/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement` (1018).
#[rustfmt::skip]
pub(super) static LINE_SETTLEMENT: Table = Table::new(&[
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
