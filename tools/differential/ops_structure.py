"""Extended edits of what a document says: whole groups duplicated, removed, swapped or reordered;
repeated header elements; currencies, the tax currency (BT-6) and the code attributes; VAT
categories changed with the totals recomputed (recompute.py) or left inconsistent; negative, zero
and very large amounts; credit-note type codes in invoices and the other way round; CII date
formats and tax type codes; UBL sub-lines.

Each operator takes (rng, doc) and returns the edit it made, or None when the document has nothing
it applies to; candidates are in document order, so the rng alone decides.
"""
from __future__ import annotations

from copy import deepcopy
from decimal import Decimal

from lxml import etree

from extended_doc import Doc, local
from mutate import CODES, _decimal, _nodes_at, _text, amount_elements, elements, path_of
from recompute import child, children, money, recompute

ROOT = ""   # a group whose parent is the document element


def _recomputed(rng, doc: Doc, edit: dict, chance: float = 0.5) -> dict:
    """Totals and VAT breakdown recomputed (with `chance`), recorded in the edit."""
    edit["recomputed"] = rng.random() < chance and recompute(doc.root, doc.syntax)
    return edit


# ------------------------------------------------------------------------------ groups
# (kind, parent local names or ROOT, element local names); "|" separates alternatives.
GROUPS = {
    "UBL": [("line", ROOT, "InvoiceLine|CreditNoteLine"), ("vat_breakdown", "TaxTotal", "TaxSubtotal"),
            ("tax_total", ROOT, "TaxTotal"),
            ("allowance_charge", ROOT + "|InvoiceLine|CreditNoteLine", "AllowanceCharge"),
            ("party", ROOT, "AccountingSupplierParty|AccountingCustomerParty|PayeeParty|TaxRepresentativeParty"),
            ("delivery", ROOT, "Delivery"), ("payment_means", ROOT, "PaymentMeans"),
            ("payment_terms", ROOT, "PaymentTerms"), ("document_reference", ROOT, "AdditionalDocumentReference"),
            ("period", ROOT + "|InvoiceLine|CreditNoteLine", "InvoicePeriod"), ("note", ROOT, "Note")],
    "CII": [("line", "SupplyChainTradeTransaction", "IncludedSupplyChainTradeLineItem"),
            ("vat_breakdown", "ApplicableHeaderTradeSettlement", "ApplicableTradeTax"),
            ("allowance_charge", "ApplicableHeaderTradeSettlement|SpecifiedLineTradeSettlement",
             "SpecifiedTradeAllowanceCharge"),
            ("party", "ApplicableHeaderTradeAgreement",
             "SellerTradeParty|BuyerTradeParty|SellerTaxRepresentativeTradeParty"),
            ("party", "ApplicableHeaderTradeSettlement", "PayeeTradeParty"),
            ("party", "ApplicableHeaderTradeDelivery", "ShipToTradeParty"),
            ("payment_means", "ApplicableHeaderTradeSettlement", "SpecifiedTradeSettlementPaymentMeans"),
            ("payment_terms", "ApplicableHeaderTradeSettlement", "SpecifiedTradePaymentTerms"),
            ("document_reference", "ApplicableHeaderTradeAgreement", "AdditionalReferencedDocument"),
            ("period", "ApplicableHeaderTradeSettlement|SpecifiedLineTradeSettlement", "BillingSpecifiedPeriod"),
            ("note", "ExchangedDocument", "IncludedNote")],
}
RECOMPUTED_KINDS = {"line", "allowance_charge"}


def groups(doc: Doc) -> list[tuple[str, object]]:
    """(kind, element) of every group instance, in document order."""
    found = []
    for node in elements(doc.root)[1:]:
        parent = node.getparent()
        parent_name = "" if parent is doc.root else local(parent)
        for kind, parents, names in GROUPS[doc.syntax]:
            if local(node) in names.split("|") and parent_name in parents.split("|"):
                found.append((kind, node))
                break
    return found


def _pick_group(rng, doc: Doc):
    found = groups(doc)
    if not found:
        return None
    kinds = sorted({kind for kind, _ in found})
    kind = rng.choice(kinds)
    return kind, rng.choice([node for k, node in found if k == kind])


def _line_id(line, syntax: str):
    if syntax == "UBL":
        return child(line, "ID")
    return child(child(line, "AssociatedDocumentLineDocument"), "LineID")


def op_group_duplicate(rng, doc):
    picked = _pick_group(rng, doc)
    if picked is None:
        return None
    kind, node = picked
    copy = deepcopy(node)
    node.addnext(copy)
    edit = {"op": "group_duplicate", "group": kind, "path": path_of(node)}
    if kind == "line" and rng.random() < 0.6:
        ident = _line_id(copy, doc.syntax)
        if ident is not None:
            ident.text = f"{(ident.text or '').strip()}-{rng.choice(['1', 'b', '99'])}"
            edit["new_line_id"] = ident.text
    if kind in RECOMPUTED_KINDS:
        _recomputed(rng, doc, edit)
    return edit


def op_group_remove(rng, doc):
    picked = _pick_group(rng, doc)
    if picked is None:
        return None
    kind, node = picked
    edit = {"op": "group_remove", "group": kind, "path": path_of(node)}
    node.getparent().remove(node)
    if kind in RECOMPUTED_KINDS:
        _recomputed(rng, doc, edit)
    return edit


def _move(parent, nodes: list, order: list) -> None:
    """Put `order` (a permutation of `nodes`, siblings under parent) in the slots of `nodes`."""
    slots = sorted(parent.index(n) for n in nodes)
    for node in nodes:
        parent.remove(node)
    for slot, node in zip(slots, order):
        parent.insert(slot, node)


def op_swap_lines(rng, doc):
    """Two lines (or, without two lines, two instances of another repeated group) swapped."""
    found = groups(doc)
    lines = [n for k, n in found if k == "line"]
    pairs = [lines] if len(lines) >= 2 else []
    if not pairs:
        by_parent: dict = {}
        for kind, node in found:
            by_parent.setdefault((kind, id(node.getparent())), []).append(node)
        pairs = [nodes for nodes in by_parent.values() if len(nodes) >= 2]
    if not pairs:
        return None
    nodes = rng.choice(pairs)
    first, second = sorted(rng.sample(range(len(nodes)), 2))
    a, b = nodes[first], nodes[second]
    paths = [path_of(a), path_of(b)]
    _move(a.getparent(), [a, b], [b, a])
    return {"op": "swap_lines", "paths": paths}


def op_reorder_siblings(rng, doc):
    parents = [e for e in elements(doc.root) if sum(1 for c in e if isinstance(c.tag, str)) >= 2]
    if not parents:
        return None
    parent = rng.choice(parents)
    kids = [c for c in parent if isinstance(c.tag, str)]
    how = rng.choice(["reverse", "rotate", "first_to_last", "shuffle"])
    if how == "reverse":
        order = kids[::-1]
    elif how == "rotate":
        order = kids[1:] + kids[:1]
    elif how == "first_to_last":
        index = rng.randrange(len(kids))
        order = kids[:index] + kids[index + 1:] + [kids[index]]
    else:
        order = kids[:]
        rng.shuffle(order)
    if order == kids:
        return None
    names = [local(k) for k in order]
    _move(parent, kids, order)
    return {"op": "reorder_siblings", "how": how, "path": path_of(parent), "order": names}


# Elements of which EN 16931 allows one: (path of local names below the root; "Line" is any line).
SINGLETONS = {
    "UBL": ["ID", "IssueDate", "DueDate", "InvoiceTypeCode", "CreditNoteTypeCode", "DocumentCurrencyCode",
            "TaxCurrencyCode", "BuyerReference", "AccountingCost", "TaxPointDate", "InvoicePeriod",
            "OrderReference", "AccountingSupplierParty", "AccountingCustomerParty", "PayeeParty",
            "LegalMonetaryTotal", "LegalMonetaryTotal/PayableAmount", "LegalMonetaryTotal/LineExtensionAmount",
            "LegalMonetaryTotal/TaxExclusiveAmount", "Delivery/ActualDeliveryDate",
            "AccountingSupplierParty/Party/PostalAddress", "AccountingCustomerParty/Party/PartyLegalEntity",
            "Line/ID", "Line/LineExtensionAmount", "Line/InvoicedQuantity", "Line/CreditedQuantity",
            "Line/Item/Name", "Line/Price", "Line/Price/PriceAmount", "Line/Item/ClassifiedTaxCategory",
            "Line/Item/ClassifiedTaxCategory/Percent"],
    "CII": ["ExchangedDocument/ID", "ExchangedDocument/TypeCode", "ExchangedDocument/IssueDateTime",
            "ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter",
            "ExchangedDocumentContext/BusinessProcessSpecifiedDocumentContextParameter",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerReference",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty/Name",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty/PostalTradeAddress",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeDelivery/ActualDeliverySupplyChainEvent",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/InvoiceCurrencyCode",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/TaxCurrencyCode",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/PaymentReference",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/BillingSpecifiedPeriod",
            "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation",
            *[f"SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/"
              f"SpecifiedTradeSettlementHeaderMonetarySummation/{name}"
              for name in ("LineTotalAmount", "TaxBasisTotalAmount", "GrandTotalAmount", "DuePayableAmount",
                           "AllowanceTotalAmount", "ChargeTotalAmount", "TotalPrepaidAmount", "RoundingAmount")],
            *[f"SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem/{name}"
              for name in ("AssociatedDocumentLineDocument/LineID", "SpecifiedTradeProduct",
                           "SpecifiedTradeProduct/Name", "SpecifiedLineTradeDelivery/BilledQuantity",
                           "SpecifiedLineTradeSettlement/ApplicableTradeTax",
                           "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation",
                           "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
                           "SpecifiedLineTradeAgreement/NetPriceProductTradePrice",
                           "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount")]],
}


def op_repeat_header(rng, doc):
    """An element EN 16931 allows once, written twice: the same, or with another value."""
    found = [node for spec in SINGLETONS[doc.syntax] for node in _nodes_at(doc.root, spec)]
    if not found:
        return None
    node = rng.choice(found)
    edit = {"op": "repeat_header", "path": path_of(node), "same": True}
    copy = deepcopy(node)
    node.addnext(copy)
    if len(copy) == 0 and _text(copy).strip() and rng.random() < 0.5:
        value = _decimal(_text(copy))
        edit.update(same=False, to=str(value + 1) if value is not None else _text(copy).strip() + "-2")
        copy.text = edit["to"]
    return edit


# ------------------------------------------------------------------------------ currencies
def _document_currency(doc: Doc):
    if doc.syntax == "UBL":
        return child(doc.root, "DocumentCurrencyCode")
    return _first(doc, "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/InvoiceCurrencyCode")


def _first(doc: Doc, spec: str):
    found = _nodes_at(doc.root, spec)
    return found[0] if found else None


def _other_currency(rng, *avoid: str) -> str:
    return rng.choice([c for c in CODES["currency"][0] if c not in avoid])


def op_currency_id(rng, doc):
    """currencyID attributes against the document currency (BT-5): one or all amounts in another
    valid currency, the document currency alone changed, all changed together, one removed or
    written loosely; in CII, currencyID added to amounts that do not carry it."""
    code_node = _document_currency(doc)
    currency = _text(code_node).strip() if code_node is not None else "EUR"
    with_id = [e for e in elements(doc.root) if "currencyID" in e.attrib]
    amounts = amount_elements(doc.root, doc.syntax)
    how = rng.choice(["one_other", "all_other", "document_only", "all_consistent", "remove_one",
                      "loose_one", "add_to_amount"])
    other = _other_currency(rng, currency)
    edit = {"op": "currency_id", "how": how, "document_currency": currency}
    if how in ("one_other", "remove_one", "loose_one"):
        if not with_id:
            return None
        node = rng.choice(with_id)
        value = {"one_other": other, "remove_one": None,
                 "loose_one": rng.choice([f" {currency}", f"{currency} ", currency.lower()])}[how]
        if value is None:
            del node.attrib["currencyID"]
        else:
            node.set("currencyID", value)
        return {**edit, "path": f"{path_of(node)}/@currencyID", "to": value}
    if how == "add_to_amount":
        bare = [e for e in amounts if "currencyID" not in e.attrib]
        if not bare:
            return None
        node = rng.choice(bare)
        value = rng.choice([currency, other])
        node.set("currencyID", value)
        return {**edit, "path": f"{path_of(node)}/@currencyID", "to": value}
    if how in ("document_only", "all_consistent"):
        if code_node is None:
            return None
        code_node.text = other
    if how in ("all_other", "all_consistent"):
        if not with_id:
            return None
        for node in with_id:
            if node.get("currencyID") == currency:
                node.set("currencyID", other)
    return {**edit, "to": other}


def _insert_after(anchor, node) -> None:
    anchor.addnext(node)
    node.tail = anchor.tail


def op_tax_currency(rng, doc):
    """A VAT accounting currency (BT-6) with its total (BT-111): as EN 16931 wants it, or without
    the total, the total without the code, the code equal to BT-5, the first total without its
    currency (CII), or the amount with three decimals."""
    code_node = _document_currency(doc)
    if code_node is None:
        return None
    currency = _text(code_node).strip()
    how = rng.choice(["valid", "without_total", "total_only", "same_as_document", "three_decimals",
                      "with_subtotals" if doc.syntax == "UBL" else "first_without_currency"])
    tax_currency = currency if how == "same_as_document" else _other_currency(rng, currency)
    if doc.syntax == "UBL":
        totals = children(doc.root, "TaxTotal")
        if not totals:
            return None
        first = totals[0]
        tax = _decimal(_text(child(first, "TaxAmount"))) or Decimal(0)
    else:
        summation = _first(doc, "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/"
                                "SpecifiedTradeSettlementHeaderMonetarySummation")
        first = child(summation, "TaxTotalAmount")
        if first is None:
            return None
        tax = _decimal(_text(first)) or Decimal(0)
    converted = money(tax * Decimal("1.5"))
    if how == "three_decimals":
        converted = f"{tax * Decimal('1.5'):.3f}"
    if how != "total_only":
        existing = next((c for c in code_node.getparent() if isinstance(c.tag, str)
                         and local(c) == "TaxCurrencyCode"), None)
        if existing is None:
            existing = deepcopy(code_node)
            existing.tag = f"{{{etree.QName(code_node).namespace}}}TaxCurrencyCode"
            if doc.syntax == "UBL":
                _insert_after(code_node, existing)
            else:
                code_node.addprevious(existing)
                existing.tail = code_node.tail
        existing.text = tax_currency
    if how != "without_total":
        if doc.syntax == "UBL":
            second = deepcopy(first)
            for node in children(second, "TaxSubtotal") if how != "with_subtotals" else []:
                second.remove(node)
            for node in second.iter():
                if isinstance(node.tag, str) and "currencyID" in node.attrib:
                    node.set("currencyID", tax_currency)
                    value = _decimal(_text(node))
                    if value is not None and node is not second:
                        node.text = money(value * Decimal("1.5"))
            child(second, "TaxAmount").text = converted
            _insert_after(children(doc.root, "TaxTotal")[-1], second)
        else:
            second = deepcopy(first)
            second.set("currencyID", tax_currency)
            second.text = converted
            if how == "first_without_currency":
                first.attrib.pop("currencyID", None)
            else:
                first.set("currencyID", currency)
            _insert_after(first, second)
    return {"op": "tax_currency", "how": how, "document_currency": currency,
            "tax_currency": tax_currency, "tax_total": None if how == "without_total" else converted}
