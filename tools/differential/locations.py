"""Locations: per document, the multiset of (rule, flag, location) the engine reports against the
one of the official XSLT's SVRL (one svrl:failed-assert per context node the assert fails on).

Equal multisets mean the engine fires every rule on the same context nodes, as many times, with
`violations[].path` written exactly like the SVRL `location`. A document whose engine list reached
the engine's cap is "not comparable": the list may be cut, the missing entries are unknowable.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from engine import EngineVerdict
from oracle import Verdict

# The SVRL location names every step as `*:Name[namespace-uri()='…'][n]`; the tables print it
# without the namespace test, which is what makes the long paths readable side by side.
NAMESPACE_TEST = re.compile(r"\[namespace-uri\(\)='[^']*'\]")


@dataclass
class Locations:
    """One document's comparison. missed: entries the XSLT reports and the engine does not
    (counted with multiplicity); extra: the other way round."""

    capped: bool = False
    missed: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)

    @property
    def agree(self) -> bool:
        return not self.capped and not self.missed and not self.extra


def compare_locations(oracle: Verdict, engine: EngineVerdict | None,
                      engine_error: str | None = None) -> Locations:
    """An engine error compares like a document on which the engine reported the single entry
    (`error:<code>`, fatal, "") — the same stand-in as in the fatal set."""
    want = Counter((v.rule, v.flag, v.location) for v in oracle.violations)
    if engine is None:
        return Locations(missed=want, extra=Counter({(f"error:{engine_error}", "fatal", ""): 1}))
    if engine.capped:
        return Locations(capped=True)
    got = Counter(engine.violations)
    return Locations(missed=want - got, extra=got - want)


def short(location: str) -> str:
    return NAMESPACE_TEST.sub("", location)


def location_totals(cases) -> dict:
    """Scored documents (no XSLT crash), of those capped, comparable and agreeing."""
    scored = [c for c in cases if c.locations is not None]
    capped = sum(1 for c in scored if c.locations.capped)
    agree = sum(1 for c in scored if c.locations.agree)
    comparable = len(scored) - capped
    return {"locations_comparable": comparable, "locations_capped": capped,
            "locations_agree": agree,
            "locations_agree_pct": round(100.0 * agree / comparable, 2) if comparable else None}


def agreeing_per_syntax(cases, syntaxes) -> dict:
    """The ratcheted number: documents (corpus and mutants) whose location multisets agree."""
    return {s: sum(1 for c in cases if c.syntax == s and c.locations is not None and c.locations.agree)
            for s in syntaxes}


def location_table(cases) -> list[dict]:
    """Per (syntax, rule, flag): missed and extra locations (with multiplicity), documents
    concerned, and one example of each kind — taken from one document where the rule has
    both, when there is one, since a pair there is most often the same node written twice."""
    rows: dict[tuple, dict] = {}
    paired: set = set()   # rows whose examples come from one document
    for case in cases:
        if case.locations is None or case.locations.capped:
            continue
        per_rule: dict[tuple, dict] = {}
        for kind in ("missed", "extra"):
            for (rule, flag, location), count in sorted(getattr(case.locations, kind).items()):
                entry = per_rule.setdefault((case.syntax, rule, flag), {"missed": [], "extra": []})
                entry[kind] += [location] * count
        for key, found in per_rule.items():
            syntax, rule, flag = key
            row = rows.setdefault(key, {"syntax": syntax, "rule": rule, "set": flag, "missed": 0,
                                        "extra": 0, "documents": 0, "example_missed": None,
                                        "example_extra": None})
            row["documents"] += 1
            both = bool(found["missed"] and found["extra"])
            for kind in ("missed", "extra"):
                row[kind] += len(found[kind])
                if found[kind] and (row[f"example_{kind}"] is None or (both and key not in paired)):
                    row[f"example_{kind}"] = {"id": case.id, "location": found[kind][0]}
            if both:
                paired.add(key)
    return sorted(rows.values(), key=lambda r: (-(r["missed"] + r["extra"]), r["syntax"], r["rule"], r["set"]))


def location_record(locations: Locations) -> dict | None:
    """The per-case entry of the JSON report; None for an agreeing document (kept out)."""
    if locations.agree:
        return None
    if locations.capped:
        return {"comparable": False}
    return {"comparable": True,
            "missed": [[r, f, loc, n] for (r, f, loc), n in sorted(locations.missed.items())],
            "extra": [[r, f, loc, n] for (r, f, loc), n in sorted(locations.extra.items())]}


def print_location_table(rows: list[dict], limit: int | None, out) -> None:
    shown = rows if limit is None else rows[:limit]
    print(f"\nper-rule location disagreements ({len(rows)} syntax/rule/set triples"
          f"{'' if limit is None or len(rows) <= limit else f', top {limit}'}; locations without "
          f"their [namespace-uri()=…] tests):", file=out)
    print(f"  {'syntax':6} {'rule':24} {'set':8} {'missed':>7} {'extra':>7} {'docs':>5}  example", file=out)
    for row in shown:
        print(f"  {row['syntax']:6} {row['rule']:24} {row['set']:8} {row['missed']:>7} "
              f"{row['extra']:>7} {row['documents']:>5}", file=out)
        for kind in ("missed", "extra"):
            example = row[f"example_{kind}"]
            if example:
                print(f"      {kind:6} {example['id']}  {short(example['location']) or '(no path)'}", file=out)


# ------------------------------------------------------------------------------ floor ratchet
def check_floor(floor: dict | None, current: dict) -> list[str]:
    """Failures: a syntax whose agreeing documents fell below the recorded floor, or no floor."""
    if floor is None:
        return ["known-differences.json has no location_floor (scripts/differential.sh update-known)"]
    return [f"location agreement {syntax}: {current.get(syntax, 0)} documents, below the floor of "
            f"{minimum} (a regression: some rule now fires on other nodes or a different number "
            f"of times)" for syntax, minimum in sorted(floor.items()) if current.get(syntax, 0) < minimum]


def raised_floor(floor: dict | None, current: dict) -> dict:
    """The floor after update-known: raised to the current value, never lowered."""
    floor = floor or {}
    return {**floor, **{syntax: max(floor.get(syntax, 0), count) for syntax, count in current.items()}}
