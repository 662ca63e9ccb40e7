"""Tests of the extended generator: determinism, the classic sample left byte-identical, and each
extended kind editing what its edit log says (checked on corpus documents over several seeds, so
every variant an operator draws is met).

Run from tools/differential with the harness's venv (scripts/differential.sh check runs them):
    ../../.local/differential-venv/bin/python -m unittest -v test_extended
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest
from collections import Counter
from decimal import Decimal
from pathlib import Path

from lxml import etree

from differential import sample_of, write_known
from extended_doc import Doc, local, serialize, to_credit_note
from mutate import ROOTS, load_sources, path_of
from mutate_extended import any_mutant_id, make, parse_any_mutant_id
from ops_structure import (op_currency_id, op_group_duplicate, op_group_remove, op_reorder_siblings,
                           op_repeat_header, op_swap_lines, op_tax_currency)
from ops_text import (op_cdata_in_value, op_char_reference, op_comment_in_value, op_layout,
                      op_lexical_code, op_lexical_date, op_lexical_number, op_namespace_declarations,
                      op_namespace_prefixes, op_serialization)
from ops_values import (CREDIT_CODES, INVOICE_CODES, OTHER_1001_CODES, op_amount_extreme,
                        op_cii_date_format, op_cii_tax_type_code, op_code_attribute, op_type_code,
                        op_ubl_sub_line, op_vat_one_line, op_vat_one_side, op_vat_recomputed)
from oracle import Oracle, Verdict
from recompute import child, children, dec, recompute

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("INTAKE_SHARED", HERE.parents[2] / "shared")).resolve()
CORPUS = SHARED / "corpus"
SEEDS = range(12)
DOCUMENTS = {  # corpus documents the kinds are checked on: valid ones, of both syntaxes
    "UBL": ["peppol-bis-billing-3/rules/examples/Vat-category-S.xml",
            "peppol-bis-billing-3/rules/examples/base-example.xml",
            "en16931-cen-tc434/ubl/examples/ubl-tc434-creditnote1.xml"],
    "CII": ["en16931-cen-tc434/cii/examples/CII_example1.xml",
            "akretion-factur-x/tests/fixtures/xml/factur-x-en16931.xml"],
}
# The first 200 mutants of the classic bounded sample (seed 1), hashed as below: the sample
# `make test` ratchets known-differences.json on must not change when generators are added.
CLASSIC_SEED_1_DIGEST = "f6cbe173ee0c5c7eda55ec76eb0adfa051e43b758320e8dbb77cf3909fc42668"

DIGEST_SCRIPT = """
import hashlib, sys
from pathlib import Path
from mutate import load_sources
from mutate_extended import make
sources = load_sources(Path(sys.argv[1]))
digest = hashlib.sha256()
for index in range(int(sys.argv[2])):
    mutant = make(sources, 9, index, "extended")
    digest.update(mutant.id.encode() + repr(mutant.edits).encode() + mutant.data)
print(digest.hexdigest())
"""


def digest(mutants) -> str:
    found = hashlib.sha256()
    for mutant in mutants:
        found.update(mutant.id.encode() + mutant.source.encode() + repr(mutant.edits).encode() + mutant.data)
    return found.hexdigest()


def parse(rel: str):
    return etree.fromstring((CORPUS / rel).read_bytes())


def at(root, path: str):
    """The element whose path_of is `path` (attribute paths: their element)."""
    path = path.split("/@")[0]
    name = path.rsplit("/", 1)[1].split("[")[0]
    found = [e for e in root.iter() if isinstance(e.tag, str) and local(e) == name and path_of(e) == path]
    assert len(found) == 1, (path, len(found))
    return found[0]


def values(root) -> list[tuple]:
    """(Clark name, string value of a leaf, attributes) of every element: what a namespace-aware
    reader sees, whatever the prefixes and the markup inside values."""
    return [(e.tag, "".join(e.itertext()) if not any(isinstance(c.tag, str) for c in e) else None,
             sorted(e.attrib.items())) for e in root.iter() if isinstance(e.tag, str)]


class Edited:
    """An operator run on one corpus document with one seed: the original, the doc, the edit."""

    def __init__(self, op, syntax: str, rel: str, seed: int):
        self.original = parse(rel)
        self.doc = Doc(parse(rel), syntax)
        self.edit = op(random.Random(seed), self.doc)
        self.data = serialize(self.doc) if self.edit else None

    @property
    def reread(self):
        return etree.fromstring(self.data)


def runs(op, syntaxes=("UBL", "CII")):
    """Every (syntax, document, seed) on which `op` made an edit."""
    for syntax in syntaxes:
        for rel in DOCUMENTS[syntax]:
            for seed in SEEDS:
                edited = Edited(op, syntax, rel, seed)
                if edited.edit:
                    yield edited


class ExtendedGeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sources = load_sources(CORPUS)

    def test_classic_sample_is_unchanged(self):
        mutants = [make(self.sources, 1, index, "classic") for index in range(200)]
        self.assertEqual(digest(mutants), CLASSIC_SEED_1_DIGEST)

    def test_same_seed_same_bytes(self):
        first = [make(self.sources, 21, i, "extended") for i in range(40)]
        again = [make(self.sources, 21, i, "extended") for i in range(40)]
        self.assertEqual(digest(first), digest(again))

    def test_same_bytes_across_processes(self):
        digests = set()
        for hash_seed in ("1", "2"):
            run = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, str(CORPUS), "40"], cwd=HERE,
                                 capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONHASHSEED": hash_seed})
            digests.add(run.stdout.strip())
        self.assertEqual(len(digests), 1)

    def test_extended_differs_from_classic_and_is_well_formed(self):
        for index in range(60):
            mutant = make(self.sources, 1, index, "extended")
            self.assertEqual(mutant.id, f"x1-{index:06d}")
            self.assertNotEqual(mutant.data, make(self.sources, 1, index, "classic").data)
            self.assertEqual(ROOTS[etree.fromstring(mutant.data).tag], mutant.syntax)
            self.assertTrue(mutant.edits and all("op" in edit for edit in mutant.edits))

    def test_many_kinds_are_drawn(self):
        ops = Counter(edit["op"] for i in range(300) for edit in make(self.sources, 2, i, "extended").edits)
        self.assertGreaterEqual(len(ops), 30)

    def test_ids_round_trip(self):
        self.assertEqual(parse_any_mutant_id(any_mutant_id(21, 7, "extended")), (21, 7, "extended"))
        self.assertEqual(parse_any_mutant_id("s1-000042"), (1, 42, "classic"))
        with self.assertRaises(ValueError):
            parse_any_mutant_id("y1-000001")

    def test_show_writes_an_extended_mutant(self):
        wanted = make(self.sources, 22, 5, "extended")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "m.xml"
            run = subprocess.run([sys.executable, str(HERE / "differential.py"), "--shared", str(SHARED),
                                  "show", wanted.id, "--output", str(out)],
                                 capture_output=True, text=True, check=True)
            self.assertEqual(out.read_bytes(), wanted.data)
            self.assertEqual(json.loads(run.stderr)["edits"], wanted.edits)


class KnownFileTest(unittest.TestCase):
    def written(self, kinds: str) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            known = Path(tmp) / "known.json"
            write_known(known, sample_of(1, 2000, kinds), [], {"UBL": 0, "CII": 0})
            return json.loads(known.read_text())

    def test_classic_file_header_is_unchanged(self):
        committed = json.loads((HERE / "known-differences.json").read_text())
        written = self.written("classic")
        self.assertEqual((written["about"], written["sample"]), (committed["about"], committed["sample"]))

    def test_extended_file_names_its_sample_and_command(self):
        written = self.written("extended")
        self.assertEqual(written["sample"], {"seed": 1, "n": 2000, "kinds": "extended"})
        self.assertIn("check-extended", written["about"])


def _number(text: str) -> Decimal:
    return Decimal(text.strip().replace("\u00a0", ""))


class TextKindsTest(unittest.TestCase):
    def test_lexical_number_writes_the_same_number_another_way(self):
        seen = set()
        for run in runs(op_lexical_number):
            edit = run.edit
            seen.add(edit["variant"])
            self.assertEqual(at(run.reread, edit["path"]).text, edit["to"])
            text = edit["to"]
            if edit["variant"].startswith("thousands") or edit["variant"] == "european":
                text = re.sub(r"[, '](?=\d{3})", "", text) if edit["variant"] != "european" else \
                    text.replace(".", "").replace(",", ".")
            self.assertEqual(_number(text), _number(edit["from"]), edit)
        self.assertGreaterEqual(len(seen), 8)

    def test_lexical_date_and_code_keep_the_value_inside_the_new_form(self):
        for op in (op_lexical_date, op_lexical_code):
            for run in runs(op):
                node = at(run.reread, run.edit["path"])
                attribute = run.edit["path"].partition("/@")[2]
                written = node.get(attribute) if attribute else node.text
                self.assertEqual(written, run.edit["to"])
                self.assertIn(run.edit["from"].strip().lower(), written.lower().replace("+", ""))

    def test_markup_inside_values_keeps_the_string_value(self):
        for op, marker in ((op_comment_in_value, None), (op_cdata_in_value, b"<![CDATA["),
                           (op_char_reference, b"&#")):
            for run in runs(op):
                if marker:
                    self.assertIn(marker, run.data)
                node = at(run.reread, run.edit["path"])
                attribute = run.edit["path"].partition("/@")[2]
                value = node.get(attribute) if attribute else "".join(node.itertext())
                original = run.edit["from"]
                if run.edit.get("how") == "whitespace":
                    self.assertEqual(value.strip("\n\t\r\u00a0 "), original.strip())
                else:
                    self.assertEqual(value, original, run.edit)

    def test_comment_in_value_adds_a_node_inside_the_element(self):
        for run in runs(op_comment_in_value):
            node = at(run.reread, run.edit["path"])
            self.assertEqual(len(node), 1)
            self.assertFalse(isinstance(node[0].tag, str) and node[0].tag)

    def test_namespace_edits_change_no_name_and_no_value(self):
        for op in (op_namespace_prefixes, op_namespace_declarations, op_serialization, op_layout):
            for run in runs(op):
                original = values(run.original)
                reread = values(run.reread)
                if op is op_layout:
                    original = [v for v in original if v[1] is None or v[1].strip()]
                    reread = [v for v in reread if v[1] is None or v[1].strip()]
                self.assertEqual(reread, original, run.edit)

    def test_namespace_prefixes_are_those_planned(self):
        for run in runs(op_namespace_prefixes):
            declared = run.reread.nsmap
            for namespace, prefix in run.edit["prefixes"].items():
                self.assertEqual(declared.get(prefix), namespace, run.edit)

    def test_redeclarations_add_declarations(self):
        for run in runs(op_namespace_declarations):
            before = serialize(Doc(run.original, run.doc.syntax)).count(b"xmlns")
            self.assertGreater(run.data.count(b"xmlns"), before, run.edit)


class StructureKindsTest(unittest.TestCase):
    def count(self, root, name: str) -> int:
        return sum(1 for e in root.iter() if isinstance(e.tag, str) and local(e) == name)

    def test_group_duplicate_and_remove_change_the_count_by_one(self):
        for op, delta in ((op_group_duplicate, 1), (op_group_remove, -1)):
            for run in runs(op):
                name = run.edit["path"].rsplit("/", 1)[1].split("[")[0]
                self.assertEqual(self.count(run.reread, name), self.count(run.original, name) + delta, run.edit)

    def test_recomputed_totals_add_up(self):
        checked = 0
        for op in (op_group_duplicate, op_group_remove, op_amount_extreme, op_vat_recomputed):
            for run in runs(op, ("UBL",)):
                if not run.edit.get("recomputed"):
                    continue
                root = run.reread
                lines = sum(dec(child(line, "LineExtensionAmount"))
                            for line in children(root, "InvoiceLine|CreditNoteLine"))
                self.assertEqual(dec(child(child(root, "LegalMonetaryTotal"), "LineExtensionAmount")), lines)
                checked += 1
        self.assertGreater(checked, 10)

    def test_swap_and_reorder_keep_the_children(self):
        for op in (op_swap_lines, op_reorder_siblings):
            for run in runs(op):
                self.assertEqual(sorted(map(str, values(run.reread))), sorted(map(str, values(run.original))))
                self.assertNotEqual(values(run.reread), values(run.original), run.edit)

    def test_repeat_header_writes_the_element_twice(self):
        for run in runs(op_repeat_header):
            node = at(run.original, run.edit["path"])
            parent_path = path_of(node.getparent())
            twins = [c for c in at(run.reread, parent_path) if c.tag == node.tag]
            self.assertEqual(len(twins), len([c for c in node.getparent() if c.tag == node.tag]) + 1)

    def test_currency_id_edits_what_it_says(self):
        for run in runs(op_currency_id):
            edit, root = run.edit, run.reread
            if "path" in edit:
                self.assertEqual(at(root, edit["path"]).get("currencyID"), edit["to"], edit)
            if edit["how"] in ("all_other", "all_consistent"):
                self.assertNotIn(edit["document_currency"], {e.get("currencyID") for e in root.iter()
                                                              if isinstance(e.tag, str)}, edit)

    def test_tax_currency_adds_code_and_total(self):
        for run in runs(op_tax_currency):
            edit, root = run.edit, run.reread
            codes = [e.text for e in root.iter() if isinstance(e.tag, str) and local(e) == "TaxCurrencyCode"]
            self.assertEqual(codes, [] if edit["how"] == "total_only" else [edit["tax_currency"]], edit)
            added = self.totals(root, edit) - self.totals(run.original, edit)
            self.assertEqual(added, 0 if edit["how"] == "without_total" else 1, edit)

    def totals(self, root, edit) -> int:
        """BT-111 candidates: tax totals in the tax currency with the edit's amount."""
        return sum(1 for e in root.iter() if isinstance(e.tag, str) and local(e) in ("TaxAmount", "TaxTotalAmount")
                   and local(e.getparent()) in ("TaxTotal", "SpecifiedTradeSettlementHeaderMonetarySummation")
                   and e.get("currencyID", edit["document_currency"]) == edit["tax_currency"]
                   and e.text == edit["tax_total"])


class ValueKindsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.oracle = Oracle(SHARED / "artefacts/en16931-1.3.16")

    def verdict(self, syntax: str, data: bytes) -> Verdict:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.xml"
            path.write_bytes(data)
            return self.oracle.verdict(syntax, path)

    def test_code_attribute_sets_what_it_says(self):
        for run in runs(op_code_attribute):
            node = at(run.reread, run.edit["path"])
            self.assertEqual(node.get(run.edit["path"].rpartition("/@")[2]), run.edit["to"], run.edit)

    def test_recompute_keeps_valid_documents_valid(self):
        for syntax, rels in DOCUMENTS.items():
            for rel in rels:
                root = parse(rel)
                self.assertTrue(recompute(root, syntax))
                verdict = self.verdict(syntax, serialize(Doc(root, syntax)))
                self.assertEqual(verdict.fatal, frozenset(), rel)

    def test_consistent_vat_change_leaves_a_valid_document(self):
        """S -> Z everywhere with recomputed totals: nothing for the XSLT to object to."""
        for syntax, rel in (("UBL", DOCUMENTS["UBL"][0]), ("CII", DOCUMENTS["CII"][0])):
            run = next(r for r in (Edited(op_vat_recomputed, syntax, rel, s) for s in range(200))
                       if r.edit["to"][0] == "Z")
            self.assertEqual(self.verdict(syntax, run.data).fatal, frozenset(), run.edit)

    def test_vat_one_side_changes_one_side_only(self):
        for run in runs(op_vat_one_side):
            codes = Counter(e.text.strip() for e in run.reread.iter() if isinstance(e.tag, str)
                            and local(e) in ("ID", "CategoryCode") and (e.text or "").strip() == run.edit["to"][0])
            before = Counter(e.text.strip() for e in run.original.iter() if isinstance(e.tag, str)
                             and local(e) in ("ID", "CategoryCode") and (e.text or "").strip() == run.edit["to"][0])
            self.assertEqual(codes[run.edit["to"][0]] - before[run.edit["to"][0]], run.edit["count"], run.edit)

    def test_vat_one_line_changes_the_line(self):
        for run in runs(op_vat_one_line):
            container = at(run.reread, run.edit["path"])
            category = next(c for c in container if isinstance(c.tag, str) and local(c) in ("ID", "CategoryCode"))
            self.assertEqual(category.text, run.edit["to"][0])

    def test_type_code_takes_the_other_list(self):
        for run in runs(op_type_code):
            edit = run.edit
            if edit["how"] == "element_of_other_kind":
                self.assertEqual(sum(1 for c in run.reread if local(c) == edit["to"]), 1)
                continue
            pool = OTHER_1001_CODES if edit["how"] == "not_an_invoice" else (
                INVOICE_CODES if edit["from"].strip() in CREDIT_CODES else CREDIT_CODES)
            self.assertIn(edit["to"], pool, edit)

    def test_amount_extreme_is_negative_zero_or_large(self):
        for run in runs(op_amount_extreme):
            edit = run.edit
            if "to" in edit and edit["how"] in ("negative_one", "negative_price", "negative_allowance",
                                                "negative_zero"):
                self.assertTrue(edit["to"].startswith("-"), edit)
            if edit["how"] in ("zero_one", "large_one"):
                self.assertIn(edit["to"], ["0.00", "99999999999999.99", "123456789012345678.90",
                                           "1000000000000000"])

    def test_cii_kinds_edit_dates_and_tax_type_codes(self):
        for run in runs(op_cii_date_format, ("CII",)):
            node = at(run.reread, run.edit["path"])
            self.assertEqual([node.get("format"), node.text], run.edit["to"])
            self.assertNotEqual(node.get("format"), "102")
        for run in runs(op_cii_tax_type_code, ("CII",)):
            codes = [e.text for e in run.reread.iter() if isinstance(e.tag, str) and local(e) == "TypeCode"
                     and local(e.getparent()) in ("ApplicableTradeTax", "CategoryTradeTax")]
            self.assertTrue(any(code != "VAT" for code in codes) or run.edit["how"] == "remove_one", run.edit)

    def test_ubl_kinds_sub_lines_and_credit_notes(self):
        for run in runs(op_ubl_sub_line, ("UBL",)):
            line = at(run.reread, run.edit["path"])
            self.assertTrue(any(local(c).startswith("Sub") for c in line), run.edit)
        doc = Doc(parse(DOCUMENTS["UBL"][0]), "UBL")
        edit = to_credit_note(random.Random(1), doc)
        root = etree.fromstring(serialize(doc))
        self.assertEqual(local(root), "CreditNote")
        self.assertEqual({local(e) for e in root.iter() if isinstance(e.tag, str)}
                         & {"InvoiceLine", "InvoicedQuantity", "InvoiceTypeCode"}, set())
        self.assertEqual(child(root, "CreditNoteTypeCode").text, edit["type_code"])


if __name__ == "__main__":
    unittest.main()
