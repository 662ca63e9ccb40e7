"""Tests of the harness itself: the generator's determinism, SVRL parsing, the oracle, the
comparison of sets and of locations, the ratchet.

Run from tools/differential with the harness's venv (scripts/differential.sh check runs them):
    ../../.local/differential-venv/bin/python -m unittest -v test_differential
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from lxml import etree

from differential import Case, compare, ratchet, totals
from engine import VIOLATIONS_CAP, EngineVerdict, parse_result
from locations import check_floor, location_table, raised_floor
from mutate import ROOTS, load_sources, make_mutant, mutant_id, parse_mutant_id
from oracle import Crash, Oracle, Verdict, Violation, parse_svrl

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("INTAKE_SHARED", HERE.parents[2] / "shared")).resolve()
CORPUS = SHARED / "corpus"
SAMPLE = 60

DIGEST_SCRIPT = """
import hashlib, sys
from pathlib import Path
from mutate import load_sources, make_mutant
sources = load_sources(Path(sys.argv[1]))
digest = hashlib.sha256()
for index in range(int(sys.argv[2])):
    mutant = make_mutant(sources, 7, index)
    digest.update(mutant.id.encode() + mutant.source.encode() + repr(mutant.edits).encode() + mutant.data)
print(digest.hexdigest())
"""


class GeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sources = load_sources(CORPUS)

    def test_sources_cover_both_syntaxes(self):
        syntaxes = {s.syntax for s in self.sources}
        self.assertEqual(syntaxes, {"UBL", "CII"})

    def test_same_seed_same_bytes(self):
        first = [make_mutant(self.sources, 1, i) for i in range(SAMPLE)]
        again = [make_mutant(self.sources, 1, i) for i in range(SAMPLE)]
        for a, b in zip(first, again):
            self.assertEqual((a.id, a.source, a.edits, a.data), (b.id, b.source, b.edits, b.data))

    def test_same_bytes_across_processes(self):
        """Nothing may depend on the process (hash randomisation of str keys, set order)."""
        digests = set()
        for hash_seed in ("1", "2"):
            run = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, str(CORPUS), str(SAMPLE)],
                                 cwd=HERE, capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONHASHSEED": hash_seed})
            digests.add(run.stdout.strip())
        self.assertEqual(len(digests), 1)

    def test_seeds_differ(self):
        one = [make_mutant(self.sources, 1, i).data for i in range(20)]
        two = [make_mutant(self.sources, 2, i).data for i in range(20)]
        self.assertNotEqual(one, two)

    def test_mutants_are_edited_well_formed_invoices(self):
        originals = {s.rel: etree.tostring(etree.fromstring(s.xml).getroottree(),
                                           xml_declaration=True, encoding="UTF-8")
                     for s in self.sources}
        for index in range(SAMPLE):
            mutant = make_mutant(self.sources, 3, index)
            root = etree.fromstring(mutant.data)
            self.assertEqual(ROOTS[root.tag], mutant.syntax)
            self.assertNotEqual(mutant.data, originals[mutant.source])
            self.assertTrue(mutant.edits)
            self.assertTrue(all("op" in edit for edit in mutant.edits))

    def test_both_syntaxes_are_mutated(self):
        syntaxes = {make_mutant(self.sources, 1, i).syntax for i in range(SAMPLE)}
        self.assertEqual(syntaxes, {"UBL", "CII"})

    def test_id_round_trip(self):
        self.assertEqual(parse_mutant_id(mutant_id(12, 345)), (12, 345))
        self.assertEqual(mutant_id(1, 42), "s1-000042")
        with self.assertRaises(ValueError):
            parse_mutant_id("corpus:x.xml")

    def test_show_writes_the_mutant_of_the_run(self):
        wanted = make_mutant(self.sources, 5, 17)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "m.xml"
            run = subprocess.run([sys.executable, str(HERE / "differential.py"), "--shared", str(SHARED),
                                  "show", wanted.id, "--output", str(out)],
                                 capture_output=True, text=True, check=True)
            self.assertEqual(out.read_bytes(), wanted.data)
            self.assertEqual(json.loads(run.stderr)["edits"], wanted.edits)


SVRL = """<?xml version="1.0" encoding="UTF-8"?>
<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:fired-rule context="/ubl:Invoice"/>
  <svrl:failed-assert test="cbc:ID" id="BR-02" flag="fatal" location="/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]">
    <svrl:text>[BR-02]-An Invoice shall have an Invoice number (BT-1).</svrl:text>
  </svrl:failed-assert>
  <svrl:fired-rule context="cac:InvoiceLine"/>
  <svrl:failed-assert test="x" id="BR-CO-04" flag="fatal" location="/a[1]/b[1]"><svrl:text>t</svrl:text></svrl:failed-assert>
  <svrl:failed-assert test="x" id="BR-CO-04" flag="fatal" location="/a[1]/b[2]"><svrl:text>t</svrl:text></svrl:failed-assert>
  <svrl:failed-assert test="not(cbc:UBLVersionID)" id="UBL-CR-002" flag="warning" location="/a[1]"><svrl:text>w</svrl:text></svrl:failed-assert>
</svrl:schematron-output>
"""


class SvrlTest(unittest.TestCase):
    def test_failed_asserts_become_fatal_and_warning_sets(self):
        verdict = parse_svrl(SVRL)
        self.assertEqual(verdict.fatal, {"BR-02", "BR-CO-04"})
        self.assertEqual(verdict.warning, {"UBL-CR-002"})
        self.assertEqual(len(verdict.violations), 4)
        self.assertEqual([v.location for v in verdict.violations if v.rule == "BR-CO-04"],
                         ["/a[1]/b[1]", "/a[1]/b[2]"])

    def test_no_failed_assert_is_a_clean_verdict(self):
        verdict = parse_svrl('<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
                             '<svrl:fired-rule context="/"/></svrl:schematron-output>')
        self.assertEqual((verdict.fatal, verdict.warning), (frozenset(), frozenset()))


class CompareTest(unittest.TestCase):
    def case(self, oracle, engine=None, engine_error=None) -> Case:
        case = Case("s1-000001", "mutants", "UBL", "x.xml", Path("x.xml"), Path("x.xml"),
                    oracle=oracle, engine=engine, engine_error=engine_error)
        compare(case)
        return case

    def test_missed_and_extra_per_set(self):
        oracle = Verdict(frozenset({"BR-01", "BR-CO-10"}), frozenset({"UBL-CR-002"}))
        engine = EngineVerdict(frozenset({"BR-01", "BR-S-08"}), frozenset({"UBL-CR-003"}))
        self.assertEqual(self.case(oracle, engine).differences, [
            ("fatal", "BR-CO-10", "missed"), ("fatal", "BR-S-08", "extra"),
            ("warning", "UBL-CR-002", "missed"), ("warning", "UBL-CR-003", "extra")])

    def test_equal_sets_agree(self):
        verdict = Verdict(frozenset({"BR-01"}), frozenset({"UBL-CR-002"}))
        engine = EngineVerdict(frozenset({"BR-01"}), frozenset({"UBL-CR-002"}))
        self.assertEqual(self.case(verdict, engine).differences, [])

    def test_engine_error_is_an_extra_fatal(self):
        case = self.case(Verdict(frozenset(), frozenset()), engine_error="malformed_xml")
        self.assertEqual(case.differences, [("fatal", "error:malformed_xml", "extra")])

    def test_xslt_crash_is_not_compared(self):
        engine = EngineVerdict(frozenset({"BR-01"}), frozenset())
        self.assertEqual(self.case(Crash("XPTY0004", "…"), engine).differences, [])


UBL_ROOT = "/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]"
LINE_1 = UBL_ROOT + "/*:InvoiceLine[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2'][1]"
LINE_2 = LINE_1[:-3] + "[2]"


def oracle_of(*violations) -> Verdict:
    """The XSLT's verdict on (rule, flag, location) triples, sets derived as parse_svrl does."""
    found = tuple(Violation(*v) for v in violations)
    return Verdict(frozenset(v.rule for v in found if v.flag == "fatal"),
                   frozenset(v.rule for v in found if v.flag == "warning"), found)


def engine_of(*violations) -> EngineVerdict:
    return EngineVerdict(frozenset(v[0] for v in violations if v[1] == "fatal"),
                         frozenset(v[0] for v in violations if v[1] == "warning"), tuple(violations))


def compared(oracle, engine=None, engine_error=None, case_id="s1-000001", syntax="UBL") -> Case:
    case = Case(case_id, "mutants", syntax, "x.xml", Path("x.xml"), Path("x.xml"),
                oracle=oracle, engine=engine, engine_error=engine_error)
    compare(case)
    return case


class EngineResultTest(unittest.TestCase):
    def test_violations_are_read_with_their_paths(self):
        result = {"file": "x.xml", "validation": {"fatal": ["BR-01"], "warning": [], "violations": [
            {"rule": "BR-01", "severity": "fatal", "message": "m", "path": UBL_ROOT},
            {"rule": "BR-01", "severity": "fatal", "message": "m", "path": None}]}}
        verdict = parse_result(result)
        self.assertEqual(verdict.violations, (("BR-01", "fatal", UBL_ROOT), ("BR-01", "fatal", "")))
        self.assertFalse(verdict.capped)

    def test_a_list_at_the_cap_is_capped(self):
        verdict = engine_of(*[("BR-CO-04", "fatal", f"/x[{i}]") for i in range(VIOLATIONS_CAP)])
        self.assertTrue(verdict.capped)


class LocationTest(unittest.TestCase):
    def test_same_multiset_in_another_order_agrees(self):
        oracle = oracle_of(("BR-CO-04", "fatal", LINE_1), ("BR-CO-04", "fatal", LINE_2),
                           ("UBL-CR-002", "warning", UBL_ROOT))
        engine = engine_of(("UBL-CR-002", "warning", UBL_ROOT), ("BR-CO-04", "fatal", LINE_2),
                           ("BR-CO-04", "fatal", LINE_1))
        self.assertTrue(compared(oracle, engine).locations.agree)

    def test_firing_once_where_the_xslt_fires_twice_is_one_missed(self):
        oracle = oracle_of(("BR-CO-04", "fatal", LINE_1), ("BR-CO-04", "fatal", LINE_1))
        engine = engine_of(("BR-CO-04", "fatal", LINE_1))
        locations = compared(oracle, engine).locations
        self.assertEqual(dict(locations.missed), {("BR-CO-04", "fatal", LINE_1): 1})
        self.assertEqual(dict(locations.extra), {})
        self.assertFalse(locations.agree)

    def test_equal_sets_on_other_nodes_differ_in_locations_only(self):
        case = compared(oracle_of(("BR-CO-04", "fatal", LINE_1)), engine_of(("BR-CO-04", "fatal", LINE_2)))
        self.assertEqual(case.differences, [])
        self.assertEqual(dict(case.locations.missed), {("BR-CO-04", "fatal", LINE_1): 1})
        self.assertEqual(dict(case.locations.extra), {("BR-CO-04", "fatal", LINE_2): 1})

    def test_other_flag_is_another_entry(self):
        locations = compared(oracle_of(("BR-X", "warning", UBL_ROOT)),
                             engine_of(("BR-X", "fatal", UBL_ROOT))).locations
        self.assertEqual((dict(locations.missed), dict(locations.extra)),
                         ({("BR-X", "warning", UBL_ROOT): 1}, {("BR-X", "fatal", UBL_ROOT): 1}))

    def test_capped_engine_list_is_not_comparable(self):
        many = [("BR-CO-04", "fatal", f"{UBL_ROOT}/x[{i}]") for i in range(VIOLATIONS_CAP + 5)]
        oracle = oracle_of(*many)
        locations = compared(oracle, engine_of(*many[:VIOLATIONS_CAP])).locations
        self.assertTrue(locations.capped)
        self.assertFalse(locations.agree)
        self.assertEqual((locations.missed, locations.extra), ({}, {}))

    def test_engine_error_never_agrees(self):
        locations = compared(oracle_of(), engine_error="malformed_xml").locations
        self.assertFalse(locations.agree)
        self.assertEqual(dict(locations.extra), {("error:malformed_xml", "fatal", ""): 1})

    def test_xslt_crash_has_no_locations(self):
        self.assertIsNone(compared(Crash("XPTY0004", "…"), engine_of()).locations)

    def test_totals_count_capped_apart_from_comparable(self):
        many = [("BR-CO-04", "fatal", f"/x[{i}]") for i in range(VIOLATIONS_CAP)]
        cases = [compared(oracle_of(), engine_of(), case_id="s1-000001"),
                 compared(oracle_of(("BR-01", "fatal", UBL_ROOT)), engine_of(), case_id="s1-000002"),
                 compared(oracle_of(*many), engine_of(*many), case_id="s1-000003"),
                 compared(Crash("XPTY0004", "…"), engine_of(), case_id="s1-000004")]
        ubl = totals(cases)["mutants"]["UBL"]
        self.assertEqual((ubl["scored"], ubl["locations_comparable"], ubl["locations_capped"],
                          ubl["locations_agree"], ubl["locations_agree_pct"]), (3, 2, 1, 1, 50.0))

    def test_table_counts_per_rule_and_pairs_examples_from_one_document(self):
        cases = [compared(oracle_of(("BR-CO-04", "fatal", LINE_1)), engine_of(), case_id="s1-000001"),
                 compared(oracle_of(("BR-CO-04", "fatal", LINE_1), ("BR-CO-04", "fatal", LINE_2)),
                          engine_of(("BR-CO-04", "fatal", "BG-25[1]")), case_id="s1-000002"),
                 compared(oracle_of(), engine_of(("BR-CO-04", "fatal", "BG-25[2]")), case_id="s1-000003")]
        [row] = location_table(cases)
        self.assertEqual({k: row[k] for k in ("syntax", "rule", "set", "missed", "extra", "documents")},
                         {"syntax": "UBL", "rule": "BR-CO-04", "set": "fatal", "missed": 3, "extra": 2,
                          "documents": 3})
        self.assertEqual(row["example_missed"], {"id": "s1-000002", "location": LINE_1})
        self.assertEqual(row["example_extra"], {"id": "s1-000002", "location": "BG-25[1]"})

    def test_table_leaves_out_capped_documents(self):
        many = [("BR-CO-04", "fatal", f"/x[{i}]") for i in range(VIOLATIONS_CAP)]
        case = compared(oracle_of(*many, ("BR-01", "fatal", UBL_ROOT)), engine_of(*many))
        self.assertEqual(location_table([case]), [])


class FloorTest(unittest.TestCase):
    def test_below_the_floor_fails_at_or_above_passes(self):
        floor = {"UBL": 10, "CII": 5}
        self.assertEqual(len(check_floor(floor, {"UBL": 9, "CII": 5})), 1)
        self.assertIn("UBL", check_floor(floor, {"UBL": 9, "CII": 5})[0])
        self.assertEqual(check_floor(floor, {"UBL": 10, "CII": 7}), [])

    def test_no_floor_fails(self):
        self.assertEqual(len(check_floor(None, {"UBL": 1, "CII": 1})), 1)

    def test_update_raises_and_never_lowers(self):
        self.assertEqual(raised_floor({"UBL": 10, "CII": 5}, {"UBL": 12, "CII": 3}), {"UBL": 12, "CII": 5})
        self.assertEqual(raised_floor(None, {"UBL": 2, "CII": 3}), {"UBL": 2, "CII": 3})

    def sample(self) -> list[Case]:
        """Two agreeing UBL documents and one CII document with a location difference only."""
        return [compared(oracle_of(), engine_of(), case_id="s1-000001"),
                compared(oracle_of(("BR-01", "fatal", UBL_ROOT)), engine_of(("BR-01", "fatal", UBL_ROOT)),
                         case_id="s1-000002"),
                compared(oracle_of(("BR-01", "fatal", "/a[1]")), engine_of(("BR-01", "fatal", "/")),
                         case_id="s1-000003", syntax="CII")]

    def run_ratchet(self, floor, update=False):
        with tempfile.TemporaryDirectory() as tmp:
            known = Path(tmp) / "known.json"
            content = {"about": "", "sample": {"seed": 1, "n": 3}, "differences": []}
            if floor is not None:
                content["location_floor"] = floor
            known.write_text(json.dumps(content))
            with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
                code = ratchet(self.sample(), known, 1, 3, update, Path(tmp))
            return code, json.loads(known.read_text())

    def test_check_passes_at_the_floor(self):
        self.assertEqual(self.run_ratchet({"UBL": 2, "CII": 0})[0], 0)

    def test_check_fails_below_the_floor(self):
        self.assertEqual(self.run_ratchet({"UBL": 3, "CII": 0})[0], 1)

    def test_check_fails_without_a_floor(self):
        self.assertEqual(self.run_ratchet(None)[0], 1)

    def test_update_known_raises_the_floor(self):
        code, written = self.run_ratchet({"UBL": 1, "CII": 0}, update=True)
        self.assertEqual((code, written["location_floor"]), (0, {"UBL": 2, "CII": 0}))

    def test_update_known_keeps_a_higher_floor_and_fails(self):
        code, written = self.run_ratchet({"UBL": 5, "CII": 0}, update=True)
        self.assertEqual((code, written["location_floor"]), (1, {"UBL": 5, "CII": 0}))


class OracleTest(unittest.TestCase):
    """The oracle reproduces the verdicts in shared/expected (computed independently)."""

    @classmethod
    def setUpClass(cls):
        cls.oracle = Oracle(SHARED / "artefacts/en16931-1.3.16")

    def check_expected(self, rel: str, syntax: str):
        expected = json.loads((SHARED / "expected" / rel).with_suffix(".json").read_text())
        verdict = self.oracle.verdict(syntax, CORPUS / rel)
        self.assertIsInstance(verdict, Verdict)
        self.assertEqual(sorted(verdict.fatal), expected["validation"]["fatal"])
        self.assertEqual(sorted(verdict.warning), expected["validation"]["warning"])

    def test_ubl_invoice_with_warnings(self):
        self.check_expected("akretion-factur-x/tests/fixtures/xml/ubl-21-extended-ctc-fr.xml", "UBL")

    def test_cii_invoice_with_fatals(self):
        self.check_expected("akretion-factur-x/tests/fixtures/xml/factur-x-minimum.xml", "CII")

    def test_cii_invoice_with_warnings(self):
        self.check_expected("akretion-factur-x/tests/fixtures/xml/factur-x-extended.xml", "CII")

    def test_repeated_element_is_a_crash_not_a_verdict(self):
        source = CORPUS / "en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml"
        root = etree.fromstring(source.read_bytes())
        customization = root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}CustomizationID")
        customization.addnext(etree.fromstring(etree.tostring(customization)))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "twice.xml"
            path.write_bytes(etree.tostring(root))
            verdict = self.oracle.verdict("UBL", path)
        self.assertIsInstance(verdict, Crash)
        self.assertEqual(verdict.code, "XPTY0004")


if __name__ == "__main__":
    unittest.main()
