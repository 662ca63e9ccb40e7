#!/usr/bin/env bash
# `make test` runs `make setup` and `make lint` first, then this script:
#   emulators up -> cargo test --workspace (with .local/emulators.env exported)
#   -> scripts/differential.sh check (the engine's verdicts against the official CEN XSLTs on
#   2000 seeded mutants + the corpus, ratcheted by tools/differential/known-differences.json)
#   -> scripts/differential.sh check-extended (2000 mutants of the second generator, ratcheted by
#   tools/differential/known-differences-extended.json)
#   -> scripts/chaos.sh --quick (bounded fault injection, a few minutes; fails on a broken
#   invariant) -> scripts/api-conformance.sh schemathesis (a client generated from openapi.yaml
#   runs the six steps, then schemathesis checks the API against openapi.yaml for
#   SCHEMATHESIS_MAX_TIME s; fails on any failure or server error) -> scripts/validate-template.sh
#   -> emulators stopped, whatever happened.
# Exit status: that of the tests (cargo test first, then the differential check, then the chaos
# run, then the API's conformance, then the template validation).
# Failing to start the emulators is an error, in CI and locally alike.
# INTAKE_BACKEND=localstack runs all of it against LocalStack instead (scripts/lib.sh); the
# end-to-end suite alone on LocalStack is `make test-localstack` (scripts/test-localstack.sh).
# Extra arguments are passed to `cargo test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[test] %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

stop_own_emulators_at_exit

if ! start_emulators; then
  # The end-to-end tests need the emulators; they fail, never skip, without them.
  say "ERROR: the emulators could not start (see .local/logs/)"
  exit 1
fi

tests_rc=0
say "cargo test --workspace $*"
cargo test --workspace "$@" || tests_rc=$?

differential_rc=0
say "scripts/differential.sh check"
bash "$ROOT/scripts/differential.sh" check || differential_rc=$?
say "scripts/differential.sh check-extended"
bash "$ROOT/scripts/differential.sh" check-extended || differential_rc=$?

chaos_rc=0
say "scripts/chaos.sh --quick"
bash "$ROOT/scripts/chaos.sh" --quick || chaos_rc=$?

api_rc=0
say "scripts/api-conformance.sh schemathesis"
bash "$ROOT/scripts/api-conformance.sh" schemathesis || api_rc=$?

template_rc=0
say "scripts/validate-template.sh"
bash "$ROOT/scripts/validate-template.sh" || template_rc=$?

deps_rc=0
say "scripts/check-function-deps.sh"
bash "$ROOT/scripts/check-function-deps.sh" || deps_rc=$?

if ((tests_rc != 0)); then
  say "FAILED: cargo test (exit $tests_rc)"
  exit "$tests_rc"
fi
if ((differential_rc != 0)); then
  say "FAILED: scripts/differential.sh check or check-extended (exit $differential_rc)"
  exit "$differential_rc"
fi
if ((chaos_rc != 0)); then
  say "FAILED: scripts/chaos.sh --quick (exit $chaos_rc)"
  exit "$chaos_rc"
fi
if ((api_rc != 0)); then
  say "FAILED: scripts/api-conformance.sh schemathesis (exit $api_rc): the generated client or schemathesis"
  exit "$api_rc"
fi
if ((template_rc != 0)); then
  say "FAILED: scripts/validate-template.sh (exit $template_rc)"
  exit "$template_rc"
fi
if ((deps_rc != 0)); then
  say "FAILED: scripts/check-function-deps.sh (exit $deps_rc): a function that reads no documents links the engine"
  exit "$deps_rc"
fi
say "all tests passed"
