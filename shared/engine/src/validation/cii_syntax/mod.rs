//! CII syntax binding rules of the EN 16931 artefacts: CII-SR-* (elements of
//! CII D16B that the binding does not use, mostly warnings, plus cardinality
//! restrictions) and CII-DT-* (data type restrictions, many of them fatal).
//!
//! The CII XSLT checks them in one mode (pattern EN16931-CII-Syntax): every
//! element is visited once and checked by the one template of highest
//! priority whose `match` it satisfies, and a failed assert is reported at
//! that element (the SVRL location). [`template`] makes the same choice; the
//! asserts of a template are a table of plain path tests ([`table`]) plus the
//! few tests written by hand below.

mod data_types;
mod header;
mod line;
mod table;
#[cfg(test)]
mod tests;

use crate::input::xml::{Node, Ns};
use crate::validation::codes::some_indicator_is;
use crate::validation::rule::{rule, Out, Rule};

const RAM: Ns = Ns::CII_RAM;
const RSM: Ns = Ns::CII_RSM;
const UDT: Ns = Ns::CII_UDT;

/// Where an element lies on the absolute paths matched by the templates of
/// fixed contexts (`/rsm:CrossIndustryInvoice/…`); `Other` off them.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Pos {
    Other,
    Root,
    DocContext,
    Guideline,
    Document,
    DocumentNote,
    Transaction,
    Line,
    LineDocument,
    Product,
    Characteristic,
    LineAgreement,
    LineDelivery,
    LineSettlement,
    LineTax,
    LineCategoryCode,
    HeaderAgreement,
    HeaderDelivery,
    HeaderSettlement,
    HeaderTotals,
    /// The four identifiers of template 1011: guideline, document, line and
    /// seller item identifier.
    FixedId,
}

impl Pos {
    fn of_root(root: Node<'_>) -> Pos {
        if root.is(RSM, "CrossIndustryInvoice") {
            Pos::Root
        } else {
            Pos::Other
        }
    }

    /// The position of `c`, a child of an element at `self`.
    fn child(self, c: Node<'_>) -> Pos {
        use Pos::*;
        let name = c.local_name();
        if c.ns() == RSM {
            return match (self, name) {
                (Root, "ExchangedDocumentContext") => DocContext,
                (Root, "ExchangedDocument") => Document,
                (Root, "SupplyChainTradeTransaction") => Transaction,
                _ => Other,
            };
        }
        if c.ns() != RAM {
            return Other;
        }
        match (self, name) {
            (DocContext, "GuidelineSpecifiedDocumentContextParameter") => Guideline,
            (Guideline | Document, "ID") | (LineDocument, "LineID") => FixedId,
            (Product, "SellerAssignedID") => FixedId,
            (Document, "IncludedNote") => DocumentNote,
            (Transaction, "IncludedSupplyChainTradeLineItem") => Line,
            (Transaction, "ApplicableHeaderTradeAgreement") => HeaderAgreement,
            (Transaction, "ApplicableHeaderTradeDelivery") => HeaderDelivery,
            (Transaction, "ApplicableHeaderTradeSettlement") => HeaderSettlement,
            (Line, "AssociatedDocumentLineDocument") => LineDocument,
            (Line, "SpecifiedTradeProduct") => Product,
            (Line, "SpecifiedLineTradeAgreement") => LineAgreement,
            (Line, "SpecifiedLineTradeDelivery") => LineDelivery,
            (Line, "SpecifiedLineTradeSettlement") => LineSettlement,
            (Product, "ApplicableProductCharacteristic") => Characteristic,
            (LineSettlement, "ApplicableTradeTax") => LineTax,
            (LineTax, "CategoryCode") => LineCategoryCode,
            (HeaderSettlement, "SpecifiedTradeSettlementHeaderMonetarySummation") => HeaderTotals,
            _ => Other,
        }
    }
}

/// The templates of the pattern, highest priority first (the number is the
/// priority in the XSLT). Template 1008 (`…/rsm:ExchangedDocument/ram:TypeCode`,
/// CII-DT-010..012) only matches elements that 1009 (`//ram:TypeCode`)
/// matches too, so it never applies and has no variant.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Template {
    PaymentMeans,       // 1030
    DocContext,         // 1029
    Document,           // 1028
    DocumentNote,       // 1027
    Line,               // 1026
    LineDocument,       // 1025
    Product,            // 1024
    Characteristic,     // 1023
    LineAgreement,      // 1022
    AllowanceCharge,    // 1021
    PriceAllowance,     // 1020
    LineDelivery,       // 1019
    LineSettlement,     // 1018
    HeaderAgreement,    // 1017
    HeaderDelivery,     // 1016
    HeaderSettlement,   // 1015
    HeaderTotals,       // 1014
    Root,               // 1013
    ContextParameter,   // 1012
    FixedId,            // 1011
    Id,                 // 1010
    TypeCode,           // 1009
    LineCategoryCode,   // 1007
    ReferencedDocument, // 1006
    Amount,             // 1005
    Quantity,           // 1004
    TradeTax,           // 1003
    BillingPeriod,      // 1002
    PostalAddress,      // 1001
    Date102,            // 1000
}

/// The template that checks `n` (at `pos`; `in_gross_price`: its parent is
/// a `ram:GrossPriceProductTradePrice`), if any.
fn template(n: Node<'_>, pos: Pos, in_gross_price: bool) -> Option<Template> {
    use Template as T;
    let ram = n.ns() == RAM;
    let name = n.local_name();
    if ram && name == "SpecifiedTradeSettlementPaymentMeans" {
        return Some(T::PaymentMeans);
    }
    let fixed = match pos {
        Pos::DocContext => Some(T::DocContext),
        Pos::Document => Some(T::Document),
        Pos::DocumentNote => Some(T::DocumentNote),
        Pos::Line => Some(T::Line),
        Pos::LineDocument => Some(T::LineDocument),
        Pos::Product => Some(T::Product),
        Pos::Characteristic => Some(T::Characteristic),
        Pos::LineAgreement => Some(T::LineAgreement),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if ram && name == "SpecifiedTradeAllowanceCharge" {
        return Some(T::AllowanceCharge);
    }
    if ram && in_gross_price && name == "AppliedTradeAllowanceCharge" {
        return Some(T::PriceAllowance);
    }
    let fixed = match pos {
        Pos::LineDelivery => Some(T::LineDelivery),
        Pos::LineSettlement => Some(T::LineSettlement),
        Pos::HeaderAgreement => Some(T::HeaderAgreement),
        Pos::HeaderDelivery => Some(T::HeaderDelivery),
        Pos::HeaderSettlement => Some(T::HeaderSettlement),
        Pos::HeaderTotals => Some(T::HeaderTotals),
        Pos::Root => Some(T::Root),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    // `//*[…]`: any namespace.
    if name.ends_with("DocumentContextParameter") {
        return Some(T::ContextParameter);
    }
    if pos == Pos::FixedId {
        return Some(T::FixedId);
    }
    if pos == Pos::LineCategoryCode {
        // Only TypeCode and the `ends-with` names below come before 1007,
        // and a CategoryCode is none of them.
        return Some(T::LineCategoryCode);
    }
    if ram {
        return ram_template(name);
    }
    let date_102 = n.ns() == UDT && name == "DateTimeString" && n.attr("format") == Some("102");
    date_102.then_some(T::Date102)
}

/// Templates 1010..1001 for a `ram:` element, by name; the suffixes are
/// disjoint, so their order does not matter.
fn ram_template(name: &str) -> Option<Template> {
    use Template as T;
    let t = if name.ends_with("ID") {
        T::Id
    } else if name == "TypeCode" {
        T::TypeCode
    } else if name.ends_with("ReferencedDocument") {
        T::ReferencedDocument
    } else if name.ends_with("Amount") && name != "TaxTotalAmount" {
        T::Amount
    } else if name.ends_with("Quantity") {
        T::Quantity
    } else if name.ends_with("TradeTax") {
        T::TradeTax
    } else if name == "BillingSpecifiedPeriod" {
        T::BillingPeriod
    } else if name == "PostalTradeAddress" {
        T::PostalAddress
    } else {
        return None;
    };
    Some(t)
}

/// What the asserts that look at the whole document (`//…` or `/…` inside a
/// test) need, gathered in one pass.
struct Facts {
    /// `/rsm:CrossIndustryInvoice/…/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode`.
    billed_unit: bool,
    /// `//ram:ApplicableTradeTax/ram:DueDateTypeCode` has several distinct
    /// values (`distinct-values` compares the texts as written).
    due_dates_differ: bool,
    /// Some `//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode` differs
    /// from the first one after normalize-space.
    means_codes_differ: bool,
    /// The same for `…/ram:Information`.
    means_information_differ: bool,
    /// `count(//ram:ApplicableHeaderTradeSettlement/ram:PaymentReference)`.
    payment_references: usize,
}

impl Facts {
    fn of(root: Node<'_>) -> Facts {
        let billed_unit = root.is(RSM, "CrossIndustryInvoice")
            && root
                .children_named(RSM, "SupplyChainTradeTransaction")
                .flat_map(|t| t.children_named(RAM, "IncludedSupplyChainTradeLineItem"))
                .flat_map(|l| l.children_named(RAM, "SpecifiedLineTradeDelivery"))
                .flat_map(|d| d.children_named(RAM, "BilledQuantity"))
                .any(|q| q.attr("unitCode").is_some());
        let mut due = AllSame::new(|a, b| a == b);
        let (mut codes, mut information) = (AllSame::new(normalize_eq), AllSame::new(normalize_eq));
        let mut payment_references = 0;
        // `//` starts at the document node: the root element is one of them.
        for n in std::iter::once(root).chain(root.descendants()) {
            if n.ns() != RAM {
                continue;
            }
            match n.local_name() {
                "ApplicableTradeTax" => {
                    for d in n.children_named(RAM, "DueDateTypeCode") {
                        due.add(d.raw_text());
                    }
                }
                "SpecifiedTradeSettlementPaymentMeans" => {
                    for c in n.children() {
                        if c.is(RAM, "TypeCode") {
                            codes.add(c.text());
                        } else if c.is(RAM, "Information") {
                            information.add(c.text());
                        }
                    }
                }
                "ApplicableHeaderTradeSettlement" => {
                    payment_references += n.children_named(RAM, "PaymentReference").count();
                }
                _ => {}
            }
        }
        Facts {
            billed_unit,
            due_dates_differ: due.differ,
            means_codes_differ: codes.differ,
            means_information_differ: information.differ,
            payment_references,
        }
    }
}

/// Whether some value of a sequence differs from the first under `eq`
/// (`=`, as `distinct-values` compares, or normalize-space then `=`).
struct AllSame<'t> {
    first: Option<&'t str>,
    differ: bool,
    eq: fn(&str, &str) -> bool,
}

impl<'t> AllSame<'t> {
    fn new(eq: fn(&str, &str) -> bool) -> AllSame<'t> {
        AllSame {
            first: None,
            differ: false,
            eq,
        }
    }

    fn add(&mut self, value: &'t str) {
        match self.first {
            None => self.first = Some(value),
            Some(first) => self.differ |= !(self.eq)(first, value),
        }
    }
}

/// The words of XPath `normalize-space(s)`: runs of XML whitespace separate.
fn normalized(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty())
}

/// Visits every element once, in document order, like the XSLT's
/// `apply-templates select="@*|*"`.
struct Walk<'o> {
    facts: Facts,
    out: &'o mut Out,
}

impl Walk<'_> {
    fn visit(&mut self, n: Node<'_>, pos: Pos, in_header: bool, in_gross_price: bool) {
        if let Some(t) = template(n, pos, in_gross_price) {
            self.apply(t, n, in_header);
        }
        let ram = n.ns() == RAM;
        let header = in_header || (ram && n.local_name() == "ApplicableHeaderTradeSettlement");
        let gross_price = ram && n.local_name() == "GrossPriceProductTradePrice";
        for c in n.children() {
            self.visit(c, pos.child(c), header, gross_price);
        }
    }

    /// The asserts of template `t` on its context `n`; `in_header`:
    /// `ancestor::ram:ApplicableHeaderTradeSettlement`.
    fn apply(&mut self, t: Template, n: Node<'_>, in_header: bool) {
        use data_types::*;
        use header::*;
        use line::*;
        let out = &mut *self.out;
        let table = match t {
            Template::PaymentMeans => &PAYMENT_MEANS,
            Template::DocContext => &DOC_CONTEXT,
            Template::Document => &DOCUMENT,
            Template::DocumentNote => &DOCUMENT_NOTE,
            Template::Line => &LINE,
            Template::LineDocument => &LINE_DOCUMENT,
            Template::Product => {
                product(n, out);
                &PRODUCT
            }
            Template::Characteristic => &CHARACTERISTIC,
            Template::LineAgreement => {
                gross_price_allowances(n, out);
                &LINE_AGREEMENT
            }
            Template::AllowanceCharge => {
                out.check(has(n, "ChargeIndicator"), rule!("CII-SR-463"), n);
                &ALLOWANCE_CHARGE
            }
            Template::PriceAllowance => &PRICE_ALLOWANCE,
            Template::LineDelivery => &LINE_DELIVERY,
            Template::LineSettlement => {
                let n130 = additional_documents(n, "130", normalize_eq).count();
                out.check(n130 <= 1, rule!("CII-SR-474"), n);
                &LINE_SETTLEMENT
            }
            Template::HeaderAgreement => {
                header_agreement(n, out);
                &HEADER_AGREEMENT
            }
            Template::HeaderDelivery => {
                one_party_identifier(n, "ShipToTradeParty", rule!("CII-SR-449"), out);
                &HEADER_DELIVERY
            }
            Template::HeaderSettlement => {
                self.header_settlement(n);
                &HEADER_SETTLEMENT
            }
            Template::HeaderTotals => &HEADER_TOTALS,
            Template::Root => {
                self.root(n);
                &ROOT
            }
            Template::ContextParameter => &CONTEXT_PARAMETER,
            Template::FixedId => &ID_NO_ATTRIBUTES,
            Template::Id => &ID,
            Template::TypeCode => &TYPE_CODE,
            Template::LineCategoryCode => &LINE_CATEGORY_CODE,
            Template::ReferencedDocument => &REFERENCED_DOCUMENT,
            Template::Amount => &AMOUNT,
            Template::Quantity => {
                let ok = n.attr("unitCode").is_none() || self.facts.billed_unit;
                out.check(ok, rule!("CII-DT-033"), n);
                &QUANTITY
            }
            Template::TradeTax => {
                // `ram:TypeCode = 'VAT'`: the text as written.
                let types = || n.children_named(RAM, "TypeCode");
                let ok = types().next().is_none() || types().any(|t| t.raw_text() == "VAT");
                out.check(ok, rule!("CII-DT-037"), n);
                &TRADE_TAX
            }
            Template::BillingPeriod => &BILLING_PERIOD,
            Template::PostalAddress => &POSTAL_ADDRESS,
            Template::Date102 => {
                out.check(is_yyyymmdd(n.text()), rule!("CII-DT-097"), n);
                return;
            }
        };
        table.run(n, in_header, self.out);
    }

    /// CII-SR-467..469 on `/rsm:CrossIndustryInvoice`.
    fn root(&mut self, n: Node<'_>) {
        let (f, out) = (&self.facts, &mut *self.out);
        out.check(!f.means_codes_differ, rule!("CII-SR-467"), n);
        out.check(!f.means_information_differ, rule!("CII-SR-468"), n);
        out.check(f.payment_references <= 1, rule!("CII-SR-469"), n);
    }

    /// CII-SR-451, 462 and 470 on the header settlement.
    fn header_settlement(&mut self, n: Node<'_>) {
        let out = &mut *self.out;
        one_party_identifier(n, "PayeeTradeParty", rule!("CII-SR-451"), out);
        out.check(!self.facts.due_dates_differ, rule!("CII-SR-462"), n);
        // Credit transfer without the payee's account identifier.
        let unidentified_transfer = n
            .children_named(RAM, "SpecifiedTradeSettlementPaymentMeans")
            .any(|m| {
                let transfer = m
                    .children_named(RAM, "TypeCode")
                    .any(|t| normalize_eq(t.text(), "30") || normalize_eq(t.text(), "58"));
                transfer
                    && !exists(m, "PayeePartyCreditorFinancialAccount/IBANID")
                    && !exists(m, "PayeePartyCreditorFinancialAccount/ProprietaryID")
            });
        out.check(!unidentified_transfer, rule!("CII-SR-470"), n);
    }
}

/// CII-SR-450, 457, 458, 465, 466, 475 and 476 on the header agreement.
fn header_agreement(n: Node<'_>, out: &mut Out) {
    one_party_identifier(n, "BuyerTradeParty", rule!("CII-SR-450"), out);
    let exact = |a: &str, b: &str| a == b;
    out.check(
        additional_documents(n, "50", exact).count() <= 1,
        rule!("CII-SR-457"),
        n,
    );
    out.check(
        additional_documents(n, "130", exact).count() <= 1,
        rule!("CII-SR-458"),
        n,
    );
    for (party, id) in [
        ("SellerTradeParty", rule!("CII-SR-465")),
        ("BuyerTradeParty", rule!("CII-SR-466")),
    ] {
        let name_and_department = exists_below(n, party, "DefinedTradeContact/PersonName")
            && exists_below(n, party, "DefinedTradeContact/DepartmentName");
        out.check(!name_and_department, id, n);
    }
    let below_916 = |child: &str| -> usize {
        additional_documents(n, "916", normalize_eq)
            .map(|d| d.children_named(RAM, child).count())
            .sum()
    };
    out.check(below_916("Name") <= 1, rule!("CII-SR-475"), n);
    out.check(
        below_916("AttachmentBinaryObject") <= 1,
        rule!("CII-SR-476"),
        n,
    );
}

/// CII-SR-046 and 090 on the line's product.
fn product(p: Node<'_>, out: &mut Out) {
    let globals = || p.children_named(RAM, "GlobalID");
    let ok = globals().next().is_none() || globals().any(|g| g.attr("schemeID").is_some());
    out.check(ok, rule!("CII-SR-046"), p);
    let origin = has(p, "OriginTradeCountry");
    let ok = !origin || table::count(p, "OriginTradeCountry/ID", usize::MAX) == 1;
    out.check(ok, rule!("CII-SR-090"), p);
}

/// CII-SR-119 on the line agreement: a gross price may only carry
/// allowances (indicator false, with an amount).
fn gross_price_allowances(agreement: Node<'_>, out: &mut Out) {
    let charges = || {
        agreement
            .children_named(RAM, "GrossPriceProductTradePrice")
            .flat_map(|g| g.children_named(RAM, "AppliedTradeAllowanceCharge"))
    };
    let mut any_indicator = false;
    let mut allowance = false;
    for i in charges().flat_map(|c| c.children_named(RAM, "ChargeIndicator")) {
        any_indicator = true;
        // `udt:Indicator = false()` casts the text to xs:boolean.
        allowance |= some_indicator_is(i.children_named(UDT, "Indicator"), false);
    }
    let amount = charges().any(|c| has(c, "ActualAmount"));
    let ok = (allowance && amount) || (!any_indicator && !amount);
    out.check(ok, rule!("CII-SR-119"), agreement);
}

fn has(n: Node<'_>, local: &str) -> bool {
    n.children_named(RAM, local).next().is_some()
}

/// The relative path `path` (as in the tables) selects something below `n`.
fn exists(n: Node<'_>, path: &str) -> bool {
    table::count(n, path, 1) > 0
}

/// `ram:<first>/<rest>` selects something below `n`.
fn exists_below(n: Node<'_>, first: &str, rest: &str) -> bool {
    n.children_named(RAM, first).any(|c| exists(c, rest))
}

/// `not(P/ram:ID and P/ram:GlobalID)` for the party `P` below `ctx`.
fn one_party_identifier(ctx: Node<'_>, party: &str, rule: &'static Rule, out: &mut Out) {
    let both = ctx.children_named(RAM, party).any(|p| has(p, "ID"))
        && ctx.children_named(RAM, party).any(|p| has(p, "GlobalID"));
    out.check(!both, rule, ctx);
}

/// `normalize-space(text) = code`.
fn normalize_eq(text: &str, code: &str) -> bool {
    normalized(text).eq(normalized(code))
}

/// The `ram:AdditionalReferencedDocument`s below `ctx` with a type code
/// equal to `code` under `eq` (`=`, on the text as written, or
/// normalize-space then `=`).
fn additional_documents<'t>(
    ctx: Node<'t>,
    code: &'static str,
    eq: fn(&str, &str) -> bool,
) -> impl Iterator<Item = Node<'t>> + 't {
    ctx.children_named(RAM, "AdditionalReferencedDocument")
        .filter(move |d| {
            d.children_named(RAM, "TypeCode")
                .any(|t| eq(t.raw_text(), code))
        })
}

/// `matches(., '^\s*(\d{4})(1[0-2]|0[1-9]){1}(3[01]|[12][0-9]|0[1-9]){1}\s*$')`
/// on the text without its surrounding XML whitespace (`\s`: space, tab,
/// CR, LF): a year of four decimal digits of any script, then an ASCII
/// month and day.
fn is_yyyymmdd(s: &str) -> bool {
    let mut chars = s.chars();
    let year = chars
        .by_ref()
        .take(4)
        .filter(|&c| is_regex_digit(c))
        .count();
    let b = chars.as_str().as_bytes();
    if year != 4 || b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month = (b[0] - b'0') * 10 + (b[1] - b'0');
    let day = (b[2] - b'0') * 10 + (b[3] - b'0');
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// The zeros of the decimal digit runs (general category Nd) that the
/// artefacts' XSLT processor (Saxon 12) takes as the regex `\d`: those of
/// Unicode 6.x. Digits of later scripts (Sinhala Lith, Adlam, …) are
/// refused there, as the differential oracle shows; each run is ten digits.
const DIGIT_ZEROS: [u32; 46] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50,
    0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xAA50, 0xABF0, 0xFF10, 0x104A0,
    0x11066, 0x110F0, 0x11136, 0x111D0, 0x116C0, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
];

/// XPath regex `\d` as the artefacts' processor evaluates it.
fn is_regex_digit(c: char) -> bool {
    let c = u32::from(c);
    // The zeros are sorted: the run holding `c`, if any, starts at the
    // last zero not above it.
    let at = DIGIT_ZEROS.partition_point(|&z| z <= c);
    at > 0 && c - DIGIT_ZEROS[at - 1] < 10
}

/// Runs CII-SR-* and CII-DT-* on a CII D16B document.
pub(crate) fn check(root: Node<'_>, out: &mut Out) {
    let mut walk = Walk {
        facts: Facts::of(root),
        out,
    };
    walk.visit(root, Pos::of_root(root), false, false);
}
