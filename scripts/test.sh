#!/usr/bin/env bash
# `make test` runs `make setup`, `make localstack-setup`, `scripts/package.sh install` and
# `make lint` first, then this script, phase by phase:
#   emulators up -> cargo test --workspace --no-run (the build, timed apart from the runs)
#   -> cargo build --workspace --bins --tests (the plain binaries, same features: the differential
#   checks, chaos and the API check run them, INTAKE_PREBUILT_BIN_DIR, instead of building their
#   own)
#   -> in the background:
#      - the arm64 deployment build at the lowest CPU priority (scripts/package.sh build: every
#        function as `sam build` builds it, in target/arm64-package so that it never holds the
#        tests' cargo lock; it takes the CPU the tests leave idle);
#      - scripts/test-localstack.sh: the end-to-end suite again, against LocalStack on the host
#        (log: .local/logs/test-localstack.log): the test executables this build made, not a
#        second build. Each emulator is one Python process, so the two suites side by side take
#        about the time of the longer one on two cores. Not run when this whole run is already
#        against LocalStack (INTAKE_BACKEND=localstack).
#   -> cargo test --workspace (with .local/emulators.env exported)
#   -> scripts/differential.sh check (the engine's verdicts against the official CEN XSLTs on
#   2000 seeded mutants + the corpus, ratcheted by tools/differential/known-differences.json;
#   with the debug `intake` of this build instead of a release build)
#   -> scripts/differential.sh check-extended (2000 mutants of the second generator, ratcheted by
#   tools/differential/known-differences-extended.json)
#   -> the LocalStack suite waited for -> tests/localstack_host.sh (`make localstack-check`: the
#   host LocalStack's script, loopback only, docker-compose.yml against it) -> scripts/chaos.sh --quick (bounded fault injection, a few
#   minutes; fails on a broken invariant) -> scripts/api-conformance.sh schemathesis (a client
#   generated from openapi.yaml runs the six steps, then schemathesis checks the API against
#   openapi.yaml for SCHEMATHESIS_MAX_TIME s; fails on any failure or server error)
#   -> scripts/validate-template.sh
#   -> scripts/check-function-deps.sh -> the deployment build waited for: its table of package
#   sizes, every bootstrap an aarch64 ELF
#   -> emulators stopped, and anything still in the background, whatever happened; each phase's
#   time printed at the end.
# Exit status: that of the first phase that failed, in the order above.
# Failing to start the emulators is an error, in CI and locally alike.
# INTAKE_BACKEND=localstack runs all of it against LocalStack instead (scripts/lib.sh); the
# end-to-end suite alone on LocalStack is `make test-localstack` (scripts/test-localstack.sh).
# Extra arguments are passed to `cargo test` (the build and the default run); the LocalStack run
# runs every end-to-end test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[test] %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

PACKAGE_TARGET_DIR="$ROOT/target/arm64-package"
LOGS="$ROOT/.local/logs"
PACKAGE_LOG="$LOGS/package.log"
LOCALSTACK_LOG="$LOGS/test-localstack.log"
background_pids=()

# The background phases are this script's children, each in its own process group (setsid):
# they are stopped with it, cargo and every rustc or test under them included (lib.sh's exit
# trap calls this).
cleanup_before_exit() {
  local pid
  for pid in "${background_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    fi
  done
}

# Runs one phase: its name, then the command. Records its time and exit status; never exits.
summary=()
failed=""
failed_rc=0
phase() {
  local name="$1" started=$SECONDS rc=0
  shift
  say "$name"
  "$@" || rc=$?
  summary+=("$(printf '%-38s %5d s  %s' "$name" $((SECONDS - started)) \
    "$([[ $rc == 0 ]] && echo ok || echo "FAILED (exit $rc)")")")
  if ((rc != 0)) && [[ -z "$failed" ]]; then
    failed="$name"
    failed_rc=$rc
  fi
  return 0
}

# Starts a command in the background in its own process group, its output into a log file;
# prints the pid into the variable named by $1.
start_background() {
  local -n pid_out="$1"
  local log="$2"
  shift 2
  mkdir -p "$LOGS"
  setsid -w "$@" >"$log" 2>&1 &
  pid_out=$!
  background_pids+=("$pid_out")
  say "started in the background (pid $pid_out, log ${log#"$ROOT"/}): $*"
}

package_pid=""
wait_package_build() {
  local rc=0
  wait "$package_pid" || rc=$?
  # The size table and its summary line; the whole log stays in .local/logs/package.log.
  sed -n '/^FUNCTION /,$p' "$PACKAGE_LOG" >&2
  ((rc == 0)) || tail -n 40 "$PACKAGE_LOG" >&2
  return "$rc"
}

localstack_pid=""
wait_localstack_suite() {
  local rc=0
  wait "$localstack_pid" || rc=$?
  if ((rc == 0)); then
    grep -E '^\[localstack\]|^test result' "$LOCALSTACK_LOG" >&2 || true
  else
    cat "$LOCALSTACK_LOG" >&2
  fi
  return "$rc"
}

if ! start_emulators; then
  # The end-to-end tests need the emulators; they fail, never skip, without them.
  say "ERROR: the emulators could not start (see .local/logs/)"
  exit 1
fi

END_TO_END_TESTS="$LOGS/end-to-end-tests.list"
phase "cargo test --workspace --no-run" build_end_to_end_tests "$END_TO_END_TESTS" "$@"
# The plain binaries with the same features (a build that selects test targets of the whole
# workspace): what differential.sh, chaos.sh and api-conformance.sh run, given to them instead of
# their own `cargo build -p …`, which would resolve features differently (criterion, a
# dev-dependency, turns on features of either and zerocopy) and compile the AWS SDK again.
phase "cargo build --workspace --bins --tests" cargo build --workspace --bins --tests
export INTAKE_PREBUILT_BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
start_background package_pid "$PACKAGE_LOG" \
  env CARGO_TARGET_DIR="$PACKAGE_TARGET_DIR" nice -n 19 bash "$ROOT/scripts/package.sh" build
if [[ "$INTAKE_BACKEND" != localstack ]]; then
  start_background localstack_pid "$LOCALSTACK_LOG" \
    env INTAKE_E2E_TEST_LIST="$END_TO_END_TESTS" bash "$ROOT/scripts/test-localstack.sh"
fi
phase "cargo test --workspace" cargo test --workspace --no-fail-fast "$@"
phase "differential check" bash "$ROOT/scripts/differential.sh" check
phase "differential check-extended" bash "$ROOT/scripts/differential.sh" check-extended
if [[ -n "$localstack_pid" ]]; then
  phase "end-to-end suite on LocalStack (waited)" wait_localstack_suite
  # Its own LocalStack on a spare port, after the suite's stopped (one PID file).
  phase "LocalStack host check" bash "$ROOT/tests/localstack_host.sh"
else
  say "the end-to-end suite ran against LocalStack already: no second run"
fi
phase "chaos --quick" bash "$ROOT/scripts/chaos.sh" --quick
phase "API against openapi.yaml" bash "$ROOT/scripts/api-conformance.sh" schemathesis
phase "template validation" bash "$ROOT/scripts/validate-template.sh"
phase "function dependencies" bash "$ROOT/scripts/check-function-deps.sh"
phase "arm64 deployment build (waited)" wait_package_build

say "phases:"
printf '  %s\n' "${summary[@]}" >&2
if [[ -n "$failed" ]]; then
  say "FAILED: $failed (exit $failed_rc)"
  exit "$failed_rc"
fi
say "all tests passed"
