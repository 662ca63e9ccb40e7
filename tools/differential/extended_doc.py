"""The document an extended edit works on: the lxml tree plus what lxml cannot hold in a tree and
is written at serialization time — raw markup inside values (character references, partial CDATA
sections), namespace prefixes other than the parsed ones, redundant namespace declarations, and
the encoding, declaration and line ends of the file.

Raw markup stands in the tree as a marker (a private-use character pair around a number) that
`serialize` replaces by the markup once lxml has escaped everything else; an edit that later
overwrites the value simply drops the marker.
"""
from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from mutate import CBC_NS, CII_NS, RAM_NS, UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS

CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UDT_NS = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
MARKER = re.compile("\ue000(\\d+)\ue001")
ATTRIBUTE_MARKER = "zzrawdeclaration"


def local(node) -> str:
    """An element's local name (mutate.local's result, without building a QName: the extended
    operators call it for every element of every document)."""
    return node.tag.rpartition("}")[2]


@dataclass
class Doc:
    root: object
    syntax: str
    raw: list[str] = field(default_factory=list)              # marker number -> markup
    prefixes: dict[str, str | None] | None = None            # namespace -> prefix at the root
    extra_declarations: dict[str, str] = field(default_factory=dict)   # prefix -> namespace
    subtree_prefixes: list[tuple] = field(default_factory=list)        # (element, prefix, namespace)
    redeclared: list[tuple] = field(default_factory=list)              # (element, prefix, namespace)
    encoding: str = "UTF-8"
    declaration: str | None = "<?xml version='1.0' encoding='{encoding}'?>\n"
    bom: bool = False
    line_end: str = "\n"

    def marker(self, markup: str) -> str:
        """Text that `serialize` writes as `markup`, unescaped."""
        self.raw.append(markup)
        return f"\ue000{len(self.raw) - 1}\ue001"


def element_namespaces(root) -> list[str]:
    """Namespaces of the document's elements, in the order they first occur."""
    seen = []
    for node in root.iter():
        if isinstance(node.tag, str):
            namespace = etree.QName(node).namespace
            if namespace and namespace not in seen:
                seen.append(namespace)
    return seen


def rebuild(root, root_nsmap: dict, rename: dict | None = None, subtree: list | None = None):
    """A copy of the tree whose root declares `root_nsmap`; `rename` maps element tags to new
    tags; `subtree` holds (element, prefix, namespace) declared on that element's copy. lxml
    writes each element with the nearest in-scope prefix of its namespace, so the declarations
    decide the prefixes. Returns (new root, {id(old element): new element})."""
    rename = rename or {}
    extra = {}
    for element, prefix, namespace in subtree or []:
        extra.setdefault(id(element), {})[prefix] = namespace
    mapping = {}

    def copy_into(source, target):
        target.text = source.text
        mapping[id(source)] = target
        for node in source:
            if isinstance(node.tag, str):
                new = etree.SubElement(target, rename.get(node.tag, node.tag), attrib=dict(node.attrib),
                                       nsmap=extra.get(id(node)))
                copy_into(node, new)
                new.tail = node.tail
            else:
                target.append(deepcopy(node))

    new_root = etree.Element(rename.get(root.tag, root.tag), attrib=dict(root.attrib), nsmap=root_nsmap)
    copy_into(root, new_root)
    # Comments and processing instructions around the root element (lxml allows only those).
    for node in reversed(list(root.itersiblings(preceding=True))):
        new_root.addprevious(deepcopy(node))
    for node in reversed(list(root.itersiblings())):
        new_root.addnext(deepcopy(node))
    return new_root, mapping


def _planned_nsmap(doc: Doc) -> dict:
    nsmap = {}
    if doc.prefixes is None:
        nsmap.update(doc.root.nsmap)
    else:
        taken = set(doc.prefixes.values())
        # Declarations the plan does not cover (xsi and the like) keep their prefixes.
        nsmap.update({p: ns for p, ns in doc.root.nsmap.items()
                      if ns not in doc.prefixes and p not in taken})
        nsmap.update({prefix: namespace for namespace, prefix in doc.prefixes.items()})
    for prefix, namespace in doc.extra_declarations.items():
        nsmap.setdefault(prefix, namespace)
    return nsmap


def serialize(doc: Doc) -> bytes:
    root = doc.root
    redeclared = doc.redeclared
    if doc.prefixes is not None or doc.extra_declarations or doc.subtree_prefixes:
        root, mapping = rebuild(root, _planned_nsmap(doc), subtree=doc.subtree_prefixes)
        redeclared = [(mapping[id(e)], p, ns) for e, p, ns in redeclared if id(e) in mapping]
    # A redundant declaration is an attribute named by number while lxml writes the tree, then
    # replaced in the text (lxml itself never writes a declaration already in scope).
    declarations = {}
    for number, (element, prefix, namespace) in enumerate(redeclared):
        name = f"{ATTRIBUTE_MARKER}{number}"
        element.set(name, "")
        declarations[f' {name}=""'] = f' xmlns{":" + prefix if prefix else ""}="{namespace}"'
    try:
        text = etree.tostring(root.getroottree(), encoding="unicode")
    finally:
        for number, (element, _, _) in enumerate(redeclared):
            element.attrib.pop(f"{ATTRIBUTE_MARKER}{number}", None)
    for attribute, declaration in declarations.items():
        text = text.replace(attribute, declaration)
    text = MARKER.sub(lambda m: doc.raw[int(m.group(1))], text)
    if doc.declaration:
        text = doc.declaration.format(encoding=doc.encoding) + text
    if doc.line_end != "\n":
        text = text.replace("\n", doc.line_end)
    data = text.encode(doc.encoding, errors="xmlcharrefreplace")
    # Python's "UTF-16" codec writes a byte order mark itself; UTF-8 gets one only when asked.
    return (b"\xef\xbb\xbf" + data) if doc.bom and doc.encoding == "UTF-8" else data


# ------------------------------------------------------------------------------ credit notes
# A UBL Invoice made a CreditNote as a converter does it: root, lines, quantities and type code
# renamed; DueDate (not in the UBL 2.1 CreditNote) left where it was or moved to PaymentMeans.
CREDIT_NOTE_RENAMES = {
    f"{{{UBL_INVOICE_NS}}}Invoice": f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote",
    f"{{{CAC_NS}}}InvoiceLine": f"{{{CAC_NS}}}CreditNoteLine",
    f"{{{CAC_NS}}}SubInvoiceLine": f"{{{CAC_NS}}}SubCreditNoteLine",
    f"{{{CBC_NS}}}InvoicedQuantity": f"{{{CBC_NS}}}CreditedQuantity",
    f"{{{CBC_NS}}}InvoiceTypeCode": f"{{{CBC_NS}}}CreditNoteTypeCode",
}
CREDIT_NOTE_CODES = ["381", "381", "381", "396", "81", "83", "532"]


def to_credit_note(rng, doc: Doc) -> dict | None:
    if doc.syntax != "UBL" or local(doc.root) != "Invoice":
        return None
    nsmap = {p: (UBL_CREDIT_NOTE_NS if ns == UBL_INVOICE_NS else ns) for p, ns in doc.root.nsmap.items()}
    doc.root, _ = rebuild(doc.root, nsmap, CREDIT_NOTE_RENAMES)
    edit = {"op": "ubl_to_credit_note"}
    code = next((c for c in doc.root if c.tag == f"{{{CBC_NS}}}CreditNoteTypeCode"), None)
    if code is not None:
        edit["type_code"] = code.text = rng.choice(CREDIT_NOTE_CODES)
    due = next((c for c in doc.root if c.tag == f"{{{CBC_NS}}}DueDate"), None)
    means = next((c for c in doc.root if c.tag == f"{{{CAC_NS}}}PaymentMeans"), None)
    if due is not None and means is not None and rng.random() < 0.5:
        doc.root.remove(due)
        moved = etree.SubElement(means, f"{{{CBC_NS}}}PaymentDueDate")
        moved.text = due.text
        code_node = next((c for c in means if isinstance(c.tag, str) and local(c) == "PaymentMeansCode"), None)
        if code_node is not None:
            code_node.addnext(moved)
        edit["due_date"] = "moved to PaymentMeans/PaymentDueDate"
    elif due is not None:
        edit["due_date"] = "kept at the root"
    return edit


ROOT_NAMESPACES = {"UBL": (UBL_INVOICE_NS, UBL_CREDIT_NOTE_NS), "CII": (CII_NS,)}
SYNTAX_NAMESPACES = {"UBL": (CAC_NS, CBC_NS), "CII": (RAM_NS, UDT_NS, QDT_NS)}
