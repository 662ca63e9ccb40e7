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
    /// Category code, whitespace-trimmed; `None` when the element is absent.
    pub code: Option<String>,
    /// The tax scheme is VAT (UBL TaxScheme/ID, CII TypeCode).
    pub vat: bool,
    pub rate: Option<Num>,
    /// BT-120 element present.
    pub exemption_reason: bool,
    /// BT-121 element present.
    pub exemption_code: bool,
}

impl Cat {
    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
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
    /// format 102, empty without one); `None` without the element.
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
    /// The party element (UBL `cac:Party` / `cac:PayeeParty` / `cac:TaxRepresentativeParty`, or `cac:AccountingSupplierParty` when it has no `cac:Party`; CII `ram:*TradeParty`).
    pub at: Loc,
    /// BT-27 / BT-44 / BT-62 (trimmed, empty when absent).
    pub name: String,
    /// Trading names (UBL PartyName/Name).
    pub trading_names: Vec<String>,
    /// BT-29 / BT-46 / BT-60 identifiers.
    pub ids: Vec<String>,
    /// BT-30 / BT-47 / BT-61.
    pub legal_ids: Vec<String>,
    /// BT-31 / BT-48 / BT-63 (tax scheme VAT).
    pub vat_ids: Vec<String>,
    /// Tax registrations (BT-31 or BT-32): UBL of any scheme, CII of scheme
    /// VA or FC (what the category rules accept).
    pub tax_ids: Vec<String>,
    /// BT-34 / BT-49 present: whether it has a scheme identifier.
    pub endpoint_scheme: Option<bool>,
    pub address: Option<Address>,
}

/// BG-23.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subtotal {
    /// The breakdown element (UBL `cac:TaxSubtotal`, CII `ram:ApplicableTradeTax`).
    pub at: Loc,
    pub taxable: Option<Num>,
    pub tax: Option<Num>,
    /// The VAT category (first category with scheme VAT), if any: what the
    /// VAT rules match.
    pub cat: Option<Cat>,
    /// The first category whatever its tax scheme: BT-118/119 as written,
    /// for the output.
    pub category: Option<Cat>,
    /// Whether any category has code "S", whatever its scheme: the UBL
    /// binding of BR-S-01…04 does not filter on the scheme.
    pub any_scheme_s: bool,
}

impl Subtotal {
    pub(crate) fn is(&self, code: &str) -> bool {
        self.cat.as_ref().is_some_and(|c| c.is(code))
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
    /// BG-17 present: whether it has a non-blank BT-84.
    pub account: Option<bool>,
    /// BT-87 values.
    pub card_numbers: Vec<String>,
}

/// BG-25.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    /// UBL `cac:InvoiceLine` / `cac:CreditNoteLine`, CII `ram:IncludedSupplyChainTradeLineItem`.
    pub at: Loc,
    pub id: String,
    pub quantity: bool,
    pub unit_code: bool,
    /// BT-129 as written (empty when absent).
    pub quantity_value: String,
    /// BT-130.
    pub unit_code_value: Option<String>,
    pub net: Option<Num>,
    pub item_name: String,
    /// BT-146.
    pub net_price: Option<Num>,
    /// BT-148 values.
    pub gross_prices: Vec<Num>,
    pub cats: Vec<Cat>,
    pub period: Option<Period>,
    pub allowance_charges: Vec<AllowanceCharge>,
    /// BG-32: (name present, value present).
    pub attributes: Vec<(bool, bool)>,
    /// BT-157 present: has a scheme.
    pub standard_ids: Vec<bool>,
    /// BT-158 present: has a list id.
    pub classifications: Vec<bool>,
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
    pub currency: String,
    pub tax_currency: Option<String>,
    /// BT-9 as written (CII: the first payment terms' format-102 date);
    /// empty when absent.
    pub due_date: String,
    /// BT-10 (empty when absent).
    pub buyer_reference: String,
    /// BT-7 present.
    pub tax_point_date: bool,
    /// BT-8 present (CII: DueDateTypeCode anywhere).
    pub tax_point_code: bool,
    pub period: Option<Period>,
    /// BG-3: whether each has a BT-25.
    pub preceding: Vec<bool>,
    /// BG-24: whether each has a BT-122.
    pub supporting_docs: Vec<bool>,
    pub seller: Option<Party>,
    pub buyer: Option<Party>,
    pub payee: Option<Party>,
    pub tax_rep: Option<Party>,
    /// BT-72 text.
    pub delivery_date: String,
    /// BG-15 present: its country.
    pub deliver_to: Option<Address>,
    pub payment_means: Vec<PaymentMeans>,
    pub allowance_charges: Vec<AllowanceCharge>,
    pub lines: Vec<Line>,
    pub tax_totals: Vec<TaxTotal>,
    /// UBL line-level TaxTotal/TaxSubtotal: not part of the VAT breakdown,
    /// but the artefacts' BG-23 context (`cac:TaxTotal/cac:TaxSubtotal`)
    /// matches them too.
    pub line_subtotals: Vec<Subtotal>,
    pub totals: Option<Totals>,
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
