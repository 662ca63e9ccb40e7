//! The EN 16931 semantic model the business rules are evaluated on: a
//! syntax-independent view of the invoice (BT/BG), richer than the result.md
//! subset. Filled per syntax by `binding::ubl` (EN 16931-3-2) and `binding::cii`
//! (EN 16931-3-3); `validation::business` evaluates it once.
//!
//! Presence matters as much as values (the rules are mostly "shall have"), so
//! optional groups are `Option`, optional terms keep their raw text and "is
//! the element there at all" is kept apart from "is its text non-empty" where
//! the official rules distinguish them.

use crate::dec::Dec;
use crate::input::xml::Loc;

/// Which binding filled the model; a few rules of the official artefacts are
/// bound slightly differently per syntax and the verdict must match them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    Ubl {
        credit_note: bool,
    },
    Cii,
    /// ZUGFeRD 1.0, the CII D13B dialect that predates EN 16931: mapped for
    /// the `invoice` output only, no rules run on it.
    Zugferd1,
}

/// An amount/quantity/percentage as written, with its decimal value when the
/// text is a valid xs:decimal.
#[derive(Debug, Clone)]
pub(crate) struct Num {
    /// The element's text as written (untrimmed: the decimal-count rules
    /// measure the string).
    pub raw: String,
    pub val: Option<Dec>,
}

impl Num {
    pub(crate) fn new(raw: &str) -> Num {
        Num {
            raw: raw.to_owned(),
            val: Dec::parse(raw),
        }
    }
}

/// A VAT category as used on a line (BT-151/152), a document allowance or
/// charge (BT-95/96, BT-102/103) or a VAT breakdown (BT-118/119/120/121).
#[derive(Debug, Clone, Default)]
pub(crate) struct Cat {
    /// The category element (UBL `cac:ClassifiedTaxCategory` / `cac:TaxCategory`, CII `ram:ApplicableTradeTax` / `ram:CategoryTradeTax`).
    pub at: Loc,
    /// BT-151 / BT-95 / BT-102 / BT-118: every category code element (UBL
    /// `cbc:ID`, CII `ram:CategoryCode`); the first is the category's code.
    pub codes: Vec<Code>,
    /// The tax scheme is VAT (UBL TaxScheme/ID, CII TypeCode).
    pub vat: bool,
    pub rate: Option<Num>,
    /// BT-120 element present.
    pub exemption_reason: bool,
    /// BT-121 element present.
    pub exemption_code: bool,
}

/// A category code element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Code {
    /// The element: the CII rules on a VAT breakdown of most categories
    /// match it rather than the breakdown.
    pub at: Loc,
    /// Its text as the artefact's rules compare it: UBL
    /// `normalize-space(cbc:ID)` (trimmed), CII `ram:CategoryCode = 'S'` on the
    /// text as written (a padded code matches no template).
    pub value: String,
    /// Its text, trimmed (BT-151 / BT-118 as reported).
    pub text: String,
}

impl Cat {
    /// The category code (of the first code element).
    pub(crate) fn code(&self) -> Option<&str> {
        self.codes.first().map(|c| c.value.as_str())
    }
    /// The category code as reported (trimmed).
    pub(crate) fn code_text(&self) -> Option<&str> {
        self.codes.first().map(|c| c.text.as_str())
    }
    pub(crate) fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }
    /// Whether any code element is `code` (XPath `ram:CategoryCode = 'S'`).
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.value == code)
    }
    pub(crate) fn is_vat(&self, code: &str) -> bool {
        self.vat && self.is(code)
    }
    pub(crate) fn rate_val(&self) -> Option<Dec> {
        self.rate.as_ref().and_then(|r| r.val)
    }
}

/// BG-20/BG-21 (document level) or BG-27/BG-28 (line level).
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowanceCharge {
    /// The allowance/charge element (UBL `cac:AllowanceCharge`, CII `ram:SpecifiedTradeAllowanceCharge`).
    pub at: Loc,
    /// The indicator element (UBL `cbc:ChargeIndicator`, CII
    /// `ram:ChargeIndicator`): the CII allowance and charge rules match it.
    pub indicator_at: Option<Loc>,
    /// `Some(true)` charge, `Some(false)` allowance, `None` indicator missing/invalid.
    pub charge: Option<bool>,
    pub amount: Option<Num>,
    pub base: Option<Num>,
    pub reason: bool,
    pub reason_code: bool,
    pub cats: Vec<Cat>,
}

impl AllowanceCharge {
    pub(crate) fn amount_val(&self) -> Option<Dec> {
        self.amount.as_ref().and_then(|a| a.val)
    }
}

/// BG-14 / BG-26.
#[derive(Debug, Clone, Default)]
pub(crate) struct Period {
    /// The period element (UBL `cac:InvoicePeriod`, CII `ram:BillingSpecifiedPeriod`).
    pub at: Loc,
    /// The start date element's value (CII: of its `DateTimeString` of
    /// format 102 as written, empty without one); `None` without the element.
    pub start: Option<String>,
    pub end: Option<String>,
    /// CII: the start or the end element has no `DateTimeString` of format
    /// 102, so the artefact's `End/…[@format = '102'] >= Start/…[@format =
    /// '102']` compares an empty sequence: false (BR-29, BR-30).
    pub without_102: bool,
    /// BT-8 (UBL InvoicePeriod/DescriptionCode).
    pub description_code: bool,
    /// The period element has any child element.
    pub any_child: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Address {
    /// The address element (UBL `cac:PostalAddress` / `cac:Address`, CII `ram:PostalTradeAddress`).
    pub at: Loc,
    /// Country code text, trimmed (empty when the element is absent or blank).
    pub country: String,
    pub country_present: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Party {
    /// The party element (UBL `cac:Party` / `cac:PayeeParty` / `cac:TaxRepresentativeParty`, CII `ram:*TradeParty`).
    pub at: Loc,
    /// BT-27 / BT-44 / BT-62 (UBL `cac:PartyLegalEntity/cbc:RegistrationName`,
    /// CII `ram:Name`), trimmed; `None` when absent.
    pub name: Option<String>,
    /// Trading names (UBL PartyName/Name).
    pub trading_names: Vec<String>,
    /// BT-29 / BT-46 / BT-60 identifiers (UBL
    /// `cac:PartyIdentification/cbc:ID`, CII `ram:ID`).
    pub ids: Vec<PartyId>,
    /// CII `ram:GlobalID`: BT-29 / BT-46 / BT-60 with a global scheme (UBL
    /// has them in `ids`).
    pub global_ids: Vec<String>,
    /// BT-30 / BT-47 / BT-61.
    pub legal_ids: Vec<String>,
    /// BT-31 / BT-48 / BT-63 (tax scheme VAT).
    pub vat_ids: Vec<VatId>,
    /// Tax registrations (BT-31 or BT-32): UBL of any scheme, CII of scheme
    /// VA or FC (what the category rules accept).
    pub tax_ids: Vec<String>,
    /// BT-34 / BT-49 elements.
    pub endpoints: Vec<Endpoint>,
    /// BG-5 / BG-8 / BG-10 / BG-12, one per element (a duplicate is checked
    /// too); the first is the party's address.
    pub addresses: Vec<Address>,
}

impl Party {
    /// The party's address.
    pub(crate) fn address(&self) -> Option<&Address> {
        self.addresses.first()
    }
}

/// A party identifier (BT-29 / BT-46 / BT-60).
#[derive(Debug, Clone, Default)]
pub(crate) struct PartyId {
    pub value: String,
    /// Its `@schemeID`.
    pub scheme: Option<String>,
}

/// A VAT identifier (BT-31 / BT-48 / BT-63).
#[derive(Debug, Clone, Default)]
pub(crate) struct VatId {
    /// UBL its `cac:PartyTaxScheme` (of scheme VAT), CII the
    /// `ram:SpecifiedTaxRegistration/ram:ID` itself.
    pub at: Loc,
    /// The identifier, trimmed.
    pub value: String,
}

/// An electronic address (BT-34 / BT-49).
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoint {
    /// UBL `cbc:EndpointID`, CII `ram:URIUniversalCommunication`.
    pub at: Loc,
    /// Its scheme (UBL `@schemeID`, CII the `@schemeID` of its first
    /// `ram:URIID`).
    pub scheme: Option<String>,
}

/// BG-23.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subtotal {
    /// The breakdown element (UBL `cac:TaxSubtotal`, CII `ram:ApplicableTradeTax`).
    pub at: Loc,
    pub taxable: Option<Num>,
    pub tax: Option<Num>,
    /// Every category of the breakdown with scheme VAT (UBL each such
    /// `cac:TaxCategory`, CII the breakdown itself when its `ram:TypeCode`
    /// is VAT): what the VAT rules match.
    pub vat_cats: Vec<Cat>,
    /// The first category whatever its tax scheme (CII: the breakdown
    /// itself): BT-118/119 as written.
    pub category: Option<Cat>,
    /// Every category code of the breakdown whatever its tax scheme (as the
    /// category codes are compared, see [`Code::value`]): several rules of
    /// the artefacts do not look at the scheme.
    pub codes: Vec<String>,
    /// BR-CO-17's BT-119: the rate of the first category whose scheme is VAT
    /// after `normalize-space` (CII `normalize-space(upper-case(ram:TypeCode))
    /// = 'VAT'`, where the other CII rules take the type code as written).
    pub vat_rate: Option<Num>,
}

impl Subtotal {
    /// The (first) VAT category.
    pub(crate) fn cat(&self) -> Option<&Cat> {
        self.vat_cats.first()
    }
    /// Whether any category code of the breakdown is `code`, whatever the
    /// tax scheme.
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }
}

/// UBL TaxTotal; CII has one (the header TaxTotalAmount and every header
/// ApplicableTradeTax).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaxTotal {
    /// UBL `cac:TaxTotal`; CII the `ram:TaxTotalAmount` (or the settlement when there is none).
    pub at: Loc,
    pub amount: Option<Num>,
    pub amount_currency: Option<String>,
    pub subtotals: Vec<Subtotal>,
}

/// BG-22.
#[derive(Debug, Clone, Default)]
pub(crate) struct Totals {
    /// UBL `cac:LegalMonetaryTotal`, CII `ram:SpecifiedTradeSettlementHeaderMonetarySummation`.
    pub at: Loc,
    pub line_net: Option<Num>,
    pub allowances: Option<Num>,
    pub charges: Option<Num>,
    pub tax_exclusive: Option<Num>,
    pub tax_inclusive: Option<Num>,
    pub prepaid: Option<Num>,
    pub rounding: Option<Num>,
    pub payable: Option<Num>,
}

/// BG-16.
#[derive(Debug, Clone, Default)]
pub(crate) struct PaymentMeans {
    /// UBL `cac:PaymentMeans`, CII `ram:SpecifiedTradeSettlementPaymentMeans`.
    pub at: Loc,
    /// BT-81 element present (trimmed text).
    pub code: Option<String>,
    /// BG-17 elements (UBL `cac:PayeeFinancialAccount`, CII
    /// `ram:PayeePartyCreditorFinancialAccount`).
    pub accounts: Vec<Account>,
    /// BG-18 (UBL one per `cac:CardAccount/cbc:PrimaryAccountNumberID`, CII
    /// per `ram:ApplicableTradeSettlementFinancialCard`).
    pub cards: Vec<Card>,
}

/// BG-17, a credit transfer account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Account {
    pub at: Loc,
    /// BT-84 elements, trimmed (UBL `cbc:ID`, CII `ram:IBANID` and
    /// `ram:ProprietaryID`).
    pub ids: Vec<String>,
}

/// BG-18, a payment card.
#[derive(Debug, Clone, Default)]
pub(crate) struct Card {
    /// UBL `cbc:PrimaryAccountNumberID`, CII
    /// `ram:ApplicableTradeSettlementFinancialCard`.
    pub at: Loc,
    /// BT-87, trimmed (empty when absent).
    pub number: String,
}

/// BG-3 (UBL `cac:BillingReference`, CII `ram:InvoiceReferencedDocument`)
/// or BG-24 (UBL `cac:AdditionalDocumentReference`, CII
/// `ram:AdditionalReferencedDocument`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DocumentRef {
    pub at: Loc,
    /// BT-25 / BT-122 (UBL `cac:InvoiceDocumentReference/cbc:ID` / `cbc:ID`,
    /// CII `ram:IssuerAssignedID`), trimmed; `None` when absent.
    pub id: Option<String>,
}

/// BG-13 delivery information (UBL `cac:Delivery`, CII
/// `ram:ApplicableHeaderTradeDelivery`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Delivery {
    pub at: Loc,
    /// BT-72 (UBL `cbc:ActualDeliveryDate`, CII the
    /// `udt:DateTimeString` of the actual delivery event, whatever its
    /// format), trimmed; `None` when absent.
    pub date: Option<String>,
    /// BG-15 (UBL `cac:DeliveryLocation/cac:Address`, CII
    /// `ram:ShipToTradeParty/ram:PostalTradeAddress`).
    pub address: Option<Address>,
}

/// BT-129 with its BT-130.
#[derive(Debug, Clone, Default)]
pub(crate) struct Quantity {
    /// The quantity as written (trimmed).
    pub value: String,
    /// `@unitCode`.
    pub unit_code: Option<String>,
}

/// BG-32, an item attribute (UBL `cac:AdditionalItemProperty`, CII
/// `ram:ApplicableProductCharacteristic`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemAttribute {
    pub at: Loc,
    /// BT-160 element present (UBL `cbc:Name`, CII `ram:Description`).
    pub name: bool,
    /// BT-161 element present.
    pub value: bool,
}

/// BT-157, an item standard identifier.
#[derive(Debug, Clone, Default)]
pub(crate) struct StandardId {
    /// UBL `cac:StandardItemIdentification/cbc:ID`, CII `ram:GlobalID`.
    pub at: Loc,
    /// `@schemeID`.
    pub scheme: Option<String>,
}

/// BT-158, an item classification.
#[derive(Debug, Clone, Default)]
pub(crate) struct Classification {
    /// UBL `cbc:ItemClassificationCode`, CII
    /// `ram:DesignatedProductClassification`.
    pub at: Loc,
    /// The code element is there (CII `ram:ClassCode` may be missing).
    pub code: bool,
    /// The code's `@listID`.
    pub list_id: Option<String>,
}

/// BG-25.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    /// UBL `cac:InvoiceLine` / `cac:CreditNoteLine`, CII `ram:IncludedSupplyChainTradeLineItem`.
    pub at: Loc,
    /// UBL: a `cac:CreditNoteLine` (the artefact sums the two kinds of
    /// line apart, whichever the document is).
    pub credit_note_line: bool,
    pub id: String,
    /// BT-129 and BT-130 (UBL the first `cbc:InvoicedQuantity` or
    /// `cbc:CreditedQuantity`, CII `ram:BilledQuantity`); `None` when absent.
    pub quantity: Option<Quantity>,
    pub net: Option<Num>,
    pub item_name: String,
    /// BT-146.
    pub net_price: Option<Num>,
    /// BT-148 values.
    pub gross_prices: Vec<Num>,
    pub cats: Vec<Cat>,
    /// BG-26 (one per element: a duplicate is checked too).
    pub periods: Vec<Period>,
    pub allowance_charges: Vec<AllowanceCharge>,
    pub attributes: Vec<ItemAttribute>,
    pub standard_ids: Vec<StandardId>,
    pub classifications: Vec<Classification>,
}

impl Line {
    pub(crate) fn net_val(&self) -> Option<Dec> {
        self.net.as_ref().and_then(|a| a.val)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    /// The root element.
    pub at: Loc,
    pub binding: Binding,
    pub customization_id: String,
    pub number: String,
    pub issue_date: String,
    pub type_code: String,
    /// BT-5, the first element's trimmed text (empty when absent).
    pub currency: String,
    /// The text as written of every BT-5 element, blank ones included:
    /// BR-CO-15 is checked for each, matching `@currencyID = $Currency` (two
    /// untyped values: compared as strings, a padded code matches nothing).
    pub currency_codes: Vec<String>,
    pub tax_currency: Option<String>,
    /// The text as written of every BT-6 element: UBL BR-53 checks each
    /// (`every $taxcurrency in cbc:TaxCurrencyCode`, compared with
    /// `@currencyID` as strings). Empty for CII, which reads the first.
    pub tax_currency_codes: Vec<String>,
    /// BT-9 as written (CII: the first payment terms' format-102 date);
    /// empty when absent.
    pub due_date: String,
    /// BT-10 (empty when absent).
    pub buyer_reference: String,
    /// BT-7 present.
    pub tax_point_date: bool,
    /// BT-8 present (CII: DueDateTypeCode anywhere).
    pub tax_point_code: bool,
    /// BG-14 (one per element: a duplicate is checked too).
    pub periods: Vec<Period>,
    /// BG-3.
    pub preceding: Vec<DocumentRef>,
    /// BG-24 (CII: every `ram:AdditionalReferencedDocument`, the line ones
    /// (BT-128) included, which the artefact's BR-52 matches too).
    pub supporting_docs: Vec<DocumentRef>,
    /// The seller's element BR-CO-26 is checked on: UBL
    /// `cac:AccountingSupplierParty` (present even without a `cac:Party`),
    /// CII `ram:SellerTradeParty`.
    pub seller_at: Option<Loc>,
    pub seller: Option<Party>,
    pub buyer: Option<Party>,
    pub payee: Option<Party>,
    pub tax_rep: Option<Party>,
    pub delivery: Option<Delivery>,
    pub payment_means: Vec<PaymentMeans>,
    pub allowance_charges: Vec<AllowanceCharge>,
    pub lines: Vec<Line>,
    pub tax_totals: Vec<TaxTotal>,
    /// UBL line-level TaxTotal/TaxSubtotal: not part of the VAT breakdown,
    /// but the artefacts' BG-23 context (`cac:TaxTotal/cac:TaxSubtotal`)
    /// matches them too.
    pub line_subtotals: Vec<Subtotal>,
    pub totals: Option<Totals>,
    /// CII: every further `ram:SpecifiedTradeSettlementHeaderMonetarySummation`
    /// (a repeated BG-22), whose rules the artefact checks on each copy too.
    pub more_totals: Vec<Totals>,
    /// Every country code in the document (BR-B-01).
    pub country_codes: Vec<String>,
}

impl Invoice {
    pub(crate) fn allowances(&self) -> impl Iterator<Item = &AllowanceCharge> {
        self.allowance_charges
            .iter()
            .filter(|a| a.charge == Some(false))
    }
    pub(crate) fn charges(&self) -> impl Iterator<Item = &AllowanceCharge> {
        self.allowance_charges
            .iter()
            .filter(|a| a.charge == Some(true))
    }
    pub(crate) fn subtotals(&self) -> impl Iterator<Item = &Subtotal> {
        self.tax_totals.iter().flat_map(|t| t.subtotals.iter())
    }
}
