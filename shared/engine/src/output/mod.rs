//! The output model of contract/result.md. Absent data is `None` / empty and is
//! never serialised (the contract forbids nulls for absent keys).

pub(crate) mod projection;

use serde::Serialize;

/// Which XML syntax the invoice is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Syntax {
    /// UBL 2.1 Invoice or CreditNote.
    #[serde(rename = "UBL")]
    Ubl,
    /// UN/CEFACT CII D16B CrossIndustryInvoice (EN 16931, Factur-X, ZUGFeRD 2.x, XRechnung CII).
    #[serde(rename = "CII")]
    Cii,
    /// ZUGFeRD 1.0 CrossIndustryDocument (pre-EN 16931 CII dialect), marked as the corpus does.
    #[serde(rename = "CII-ZUGFeRD1")]
    CiiZugferd1,
    /// Not an invoice syntax this engine knows.
    #[serde(rename = "unknown")]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Invoice,
    CreditNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    Xml,
    Pdf,
}

/// result.md's `document` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub syntax: Syntax,
    pub kind: Kind,
    pub container: Container,
    /// Name of the embedded file (PDF container only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// BT-24.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customization_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.vat_id.is_none() && self.country_code.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Line {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VatBreakdown {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxable_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_net_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_exclusive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_inclusive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepaid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payable: Option<String>,
}

impl Totals {
    pub fn is_empty(&self) -> bool {
        *self == Totals::default()
    }
}

/// result.md's `invoice` object (EN 16931 semantic model subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invoice {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Option<String>,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub seller: Party,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub buyer: Party,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Line>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vat_breakdown: Vec<VatBreakdown>,
    #[serde(skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
}

/// result.md's `validation` object: the verdict of the EN 16931 rules
/// (CEN/TC 434 artefacts v1.3.16 rule ids). Produced by [`crate::extract`]
/// for UBL and CII invoices; `None` for ZUGFeRD 1.0 (pre-EN 16931).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub engine: String,
    pub valid: bool,
    pub fatal: Vec<String>,
    pub warning: Vec<String>,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: String,
    pub severity: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}
