"""The reference verdict: the official CEN/TC 434 XSLTs run by Saxon (saxonche), SVRL read back."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
STYLESHEETS = {"UBL": "EN16931-UBL-validation.xslt", "CII": "EN16931-CII-validation.xslt"}


@dataclass(frozen=True)
class Violation:
    rule: str
    flag: str
    location: str


@dataclass(frozen=True)
class Verdict:
    fatal: frozenset
    warning: frozenset
    violations: tuple = ()


@dataclass(frozen=True)
class Crash:
    """The XSLT raised an error instead of producing SVRL: there is no verdict."""

    code: str       # the XPath/XSLT error code (XPTY0004, …) or "error"
    message: str


def parse_svrl(svrl: str | bytes) -> Verdict:
    """Every svrl:failed-assert is one violation: rule @id, @flag (fatal / warning), @location.
    Flags other than fatal and warning would be neither set; the 1.3.16 artefacts have none."""
    root = ET.fromstring(svrl.encode() if isinstance(svrl, str) else svrl)
    violations = tuple(
        Violation(node.get("id", ""), node.get("flag", ""), node.get("location", ""))
        for node in root.iter(f"{{{SVRL_NS}}}failed-assert")
    )
    return Verdict(
        fatal=frozenset(v.rule for v in violations if v.flag == "fatal"),
        warning=frozenset(v.rule for v in violations if v.flag == "warning"),
        violations=violations,
    )


ERROR_CODE = re.compile(r"\b((?:XPTY|XPDY|XTDE|XTTE|FORG|FOAR|FOCA|XPST|FODT|FORX)\d{4})\b")


class Oracle:
    """Both stylesheets compiled once; `verdict` runs the one of the document's syntax."""

    def __init__(self, artefacts: Path):
        from saxonche import PySaxonProcessor  # only the oracle's worker processes load Saxon

        self._processor = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self._executables = {
            syntax: compiler.compile_stylesheet(stylesheet_file=str(artefacts / name))
            for syntax, name in STYLESHEETS.items()
        }

    def verdict(self, syntax: str, path: Path) -> Verdict | Crash:
        try:
            svrl = self._executables[syntax].transform_to_string(source_file=str(path))
        except Exception as error:  # saxonche raises PySaxonApiError; its message has the code
            message = str(error)
            match = ERROR_CODE.search(message)
            return Crash(match.group(1) if match else "error", message[:300])
        if svrl is None:
            return Crash("error", "no SVRL output")
        return parse_svrl(svrl)
