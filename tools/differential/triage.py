#!/usr/bin/env python3
"""Disagreements of one or more differential reports grouped for triage: per (syntax, set, rule,
missed/extra) for the fatal and warning sets, and per (syntax, rule, missed/extra) for locations,
with how many documents, the edit operators of those documents, and the simplest example (the
document with the fewest edits, its edits printed) — the edit most likely to trigger it alone.
A document the engine refused (error:<code>) counts in that error's group only.

  triage.py REPORT.json [REPORT.json ...] [--baseline REPORT.json] [--top N]

--baseline: a report of another sample (e.g. the classic bounded one); groups that it also has
are marked "also in baseline", so that what only the new sample finds stands out.
Run by scripts/differential.sh triage.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from locations import short


def _groups(reports: list[dict]) -> dict[tuple, dict]:
    groups: dict[tuple, dict] = {}

    def add(key, case):
        group = groups.setdefault(key, {"documents": 0, "ops": Counter(), "simplest": None})
        group["documents"] += 1
        group["ops"].update({edit["op"] for edit in case.get("edits", [])} or {"(corpus document)"})
        edits = len(case.get("edits", []))
        if group["simplest"] is None or edits < len(group["simplest"].get("edits", [])):
            group["simplest"] = case

    for report in reports:
        for case in report["cases"]:
            if "engine_error" in case:
                # The engine gave no verdict: every rule the XSLT fired is "missed" because of
                # the one refusal, which is the group to triage.
                add(("set", case["syntax"], "fatal", f"error:{case['engine_error']}", "extra"), case)
                continue
            for difference in case.get("differences", []):
                add(("set", case["syntax"], difference["set"], difference["rule"], difference["kind"]), case)
            locations = case.get("locations") or {}
            for kind in ("missed", "extra"):
                for rule in sorted({entry[0] for entry in locations.get(kind, [])}):
                    add(("location", case["syntax"], rule, kind), case)
    return groups


def _example(case: dict, key: tuple) -> list[str]:
    lines = [f"      example {case['id']} ({len(case.get('edits', []))} edit(s), {case['source']})"]
    for edit in case.get("edits", []):
        lines.append("        " + json.dumps(edit, ensure_ascii=False)[:300])
    if key[0] == "location":
        for kind in ("missed", "extra"):
            for rule, flag, location, count in case.get("locations", {}).get(kind, []):
                if rule == key[2]:
                    lines.append(f"        {kind} {flag} x{count}: {short(location) or '(no path)'}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--top", type=int, default=None, help="only the N largest groups of each kind")
    args = parser.parse_args(argv)
    groups = _groups([json.loads(p.read_text()) for p in args.reports])
    baseline = set(_groups([json.loads(args.baseline.read_text())])) if args.baseline else set()
    for section, title in (("set", "fatal / warning set disagreements (syntax set rule kind)"),
                           ("location", "location disagreements (syntax rule kind)")):
        rows = sorted(((k, g) for k, g in groups.items() if k[0] == section),
                      key=lambda item: (-item[1]["documents"], item[0]))
        print(f"\n== {title}: {len(rows)} groups")
        for key, group in rows[:args.top]:
            mark = "  [also in baseline]" if key in baseline else ""
            ops = ", ".join(f"{op} {n}" for op, n in group["ops"].most_common(4))
            print(f"  {' '.join(key[1:])}: {group['documents']} document(s){mark}; ops: {ops}")
            print("\n".join(_example(group["simplest"], key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
