#!/usr/bin/env bash
# Differential test of the engine's verdict against the official CEN/TC 434 artefacts
# (README.md, section "Validation fidelity"):
#   venv with pinned saxonche + lxml (.local/differential-venv, skipped when its stamp matches)
#   -> cargo build --release -p intake-cli (none with INTAKE_PREBUILT_BIN_DIR)
#   -> (check) the Python tests of the harness (generator determinism, SVRL, oracle, comparison)
#   -> tools/differential/differential.py run: seeded mutants of the corpus's UBL and CII
#      invoices plus the corpus documents themselves, each run through the official XSLT
#      (saxonche) and through `intake extract`; fatal and warning sets compared, and per
#      document the multiset of (rule, flag, location) against the SVRL's.
# Reports: .local/differential/report-s<SEED>-n<N>.json and the table on stdout.
#
# Usage: scripts/differential.sh [install | run [--extended] [N [SEED]] | check | update-known
#                                 | check-extended | update-known-extended | triage REPORT…
#                                 | show ID [OUT] | bench [N [SEED]]]
#   install      only set up the venv
#   run N SEED   any size (default N=2000, SEED=1); prints the per-rule disagreements; exit 0
#                unless the harness itself fails. --extended: mutants of the extended generator
#                (tools/differential/mutate_extended.py, ids x<SEED>-<i>: lexical forms, markup
#                in values, namespaces, groups, currencies, VAT with recomputed totals, extreme
#                amounts, type codes, CII/UBL-specific edits) instead of the classic one
#   check        the bounded sample of `make test` (N=2000, SEED=1) as a ratchet against
#                tools/differential/known-differences.json: fails on a disagreement that is not
#                listed, on a listed one that no longer occurs, and when the documents whose
#                locations agree fall below its location_floor (per syntax)
#   update-known rewrite known-differences.json from the bounded sample (keeps the reasons of
#                entries that still occur; raises location_floor, never lowers it)
#   check-extended / update-known-extended
#                the same ratchet on the bounded sample of the extended generator (N=2000,
#                SEED=1, ids x1-…) against tools/differential/known-differences-extended.json
#   triage REPORT… [--baseline REPORT]
#                the disagreements of run reports grouped by (syntax, set, rule, missed/extra)
#                and by location, with the edit operators involved and the simplest example
#                (fewest edits) of each; --baseline marks the groups another report also has
#   show ID [OUT] write mutant ID (s1-000042 classic, x1-000042 extended) to OUT (default:
#                stdout), its edits to stderr
#   bench N SEED time and peak RSS of the official XSLT in Saxon against `intake extract` on the
#                corpus's invoices plus N mutants (default N=500, SEED=1), one pinned CPU each
#                (tools/differential/bench.py); writes .local/differential/bench-s<SEED>-n<N>.json
# Env: CARGO_TARGET_DIR (default <repo>/target), INTAKE_SHARED (default <repo>/../shared),
#      DIFFERENTIAL_JOBS (oracle processes, default: the number of CPUs),
#      INTAKE_PREBUILT_BIN_DIR (a directory whose `intake` is already built, used instead of
#      building the release one: `make test` gives its debug build's, which saves a release build
#      of the engine; the verdicts do not depend on the profile, and the debug build's overflow
#      checks are stricter)
set -euo pipefail

# ---------------------------------------------------------------- pinned versions
SAXONCHE_VERSION="12.10.1"
LXML_VERSION="6.1.3"
# The bounded sample run by `make test`; known-differences.json is recorded for exactly these.
BOUNDED_N=2000
BOUNDED_SEED=1
# The bounded sample of the extended generator and its own known differences.
EXTENDED_N=2000
EXTENDED_SEED=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SHARED="${INTAKE_SHARED:-$ROOT/../shared}"
VENV_DIR="$ROOT/.local/differential-venv"
VENV_STAMP="$VENV_DIR/.intake-stamp"
VENV_WANT="saxonche==$SAXONCHE_VERSION lxml==$LXML_VERSION"
TOOL="$ROOT/tools/differential/differential.py"
INTAKE="${INTAKE_PREBUILT_BIN_DIR:-$TARGET_DIR/release}/intake"
KNOWN="$ROOT/tools/differential/known-differences.json"
KNOWN_EXTENDED="$ROOT/tools/differential/known-differences-extended.json"
OUT_DIR="$ROOT/.local/differential"

say() { printf '[differential] %s\n' "$*" >&2; }
die() { printf '[differential] ERROR: %s\n' "$*" >&2; exit 1; }

python_id() { python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'; }

install_venv() {
  command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH; install Python >= 3.10 with venv"
  local want
  want="$VENV_WANT python=$(python_id)"
  if [[ -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want" && -x "$VENV_DIR/bin/python" ]]; then
    say "$VENV_WANT already installed in .local/differential-venv"
    return
  fi
  say "installing $VENV_WANT into .local/differential-venv ..."
  rm -rf "$VENV_DIR"
  mkdir -p "$ROOT/.local"
  python3 -m venv "$VENV_DIR" \
    || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$VENV_DIR/bin/python" -m pip install --quiet --no-input \
      "saxonche==$SAXONCHE_VERSION" "lxml==$LXML_VERSION" \
    || die "pip install of $VENV_WANT failed (is PyPI reachable?)"
  printf '%s\n' "$want" >"$VENV_STAMP"
  say "$VENV_WANT installed"
}

build_cli() {
  if [[ -n "${INTAKE_PREBUILT_BIN_DIR:-}" ]]; then
    [[ -x "$INTAKE" ]] || die "no executable $INTAKE (INTAKE_PREBUILT_BIN_DIR)"
    say "the engine: $INTAKE (INTAKE_PREBUILT_BIN_DIR): no build"
    return
  fi
  say "cargo build --release -p intake-cli (target dir $TARGET_DIR)"
  CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p intake-cli
}

unit_tests() {
  say "python unit tests of the harness"
  (cd "$ROOT/tools/differential" \
    && INTAKE_SHARED="$SHARED" "$VENV_DIR/bin/python" -m unittest test_differential test_extended)
}

harness() {
  "$VENV_DIR/bin/python" "$TOOL" --shared "$SHARED" --intake "$INTAKE" \
    --out "$OUT_DIR" ${DIFFERENTIAL_JOBS:+--jobs "$DIFFERENTIAL_JOBS"} "$@"
}

main() {
  local started=$SECONDS cmd="${1:-run}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install) install_venv ;;
    run)
      local kinds=classic
      if [[ "${1:-}" == "--extended" ]]; then kinds=extended; shift; fi
      install_venv
      build_cli
      harness run --n "${1:-$BOUNDED_N}" --seed "${2:-$BOUNDED_SEED}" --kinds "$kinds"
      ;;
    check)
      install_venv
      build_cli
      unit_tests
      harness run --n "$BOUNDED_N" --seed "$BOUNDED_SEED" --known "$KNOWN" --quiet
      ;;
    update-known)
      install_venv
      build_cli
      harness run --n "$BOUNDED_N" --seed "$BOUNDED_SEED" --known "$KNOWN" --update-known --quiet
      ;;
    check-extended)
      install_venv
      build_cli
      harness run --n "$EXTENDED_N" --seed "$EXTENDED_SEED" --kinds extended --known "$KNOWN_EXTENDED" --quiet
      ;;
    update-known-extended)
      install_venv
      build_cli
      harness run --n "$EXTENDED_N" --seed "$EXTENDED_SEED" --kinds extended --known "$KNOWN_EXTENDED" \
        --update-known --quiet
      ;;
    bench)
      install_venv
      build_cli
      "$VENV_DIR/bin/python" "$ROOT/tools/differential/bench.py" --shared "$SHARED" \
        --intake "$INTAKE" --out "$OUT_DIR" --n "${1:-500}" --seed "${2:-1}"
      ;;
    triage)
      [[ $# -ge 1 ]] || die "usage: scripts/differential.sh triage REPORT.json [REPORT.json ...] [--baseline REPORT.json]"
      install_venv
      (cd "$ROOT/tools/differential" && "$VENV_DIR/bin/python" triage.py "$@")
      ;;
    show)
      [[ $# -ge 1 ]] || die "usage: scripts/differential.sh show ID [OUT]"
      install_venv
      harness show "$1" ${2:+--output "$2"}
      ;;
    -h | --help | help) sed -n '2,/^set -euo pipefail/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; return ;;
    *) die "unknown command '$cmd' (see scripts/differential.sh --help)" ;;
  esac
  say "took $((SECONDS - started)) s"
}

main "$@"
