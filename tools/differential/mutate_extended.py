"""The extended generator: mutants made differently from the classic one (mutate.py), to find what
another party's generator would find (issue 11: the engine is scored again on mutants of unseen
documents, made differently).

It draws from the classic edits and from the extended kinds (ops_text.py: lexical forms, markup
inside values, namespaces, file form; ops_structure.py: groups, repeated header elements,
currencies; ops_values.py: code attributes, VAT with recomputed totals, extreme amounts, type
codes, CII- and UBL-specific edits). UBL credit notes, few in the corpus, are drawn more often,
and a UBL invoice may first be turned into a credit note.

Mutant ids: x<seed>-<index> (the classic ones are s<seed>-<index>). The random generator of a
mutant is seeded with "differential-extended:<seed>:<index>", so a mutant is a function of the
sources, the seed and its index, as in the classic generator; the classic generator and its
bounded sample are unchanged.
"""
from __future__ import annotations

import random
import re

from extended_doc import Doc, local, serialize, to_credit_note
from mutate import OPERATORS, PARSER, SYNTAXES, Mutant, Source, etree, make_mutant, mutant_id
from ops_structure import (op_currency_id, op_group_duplicate, op_group_remove, op_reorder_siblings,
                           op_repeat_header, op_swap_lines, op_tax_currency)
from ops_text import (op_cdata_in_value, op_char_reference, op_comment_in_value, op_layout,
                      op_lexical_code, op_lexical_date, op_lexical_number, op_namespace_declarations,
                      op_namespace_prefixes, op_serialization)
from ops_values import (op_amount_extreme, op_cii_date_format, op_cii_tax_type_code, op_code_attribute,
                        op_type_code, op_ubl_sub_line, op_vat_one_line, op_vat_one_side,
                        op_vat_recomputed)

KINDS = ("classic", "extended")


def _classic(op):
    """A classic operator (rng, root, syntax) as an extended one (rng, doc)."""
    def run(rng, doc):
        return op(rng, doc.root, doc.syntax)
    run.__name__ = op.__name__
    return run


EXTENDED_OPERATORS = [  # (operator, weight); the classic ones keep a third of the draws
    *[(_classic(op), weight) for op, weight in OPERATORS],
    (op_lexical_number, 4), (op_lexical_date, 3), (op_lexical_code, 3),
    (op_comment_in_value, 2), (op_cdata_in_value, 2), (op_char_reference, 2),
    (op_namespace_prefixes, 2), (op_namespace_declarations, 2), (op_serialization, 1), (op_layout, 1),
    (op_group_duplicate, 3), (op_group_remove, 3), (op_swap_lines, 2), (op_reorder_siblings, 2),
    (op_repeat_header, 2), (op_currency_id, 3), (op_tax_currency, 3), (op_code_attribute, 3),
    (op_vat_recomputed, 3), (op_vat_one_line, 2), (op_vat_one_side, 2), (op_amount_extreme, 4),
    (op_type_code, 2), (op_cii_date_format, 1), (op_cii_tax_type_code, 1), (op_ubl_sub_line, 1),
]
EDIT_COUNTS = ([1, 2, 3], [6, 3, 1])
CREDIT_NOTE_SHARE = 0.3     # of UBL draws, taken from the corpus's credit notes
TO_CREDIT_NOTE = 0.15       # of UBL invoices, turned into a credit note before the edits


def make_extended_mutant(sources: list[Source], seed: int, index: int) -> Mutant:
    """Mutant `index` of `seed`: a source of a syntax chosen 50/50 (a UBL credit note 30% of the
    UBL time), maybe turned into a credit note, then 1-3 edits; a draw that leaves the bytes
    unchanged is redrawn."""
    rng = random.Random(f"differential-extended:{seed}:{index}")
    syntax = rng.choice(SYNTAXES)
    candidates = [s for s in sources if s.syntax == syntax]
    if syntax == "UBL":
        credit_notes = [s for s in candidates if b"CreditNote-2" in s.xml[:4096]]
        invoices = [s for s in candidates if s not in credit_notes]
        if credit_notes and invoices:
            candidates = credit_notes if rng.random() < CREDIT_NOTE_SHARE else invoices
    operators, weights = zip(*EXTENDED_OPERATORS)
    while True:
        source = rng.choice(candidates)
        doc = Doc(etree.fromstring(source.xml, PARSER), syntax)
        original = serialize(Doc(etree.fromstring(source.xml, PARSER), syntax))
        edits = []
        if syntax == "UBL" and local(doc.root) == "Invoice" and rng.random() < TO_CREDIT_NOTE:
            edits.append(to_credit_note(rng, doc))
        for _ in range(rng.choices(*EDIT_COUNTS)[0]):
            edit = rng.choices(operators, weights)[0](rng, doc)
            if edit:
                edits.append(edit)
        data = serialize(doc)
        if edits and data != original:
            return Mutant(f"x{seed}-{index:06d}", source.rel, syntax, edits, data)


def make(sources: list[Source], seed: int, index: int, kinds: str = "classic") -> Mutant:
    if kinds == "extended":
        return make_extended_mutant(sources, seed, index)
    return make_mutant(sources, seed, index)


def any_mutant_id(seed: int, index: int, kinds: str) -> str:
    return f"x{seed}-{index:06d}" if kinds == "extended" else mutant_id(seed, index)


def parse_any_mutant_id(text: str) -> tuple[int, int, str]:
    """(seed, index, kinds) of s<seed>-<index> (classic) or x<seed>-<index> (extended)."""
    match = re.fullmatch(r"([sx])(\d+)-(\d+)", text)
    if not match:
        raise ValueError(f"not a mutant id: {text!r} (expected s<seed>-<index> or x<seed>-<index>, "
                         f"e.g. s1-000042)")
    kinds = "extended" if match.group(1) == "x" else "classic"
    return int(match.group(2)), int(match.group(3)), kinds
