#!/usr/bin/env bash
# `make test-localstack`: the end-to-end suite (cargo test -p intake-tests) against LocalStack on
# the host instead of moto + DynamoDB Local:
#   LocalStack up (scripts/localstack.sh start, unless it already runs) -> cargo test -p intake-tests
#   with .local/localstack.env exported -> LocalStack stopped if this script started it, whatever
#   happened.
# Each test creates its own it-<random>-* resources through ensure_resources on LocalStack, as on
# the emulators. The timings (LocalStack start-up, suite) are printed and appended to
# .local/logs/test-localstack.times. Exit status: that of cargo test.
# Extra arguments are passed to `cargo test -p intake-tests` (e.g. a test name filter).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[localstack] %s\n' "$*" >&2; }
export INTAKE_BACKEND=localstack
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

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
say "cargo test -p intake-tests $* (against LocalStack on ${AWS_ENDPOINT_URL_S3:?})"
cargo test -p intake-tests --no-fail-fast "$@" || tests_rc=$?
suite=$((SECONDS - suite_started))

mkdir -p "$ROOT/.local/logs"
printf '%s start-up=%ss suite=%ss exit=%s args=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$startup" "$suite" "$tests_rc" "$*" >>"$ROOT/.local/logs/test-localstack.times"
say "LocalStack ready in ${startup}s; cargo test -p intake-tests took ${suite}s (exit $tests_rc)"
exit "$tests_rc"
