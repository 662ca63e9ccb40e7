"""The engine's verdict: `intake extract FILE…` (JSON Lines, one object per file).

A result line carries `validation.fatal` and `validation.warning`: the sorted unique rule ids
(the same ids as the artefacts' `@id`) whose severity is fatal resp. warning, and
`validation.violations`: one entry per firing (`rule`, `severity`, `path`), where `path` is meant
to be the SVRL `location` of the artefact's context node. An `error` line
(`{"file", "error": {"code", "message"}}`) means the engine gave no verdict on that file.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Paths per `intake` call: a few hundred keep each command line far below ARG_MAX.
CHUNK = 500
# The engine lists at most this many violations (MAX_VIOLATIONS in
# shared/engine/src/validation/mod.rs); its id sets stay complete beyond it.
VIOLATIONS_CAP = 1000


@dataclass(frozen=True)
class EngineVerdict:
    fatal: frozenset
    warning: frozenset
    # (rule, severity, path) per listed violation; path "" when the engine gave none.
    violations: tuple = ()

    @property
    def capped(self) -> bool:
        """The list may have been cut at the cap, so it need not hold every firing."""
        return len(self.violations) >= VIOLATIONS_CAP


@dataclass(frozen=True)
class EngineError:
    code: str
    message: str


def engine_verdicts(intake: Path, paths: list[Path]) -> dict[str, EngineVerdict | EngineError]:
    """Verdict per path (keyed by str(path)), from as few `intake` processes as possible."""
    verdicts: dict[str, EngineVerdict | EngineError] = {}
    for start in range(0, len(paths), CHUNK):
        chunk = [str(p) for p in paths[start:start + CHUNK]]
        # Exit 1 only says that some file got an error line; those are read like the others.
        run = subprocess.run([str(intake), "extract", "--", *chunk],
                             capture_output=True, text=True, check=False)
        if run.returncode not in (0, 1):
            raise RuntimeError(f"{intake} exited {run.returncode}: {run.stderr.strip()[:500]}")
        for line in run.stdout.splitlines():
            result = json.loads(line)
            verdicts[result["file"]] = parse_result(result)
        missing = [p for p in chunk if p not in verdicts]
        if missing:
            raise RuntimeError(f"{intake} printed no result for {len(missing)} files, e.g. {missing[0]}")
    return verdicts


def parse_result(result: dict) -> EngineVerdict | EngineError:
    if "error" in result:
        return EngineError(result["error"].get("code", ""), result["error"].get("message", ""))
    validation = result.get("validation")
    if validation is None:
        # An invoice the engine reads but does not validate (e.g. ZUGFeRD 1.0): no verdict.
        return EngineError("no_validation", f"document {result.get('document')} has no validation")
    violations = tuple((v.get("rule", ""), v.get("severity", ""), v.get("path") or "")
                       for v in validation.get("violations", []))
    return EngineVerdict(frozenset(validation.get("fatal", [])), frozenset(validation.get("warning", [])),
                         violations)
