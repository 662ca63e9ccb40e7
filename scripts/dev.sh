#!/usr/bin/env bash
# `make dev` (after `make setup`): starts the emulators, then runs the local runner in the
# foreground with .local/emulators.env exported. Ctrl-C stops the runner and the emulators
# (the emulators are left running if they were already running before).
# Extra arguments are passed to the runner.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[dev] %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

stop_own_emulators_at_exit

start_emulators

export INTAKE_ALLOW_LOOPBACK_WEBHOOKS=1
# The runner creates the `intake-dev-*` resources itself (INTAKE_PREFIX overrides the prefix).

say "cargo run --release -p intake-local (Ctrl-C to stop)"
cargo run --release -p intake-local -- "$@"
