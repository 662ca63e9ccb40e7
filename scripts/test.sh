#!/usr/bin/env bash
# `make test` runs `make setup` and `make lint` first, then this script:
#   emulators up -> cargo test --workspace (with .local/emulators.env exported)
#   -> scripts/validate-template.sh -> emulators stopped, whatever happened.
# Exit status: that of the tests (cargo test first, then the template validation).
# Failing to start the emulators is an error, in CI and locally alike.
# Extra arguments are passed to `cargo test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMU="$ROOT/scripts/emulators.sh"
ENV_FILE="$ROOT/.local/emulators.env"

say() { printf '[test] %s\n' "$*" >&2; }


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
else
  # The end-to-end tests need the emulators; they fail, never skip, without them.
  say "ERROR: the emulators could not start (see .local/logs/)"
  exit 1
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
