#!/usr/bin/env bash
# `make dev` (after `make setup`): starts the emulators, then runs the local runner in the
# foreground with .local/emulators.env exported. Ctrl-C stops the runner and the emulators
# (the emulators are left running if they were already running before).
# Extra arguments are passed to the runner.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMU="$ROOT/scripts/emulators.sh"
ENV_FILE="$ROOT/.local/emulators.env"

say() { printf '[dev] %s\n' "$*" >&2; }

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
    say "stopping the emulators"
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
"$EMU" start
load_env "$ENV_FILE"

export INTAKE_ALLOW_LOOPBACK_WEBHOOKS=1
# The runner creates the `intake-dev-*` resources itself (INTAKE_PREFIX overrides the prefix).

say "cargo run --release -p intake-local (Ctrl-C to stop)"
cargo run --release -p intake-local -- "$@"
