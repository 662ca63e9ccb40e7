"""Extended edits of how values and markup are written, the data meaning the same or nearly:
lexical forms of numbers, dates and codes; comments, processing instructions, CDATA sections and
character references inside values; namespace prefixes and declarations; encoding and layout.

Each operator takes (rng, doc) and returns the edit it made, or None when the document has nothing
it applies to; candidates are in document order, so the rng alone decides.
"""
from __future__ import annotations

from lxml import etree

from extended_doc import ROOT_NAMESPACES, SYNTAX_NAMESPACES, Doc, element_namespaces
from mutate import (QUANTITY_OR_RATE, _decimal, _set_text, _text, amount_elements, code_targets,
                    date_elements, leaves, path_of)

NBSP = "\u00a0"


def number_elements(doc: Doc) -> list:
    """Amounts, quantities and percentages (BT-x amounts, BT-129/149 quantities, VAT rates)."""
    amounts = amount_elements(doc.root, doc.syntax)
    # ids are those of the proxies `amounts` keeps alive (lxml hands out one proxy per node).
    wanted = set(map(id, amounts))
    return [e for e in leaves(doc.root)
            if (id(e) in wanted or etree.QName(e).localname in QUANTITY_OR_RATE) and _text(e).strip()]


def _number_variant(rng, text: str) -> tuple[str, str] | None:
    value = _decimal(text)
    stripped = text.strip()
    if value is None:
        return None
    sign = "-" if value < 0 else ""
    magnitude = stripped.lstrip("+-")
    whole, _, fraction = magnitude.partition(".")
    grouped = f"{int(whole):,}" if whole.isdigit() else whole
    variants = {
        "pad_spaces": f"  {stripped}  ",
        "pad_newlines": f"\n\t\t{stripped}\n\t",
        "nbsp": rng.choice([NBSP + stripped, stripped + NBSP]),
        "leading_plus": None if sign else "+" + stripped,
        "exponent": rng.choice([f"{value:E}", f"{value:e}", f"{value.normalize():E}"]),
        "trailing_zeros": stripped + ("000" if "." in stripped else ".000"),
        "leading_zeros": f"{sign}00{magnitude}",
        "bare_point": (f"{sign}{whole}." if not fraction else
                       f"{sign}.{fraction}" if whole == "0" else None),
        "thousands_comma": f"{sign}{grouped}{'.' + fraction if fraction else ''}",
        "thousands_space": f"{sign}{grouped.replace(',', ' ')}{'.' + fraction if fraction else ''}",
        "thousands_apostrophe": f"{sign}{grouped.replace(',', chr(39))}{'.' + fraction if fraction else ''}",
        "european": f"{sign}{grouped.replace(',', '.')}{',' + fraction if fraction else ''}",
    }
    name = rng.choice(sorted(variants))
    new = variants[name]
    if new is None or new == text:
        return None
    return name, new


def op_lexical_number(rng, doc):
    nodes = number_elements(doc)
    if not nodes:
        return None
    node = rng.choice(nodes)
    variant = _number_variant(rng, _text(node))
    if variant is None:
        return None
    return {"op": "lexical_number", "variant": variant[0], **_set_text(node, variant[1])}


DATE_VARIANTS = {
    "UBL": {"pad_spaces": "  {}  ", "pad_newlines": "\n\t{}\n", "nbsp": NBSP + "{}",
            "timezone_z": "{}Z", "timezone_offset": "{}+01:00", "leading_plus": "+{}",
            "negative_year": "-{}", "trailing_nbsp": "{}" + NBSP},
    "CII": {"pad_spaces": "  {}  ", "pad_newlines": "\n\t{}\n", "nbsp": NBSP + "{}",
            "leading_plus": "+{}", "leading_zero": "0{}", "time_appended": "{}1200",
            "trailing_nbsp": "{}" + NBSP},
}


def op_lexical_date(rng, doc):
    nodes = [e for e in date_elements(doc.root, doc.syntax) if _text(e).strip()]
    if not nodes:
        return None
    node = rng.choice(nodes)
    variants = DATE_VARIANTS[doc.syntax]
    name = rng.choice(sorted(variants))
    return {"op": "lexical_date", "variant": name,
            **_set_text(node, variants[name].format(_text(node).strip()))}


CODE_VARIANTS = ["pad_spaces", "pad_newlines", "nbsp", "lowercase", "leading_plus",
                 "leading_zeros", "trailing_zeros", "tab"]


def _code_variant(name: str, value: str) -> str | None:
    numeric = value.isdigit()
    return {
        "pad_spaces": f" {value} ",
        "pad_newlines": f"\n{value}\n",
        "nbsp": value + NBSP,
        "lowercase": value.lower() if value.lower() != value else None,
        "leading_plus": "+" + value if numeric else None,
        "leading_zeros": "0" + value if numeric else None,
        "trailing_zeros": value + ".0" if numeric else None,
        "tab": "\t" + value,
    }[name]


def op_lexical_code(rng, doc):
    targets = [(n, a, k) for n, a, k in code_targets(doc.root, doc.syntax)
               if (n.get(a) if a else _text(n)).strip()]
    if not targets:
        return None
    node, attr, kind = rng.choice(targets)
    current = (node.get(attr) if attr else _text(node)).strip()
    name = rng.choice(CODE_VARIANTS)
    value = _code_variant(name, current)
    if value is None:
        return None
    edit = {"op": "lexical_code", "variant": name, "kind": kind}
    if attr is None:
        return {**edit, **_set_text(node, value)}
    before = node.get(attr)
    node.set(attr, value)
    return {**edit, "path": f"{path_of(node)}/@{etree.QName(attr).localname}", "from": before, "to": value}


# ------------------------------------------------------------------------------ markup in values
def _filled_leaves(doc: Doc) -> list:
    return [e for e in leaves(doc.root) if _text(e).strip()]


def op_comment_in_value(rng, doc):
    """A comment or processing instruction before, inside or after a value: the element's string
    value is unchanged, but it now has two text nodes (or a text node and a comment)."""
    nodes = _filled_leaves(doc)
    if not nodes:
        return None
    node = rng.choice(nodes)
    text = _text(node)
    where = rng.choice(["before", "inside", "after"])
    what = rng.choice(["comment", "comment", "pi"])
    inserted = etree.Comment(" checked ") if what == "comment" else etree.ProcessingInstruction("erp", "v=1")
    cut = {"before": 0, "after": len(text), "inside": rng.randint(1, max(1, len(text) - 1))}[where]
    node.text = text[:cut] or None
    node.append(inserted)
    inserted.tail = text[cut:] or None
    return {"op": "comment_in_value", "what": what, "where": where, "path": path_of(node),
            "from": text, "to": [text[:cut], text[cut:]]}


def op_cdata_in_value(rng, doc):
    nodes = [e for e in _filled_leaves(doc) if "]]>" not in _text(e)]
    if not nodes:
        return None
    node = rng.choice(nodes)
    text = _text(node)
    how = rng.choice(["whole", "partial", "empty_section"])
    if how == "whole":
        node.text = etree.CDATA(text)
        written = f"<![CDATA[{text}]]>"
    elif how == "partial" and len(text) >= 2:
        cut = rng.randint(1, len(text) - 1)
        node.text = text[:cut] + doc.marker(f"<![CDATA[{text[cut:]}]]>")
        written = f"{text[:cut]}<![CDATA[{text[cut:]}]]>"
    else:
        how = "empty_section"
        node.text = text + doc.marker("<![CDATA[]]>")
        written = text + "<![CDATA[]]>"
    return {"op": "cdata_in_value", "how": how, "path": path_of(node), "from": text, "to": written}


def _reference(rng, char: str) -> str:
    return rng.choice([f"&#{ord(char)};", f"&#x{ord(char):X};", f"&#x{ord(char):x};"])


def op_char_reference(rng, doc):
    """Characters of a value (element text or code attribute) written as character references;
    or a newline / tab written as a reference, which attribute-value normalisation then keeps
    (a literal one in an attribute becomes a space)."""
    targets = [(e, None) for e in _filled_leaves(doc)]
    targets += [(n, a) for n, a, _ in code_targets(doc.root, doc.syntax) if a and n.get(a)]
    if not targets:
        return None
    node, attr = rng.choice(targets)
    text = node.get(attr) if attr else _text(node)
    how = rng.choice(["one", "all", "whitespace"])
    if how == "whitespace":
        pieces = [text, doc.marker(rng.choice(["&#10;", "&#9;", "&#xD;", "&#160;"]))]
        written = text + doc.raw[-1]
    else:
        visible = [i for i, char in enumerate(text) if not char.isspace()]
        if not visible:
            return None
        chosen = set(visible) if how == "all" else {rng.choice(visible)}
        pieces, written = [], ""
        for index, char in enumerate(text):
            if index in chosen:
                reference = _reference(rng, char)
                pieces.append(doc.marker(reference))
                written += reference
            else:
                pieces.append(char)
                written += char
    value = "".join(pieces)
    if attr:
        node.set(attr, value)
        where = f"{path_of(node)}/@{etree.QName(attr).localname}"
    else:
        node.text = value
        where = path_of(node)
    return {"op": "char_reference", "how": how, "path": where, "from": text, "to": written}


# ------------------------------------------------------------------------------ namespaces
ODD_PREFIXES = ["a", "b", "c", "n1", "n2", "n3", "ns0", "ns1", "x", "y", "z", "doc"]


def op_namespace_prefixes(rng, doc):
    """The same namespaces under other prefixes: a default namespace for the components
    (cbc / cac, ram / udt) with a prefixed root, arbitrary prefixes, or two prefixes swapped."""
    namespaces = element_namespaces(doc.root)
    root_ns = etree.QName(doc.root).namespace
    components = [ns for ns in SYNTAX_NAMESPACES[doc.syntax] if ns in namespaces]
    plans = ["prefixed_root", "odd_prefixes", "swapped"] + [f"default:{ns}" for ns in components]
    plan = rng.choice(plans)
    current = {ns: prefix for prefix, ns in sorted(doc.root.nsmap.items(), key=lambda i: i[0] or "")}
    prefixes = {ns: current.get(ns) or f"p{i}" for i, ns in enumerate(namespaces)}
    if plan == "prefixed_root":
        prefixes[root_ns] = rng.choice(["inv", "ubl", "cn", "rsm", "doc"])
    elif plan == "odd_prefixes":
        if len(namespaces) > len(ODD_PREFIXES):
            return None
        chosen = rng.sample(ODD_PREFIXES, len(namespaces))
        prefixes = dict(zip(namespaces, chosen))
        if rng.random() < 0.5:
            prefixes[rng.choice(namespaces)] = None
    elif plan == "swapped":
        if len(components) < 2:
            return None
        first, second = rng.sample(components, 2)
        prefixes[first], prefixes[second] = prefixes[second], prefixes[first]
    else:
        default = plan.split(":", 1)[1]
        if prefixes.get(root_ns) is None:
            prefixes[root_ns] = rng.choice(["inv", "ubl", "rsm", "doc"])
        prefixes[default] = None
    if list(prefixes.values()).count(None) > 1 or len(set(prefixes.values())) < len(prefixes):
        return None
    doc.prefixes = prefixes
    return {"op": "namespace_prefixes", "plan": plan.split(":")[0],
            "prefixes": {ns: p for ns, p in prefixes.items()}}


UNUSED_NAMESPACES = [("ccts", "urn:un:unece:uncefact:documentation:2"),
                     ("ext", "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"),
                     ("qdt", "urn:oasis:names:specification:ubl:schema:xsd:QualifiedDataTypes-2"),
                     ("xs", "http://www.w3.org/2001/XMLSchema"), ("foo", "urn:example:unused")]


def op_namespace_declarations(rng, doc):
    """Declarations that change no element's name: a prefix in scope declared again lower down,
    unused namespaces at the root, or a subtree that uses a second prefix (or the default
    namespace) for its own namespace."""
    how = rng.choice(["redeclare", "unused", "second_prefix", "subtree_default"])
    elements = [e for e in doc.root.iter() if isinstance(e.tag, str) and e is not doc.root]
    if how == "redeclare":
        chosen = rng.sample(elements, min(len(elements), rng.randint(1, 3)))
        paths = []
        for node in chosen:
            if not node.nsmap:
                continue
            prefix, namespace = rng.choice(sorted(node.nsmap.items(), key=lambda i: i[0] or ""))
            doc.redeclared.append((node, prefix, namespace))
            paths.append(f"{path_of(node)} xmlns{':' + prefix if prefix else ''}")
        return {"op": "namespace_declarations", "how": how, "at": paths} if paths else None
    if how == "unused":
        prefix, namespace = rng.choice(UNUSED_NAMESPACES)
        if prefix in doc.root.nsmap:
            return None
        doc.extra_declarations[prefix] = namespace
        return {"op": "namespace_declarations", "how": how, "prefix": prefix, "namespace": namespace}
    candidates = [e for e in elements if len(e) and etree.QName(e).namespace not in ROOT_NAMESPACES[doc.syntax]]
    if not candidates:
        return None
    node = rng.choice(candidates)
    namespace = etree.QName(node).namespace
    prefix = None if how == "subtree_default" else rng.choice(["q", "k", "c2", "ns9"])
    doc.subtree_prefixes.append((node, prefix, namespace))
    return {"op": "namespace_declarations", "how": how, "path": path_of(node), "prefix": prefix,
            "namespace": namespace}


# ------------------------------------------------------------------------------ file form
def op_serialization(rng, doc):
    how = rng.choice(["iso_8859_1", "utf_16", "bom", "no_declaration", "standalone", "crlf",
                      "double_quotes"])
    if how == "iso_8859_1":
        doc.encoding = "ISO-8859-1"
    elif how == "utf_16":
        doc.encoding = "UTF-16"
    elif how == "bom":
        doc.bom = True
    elif how == "no_declaration":
        doc.declaration = None
    elif how == "standalone":
        doc.declaration = '<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n'
    elif how == "crlf":
        doc.line_end = "\r\n"
    else:
        doc.declaration = '<?xml version="1.0" encoding="{encoding}"?>\n'
    return {"op": "serialization", "how": how}


def op_layout(rng, doc):
    """Whitespace between elements: none at all, or re-indented (tabs, or deep spaces)."""
    how = rng.choice(["minify", "tabs", "spaces"])
    for node in doc.root.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node is not doc.root and node.tail is not None and not node.tail.strip():
            node.tail = None
    if how != "minify":
        etree.indent(doc.root, space="\t" if how == "tabs" else "        ")
    return {"op": "layout", "how": how}
