#!/usr/bin/env python3
"""Time and memory of the official XSLT run by Saxon against the engine, on the same documents:
the corpus's UBL and CII invoices (the XML embedded in a PDF written out, so both read XML) plus
N seeded mutants of them (the differential harness's generator).

  bench.py [--shared DIR] [--intake FILE] [--out DIR] [--n 500] [--seed 1]

Each side is one child process pinned to the same single CPU, so neither gets more of the
machine than the other:
  Saxon  — saxonche in a Python process: start and compile of each stylesheet timed apart from
           the transforms; per document, `transform_to_string` (the SVRL as a string).
  engine — one `intake extract FILE…` over all files; per document, the time between two of its
           output lines (it flushes one JSON line per file), the first one counted from spawn.
Peak RSS is each child's ru_maxrss (wait4). The Saxon child's includes the Python interpreter,
so the RSS of Python with saxonche imported and nothing compiled is reported next to it.
Run by scripts/differential.sh bench; writes OUT/bench-s<SEED>-n<N>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = "artefacts/en16931-1.3.16"
STYLESHEETS = {"UBL": "EN16931-UBL-validation.xslt", "CII": "EN16931-CII-validation.xslt"}
SAXON_BASELINE = "import saxonche; saxonche.PySaxonProcessor(license=False)"


# ------------------------------------------------------------------------------ Saxon child
def saxon_worker(artefacts: Path, listing: Path, result: Path) -> None:
    """The child: compile both stylesheets, transform every listed document, write the times
    (to a file: Saxon may write messages of its own to stdout)."""
    started = time.perf_counter()
    from saxonche import PySaxonProcessor  # imported here: the parent never loads Saxon

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    start_s = time.perf_counter() - started
    executables, compile_s = {}, {}
    for syntax, name in STYLESHEETS.items():
        mark = time.perf_counter()
        executables[syntax] = compiler.compile_stylesheet(stylesheet_file=str(artefacts / name))
        compile_s[syntax] = time.perf_counter() - mark
    per_doc, crashes = [], 0
    cpu_started = time.process_time()
    for syntax, path in json.loads(listing.read_text()):
        mark = time.perf_counter()
        try:
            executables[syntax].transform_to_string(source_file=path)
        except Exception:  # saxonche's PySaxonApiError: the XSLT's own error, timed like the rest
            crashes += 1
        per_doc.append(time.perf_counter() - mark)
    result.write_text(json.dumps({"start_s": start_s, "compile_s": compile_s, "per_doc_s": per_doc,
                                  "cpu_s": time.process_time() - cpu_started, "crashes": crashes}))


# ------------------------------------------------------------------------------ parent
def pinned(cpu: int):
    return lambda: os.sched_setaffinity(0, {cpu})


def reap(process: subprocess.Popen):
    """Wait for the child; its resource usage (ru_maxrss: peak RSS in KiB on Linux)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


def run_saxon(artefacts: Path, docs: list[tuple[str, str]], work: Path, cpu: int) -> dict:
    listing, result = work / "listing.json", work / "saxon.json"
    listing.write_text(json.dumps(docs))
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, __file__, "saxon-worker", str(artefacts), str(listing),
                                    str(result)], stdout=subprocess.DEVNULL, stderr=err, preexec_fn=pinned(cpu))
        usage = reap(process)
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"the Saxon worker exited {process.returncode}: {err.read()[-800:]!r}")
    return {**json.loads(result.read_text()), "peak_rss_kib": usage.ru_maxrss}


def run_engine(intake: Path, docs: list[tuple[str, str]], cpu: int) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen([str(intake), "extract", "--", *(path for _, path in docs)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               preexec_fn=pinned(cpu))
    # Buffered reads take whatever the pipe holds (an unbuffered readline would read byte by
    # byte and make the engine wait on a full pipe); lines that arrive together share a stamp.
    stamps = []
    for _ in process.stdout:
        stamps.append(time.perf_counter())
    usage = reap(process)
    total = time.perf_counter() - started
    # Exit 1 only says that some file got an error line (a mutant the engine refuses).
    if process.returncode not in (0, 1) or len(stamps) != len(docs):
        raise SystemExit(f"{intake} exited {process.returncode} after {len(stamps)} of {len(docs)} lines")
    per_doc = [b - a for a, b in zip([started] + stamps[:-1], stamps)]
    return {"total_s": total, "per_doc_s": per_doc, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_kib": usage.ru_maxrss}


def baseline_rss(cpu: int) -> int:
    process = subprocess.Popen([sys.executable, "-c", SAXON_BASELINE], stdout=subprocess.DEVNULL,
                               preexec_fn=pinned(cpu))
    return reap(process).ru_maxrss


def write_documents(shared: Path, n: int, seed: int, work: Path) -> list[tuple[str, str]]:
    from mutate import load_sources, make_mutant  # lxml: only the parent needs it

    sources = load_sources(shared / "corpus")
    docs = []
    for index, source in enumerate(sources):
        path = work / f"c{index:05d}.xml"
        path.write_bytes(source.xml)
        docs.append((source.syntax, str(path)))
    for index in range(n):
        mutant = make_mutant(sources, seed, index)
        path = work / f"m{index:06d}.xml"
        path.write_bytes(mutant.data)
        docs.append((mutant.syntax, str(path)))
    return docs


def summary(per_doc: list[float]) -> dict:
    ordered = sorted(per_doc)
    return {"documents": len(ordered), "sum_s": sum(ordered), "median_ms": 1e3 * statistics.median(ordered),
            "p90_ms": 1e3 * ordered[int(0.9 * (len(ordered) - 1))]}


def report(docs, saxon: dict, engine: dict, baseline_kib: int, args) -> dict:
    per_syntax = {}
    for syntax in STYLESHEETS:
        mine = [i for i, (s, _) in enumerate(docs) if s == syntax]
        per_syntax[syntax] = {"saxon": summary([saxon["per_doc_s"][i] for i in mine]),
                              "engine": summary([engine["per_doc_s"][i] for i in mine])}
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": _cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1m_at_end": os.getloadavg()[0]},
        "seed": args.seed, "n": args.n, "rounds": args.rounds, "documents": len(docs),
        "saxon": {"start_s": saxon["start_s"], "compile_s": saxon["compile_s"],
                  "transform": summary(saxon["per_doc_s"]), "transform_cpu_s": saxon["cpu_s"],
                  "xslt_crashes": saxon["crashes"], "peak_rss_kib": saxon["peak_rss_kib"],
                  "python_with_saxonche_rss_kib": baseline_kib},
        "engine": {"total_s": engine["total_s"], "cpu_s": engine["cpu_s"],
                   "per_doc": summary(engine["per_doc_s"]), "peak_rss_kib": engine["peak_rss_kib"]},
        "per_syntax": per_syntax,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ratio(a: float, b: float) -> str:
    if not b:
        return "n/a"
    return f"{a / b:.1f}x" if a / b < 10 else f"{a / b:.0f}x"


def print_report(r: dict) -> None:
    sax, eng = r["saxon"], r["engine"]
    print(f"documents: {r['documents']} (corpus UBL/CII invoices + {r['n']} mutants, seed {r['seed']}); "
          f"{sax['xslt_crashes']} end in an XSLT error (timed up to it); one process each, pinned to "
          f"one CPU ({r['machine']['cpu']}); the fastest of {r['rounds']} rounds per side")
    print(f"Saxon start {sax['start_s']:.2f} s; compile UBL {sax['compile_s']['UBL']:.2f} s, "
          f"CII {sax['compile_s']['CII']:.2f} s (not in the totals below)")
    print(f"\n{'':34} {'docs':>5} {'total s':>8} {'CPU s':>7} {'median/doc':>11} {'p90/doc':>9} "
          f"{'peak RSS':>9}")
    t, e = sax["transform"], eng["per_doc"]
    print(f"{'Saxon (official XSLT, transforms)':34} {t['documents']:>5} {t['sum_s']:>8.2f} "
          f"{sax['transform_cpu_s']:>7.2f} {t['median_ms']:>8.2f} ms {t['p90_ms']:>6.2f} ms "
          f"{sax['peak_rss_kib'] / 1024:>6.0f} MB")
    print(f"{'engine (intake extract, 1 process)':34} {e['documents']:>5} {eng['total_s']:>8.2f} "
          f"{eng['cpu_s']:>7.2f} {e['median_ms']:>8.2f} ms {e['p90_ms']:>6.2f} ms "
          f"{eng['peak_rss_kib'] / 1024:>6.0f} MB")
    print(f"{'ratio Saxon / engine':34} {'':>5} {_ratio(t['sum_s'], eng['total_s']):>8} "
          f"{_ratio(sax['transform_cpu_s'], eng['cpu_s']):>7} {_ratio(t['median_ms'], e['median_ms']):>11} "
          f"{_ratio(t['p90_ms'], e['p90_ms']):>9} {_ratio(sax['peak_rss_kib'], eng['peak_rss_kib']):>9}")
    print(f"(Saxon's RSS includes Python: Python with saxonche loaded, nothing compiled: "
          f"{sax['python_with_saxonche_rss_kib'] / 1024:.0f} MB. The engine's total and CPU include its "
          f"process start, file reads and JSON output; load average at the end "
          f"{r['machine']['load_average_1m_at_end']:.1f} on {r['machine']['cpus']} CPUs)")
    print(f"\n{'median per document':20} {'docs':>5} {'Saxon':>10} {'engine':>10} {'ratio':>6}")
    for syntax, row in r["per_syntax"].items():
        s, g = row["saxon"], row["engine"]
        print(f"{syntax:20} {s['documents']:>5} {s['median_ms']:>7.2f} ms {g['median_ms']:>7.2f} ms "
              f"{_ratio(s['median_ms'], g['median_ms']):>6}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["saxon-worker"]:
        saxon_worker(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--intake", type=Path, default=ROOT / "target/release/intake")
    parser.add_argument("--out", type=Path, default=ROOT / ".local/differential")
    parser.add_argument("--n", type=int, default=500, help="number of mutants")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs per side; the fastest is kept (other load on the machine only "
                             "ever slows a run down)")
    args = parser.parse_args(argv)
    # The last CPU this process may use: both children get the same one.
    cpu = max(os.sched_getaffinity(0))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=args.out) as tmp:
        work = Path(tmp)
        docs = write_documents(args.shared, args.n, args.seed, work)
        engines, saxons = [], []
        for _ in range(max(1, args.rounds)):
            engines.append(run_engine(args.intake, docs, cpu))
            saxons.append(run_saxon(args.shared / ARTEFACTS, docs, work, cpu))
        engine = min(engines, key=lambda run: run["total_s"])
        saxon = min(saxons, key=lambda run: sum(run["per_doc_s"]))
        # Compiling is timed apart, so its fastest round is taken apart too.
        saxon["compile_s"] = {syntax: min(run["compile_s"][syntax] for run in saxons) for syntax in STYLESHEETS}
        result = report(docs, saxon, engine, baseline_rss(cpu), args)
    out_file = args.out / f"bench-s{args.seed}-n{args.n}.json"
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    print_report(result)
    print(f"\nreport: {out_file}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
