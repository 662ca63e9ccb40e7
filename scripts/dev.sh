#!/usr/bin/env bash
# `make dev` (after `make setup`): starts the AWS backend, then runs the local runner in the
# foreground with the backend's env file exported. Ctrl-C stops the runner and the backend
# (left running if it was already running before).
# Backend (scripts/lib.sh): INTAKE_BACKEND=emulators (default: moto + DynamoDB Local,
# .local/emulators.env) or INTAKE_BACKEND=localstack (LocalStack on the host for S3, SQS and
# DynamoDB, .local/localstack.env; its init hook creates the intake-dev-* resources first).
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
# The runner creates the `intake-dev-*` resources itself (INTAKE_PREFIX overrides the prefix);
# on LocalStack it finds those the init hook created (same names and queue attributes).

say "cargo run --release -p intake-local (Ctrl-C to stop)"
cargo run --release -p intake-local -- "$@"
