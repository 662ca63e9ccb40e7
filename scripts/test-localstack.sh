#!/usr/bin/env bash
# `make test-localstack`: the end-to-end suite (the test executables of package intake-tests)
# against LocalStack on the host instead of moto + DynamoDB Local:
#   the tests built with `cargo test --workspace --no-run` (lib.sh's build_end_to_end_tests; the
#   same binaries as the default run, not a second build) unless INTAKE_E2E_TEST_LIST names the
#   file of a build that test.sh already made -> LocalStack up (scripts/localstack.sh start,
#   unless it already runs) -> each executable run from tests/ (as cargo runs them) with
#   .local/localstack.env exported, all of them whatever failed -> LocalStack stopped if this
#   script started it, whatever happened.
# Each test creates its own it-<random>-* resources through ensure_resources on LocalStack, as on
# the emulators. The timings (LocalStack start-up, suite) are printed and appended to
# .local/logs/test-localstack.times. Exit status: 0 when every executable passed, else 101
# (cargo test's).
# Extra arguments are passed to each test executable (libtest's: a test name filter, --exact, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[localstack] %s\n' "$*" >&2; }
export INTAKE_BACKEND=localstack
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

test_list="${INTAKE_E2E_TEST_LIST:-}"
if [[ -z "$test_list" ]]; then
  test_list="$ROOT/.local/logs/end-to-end-tests.list"
  say "cargo test --workspace --no-run"
  build_end_to_end_tests "$test_list"
fi

stop_own_emulators_at_exit

started=$SECONDS
if ! start_emulators; then
  # The end-to-end tests need a backend; they fail, never skip, without it.
  say "ERROR: LocalStack could not start (see .local/logs/localstack.log)"
  exit 1
fi
startup=$((SECONDS - started))

tests_rc=0
suite_started=$SECONDS
say "the end-to-end tests $* against LocalStack on ${AWS_ENDPOINT_URL_S3:?}"
while read -r -u 3 test_binary; do
  say "running ${test_binary#"$ROOT"/}"
  (cd "$ROOT/tests" && "$test_binary" "$@" </dev/null) || tests_rc=101
done 3<"$test_list"
suite=$((SECONDS - suite_started))

mkdir -p "$ROOT/.local/logs"
printf '%s start-up=%ss suite=%ss exit=%s args=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$startup" "$suite" "$tests_rc" "$*" >>"$ROOT/.local/logs/test-localstack.times"
say "LocalStack ready in ${startup}s; the end-to-end tests took ${suite}s (exit $tests_rc)"
exit "$tests_rc"
