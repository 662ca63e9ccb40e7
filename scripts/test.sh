#!/usr/bin/env bash
# `make test` runs `make setup` and `make lint` first, then this script:
#   emulators up -> cargo test --workspace (with .local/emulators.env exported)
#   -> scripts/validate-template.sh -> emulators stopped, whatever happened.
# Exit status: that of the tests (cargo test first, then the template validation).
# If CI is set, failing to start the emulators is an error; locally the tests then run without
# them (emulator-backed tests see no INTAKE_EMULATORS and skip).
# Extra arguments are passed to `cargo test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMU="$ROOT/scripts/emulators.sh"
ENV_FILE="$ROOT/.local/emulators.env"

say() { printf '[test] %s\n' "$*" >&2; }

is_ci() { [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; }

load_env() {
  local key value
  while IFS='=' read -r key value || [[ -n "$key" ]]; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    export "$key=$value"
  done <"$1"
}

stop_emulators=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((stop_emulators)); then
    "$EMU" stop || say "WARNING: stopping the emulators failed (see scripts/emulators.sh status)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if "$EMU" status >/dev/null 2>&1; then
  say "emulators were already running: leaving them running afterwards"
else
  stop_emulators=1
fi

if "$EMU" start; then
  load_env "$ENV_FILE"
elif is_ci; then
  say "ERROR: the emulators could not start and CI is set: failing"
  exit 1
else
  say "WARNING: the emulators could not start; running the tests WITHOUT them (emulator tests will skip)"
  unset INTAKE_EMULATORS AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_DYNAMODB
fi

tests_rc=0
say "cargo test --workspace $*"
cargo test --workspace "$@" || tests_rc=$?

template_rc=0
say "scripts/validate-template.sh"
bash "$ROOT/scripts/validate-template.sh" || template_rc=$?

if ((tests_rc != 0)); then
  say "FAILED: cargo test (exit $tests_rc)"
  exit "$tests_rc"
fi
if ((template_rc != 0)); then
  say "FAILED: scripts/validate-template.sh (exit $template_rc)"
  exit "$template_rc"
fi
say "all tests passed"
