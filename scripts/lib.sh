# Sourced by dev.sh, test.sh, bench.sh and chaos.sh (which set ROOT and define `say`):
# the emulators those scripts run against, started if needed and stopped at
# exit only when the script started them.

EMU="$ROOT/scripts/emulators.sh"
ENV_FILE="$ROOT/.local/emulators.env"
stop_emulators=0

# Exports the KEY=value lines of an env file (values taken literally).
load_env() {
  local key value
  while IFS='=' read -r key value || [[ -n "$key" ]]; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    export "$key=$value"
  done <"$1"
}

# Starts the emulators and exports their endpoints; fails if they cannot start.
start_emulators() {
  if "$EMU" status >/dev/null 2>&1; then
    say "emulators were already running: leaving them running afterwards"
  else
    stop_emulators=1
  fi
  "$EMU" start || return 1
  load_env "$ENV_FILE"
}

# Stops the emulators if start_emulators started them.
stop_own_emulators() {
  if ((stop_emulators)); then
    say "stopping the emulators"
    "$EMU" stop || say "WARNING: stopping the emulators failed (see scripts/emulators.sh status)"
  fi
}

# Stops the emulators this script started when it exits, however it exits
# (Ctrl-C and TERM included), keeping its exit status.
stop_own_emulators_at_exit() {
  trap _stop_own_emulators_and_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_stop_own_emulators_and_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_own_emulators
  exit "$rc"
}
