"""Extended edits of values with a meaning: code attributes (unitCode, mimeCode, schemeID, listID)
added, removed or wrong; VAT categories changed with the totals recomputed, or on one side only;
negative, zero and very large amounts; type codes of the other document kind; CII date formats
and tax type codes; UBL sub-lines.

Each operator takes (rng, doc) and returns the edit it made, or None when the document has nothing
it applies to; candidates are in document order, so the rng alone decides.
"""
from __future__ import annotations

from copy import deepcopy

from lxml import etree

from extended_doc import CAC_NS, local
from mutate import (CODES, VAT_GROUPS, _decimal, _new_vat, _set_text, _set_vat, _text, amount_elements,
                    date_elements, elements, path_of, vat_groups)
from ops_structure import _recomputed, groups
from recompute import child, children

# ------------------------------------------------------------------------------ code attributes
# (element: local name, "Parent/Child", or "|" alternatives; attribute; code kind of CODES or a
# tuple (valid values, wrong values)).
CODE_ATTRIBUTE_TARGETS = {
    "UBL": [("InvoicedQuantity|CreditedQuantity|BaseQuantity", "unitCode", "unit"),
            ("EmbeddedDocumentBinaryObject", "mimeCode", "mime"),
            ("EmbeddedDocumentBinaryObject", "filename", (["invoice.pdf", "x.png"], ["", " "])),
            ("EndpointID", "schemeID", "eas"),
            ("PartyIdentification/ID|PartyLegalEntity/CompanyID|StandardItemIdentification/ID"
             "|DeliveryLocation/ID|BuyersItemIdentification/ID|SellersItemIdentification/ID"
             "|PartyTaxScheme/CompanyID|FinancialInstitutionBranch/ID", "schemeID", "icd"),
            ("AdditionalDocumentReference/ID", "schemeID", (["AAA", "ABZ", "AUN"], ["", "XYZ"])),
            ("ItemClassificationCode", "listID", "item_class"),
            ("ItemClassificationCode|CommodityCode", "listVersionID", (["19.05.01", "2.1"], [""])),
            ("TaxCategory/ID|ClassifiedTaxCategory/ID", "schemeID", (["UNCL5305"], ["", "VAT"])),
            ("TaxScheme/ID", "schemeID", (["UN/ECE 5153"], ["", "VAT"])),
            ("InvoiceTypeCode|CreditNoteTypeCode", "listID", (["UNCL1001"], ["", "1001"])),
            ("DocumentCurrencyCode|TaxCurrencyCode", "listID", (["ISO4217"], ["", "ISO 4217"])),
            ("PaymentMeansCode", "name", (["Credit transfer", "SEPA credit transfer"], [""]))],
    "CII": [("BilledQuantity|BasisQuantity|ChargeFreeQuantity|PackageQuantity", "unitCode", "unit"),
            ("AttachmentBinaryObject", "mimeCode", "mime"),
            ("AttachmentBinaryObject", "filename", (["invoice.pdf", "x.png"], ["", " "])),
            ("URIID", "schemeID", "eas"),
            ("GlobalID|SellerTradeParty/ID|BuyerTradeParty/ID|SpecifiedLegalOrganization/ID"
             "|ShipToTradeParty/ID|PayeeTradeParty/ID", "schemeID", "icd"),
            ("SpecifiedTaxRegistration/ID", "schemeID", (["VA", "FC"], ["VAT", "", "va"])),
            ("ClassCode", "listID", "item_class"),
            ("ClassCode", "listVersionID", (["19.05.01", "2.1"], [""])),
            ("AdditionalReferencedDocument/ReferenceTypeCode", "listID", (["UNCL1153"], [""]))],
}


def _names(spec: str) -> set[tuple]:
    """{(parent local name or None, local name)} of a target spec."""
    return {(None, *a.split("/")) if "/" not in a else tuple(a.split("/")) for a in spec.split("|")}


TARGET_NAMES = {syntax: [(_names(spec), attr, kind) for spec, attr, kind in targets]
                for syntax, targets in CODE_ATTRIBUTE_TARGETS.items()}


def op_code_attribute(rng, doc):
    """unitCode / mimeCode / schemeID / listID and their siblings: added where the element has
    none (a valid or a wrong value), removed, or replaced by a wrong, empty or padded value."""
    found = []
    for node in elements(doc.root)[1:]:
        if len(node):
            continue
        name, parent = local(node), local(node.getparent())
        for names, attr, kind in TARGET_NAMES[doc.syntax]:
            if (None, name) in names or (parent, name) in names:
                found.append((node, attr, kind))
    if not found:
        return None
    node, attr, kind = rng.choice(found)
    valid, wrong = CODES[kind] if isinstance(kind, str) else kind
    before = node.get(attr)
    if before is None:
        how = rng.choice(["add_valid", "add_wrong"])
        value = rng.choice(valid if how == "add_valid" else wrong)
    else:
        how = rng.choice(["remove", "wrong", "empty", "padded", "other_valid"])
        value = {"remove": None, "wrong": rng.choice(wrong), "empty": "",
                 "padded": f" {before.strip()} ", "other_valid": rng.choice(valid)}[how]
    if value is None:
        del node.attrib[attr]
    else:
        node.set(attr, value)
    if value == before:
        return None
    return {"op": "code_attribute", "how": how, "path": f"{path_of(node)}/@{attr}", "from": before, "to": value}


# ------------------------------------------------------------------------------ VAT
def _vat_role(container, syntax: str) -> str:
    """line / allowance_charge / breakdown: where a VAT category group stands."""
    parent = container.getparent()
    parent_name = local(parent) if parent is not None else ""
    if syntax == "UBL":
        if local(container) == "ClassifiedTaxCategory":
            return "line"
        return "breakdown" if parent_name == "TaxSubtotal" else "allowance_charge"
    if local(container) == "CategoryTradeTax":
        return "allowance_charge"
    return "line" if parent_name == "SpecifiedLineTradeSettlement" else "breakdown"


def _vat_key(group) -> tuple:
    _, category, rate = group
    return _text(category).strip(), None if rate is None else _text(rate).strip()


def op_vat_recomputed(rng, doc):
    """Every group of one (category, rate) moved to another category and rate — lines,
    allowances/charges and breakdown alike — and the totals recomputed: coherent except for the
    rules of the new category (exemption reasons, VAT identifiers)."""
    found = vat_groups(doc.root, doc.syntax)
    if not found:
        return None
    keys = []
    for group in found:
        if _vat_key(group) not in keys:
            keys.append(_vat_key(group))
    old = rng.choice(keys)
    new = _new_vat(rng, *old)
    touched = [g for g in found if _vat_key(g) == old]
    for group in touched:
        _set_vat(group, doc.syntax, *new)
    return _recomputed(rng, doc, {"op": "vat_recomputed", "from": list(old), "to": list(new),
                                  "count": len(touched)}, chance=1.0)


def op_vat_one_line(rng, doc):
    """One line alone gets another category and rate; the breakdown is recomputed (a new
    breakdown appears for it) or, half of the time, left as it was."""
    lines = [g for g in vat_groups(doc.root, doc.syntax) if _vat_role(g[0], doc.syntax) == "line"]
    if not lines:
        return None
    group = rng.choice(lines)
    old = _vat_key(group)
    new = _new_vat(rng, *old)
    _set_vat(group, doc.syntax, *new)
    return _recomputed(rng, doc, {"op": "vat_one_line", "path": path_of(group[0]), "from": list(old),
                                  "to": list(new)})


def op_vat_one_side(rng, doc):
    """One (category, rate) changed on one side only: all its lines, all its allowances and
    charges, or its breakdown — the document inconsistent in its VAT codes."""
    found = vat_groups(doc.root, doc.syntax)
    if not found:
        return None
    keys = []
    for group in found:
        if _vat_key(group) not in keys:
            keys.append(_vat_key(group))
    old = rng.choice(keys)
    roles = sorted({_vat_role(g[0], doc.syntax) for g in found if _vat_key(g) == old})
    role = rng.choice(roles)
    new = _new_vat(rng, *old)
    touched = [g for g in found if _vat_key(g) == old and _vat_role(g[0], doc.syntax) == role]
    for group in touched:
        _set_vat(group, doc.syntax, *new)
    return {"op": "vat_one_side", "side": role, "from": list(old), "to": list(new), "count": len(touched)}


# ------------------------------------------------------------------------------ amounts
LARGE = ["99999999999999.99", "123456789012345678.90", "1000000000000000"]


def _either(first, second):
    """`first or second` for elements (an lxml element without children is falsy)."""
    return first if first is not None else second


def _line_amount(line, syntax: str):
    if syntax == "UBL":
        return child(line, "LineExtensionAmount")
    settlement = child(line, "SpecifiedLineTradeSettlement")
    return child(child(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount")


def _line_quantity(line, syntax: str):
    if syntax == "UBL":
        return _either(child(line, "InvoicedQuantity"), child(line, "CreditedQuantity"))
    return child(child(line, "SpecifiedLineTradeDelivery"), "BilledQuantity")


def _line_price(line, syntax: str):
    if syntax == "UBL":
        return child(child(line, "Price"), "PriceAmount")
    return child(child(child(line, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice"), "ChargeAmount")


def _negate(node) -> None:
    value = _decimal(_text(node))
    if value is not None:
        node.text = str(-value)


def op_amount_extreme(rng, doc):
    """Negative, zero and very large amounts: on one amount alone, or on a line (quantity and
    net amount, totals recomputed), every line (a negative invoice), a price or an allowance."""
    how = rng.choice(["negative_one", "zero_one", "large_one", "negative_zero", "credit_line",
                      "zero_line", "large_line", "negative_price", "negative_document",
                      "negative_allowance"])
    lines = [n for k, n in groups(doc) if k == "line"]
    edit = {"op": "amount_extreme", "how": how}
    if how.endswith("_one") or how == "negative_zero":
        amounts = [e for e in amount_elements(doc.root, doc.syntax) if _decimal(_text(e)) is not None]
        if not amounts:
            return None
        node = rng.choice(amounts)
        value = _decimal(_text(node))
        to = {"negative_one": str(-value) if value else "-1.00", "zero_one": "0.00",
              "large_one": rng.choice(LARGE), "negative_zero": "-0.00"}[how]
        return {**edit, **_set_text(node, to)}
    if how in ("credit_line", "zero_line", "large_line", "negative_price"):
        if not lines:
            return None
        line = rng.choice(lines)
        amount, quantity, price = (_line_amount(line, doc.syntax), _line_quantity(line, doc.syntax),
                                   _line_price(line, doc.syntax))
        edit["path"] = path_of(line)
        if how == "negative_price":
            if price is None:
                return None
            _negate(price)
            return {**edit, "to": _text(price)}
        if amount is None:
            return None
        if how == "credit_line":
            _negate(amount)
            if quantity is not None:
                _negate(quantity)
        elif how == "zero_line":
            amount.text = "0.00"
            if price is not None:
                price.text = "0.00"
        else:
            amount.text = rng.choice(LARGE[:1] + ["1000000000.00"])
        edit["to"] = _text(amount)
        return _recomputed(rng, doc, edit, chance=0.8)
    if how == "negative_document":
        if not lines:
            return None
        for line in lines:
            for node in (_line_amount(line, doc.syntax), _line_quantity(line, doc.syntax)):
                if node is not None:
                    _negate(node)
        return _recomputed(rng, doc, edit, chance=0.8)
    charges = [n for k, n in groups(doc) if k == "allowance_charge"]
    amount_name = "Amount" if doc.syntax == "UBL" else "ActualAmount"
    charges = [c for c in charges if child(c, amount_name) is not None]
    if not charges:
        return None
    node = child(rng.choice(charges), amount_name)
    _negate(node)
    return _recomputed(rng, doc, {**edit, "path": path_of(node), "to": _text(node)}, chance=0.8)


# ------------------------------------------------------------------------------ type codes
INVOICE_CODES = ["380", "383", "384", "386", "389", "393", "395", "575", "623", "751", "780", "82", "71", "326"]
CREDIT_CODES = ["381", "396", "81", "83", "532", "261", "262", "296", "308", "420", "458", "502", "503"]
OTHER_1001_CODES = ["220", "325", "1", "50", "916"]


def op_type_code(rng, doc):
    """A credit-note type code in an invoice and the other way round; a UNTDID 1001 code that
    is no invoice at all; or (UBL) the type code element of the other document kind."""
    if doc.syntax == "UBL":
        node = _either(child(doc.root, "InvoiceTypeCode"), child(doc.root, "CreditNoteTypeCode"))
        credit = local(doc.root) == "CreditNote"
    else:
        node = child(child(doc.root, "ExchangedDocument"), "TypeCode")
        credit = _text(node).strip() in CREDIT_CODES if node is not None else False
    if node is None:
        return None
    how = rng.choice(["other_kind", "other_kind", "not_an_invoice", "element_of_other_kind"])
    if how == "element_of_other_kind":
        if doc.syntax != "UBL":
            return None
        before = path_of(node)
        other = "InvoiceTypeCode" if local(node) == "CreditNoteTypeCode" else "CreditNoteTypeCode"
        node.tag = f"{{{etree.QName(node).namespace}}}{other}"
        return {"op": "type_code", "how": how, "path": before, "to": other}
    pool = (INVOICE_CODES if credit else CREDIT_CODES) if how == "other_kind" else OTHER_1001_CODES
    return {"op": "type_code", "how": how, **_set_text(node, rng.choice(pool))}


# ------------------------------------------------------------------------------ CII
CII_FORMATS = [("610", lambda d: d[:6]), ("616", lambda d: d[:4] + "46"), ("204", lambda d: d + "120000"),
               ("203", lambda d: d + "1200"), ("102", lambda d: d)]


def op_cii_date_format(rng, doc):
    """udt:DateTimeString and qdt:DateString with a format other than 102 (and a value in that
    format), no format, or 102 written loosely."""
    if doc.syntax != "CII":
        return None
    nodes = [e for e in date_elements(doc.root, doc.syntax) + [
        e for e in elements(doc.root) if local(e) == "DateString"] if _text(e).strip()]
    if not nodes:
        return None
    node = rng.choice(nodes)
    before = (node.get("format"), _text(node))
    how = rng.choice(["other_format", "other_format", "no_format", "padded_format", "empty_format"])
    if how == "other_format":
        code, value = rng.choice(CII_FORMATS[:-1])
        node.set("format", code)
        node.text = value(_text(node).strip())
    elif how == "no_format":
        node.attrib.pop("format", None)
    else:
        node.set("format", " 102 " if how == "padded_format" else "")
    after = (node.get("format"), _text(node))
    if after == before:
        return None
    return {"op": "cii_date_format", "how": how, "path": path_of(node), "from": list(before), "to": list(after)}


def op_cii_tax_type_code(rng, doc):
    """The TypeCode of the ApplicableTradeTax / CategoryTradeTax groups other than VAT: all of
    them, one, removed, or padded."""
    if doc.syntax != "CII":
        return None
    containers = VAT_GROUPS["CII"][0]
    codes = [c for e in elements(doc.root) if local(e) in containers
             for c in e if isinstance(c.tag, str) and local(c) == "TypeCode"]
    if not codes:
        return None
    how = rng.choice(["all_other", "one_other", "remove_one", "padded_one"])
    value = rng.choice(["GST", "TVA", "vat", "VAT_", "IVA"])
    if how == "all_other":
        for node in codes:
            node.text = value
        return {"op": "cii_tax_type_code", "how": how, "to": value, "count": len(codes)}
    node = rng.choice(codes)
    path = path_of(node)
    if how == "remove_one":
        node.getparent().remove(node)
        return {"op": "cii_tax_type_code", "how": how, "path": path}
    return {"op": "cii_tax_type_code", "how": how,
            **_set_text(node, value if how == "one_other" else rng.choice([" VAT", "VAT ", "\nVAT\n"]))}


# ------------------------------------------------------------------------------ UBL
def op_ubl_sub_line(rng, doc):
    """cac:SubInvoiceLine / cac:SubCreditNoteLine: a copy of a line nested in it (once, twice,
    or a sub-line in a sub-line), as an ERP writes a bill of materials."""
    if doc.syntax != "UBL":
        return None
    lines = children(doc.root, "InvoiceLine|CreditNoteLine")
    if not lines:
        return None
    line = rng.choice(lines)
    name = "SubInvoiceLine" if local(line) == "InvoiceLine" else "SubCreditNoteLine"
    how = rng.choice(["one", "two", "nested"])
    template = deepcopy(line)
    for old in children(template, "SubInvoiceLine|SubCreditNoteLine"):
        template.remove(old)
    parent = line
    for number in range(1, 3 if how != "one" else 2):
        sub = etree.SubElement(parent, f"{{{CAC_NS}}}{name}")
        for node in deepcopy(template):
            sub.append(node)
        ident = child(sub, "ID")
        if ident is not None:
            ident.text = f"{_text(ident).strip()}.{number}"
        if how == "nested":
            parent = sub
    return {"op": "ubl_sub_line", "how": how, "path": path_of(line)}

