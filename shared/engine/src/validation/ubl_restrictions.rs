//! UBL restriction warnings of the EN 16931 artefacts: UBL-CR-001…682 ("A UBL
//! invoice should not include …": UBL elements and attributes outside the
//! EN 16931 binding) and UBL-DT-08…28 (data-type attributes that should not be
//! used). All are warnings except UBL-CR-673, which the artefacts flag fatal.
//!
//! Most rules are "this child path below the document root must not exist".
//! They are kept in one table ([`TABLE`]), compiled once into a trie of path
//! steps, and the document is checked in a single walk: elements on a trie
//! path are matched against the trie, every element's attributes are checked
//! against the attribute rules, and the few "anywhere in the document" rules
//! (`//x/y/@z` in the artefacts) are tested on the element they concern.

use std::sync::OnceLock;

use crate::binding::ubl::{CAC, CBC};
use crate::input::xml::{Node, Ns};
use crate::validation::rule::{find, Out, Rule};

/// The message every UBL-CR text starts with.
const LEAD: &str = "A UBL invoice should not include the ";

/// The plain path rules. One entry per line:
///
/// * `@ steps [= words]` sets the current prefix (`@` alone: the document
///   root). `words` replaces the prefix's part of the derived message (the
///   artefacts word some families shorter than the path).
/// * `nnn steps[@attr] [| message]` is rule UBL-CR-nnn: the prefix followed
///   by `steps` (may be empty) must not exist below the root (with attribute
///   `attr`, when given). The message is [`LEAD`] plus the local names of the
///   path joined by spaces, unless `| message` gives the words after LEAD.
/// * `nnn+ docref` expands to the 16 document-reference leaves numbered from
///   nnn (CopyIndicator … ResultOfVerification).
///
/// Steps are `cac:Name` / `cbc:Name` separated by `/`; the step `Line` stands
/// for the invoice line and the credit-note line (cac:InvoiceLine and
/// cac:CreditNoteLine), as in the artefacts.
const TABLE: &str = "
@
003 cbc:ProfileExecutionID
004 cbc:CopyIndicator
005 cbc:UUID
006 cbc:IssueTime
007 cbc:PricingCurrencyCode
008 cbc:PaymentCurrencyCode
009 cbc:PaymentAlternativeCurrencyCode
010 cbc:AccountingCostCode
011 cbc:LineCountNumeric
077 cac:StatementDocumentReference
137 cac:Signature
294 cac:BuyerCustomerParty
295 cac:SellerSupplierParty
410 cac:DeliveryTerms
470 cac:PrepaidPayment
490 cac:TaxExchangeRate
491 cac:PricingExchangeRate
492 cac:PaymentExchangeRate
493 cac:PaymentAlternativeExchangeRate
513 cac:WithholdingTaxTotal
514 cac:LegalMonetaryTotal/cbc:PayableAlternativeAmount
648 cbc:CustomizationID@schemeID
649 cbc:ProfileID@schemeID
650 cbc:ID@schemeID
651 cbc:SalesOrderID@schemeID
656 cbc:InvoiceTypeCode@listID
657 cbc:DocumentCurrencyCode@listID
658 cbc:TaxCurrencyCode@listID
659 cac:AdditionalDocumentReference/cbc:DocumentTypeCode@listID
672 cbc:CreditNoteTypeCode@listID
@ cac:InvoicePeriod
012 cbc:StartTime
013 cbc:EndTime
014 cbc:DurationMeasure
015 cbc:Description
@ cac:OrderReference
016 cbc:CopyIndicator
017 cbc:UUID
018 cbc:IssueDate
019 cbc:IssueTime
020 cbc:CustomerReference
021 cbc:OrderTypeCode
022 cbc:DocumentReference
@ cac:BillingReference/cac:InvoiceDocumentReference = BillingReference
023 cbc:CopyIndicator
024 cbc:UUID
025 cbc:IssueTime
026 cbc:DocumentTypeCode
027 cbc:DocumentType
028 cbc:Xpath
029 cbc:LanguageID
030 cbc:LocaleCode
031 cbc:VersionID
032 cbc:DocumentStatusCode
033 cbc:DocumentDescription | BillingReference DocumenDescription
034 cac:Attachment
035 cac:ValidityPeriod
036 cac:IssuerParty
037 cac:ResultOfVerification
@ cac:BillingReference
038 cac:SelfBilledInvoiceDocumentReference
039 cac:CreditNoteDocumentReference
040 cac:SelfBilledCreditNoteDocumentReference
041 cac:DebitNoteDocumentReference
042 cac:ReminderDocumentReference
043 cac:AdditionalDocumentReference
044 cac:BillingReferenceLine
@ cac:DespatchDocumentReference
045+ docref
@ cac:ReceiptDocumentReference
061+ docref
@ cac:OriginatorDocumentReference
078+ docref
@ cac:ContractDocumentReference
094+ docref
@ cac:AdditionalDocumentReference
110 cbc:CopyIndicator
111 cbc:UUID
112 cbc:IssueDate
113 cbc:IssueTime
114 cbc:DocumentType
115 cbc:Xpath
116 cbc:LanguageID
117 cbc:LocaleCode
118 cbc:VersionID
119 cbc:DocumentStatusCode
131 cac:ValidityPeriod
132 cac:IssuerParty
133 cac:ResultOfVerification
@ cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference
121 cbc:DocumentHash
122 cbc:HashAlgorithmMethod
123 cbc:ExpiryDate
124 cbc:ExpiryTime
125 cbc:MimeCode
126 cbc:FormatCode
127 cbc:EncodingCode
128 cbc:CharacterSetCode
129 cbc:FileName
130 cbc:Description
@ cac:ProjectReference
134 cbc:UUID
135 cbc:IssueDate
136 cac:WorkPhaseReference
@ cac:AccountingSupplierParty
138 cbc:CustomerAssignedAccountID
139 cbc:AdditionalAccountID
140 cbc:DataSendingCapability
198 cac:DespatchContact
199 cac:AccountingContact
200 cac:SellerContact
@ cac:AccountingSupplierParty/cac:Party
141 cbc:MarkCareIndicator
142 cbc:MarkAttentionIndicator
143 cbc:WebsiteURI
144 cbc:LogoReferenceID
145 cbc:IndustryClassificationCode
146 cac:Language
168 cac:PhysicalLocation
193 cac:Person
194 cac:AgentParty
195 cac:ServiceProviderParty
196 cac:PowerOfAttorney
197 cac:FinancialAccount
@ cac:AccountingSupplierParty/cac:Party/cac:PostalAddress
147+ address
@ cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme
169+ taxscheme
@ cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity
178 cbc:RegistrationDate
179 cbc:RegistrationExpirationDate
180 cbc:CompanyLegalFormCode
181 cbc:SoleProprietorshipIndicator
182 cbc:CompanyLiquidationStatusCode
183 cbc:CorporationStockAmount
184 cbc:FullyPaidSharesIndicator
185 cac:RegistrationAddress
186 cac:CorporateRegistrationScheme
187 cac:HeadOfficeParty
188 cac:ShareholderParty
@ cac:AccountingSupplierParty/cac:Party/cac:Contact
189 cbc:ID
190 cbc:Telefax
191 cbc:Note
192 cac:OtherCommunication
@ cac:AccountingCustomerParty
201 cbc:CustomerAssignedAccountID
202 cbc:SupplierAssignedAccountID
203 cbc:AdditionalAccountID
262 cac:DeliveryContact
263 cac:AccountingContact
264 cac:BuyerContact
@ cac:AccountingCustomerParty/cac:Party
204 cbc:MarkCareIndicator
205 cbc:MarkAttentionIndicator
206 cbc:WebsiteURI
207 cbc:LogoReferenceID
208 cbc:IndustryClassificationCode
209 cac:Language
231 cac:PhysicalLocation
257 cac:Person
258 cac:AgentParty
259 cac:ServiceProviderParty
260 cac:PowerOfAttorney
261 cac:FinancialAccount
@ cac:AccountingCustomerParty/cac:Party/cac:PostalAddress
210+ address
@ cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme
232+ taxscheme
@ cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity
241 cbc:RegistrationDate
242 cbc:RegistrationExpirationDate
243 cbc:CompanyLegalFormCode
244 cbc:CompanyLegalForm
245 cbc:SoleProprietorshipIndicator
246 cbc:CompanyLiquidationStatusCode
247 cbc:CorporationStockAmount
248 cbc:FullyPaidSharesIndicator
249 cac:RegistrationAddress
250 cac:CorporateRegistrationScheme
251 cac:HeadOfficeParty
252 cac:ShareholderParty
@ cac:AccountingCustomerParty/cac:Party/cac:Contact
253 cbc:ID
254 cbc:Telefax
255 cbc:Note
256 cac:OtherCommunication
@ cac:PayeeParty
265 cbc:MarkCareIndicator
266 cbc:MarkAttentionIndicator
267 cbc:WebsiteURI
268 cbc:LogoReferenceID
269 cbc:EndpointID
270 cbc:IndustryClassificationCode
271 cac:Language
272 cac:PostalAddress
273 cac:PhysicalLocation
274 cac:PartyTaxScheme
288 cac:Contact
289 cac:Person
290 cac:AgentParty
291 cac:ServiceProviderParty
292 cac:PowerOfAttorney
293 cac:FinancialAccount
@ cac:PayeeParty/cac:PartyLegalEntity
275 cbc:RegistrationName
276 cbc:RegistrationDate
277 cbc:RegistrationExpirationDate
278 cbc:CompanyLegalFormCode
279 cbc:CompanyLegalForm
280 cbc:SoleProprietorshipIndicator
281 cbc:CompanyLiquidationStatusCode
282 cbc:CorporationStockAmount
283 cbc:FullyPaidSharesIndicator
284 cac:RegistrationAddress
285 cac:CorporateRegistrationScheme
286 cac:HeadOfficeParty
287 cac:ShareholderParty
@ cac:TaxRepresentativeParty
296 cbc:MarkCareIndicator
297 cbc:MarkAttentionIndicator
298 cbc:WebsiteURI
299 cbc:LogoReferenceID
300 cbc:EndpointID
301 cbc:IndustryClassificationCode
302 cac:PartyIdentification
303 cac:Language
325 cac:PhysicalLocation
335 cac:PartyLegalEntity
336 cac:Contact
337 cac:Person
338 cac:AgentParty
339 cac:ServiceProviderParty
340 cac:PowerOfAttorney
341 cac:FinancialAccount
@ cac:TaxRepresentativeParty/cac:PostalAddress
304+ address
@ cac:TaxRepresentativeParty/cac:PartyTaxScheme
326+ taxscheme
@ cac:Delivery
342 cbc:ID
343 cbc:Quantity
344 cbc:MinimumQuantity
345 cbc:MaximumQuantity
346 cbc:ActualDeliveryTime
347 cbc:LatestDeliveryDate
348 cbc:LatestDeliveryTime
349 cbc:ReleaseID
350 cbc:TrackingID
382 cac:AlternativeDeliveryLocation
383 cac:RequestedDeliveryPeriod
384 cac:PromisedDeliveryPeriod
385 cac:CarrierParty
404 cac:NotifyParty
405 cac:Despatch
406 cac:DeliveryTerms
407 cac:MinimumDeliveryUnit
408 cac:MaximumDeliveryUnit
409 cac:Shipment
682 cac:DeliveryAddress
@ cac:Delivery/cac:DeliveryLocation
351 cbc:Description
352 cbc:Conditions
353 cbc:CountrySubentity
354 cbc:CountrySubentityCode
355 cbc:LocationTypeCode
356 cbc:InformationURI
357 cbc:Name
358 cac:ValidationPeriod
380 cac:SubsidiaryLocation
381 cac:LocationCoordinate
@ cac:Delivery/cac:DeliveryLocation/cac:Address
359+ address
@ cac:Delivery/cac:DeliveryParty
386 cbc:MarkCareIndicator
387 cbc:MarkAttentionIndicator
388 cbc:WebsiteURI
389 cbc:LogoReferenceID
390 cbc:EndpointID
391 cbc:IndustryClassificationCode
392 cac:PartyIdentification
393 cac:Language
394 cac:PostalAddress
395 cac:PhysicalLocation
396 cac:PartyTaxScheme
397 cac:PartyLegalEntity
398 cac:Contact
399 cac:Person
400 cac:AgentParty
401 cac:ServiceProviderParty
402 cac:PowerOfAttorney
403 cac:FinancialAccount
@ cac:PaymentMeans
411 cbc:ID
413 cbc:PaymentChannelCode
414 cbc:InstructionID
434 cac:CreditAccount
451 cac:TradeFinancing
653 cbc:PaymentID@schemeID
654 cac:PayeeFinancialAccount/cbc:ID@schemeID
655 cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID@schemeID
661 cbc:PaymentMeansCode@listID
681 cbc:InstructionNote
@ cac:PaymentMeans/cac:CardAccount
415 cbc:CardTypeCode
416 cbc:ValidityStartDate
417 cbc:ExpiryDate
418 cbc:IssuerID
419 cbc:IssuerNumberID
420 cbc:CV2ID
421 cbc:CardChipCode
422 cbc:ChipApplicationID
@ cac:PaymentMeans/cac:PayeeFinancialAccount
424 cbc:AliasName
425 cbc:AccountTypeCode
426 cbc:AccountFormatCode
427 cbc:CurrencyCode
428 cbc:PaymentNote
429 cac:FinancialInstitutionBranch/cbc:Name
430 cac:FinancialInstitutionBranch/cac:FinancialInstitution/cbc:Name
431 cac:FinancialInstitutionBranch/cac:FinancialInstitution/cac:Address
432 cac:FinancialInstitutionBranch/cac:Address
433 cac:Country
@ cac:PaymentMeans/cac:PaymentMandate
435 cbc:MandateTypeCode
436 cbc:MaximumPaymentInstructionsNumeric
437 cbc:MaximumPaidAmount
438 cbc:SignatureID
439 cac:PayerParty
448 cac:ValidityPeriod
449 cac:PaymentReversalPeriod
450 cac:Clause
@ cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount
440 cbc:Name
441 cbc:AliasName
442 cbc:AccountTypeCode
443 cbc:AccountFormatCode
444 cbc:CurrencyCode
445 cbc:PaymentNote
446 cac:FinancialInstitutionBranch
447 cac:Country
@ cac:PaymentTerms
452 cbc:ID
453 cbc:PaymentMeansID
454 cbc:PrepaidPaymentReferenceID
455 cbc:ReferenceEventCode
456 cbc:SettlementDiscountPercent
457 cbc:PenaltySurchargePercent
458 cbc:PaymentPercent
459 cbc:Amount
460 cbc:SettlementDiscountAmount
461 cbc:PenaltyAmount
462 cbc:PaymentTermsDetailsURI
463 cbc:PaymentDueDate
464 cbc:InstallmentDueDate
465 cbc:InvoicingPartyReference
466 cac:SettlementPeriod
467 cac:PenaltyPeriod
468 cac:ExchangeRate
469 cac:ValidityPeriod
@ cac:AllowanceCharge
471 cbc:ID
472 cbc:PrepaidIndicator
473 cbc:SequenceNumeric
474 cbc:AccountingCostCode
475 cbc:AccountingCost
476 cbc:PerUnitAmount
488 cac:TaxTotal
489 cac:PaymentMeans
@ cac:AllowanceCharge/cac:TaxCategory
477 cbc:Name
478 cbc:BaseUnitMeasure
479 cbc:PerUnitAmount
480 cbc:TaxExemptionReasonCode
481 cbc:TaxExemptionReason
482 cbc:TierRange
483 cbc:TierRatePercent
484 cac:TaxScheme/cbc:Name
485 cac:TaxScheme/cbc:TaxTypeCode
486 cac:TaxScheme/cbc:CurrencyCode
487 cac:TaxScheme/cac:JurisdictionRegionAddress
487 cac:TaxScheme/cac:JurisdiccionRegionAddress
@ cac:TaxTotal
494 cbc:RoundingAmount
495 cbc:TaxEvidenceIndicator
496 cbc:TaxIncludedIndicator
@ cac:TaxTotal/cac:TaxSubtotal
497 cbc:CalculationSequenceNumeric
498 cbc:TransactionCurrencyTaxAmount
499 cbc:Percent
500 cbc:BaseUnitMeasure
501 cbc:PerUnitAmount
502 cbc:TierRange
503 cbc:TierRatePercent
@ cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory
504 cbc:Name
505 cbc:BaseUnitMeasure
506 cbc:PerUnitAmount
507 cbc:TierRange
508 cbc:TierRatePercent
509 cac:TaxScheme/cbc:Name
510 cac:TaxScheme/cbc:TaxTypeCode
511 cac:TaxScheme/cbc:CurrencyCode
512 cac:TaxScheme/cac:JurisdictionRegionAddress
512 cac:TaxScheme/cac:JurisdiccionRegionAddress
@ Line
515 cbc:UUID
516 cbc:TaxPointDate
517 cbc:AccountingCostCode
518 cbc:PaymentPurposeCode
519 cbc:FreeOfChargeIndicator
529 cac:DespatchLineReference
530 cac:ReceiptLineReference
531 cac:BillingReference
548 cac:PricingReference
549 cac:OriginatorParty
550 cac:Delivery
551 cac:PaymentTerms
561 cac:TaxTotal
562 cac:WithholdingTaxTotal
645 cac:DeliveryTerms
646 cac:SubInvoiceLine
647 cac:ItemPriceExtension
@ Line/cac:InvoicePeriod
520 cbc:StartTime
521 cbc:EndTime
522 cbc:DurationMeasure
523 cbc:DescriptionCode
524 cbc:Description
@ Line/cac:OrderLineReference
525 cbc:SalesOrderLineID
526 cbc:UUID
527 cbc:LineStatusCode
528 cac:OrderReference
@ Line/cac:DocumentReference
532 cbc:CopyIndicator
533 cbc:UUID
534 cbc:IssueDate
535 cbc:IssueTime
537 cbc:DocumentType
538 cbc:Xpath
539 cbc:LanguageID
540 cbc:LocaleCode
541 cbc:VersionID
542 cbc:DocumentStatusCode
543 cbc:DocumentDescription
544 cac:Attachment
545 cac:ValidityPeriod
546 cac:IssuerParty
547 cac:ResultOfVerification
@ Line/cac:AllowanceCharge
552 cbc:ID
553 cbc:PrepaidIndicator
554 cbc:SequenceNumeric
555 cbc:AccountingCostCode
556 cbc:AccountingCost
557 cbc:PerUnitAmount
558 cac:TaxCategory
559 cac:TaxTotal
560 cac:PaymentMeans
@ Line/cac:Item
563 cbc:PackQuantity
564 cbc:PackSizeNumeric
565 cbc:CatalogueIndicator
566 cbc:HazardousRiskIndicator
567 cbc:AdditionalInformation
568 cbc:Keyword
569 cbc:BrandName
570 cbc:ModelName
581 cac:ManufacturersItemIdentification
587 cac:CatalogueItemIdentification
588 cac:AdditionalItemIdentification
589 cac:CatalogueDocumentReference
590 cac:ItemSpecificationDocumentReference
591 cac:OriginCountry/cbc:Name
595 cac:TransactionConditions
596 cac:HazardousItem
619 cac:ManufacturerParty
620 cac:InformationContentProviderParty
621 cac:OriginAddress
622 cac:ItemInstance
623 cac:Certificate
624 cac:Dimension
@ Line/cac:Item/cac:BuyersItemIdentification
571+ itemid
@ Line/cac:Item/cac:SellersItemIdentification
576+ itemid
@ Line/cac:Item/cac:StandardItemIdentification
582+ itemid
@ Line/cac:Item/cac:CommodityClassification
592 cbc:NatureCode
593 cbc:CargoTypeCode
594 cbc:CommodityCode
@ Line/cac:Item/cac:ClassifiedTaxCategory
597 cbc:Name
598 cbc:BaseUnitMeasure
599 cbc:PerUnitAmount
600 cbc:TaxExemptionReasonCode
601 cbc:TaxExemptionReason
602 cbc:TierRange
603 cbc:TierRatePercent
604 cac:TaxScheme/cbc:Name
605 cac:TaxScheme/cbc:TaxTypeCode
606 cac:TaxScheme/cbc:CurrencyCode
607 cac:TaxScheme/cac:JurisdictionRegionAddress
607 cac:TaxScheme/cac:JurisdiccionRegionAddress
@ Line/cac:Item/cac:AdditionalItemProperty
608 cbc:ID
609 cbc:NameCode
610 cbc:TestMethod
611 cbc:ValueQuantity
612 cbc:ValueQualifier
613 cbc:ImportanceCode
614 cbc:ListValue
615 cac:UsabilityPeriod
616 cac:ItemPropertyGroup
617 cac:RangeDimension
618 cac:ItemPropertyRange
@ Line/cac:Item/cac:Price
625 cbc:PriceChangeReason
626 cbc:PriceTypeCode
627 cbc:PriceType
628 cbc:OrderableUnitFactorRate
629 cbc:ValidityPeriod
630 cbc:PriceList
644 cac:PricingExchangeRate
@ Line/cac:Item/cac:Price/cac:AllowanceCharge
632 cbc:ID
633 cbc:AllowanceChargeReasonCode
634 cbc:AllowanceChargeReason
635 cbc:MultiplierFactorNumeric
636 cbc:PrepaidIndicator
637 cbc:SequenceNumeric
638 cbc:AccountingCostCode
639 cbc:AccountingCost
640 cbc:PerUnitAmount
641 cac:TaxCategory
642 cac:TaxTotal
643 cac:PaymentMeans
";

/// Leaves of the `docref` expansion (document references of the header).
const DOCREF: [&str; 16] = [
    "cbc:CopyIndicator",
    "cbc:UUID",
    "cbc:IssueDate",
    "cbc:IssueTime",
    "cbc:DocumentTypeCode",
    "cbc:DocumentType",
    "cbc:Xpath",
    "cbc:LanguageID",
    "cbc:LocaleCode",
    "cbc:VersionID",
    "cbc:DocumentStatusCode",
    "cbc:DocumentDescription",
    "cac:Attachment",
    "cac:ValidityPeriod",
    "cac:IssuerParty",
    "cac:ResultOfVerification",
];

/// Leaves of the `address` expansion (postal addresses of the parties).
const ADDRESS: [&str; 21] = [
    "cbc:ID",
    "cbc:AddressTypeCode",
    "cbc:AddressFormatCode",
    "cbc:Postbox",
    "cbc:Floor",
    "cbc:Room",
    "cbc:BlockName",
    "cbc:BuildingName",
    "cbc:BuildingNumber",
    "cbc:InhouseMail",
    "cbc:Department",
    "cbc:MarkAttention",
    "cbc:MarkCare",
    "cbc:PlotIdentification",
    "cbc:CitySubdivisionName",
    "cbc:CountrySubentityCode",
    "cbc:Region",
    "cbc:District",
    "cbc:TimezoneOffset",
    "cac:Country/cbc:Name",
    "cac:LocationCoordinate",
];

/// Leaves of the `taxscheme` expansion (party tax schemes).
const TAXSCHEME: [&str; 9] = [
    "cbc:RegistrationName",
    "cbc:TaxLevelCode",
    "cbc:ExemptionReasonCode",
    "cbc:ExemptionReason",
    "cac:RegistrationAddress",
    "cac:TaxScheme/cbc:Name",
    "cac:TaxScheme/cbc:TaxTypeCode",
    "cac:TaxScheme/cbc:CurrencyCode",
    "cac:TaxScheme/cac:JurisdictionRegionAddress",
];

/// Leaves of the `itemid` expansion (item identifications of a line).
const ITEMID: [&str; 5] = [
    "cbc:ExtendedID",
    "cbc:BareCodeSymbologyID",
    "cac:PhysicalAttribute",
    "cac:MeasurementDimension",
    "cac:IssuerParty",
];

/// Rules checked by hand (predicates, `//` paths, attributes anywhere), with
/// their messages: (number, words after LEAD or full message, fatal).
const HAND: &[(u16, &str, bool)] = &[
    (1, "A UBL invoice should not include extensions", false),
    (
        2,
        "A UBL invoice should not include the UBLVersionID or it should be 2.1",
        false,
    ),
    (412, "A UBL invoice should not include the PaymentMeans PaymentDueDate", false),
    (652, "A UBL invoice should not include the PartyTaxScheme CompanyID schemeID", false),
    (660, "A UBL invoice should not include the Country Identification code listID", false),
    (662, "A UBL invoice should not include the AllowanceChargeReasonCode listID", false),
    (663, "A UBL invoice should not include the unitCodeListID", false),
    (664, "A UBL invoice should not include the FinancialInstitution element", false),
    (
        665,
        "A UBL invoice should not include the AdditionalDocumentReference ID schemeID unless the ID equals '130'",
        false,
    ),
    (
        666,
        "A UBL invoice should not include an AdditionalDocumentReference simultaneously referring an Invoice Object Identifier and an Attachment",
        false,
    ),
    (667, "A UBL invoice should not include the BuyersItemIdentification ID schemeID", false),
    (668, "A UBL invoice should not include the SellersItemIdentification ID schemeID", false),
    (669, "A UBL invoice should not include the Price AllowanceCharge AllowanceChargeReasonCode", false),
    (670, "A UBL invoice should not include the Price AllowanceCharge AllowanceChargeReason", false),
    (671, "A UBL invoice should not include the Price AllowanceCharge MultiplierFactorNumeric", false),
    (
        673,
        "A UBL invoice shall not include an AdditionalDocumentReference simultaneously referring an Invoice Object Identifier and an Document Description",
        true,
    ),
    (674, "A UBL invoice should not include the PrimaryAccountNumber schemeID", false),
    (675, "A UBL invoice should not include the NetworkID schemeID", false),
    (676, "A UBL invoice should not include the PaymentMandate/ID schemeID", false),
    (677, "A UBL invoice should not include the PayerFinancialAccount/ID schemeID", false),
    (678, "A UBL invoice should not include the TaxCategory/ID schemeID", false),
    (679, "A UBL invoice should not include the ClassifiedTaxCategory/ID schemeID", false),
    (680, "A UBL invoice should not include the PaymentMeans/PayerFinancialAccount", false),
];

/// UBL-DT-08…28: (number, attribute, message). UBL-DT-18 (`name`) is allowed
/// on cbc:PaymentMeansCode and checked by hand.
const DT: &[(u16, &str, &str)] = &[
    (
        8,
        "schemeName",
        "Scheme name attribute should not be present",
    ),
    (
        9,
        "schemeAgencyName",
        "Scheme agency name attribute should not be present",
    ),
    (
        10,
        "schemeDataURI",
        "Scheme data uri attribute should not be present",
    ),
    (
        11,
        "schemeURI",
        "Scheme uri attribute should not be present",
    ),
    (12, "format", "Format attribute should not be present"),
    (
        13,
        "unitCodeListIdentifier",
        "Unit code list identifier attribute should not be present",
    ),
    (
        14,
        "unitCodeListAgencyIdentifier",
        "Unit code list agency identifier attribute should not be present",
    ),
    (
        15,
        "unitCodeListAgencyName",
        "Unit code list agency name attribute should not be present",
    ),
    (
        16,
        "listAgencyName",
        "List agency name attribute should not be present",
    ),
    (17, "listName", "List name attribute should not be present"),
    (18, "name", "Name attribute should not be present"),
    (
        19,
        "languageID",
        "Language identifier attribute should not be present",
    ),
    (20, "listURI", "List uri attribute should not be present"),
    (
        21,
        "listSchemeURI",
        "List scheme uri attribute should not be present",
    ),
    (
        22,
        "languageLocaleID",
        "Language local identifier attribute should not be present",
    ),
    (23, "uri", "Uri attribute should not be present"),
    (
        24,
        "currencyCodeListVersionID",
        "Currency code list version id should not be present",
    ),
    (
        25,
        "characterSetCode",
        "CharacterSetCode attribute should not be present",
    ),
    (
        26,
        "encodingCode",
        "EncodingCode attribute should not be present",
    ),
    (
        27,
        "schemeAgencyID",
        "Scheme Agency ID attribute should not be present",
    ),
    (
        28,
        "listAgencyID",
        "List Agency ID attribute should not be present",
    ),
];

/// Fired-rule slots: UBL-CR-n is slot n, UBL-DT-n is slot DT_BASE + n.
const DT_BASE: usize = 700;
const SLOTS: usize = DT_BASE + 29;

/// One trie node: the path steps below it and the rules ending on it.
#[derive(Default)]
struct TrieNode {
    kids: Vec<(Ns, &'static str, u32)>,
    /// Bit `len` is set when some kid's name has that length (names of 64
    /// bytes or more set bit 63): most elements are rejected by one test.
    lens: u64,
    /// (slot, attribute the element must carry, if any).
    rules: Vec<(u16, Option<&'static str>)>,
}

struct Compiled {
    trie: Vec<TrieNode>,
    /// Per slot: the rule.
    rules: Vec<Option<&'static Rule>>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(compile)
}

fn step(s: &'static str) -> (Ns, &'static str) {
    match s.split_once(':') {
        Some(("cbc", l)) => (CBC, l),
        Some(("cac", l)) => (CAC, l),
        _ => panic!("bad step {s:?} in the UBL restriction table"),
    }
}

/// The steps of `path` (with `Line` expanded), once per line element name.
fn expand(path: &[&'static str]) -> Vec<Vec<(Ns, &'static str)>> {
    let mut out = vec![Vec::new()];
    for &s in path {
        if s == "Line" {
            out = out
                .into_iter()
                .flat_map(|p| {
                    ["InvoiceLine", "CreditNoteLine"].map(|l| {
                        let mut p = p.clone();
                        p.push((CAC, l));
                        p
                    })
                })
                .collect();
        } else {
            for p in &mut out {
                p.push(step(s));
            }
        }
    }
    out
}

fn insert(
    trie: &mut Vec<TrieNode>,
    path: &[(Ns, &'static str)],
    rule: (u16, Option<&'static str>),
) {
    let mut at = 0usize;
    for &(ns, l) in path {
        let found = trie[at]
            .kids
            .iter()
            .find(|k| k.0 == ns && k.1 == l)
            .map(|k| k.2 as usize);
        at = match found {
            Some(i) => i,
            None => {
                trie.push(TrieNode::default());
                let i = trie.len() - 1;
                trie[at].kids.push((ns, l, i as u32));
                trie[at].lens |= len_bit(l);
                i
            }
        };
    }
    trie[at].rules.push(rule);
}

fn len_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

fn compile() -> Compiled {
    let mut trie = vec![TrieNode::default()];
    let mut rules: Vec<Option<&'static Rule>> = vec![None; SLOTS];
    let mut prefix: Vec<&'static str> = Vec::new();
    let mut words: Option<&'static str> = None;
    let local = |s: &&'static str| -> &'static str {
        if *s == "Line" {
            "InvoiceLine"
        } else {
            s.split_once(':').map_or(s, |(_, l)| l)
        }
    };
    let mut add = |n: u16,
                   rel: &'static str,
                   msg: Option<&'static str>,
                   prefix: &[&'static str],
                   words: Option<&'static str>| {
        let (rel, attr) = match rel.split_once('@') {
            Some((p, a)) => (p, Some(a)),
            None => (rel, None),
        };
        let rel: Vec<&'static str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        let mut path = prefix.to_vec();
        path.extend(&rel);
        for p in expand(&path) {
            insert(&mut trie, &p, (n, attr));
        }
        if rules[n as usize].is_none() {
            let text = match msg {
                Some(m) => format!("{LEAD}{m}"),
                None => {
                    let mut w: Vec<&str> = match words {
                        Some(w) => vec![w],
                        None => prefix.iter().map(local).collect(),
                    };
                    w.extend(rel.iter().map(local));
                    w.extend(attr);
                    format!("{LEAD}{}", w.join(" "))
                }
            };
            let _ = text;
            rules[n as usize] = find(&format!("UBL-CR-{n:03}"));
        }
    };
    for line in TABLE.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix('@') {
            let (p, w) = match rest.split_once(" = ") {
                Some((p, w)) => (p, Some(w.trim())),
                None => (rest, None),
            };
            prefix = p.trim().split('/').filter(|s| !s.is_empty()).collect();
            words = w;
            continue;
        }
        let (head, msg) = match line.split_once(" | ") {
            Some((h, m)) => (h, Some(m.trim())),
            None => (line, None),
        };
        let (num, rel) = head.split_once(' ').unwrap_or((head, ""));
        if let Some(first) = num.strip_suffix('+') {
            let first: u16 = first.parse().expect("rule number");
            let leaves: &[&'static str] = match rel {
                "docref" => &DOCREF,
                "address" => &ADDRESS,
                "taxscheme" => &TAXSCHEME,
                "itemid" => &ITEMID,
                _ => panic!("unknown expansion {rel:?}"),
            };
            for (i, leaf) in leaves.iter().enumerate() {
                add(first + i as u16, leaf, None, &prefix, words);
            }
        } else {
            let n: u16 = num.parse().expect("rule number");
            add(n, rel.trim(), msg, &prefix, words);
        }
    }
    for &(n, msg, fatal) in HAND {
        let _ = (msg, fatal);
        rules[n as usize] = find(&format!("UBL-CR-{n:03}"));
    }
    for &(n, _, msg) in DT {
        let _ = msg;
        rules[DT_BASE + n as usize] = find(&format!("UBL-DT-{n:02}"));
    }
    Compiled { trie, rules }
}

struct Walk<'c> {
    c: &'c Compiled,
    fired: [bool; SLOTS],
}

impl Walk<'_> {
    fn set(&mut self, slot: usize) {
        self.fired[slot] = true;
    }

    /// Attribute rules: UBL-DT-08…28 and UBL-CR-663, on any element.
    fn attributes(&mut self, n: Node<'_>) {
        for (k, _) in n.attrs() {
            let dt = match k {
                "schemeName" => 8,
                "schemeAgencyName" => 9,
                "schemeDataURI" => 10,
                "schemeURI" => 11,
                "format" => 12,
                "unitCodeListIdentifier" => 13,
                "unitCodeListAgencyIdentifier" => 14,
                "unitCodeListAgencyName" => 15,
                "listAgencyName" => 16,
                "listName" => 17,
                "name" if !n.is(CBC, "PaymentMeansCode") => 18,
                "languageID" => 19,
                "listURI" => 20,
                "listSchemeURI" => 21,
                "languageLocaleID" => 22,
                "uri" => 23,
                "currencyCodeListVersionID" => 24,
                "characterSetCode" => 25,
                "encodingCode" => 26,
                "schemeAgencyID" => 27,
                "listAgencyID" => 28,
                "unitCodeListID" => {
                    self.set(663);
                    continue;
                }
                _ => continue,
            };
            self.set(DT_BASE + dt);
        }
    }

    /// The rules on an element anywhere in the document (`//…` in the
    /// artefacts), tested on the element they concern.
    fn anywhere(&mut self, n: Node<'_>, parent: Option<Node<'_>>) {
        let under = |local: &str| parent.is_some_and(|p| p.is(CAC, local));
        let has = |a: &str| n.attr(a).is_some();
        let ns = n.ns();
        if ns == CBC {
            match n.local_name() {
                "ID" if has("schemeID") => {
                    if under("TaxCategory") {
                        self.set(678);
                    } else if under("ClassifiedTaxCategory") {
                        self.set(679);
                    } else if under("BuyersItemIdentification") {
                        self.set(667);
                    } else if under("SellersItemIdentification") {
                        self.set(668);
                    } else if under("PaymentMandate") {
                        self.set(676);
                    }
                }
                "CompanyID" if under("PartyTaxScheme") && has("schemeID") => self.set(652),
                "IdentificationCode" if under("Country") && has("listID") => self.set(660),
                "AllowanceChargeReasonCode" if has("listID") => self.set(662),
                "PrimaryAccountNumber" if has("schemeID") => self.set(674),
                "NetworkID" if under("CardAccount") && has("schemeID") => self.set(675),
                _ => {}
            }
        } else if ns == CAC {
            match n.local_name() {
                "FinancialInstitution" => self.set(664),
                "AdditionalDocumentReference" => self.document_reference(n),
                "AllowanceCharge" if under("Price") => {
                    for c in n.children().filter(|c| c.ns() == CBC) {
                        match c.local_name() {
                            "AllowanceChargeReasonCode" => self.set(669),
                            "AllowanceChargeReason" => self.set(670),
                            "MultiplierFactorNumeric" => self.set(671),
                            _ => {}
                        }
                    }
                }
                "PayerFinancialAccount" => {
                    if under("PaymentMeans") {
                        self.set(680);
                    } else if under("PaymentMandate")
                        && n.children_named(CBC, "ID")
                            .any(|i| i.attr("schemeID").is_some())
                    {
                        self.set(677);
                    }
                }
                _ => {}
            }
        }
    }

    /// UBL-CR-665/666/673: what an additional document reference may carry
    /// depends on whether it is the invoiced object (type code 130).
    fn document_reference(&mut self, n: Node<'_>) {
        let mut codes = n.children_named(CBC, "DocumentTypeCode").peekable();
        let none = codes.peek().is_none();
        let (mut is_130, mut other) = (false, false);
        for c in codes {
            if c.text() == "130" {
                is_130 = true;
            } else {
                other = true;
            }
        }
        if (none || other)
            && n.children_named(CBC, "ID")
                .any(|i| i.attr("schemeID").is_some())
        {
            self.set(665);
        }
        if is_130 && n.children_named(CAC, "Attachment").next().is_some() {
            self.set(666);
        }
        if is_130
            && n.children_named(CBC, "DocumentDescription")
                .next()
                .is_some()
        {
            self.set(673);
        }
    }

    /// Checks `n` (matched by trie node `t`, if on a table path) and its
    /// subtree.
    fn walk(&mut self, n: Node<'_>, parent: Option<Node<'_>>, t: Option<u32>) {
        self.attributes(n);
        self.anywhere(n, parent);
        let c = self.c;
        for child in n.children() {
            let mut next = None;
            if let Some(t) = t {
                let (cns, cl) = (child.ns(), child.local_name());
                let node = &c.trie[t as usize];
                let hit = if node.lens & len_bit(cl) == 0 {
                    None
                } else {
                    node.kids.iter().find(|(ns, l, _)| *ns == cns && *l == cl)
                };
                if let Some(&(_, _, k)) = hit {
                    for &(slot, attr) in &c.trie[k as usize].rules {
                        if attr.is_none_or(|a| child.attr(a).is_some()) {
                            self.fired[slot as usize] = true;
                        }
                    }
                    if !c.trie[k as usize].kids.is_empty() {
                        next = Some(k);
                    }
                }
            }
            self.walk(child, Some(n), next);
        }
    }
}

pub(crate) fn check(root: Node<'_>, credit_note: bool, out: &mut Out) {
    let c = compiled();
    let mut w = Walk {
        c,
        fired: [false; SLOTS],
    };
    // UBL-CR-001: ext:UBLExtensions.
    if root
        .children_named(Ns::UBL_EXT, "UBLExtensions")
        .next()
        .is_some()
    {
        w.set(1);
    }
    // UBL-CR-002: a UBLVersionID is allowed when one of them is 2.1.
    let mut versions = root.children_named(CBC, "UBLVersionID").peekable();
    if versions.peek().is_some() && !versions.any(|v| v.text() == "2.1") {
        w.set(2);
    }
    // UBL-CR-412: the payment due date is tolerated on credit notes only.
    if !credit_note
        && root
            .first(&[(CAC, "PaymentMeans"), (CBC, "PaymentDueDate")])
            .is_some()
    {
        w.set(412);
    }
    w.walk(root, None, Some(0));
    for (slot, fired) in w.fired.iter().enumerate() {
        if !fired {
            continue;
        }
        if let Some(rule) = c.rules[slot] {
            out.fire(rule, "/");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::xml::Tree;

    /// Runs the check on `body` inside an Invoice (or CreditNote) root and
    /// returns the fired (rule, fatal) pairs.
    fn fired(root: &str, body: &str) -> Vec<(&'static str, bool)> {
        let xml = format!(
            r#"<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2">{body}</{root}>"#
        );
        let tree = Tree::parse(xml.as_bytes()).expect("well-formed");
        let mut out = Out::default();
        check(tree.root(), root == "CreditNote", &mut out);
        out.fired
            .iter()
            .map(|f| (f.rule.id, f.rule.ubl.is_some_and(|b| b.0)))
            .collect()
    }

    fn ids(root: &str, body: &str) -> Vec<&'static str> {
        fired(root, body).into_iter().map(|f| f.0).collect()
    }

    #[test]
    fn a_plain_invoice_fires_nothing() {
        // Arrange
        let body = r#"<cbc:UBLVersionID>2.1</cbc:UBLVersionID>
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>1</cbc:ID>
 <cac:AdditionalDocumentReference><cbc:ID schemeID="AAA">x</cbc:ID>
  <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>
 <cac:PaymentMeans><cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode></cac:PaymentMeans>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
  <cac:Item><cbc:Name>x</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID>
  </cac:ClassifiedTaxCategory></cac:Item></cac:InvoiceLine>"#;

        // Act
        let got = ids("Invoice", body);

        // Assert
        assert_eq!(got, Vec::<&str>::new());
    }

    #[test]
    fn root_context_rules_fire_on_header_elements() {
        // Arrange
        let body = r#"<ext:UBLExtensions/><cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:UUID>u</cbc:UUID>
 <cac:InvoicePeriod><cbc:StartTime>10:00:00</cbc:StartTime></cac:InvoicePeriod>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cac:RegistrationAddress/>
 </cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:PaymentMeans><cbc:PaymentDueDate>2024-01-01</cbc:PaymentDueDate></cac:PaymentMeans>"#;

        // Act
        let got = ids("Invoice", body);

        // Assert
        assert_eq!(
            got,
            [
                "UBL-CR-001",
                "UBL-CR-002",
                "UBL-CR-005",
                "UBL-CR-012",
                "UBL-CR-185",
                "UBL-CR-412"
            ]
        );
    }

    #[test]
    fn line_rules_fire_on_invoice_lines_only_below_the_line() {
        // Arrange
        let body = r#"<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:UUID>u</cbc:UUID>
 <cac:Item><cbc:BrandName>b</cbc:BrandName></cac:Item></cac:InvoiceLine>
 <cac:Item><cbc:BrandName>not on a line</cbc:BrandName></cac:Item>"#;

        // Act
        let got = ids("Invoice", body);

        // Assert
        assert_eq!(got, ["UBL-CR-515", "UBL-CR-569"]);
    }

    #[test]
    fn credit_notes_use_credit_note_lines_and_may_carry_a_due_date() {
        // Arrange
        let body = r#"<cac:PaymentMeans><cbc:PaymentDueDate>2024-01-01</cbc:PaymentDueDate></cac:PaymentMeans>
 <cac:CreditNoteLine><cbc:ID>1</cbc:ID><cbc:FreeOfChargeIndicator>false</cbc:FreeOfChargeIndicator>
 </cac:CreditNoteLine>"#;

        // Act
        let got = ids("CreditNote", body);

        // Assert
        assert_eq!(got, ["UBL-CR-519"]);
    }

    #[test]
    fn attribute_rules_fire_anywhere_in_the_document() {
        // Arrange
        let body = r#"<cbc:Note languageID="en">n</cbc:Note>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62" unitCodeListID="x">1</cbc:InvoicedQuantity>
  <cac:Item><cbc:Name name="x">x</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID schemeID="UNCL5305">S</cbc:ID>
  </cac:ClassifiedTaxCategory></cac:Item></cac:InvoiceLine>"#;

        // Act
        let got = ids("Invoice", body);

        // Assert
        assert_eq!(got, ["UBL-CR-663", "UBL-CR-679", "UBL-DT-18", "UBL-DT-19"]);
    }

    #[test]
    fn supporting_documents_and_invoiced_objects_are_told_apart() {
        // Arrange
        let body = r#"<cac:AdditionalDocumentReference><cbc:ID schemeID="AAA">x</cbc:ID>
 </cac:AdditionalDocumentReference>
 <cac:AdditionalDocumentReference><cbc:ID>y</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
 <cbc:DocumentDescription>d</cbc:DocumentDescription></cac:AdditionalDocumentReference>"#;

        // Act
        let got = fired("Invoice", body);

        // Assert
        assert_eq!(got, [("UBL-CR-665", false), ("UBL-CR-673", true)]);
    }

    #[test]
    fn messages_follow_the_table() {
        // Arrange
        let c = compiled();

        // Act
        let m = |n: usize| c.rules[n].and_then(|r| Some((r.id, r.ubl?.1)));

        // Assert
        assert_eq!(
            m(23),
            Some((
                "UBL-CR-023",
                "A UBL invoice should not include the BillingReference CopyIndicator"
            ))
        );
        assert_eq!(
            m(249),
            Some((
                "UBL-CR-249",
                "A UBL invoice should not include the AccountingCustomerParty Party PartyLegalEntity RegistrationAddress"
            ))
        );
        // Every number from 1 to 682 is a rule, except the three the
        // artefacts never assigned and 631, which v1.3.16 dropped.
        let missing: Vec<usize> = (1..=682).filter(|&n| c.rules[n].is_none()).collect();
        assert_eq!(missing, [120, 423, 536, 631]);
    }
}
