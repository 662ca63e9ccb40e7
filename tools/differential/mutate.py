"""Seeded mutants of the corpus's UBL and CII invoices: the edits a sender gets wrong.

A mutant is a function of (sources, seed, index) alone: its own random generator is seeded
with the string "differential:<seed>:<index>" (string seeds are hashed with SHA-512, so the
result does not depend on PYTHONHASHSEED or the platform), which makes mutant i the same
whatever N is and lets `show ID` rebuild any mutant from its id.
"""
from __future__ import annotations

import random
import re
import zlib
from copy import deepcopy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
ROOTS = {
    f"{{{UBL_INVOICE_NS}}}Invoice": "UBL",
    f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote": "UBL",
    f"{{{CII_NS}}}CrossIndustryInvoice": "CII",
}
SYNTAXES = ("UBL", "CII")

# No network, no entity expansion: the corpus is read as the bytes it is.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

# ------------------------------------------------------------------------------ code pools
# Values inside the EN 16931 code lists, and values a sender plausibly writes that are outside.
CODES = {
    "currency": (["EUR", "USD", "GBP", "SEK", "NOK", "DKK", "CHF", "JPY", "PLN", "HUF", "CZK"],
                 ["EURO", "eur", "ABC", "E", "€"]),
    "country": (["DE", "FR", "NL", "BE", "SE", "NO", "DK", "IT", "ES", "GB", "US", "AT", "1A", "XI"],
                ["UK", "EL", "GER", "de", "D"]),
    "doc_type": (["380", "381", "383", "384", "386", "389", "326", "751", "261", "575", "82"],
                 ["999", "1", "38O", "INV", "380 A"]),
    "vat_category": (["S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"],
                     ["s", "X", "VAT", "EX", "0"]),
    "payment_means": (["10", "30", "31", "42", "48", "49", "57", "58", "59", "1", "ZZZ"],
                      ["999", "SEPA", "3O", "0"]),
    "allowance_reason": (["41", "42", "60", "62", "63", "64", "65", "66", "67", "68", "95", "100",
                          "AA", "ABK", "FC", "ZZZ"],
                         ["DISCOUNT", "999", "aa", "1"]),
    "exemption_reason": (["VATEX-EU-79-C", "VATEX-EU-132", "VATEX-EU-AE", "VATEX-EU-G",
                          "VATEX-EU-IC", "VATEX-EU-O", "VATEX-EU-D", "VATEX-EU-F"],
                         ["VATEX-EU-XX", "vatex-eu-ae", "AE", "VATEX"]),
    "tax_scheme": (["VAT"], ["GST", "VA", "vat", "TVA"]),
    "period_code": (["3", "35", "432"], ["1", "999", "X"]),
    "due_date_code": (["5", "29", "72"], ["1", "432", "X"]),
    "unit": (["C62", "EA", "H87", "KGM", "HUR", "DAY", "MTR", "LTR", "XPP", "MON", "ZZ"],
             ["PCS", "STK", "pc", "Stück", "X1"]),
    "eas": (["0088", "0192", "9930", "0208", "0204", "EM", "0007", "0060"],
            ["GLN", "XXXX", "88", "email"]),
    "icd": (["0088", "0060", "0002", "0007", "0160", "0183", "0009", "0192", "SEPA"],
            ["GLN", "9999", "DUNS", "ZZ"]),
    "mime": (["application/pdf", "image/png", "image/jpeg", "text/csv",
              "application/vnd.oasis.opendocument.spreadsheet"],
             ["pdf", "application/xml", "image/gif", "text/plain"]),
    "item_class": (["STI", "MP", "SRV", "HS", "ZZZ", "CV", "TST"], ["CPVX", "hs", "UNSPSC"]),
    "document_ref_type": (["50", "130", "916"], ["1", "380", "999"]),
    "cii_date_format": (["102"], ["610", "203", "101", "YYYYMMDD"]),
}

# UBL: element local name -> code kind; a parent-qualified key ("Parent/Child") wins.
UBL_CODE_ELEMENTS = {
    "InvoiceTypeCode": "doc_type", "CreditNoteTypeCode": "doc_type",
    "DocumentCurrencyCode": "currency", "TaxCurrencyCode": "currency",
    "IdentificationCode": "country", "PaymentMeansCode": "payment_means",
    "AllowanceChargeReasonCode": "allowance_reason", "TaxExemptionReasonCode": "exemption_reason",
    "TaxCategory/ID": "vat_category", "ClassifiedTaxCategory/ID": "vat_category",
    "TaxScheme/ID": "tax_scheme", "DescriptionCode": "period_code",
    "DocumentTypeCode": "document_ref_type",
}
CII_CODE_ELEMENTS = {
    "ExchangedDocument/TypeCode": "doc_type", "InvoiceCurrencyCode": "currency",
    "TaxCurrencyCode": "currency", "CountryID": "country", "CategoryCode": "vat_category",
    "SpecifiedTradeSettlementPaymentMeans/TypeCode": "payment_means",
    "ReasonCode": "allowance_reason", "ExemptionReasonCode": "exemption_reason",
    "ApplicableTradeTax/TypeCode": "tax_scheme", "CategoryTradeTax/TypeCode": "tax_scheme",
    "DueDateTypeCode": "due_date_code", "AdditionalReferencedDocument/TypeCode": "document_ref_type",
}
# Attribute local name -> code kind; "schemeID" depends on where it stands (see _scheme_kind).
CODE_ATTRIBUTES = {"currencyID": "currency", "unitCode": "unit", "mimeCode": "mime",
                   "listID": "item_class", "format": "cii_date_format", "schemeID": None}

# VAT category groups: (container element, category child, rate child) per syntax.
VAT_GROUPS = {
    "UBL": (("TaxCategory", "ClassifiedTaxCategory"), "ID", "Percent"),
    "CII": (("ApplicableTradeTax", "CategoryTradeTax"), "CategoryCode", "RateApplicablePercent"),
}
STANDARD_RATES = ["25", "19", "20", "21", "7", "10", "5.5", "12.5"]

BAD_DATES_UBL = ["2017-13-01", "20171113", "13.11.2017", "2017-02-30", "2017-1-5",
                 "2017-11-13T10:00:00", "2017/11/13", ""]
BAD_DATES_CII = ["2017-11-13", "20171332", "201711", "20170230", "13112017", "2017111", ""]


@dataclass(frozen=True)
class Source:
    """One corpus invoice that mutants are made of."""

    rel: str        # path relative to the corpus root ("x.pdf#embedded" for a PDF's XML)
    syntax: str     # "UBL" | "CII"
    path: Path      # the corpus file (the PDF for an embedded invoice)
    xml: bytes      # the invoice XML as stored (for a PDF: the embedded file)


@dataclass
class Mutant:
    id: str
    source: str
    syntax: str
    edits: list[dict] = field(default_factory=list)
    data: bytes = b""


# ------------------------------------------------------------------------------ sources
def root_syntax(xml: bytes) -> str | None:
    try:
        root = etree.fromstring(xml, PARSER)
    except etree.XMLSyntaxError:
        return None
    return ROOTS.get(root.tag)


def embedded_xml(pdf: bytes) -> bytes | None:
    """The embedded invoice of a Factur-X / ZUGFeRD / XRechnung PDF, found as the one
    (Flate-)stream whose content is a UBL or CII invoice: enough for the corpus's PDFs
    without a PDF library (XMP metadata streams are XML too, hence the root check)."""
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        end = pdf.find(b"endstream", start)
        if end < 0:
            continue
        raw = pdf[start:end].rstrip(b"\r\n")
        for candidate in (raw, _inflate(raw)):
            if candidate and root_syntax(candidate):
                return candidate
    return None


def _inflate(raw: bytes) -> bytes | None:
    try:
        return zlib.decompressobj().decompress(raw)
    except zlib.error:
        return None


def load_sources(corpus: Path) -> list[Source]:
    """Every UBL Invoice/CreditNote and CII CrossIndustryInvoice in the corpus (XML files and
    the XML embedded in PDFs), sorted by path so that the seed alone fixes the mutants."""
    sources = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        rel = path.relative_to(corpus).as_posix()
        if suffix == ".xml":
            xml = path.read_bytes()
            syntax = root_syntax(xml)
            if syntax:
                sources.append(Source(rel, syntax, path, xml))
        elif suffix == ".pdf":
            xml = embedded_xml(path.read_bytes())
            if xml is not None:
                sources.append(Source(f"{rel}#embedded", root_syntax(xml), path, xml))
    return sources


# ------------------------------------------------------------------------------ helpers
def local(node) -> str:
    return etree.QName(node).localname


def path_of(node) -> str:
    """/Invoice/InvoiceLine[2]/Price/PriceAmount: local names, position among same-named
    siblings where there are several (readable, and stable for a given document)."""
    steps = []
    while node is not None:
        parent = node.getparent()
        name = local(node)
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def elements(root) -> list:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def leaves(root) -> list:
    return [e for e in elements(root) if len(e) == 0 and e is not root]


def code_kind(node, syntax: str) -> str | None:
    table = UBL_CODE_ELEMENTS if syntax == "UBL" else CII_CODE_ELEMENTS
    parent = node.getparent()
    if parent is not None:
        kind = table.get(f"{local(parent)}/{local(node)}")
        if kind:
            return kind
    if local(node) in ("ID", "TypeCode"):  # only meaningful with their parent
        return None
    return table.get(local(node))


def _scheme_kind(node) -> str:
    return "eas" if local(node) in ("EndpointID", "URIID") else "icd"


def code_targets(root, syntax: str) -> list[tuple]:
    """(element, attribute name or None, code kind) of every code the document carries."""
    targets = []
    for node in elements(root):
        if len(node) == 0:
            kind = code_kind(node, syntax)
            if kind:
                targets.append((node, None, kind))
        for attr in sorted(node.attrib):
            name = etree.QName(attr).localname
            if name in CODE_ATTRIBUTES:
                targets.append((node, attr, CODE_ATTRIBUTES[name] or _scheme_kind(node)))
    return targets


def amount_elements(root, syntax: str) -> list:
    if syntax == "UBL":
        return [e for e in leaves(root) if "currencyID" in e.attrib]
    return [e for e in leaves(root) if local(e).endswith("Amount")]


QUANTITY_OR_RATE = {"InvoicedQuantity", "CreditedQuantity", "BaseQuantity", "Percent",
                    "MultiplierFactorNumeric", "BilledQuantity", "BasisQuantity",
                    "RateApplicablePercent", "CalculationPercent"}


def date_elements(root, syntax: str) -> list:
    if syntax == "UBL":
        return [e for e in leaves(root) if local(e).endswith("Date")]
    return [e for e in leaves(root) if local(e) == "DateTimeString"]


def _text(node) -> str:
    return node.text or ""


def _set_text(node, value: str) -> dict:
    before = _text(node)
    node.text = value
    return {"path": path_of(node), "from": before, "to": value}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


# ------------------------------------------------------------------------------ operators
# Each takes (rng, root, syntax) and returns the edit made, or None if the document has
# nothing it applies to. Candidates are always in document order, so the rng alone decides.
def op_delete(rng, root, syntax):
    node = rng.choice(elements(root)[1:])
    path = path_of(node)
    node.getparent().remove(node)
    return {"op": "delete", "path": path}


def op_duplicate(rng, root, syntax):
    node = rng.choice(elements(root)[1:])
    node.addnext(deepcopy(node))
    return {"op": "duplicate", "path": path_of(node)}


def op_blank(rng, root, syntax):
    filled = [e for e in leaves(root) if _text(e).strip()]
    if not filled:
        return None
    return {"op": "blank", **_set_text(rng.choice(filled), rng.choice(["", " "]))}


def _swap_code(rng, root, syntax, inside: bool, op: str):
    targets = code_targets(root, syntax)
    if not targets:
        return None
    node, attr, kind = rng.choice(targets)
    valid, invalid = CODES[kind]
    current = node.get(attr) if attr else _text(node)
    pool = [c for c in (valid if inside else invalid) if c != current]
    if not pool:  # the list has a single value and the document already carries it
        return None
    value = rng.choice(pool)
    if attr is None:
        return {"op": op, "kind": kind, **_set_text(node, value)}
    node.set(attr, value)
    return {"op": op, "kind": kind, "path": f"{path_of(node)}/@{etree.QName(attr).localname}",
            "from": current, "to": value}


def op_code_in_list(rng, root, syntax):
    return _swap_code(rng, root, syntax, True, "code_in_list")


def op_code_outside_list(rng, root, syntax):
    return _swap_code(rng, root, syntax, False, "code_outside_list")


def _perturb_number(rng, text: str, amount: bool) -> str:
    value = _decimal(text)
    if value is None:
        return rng.choice(["0", "1.00", "-1"])
    decimals = max(0, -value.as_tuple().exponent)
    cent = Decimal(1).scaleb(-max(decimals, 2)) if amount else Decimal(1)
    choices = [
        lambda: str(value + cent),                              # off by a cent
        lambda: str(value - cent),
        lambda: str(-value),                                    # sign flipped
        lambda: str(value * 10),                                # decimal point slipped
        lambda: str(value.quantize(Decimal("0.001"))),          # three decimals
        lambda: str(value.quantize(Decimal("0.00001"))),        # five decimals
        lambda: str(value.quantize(Decimal("1"))),              # no decimals, rounded
        lambda: f"{value:,.2f}",                                # thousands separator
        lambda: text.replace(".", ","),                         # decimal comma
        lambda: f" {text} ",                                    # padded
        lambda: "0",
        lambda: f"{value:E}",                                   # exponent notation
    ]
    return rng.choice(choices)()


def op_amount(rng, root, syntax):
    nodes = amount_elements(root, syntax)
    if not nodes:
        return None
    node = rng.choice(nodes)
    return {"op": "amount", **_set_text(node, _perturb_number(rng, _text(node), True))}


def op_quantity_or_rate(rng, root, syntax):
    nodes = [e for e in leaves(root) if local(e) in QUANTITY_OR_RATE]
    if not nodes:
        return None
    node = rng.choice(nodes)
    return {"op": "quantity_or_rate", **_set_text(node, _perturb_number(rng, _text(node), False))}


def op_date(rng, root, syntax):
    nodes = date_elements(root, syntax)
    if not nodes:
        return None
    node = rng.choice(nodes)
    if syntax == "CII" and rng.random() < 0.3:
        before = node.get("format")
        if before is not None and rng.random() < 0.5:
            del node.attrib["format"]
            return {"op": "date_format", "path": f"{path_of(node)}/@format", "from": before, "to": None}
        value = rng.choice(CODES["cii_date_format"][1])
        node.set("format", value)
        return {"op": "date_format", "path": f"{path_of(node)}/@format", "from": before, "to": value}
    return {"op": "date", **_set_text(node, rng.choice(BAD_DATES_UBL if syntax == "UBL" else BAD_DATES_CII))}


def op_attribute(rng, root, syntax):
    """Delete an attribute, or give it a value of the wrong kind."""
    owners = [(e, a) for e in elements(root) for a in sorted(e.attrib)
              if not a.startswith("{")]  # xsi:schemaLocation and the like are not data
    if not owners:
        return None
    node, attr = rng.choice(owners)
    before = node.get(attr)
    path = f"{path_of(node)}/@{attr}"
    if rng.random() < 0.5:
        del node.attrib[attr]
        return {"op": "attribute_delete", "path": path, "from": before, "to": None}
    value = rng.choice(["", "X", "true", "1", "EUR", "C62", "0088"])
    node.set(attr, value)
    return {"op": "attribute_value", "path": path, "from": before, "to": value}


def vat_groups(root, syntax: str) -> list[tuple]:
    """(container, category element, rate element or None) of every VAT category in use."""
    containers, category_name, rate_name = VAT_GROUPS[syntax]
    groups = []
    for node in elements(root):
        if local(node) not in containers:
            continue
        category = next((c for c in node if isinstance(c.tag, str) and local(c) == category_name), None)
        if category is None:
            continue
        rate = next((c for c in node if isinstance(c.tag, str) and local(c) == rate_name), None)
        groups.append((node, category, rate))
    return groups


def _set_vat(group, syntax: str, category: str, rate: str | None) -> None:
    """Category and rate of one group; no rate element for category O (as a sender would)."""
    container, category_node, rate_node = group
    category_node.text = category
    if rate is None:
        if rate_node is not None:
            container.remove(rate_node)
        return
    if rate_node is None:
        # SubElement takes the in-scope prefix of the namespace (no new xmlns declaration).
        rate_node = etree.SubElement(
            container, f"{{{etree.QName(category_node).namespace}}}{VAT_GROUPS[syntax][2]}")
        if syntax == "UBL":
            category_node.addnext(rate_node)   # cbc:Percent follows cbc:ID
    rate_node.text = rate


def _new_vat(rng, category: str, rate: str | None) -> tuple[str, str | None]:
    """Another (category, rate) in the code list: S with another standard rate, or a
    zero-rated / exempt / out-of-scope category."""
    new_category = rng.choice([c for c in CODES["vat_category"][0] if c != category] + ["S"])
    if new_category == "S":
        return "S", rng.choice([r for r in STANDARD_RATES if r != rate])
    if new_category == "O":
        return "O", None
    return new_category, rng.choice(["0", "0.00"])


def op_vat_consistent(rng, root, syntax):
    """Every group of one (category, rate) moves to another category and rate, lines,
    allowances and breakdown alike: the document stays coherent in its VAT codes."""
    groups = vat_groups(root, syntax)
    if not groups:
        return None
    keys = []
    for _, category, rate in groups:
        key = (_text(category).strip(), None if rate is None else _text(rate).strip())
        if key not in keys:
            keys.append(key)
    old = rng.choice(keys)
    new = _new_vat(rng, *old)
    touched = [g for g in groups
               if (_text(g[1]).strip(), None if g[2] is None else _text(g[2]).strip()) == old]
    for group in touched:
        _set_vat(group, syntax, *new)
    return {"op": "vat_consistent", "from": list(old), "to": list(new), "count": len(touched)}


def op_vat_inconsistent(rng, root, syntax):
    """One group alone changes its category, or its rate, or both."""
    groups = vat_groups(root, syntax)
    if not groups:
        return None
    group = rng.choice(groups)
    container, category, rate = group
    old = (_text(category).strip(), None if rate is None else _text(rate).strip())
    what = rng.choice(["category", "rate", "both"])
    if what == "category":
        new = (rng.choice([c for c in CODES["vat_category"][0] if c != old[0]]), old[1])
    elif what == "rate":
        new = (old[0], rng.choice([r for r in STANDARD_RATES + ["0"] if r != old[1]]))
    else:
        new = _new_vat(rng, *old)
    _set_vat(group, syntax, *new)
    return {"op": "vat_inconsistent", "path": path_of(container), "from": list(old), "to": list(new)}


UDT_NS = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
# Data that UBL 2.1 / CII D16B allow but EN 16931 does not use, as ERP exports add it:
# (parent path of local names below the root, element, text or child element, after which
# sibling it goes; None: as the parent's first child). The root of UBL is Invoice or
# CreditNote, so "Line" stands for InvoiceLine / CreditNoteLine.
EXTRA_ELEMENTS = {
    "UBL": [
        ("", (CBC_NS, "UBLVersionID"), "2.1", None),
        ("", (CBC_NS, "UUID"), "6e09886b-dc6e-439f-82d1-7ccac7f4e3b1", "ID"),
        ("", (CBC_NS, "CopyIndicator"), "false", "ID"),
        ("", (CBC_NS, "IssueTime"), "12:00:00", "IssueDate"),
        ("", (CBC_NS, "LineCountNumeric"), "2", "DocumentCurrencyCode"),
        ("AccountingSupplierParty/Party/PostalAddress", (CBC_NS, "BuildingNumber"), "12", "StreetName"),
        ("AccountingCustomerParty/Party/PostalAddress", (CBC_NS, "District"), "Centre", "CityName"),
        ("Line", (CBC_NS, "UUID"), "9a7c0f9e-2d55-4a8e-8a7e-0f3c3f5b2c11", "ID"),
        ("Line/Item", (CBC_NS, "BrandName"), "ACME", "Name"),
        ("Line/Item", (CBC_NS, "PackSizeNumeric"), "6", "Name"),
    ],
    "CII": [
        ("ExchangedDocument", (RAM_NS, "Name"), "RECHNUNG", "ID"),
        ("ExchangedDocument", (RAM_NS, "CopyIndicator"), ((UDT_NS, "Indicator"), "false"), "TypeCode"),
        ("ExchangedDocument", (RAM_NS, "LanguageID"), "de", "IssueDateTime"),
        ("ExchangedDocumentContext", (RAM_NS, "TestIndicator"), ((UDT_NS, "Indicator"), "false"), None),
        ("SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/SpecifiedTradeProduct",
         (RAM_NS, "ManufacturerAssignedID"), "M-4711", "SellerAssignedID"),
        ("SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradePaymentTerms",
         (RAM_NS, "TypeCode"), "1", None),
        ("SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty",
         (RAM_NS, "RoleCode"), "SE", "Name"),
    ],
}
# Attributes of the UN/CEFACT and UBL data types that EN 16931 does not use.
EXTRA_ATTRIBUTES = [("listAgencyID", "6"), ("listVersionID", "D16B"), ("schemeAgencyID", "9"),
                    ("schemeName", "GLN"), ("schemeURI", "urn:example"), ("languageID", "en"),
                    ("unitCodeListID", "UNECERec20"), ("currencyCodeListVersionID", "2001")]


def _children_named(node, name: str) -> list:
    return [c for c in node if isinstance(c.tag, str) and local(c) in name.split("|")]


def _nodes_at(root, parent_path: str) -> list:
    nodes = [root]
    for step in filter(None, parent_path.split("/")):
        if step == "Line":
            step = "InvoiceLine|CreditNoteLine"
        nodes = [child for node in nodes for child in _children_named(node, step)]
    return nodes


def op_add_extra_element(rng, root, syntax):
    """An element of the syntax that EN 16931 does not use, where a sender's export puts it."""
    options = [(parent, spec) for spec in EXTRA_ELEMENTS[syntax]
               for parent in _nodes_at(root, spec[0])]
    if not options:
        return None
    parent, (_, name, content, after) = rng.choice(options)
    node = etree.SubElement(parent, "{%s}%s" % name)  # SubElement: in-scope prefixes reused
    if isinstance(content, tuple):
        etree.SubElement(node, "{%s}%s" % content[0]).text = content[1]
    else:
        node.text = content
    siblings = _children_named(parent, after) if after else []
    if siblings:
        siblings[-1].addnext(node)
    elif after is None:
        first = next(c for c in parent if isinstance(c.tag, str))
        first.addprevious(node)
    return {"op": "add_extra_element", "path": path_of(node)}


def op_add_extra_attribute(rng, root, syntax):
    node = rng.choice(leaves(root))
    name, value = rng.choice([a for a in EXTRA_ATTRIBUTES if a[0] not in node.attrib])
    node.set(name, value)
    return {"op": "add_extra_attribute", "path": f"{path_of(node)}/@{name}", "to": value}


OPERATORS = [  # (operator, weight)
    (op_delete, 3), (op_duplicate, 2), (op_blank, 2),
    (op_code_in_list, 2), (op_code_outside_list, 2),
    (op_amount, 3), (op_quantity_or_rate, 1), (op_date, 2), (op_attribute, 2),
    (op_vat_consistent, 2), (op_vat_inconsistent, 2),
    (op_add_extra_element, 1), (op_add_extra_attribute, 1),
]
EDIT_COUNTS = ([1, 2, 3], [6, 3, 1])


def serialize(root) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def mutant_id(seed: int, index: int) -> str:
    return f"s{seed}-{index:06d}"


def parse_mutant_id(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"s(\d+)-(\d+)", text)
    if not match:
        raise ValueError(f"not a mutant id: {text!r} (expected s<seed>-<index>, e.g. s1-000042)")
    return int(match.group(1)), int(match.group(2))


def make_mutant(sources: list[Source], seed: int, index: int) -> Mutant:
    """Mutant `index` of `seed`: a source of a syntax chosen 50/50, then 1-3 edits. A draw
    that leaves the document unchanged (an operator with nothing to apply to) is redrawn."""
    rng = random.Random(f"differential:{seed}:{index}")
    syntax = rng.choice(SYNTAXES)
    candidates = [s for s in sources if s.syntax == syntax]
    operators, weights = zip(*OPERATORS)
    while True:
        source = rng.choice(candidates)
        root = etree.fromstring(source.xml, PARSER)
        original = serialize(root)
        edits = []
        for _ in range(rng.choices(*EDIT_COUNTS)[0]):
            edit = rng.choices(operators, weights)[0](rng, root, syntax)
            if edit:
                edits.append(edit)
        data = serialize(root)
        if edits and data != original:
            return Mutant(mutant_id(seed, index), source.rel, syntax, edits, data)
