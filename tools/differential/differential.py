#!/usr/bin/env python3
"""Differential test: the engine's fatal and warning sets, and its violation locations, against
the official CEN/TC 434 XSLTs, on seeded mutants of the corpus invoices and on the corpus invoices
themselves.

  differential.py [options] run --n N --seed S [--kinds classic|extended]
                                [--known FILE [--update-known]] [--quiet]
  differential.py [options] show ID [--output FILE]

--kinds extended draws mutants from the extended generator (mutate_extended.py, ids x<seed>-<i>)
instead of the classic one (mutate.py, ids s<seed>-<i>).

Run by scripts/differential.sh (venv with saxonche + lxml, release build of `intake`).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from engine import EngineError, EngineVerdict, engine_verdicts
from locations import (Locations, agreeing_per_syntax, check_floor, compare_locations,
                       location_record, location_table, location_totals, print_location_table,
                       raised_floor)
from mutate import SYNTAXES, load_sources
from mutate_extended import KINDS, make, parse_any_mutant_id
from oracle import Crash, Oracle, Verdict

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = "artefacts/en16931-1.3.16"
EXAMPLES_PER_RULE = 3
NEW_REASON = "engine: {rule} {what} — issue 11"
KNOWN_ABOUT = ("Every disagreement between the engine and the official XSLT on the bounded "
               "differential sample ({command}): mutant or "
               "corpus id, set (fatal/warning), rule, kind (missed: the XSLT fires it, the engine "
               "does not; extra: the other way round), reason. The check fails on a disagreement "
               "not listed here and on a listed one that no longer occurs. 'not implemented': the "
               "engine never reported the rule in the sample and its source does not name it. "
               "location_floor: per syntax, the fewest documents of the sample whose multiset of "
               "(rule, flag, location) must equal the SVRL's; the check fails below it, "
               "update-known raises it to the current count and never lowers it.")


@dataclass
class Case:
    id: str
    group: str                 # "corpus" | "mutants"
    syntax: str
    source: str
    oracle_path: Path          # what the XSLT reads
    engine_path: Path          # what `intake` reads (the PDF itself for an embedded invoice)
    edits: list = field(default_factory=list)
    oracle: Verdict | Crash | None = None
    engine: EngineVerdict | None = None
    engine_error: str | None = None
    differences: list = field(default_factory=list)   # (set, rule, kind)
    locations: Locations | None = None                 # None: the XSLT crashed, nothing to compare


# ------------------------------------------------------------------------------ oracle pool
_worker_oracle: Oracle | None = None


def _init_worker(artefacts: str) -> None:
    global _worker_oracle
    _worker_oracle = Oracle(Path(artefacts))


def _oracle_task(task: tuple[str, str]) -> Verdict | Crash:
    syntax, path = task
    return _worker_oracle.verdict(syntax, Path(path))


def run_oracle(cases: list[Case], artefacts: Path, jobs: int) -> None:
    # spawn, not fork: each worker loads its own Saxon (a native library running its own
    # threads, which a forked child would not inherit in a usable state).
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(str(artefacts),)) as pool:
        tasks = [(c.syntax, str(c.oracle_path)) for c in cases]
        for case, verdict in zip(cases, pool.imap(_oracle_task, tasks, chunksize=8)):
            case.oracle = verdict


# ------------------------------------------------------------------------------ cases
def build_cases(shared: Path, seed: int, n: int, work: Path, kinds: str = "classic") -> list[Case]:
    corpus = shared / "corpus"
    sources = load_sources(corpus)
    if not {s.syntax for s in sources} >= set(SYNTAXES):
        raise SystemExit(f"the corpus {corpus} has no UBL or no CII invoice to mutate")
    if work.exists():
        shutil.rmtree(work)
    (work / "corpus").mkdir(parents=True)
    cases = []
    for source in sources:
        oracle_path = source.path
        if source.path.suffix.lower() == ".pdf":
            oracle_path = work / "corpus" / (source.rel.replace("/", "__") + ".xml")
            oracle_path.write_bytes(source.xml)
        cases.append(Case(f"corpus:{source.rel}", "corpus", source.syntax, source.rel,
                          oracle_path, source.path))
    for index in range(n):
        mutant = make(sources, seed, index, kinds)
        path = work / f"{mutant.id}.xml"
        path.write_bytes(mutant.data)
        cases.append(Case(mutant.id, "mutants", mutant.syntax, mutant.source, path, path,
                          mutant.edits))
    return cases


def compare(case: Case) -> None:
    """Differences of the engine's sets from the artefacts': missed = the XSLT fired, the
    engine did not; extra = the other way round. An engine error is an extra fatal verdict
    `error:<code>` (it refused a document the XSLT judged)."""
    if isinstance(case.oracle, Crash):
        return
    engine_fatal = case.engine.fatal if case.engine else frozenset({f"error:{case.engine_error}"})
    engine_warning = case.engine.warning if case.engine else frozenset()
    for name, want, got in (("fatal", case.oracle.fatal, engine_fatal),
                            ("warning", case.oracle.warning, engine_warning)):
        case.differences += [(name, rule, "missed") for rule in sorted(want - got)]
        case.differences += [(name, rule, "extra") for rule in sorted(got - want)]
    case.locations = compare_locations(case.oracle, case.engine, case.engine_error)


# ------------------------------------------------------------------------------ report
def totals(cases: list[Case]) -> dict:
    out = {}
    for group in ("corpus", "mutants"):
        out[group] = {}
        for syntax in SYNTAXES:
            mine = [c for c in cases if c.group == group and c.syntax == syntax]
            scored = [c for c in mine if not isinstance(c.oracle, Crash)]
            fatal_ok = sum(1 for c in scored if not any(d[0] == "fatal" for d in c.differences))
            warning_ok = sum(1 for c in scored if not any(d[0] == "warning" for d in c.differences))
            out[group][syntax] = {
                "cases": len(mine),
                "xslt_crashes_skipped": len(mine) - len(scored),
                "xslt_crash_codes": dict(Counter(c.oracle.code for c in mine if isinstance(c.oracle, Crash))),
                "engine_errors": sum(1 for c in scored if c.engine is None),
                "scored": len(scored),
                "fatal_agree": fatal_ok,
                "warning_agree": warning_ok,
                "both_agree": sum(1 for c in scored if not c.differences),
                "fatal_agree_pct": _pct(fatal_ok, len(scored)),
                "warning_agree_pct": _pct(warning_ok, len(scored)),
                **location_totals(scored),
            }
    return out


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def operator_table(cases: list[Case]) -> dict:
    """Per edit operator: mutants that carry it, XSLT crashes, fatal / warning disagreements
    (a mutant with several edits counts for each of its operators)."""
    table: dict[str, Counter] = {}
    for case in cases:
        for op in sorted({edit["op"] for edit in case.edits}):
            row = table.setdefault(op, Counter())
            row["mutants"] += 1
            row["xslt_crashes"] += isinstance(case.oracle, Crash)
            row["fatal_differs"] += any(d[0] == "fatal" for d in case.differences)
            row["warning_differs"] += any(d[0] == "warning" for d in case.differences)
    return {op: dict(row) for op, row in sorted(table.items())}


def rule_table(cases: list[Case]) -> list[dict]:
    rows: dict[tuple, dict] = {}
    for case in cases:
        for set_name, rule, kind in case.differences:
            row = rows.setdefault((rule, set_name), {"rule": rule, "set": set_name, "missed": 0,
                                                     "extra": 0, "examples": []})
            row[kind] += 1
            if len(row["examples"]) < EXAMPLES_PER_RULE:
                row["examples"].append(case.id)
    return sorted(rows.values(), key=lambda r: (-(r["missed"] + r["extra"]), r["rule"], r["set"]))


def case_record(case: Case) -> dict:
    record = {"id": case.id, "source": case.source, "syntax": case.syntax}
    if case.edits:
        record["edits"] = case.edits
    if isinstance(case.oracle, Crash):
        record["xslt_crash"] = {"code": case.oracle.code, "message": case.oracle.message}
        return record
    record["xslt"] = {"fatal": sorted(case.oracle.fatal), "warning": sorted(case.oracle.warning)}
    if case.engine is None:
        record["engine_error"] = case.engine_error
    else:
        record["engine"] = {"fatal": sorted(case.engine.fatal), "warning": sorted(case.engine.warning)}
    record["differences"] = [{"set": s, "rule": r, "kind": k} for s, r, k in case.differences]
    locations = location_record(case.locations)
    if locations is not None:
        record["locations"] = locations
    return record


def print_tables(summary: dict, rules: list[dict], limit: int | None, out=sys.stdout) -> None:
    print(f"{'':8} {'syntax':6} {'cases':>6} {'crash':>6} {'scored':>6} {'fatal agree':>17} "
          f"{'warning agree':>17} {'engine err':>10} {'locations agree':>21} {'capped':>6}", file=out)
    for group, per_syntax in summary.items():
        for syntax, t in per_syntax.items():
            fatal = f"{t['fatal_agree']} ({_fmt(t['fatal_agree_pct'])})"
            warning = f"{t['warning_agree']} ({_fmt(t['warning_agree_pct'])})"
            locations = (f"{t['locations_agree']}/{t['locations_comparable']} "
                         f"({_fmt(t['locations_agree_pct'])})")
            print(f"{group:8} {syntax:6} {t['cases']:>6} {t['xslt_crashes_skipped']:>6} "
                  f"{t['scored']:>6} {fatal:>17} {warning:>17} {t['engine_errors']:>10} "
                  f"{locations:>21} {t['locations_capped']:>6}", file=out)
    print("(locations agree: the multiset of (rule, flag, location) equals the SVRL's, of the "
          "documents whose engine list is below its cap; capped: not comparable)", file=out)
    shown = rules if limit is None else rules[:limit]
    print(f"\nper-rule disagreements ({len(rules)} rule/set pairs"
          f"{'' if limit is None or len(rules) <= limit else f', top {limit}'}):", file=out)
    print(f"  {'rule':24} {'set':8} {'missed':>7} {'extra':>7}  examples", file=out)
    for row in shown:
        print(f"  {row['rule']:24} {row['set']:8} {row['missed']:>7} {row['extra']:>7}  "
              f"{' '.join(row['examples'])}", file=out)


def _fmt(pct: float | None) -> str:
    return "n/a" if pct is None else f"{pct:.2f}%"


# ------------------------------------------------------------------------------ ratchet
def _key(entry: dict) -> tuple:
    return entry["id"], entry["set"], entry["rule"], entry["kind"]


def current_differences(cases: list[Case]) -> list[dict]:
    return [{"id": c.id, "source": c.source, "set": s, "rule": r, "kind": k}
            for c in cases for s, r, k in c.differences]


def implemented_rules(cases: list[Case], engine_src: Path) -> set:
    """Rule ids the engine knows: reported on some case of this run, or written as a literal
    in its source (ids built with format!, like BR-S-02, are caught by the first)."""
    seen = set()
    for case in cases:
        if case.engine:
            seen |= case.engine.fatal | case.engine.warning
    source = "".join(p.read_text(errors="replace") for p in sorted(engine_src.rglob("*.rs")))
    rules = {rule for case in cases for _, rule, _ in case.differences}
    return seen | {rule for rule in rules if f'"{rule}"' in source}


def new_reason(rule: str, implemented: set) -> str:
    return NEW_REASON.format(rule=rule, what="differs" if rule in implemented else "not implemented")


def sample_of(seed: int, n: int, kinds: str) -> dict:
    """The sample a known-differences file is recorded for (the classic one without "kinds",
    as the file of `make test` has always been written)."""
    return {"seed": seed, "n": n} if kinds == "classic" else {"seed": seed, "n": n, "kinds": kinds}


def write_known(known_file: Path, sample: dict, differences: list[dict], floor: dict) -> None:
    """One difference per line, so that a fix shows as removed lines in a diff."""
    lines = ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in differences)
    command = ("scripts/differential.sh check, run by make test" if "kinds" not in sample
               else f"scripts/differential.sh check-{sample['kinds']}")
    header = json.dumps({"about": KNOWN_ABOUT.format(command=command), "sample": sample,
                         "location_floor": floor}, ensure_ascii=False)
    known_file.write_text(header[:-1] + ', "differences": [\n' + lines + "\n]}\n")


def ratchet(cases: list[Case], known_file: Path, seed: int, n: int, update: bool,
            engine_src: Path, kinds: str = "classic") -> int:
    """Every difference of this sample must be listed, and every listed one must still occur;
    the documents with agreeing locations must not fall below the floor, per syntax."""
    known = json.loads(known_file.read_text()) if known_file.exists() else None
    current = current_differences(cases)
    agreeing = agreeing_per_syntax(cases, SYNTAXES)
    if update:
        reasons = {_key(e): e["reason"] for e in (known or {}).get("differences", [])}
        implemented = implemented_rules(cases, engine_src)
        for entry in current:
            entry["reason"] = reasons.get(_key(entry)) or new_reason(entry["rule"], implemented)
        old_floor = (known or {}).get("location_floor")
        floor = raised_floor(old_floor, agreeing)
        write_known(known_file, sample_of(seed, n, kinds), current, floor)
        print(f"wrote {len(current)} known differences and the location floor {floor} to "
              f"{known_file}", file=sys.stderr)
        below = check_floor(floor, agreeing)
        for failure in below:
            print(f"FAILED (floor kept, never lowered): {failure}", file=sys.stderr)
        return 1 if below else 0
    if known is None:
        print(f"FAILED: {known_file} does not exist (scripts/differential.sh update-known)", file=sys.stderr)
        return 1
    if known.get("sample") != sample_of(seed, n, kinds):
        print(f"FAILED: {known_file} is for the sample {known.get('sample')}, this run is "
              f"{sample_of(seed, n, kinds)}", file=sys.stderr)
        return 1
    listed = {_key(e) for e in known["differences"]}
    now = {_key(e) for e in current}
    regressions = sorted(now - listed)
    resolved = sorted(listed - now)
    for key in regressions:
        print("NEW (not in known-differences.json): %s %s %s %s" % key, file=sys.stderr)
    for key in resolved:
        print("GONE (listed, no longer occurs; remove it): %s %s %s %s" % key, file=sys.stderr)
    floor_failures = check_floor(known.get("location_floor"), agreeing)
    for failure in floor_failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if regressions or resolved:
        print(f"FAILED: {len(regressions)} new and {len(resolved)} resolved differences against "
              f"{known_file.name} (a fix: drop the GONE entries, or scripts/differential.sh "
              f"update-known; a NEW one is a regression)", file=sys.stderr)
    if regressions or resolved or floor_failures:
        return 1
    print(f"ratchet: the {len(now)} differences are exactly those listed in {known_file.name}; "
          f"documents with agreeing locations {agreeing}, floor {known['location_floor']}"
          f"{' (raise it: scripts/differential.sh update-known)' if agreeing != known['location_floor'] else ''}",
          file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------ commands
def cmd_run(args) -> int:
    started = time.monotonic()
    phases = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # A fresh folder per run: two runs at the same time (several developers or agents on one
    # checkout) must not delete each other's mutants.
    work = Path(tempfile.mkdtemp(prefix="work-", dir=out))
    cases = build_cases(args.shared, args.seed, args.n, work, args.kinds)
    phases["generate_s"] = round(time.monotonic() - started, 1)

    mark = time.monotonic()
    verdicts = engine_verdicts(args.intake, [c.engine_path for c in cases])
    for case in cases:
        result = verdicts[str(case.engine_path)]
        if isinstance(result, EngineError):
            case.engine_error = result.code
        else:
            case.engine = result
    phases["engine_s"] = round(time.monotonic() - mark, 1)

    mark = time.monotonic()
    run_oracle(cases, args.shared / ARTEFACTS, args.jobs)
    phases["xslt_s"] = round(time.monotonic() - mark, 1)
    for case in cases:
        compare(case)
    phases["total_s"] = round(time.monotonic() - started, 1)

    summary = totals(cases)
    rules = rule_table(cases)
    location_rows = location_table(cases)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
        "seed": args.seed, "n": args.n, "kinds": args.kinds, "jobs": args.jobs, "wall_time": phases,
        "totals": summary, "rules": rules,
        "locations": {"agreeing_per_syntax": agreeing_per_syntax(cases, SYNTAXES),
                      "rules": location_rows},
        "operators": operator_table(cases),
        "cases": [case_record(c) for c in cases],
    }
    suffix = "" if args.kinds == "classic" else f"-{args.kinds}"
    report_file = out / f"report-s{args.seed}-n{args.n}{suffix}.json"
    report_file.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print_tables(summary, rules, 25 if args.quiet else None)
    print(f"\ndocuments with agreeing locations (corpus and mutants): "
          f"{agreeing_per_syntax(cases, SYNTAXES)}")
    print_location_table(location_rows, 25 if args.quiet else None, sys.stdout)
    print(f"\nwall time: {phases}; report: {report_file}", file=sys.stderr)
    shutil.rmtree(work)
    if args.known:
        return ratchet(cases, Path(args.known), args.seed, args.n, args.update_known, args.engine_src,
                       args.kinds)
    return 0


def cmd_show(args) -> int:
    seed, index, kinds = parse_any_mutant_id(args.id)
    mutant = make(load_sources(args.shared / "corpus"), seed, index, kinds)
    if args.output:
        Path(args.output).write_bytes(mutant.data)
    else:
        sys.stdout.buffer.write(mutant.data)
    print(json.dumps({"id": mutant.id, "source": mutant.source, "syntax": mutant.syntax,
                      "edits": mutant.edits}, indent=1, ensure_ascii=False), file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="the shared data folder (corpus/, artefacts/)")
    parser.add_argument("--intake", type=Path, default=ROOT / "target/release/intake")
    parser.add_argument("--out", default=str(ROOT / ".local/differential"))
    parser.add_argument("--engine-src", type=Path, default=ROOT / "shared/engine",
                        help="the engine crate (read for the reasons of new known differences)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="XSLT processes")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="generate, run both, compare, report")
    run.add_argument("--n", type=int, required=True, help="number of mutants")
    run.add_argument("--seed", type=int, required=True)
    run.add_argument("--kinds", choices=KINDS, default="classic",
                     help="the generator: classic (mutate.py) or extended (mutate_extended.py)")
    run.add_argument("--known", help="known-differences.json: fail on any change against it")
    run.add_argument("--update-known", action="store_true", help="rewrite --known from this run")
    run.add_argument("--quiet", action="store_true", help="only the top 25 rules in the table")
    show = commands.add_parser("show", help="write one mutant (by id) and print its edits")
    show.add_argument("id", help="mutant id, e.g. s1-000042 (classic) or x21-000042 (extended)")
    show.add_argument("--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    return cmd_run(args) if args.command == "run" else cmd_show(args)


if __name__ == "__main__":
    sys.exit(main())
