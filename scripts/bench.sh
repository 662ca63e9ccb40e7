#!/usr/bin/env bash
# `make bench`: a bounded load test of the local stack.
#   emulators up (left running if they already ran) -> release build of intake-local and
#   intake-load -> intake-local in the background on a free loopback port, with its own
#   resource prefix and tenants file, loopback webhooks allowed -> intake-load (phase A:
#   latency per API route under concurrent clients; phase B: submit->completed latency of
#   single-file jobs; phase C: webhook delivery latency, job completed_at -> receipt by the
#   load tool's own receiver on 127.0.0.1, signatures checked, each job delivered once;
#   phase D: one batch session of --batch-files real invoices (default 2000, cycled from every
#   *.xml and *.pdf under BENCH_CORPUS): create, upload (--upload-concurrency parallel PUTs),
#   confirm and extract latencies, extract -> terminal wall time and files/s, submit -> terminal
#   p50/p99 of single-file probe jobs submitted while the batch runs (--batch-probe-jobs, one every
#   --batch-probe-interval-ms), the result fetched whole and paged (--batch-page-limit), the
#   runner's peak RSS (VmHWM) read by the load tool through --runner-pid, and where the batch's CPU
#   goes: CPU seconds over its extract -> terminal window of the runner, of each emulator whose
#   .local/run/{moto-s3,moto-sqs,dynamodb}.pid holds a live pid, and of the load tool itself,
#   passed as --cpu-pid NAME=PID, with how busy they kept the machine)
#   -> runner stopped -> emulator baseline: scripts/emulator-baseline.py measures ops/s of moto S3/SQS
#   and DynamoDB Local alone for the pipeline's operations (16 threads, 5 s each) and moto SQS's cost per
#   call at queue depths 10/100/400, to tell whether the emulators are the ceiling
#   -> runner's resources deleted, emulators stopped if this script started them.
#
# Environment (all optional):
#   CARGO_TARGET_DIR     where cargo builds (default <repo>/target)
#   BENCH_INVOICE        the invoice uploaded by every single-file session
#                        (default <repo>/../shared/corpus/en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml)
#   BENCH_CORPUS         phase D's invoices: every *.xml and *.pdf below it (default <repo>/../shared/corpus)
#   BENCH_RUST_LOG       RUST_LOG of the runner (default warn: per-request logging off)
#   BENCH_TIMEOUT_SECS   hard limit for the load tool (default 900)
#   BENCH_KEEP_RESOURCES=1  keep the bench-* table, bucket and queues on the emulators
#   BENCH_BASELINE=0     skip the emulator baseline
#   BENCH_BASELINE_SECS  seconds per operation of the baseline (default 5)
#
# `scripts/bench.sh submit` (`make bench-submit`) times `intake submit --wait` instead of running
# intake-load: SUBMIT_COUNTS (default "100 2000") files each, cycled from every *.xml and *.pdf
# under BENCH_CORPUS and copied under distinct names (a copy keeps its bytes, so the second pass
# over a file is a document-cache hit), against the same runner (its default rate limit, 50/s),
# and prints one line per count: wall time, files/s, exit code, succeeded/failed/cache hits
# (saved as .local/bench/submit-<time>.txt, each run's progress lines as submit-<time>-<count>.log).
#
# Extra arguments are passed to intake-load, e.g. `scripts/bench.sh --requests 200 --jobs 50 --webhook-jobs 20`
# or, for phase D alone, `scripts/bench.sh --requests 0 --jobs 0 --webhook-jobs 0 --batch-files 200`;
# `--batch-files 0` skips phase D (see `intake-load --help`). The load tool's JSON line is saved as
# .local/bench/bench-<time>.json (with "runner": {"peak_rss_kib", …} and "phase_d": {"cpu": {"processes", …}}),
# the baseline's as baseline-<time>.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
INVOICE="${BENCH_INVOICE:-$ROOT/../shared/corpus/en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml}"
CORPUS="${BENCH_CORPUS:-$ROOT/../shared/corpus}"
RESULTS_DIR="$ROOT/.local/bench"

say() { printf '[bench] %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/runner.sh
. "$ROOT/scripts/runner.sh"

if [[ "${BENCH_KEEP_RESOURCES:-0}" == 1 ]]; then keep_resources=1; fi
clean_up_at_exit

mode=load
if [[ "${1:-}" == submit ]]; then
  mode=submit
  shift
fi

started=$SECONDS
[[ -r "$INVOICE" ]] || { say "ERROR: cannot read the invoice $INVOICE (set BENCH_INVOICE)"; exit 1; }
# Only a warning: phase D may be skipped (--batch-files 0); the load tool reports it otherwise.
[[ -d "$CORPUS" ]] || say "WARNING: no corpus directory $CORPUS (set BENCH_CORPUS); phase D will fail"

# ---------------------------------------------------------------- emulators
"$EMU" install
start_emulators
# Everything below talks to loopback only; never through a proxy from the environment.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

# ---------------------------------------------------------------- build
tool=intake-load
[[ "$mode" == submit ]] && tool=intake-cli
say "cargo build --release -p intake-local -p $tool (target dir $TARGET_DIR)"
CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p intake-local -p "$tool"
RUNNER_BIN="$TARGET_DIR/release/intake-local"
LOAD_BIN="$TARGET_DIR/release/intake-load"
INTAKE_BIN="$TARGET_DIR/release/intake"

# ---------------------------------------------------------------- runner
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/intake-bench.XXXXXX")"
prefix="bench-$(random_hex 3)-$RANDOM"
tenant="bench-$(random_hex 3)"
api_key="ik_bench_$(random_hex 16)"
secret="whsec_$(head -c 24 /dev/urandom | base64 | tr -d '\n')"
printf '[{"tenant": "%s", "api_key": "%s", "webhook_secret": "%s"}]\n' \
  "$tenant" "$api_key" "$secret" >"$work_dir/tenants.json"

# Loopback webhook URLs are allowed so that phase C can deliver to the load tool's receiver.
# No rate limit for the load tool: it measures the API and the pipeline, not the throttle;
# `intake submit` gets the default one (50 requests/s), as a client of a real stack would.
rate_limit=0
[[ "$mode" == submit ]] && rate_limit=50
INTAKE_RATE_LIMIT="$rate_limit" INTAKE_ALLOW_LOOPBACK_WEBHOOKS=1 RUST_LOG="${BENCH_RUST_LOG:-warn}" \
  start_runner "$RUNNER_BIN" "$work_dir/runner.log" "$prefix" "$work_dir/tenants.json" "$api_key"
say "runner ready after $((SECONDS - started)) s"

# ---------------------------------------------------------------- intake submit
# N files cycled from the corpus into a folder of their own, under distinct names.
submit_files() {
  local count=$1 dir=$2 i=0
  local -a sources
  mapfile -t sources < <(find "$CORPUS" -type f \( -iname '*.xml' -o -iname '*.pdf' \) -size +0 | sort)
  ((${#sources[@]})) || { say "ERROR: no *.xml or *.pdf under $CORPUS"; exit 1; }
  mkdir -p "$dir"
  while ((i < count)); do
    local source="${sources[i % ${#sources[@]}]}"
    cp "$source" "$dir/$(printf '%05d' "$i")-$(basename "$source")"
    i=$((i + 1))
  done
}

if [[ "$mode" == submit ]]; then
  mkdir -p "$RESULTS_DIR"
  summary="$RESULTS_DIR/submit-$(date -u +%Y%m%dT%H%M%SZ).txt"
  submit_rc=0
  for count in ${SUBMIT_COUNTS:-100 2000}; do
    dir="$work_dir/submit-$count"
    submit_files "$count" "$dir"
    t0=$(date +%s.%N)
    rc=0
    timeout "${BENCH_TIMEOUT_SECS:-900}" "$INTAKE_BIN" submit --api "$base_url" --key "$api_key" \
      --wait "$dir" >"$work_dir/submit-$count.jsonl" 2>"$work_dir/submit-$count.log" || rc=$?
    t1=$(date +%s.%N)
    # Its progress lines (the upload and processing phases' rates) are kept beside the summary.
    cp "$work_dir/submit-$count.log" "${summary%.txt}-$count.log"
    # Exit 1 is a file the API could not read (the corpus holds a few non-invoices); 2 or a
    # timeout is a failed run.
    if ((rc != 0 && rc != 1)); then
      submit_rc=$rc
      tail -n 20 "$work_dir/submit-$count.log" >&2 || true
    fi
    lines=$(wc -l <"$work_dir/submit-$count.jsonl")
    succeeded=$(grep -c '"status":"succeeded"' "$work_dir/submit-$count.jsonl" || true)
    hits=$(grep -c '"cache":"hit"' "$work_dir/submit-$count.jsonl" || true)
    awk -v n="$count" -v t0="$t0" -v t1="$t1" -v rc="$rc" -v lines="$lines" -v ok="$succeeded" -v hits="$hits" \
      'BEGIN { s = t1 - t0; printf "intake submit --wait: %d files in %.1f s (%.1f files/s), exit %d, %d lines: %d succeeded, %d failed, %d cache hits\n", n, s, n / s, rc, lines, ok, lines - ok, hits }' \
      | tee -a "$summary"
  done
  say "summary: ${summary#"$ROOT"/} ($((SECONDS - started)) s in all)"
  exit "$submit_rc"
fi

# ---------------------------------------------------------------- load
mkdir -p "$RESULTS_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$RESULTS_DIR/bench-$stamp.json"
load_started=$SECONDS
load_rc=0
# --cpu-pid: the CPU time of the runner and of each live emulator over phase D's extract ->
# terminal window (the load tool adds its own); an emulator without a live pid is left out.
cpu_pids=(--cpu-pid "runner=$runner_pid")
for name in moto-s3 moto-sqs dynamodb; do
  pid_file="$ROOT/.local/run/$name.pid"
  [[ -f "$pid_file" ]] || continue
  pid="$(tr -dc '0-9' <"$pid_file")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    cpu_pids+=(--cpu-pid "$name=$pid")
  else
    say "WARNING: ${pid_file#"$ROOT"/} holds no live pid; $name's CPU is not reported"
  fi
done
# --runner-pid: the load tool reads the runner's VmHWM (peak RSS) before and after phase D.
timeout "${BENCH_TIMEOUT_SECS:-900}" "$LOAD_BIN" \
  --url "$base_url" --api-key "$api_key" --invoice "$INVOICE" --webhook-secret "$secret" \
  --corpus "$CORPUS" --runner-pid "$runner_pid" "${cpu_pids[@]}" \
  --json "$@" >"$results" || load_rc=$?

say "load tool finished in $((SECONDS - load_started)) s (exit $load_rc); JSON: ${results#"$ROOT"/}"
cat "$results"
# The runner's peak RSS over the whole run (also in the JSON line as runner.peak_rss_kib).
if hwm="$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$runner_pid/status" 2>/dev/null)" && [[ -n "$hwm" ]]; then
  say "runner peak RSS (VmHWM): $((hwm / 1024)) MiB ($hwm kB)"
else
  say "runner peak RSS: unknown (no /proc/$runner_pid/status)"
fi
if grep -qiE 'panicked|ERROR' "$work_dir/runner.log"; then
  say "the runner logged errors (first lines):"
  grep -iE 'panicked|ERROR' "$work_dir/runner.log" | head -n 10 >&2 || true
fi
stop_runner

# ---------------------------------------------------------------- emulator baseline
# The emulators alone, with the runner stopped (it would compete for the CPU).
if [[ "${BENCH_BASELINE:-1}" != 0 ]]; then
  baseline="$RESULTS_DIR/baseline-$stamp.json"
  say "emulator baseline: ops/s of moto and DynamoDB Local alone (BENCH_BASELINE=0 skips it)"
  if timeout 300 "$ROOT/.local/venv/bin/python" "$ROOT/scripts/emulator-baseline.py" \
       --seconds "${BENCH_BASELINE_SECS:-5}" --json "$baseline"; then
    say "baseline JSON: ${baseline#"$ROOT"/}"
  else
    say "WARNING: the emulator baseline failed (exit $?); the load results above stand"
  fi
fi
say "bench took $((SECONDS - started)) s in all"
if ((load_rc == 124)); then
  say "FAILED: the load tool hit the ${BENCH_TIMEOUT_SECS:-900} s limit"
elif ((load_rc != 0)); then
  say "FAILED: the load tool reported problems (exit $load_rc); see above"
fi
exit "$load_rc"
