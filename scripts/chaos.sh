#!/usr/bin/env bash
# `make chaos`: the fault-injection run of the local stack.
#   emulators up (left running if they already ran) -> build of intake-local and intake-load
#   (release; debug with --quick; none with INTAKE_PREBUILT_BIN_DIR, which `make test` sets to
#   its own debug build's binaries: `cargo build -p …` alone resolves features differently from
#   `cargo test --workspace` and would compile the AWS SDK a second time) -> `intake-load chaos`: the fault proxy (tools/fault-proxy) in front of the
#   emulators, intake-local as its child with its AWS endpoints on the proxy, then each scenario
#   of the matrix (5xx, throttling, transaction conflicts, connection resets before/after
#   forwarding, latency, SIGKILL of the runner mid-batch + restart, a DynamoDB outage): jobs
#   prepared with faults off, extracted under the fault, faults off, dead letters replayed
#   through POST /admin/dead-letters/replay, invariants checked (see tools/load/src/chaos/)
#   -> the matrix printed and written to .local/chaos/chaos-<time>.md -> emulators stopped if
#   this script started them.
#
# Environment (all optional):
#   CARGO_TARGET_DIR    where cargo builds (default <repo>/target)
#   INTAKE_PREBUILT_BIN_DIR  the directory of intake-local and intake-load already built (no
#                       build)
#   CHAOS_CORPUS        the invoices (default <repo>/../shared/corpus)
#   CHAOS_SEED          the fault schedule's seed (default 1)
#   CHAOS_TIMEOUT_SECS  hard limit for the chaos run (default 1500; 300 with --quick)
#   CHAOS_RUST_LOG      RUST_LOG of the runner (default warn)
# Extra arguments are passed to `intake-load chaos`, e.g. `--quick` (the bounded run of
# `make test`) or `--scenarios 5xx,sigkill-restart`.
# Exit status: that of intake-load chaos (0: every invariant held; 3: one did not).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CORPUS="${CHAOS_CORPUS:-$ROOT/../shared/corpus}"
RESULTS_DIR="$ROOT/.local/chaos"

say() { printf '[chaos] %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

stop_own_emulators_at_exit

quick=0
for arg in "$@"; do [[ "$arg" == --quick ]] && quick=1; done
default_timeout=1500
((quick)) && default_timeout=300

started=$SECONDS
[[ -d "$CORPUS" ]] || { say "ERROR: no corpus directory $CORPUS (set CHAOS_CORPUS)"; exit 1; }
"$EMU" install
if ! start_emulators; then
  say "ERROR: the emulators could not start (see .local/logs/)"
  exit 1
fi
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

profile=release
((quick)) && profile=debug
bin_dir="$TARGET_DIR/$profile"
if [[ -n "${INTAKE_PREBUILT_BIN_DIR:-}" ]]; then
  bin_dir="$INTAKE_PREBUILT_BIN_DIR"
  say "intake-local and intake-load of $bin_dir (INTAKE_PREBUILT_BIN_DIR): no build"
elif [[ "$profile" == release ]]; then
  say "cargo build --release -p intake-local -p intake-load (target dir $TARGET_DIR)"
  CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p intake-local -p intake-load
else
  say "cargo build -p intake-local -p intake-load (target dir $TARGET_DIR)"
  CARGO_TARGET_DIR="$TARGET_DIR" cargo build -p intake-local -p intake-load
fi

mkdir -p "$RESULTS_DIR"
out="$RESULTS_DIR/chaos-$(date -u +%Y%m%dT%H%M%SZ).md"
rc=0
timeout "${CHAOS_TIMEOUT_SECS:-$default_timeout}" "$bin_dir/intake-load" chaos \
  --runner "$bin_dir/intake-local" --corpus "$CORPUS" --seed "${CHAOS_SEED:-1}" \
  --out "$out" "$@" || rc=$?
say "chaos run took $((SECONDS - started)) s (exit $rc); matrix: ${out#"$ROOT"/}"
if ((rc == 124)); then
  say "FAILED: the chaos run hit the ${CHAOS_TIMEOUT_SECS:-$default_timeout} s limit"
elif ((rc != 0)); then
  say "FAILED: see the matrix and violations above"
fi
exit "$rc"
